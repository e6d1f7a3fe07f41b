/*
 * strategy-threads.c - a pool of `concurrency` POSIX threads pulling
 * tasks from the run's shared queue.  Each thread opens its own
 * execution context, so a workload's ctx_init/ctx_fini are its
 * per-thread init and teardown (the Python examples' thread-local
 * requests Session).  In C, unlike CPython, threads run CPU-bound tasks
 * on every core at once.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

/* What the threads share: how many have not yet ended (or never will
 * start), and whether any failed (then run records at its return). */
struct pool {
	atomic_size_t		 left;
	atomic_int		 failed;
};

struct worker {
	struct pool		*pool;
	const struct weft_host	*h;
	struct weft_run		*r;
	unsigned		 id;
	int			 failed;	/* ctx_open failed */
};

/* leave - n threads are done (or will never start); the last says the
 * run has ended, before any context is closed. */
static void
leave(struct pool *p, size_t n, const struct weft_host *h,
    struct weft_run *r)
{
	if (atomic_fetch_sub(&p->left, n) == n &&
	    !atomic_load(&p->failed) && WEFT_HAS(h->strategy, ended))
		h->strategy->ended(r);
}

static void *
worker_main(void *arg)
{
	struct worker			*w = arg;
	const struct weft_strategy_api	*s = w->h->strategy;
	struct weft_ctx			*c;
	size_t				 idx;

	if ((c = s->ctx_open(w->r, w->id)) == NULL) {
		w->failed = 1;
		atomic_store(&w->pool->failed, 1);
	} else
		while (s->next(w->r, &idx))
			s->exec(c, idx);
	leave(w->pool, 1, w->h, w->r);
	s->ctx_close(c);
	return NULL;
}

struct params {
	long long	stack_kb;
};

static const struct weft_param spec[] = {
	{ "stack_size_kb", WEFT_P_INT, 0, offsetof(struct params, stack_kb),
	    64, 1024 * 1024, NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static int
threads_run(const struct weft_host *h, struct weft_run *r)
{
	size_t		 n = h->strategy->concurrency(r), started = 0;
	struct params	 p = { 0 };
	struct worker	*w;
	struct pool	 pool;
	pthread_t	*tids;
	pthread_attr_t	 attr;
	int		 rc = 0;

	if (h->params->parse(h->strategy->params(r), spec, &p) != 0)
		return -1;
	w = calloc(n, sizeof *w);
	tids = calloc(n, sizeof *tids);
	if (w == NULL || tids == NULL) {
		free(w);
		free(tids);
		return -1;
	}
	atomic_init(&pool.left, n);
	atomic_init(&pool.failed, 0);
	pthread_attr_init(&attr);
	if (p.stack_kb != 0)
		pthread_attr_setstacksize(&attr, (size_t)p.stack_kb * 1024);
	for (size_t i = 0; i < n; i++) {
		w[i].pool = &pool;
		w[i].h = h;
		w[i].r = r;
		w[i].id = (unsigned)i;
		if (pthread_create(&tids[i], &attr, worker_main, &w[i]) != 0) {
			h->log(&weft_plugin, WEFT_LOG_WARN, "could start only %zu "
			    "of %zu threads", i, n);
			if (i == 0)
				atomic_store(&pool.failed, 1);
			leave(&pool, n - i, h, r);
			break;
		}
		started++;
	}
	pthread_attr_destroy(&attr);
	for (size_t i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		if (w[i].failed)
			rc = -1;
	}
	if (started == 0)
		rc = -1;
	free(w);
	free(tids);
	return rc;
}

static const struct weft_strategy_ops threads_ops = {
	.run = threads_run,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_STRATEGY,
	.name = "threads",
	.version = "1.0",
	.summary = "a pool of threads sharing one task queue",
	.traits = WEFT_TRAIT_CPU_BOUND | WEFT_TRAIT_IO_BOUND,
	.ops = &threads_ops,
	.params = spec,
};
