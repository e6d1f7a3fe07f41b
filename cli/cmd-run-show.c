/* cmd-run-show.c - weftctl run show ID: one run's record. */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_run_show(struct args *a)
{
	json_t		*rep, *r;
	long long	 id;

	if ((id = args_run_id(a, 0)) < 0)
		return 2;
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
	unleak(rep);
	return 0;
}

const struct cmd_entry cmd_run_show_entry = {
	.name = "run show",
	.args = "ID",
	.need = "a run id",
	.lower = 1,
	.upper = 1,
	.summary = "show a run's record",
	.exec = cmd_run_show,
};
