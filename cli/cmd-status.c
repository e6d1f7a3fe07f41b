/* cmd-status.c - weftctl status: the daemon's state at a glance. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_status(struct args *a)
{
	json_t	*rep, *errs, *e, *cl, *w;
	size_t	 i;

	if ((rep = client_request(json_pack("{s:s}", "cmd", "status"),
	    NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	if (json_output) {
		print_json(rep);
		json_decref(rep);
		return 0;
	}
	printf("weftd %s, pid %lld, up %lld s\n", jstr(rep, "version"),
	    jint(rep, "pid"), jint(rep, "uptime_s"));
	printf("config    %s\n", jstr(rep, "config"));
	printf("socket    %s\n", jstr(rep, "socket"));
	if (json_is_string(json_object_get(rep, "state_problem")))
		printf("state     %s (%s: records are kept in memory and "
		    "written when they can be)\n", jstr(rep, "state_dir"),
		    jstr(rep, "state_problem"));
	else
		printf("state     %s\n", jstr(rep, "state_dir"));
	printf("jobs      %lld loaded, %lld rejected\n", jint(rep, "jobs"),
	    jint(rep, "jobs_rejected"));
	printf("runs      %lld running (at most %lld)\n",
	    jint(rep, "runs_active"), jint(rep, "max_concurrent_runs"));
	printf("plugins   %lld ok, %lld rejected\n", jint(rep, "plugins_ok"),
	    jint(rep, "plugins_rejected"));
	json_array_foreach(json_object_get(rep, "warm_runners"), i, w)
		printf("warm      a runner with %s and %s loaded, pid %lld\n",
		    jstr(w, "workload"), jstr(w, "strategy"), jint(w, "pid"));
	if ((cl = json_object_get(rep, "cluster")) != NULL) {
		printf("cluster   node %s, Redis %s (%s)", jstr(cl, "node"),
		    jstr(cl, "redis"), json_is_true(json_object_get(cl,
		    "connected")) ? "connected" : "not connected");
		if ((w = json_object_get(cl, "worker")) != NULL)
			printf("; worker, %lld slots under %s%s%s",
			    jint(w, "slots"), jstr(w, "strategy"),
			    json_object_get(cl, "running") ? ", in " : "",
			    json_object_get(cl, "running") ?
			    jstr(cl, "running") : "");
		printf("\n");
	}
	errs = json_object_get(rep, "load_errors");
	json_array_foreach(errs, i, e)
		printf("error     %s\n", json_string_value(e));
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_status_entry = {
	.name = "status",
	.upper = 0,
	.summary = "show the daemon's state",
	.exec = cmd_status,
};
