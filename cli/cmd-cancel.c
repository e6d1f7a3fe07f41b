/* cmd-cancel.c - weftctl cancel ID: cancel a running run. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_cancel(int argc, char **argv)
{
	json_t		*rep;
	long long	 id;

	if (argc != 2 || (id = parse_run_id(argv[1])) < 0)
		return usage_error(&cmd_cancel_entry, "expects a run id");
	if ((rep = client_request(json_pack("{s:s, s:I}", "cmd", "cancel",
	    "id", (json_int_t)id), NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	if (json_output)
		print_json(rep);
	else
		printf("run %lld: cancelling\n", id);
	json_decref(rep);
	return 0;
}

const struct cmd_entry cmd_cancel_entry = {
	.name = "cancel",
	.usage = "ID",
	.summary = "cancel a running run",
	.needs_daemon = 1,
	.exec = cmd_cancel,
};
