/*
 * hello.c - the smallest useful weft workload, built outside weft's
 * tree against the installed SDK.  Task i results in square = i * i.
 *
 * params:
 *   tasks: how many (default 3)
 */
#include <stdlib.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

static void *
hello_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	static const char *const keys[] = { "tasks", NULL };
	const struct weft_node	*n;
	long long		 tasks = 3;

	if (params != NULL && h->params_allow(params, keys) != 0)
		return NULL;
	if ((n = h->param(params, "tasks")) != NULL &&
	    h->node_int(n, 0, 1000000, &tasks) != 0)
		return NULL;
	h->log(&weft_plugin, WEFT_LOG_INFO, "%lld tasks", tasks);
	*ntasks = (size_t)tasks;
	return (void *)h;
}

static int
hello_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	const struct weft_host *h = state;

	h->result_int(t, "square", (long long)(idx * idx));
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops hello_ops = {
	.init = hello_init,
	.task = hello_task,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "hello",
	.version = "1.0",
	.summary = "squares of 0, 1, 2, ...",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &hello_ops,
};
