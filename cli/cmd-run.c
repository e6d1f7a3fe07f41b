/*
 * cmd-run.c - weftctl run NAME [--strategy S] [--concurrency N]
 * [--set key=value]... [--wait]: start a run; with --wait, wait for it
 * and print its record, exiting 0 only if it succeeded.
 */
#include <errno.h>
#include <limits.h>
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
cmd_run(int argc, char **argv)
{
	json_t		*req, *sets, *rep, *rec;
	int		 wait = 0, follow = 0, cancel_on_int = 0, rc;
	const char	*job = NULL;

	req = json_pack("{s:s}", "cmd", "run");
	sets = json_array();
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--wait") == 0 || strcmp(a, "-w") == 0)
			wait = 1;
		else if (strcmp(a, "--follow") == 0 || strcmp(a, "-f") == 0)
			follow = 1;
		else if (strcmp(a, "--cancel-on-interrupt") == 0)
			cancel_on_int = 1;
		else if ((strcmp(a, "--strategy") == 0 ||
		    strcmp(a, "--concurrency") == 0 ||
		    strcmp(a, "--set") == 0) && i + 1 == argc) {
			json_decref(req);
			json_decref(sets);
			return usage_error(&cmd_run_entry, "%s needs a value",
			    a);
		} else if (strcmp(a, "--strategy") == 0)
			json_object_set_new(req, "strategy",
			    json_string(argv[++i]));
		else if (strcmp(a, "--concurrency") == 0) {
			char	*end;
			long	 n;

			errno = 0;
			n = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || n < 1 ||
			    errno != 0) {
				json_decref(req);
				json_decref(sets);
				return usage_error(&cmd_run_entry,
				    "--concurrency: expected a positive "
				    "integer, got \"%s\"", argv[i]);
			}
			json_object_set_new(req, "concurrency",
			    json_integer(n));
		} else if (strcmp(a, "--set") == 0)
			json_array_append_new(sets, json_string(argv[++i]));
		else if (a[0] == '-' || job != NULL) {
			json_decref(req);
			json_decref(sets);
			return usage_error(&cmd_run_entry, "unexpected "
			    "argument \"%s\"", a);
		} else
			job = a;
	}
	if (job == NULL) {
		json_decref(req);
		json_decref(sets);
		return usage_error(&cmd_run_entry, "expects a job name");
	}
	json_object_set_new(req, "job", json_string(job));
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
		return follow_run(id, cancel_on_int);
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
	json_decref(rep);
	return rc;
}

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "NAME [--strategy S] [--concurrency N] [--set k=v] [--wait|--follow]",
	.summary = "start a run of a job",
	.needs_daemon = 1,
	.exec = cmd_run,
};
