/*
 * ytree.c - YAML documents as trees whose nodes remember file, line and
 * column, so that every error about a value can say exactly where it is.
 *
 * The tree is built from libyaml's event API, not its document API, so
 * that hostile input is judged before it costs anything: nesting is
 * capped as the events arrive (YTREE_MAX_DEPTH), the number of nodes is
 * capped (YTREE_MAX_NODES), aliases are refused (an alias bomb of a few
 * hundred bytes would expand into billions of nodes; weft's files have
 * no use for them), and duplicate keys are found with a hash per
 * mapping.  Nodes and strings live in one arena per document, and key
 * paths ("params.n[2]") are computed only for an error, so a 4 MiB file
 * is judged in a fraction of a second and a few tens of MiB.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "common.h"

#define YTREE_MAX_DEPTH	64
#define YTREE_MAX_NODES	500000
#define YTREE_MAX_FILE	(4u * 1024 * 1024)
#define ARENA_BLOCK	(64 * 1024)

struct arena_block {
	struct arena_block	*next;
	size_t			 used, cap;
	char			 mem[];
};

/* ydoc_alloc - zeroed memory that lives as long as the document. */
void *
ydoc_alloc(struct ydoc *d, size_t len)
{
	struct arena_block	*b = d->arena;
	void			*p;

	len = (len + 7) & ~(size_t)7;
	if (b == NULL || b->cap - b->used < len) {
		size_t cap = len > ARENA_BLOCK ? len : ARENA_BLOCK;

		b = xmalloc(sizeof *b + cap);
		b->used = 0;
		b->cap = cap;
		b->next = d->arena;
		d->arena = b;
	}
	p = b->mem + b->used;
	b->used += len;
	memset(p, 0, len);
	return p;
}

