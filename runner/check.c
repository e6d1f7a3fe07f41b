/*
 * check.c - CHECK: let a job's workload judge its params, as a run
 * would, without running anything (`weftd --check`, `weftctl check`).
 * Every error the workload reports comes back with its position.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

void
runner_check(const struct proto_check *req)
{
	const struct weft_plugin	*d;
	const struct weft_workload_ops	*ops;
	struct proto_params		 reply;
	struct errlist			 el = { 0 };
	struct job			*job;
	struct ynode			*params;
	void				*state;
	size_t				 n = 0;
	int				 fd = SUPERVISOR_FD;

	job = job_parse(req->file, xstrdup(req->text), strlen(req->text),
	    &el);
	reply.errors = json_array();
	if (job == NULL) {
		for (size_t i = 0; i < el.n; i++)
			json_array_append_new(reply.errors,
			    json_string(el.v[i]));
		proto_send(fd, PROTO_PARAMS, &reply);
		_exit(0);
	}
	d = plugin_load(fd, req->workload_path, WEFT_KIND_WORKLOAD,
	    job->workload);
	ops = d->ops;
	params = job->params ? job->params : ynode_new_map(job->doc, "params");
	state = ops->init(&host, (const struct weft_node *)params, &n);
	for (size_t i = 0; i < job->doc->errs.n; i++)
		json_array_append_new(reply.errors,
		    json_string(job->doc->errs.v[i]));
	if (state == NULL && job->doc->errs.n == 0) {
		char *m;

		xasprintf(&m, "%s: workload %s refused its params (see the "
		    "log)", job->file, job->workload);
		json_array_append_new(reply.errors, json_string(m));
		free(m);
	}
	if (state != NULL && ops->fini != NULL)
		ops->fini(state);
	proto_send(fd, PROTO_PARAMS, &reply);
	_exit(0);
}
