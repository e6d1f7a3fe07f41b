/*
 * handlers.c - the control protocol's commands.  Each handler gets the
 * connection and the request object and answers with conn_reply, now or
 * (run --wait) when the run ends.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"
#include "handlers.h"

static void
fail_reply(struct conn *c, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
fail_reply(struct conn *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	conn_reply(c, json_pack("{s:b, s:s}", "ok", 0, "error", m));
	free(m);
}

static struct job *
req_job(struct conn *c, json_t *req)
{
	const char	*name = json_string_value(json_object_get(req, "job"));
	struct job	*j;

	if (name == NULL) {
		fail_reply(c, "missing \"job\"");
		return NULL;
	}
	if ((j = config_find_job(weftd.conf, name)) == NULL)
		fail_reply(c, "no job named \"%s\" (see weftctl jobs)", name);
	return j;
}

static int
req_id(struct conn *c, json_t *req, long long *id)
{
	json_t *v = json_object_get(req, "id");

	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		fail_reply(c, "missing or bad run \"id\" (a positive integer)");
		return -1;
	}
	*id = json_integer_value(v);
	return 0;
}

static json_t *
errors_json(const struct errlist *el)
{
	json_t *a = json_array();

	for (size_t i = 0; i < el->n; i++)
		json_array_append_new(a, json_string(el->v[i]));
	return a;
}

static void
h_status(struct conn *c, json_t *req)
{
	size_t	ok = 0;

	for (size_t i = 0; i < weftd.catalog->n; i++)
		ok += weftd.catalog->v[i].rejected == NULL;
	conn_reply(c, json_pack("{s:I, s:s, s:I, s:s?, s:s, s:s, s:I, s:i, "
	    "s:i, s:i, s:I, s:I, s:o}", "pid", (json_int_t)getpid(),
	    "version", PACKAGE_VERSION, "uptime_s",
	    (json_int_t)(time(NULL) - weftd.started), "config",
	    weftd.conf->path, "socket", weftd.conf->socket, "state_dir",
	    weftd.conf->state_dir, "jobs", (json_int_t)weftd.conf->njobs,
	    "jobs_rejected", weftd.bad_jobs, "runs_active", runs_active(),
	    "max_concurrent_runs", weftd.conf->max_concurrent_runs,
	    "plugins_ok", (json_int_t)ok, "plugins_rejected",
	    (json_int_t)(weftd.catalog->n - ok), "load_errors",
	    errors_json(&weftd.load_errors)));
}

static json_t *
job_json(struct job *j)
{
	json_t	*o = job_to_json(j), *runs, *p;
	char	 why[256], *next;

	json_object_set_new(o, "state", json_string(job_problem(j, why,
	    sizeof why) ? why : "ok"));
	if ((p = job_progress(j->name)) != NULL)
		json_object_set_new(o, "running", p);
	if ((next = schedule_next_text(j)) != NULL) {
		json_object_set_new(o, "next_run", json_string(next));
		free(next);
	}
	runs = runs_list(j->name, 1);
	for (size_t i = 0; i < json_array_size(runs); i++) {
		json_t *r = json_array_get(runs, i);

		if (json_object_get(r, "ended") == NULL)
			continue;
		json_object_set_new(o, "last_run", json_pack("{s:O, s:O, s:O, "
		    "s:O}", "id", json_object_get(r, "id"), "status",
		    json_object_get(r, "status"), "ended",
		    json_object_get(r, "ended"), "wall_s",
		    json_object_get(r, "wall_s")));
		break;
	}
	json_decref(runs);
	return o;
}

static void
h_jobs(struct conn *c, json_t *req)
{
	json_t		*a = json_array();
	struct job	*j;

	TAILQ_FOREACH(j, &weftd.conf->jobs, entry)
		json_array_append_new(a, job_json(j));
	conn_reply(c, json_pack("{s:o}", "jobs", a));
}

static void
h_job_show(struct conn *c, json_t *req)
{
	struct job	*j;
	json_t		*o;

	if ((j = req_job(c, req)) == NULL)
		return;
	o = job_json(j);
	json_object_set_new(o, "recent_runs", runs_list(j->name, 5));
	conn_reply(c, json_pack("{s:o}", "job", o));
}

/* parse_set - "key=value" as a one-key params document, or NULL. */
static struct ydoc *
parse_set(const char *kv, char **cause)
{
	const char	*eq = strchr(kv, '=');
	char		*text, *err, *key;
	struct ydoc	*d;

	if (eq == NULL || eq == kv) {
		xasprintf(cause, "--set %s: expected key=value", kv);
		return NULL;
	}
	key = xstrndup(kv, (size_t)(eq - kv));
	if (!valid_name(key)) {
		xasprintf(cause, "--set %s: \"%s\" is not a parameter name",
		    kv, key);
		free(key);
		return NULL;
	}
	xasprintf(&text, "params:\n  %s: %s\n", key, eq + 1);
	d = ydoc_load("--set", text, strlen(text), &err);
	free(text);
	free(key);
	if (d == NULL || d->root == NULL || d->root->kind != YNODE_MAP ||
	    ynode_get(d->root, "params") == NULL ||
	    ynode_get(d->root, "params")->kind != YNODE_MAP ||
	    ynode_get(d->root, "params")->n != 1) {
		xasprintf(cause, "--set %s: the value is not valid YAML%s%s",
		    kv, err ? ": " : "", err ? err : "");
		free(err);
		ydoc_free(d);
		return NULL;
	}
	return d;
}