static char *
arena_strndup(struct ydoc *d, const char *s, size_t len)
{
	char *p = ydoc_alloc(d, len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void
ydoc_free(struct ydoc *d)
{
	struct arena_block *b;

	if (d == NULL)
		return;
	while ((b = d->arena) != NULL) {
		d->arena = b->next;
		free(b);
	}
	errlist_clear(&d->errs);
	free(d->file);
	free(d);
}

/*
 * A set of the keys of one mapping being built, to find a duplicate in
 * constant time: open addressing on a power-of-two table of key nodes.
 */
struct keyset {
	struct ynode	**v;
	size_t		  cap, n;
};

static uint64_t
hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* keyset_add - add k; the earlier key of the same text, or NULL. */
static struct ynode *
keyset_add(struct keyset *ks, struct ynode *k)
{
	size_t i;

	if (2 * (ks->n + 1) > ks->cap) {
		struct keyset	big = { NULL, ks->cap ? 2 * ks->cap : 16, 0 };

		big.v = xcalloc(big.cap, sizeof *big.v);
		for (i = 0; i < ks->cap; i++)
			if (ks->v[i] != NULL)
				keyset_add(&big, ks->v[i]);
		free(ks->v);
		*ks = big;
	}
	for (i = hash_str(k->str) & (ks->cap - 1); ks->v[i] != NULL;
	    i = (i + 1) & (ks->cap - 1))
		if (strcmp(ks->v[i]->str, k->str) == 0)
			return ks->v[i];
	ks->v[i] = k;
	ks->n++;
	return NULL;
}

/* An open sequence or mapping, while its children arrive. */
struct frame {
	struct ynode	*n;
	size_t		 first;		/* its first child in kids */
	struct keyset	 keys;		/* mappings */
};

struct builder {
	struct ydoc	 *d;
	struct frame	 *stack;
	size_t		  depth, cap;
	struct ynode	**kids;		/* children of every open node */
	size_t		  nkids, capkids;
	size_t		  nodes;
	char		 *cause;
};

/* cause - the first error found ends the build. */
static void
cause(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
    PRINTFLIKE(3, 4);

static void
cause(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	if (b->cause != NULL)
		return;
	va_start(ap, fmt);
	xvasprintf(&msg, fmt, ap);
	va_end(ap);
	if (b->d->nopos)
		xasprintf(&b->cause, "%s: %s", b->d->file, msg);
	else
		xasprintf(&b->cause, "%s:%zu:%zu: %s", b->d->file, m->line + 1,
		    m->column + 1, msg);
	free(msg);
}

/*
 * open_path - the key path of the open node at stack index i, from the
 * stack (open nodes are not linked to their parents yet): a node's
 * place among its parent's children is where its own children start.
 */
static void
open_path(const struct builder *b, size_t i, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t k = 1; k <= i && off < len; k++) {
		const struct frame *up = &b->stack[k - 1], *f = &b->stack[k];

		if (up->n->kind == YNODE_SEQ)
			off += (size_t)snprintf(buf + off, len - off, "[%zu]",
			    f->first - up->first);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s",
			    off ? "." : "", b->kids[f->first - 1]->str);
	}
}

static struct ynode *
new_node(struct builder *b, int kind, const yaml_mark_t *m)
{
	struct ynode *n;

	if (++b->nodes > YTREE_MAX_NODES) {
		cause(b, m, "more than %d values; a file this large is a "
		    "mistake (put big inputs in a file the workload reads, "
		    "such as urls_file)", YTREE_MAX_NODES);
		return NULL;
	}
	n = ydoc_alloc(b->d, sizeof *n);
	n->kind = (unsigned char)kind;
	n->line = (unsigned)m->line + 1;
	n->col = (unsigned)m->column + 1;
	n->doc = b->d;
	return n;
}

/*
 * attach - n is complete: make it the next child of the open node, or
 * the root (errors are positioned where n starts).  A mapping's children alternate key and value; a key must
 * be a scalar and new to its mapping.
 */
static void
attach(struct builder *b, struct ynode *n)
{
	struct frame	*f;
	struct ynode	*prev;
	char		 path[1024];
	yaml_mark_t	 mark = { 0, n->line - 1, n->col - 1 }, *m = &mark;

	if (b->depth == 0) {
		b->d->root = n;
		return;
	}
	f = &b->stack[b->depth - 1];
	if (f->n->kind == YNODE_MAP && (b->nkids - f->first) % 2 == 0) {
		n->is_key = 1;
		n->parent = f->n;
		n->index = (unsigned)(b->nkids - f->first) / 2;
		if ((prev = keyset_add(&f->keys, n)) != NULL) {
			open_path(b, b->depth - 1, path, sizeof path);
			cause(b, m, "%s%s%s: duplicate key (first at line %u)",
			    path, *path ? "." : "", n->str, prev->line);
			return;
		}
	}
	if (b->nkids == b->capkids) {
		b->capkids = b->capkids ? 2 * b->capkids : 256;
		b->kids = xreallocarray(b->kids, b->capkids, sizeof *b->kids);
	}
	b->kids[b->nkids++] = n;
}

static void
open_node(struct builder *b, int kind, const yaml_mark_t *m)
{
	struct ynode	*n;
	struct frame	*up = b->depth ? &b->stack[b->depth - 1] : NULL;
	char		 path[1024];

	/* A list or mapping as a key: refused before its insides count. */
	if (up != NULL && up->n->kind == YNODE_MAP &&
	    (b->nkids - up->first) % 2 == 0) {
		open_path(b, b->depth - 1, path, sizeof path);
		cause(b, m, "%s: mapping keys must be plain words",
		    *path ? path : "document");
		return;
	}
	if (b->depth >= YTREE_MAX_DEPTH) {
		cause(b, m, "nested too deeply (more than %d levels)",
		    YTREE_MAX_DEPTH);
		return;
	}
	if ((n = new_node(b, kind, m)) == NULL)
		return;
	if (b->depth == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->stack = xreallocarray(b->stack, b->cap, sizeof *b->stack);
	}
	memset(&b->stack[b->depth], 0, sizeof *b->stack);
	b->stack[b->depth].n = n;
	b->stack[b->depth].first = b->nkids;
	b->depth++;
}

/* close_node - the open node is complete: give it its children. */
static void
close_node(struct builder *b)
{
	struct frame	*f = &b->stack[b->depth - 1];
	struct ynode	*n = f->n, **k = b->kids ? b->kids + f->first : NULL;
	size_t		 count = b->nkids - f->first;

	if (n->kind == YNODE_MAP) {
		n->n = (unsigned)(count / 2);
		n->keys = ydoc_alloc(b->d, n->n * sizeof *n->keys);
		n->items = ydoc_alloc(b->d, n->n * sizeof *n->items);
		for (size_t i = 0; i < n->n; i++) {
			n->keys[i] = k[2 * i];
			n->items[i] = k[2 * i + 1];
			n->items[i]->parent = n;
			n->items[i]->index = (unsigned)i;
		}
	} else {
		n->n = (unsigned)count;
		n->items = ydoc_alloc(b->d, n->n * sizeof *n->items);
		for (size_t i = 0; i < n->n; i++) {
			n->items[i] = k[i];
			k[i]->parent = n;
			k[i]->index = (unsigned)i;
		}
	}
	free(f->keys.v);
	b->nkids = f->first;
	b->depth--;
	attach(b, n);
}

static void
event(struct builder *b, yaml_event_t *ev)
{
	struct ynode *n;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if ((n = new_node(b, YNODE_SCALAR, &ev->start_mark)) == NULL)
			return;
		n->str = arena_strndup(b->d, (char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		attach(b, n);
		break;
	case YAML_SEQUENCE_START_EVENT:
		open_node(b, YNODE_SEQ, &ev->start_mark);
		break;
	case YAML_MAPPING_START_EVENT:
		open_node(b, YNODE_MAP, &ev->start_mark);
		break;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		close_node(b);
		break;
	case YAML_ALIAS_EVENT:
		cause(b, &ev->start_mark, "an alias (*%s): weft's files do "
		    "not use YAML anchors and aliases; write the value out",
		    (char *)ev->data.alias.anchor);
		break;
	default:
		break;
	}
}

/*
 * load - parse one YAML document from buf; file names it in errors,
 * with the line and column unless nopos.  A second document in the same
 * stream is an error.  NULL with *cause for anything that is not a
 * bounded, alias-free, duplicate-free tree.
 */
static struct ydoc *
load(const char *file, int nopos, const char *buf, size_t len,
    char **causep)
{
	yaml_parser_t	 parser;
	yaml_event_t	 ev;
	struct builder	 b;
	int		 docs = 0, done = 0;

	*causep = NULL;
	memset(&b, 0, sizeof b);
	b.d = xcalloc(1, sizeof *b.d);
	b.d->file = xstrdup(file);
	b.d->nopos = nopos;
	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize failed");
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!done && b.cause == NULL) {
		if (!yaml_parser_parse(&parser, &ev)) {
			cause(&b, &parser.problem_mark, "YAML syntax error: "
			    "%s%s%s", parser.problem ? parser.problem :
			    "unknown", parser.context ? " " : "",
			    parser.context ? parser.context : "");
			break;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT && docs++ > 0)
			cause(&b, &ev.start_mark, "a second YAML document; put "
			    "one job in each file");
		else if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else
			event(&b, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.depth; i++)
		free(b.stack[i].keys.v);
	free(b.stack);
	free(b.kids);
	if (b.cause != NULL) {
		*causep = b.cause;
		ydoc_free(b.d);
		return NULL;
	}
	return b.d;
}

/* ydoc_load - a YAML file's text; errors say file:line:column. */
struct ydoc *
ydoc_load(const char *file, const char *buf, size_t len, char **causep)
{
	return load(file, 0, buf, len, causep);
}

/*
 * ydoc_load_arg - YAML given as an argument (--set k=v, made into a
 * document): errors name it ("--set k=v: ..."), not the line and column
 * of a text the user never wrote.
 */
struct ydoc *
ydoc_load_arg(const char *name, const char *buf, size_t len, char **causep)
{
	return load(name, 1, buf, len, causep);
}

/*
 * yaml_read_file - read a YAML file whole (at most YTREE_MAX_FILE
 * bytes) into a NUL-terminated buffer.  0, or -1 with *cause (errno
 * kept from the failing call).
 */
int
yaml_read_file(const char *file, char **text, size_t *lenp, char **cause)
{
	FILE	*f;
	char	*buf;
	size_t	 len;
	int	 e;

	if ((f = fopen(file, "r")) == NULL) {
		e = errno;
		xasprintf(cause, "%s: cannot open: %s", file, strerror(e));
		errno = e;
		return -1;
	}
	buf = xmalloc(YTREE_MAX_FILE + 1);
	len = fread(buf, 1, YTREE_MAX_FILE + 1, f);
	if (ferror(f)) {
		e = errno;
		xasprintf(cause, "%s: cannot read: %s", file, strerror(e));
		goto fail;
	}
	if (len > YTREE_MAX_FILE) {
		e = EFBIG;
		xasprintf(cause, "%s: larger than %u bytes", file,
		    YTREE_MAX_FILE);
		goto fail;
	}
	fclose(f);
	buf[len] = '\0';
	*text = xreallocarray(buf, len + 1, 1);
	*lenp = len;
	return 0;
fail:
	fclose(f);
	free(buf);
	errno = e;
	return -1;
}

/* ydoc_load_file - read and parse a YAML file. */
struct ydoc *
ydoc_load_file(const char *file, char **cause)
{
	char		*buf;
	size_t		 len;
	struct ydoc	*d;

	if (yaml_read_file(file, &buf, &len, cause) != 0)
		return NULL;
	d = ydoc_load(file, buf, len, cause);
	free(buf);
	return d;
}

/*
 * ynode_new_map - an empty mapping that stands for a missing one in
 * errors: positioned at the document's start, its path is name.
 */
struct ynode *
ynode_new_map(struct ydoc *d, const char *name)
{
	struct ynode *n = ydoc_alloc(d, sizeof *n);

	n->kind = YNODE_MAP;
	n->line = n->col = 1;
	n->doc = d;
	n->name = arena_strndup(d, name, strlen(name));
	return n;
}

/* ynode_path - n's key path, "params.n[2]" ("" for the root). */
const char *
ynode_path(const struct ynode *n, char *buf, size_t len)
{
	const struct ynode	*p = n->parent;
	size_t			 off;

	buf[0] = '\0';
	if (n->name != NULL) {
		snprintf(buf, len, "%s", n->name);
		return buf;
	}
	if (p == NULL)
		return buf;
	ynode_path(p, buf, len);
	off = strlen(buf);
	if (p->kind == YNODE_SEQ)
		snprintf(buf + off, len - off, "[%u]", n->index);
	else
		snprintf(buf + off, len - off, "%s%s", off ? "." : "",
		    n->is_key ? n->str : p->keys[n->index]->str);
	return buf;
}

/* ynode_get - the value for key in mapping n, or NULL. */
struct ynode *
ynode_get(const struct ynode *n, const char *key)
{
	if (n == NULL || n->kind != YNODE_MAP)
		return NULL;
	for (size_t i = 0; i < n->n; i++)
		if (strcmp(n->keys[i]->str, key) == 0)
			return n->items[i];
	return NULL;
}

void
ynode_verror(const struct ynode *n, const char *fmt, va_list ap)
{
	struct ydoc	*d = n->doc;
	struct errlist	*el = d->errs_to ? d->errs_to : &d->errs;
	char		*m, path[1024];

	xvasprintf(&m, fmt, ap);
	if (d->nopos && *ynode_path(n, path, sizeof path) != '\0')
		errlist_add(el, "%s: %s: %s", d->file, path, m);
	else if (d->nopos)
		errlist_add(el, "%s: %s", d->file, m);
	else if (*ynode_path(n, path, sizeof path) != '\0')
		errlist_add(el, "%s:%u:%u: %s: %s", d->file, n->line, n->col,
		    path, m);
	else
		errlist_add(el, "%s:%u:%u: %s", d->file, n->line, n->col, m);
	free(m);
}

/* ynode_error - record "file:line:col: key.path: message". */
void
ynode_error(const struct ynode *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode_verror(n, fmt, ap);
	va_end(ap);
}

const char *
ynode_kind_name(const struct ynode *n)
{
	switch (n->kind) {
	case YNODE_SCALAR:
		return "a scalar";
	case YNODE_SEQ:
		return "a list";
	case YNODE_MAP:
		return "a mapping";
	}
	return "?";
}

/* ynode_check_keys - report each key of map n not in keys; the count. */
int
ynode_check_keys(const struct ynode *n, const char *const *keys)
{
	int bad = 0;

	for (size_t i = 0; i < n->n; i++) {
		const char *const	*k;
		char			 list[512];
		size_t			 off = 0;

		for (k = keys; *k != NULL; k++)
			if (strcmp(*k, n->keys[i]->str) == 0)
				break;
		if (*k != NULL)
			continue;
		list[0] = '\0';
		for (k = keys; *k != NULL && off < sizeof list; k++)
			off += (size_t)snprintf(list + off, sizeof list - off,
			    "%s%s", k == keys ? "" : ", ", *k);
		ynode_error(n->keys[i], "unknown key \"%s\" (expected one "
		    "of: %s)", n->keys[i]->str, list);
		bad++;
	}
	return bad;
}

/* ynode_scalar - the text of a scalar, or NULL after reporting. */
const char *
ynode_scalar(const struct ynode *n)
{
	if (n->kind != YNODE_SCALAR) {
		ynode_error(n, "expected a single value, got %s",
		    ynode_kind_name(n));
		return NULL;
	}
	return n->str;
}

/* ynode_int - a decimal integer in [min, max]; 0, or -1 after reporting. */
int
ynode_int(const struct ynode *n, long long min, long long max,
    long long *out)
{
	char		*end;
	long long	 v;

	if (n->kind != YNODE_SCALAR) {
		ynode_error(n, "expected an integer, got %s",
		    ynode_kind_name(n));
		return -1;
	}
	errno = 0;
	v = strtoll(n->str, &end, 10);
	if (n->str[0] == '\0' || *end != '\0' || errno == ERANGE ||
	    v < min || v > max) {
		if (min == 1 && max == LLONG_MAX)
			ynode_error(n, "expected a positive integer, got "
			    "\"%s\"", n->str);
		else if (min == 0 && max == LLONG_MAX)
			ynode_error(n, "expected a non-negative integer, got "
			    "\"%s\"", n->str);
		else
			ynode_error(n, "expected an integer from %lld to "
			    "%lld, got \"%s\"", min, max, n->str);
		return -1;
	}
	*out = v;
	return 0;
}

/* ynode_bool - YAML 1.1 booleans (true/false/yes/no/on/off). */
int
ynode_bool(const struct ynode *n, int *out)
{
	static const char *const t[] = { "true", "yes", "on", NULL };
	static const char *const f[] = { "false", "no", "off", NULL };

	if (n->kind == YNODE_SCALAR) {
		for (int i = 0; t[i] != NULL; i++) {
			if (strcasecmp(n->str, t[i]) == 0) {
				*out = 1;
				return 0;
			}
			if (strcasecmp(n->str, f[i]) == 0) {
				*out = 0;
				return 0;
			}
		}
	}
	ynode_error(n, "expected true or false, got %s%s%s",
	    n->kind == YNODE_SCALAR ? "\"" : "",
	    n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n),
	    n->kind == YNODE_SCALAR ? "\"" : "");
	return -1;
}

/* ynode_duration - "250ms", "30s", "5m", "1h30m" as milliseconds. */
int
ynode_duration(const struct ynode *n, uint64_t *out)
{
	if (n->kind != YNODE_SCALAR || duration_parse(n->str, out) != 0) {
		ynode_error(n, "expected a duration such as 500ms, 30s, 5m or "
		    "1h, got %s%s%s", n->kind == YNODE_SCALAR ? "\"" : "",
		    n->kind == YNODE_SCALAR ? n->str : ynode_kind_name(n),
		    n->kind == YNODE_SCALAR ? "\"" : "");
		return -1;
	}
	return 0;
}

/* ynode_to_json - plain JSON for display (scalars stay strings). */
json_t *
ynode_to_json(const struct ynode *n)
{
	json_t *j;

	if (n == NULL)
		return json_null();
	switch (n->kind) {
	case YNODE_SCALAR:
		return json_string(n->str);
	case YNODE_SEQ:
		j = json_array();
		for (size_t i = 0; i < n->n; i++)
			json_array_append_new(j, ynode_to_json(n->items[i]));
		return j;
	case YNODE_MAP:
		j = json_object();
		for (size_t i = 0; i < n->n; i++)
			json_object_set_new(j, n->keys[i]->str,
			    ynode_to_json(n->items[i]));
		return j;
	}
	return json_null();
}
