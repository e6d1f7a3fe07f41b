/*
 * cmd-reload.c - weftctl reload: re-read configuration, jobs and plugins,
 * all or nothing; the errors, if any, come back to print.
 */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_reload(struct args *a)
{
	json_t *rep;

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
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_reload_entry = {
	.name = "reload",
	.upper = 0,
	.summary = "re-read configuration, jobs and plugins (all or nothing)",
	.exec = cmd_reload,
};
