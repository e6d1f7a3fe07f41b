/*
 * cmd-check.c - weftctl check FILE...: validate job files offline,
 * without a daemon, printing every error with file:line:column.
 * Whether the named plugins exist is weftd --check's business.
 */
#include <stdio.h>

#include "weftctl.h"

static int
cmd_check(struct args *a)
{
	struct errlist	 el = { 0 };
	json_t		*out = json_array();
	int		 bad = 0, argc = a->argc;
	char		**argv = a->argv;

	for (int i = 0; i < argc; i++) {
		struct job	*j = job_load(argv[i], &el);
		json_t		*errs = json_array();

		for (size_t k = 0; k < el.n; k++) {
			if (!json_output)
				fprintf(stderr, "%s\n", el.v[k]);
			json_array_append_new(errs, json_string(el.v[k]));
		}
		if (j != NULL && !json_output)
			printf("%s: ok (job %s: workload %s, strategy %s, "
			    "%s)\n", argv[i], j->name, j->workload,
			    j->strategy, j->sched_text);
		json_array_append_new(out, json_pack("{s:s, s:b, s:o}",
		    "file", argv[i], "ok", j != NULL, "errors", errs));
		bad += j == NULL;
		job_free(j);
		errlist_clear(&el);
	}
	if (json_output)
		print_json(out);
	json_decref(out);
	return bad ? 1 : 0;
}

const struct cmd_entry cmd_check_entry = {
	.name = "check",
	.args = "FILE...",
	.need = "job files",
	.lower = 1,
	.upper = -1,
	.summary = "validate job files offline",
	.exec = cmd_check,
};
