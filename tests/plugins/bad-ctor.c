/* bad-ctor.c - a plugin whose constructor segfaults while loading. */
#include <stddef.h>

#include <weft/weft-plugin.h>

__attribute__((constructor)) static void
boom(void)
{
	volatile int *p = NULL;

	*p = 1;
}

static const struct weft_workload_ops ops;

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "boom",
	.version = "1.0",
	.summary = "crashes in its constructor",
	.ops = &ops,
};
