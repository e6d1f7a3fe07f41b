/*
 * workload-crash.c - a test workload: task `at` dies of the signal
 * named by `signal` (segv or abort); the others succeed.  With `hang`
 * set, task `at` never returns and ignores cancellation.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct crash {
	const struct weft_host	*h;
	long long		 tasks, at;
	int			 abort_instead, hang;
};

static void *
crash_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "tasks", "at", "signal", "hang",
	    NULL };
	struct crash		*c = calloc(1, sizeof *c);
	const struct weft_node	*n;

	c->h = h;
	c->tasks = 20;
	c->at = 17;
	if (params != NULL && h->params_allow(params, keys) != 0)
		return NULL;
	if ((n = h->param(params, "tasks")) != NULL &&
	    h->node_int(n, 1, 1000000, &c->tasks) != 0)
		return NULL;
	if ((n = h->param(params, "at")) != NULL &&
	    h->node_int(n, -1, 1000000, &c->at) != 0)
		return NULL;
	if ((n = h->param(params, "signal")) != NULL)
		c->abort_instead = strcmp(h->node_str(n), "abort") == 0;
	if ((n = h->param(params, "hang")) != NULL)
		c->hang = strcmp(h->node_str(n), "true") == 0;
	*ntasks = (size_t)c->tasks;
	return c;
}

static int
crash_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct crash *c = state;

	if ((long long)idx == c->at) {
		if (c->hang)
			for (;;)
				pause();
		if (c->abort_instead)
			abort();
		raise(SIGSEGV);
	}
	if ((long long)idx % 5 == 4)
		return c->h->task_fail(t, "task %zu fails on purpose", idx);
	c->h->result_int(t, "i", (long long)idx);
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops ops = {
	.init = crash_init,
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
