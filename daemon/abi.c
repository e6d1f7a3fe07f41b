/* abi.c - validating a plugin descriptor before anything else is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftd.h"

/* The size of the descriptor as ABI 1.0 defined it. */
#define DESC_SIZE_1_0	(offsetof(struct weft_plugin, ops) + sizeof(void *))

const char *
plugin_kind_name(int kind)
{
	switch (kind) {
	case WEFT_KIND_WORKLOAD:
		return "workload";
	case WEFT_KIND_STRATEGY:
		return "strategy";
	}
	return "unknown";
}

/* plugin_traits_string - "cpu-bound,io-bound" for display; "-" if none. */
char *
plugin_traits_string(unsigned traits)
{
	char *s;

	xasprintf(&s, "%s%s%s%s%s",
	    traits & WEFT_TRAIT_CPU_BOUND ? "cpu-bound" : "",
	    (traits & WEFT_TRAIT_CPU_BOUND) && (traits & ~WEFT_TRAIT_CPU_BOUND)
	    ? "," : "",
	    traits & WEFT_TRAIT_IO_BOUND ? "io-bound" : "",
	    (traits & WEFT_TRAIT_IO_BOUND) && (traits & WEFT_TRAIT_BLOCKING)
	    ? "," : "",
	    traits & WEFT_TRAIT_BLOCKING ? "blocking" : "");
	if (*s == '\0') {
		free(s);
		s = xstrdup("-");
	}
	return s;
}

/*
 * plugin_check_desc - whether d (of which avail bytes are readable) is a
 * descriptor this weft can use.  0, or -1 with the reason in why.
 */
int
plugin_check_desc(const struct weft_plugin *d, size_t avail, char *why,
    size_t len)
{
	if (avail < 8 || d->abi_major != WEFT_ABI_MAJOR) {
		snprintf(why, len, "ABI major mismatch: plugin built for ABI "
		    "%u.%u, weftd provides ABI %d.%d; rebuild the plugin "
		    "against this weft's weft-plugin.h", avail < 8 ? 0 :
		    d->abi_major, avail < 8 ? 0 : d->abi_minor,
		    WEFT_ABI_MAJOR, WEFT_ABI_MINOR);
		return -1;
	}
	if (d->size < DESC_SIZE_1_0) {
		snprintf(why, len, "descriptor size %u is smaller than the "
		    "%zu bytes of ABI %d.0", d->size, DESC_SIZE_1_0,
		    WEFT_ABI_MAJOR);
		return -1;
	}
	if (d->kind != WEFT_KIND_WORKLOAD && d->kind != WEFT_KIND_STRATEGY) {
		snprintf(why, len, "wrong kind %d: expected workload (%d) or "
		    "strategy (%d)", d->kind, WEFT_KIND_WORKLOAD,
		    WEFT_KIND_STRATEGY);
		return -1;
	}
	if (d->name == NULL || !valid_name(d->name)) {
		snprintf(why, len, "descriptor has no valid name");
		return -1;
	}
	if (d->version == NULL || d->summary == NULL) {
		snprintf(why, len, "descriptor of %s lacks a version or "
		    "summary", d->name);
		return -1;
	}
	if (d->ops == NULL) {
		snprintf(why, len, "descriptor of %s has no ops table",
		    d->name);
		return -1;
	}
	if (d->kind == WEFT_KIND_WORKLOAD) {
		const struct weft_workload_ops *o = d->ops;

		if (o->init == NULL || o->task == NULL) {
			snprintf(why, len, "workload %s lacks init or task",
			    d->name);
			return -1;
		}
	} else {
		const struct weft_strategy_ops *o = d->ops;

		if (o->run == NULL) {
			snprintf(why, len, "strategy %s lacks run", d->name);
			return -1;
		}
	}
	return 0;
}
