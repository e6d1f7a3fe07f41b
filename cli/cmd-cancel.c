/* cmd-cancel.c - weftctl cancel ID: cancel a running run. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_cancel(struct args *a)
{
	json_t		*rep;
	long long	 id;

	if ((id = args_run_id(a, 0)) < 0)
		return 2;
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
	.args = "ID",
	.need = "a run id",
	.lower = 1,
	.upper = 1,
	.summary = "cancel a running run",
	.exec = cmd_cancel,
};
