/*
 * test-strategies.c - each bundled strategy plugin, loaded from its .so
 * and driven through a host of the test's own (as bench/switch.c drives
 * coro): every task runs exactly once, no more than `concurrency` run at
 * once (and more than one does, where the strategy is concurrent), and
 * a cancelled run stops early and returns.
 *   test-strategies [PLUGIN-DIR]   (default $top_builddir/plugins/.libs)
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "runner.h"

#define NTASKS	64

static const struct weft_strategy_ops	*sops;
static size_t				 concurrency, cancel_after;
static atomic_size_t			 next_task, in_flight, max_in_flight;
static atomic_size_t			 started;
static atomic_int			 runs[NTASKS];
static atomic_int			 cancelled;
static char				 plugin_dir[4096];

atomic_int cancel_flag;		/* params.c logs; main.c is not linked */

static size_t f_concurrency(const struct weft_run *r) { return concurrency; }
static size_t f_ntasks(const struct weft_run *r) { return NTASKS; }
static const struct weft_node *f_params(const struct weft_run *r)
{
	return NULL;
}
static int f_cancelled(const struct weft_run *r) { return cancelled; }
static void f_note_running(struct weft_ctx *c, long long i, const void *g,
    size_t l) { }
static void f_note_lane(struct weft_ctx *c, unsigned l) { }
static void *slot_of_task;
static void **f_slot(struct weft_task *t) { return &slot_of_task; }

/* ended: how often, and what was true then (all tasks run, contexts
 * still open: the run is recorded before anything is released). */
static atomic_int			 ended_calls, ran_at_end, open_at_end;
static atomic_int			 open_ctxs;
static int				 fail_ctx_of;	/* worker; -1 */

static void
f_ended(struct weft_run *r)
{
	int ran = 0;

	for (size_t i = 0; i < NTASKS; i++)
		ran += atomic_load(&runs[i]);
	atomic_store(&ran_at_end, ran);
	atomic_store(&open_at_end, atomic_load(&open_ctxs));
	atomic_fetch_add(&ended_calls, 1);
}

static int
f_next(struct weft_run *r, size_t *idx)
{
	size_t i;

	if (cancelled)
		return 0;
	if ((i = atomic_fetch_add(&next_task, 1)) >= NTASKS)
		return 0;
	*idx = i;
	return 1;
}

static struct weft_ctx *
f_ctx_open(struct weft_run *r, unsigned worker)
{
	if ((int)worker == fail_ctx_of)
		return NULL;
	atomic_fetch_add(&open_ctxs, 1);
	return calloc(1, sizeof(struct weft_ctx));
}

static void
f_ctx_close(struct weft_ctx *c)
{
	if (c != NULL)
		atomic_fetch_sub(&open_ctxs, 1);
	free(c);
}

/* work - one task: 2 ms of waiting, the strategy's way if it has one. */
static void
work(size_t idx)
{
	struct timespec	ts = { 0, 2000000 };
	size_t		n = atomic_fetch_add(&in_flight, 1) + 1, m;

	while ((m = atomic_load(&max_in_flight)) < n &&
	    !atomic_compare_exchange_weak(&max_in_flight, &m, n))
		;
	if (atomic_fetch_add(&started, 1) + 1 == cancel_after)
		cancelled = 1;
	if (sops->sleep_ms != NULL)
		sops->sleep_ms(NULL, 2);
	else
		nanosleep(&ts, NULL);
	atomic_fetch_sub(&in_flight, 1);
	(void)idx;
}

static int
f_exec(struct weft_ctx *c, size_t idx)
{
	work(idx);
	runs[idx]++;
	return WEFT_TASK_OK;
}

/* In a worker process: the outcome is the task number as text. */
static char *
f_capture(struct weft_ctx *c, size_t idx, size_t *len)
{
	char *s;

	work(idx);
	*len = (size_t)asprintf(&s, "done %zu", idx);
	return s;
}

static int
f_commit(struct weft_run *r, size_t idx, unsigned worker, const char *text,
    size_t len)
{
	char want[32];

	snprintf(want, sizeof want, "done %zu", idx);
	if (idx >= NTASKS || len != strlen(want) || memcmp(text, want, len))
		return -1;
	runs[idx]++;
	return 0;
}

static int
f_lost(struct weft_run *r, size_t idx, unsigned worker, const char *why)
{
	fail_msg("task %zu lost: %s", idx, why);
	return 0;
}

static const struct weft_strategy_api fake = {
	.size = sizeof(struct weft_strategy_api),
	.concurrency = f_concurrency,
	.ntasks = f_ntasks,
	.params = f_params,
	.next = f_next,
	.cancelled = f_cancelled,
	.ctx_open = f_ctx_open,
	.ctx_close = f_ctx_close,
	.exec = f_exec,
	.capture = f_capture,
	.commit = f_commit,
	.lost = f_lost,
	.note_running = f_note_running,
	.note_lane = f_note_lane,
	.slot = f_slot,
	.ended = f_ended,
};

