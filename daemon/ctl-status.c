/* ctl-status.c - "status": the daemon's state at a glance. */
#include <unistd.h>

#include "weftd.h"

static void
ctl_status(struct conn *c, json_t *req)
{
	size_t	 ok = 0;
	json_t	*rep, *cl;

	for (size_t i = 0; i < weftd.catalog->n; i++)
		ok += weftd.catalog->v[i].rejected == NULL;
	rep = json_pack("{s:I, s:s, s:I, s:s?, s:s, s:s, s:I, s:i, "
	    "s:i, s:i, s:I, s:I, s:o, s:s?}", "pid", (json_int_t)getpid(),
	    "version", PACKAGE_VERSION, "uptime_s",
	    (json_int_t)(time(NULL) - weftd.started), "config",
	    weftd.conf->path, "socket", weftd.conf->socket, "state_dir",
	    weftd.conf->state_dir, "jobs", (json_int_t)weftd.conf->njobs,
	    "jobs_rejected", weftd.bad_jobs, "runs_active", runs_active(),
	    "max_concurrent_runs", weftd.conf->max_concurrent_runs,
	    "plugins_ok", (json_int_t)ok, "plugins_rejected",
	    (json_int_t)(weftd.catalog->n - ok), "load_errors",
	    errors_json(&weftd.load_errors), "state_problem",
	    state_problem());
	json_object_set_new(rep, "warm_runners", warm_json());
	if ((cl = cluster_status()) != NULL)
		json_object_set_new(rep, "cluster", cl);
	conn_reply(c, rep);
}

const struct handler ctl_status_entry = {
	.name = "status",
	.exec = ctl_status,
};
