/*
 * workload-crash.c - a test workload: task `at` dies of the signal
 * named by `signal` (segv or abort); the others succeed, but every
 * fifth fails.  With `hang` set, task `at` never returns and ignores
 * cancellation; with `overflow_kb` set, it uses that much stack and
 * waits 1 ms at the deepest point (and every other task waits 1 ms, so
 * that coroutines take turns).  With `release` set, closing a context
 * (after the run has ended) crashes, hangs, or takes 3 s.
 */
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct crash {
	const struct weft_host	*h;
	long long		 tasks, at;
	int			 abort_instead, hang;
	long long		 overflow_kb;
	int			 release;
};

static const char *const signals[] = { "segv", "abort", NULL };
enum { R_NONE, R_CRASH, R_HANG, R_SLOW };
static const char *const releases[] = { "none", "crash", "hang", "slow",
	NULL };

static const struct weft_param spec[] = {
	{ "tasks", WEFT_P_INT, 0, offsetof(struct crash, tasks), 1, 1000000,
	    NULL, "20" },
	{ "at", WEFT_P_INT, 0, offsetof(struct crash, at), -1, 1000000, NULL,
	    "17" },
	{ "signal", WEFT_P_ENUM, 0, offsetof(struct crash, abort_instead), 0,
	    0, signals, "segv" },
	{ "hang", WEFT_P_BOOL, 0, offsetof(struct crash, hang), 0, 0, NULL,
	    "false" },
	{ "overflow_kb", WEFT_P_INT, 0, offsetof(struct crash, overflow_kb),
	    1, 1000000, NULL, NULL },
	{ "release", WEFT_P_ENUM, 0, offsetof(struct crash, release), 0, 0,
	    releases, "none" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
crash_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct crash *c = calloc(1, sizeof *c);

	c->h = h;
	if (h->params->parse(params, spec, c) != 0)
		return NULL;
	*ntasks = (size_t)c->tasks;
	return c;
}

/* use_stack - use kb KiB of stack, then wait 1 ms at the deepest point. */
__attribute__((noinline)) static int
use_stack(struct crash *c, struct weft_task *t, long long kb)
{
	volatile char buf[1024];

	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)kb;
	if (kb <= 1)
		return c->h->task->sleep_ms(t, 1);
	return use_stack(c, t, kb - 1) + buf[sizeof buf - 1] - buf[0];
}

static int
crash_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct crash *c = state;

	if ((long long)idx == c->at) {
		if (c->hang)
			for (;;)
				pause();
		if (c->overflow_kb)
			return use_stack(c, t, c->overflow_kb) ?
			    WEFT_TASK_FAILED : WEFT_TASK_OK;
		if (c->abort_instead)
			abort();
		raise(SIGSEGV);
	}
	if (c->overflow_kb)
		c->h->task->sleep_ms(t, 1);
	if ((long long)idx % 5 == 4)
		return c->h->task->fail(t, "task %zu fails on purpose", idx);
	c->h->task->result_int(t, "i", (long long)idx);
	return WEFT_TASK_OK;
}

static int
crash_ctx_init(void *state, void **ctx)
{
	*ctx = NULL;
	return 0;
}

static void
crash_ctx_fini(void *state, void *ctx)
{
	struct crash *c = state;

	switch (c->release) {
	case R_CRASH:
		raise(SIGSEGV);
		break;
	case R_HANG:
		for (;;)
			pause();
	case R_SLOW:
		sleep(3);
		break;
	}
}

static const struct weft_workload_ops ops = {
	.init = crash_init,
	.ctx_init = crash_ctx_init,
	.ctx_fini = crash_ctx_fini,
	.task = crash_task,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "crash",
	.version = "1.0",
	.summary = "test workload that crashes, fails or hangs on request",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &ops,
};
