/*
 * cmd-run.c - weftctl run NAME [--strategy S] [--concurrency N]
 * [--set key=value]... [--wait | --follow]: start a run; with --wait,
 * wait for it and print its record, exiting 0 only if it succeeded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

static void
on_started(json_t *rep)
{
	json_t *r = json_object_get(rep, "run");

	if (!json_output)
		fprintf(stderr, "run %lld started (job %s); waiting for it "
		    "to end\n", jint(r, "id"), jstr(r, "job"));
}

static int
cmd_run(struct args *a)
{
	json_t		*req, *sets, *rep, *rec;
	int		 wait = args_has(a, "wait"), follow = args_has(a, "follow");
	int		 rc;
	const char	*s;

	req = json_pack("{s:s, s:s}", "cmd", "run", "job", a->argv[0]);
	if ((s = args_get(a, "strategy")) != NULL)
		json_object_set_new(req, "strategy", json_string(s));
	if ((s = args_get(a, "concurrency")) != NULL) {
		char	*end;
		long	 n;

		errno = 0;
		n = strtol(s, &end, 10);
		if (*s == '\0' || *end != '\0' || n < 1 || errno != 0) {
			json_decref(req);
			return usage_error(&cmd_run_entry, "--concurrency: "
			    "expected a positive integer, got \"%s\"", s);
		}
		json_object_set_new(req, "concurrency", json_integer(n));
	}
	sets = json_array();
	for (size_t i = 0; i < args_count(a, "set"); i++)
		json_array_append_new(sets, json_string(args_value(a, "set",
		    i)));
	json_object_set_new(req, "set", sets);
	if (wait && !follow)
		json_object_set_new(req, "wait", json_true());
	if ((rep = client_request(req, on_started)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	if (follow) {
		long long id = jint(json_object_get(rep, "run"), "id");

		json_decref(rep);
		return follow_run(id, args_has(a, "cancel-on-interrupt"));
	}
	if (!wait) {
		json_t *r = json_object_get(rep, "run");

		if (json_output)
			print_json(r);
		else
			printf("run %lld started (job %s)\n", jint(r, "id"),
			    jstr(r, "job"));
		json_decref(rep);
		return 0;
	}
	rec = json_object_get(rep, "record");
	if (json_output)
		print_json(rec);
	else
		print_record(rec);
	rc = strcmp(jstr(rec, "status"), "ok") == 0 ? 0 : 1;
	unleak(rep);
	return rc;
}

static const struct cmd_opt run_opts[] = {
	{ "strategy", 0, "S", 0 },
	{ "concurrency", 0, "N", 0 },
	{ "set", 0, "k=v", 1 },
	{ "wait", 'w', NULL, 0 },
	{ "follow", 'f', NULL, 0 },
	{ "cancel-on-interrupt", 0, NULL, 0 },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.args = "NAME",
	.need = "a job name",
	.lower = 1,
	.upper = 1,
	.opts = run_opts,
	.summary = "start a run of a job",
	.exec = cmd_run,
};
