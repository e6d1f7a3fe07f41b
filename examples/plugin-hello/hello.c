/*
 * hello.c - the smallest useful weft workload, built outside weft's
 * tree against the installed SDK.  Task i results in square = i * i.
 *
 * params:
 *   tasks: how many (default 3)
 */
#include <stddef.h>
#include <stdlib.h>

#include <weft/weft-plugin.h>

extern const struct weft_plugin weft_plugin;

struct hello {
	const struct weft_host	*h;
	long long		 tasks;
};

/* What params may hold: checked, with defaults, by weft. */
static const struct weft_param spec[] = {
	{ "tasks", WEFT_P_INT, 0, offsetof(struct hello, tasks), 0, 1000000,
	    NULL, "3" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
hello_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct hello *s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	s->h = h;
	if (h->params->parse(params, spec, s) != 0) {
		free(s);
		return NULL;
	}
	h->log(&weft_plugin, WEFT_LOG_INFO, "%lld tasks", s->tasks);
	*ntasks = (size_t)s->tasks;
	return s;
}

static int
hello_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct hello *s = state;

	s->h->task->result_int(t, "square", (long long)(idx * idx));
	return WEFT_TASK_OK;
}

static const struct weft_workload_ops hello_ops = {
	.init = hello_init,
	.task = hello_task,
	.fini = free,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "hello",
	.version = "1.0",
	.summary = "squares of 0, 1, 2, ...",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &hello_ops,
	.params = spec,		/* ABI 2.3: shown by weftctl plugins hello */
};
