/* cmd-run-show.c - weftctl run show ID: one run's record. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_run_show(int argc, char **argv)
{
	json_t		*rep, *r;
	long long	 id;

	if (argc != 2 || (id = parse_run_id(argv[1])) < 0)
		return usage_error(&cmd_run_show_entry, "expects a run id");
	if ((rep = client_request(json_pack("{s:s, s:I}", "cmd", "run.show",
	    "id", (json_int_t)id), NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	r = json_object_get(rep, "run");
	if (json_output)
		print_json(r);
	else
		print_record(r);
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_run_show_entry = {
	.name = "run show",
	.usage = "ID",
	.summary = "show a run's record",
	.needs_daemon = 1,
	.exec = cmd_run_show,
};
