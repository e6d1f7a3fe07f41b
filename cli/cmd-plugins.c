/* cmd-plugins.c - weftctl plugins: the plugin catalog. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_plugins(struct args *a)
{
	json_t	*rep, *ps, *p;
	size_t	 i;

	if ((rep = client_request(json_pack("{s:s}", "cmd", "plugins"),
	    NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	ps = json_object_get(rep, "plugins");
	if (json_output) {
		print_json(ps);
		json_decref(rep);
		return 0;
	}
	printf("%-10s %-9s %-8s %-4s %-22s %s\n", "NAME", "KIND", "VERSION",
	    "ABI", "TRAITS", "PATH / STATE");
	json_array_foreach(ps, i, p) {
		printf("%-10s %-9s %-8s %-4s %-22s %s: ", jstr(p, "name"),
		    jstr(p, "kind"), jstr(p, "version"), jstr(p, "abi"),
		    jstr(p, "traits"), jstr(p, "path"));
		if (json_object_get(p, "reason") != NULL)
			printf("rejected: %s\n", jstr(p, "reason"));
		else if (json_object_get(p, "file_error") != NULL)
			printf("ok, the copy loaded before (the file is "
			    "rejected now: %s)\n", jstr(p, "file_error"));
		else
			printf("ok\n");
	}
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_plugins_entry = {
	.name = "plugins",
	.upper = 0,
	.summary = "list plugins and why any were rejected",
	.exec = cmd_plugins,
};
