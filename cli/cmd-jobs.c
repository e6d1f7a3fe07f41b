/* cmd-jobs.c - weftctl jobs: the loaded jobs and their state. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_jobs(struct args *a)
{
	json_t	*rep, *jobs, *j;
	size_t	 i;

	if ((rep = client_request(json_pack("{s:s}", "cmd", "jobs"),
	    NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	jobs = json_object_get(rep, "jobs");
	if (json_output) {
		print_json(jobs);
		json_decref(rep);
		return 0;
	}
	printf("%-16s %-10s %-9s %4s %-20s %-8s %s\n", "NAME", "WORKLOAD",
	    "STRATEGY", "CONC", "SCHEDULE", "TIMEOUT", "STATE");
	json_array_foreach(jobs, i, j) {
		json_t	*run = json_object_get(j, "running");
		json_t	*last = json_object_get(j, "last_run");
		char	 conc[16], tmo[32];

		if (jint(j, "concurrency"))
			snprintf(conc, sizeof conc, "%lld",
			    jint(j, "concurrency"));
		else
			snprintf(conc, sizeof conc, "auto");
		duration_format((uint64_t)jint(j, "timeout_ms"), tmo,
		    sizeof tmo);
		printf("%-16s %-10s %-9s %4s %-20s %-8s %s", jstr(j, "name"),
		    jstr(j, "workload"), jstr(j, "strategy"), conc,
		    jstr(j, "schedule"), jint(j, "timeout_ms") ? tmo : "-",
		    jstr(j, "state"));
		if (run != NULL)
			printf(", running (run %lld)", jint(run, "id"));
		else if (last != NULL)
			printf(", last run %lld %s", jint(last, "id"),
			    jstr(last, "status"));
		putchar('\n');
	}
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_jobs_entry = {
	.name = "jobs",
	.upper = 0,
	.summary = "list the jobs",
	.exec = cmd_jobs,
};
