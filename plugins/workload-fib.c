/*
 * workload-fib.c - naive recursive Fibonacci, as in the Python examples
 * (fib(1) = 0, fib(2) = 1), one task per n.  Deliberately exponential:
 * it is a CPU benchmark.
 *
 * params:
 *   n:  a number or a list of numbers, 1 to 92
 */
#include <stdlib.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct fib {
	const struct weft_host	*h;
	long long		*n;
	size_t			 count;
};

static void *
fib_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "n", NULL };
	const struct weft_node	*n;
	struct fib		*f;
	int			 seq;

	if (params == NULL || (n = h->param(params, "n")) == NULL) {
		if (params != NULL)
			h->node_error(params, "n: missing; give a number or a "
			    "list of numbers");
		else
			h->log(&weft_plugin, WEFT_LOG_ERR, "params: give n, a "
			    "number or a list of numbers");
		return NULL;
	}
	if (h->params_allow(params, keys) != 0)
		return NULL;
	seq = h->node_kind(n) == WEFT_NODE_SEQ;
	if ((seq && h->node_len(n) == 0) || h->node_kind(n) == WEFT_NODE_MAP) {
		h->node_error(n, "expected a number or a non-empty list of "
		    "numbers");
		return NULL;
	}
	if ((f = calloc(1, sizeof *f)) == NULL)
		return NULL;
	f->h = h;
	f->count = seq ? h->node_len(n) : 1;
	if ((f->n = calloc(f->count, sizeof *f->n)) == NULL)
		goto fail;
	for (size_t i = 0; i < f->count; i++)
		if (h->node_int(seq ? h->node_at(n, i) : n, 1, 92,
		    &f->n[i]) != 0)
			goto fail;
	*ntasks = f->count;
	return f;
fail:
	free(f->n);
	free(f);
	return NULL;
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

	f->h->result_int(t, "n", f->n[idx]);
	f->h->result_int(t, "fib", (long long)fib((unsigned)f->n[idx]));
	return WEFT_TASK_OK;
}

static void
fib_fini(void *state)
{
	struct fib *f = state;

	free(f->n);
	free(f);
}

static const struct weft_workload_ops fib_ops = {
	.init = fib_init,
	.task = fib_task,
	.fini = fib_fini,
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
};
