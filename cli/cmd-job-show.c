/* cmd-job-show.c - weftctl job show NAME: one job in full. */
#include <stdio.h>
#include <stdlib.h>

#include "weftctl.h"

static int
cmd_job_show(struct args *a)
{
	json_t	*rep, *j, *runs, *r;
	size_t	 i;
	char	*params;

	if ((rep = client_request(json_pack("{s:s, s:s}", "cmd", "job.show",
	    "job", a->argv[0]), NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	j = json_object_get(rep, "job");
	if (json_output) {
		print_json(j);
		json_decref(rep);
		return 0;
	}
	params = json_dumps(json_object_get(j, "params"), JSON_COMPACT |
	    JSON_SORT_KEYS);
	printf("job %s (%s)\n", jstr(j, "name"), jstr(j, "file"));
	if (json_object_get(j, "description") != NULL)
		printf("  description %s\n", jstr(j, "description"));
	printf("  workload    %s\n", jstr(j, "workload"));
	printf("  params      %s\n", params);
	printf("  strategy    %s\n", jstr(j, "strategy"));
	printf("  concurrency %lld\n", jint(j, "concurrency"));
	printf("  schedule    %s\n", jstr(j, "schedule"));
	if (json_object_get(j, "next_run") != NULL)
		printf("  next run    %s\n", jstr(j, "next_run"));
	printf("  timeout     %lld ms\n", jint(j, "timeout_ms"));
	printf("  retries     %lld\n", jint(j, "retries"));
	printf("  enabled     %s\n", json_is_true(json_object_get(j,
	    "enabled")) ? "yes" : "no");
	printf("  state       %s\n", jstr(j, "state"));
	free(params);
	runs = json_object_get(j, "recent_runs");
	if (json_array_size(runs) != 0)
		printf("recent runs:\n");
	json_array_foreach(runs, i, r)
		printf("  %-6lld %-12s %-24s %8.3f s\n", jint(r, "id"),
		    jstr(r, "status"), jstr(r, "started"), jnum(r, "wall_s"));
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_job_show_entry = {
	.name = "job show",
	.args = "NAME",
	.need = "a job name",
	.lower = 1,
	.upper = 1,
	.summary = "show one job and its recent runs",
	.exec = cmd_job_show,
};
