/*
 * workload-sleep.c - each task waits `ms` milliseconds through weft's
 * sleep primitive: the stand-in for I/O.  Under coro the wait suspends
 * only the task; elsewhere it blocks the thread.
 *
 * params:
 *   tasks:  number of tasks (default 10)
 *   ms:     milliseconds each task waits (default 100)
 */
#include <stddef.h>
#include <stdlib.h>

#include <weft/weft-plugin.h>

struct sleep_state {
	const struct weft_host	*h;
	long long		 tasks, ms;
};

static const struct weft_param spec[] = {
	{ "tasks", WEFT_P_INT, 0, offsetof(struct sleep_state, tasks), 0,
	    100000000, NULL, "10" },
	{ "ms", WEFT_P_INT, 0, offsetof(struct sleep_state, ms), 0, 86400000,
	    NULL, "100" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
sleep_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct sleep_state *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->h = h;
	if (h->params->parse(params, spec, s) != 0) {
		free(s);
		return NULL;
	}
	*ntasks = (size_t)s->tasks;
	return s;
}

static int
sleep_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct sleep_state *s = state;

	if (s->h->task->sleep_ms(t, (long)s->ms) != 0)
		return s->h->task->fail(t, "cancelled while sleeping");
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
	.params = spec,
};
