/*
 * ctl-reload.c - "reload": re-read the configuration, the jobs and the
 * plugin directories, as SIGHUP does; the errors come back (a refused
 * reload is an error; rejected job files are listed with a reload that
 * took place).
 */
#include "weftd.h"

static void
ctl_reload(struct conn *c, json_t *req)
{
	struct errlist el = { 0 };

	if (weftd_reload(&el) != 0) {
		conn_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
		    "reload refused; the previous configuration stays",
		    "errors", errors_json(&el)));
		errlist_clear(&el);
		return;
	}
	conn_reply(c, json_pack("{s:I, s:I, s:i, s:o}", "jobs",
	    (json_int_t)weftd.conf->njobs, "plugins",
	    (json_int_t)weftd.catalog->n, "jobs_rejected", weftd.bad_jobs,
	    "errors", errors_json(&el)));
	errlist_clear(&el);
}

const struct handler ctl_reload_entry = {
	.name = "reload",
	.changes_state = 1,
	.exec = ctl_reload,
};
