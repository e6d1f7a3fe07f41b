/* cmd-plugins.c - weftctl plugins [NAME]: the plugin catalog, or one
 * plugin with the params it reads. */
#include <stdio.h>
#include <string.h>

#include "weftctl.h"

/* show_one - what weftctl plugins NAME says of p. */
static void
show_one(json_t *p)
{
	json_t	*params = json_object_get(p, "params"), *v;
	size_t	 i;

	printf("%s: %s %s (ABI %s, traits %s)", jstr(p, "name"),
	    jstr(p, "kind"), jstr(p, "version"), jstr(p, "abi"),
	    jstr(p, "traits"));
	if (json_object_get(p, "reason") != NULL) {
		printf(": rejected: %s\n  file  %s\n", jstr(p, "reason"),
		    jstr(p, "path"));
		return;
	}
	printf(": %s\n  file  %s\n", jstr(p, "summary"), jstr(p, "path"));
	if (json_object_get(p, "file_error") != NULL)
		printf("  the copy loaded before: the file is rejected now "
		    "(%s)\n", jstr(p, "file_error"));
	if (params == NULL) {
		printf("  its params are not listed (a plugin built for ABI "
		    "2.2 or before, or one that does not say)\n");
		return;
	}
	printf("%s:\n", strcmp(jstr(p, "kind"), "strategy") == 0 ?
	    "strategy_params" : "params");
	if (json_array_size(params) == 0)
		printf("  none\n");
	json_array_foreach(params, i, v) {
		char text[1024];

		printf("  %-18s %s\n", jstr(v, "name"),
		    plugin_param_text(v, text, sizeof text));
	}
}

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
	if (a->argc == 1) {
		json_t	*one = json_array();
		int	 found = 0;

		json_array_foreach(ps, i, p)
			if (json_is_string(json_object_get(p, "name")) &&
			    strcmp(jstr(p, "name"), a->argv[0]) == 0)
				json_array_append(one, p);
		if (json_array_size(one) == 0) {
			fprintf(stderr, "weftctl: no plugin named \"%s\" (see "
			    "weftctl plugins)\n", a->argv[0]);
			json_decref(one);
			json_decref(rep);
			return 1;
		}
		if (json_output)
			print_json(one);
		else
			json_array_foreach(one, i, p) {
				if (found++)
					putchar('\n');
				show_one(p);
			}
		json_decref(one);
		json_decref(rep);
		return 0;
	}
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
	.args = "[NAME]",
	.upper = 1,
	.summary = "list plugins and why any were rejected; with NAME, one "
	    "plugin and the params it reads",
	.exec = cmd_plugins,
};
