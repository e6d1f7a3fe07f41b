/* bad-abi.c - a plugin built for a future ABI major: must be rejected. */
#include <weft/weft-plugin.h>

static const struct weft_workload_ops ops;

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	.abi_major = 99,
	.abi_minor = 3,
	.size = sizeof(struct weft_plugin),
	.kind = WEFT_KIND_WORKLOAD,
	.name = "future",
	.version = "1.0",
	.summary = "built for ABI 99",
	.ops = &ops,
};
