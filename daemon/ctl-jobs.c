/*
 * ctl-jobs.c - "jobs" and "job.show": the loaded jobs, their state,
 * schedule, running run and last run.
 */
#include <stdio.h>
#include <stdlib.h>

#include "weftd.h"

static json_t *
job_json(struct job *j)
{
	json_t		*o = job_to_json(j), *runs, *r;
	struct run	*run;
	char		 why[256], *next;

	if (job_problem(j, why, sizeof why) != NULL)
		json_object_set_new(o, "state", json_string(why));
	else if (j->stale != NULL) {
		char *s;

		xasprintf(&s, "ok, the version loaded before (the file is "
		    "broken: %s)", j->stale);
		json_object_set_new(o, "state", json_string(s));
		free(s);
	} else
		json_object_set_new(o, "state", json_string("ok"));
	if ((run = job_running(j->name)) != NULL)
		json_object_set_new(o, "running", run_json(run));
	if ((next = schedule_next_text(j)) != NULL) {
		json_object_set_new(o, "next_run", json_string(next));
		free(next);
	}
	runs = history_list(j->name, 1);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		r = json_array_get(runs, i);
		if (json_object_get(r, "ended") == NULL)
			continue;
		json_object_set_new(o, "last_run", json_pack("{s:O, s:O, s:O, "
		    "s:O}", "id", json_object_get(r, "id"), "status",
		    json_object_get(r, "status"), "ended",
		    json_object_get(r, "ended"), "wall_s",
		    json_object_get(r, "wall_s")));
		break;
	}
	json_decref(runs);
	return o;
}

static void
ctl_jobs(struct conn *c, json_t *req)
{
	json_t		*a = json_array();
	struct job	*j;

	TAILQ_FOREACH(j, &weftd.conf->jobs, entry)
		json_array_append_new(a, job_json(j));
	conn_reply(c, json_pack("{s:o}", "jobs", a));
}

static void
ctl_job_show(struct conn *c, json_t *req)
{
	struct job	*j;
	json_t		*o;

	if ((j = req_job(c, req)) == NULL)
		return;
	o = job_json(j);
	json_object_set_new(o, "recent_runs", history_list(j->name, 5));
	conn_reply(c, json_pack("{s:o}", "job", o));
}

const struct handler ctl_jobs_entry = {
	.name = "jobs",
	.exec = ctl_jobs,
};

const struct handler ctl_job_show_entry = {
	.name = "job.show",
	.exec = ctl_job_show,
};
