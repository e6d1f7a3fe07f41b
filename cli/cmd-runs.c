/* cmd-runs.c - weftctl runs [NAME]: running and recent runs. */
#include <stdio.h>
#include <string.h>

#include "weftctl.h"

static int
cmd_runs(struct args *a)
{
	json_t	*req, *rep, *runs, *r;
	size_t	 i;

	req = json_pack("{s:s, s:i}", "cmd", "runs", "limit", 50);
	if (a->argc == 1)
		json_object_set_new(req, "job", json_string(a->argv[0]));
	if ((rep = client_request(req, NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	runs = json_object_get(rep, "runs");
	if (json_output) {
		print_json(runs);
		json_decref(rep);
		return 0;
	}
	printf("%-6s %-16s %-9s %-24s %-24s %10s %s\n", "ID", "JOB",
	    "STRATEGY", "STATUS", "STARTED", "WALL", "TASKS");
	json_array_foreach(runs, i, r) {
		json_t *t = json_object_get(r, "tasks");

		printf("%-6lld %-16s %-9s %-24s %-24s %8.3f s ", jint(r, "id"),
		    jstr(r, "job"), jstr(r, "strategy"), jstr(r, "status"),
		    jstr(r, "started"), jnum(r, "wall_s"));
		if (json_object_get(t, "ok") != NULL)
			printf("%lld/%lld ok\n", jint(t, "ok"),
			    jint(t, "total"));
		else
			printf("%lld/%lld done\n", jint(t, "done"),
			    jint(t, "total"));
	}
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_runs_entry = {
	.name = "runs",
	.args = "[NAME]",
	.lower = 0,
	.upper = 1,
	.summary = "list running and recent runs",
	.exec = cmd_runs,
};
