/*
 * workload-sleep.c - each task waits `ms` milliseconds through weft's
 * sleep primitive: the stand-in for I/O.  Under coro the wait suspends
 * only the task; elsewhere it blocks the thread.
 *
 * params:
 *   tasks:  number of tasks (default 10)
 *   ms:     milliseconds each task waits (default 100)
 */
#include <stdlib.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct sleep_state {
	const struct weft_host	*h;
	long long		 ms;
};

static void *
sleep_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "tasks", "ms", NULL };
	struct sleep_state	*s;
	const struct weft_node	*n;
	long long		 tasks = 10, ms = 100;

	if (params != NULL && h->params_allow(params, keys) != 0)
		return NULL;
	if ((n = h->param(params, "tasks")) != NULL &&
	    h->node_int(n, 0, 100000000, &tasks) != 0)
		return NULL;
	if ((n = h->param(params, "ms")) != NULL &&
	    h->node_int(n, 0, 86400000, &ms) != 0)
		return NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->h = h;
	s->ms = ms;
	*ntasks = (size_t)tasks;
	return s;
}

static int
sleep_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct sleep_state *s = state;

	if (s->h->sleep_ms(t, (long)s->ms) != 0)
		return s->h->task_fail(t, "cancelled while sleeping");
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops sleep_ops = {
	.init = sleep_init,
	.task = sleep_task,
	.fini = free,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "sleep",
	.version = "1.0",
	.summary = "each task waits ms milliseconds (stands in for I/O)",
	.traits = WEFT_TRAIT_IO_BOUND,
	.ops = &sleep_ops,
};
