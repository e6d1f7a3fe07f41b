/*
 * ctl-run.c - "run": start a run of a job, with --strategy,
 * --concurrency and --set overrides; "resume": a new run of what an
 * earlier run did not finish.  With "wait", the final reply is the
 * run's record.
 */
#include <stdlib.h>

#include "weftd.h"

static void
ctl_run(struct conn *c, json_t *req)
{
	struct job		*j;
	struct run_request	*rr;
	json_t			*sets, *v, *info;
	const char		*s;
	char			*cause;
	size_t			 i;

	if ((j = req_job(c, req)) == NULL)
		return;
	rr = xcalloc(1, sizeof *rr);
	rr->job = j;
	rr->trigger = xstrdup("manual");
	if ((s = json_string_value(json_object_get(req, "strategy"))) != NULL) {
		if (!valid_name(s)) {
			conn_fail(c, "bad strategy name \"%s\"", s);
			goto fail;
		}
		rr->strategy = xstrdup(s);
	}
	v = json_object_get(req, "concurrency");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000) {
			conn_fail(c, "concurrency: expected an integer from 1 "
			    "to 100000");
			goto fail;
		}
		rr->concurrency = (long)json_integer_value(v);
	}
	/* Each --set is checked here; the runner grafts it again. */
	sets = json_object_get(req, "set");
	if (sets != NULL && !json_is_array(sets)) {
		conn_fail(c, "set: expected a list of key=value strings");
		goto fail;
	}
	json_array_foreach(sets, i, v) {
		struct ydoc *d;

		if (!json_is_string(v)) {
			conn_fail(c, "set: expected strings");
			goto fail;
		}
		if ((d = parse_set(json_string_value(v), &cause)) == NULL) {
			conn_fail(c, "%s", cause);
			free(cause);
			goto fail;
		}
		ydoc_free(d);
	}
	rr->sets = json_incref(sets);
	if (run_start(rr, &info, &cause) != 0) {
		conn_fail(c, "%s", cause);
		free(cause);
		return;
	}
	ctl_started(c, req, info);
	return;
fail:
	run_request_free(rr);
}

/*
 * ctl_started - the answer to a request that started a run: the run,
 * and with "wait", its record when it ends (run, resume).
 */
void
ctl_started(struct conn *c, json_t *req, json_t *info)
{
	if (json_is_true(json_object_get(req, "wait"))) {
		conn_wait_run(c, json_integer_value(json_object_get(info,
		    "id")));
		conn_reply_more(c, json_pack("{s:o}", "run", info));
	} else
		conn_reply(c, json_pack("{s:o}", "run", info));
}

/* "resume": run what a run did not finish (see recover.c). */
static void
ctl_resume(struct conn *c, json_t *req)
{
	long long	 id;
	json_t		*info;
	char		*cause;

	if (req_id(c, req, &id) != 0)
		return;
	if (resume_start(id, "resume", &info, &cause) != 0) {
		conn_fail(c, "%s", cause);
		free(cause);
		return;
	}
	ctl_started(c, req, info);
}

const struct handler ctl_resume_entry = {
	.name = "resume",
	.changes_state = 1,
	.exec = ctl_resume,
};

const struct handler ctl_run_entry = {
	.name = "run",
	.changes_state = 1,
	.exec = ctl_run,
};
