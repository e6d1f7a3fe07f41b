/* workload-blocker.c - declares that it blocks without weft's primitives. */
#include <unistd.h>

#include <weft/weft-plugin.h>

static int marker;

static void *
blocker_init(const struct weft_host *h, const struct weft_node *p, size_t *n)
{
	*n = 2;
	return &marker;
}

static int
blocker_task(void *s, void *c, struct weft_task *t, size_t idx)
{
	usleep(1000);	/* a blocking call weft cannot see */
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops ops = {
	.init = blocker_init,
	.task = blocker_task,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "blocker",
	.version = "1.0",
	.summary = "blocks its thread in plain system calls",
	.traits = WEFT_TRAIT_IO_BOUND | WEFT_TRAIT_BLOCKING,
	.ops = &ops,
};
