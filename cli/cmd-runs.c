/* cmd-runs.c - weftctl runs [NAME]: running and recent runs. */
#include <stdio.h>
#include <string.h>

#include "weftctl.h"

static int
cmd_runs(int argc, char **argv)
{
	json_t	*req, *rep, *runs, *r;
	size_t	 i;

	if (argc > 2)
		return usage_error(&cmd_runs_entry, "expects at most a job "
		    "name");
	req = json_pack("{s:s, s:i}", "cmd", "runs", "limit", 50);
	if (argc == 2)
		json_object_set_new(req, "job", json_string(argv[1]));
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
	.usage = "[NAME]",
	.summary = "list running and recent runs",
	.needs_daemon = 1,
	.exec = cmd_runs,
};