static void
h_run(struct conn *c, json_t *req)
{
	struct job		*j;
	struct run_request	*rr;
	json_t			*sets, *v, *info;
	const char		*s;
	char			*cause;
	size_t			 i;

	if ((j = req_job(c, req)) == NULL)
		return;
	rr = xcalloc(1, sizeof *rr);
	rr->job = j;
	rr->trigger = xstrdup("manual");
	if ((s = json_string_value(json_object_get(req, "strategy"))) != NULL) {
		if (!valid_name(s)) {
			fail_reply(c, "bad strategy name \"%s\"", s);
			goto fail;
		}
		rr->strategy = xstrdup(s);
	}
	v = json_object_get(req, "concurrency");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 100000) {
			fail_reply(c, "concurrency: expected an integer from 1 "
			    "to 100000");
			goto fail;
		}
		rr->concurrency = (long)json_integer_value(v);
	}
	sets = json_object_get(req, "set");
	json_array_foreach(sets, i, v) {
		struct ydoc *d;

		if (!json_is_string(v) ||
		    (d = parse_set(json_string_value(v), &cause)) == NULL) {
			if (!json_is_string(v))
				cause = xstrdup("set: expected strings");
			fail_reply(c, "%s", cause);
			free(cause);
			goto fail;
		}
		rr->sets = xreallocarray(rr->sets, rr->nsets + 1,
		    sizeof *rr->sets);
		rr->sets[rr->nsets++] = d;
	}
	if (run_start(rr, &info, &cause) != 0) {
		fail_reply(c, "%s", cause);
		free(cause);
		return;
	}
	if (json_is_true(json_object_get(req, "wait"))) {
		run_add_waiter(json_integer_value(json_object_get(info, "id")),
		    c);
		conn_reply_more(c, json_pack("{s:o}", "run", info));
	} else
		conn_reply(c, json_pack("{s:o}", "run", info));
	return;
fail:
	run_request_free(rr);
}

static void
h_runs(struct conn *c, json_t *req)
{
	const char	*job = json_string_value(json_object_get(req, "job"));
	json_t		*lim = json_object_get(req, "limit");
	int		 limit = 20;

	if (json_is_integer(lim))
		limit = (int)json_integer_value(lim);
	conn_reply(c, json_pack("{s:o}", "runs", runs_list(job, limit)));
}

static void
h_run_show(struct conn *c, json_t *req)
{
	long long	 id;
	json_t		*o;

	if (req_id(c, req, &id) != 0)
		return;
	if ((o = run_lookup(id)) == NULL) {
		fail_reply(c, "no run %lld (see weftctl runs)", id);
		return;
	}
	conn_reply(c, json_pack("{s:o}", "run", o));
}

static void
h_trace(struct conn *c, json_t *req)
{
	long long	 id;
	json_t		*o;
	char		*cause;

	if (req_id(c, req, &id) != 0)
		return;
	if ((o = run_trace(id, &cause)) == NULL) {
		fail_reply(c, "%s", cause);
		free(cause);
		return;
	}
	conn_reply(c, json_pack("{s:o}", "trace", o));
}

static void
h_cancel(struct conn *c, json_t *req)
{
	long long	 id;
	char		*cause;

	if (req_id(c, req, &id) != 0)
		return;
	if (run_cancel(id, &cause) != 0) {
		fail_reply(c, "%s", cause);
		free(cause);
		return;
	}
	conn_reply(c, json_pack("{s:I}", "cancelled", (json_int_t)id));
}

static void
h_plugins(struct conn *c, json_t *req)
{
	conn_reply(c, json_pack("{s:o}", "plugins",
	    catalog_to_json(weftd.catalog)));
}

static void
h_reload(struct conn *c, json_t *req)
{
	struct errlist el = { 0 };

	if (weftd_reload(&el) != 0) {
		conn_reply(c, json_pack("{s:b, s:s, s:o}", "ok", 0, "error",
		    "reload refused; the previous configuration stays",
		    "errors", errors_json(&el)));
		errlist_clear(&el);
		return;
	}
	conn_reply(c, json_pack("{s:I, s:I}", "jobs",
	    (json_int_t)weftd.conf->njobs, "plugins",
	    (json_int_t)weftd.catalog->n));
}

static const struct handler h_status_entry = { "status", 0, h_status };
static const struct handler h_jobs_entry = { "jobs", 0, h_jobs };
static const struct handler h_job_show_entry = { "job.show", 0, h_job_show };
static const struct handler h_run_entry = { "run", 1, h_run };
static const struct handler h_runs_entry = { "runs", 0, h_runs };
static const struct handler h_run_show_entry = { "run.show", 0, h_run_show };
static const struct handler h_cancel_entry = { "cancel", 1, h_cancel };
static const struct handler h_plugins_entry = { "plugins", 0, h_plugins };
static const struct handler h_reload_entry = { "reload", 1, h_reload };
static const struct handler h_trace_entry = { "trace", 0, h_trace };

const struct handler *const handlers[] = {
	&h_status_entry, &h_jobs_entry, &h_job_show_entry, &h_run_entry,
	&h_runs_entry, &h_run_show_entry, &h_cancel_entry, &h_plugins_entry,
	&h_reload_entry, &h_trace_entry, NULL,
};
