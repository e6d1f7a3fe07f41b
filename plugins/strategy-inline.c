/*
 * strategy-inline.c - the sequential baseline: every task in turn on the
 * runner's own thread, like the Python examples' plain for loop.
 */
#include <weft/weft-plugin.h>

static int
inline_run(const struct weft_host *h, struct weft_run *r)
{
	const struct weft_strategy_api	*s = h->strategy;
	struct weft_ctx			*c;
	size_t				 idx;

	if ((c = s->ctx_open(r, 0)) == NULL)
		return -1;
	while (s->next(r, &idx))
		s->exec(c, idx);
	if (WEFT_HAS(s, ended))
		s->ended(r);
	s->ctx_close(c);
	return 0;
}

/* It reads no strategy_params (and says so). */
static const struct weft_param spec[] = {
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static const struct weft_strategy_ops inline_ops = {
	.run = inline_run,
	.max_concurrency = 1,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_STRATEGY,
	.name = "inline",
	.version = "1.0",
	.summary = "one task at a time on one thread (the sequential baseline)",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &inline_ops,
	.params = spec,
};
