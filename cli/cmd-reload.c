/*
 * cmd-reload.c - weftctl reload: re-read configuration, jobs and plugins;
 * a broken configuration refuses the reload, a broken job file is
 * rejected alone.  Exit 1 in both cases, with the errors.
 */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_reload(struct args *a)
{
	json_t	*rep, *e;
	size_t	 i;
	int	 rc;

	if ((rep = client_request(json_pack("{s:s}", "cmd", "reload"),
	    NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	if (json_output)
		print_json(rep);
	else
		printf("reloaded: %lld jobs, %lld plugins\n", jint(rep, "jobs"),
		    jint(rep, "plugins"));
	/* Rejected job files: the reload happened, but they need fixing. */
	rc = jint(rep, "jobs_rejected") != 0;
	if (rc && !json_output) {
		fprintf(stderr, "weftctl: %lld job file%s rejected; the others "
		    "took effect, and a job a broken file held before keeps "
		    "that version:\n", jint(rep, "jobs_rejected"),
		    jint(rep, "jobs_rejected") == 1 ? "" : "s");
		json_array_foreach(json_object_get(rep, "errors"), i, e)
			fprintf(stderr, "%s\n", json_string_value(e));
	}
	json_decref(rep);
	return rc;
}

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.upper = 0,
	.summary = "re-read configuration, jobs and plugins",
	.exec = cmd_reload,
};
