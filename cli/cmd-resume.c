/*
 * cmd-resume.c - weftctl resume ID [--wait | --follow]: a new run of an
 * ended run's job as it ran (its journal's snapshot, not today's job
 * file) that runs only the tasks without an ok outcome; its record
 * counts all of them (tasks.resumed: carried over, not run again).
 */
#include <stdio.h>
#include <string.h>

#include "weftctl.h"

static int
cmd_resume(struct args *a)
{
	json_t		*req, *rep, *rec;
	long long	 id;
	int		 rc;

	if ((id = args_run_id(a, 0)) < 0)
		return 2;
	req = json_pack("{s:s, s:I}", "cmd", "resume", "id", (json_int_t)id);
	if (args_has(a, "wait") && !args_has(a, "follow"))
		json_object_set_new(req, "wait", json_true());
	if ((rep = client_request(req, NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	if (args_has(a, "follow")) {
		long long nid = jint(json_object_get(rep, "run"), "id");

		json_decref(rep);
		return follow_run(nid, 0);
	}
	if (!args_has(a, "wait")) {
		json_t *r = json_object_get(rep, "run");

		if (json_output)
			print_json(r);
		else
			printf("run %lld started (job %s), resuming run %lld\n",
			    jint(r, "id"), jstr(r, "job"), id);
		json_decref(rep);
		return 0;
	}
	rec = json_object_get(rep, "record");
	if (json_output)
		print_json(rec);
	else
		print_record(rec);
	rc = strcmp(jstr(rec, "status"), "ok") == 0 ? 0 : 1;
	json_decref(rep);
	return rc;
}

static const struct cmd_opt resume_opts[] = {
	{ "wait", 'w', NULL, 0 },
	{ "follow", 'f', NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_resume_entry = {
	.name = "resume",
	.args = "ID",
	.need = "a run id",
	.lower = 1,
	.upper = 1,
	.opts = resume_opts,
	.summary = "run what an interrupted (or failed) run did not finish",
	.exec = cmd_resume,
};
