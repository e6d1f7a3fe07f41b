/* bad-ctor.c - a plugin whose constructor segfaults while loading. */
#include <stddef.h>

#include <weft/weft-plugin.h>

/*
 * The pointer is volatile so the compiler cannot prove it null, and the
 * function is not instrumented so that ASan builds crash the same way.
 */
int *volatile bad_ctor_ptr = NULL;

__attribute__((constructor, no_sanitize("address", "undefined"))) static void
boom(void)
{
	*bad_ctor_ptr = 1;
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
