/*
 * cmd-check.c - weftctl check FILE...: judge job files, printing every
 * error with file:line:column.  When weftd answers, it judges them as
 * it would run them: the loader, the catalog (do the workload and the
 * strategy exist?) and the workload's own check of its params.
 * Otherwise the files are checked here with the daemon's own loader,
 * and weftctl says that names and params were not checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

/*
 * ask_weftd - weftd's judgement of one file's text: its errors and, if
 * none, the job's summary.  NULL (and *why) if weftd would not judge.
 */
static json_t *
ask_weftd(const char *file, const char *text, char **why)
{
	json_t	*rep;

	rep = client_request(json_pack("{s:s, s:s, s:s}", "cmd", "check",
	    "file", file, "text", text), NULL);
	if (rep == NULL) {
		*why = xstrdup("weftd did not answer");
		return NULL;
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		xasprintf(why, "weftd refused: %s", jstr(rep, "error"));
		json_decref(rep);
		return NULL;
	}
	return rep;
}

/* check_offline - the loader's judgement alone, as ask_weftd's reply. */
static json_t *
check_offline(const char *file, char *text, size_t len)
{
	struct errlist	 el = { 0 };
	struct job	*j = job_parse(file, text, len, &el);
	json_t		*rep = json_pack("{s:[]}", "errors");

	for (size_t k = 0; k < el.n; k++)
		json_array_append_new(json_object_get(rep, "errors"),
		    json_string(el.v[k]));
	if (j != NULL)
		json_object_set_new(rep, "job", json_pack("{s:s, s:s, s:s, "
		    "s:s}", "name", j->name, "workload", j->workload,
		    "strategy", j->strategy, "schedule", j->sched_text));
	job_free(j);
	errlist_clear(&el);
	return rep;
}

static int
cmd_check(struct args *a)
{
	json_t	*out = json_array();
	int	 bad = 0, online = client_available();
	char	*why = NULL;

	if (!online)
		xasprintf(&why, "weftd is not answering on %s", socket_path);
	for (int i = 0; i < a->argc; i++) {
		const char	*file = a->argv[i];
		json_t		*rep = NULL, *errs, *e, *j;
		char		*text, *cause;
		size_t		 len, k;

		if (yaml_read_file(file, &text, &len, &cause) != 0) {
			rep = json_pack("{s:[s]}", "errors", cause);
			free(cause);
		} else {
			if (online && (rep = ask_weftd(file, text, &why)) ==
			    NULL)
				online = 0;
			if (rep == NULL)
				rep = check_offline(file, text, len);
			else
				free(text);
		}
		errs = json_object_get(rep, "errors");
		j = json_object_get(rep, "job");
		json_array_foreach(errs, k, e)
			if (!json_output)
				fprintf(stderr, "%s\n", json_string_value(e));
		if (json_array_size(errs) == 0 && j != NULL && !json_output)
			printf("%s: ok (job %s: workload %s, strategy %s, %s)\n",
			    file, jstr(j, "name"), jstr(j, "workload"),
			    jstr(j, "strategy"), jstr(j, "schedule"));
		bad += json_array_size(errs) != 0;
		json_array_append_new(out, json_pack("{s:s, s:b, s:O}",
		    "file", file, "ok", json_array_size(errs) == 0, "errors",
		    errs));
		json_decref(rep);
	}
	if (json_output)
		print_json(out);
	if (why != NULL)
		fprintf(stderr, "weftctl check: plugin names and params were "
		    "not checked (%s); weftd --check checks everything\n", why);
	json_decref(out);
	free(why);
	return bad ? 1 : 0;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.args = "FILE...",
	.need = "job files",
	.lower = 1,
	.upper = -1,
	.summary = "validate job files (with weftd's plugins, if it runs)",
	.exec = cmd_check,
};
