/* errors.c - collect user-facing error messages to report them all. */
#include <stdlib.h>

#include "common.h"

void
errlist_vadd(struct errlist *el, const char *fmt, va_list ap)
{
	el->v = xreallocarray(el->v, el->n + 1, sizeof *el->v);
	xvasprintf(&el->v[el->n++], fmt, ap);
}

void
errlist_add(struct errlist *el, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	errlist_vadd(el, fmt, ap);
	va_end(ap);
}

void
errlist_clear(struct errlist *el)
{
	for (size_t i = 0; i < el->n; i++)
		free(el->v[i]);
	free(el->v);
	el->v = NULL;
	el->n = 0;
}

/* errlist_move - append every message of from to to, emptying from. */
void
errlist_move(struct errlist *to, struct errlist *from)
{
	for (size_t i = 0; i < from->n; i++) {
		to->v = xreallocarray(to->v, to->n + 1, sizeof *to->v);
		to->v[to->n++] = from->v[i];
	}
	free(from->v);
	from->v = NULL;
	from->n = 0;
}
