/*
 * workload-noop.c - tasks that do nothing, to measure what a strategy
 * costs per task.
 *
 * params:
 *   tasks:  number of tasks (default 1000)
 */
#include <stddef.h>
#include <stdlib.h>

#include <weft/weft-plugin.h>

struct noop {
	long long	tasks;
};

static const struct weft_param spec[] = {
	{ "tasks", WEFT_P_INT, 0, offsetof(struct noop, tasks), 0, 1000000000,
	    NULL, "1000" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
noop_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct noop *n;

	if ((n = calloc(1, sizeof *n)) == NULL)
		return NULL;
	if (h->params->parse(params, spec, n) != 0) {
		free(n);
		return NULL;
	}
	*ntasks = (size_t)n->tasks;
	return n;
}

static int
noop_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops noop_ops = {
	.init = noop_init,
	.task = noop_task,
	.fini = free,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "noop",
	.version = "1.0",
	.summary = "tasks that do nothing (measures per-task overhead)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &noop_ops,
	.params = spec,
};
