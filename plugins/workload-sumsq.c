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
#include <stddef.h>
#include <stdlib.h>

#include <weft/weft-plugin.h>

/* sumsq(n) < n^3 / 3 fits in 128 bits for n up to about 10^12. */
#define SUMSQ_MAX	1000000000000LL

struct sumsq {
	const struct weft_host	*h;
	struct weft_ints	 n;	/* one task each */
	long long		 start, count;
	const struct weft_node	*nn, *sn, *cn;	/* which were given */
};

static const struct weft_param spec[] = {
	{ "n", WEFT_P_INTS, 0, offsetof(struct sumsq, n), 0, SUMSQ_MAX,
	    NULL, NULL },
	{ "start", WEFT_P_INT, 0, offsetof(struct sumsq, start), 0,
	    SUMSQ_MAX, NULL, NULL },
	{ "count", WEFT_P_INT, 0, offsetof(struct sumsq, count), 1, 10000000,
	    NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
sumsq_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct sumsq	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->h = h;
	s->nn = h->params->get(params, "n");
	s->sn = h->params->get(params, "start");
	s->cn = h->params->get(params, "count");
	if (!((s->nn != NULL && s->sn == NULL && s->cn == NULL) ||
	    (s->nn == NULL && s->sn != NULL && s->cn != NULL))) {
		h->params->node_error(s->nn ? s->nn : params, "give either n "
		    "(a list of numbers) or both start and count");
		free(s);
		return NULL;
	}
	if (h->params->parse(params, spec, s) != 0) {
		free(s);
		return NULL;
	}
	if (s->nn == NULL) {
		if (s->start + s->count - 1 > SUMSQ_MAX) {
			h->params->node_error(s->cn, "start + count - 1 "
			    "exceeds %lld", SUMSQ_MAX);
			free(s);
			return NULL;
		}
		s->n.n = (size_t)s->count;
	}
	*ntasks = s->n.n;
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
	unsigned long long	 n = (unsigned long long)(s->nn != NULL ?
				    s->n.v[idx] : s->start + (long long)idx);
	unsigned __int128	 sum = 0;
	char			 buf[48];

	for (unsigned long long i = 0; i < n; i++)
		sum += (unsigned __int128)i * i;
	s->h->task->result_int(t, "n", (long long)n);
	s->h->task->result_str(t, "sumsq", u128_str(sum, buf, sizeof buf));
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops sumsq_ops = {
	.init = sumsq_init,
	.task = sumsq_task,
	.fini = free,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "sumsq",
	.version = "1.0",
	.summary = "sum of i*i for 0 <= i < n, exact (CPU-bound)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &sumsq_ops,
	.params = spec,
};
