/*
 * workload-sumsq.c - the Python examples' CPU-bound function,
 * sum(i * i for i in range(n)), as one task per n.  The loop really
 * runs (it is what the benchmarks measure); the sum is exact in 128 bits
 * and reported in decimal.
 *
 * params:
 *   n:      a number or a list of numbers
 *   start:  with count: the numbers start, start + 1, ..., start+count-1
 *   count:
 */
#include <stdlib.h>
#include <string.h>

#include <weft/weft-plugin.h>

/* sumsq(n) < n^3 / 3 fits in 128 bits for n up to about 10^12. */
#define SUMSQ_MAX	1000000000000LL

extern const struct weft_plugin weft_plugin;

struct sumsq {
	const struct weft_host	*h;
	long long		*n;
	size_t			 count;
};

static void *
sumsq_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "n", "start", "count", NULL };
	struct sumsq		*s;
	const struct weft_node	*n, *start, *count;
	long long		 st, ct;
	int			 bad = 0;

	if (params == NULL) {
		h->log(&weft_plugin, WEFT_LOG_ERR, "params: give n (a list of "
		    "numbers) or start and count");
		return NULL;
	}
	if (h->params_allow(params, keys) != 0)
		return NULL;
	n = h->param(params, "n");
	start = h->param(params, "start");
	count = h->param(params, "count");
	if (!((n != NULL && start == NULL && count == NULL) ||
	    (n == NULL && start != NULL && count != NULL))) {
		h->node_error(n ? n : params, "give either n (a list of "
		    "numbers) or both start and count");
		return NULL;
	}
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->h = h;
	if (n != NULL && h->node_kind(n) == WEFT_NODE_SCALAR) {
		s->count = 1;
		s->n = calloc(1, sizeof *s->n);
		if (s->n == NULL || h->node_int(n, 0, SUMSQ_MAX, &s->n[0]) != 0)
			bad = 1;
	} else if (n != NULL) {
		s->count = h->node_len(n);
		if (h->node_kind(n) != WEFT_NODE_SEQ || s->count == 0) {
			h->node_error(n, "expected a number or a non-empty "
			    "list of numbers");
			bad = 1;
		} else if ((s->n = calloc(s->count, sizeof *s->n)) == NULL)
			bad = 1;
		for (size_t i = 0; !bad && i < s->count; i++)
			if (h->node_int(h->node_at(n, i), 0, SUMSQ_MAX,
			    &s->n[i]) != 0)
				bad = 1;
	} else {
		if (h->node_int(start, 0, SUMSQ_MAX, &st) != 0 ||
		    h->node_int(count, 1, 10000000, &ct) != 0)
			bad = 1;
		else if (st + ct - 1 > SUMSQ_MAX) {
			h->node_error(count, "start + count - 1 exceeds %lld",
			    SUMSQ_MAX);
			bad = 1;
		} else {
			s->count = (size_t)ct;
			if ((s->n = calloc(s->count, sizeof *s->n)) == NULL)
				bad = 1;
			for (size_t i = 0; !bad && i < s->count; i++)
				s->n[i] = st + (long long)i;
		}
	}
	if (bad) {
		free(s->n);
		free(s);
		return NULL;
	}
	*ntasks = s->count;
	return s;
}

/* u128_str - decimal digits of v into buf (at least 40 bytes). */
static char *
u128_str(unsigned __int128 v, char *buf, size_t len)
{
	char *p = buf + len - 1;

	*p = '\0';
	do {
		*--p = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	return p;
}

static int
sumsq_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct sumsq		*s = state;
	unsigned long long	 n = (unsigned long long)s->n[idx];
	unsigned __int128	 sum = 0;
	char			 buf[48];

	for (unsigned long long i = 0; i < n; i++)
		sum += (unsigned __int128)i * i;
	s->h->result_int(t, "n", (long long)n);
	s->h->result_str(t, "sumsq", u128_str(sum, buf, sizeof buf));
	return WEFT_TASK_OK;
}

static void
sumsq_fini(void *state)
{
	struct sumsq *s = state;

	free(s->n);
	free(s);
}

static const struct weft_workload_ops sumsq_ops = {
	.init = sumsq_init,
	.task = sumsq_task,
	.fini = sumsq_fini,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "sumsq",
	.version = "1.0",
	.summary = "sum of i*i for 0 <= i < n, exact (CPU-bound)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &sumsq_ops,
};