static void
f_log(const struct weft_plugin *p, int level, const char *fmt, ...)
{
}

static const struct weft_host fake_host = {
	.size = sizeof(struct weft_host),
	.abi_major = WEFT_ABI_MAJOR,
	.abi_minor = WEFT_ABI_MINOR,
	.log = f_log,
	.params = &params_api,
	.strategy = &fake,
};

/* run_strategy - run NTASKS through the named strategy.  run's result. */
static int
run_strategy(const char *name, size_t conc, size_t cancel_at)
{
	char				 path[4200];
	void				*h;
	const struct weft_plugin	*d;
	int				 rc;

	snprintf(path, sizeof path, "%s/strategy-%s.so", plugin_dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		fail_msg("%s", dlerror());
	d = dlsym(h, WEFT_PLUGIN_SYMBOL);
	assert_non_null(d);
	assert_int_equal(d->abi_major, WEFT_ABI_MAJOR);
	sops = d->ops;
	concurrency = conc;
	cancel_after = cancel_at;
	cancelled = 0;
	atomic_store(&next_task, 0);
	atomic_store(&in_flight, 0);
	atomic_store(&max_in_flight, 0);
	atomic_store(&started, 0);
	for (size_t i = 0; i < NTASKS; i++)
		runs[i] = 0;
	atomic_store(&ended_calls, 0);
	atomic_store(&ran_at_end, -1);
	atomic_store(&open_at_end, -1);
	atomic_store(&open_ctxs, 0);
	rc = sops->run(&fake_host, (struct weft_run *)&fake);
	assert_int_equal(atomic_load(&open_ctxs), 0);
	return rc;
}

/* check_ended - ended was called once, after every task had run and
 * before any context was closed (ran: how many tasks ran in all). */
static void
check_ended(int ran)
{
	assert_int_equal(atomic_load(&ended_calls), 1);
	assert_int_equal(atomic_load(&ran_at_end), ran);
	assert_true(atomic_load(&open_at_end) >= 1);
}

static void
check_each_once(void)
{
	for (size_t i = 0; i < NTASKS; i++)
		if (runs[i] != 1)
			fail_msg("task %zu ran %d times", i, runs[i]);
}

static void
test_inline(void **state)
{
	assert_int_equal(run_strategy("inline", 1, 0), 0);
	check_each_once();
	check_ended(NTASKS);
	assert_int_equal(atomic_load(&max_in_flight), 1);
}

static void
test_threads(void **state)
{
	assert_int_equal(run_strategy("threads", 8, 0), 0);
	check_each_once();
	check_ended(NTASKS);
	assert_true(atomic_load(&max_in_flight) <= 8);
	assert_true(atomic_load(&max_in_flight) >= 2);
}

static void
test_coro(void **state)
{
	assert_int_equal(run_strategy("coro", 16, 0), 0);
	check_each_once();
	check_ended(NTASKS);
	/* One thread, yet many tasks in flight: their waits overlap. */
	assert_true(atomic_load(&max_in_flight) <= 16);
	assert_true(atomic_load(&max_in_flight) >= 8);
}

static void
test_fork(void **state)
{
	/* Tasks run in worker processes; the parent commits each once. */
	assert_int_equal(run_strategy("fork", 3, 0), 0);
	check_each_once();
}

static void
test_cancel(void **state)
{
	static const char *const names[] = { "inline", "threads", "coro" };

	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		size_t ran = 0;

		assert_int_equal(run_strategy(names[k], 4, 10), 0);
		for (size_t i = 0; i < NTASKS; i++) {
			assert_true(runs[i] <= 1);
			ran += (size_t)runs[i];
		}
		if (ran < 10 || ran > 10 + 4)
			fail_msg("%s: %zu tasks ran after a cancel at 10",
			    names[k], ran);
		check_ended((int)ran);
	}
}

/* A worker without its context: run fails, and the run is not said
 * to have ended (the runner reports the failure instead). */
static void
test_ended_not_on_failure(void **state)
{
	static const char *const names[] = { "threads", "coro" };

	for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
		fail_ctx_of = 0;
		assert_int_equal(run_strategy(names[k], 4, 0), -1);
		fail_ctx_of = -1;
		assert_int_equal(atomic_load(&ended_calls), 0);
	}
}

int
main(int argc, char **argv)
{
	const char		*top = getenv("top_builddir");
	const struct CMUnitTest	 tests[] = {
		cmocka_unit_test(test_inline),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_coro),
		cmocka_unit_test(test_fork),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_ended_not_on_failure),
	};

	fail_ctx_of = -1;
	snprintf(plugin_dir, sizeof plugin_dir, "%s",
	    argc > 1 ? argv[1] : top ? top : ".");
	if (argc == 1)
		strncat(plugin_dir, "/plugins/.libs",
		    sizeof plugin_dir - strlen(plugin_dir) - 1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
