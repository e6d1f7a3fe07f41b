/*
 * workload-noop.c - tasks that do nothing, to measure what a strategy
 * costs per task.
 *
 * params:
 *   tasks:  number of tasks (default 1000)
 */
#include <stdlib.h>

#include <weft/weft-plugin.h>

static int noop_marker;

static void *
noop_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "tasks", NULL };
	const struct weft_node	*n;
	long long		 tasks = 1000;

	if (params != NULL && h->params_allow(params, keys) != 0)
		return NULL;
	if ((n = h->param(params, "tasks")) != NULL &&
	    h->node_int(n, 0, 1000000000, &tasks) != 0)
		return NULL;
	*ntasks = (size_t)tasks;
	return &noop_marker;
}

static int
noop_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops noop_ops = {
	.init = noop_init,
	.task = noop_task,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "noop",
	.version = "1.0",
	.summary = "tasks that do nothing (measures per-task overhead)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &noop_ops,
};
