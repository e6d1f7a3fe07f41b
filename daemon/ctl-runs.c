/*
 * ctl-runs.c - "runs", "run.show" and "trace": running and ended runs,
 * one run's record, one run's timeline.
 */
#include <stdlib.h>

#include "weftd.h"

static void
ctl_runs(struct conn *c, json_t *req)
{
	const char	*job = json_string_value(json_object_get(req, "job"));
	json_t		*lim = json_object_get(req, "limit");
	int		 limit = 20;

	if (json_is_integer(lim))
		limit = (int)json_integer_value(lim);
	conn_reply(c, json_pack("{s:o}", "runs", history_list(job, limit)));
}

static void
ctl_run_show(struct conn *c, json_t *req)
{
	long long	 id;
	json_t		*o;

	if (req_id(c, req, &id) != 0)
		return;
	if ((o = history_lookup(id)) == NULL) {
		conn_fail(c, "no run %lld (see weftctl runs)", id);
		return;
	}
	conn_reply(c, json_pack("{s:o}", "run", o));
}

static void
ctl_trace(struct conn *c, json_t *req)
{
	long long	 id;
	json_t		*o;
	char		*cause;

	if (req_id(c, req, &id) != 0)
		return;
	if ((o = history_trace(id, &cause)) == NULL) {
		conn_fail(c, "%s", cause);
		free(cause);
		return;
	}
	conn_reply(c, json_pack("{s:o}", "trace", o));
}

const struct handler ctl_runs_entry = {
	.name = "runs",
	.exec = ctl_runs,
};

const struct handler ctl_run_show_entry = {
	.name = "run.show",
	.exec = ctl_run_show,
};

const struct handler ctl_trace_entry = {
	.name = "trace",
	.exec = ctl_trace,
};
