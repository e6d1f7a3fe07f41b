/*
 * workload-mark.c - a test workload with a side effect to count: task i
 * waits ms milliseconds (weft's sleep: it can be cancelled), then
 * appends "PGID i" to file in one write, so a test can tell which run
 * (runner process group) ran which task, and how many times.
 *
 * params: file (required), tasks (default 10), ms (default 100)
 * result: i, the task's number; summary: their sum (a resumed run's
 * carries the tasks it did not run again).
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/weft-plugin.h>

struct mark {
	const struct weft_host	*h;
	const char		*file;
	long long		 tasks, ms;
};

static const struct weft_param spec[] = {
	{ "file", WEFT_P_PATH, WEFT_P_REQUIRED, offsetof(struct mark, file),
	    0, 0, NULL, NULL },
	{ "tasks", WEFT_P_INT, 0, offsetof(struct mark, tasks), 0, 1000000,
	    NULL, "10" },
	{ "ms", WEFT_P_INT, 0, offsetof(struct mark, ms), 0, 100000, NULL,
	    "100" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static void *
mark_init(const struct weft_host *h, const struct weft_node *params,
    size_t *ntasks)
{
	struct mark *m = calloc(1, sizeof *m);

	m->h = h;
	if (h->params->parse(params, spec, m) != 0) {
		free(m);
		return NULL;
	}
	*ntasks = (size_t)m->tasks;
	return m;
}

static int
mark_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	struct mark	*m = state;
	char		 line[64];
	int		 fd, n;

	if (m->h->task->sleep_ms(t, (long)m->ms) != 0)
		return m->h->task->fail(t, "cancelled");
	n = snprintf(line, sizeof line, "%ld %zu\n", (long)getpgrp(), idx);
	if ((fd = open(m->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) < 0 || write(fd, line, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		return m->h->task->fail(t, "cannot append to %s", m->file);
	}
	close(fd);
	m->h->task->result_int(t, "i", (long long)idx);
	return WEFT_TASK_OK;
}

static const char *const sums[] = { "i", NULL };

static const struct weft_workload_ops ops = {
	.init = mark_init,
	.task = mark_task,
	.fini = free,
	.sum_keys = sums,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_WORKLOAD,
	.name = "mark",
	.version = "1.0",
	.summary = "test workload: each task waits, then appends its number",
	.traits = WEFT_TRAIT_IO_BOUND,
	.ops = &ops,
};
