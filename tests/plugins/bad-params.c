/* bad-params.c - a plugin whose params table (ABI 2.3) has a key weft
 * cannot show: must be rejected with the entry named. */
#include <stddef.h>

#include <weft/weft-plugin.h>

static int
b_task(void *state, void *ctx, struct weft_task *t, size_t i)
{
	return WEFT_TASK_OK;
}

static void *
b_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	*ntasks = 1;
	return (void *)h;
}

static const struct weft_workload_ops ops = {
	.init = b_init,
	.task = b_task,
};

static const struct weft_param spec[] = {
	{ "good", WEFT_P_INT, 0, 0, 0, 10, NULL, "1" },
	{ "Not A Key", WEFT_P_STRING, 0, 0, 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "badparams",
	.version = "1.0",
	.summary = "a params table with a bad key",
	.ops = &ops,
	.params = spec,
};
