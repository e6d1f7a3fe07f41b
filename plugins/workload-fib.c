/*
 * workload-fib.c - naive recursive Fibonacci, as in the Python examples
 * (fib(1) = 0, fib(2) = 1), one task per n.  Deliberately exponential:
 * it is a CPU benchmark.
 *
 * params:
 *   n:  a number or a list of numbers, 1 to 92
 */
#include <stddef.h>
#include <stdlib.h>

#include <weft/weft-plugin.h>

struct fib {
	const struct weft_host	*h;
	struct weft_ints	 n;	/* one task each */
};

static const struct weft_param spec[] = {
	{ "n", WEFT_P_INTS, WEFT_P_REQUIRED, offsetof(struct fib, n), 1, 92,
	    NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
fib_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct fib *f;

	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->h = h;
	if (h->params->parse(params, spec, f) != 0) {
		free(f);
		return NULL;
	}
	*ntasks = f->n.n;
	return f;
}

static unsigned long long
fib(unsigned n)
{
	if (n <= 2)
		return n - 1;
	return fib(n - 1) + fib(n - 2);
}

static int
fib_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct fib *f = state;

	f->h->task->result_int(t, "n", f->n.v[idx]);
	f->h->task->result_int(t, "fib", (long long)fib((unsigned)f->n.v[idx]));
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops fib_ops = {
	.init = fib_init,
	.task = fib_task,
	.fini = free,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "fib",
	.version = "1.0",
	.summary = "naive recursive fib(n) with fib(1) = 0, fib(2) = 1 "
	    "(CPU-bound)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &fib_ops,
	.params = spec,
};
