/*
 * ctl-check.c - "check": judge a job file's text as weftd would run it
 * (weftctl check asks this when weftd answers): the loader's errors,
 * the catalog (does the workload, the strategy exist?) and the
 * workload's own judgement of its params, asked of a weft-runner
 * (CHECK) without blocking the loop: the answer comes when the runner
 * has spoken, or after CHECK_TIMEOUT_S.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define CHECK_TIMEOUT_S	10

struct check {
	struct conn		*conn;
	json_t			*errors;	/* what is known so far */
	json_t			*job;		/* name, workload, strategy */
	char			*workload;
	pid_t			 pid;
	int			 fd;
	struct evbuffer		*in;
	struct event		*ev_read, *ev_timeout;
	TAILQ_ENTRY(check)	 entry;
};
static TAILQ_HEAD(, check) checks = TAILQ_HEAD_INITIALIZER(checks);

static void
check_free(struct check *k)
{
	TAILQ_REMOVE(&checks, k, entry);
	if (k->pid > 0)
		kill(k->pid, SIGKILL);	/* reaped by runs_reap */
	if (k->ev_read != NULL)
		event_free(k->ev_read);
	if (k->ev_timeout != NULL)
		event_free(k->ev_timeout);
	if (k->in != NULL)
		evbuffer_free(k->in);
	if (k->fd >= 0)
		close(k->fd);
	json_decref(k->errors);
	json_decref(k->job);
	free(k->workload);
	free(k);
}

/* answer - reply with everything found, and forget the check. */
static void
answer(struct check *k)
{
	k->pid = -1;
	conn_reply(k->conn, json_pack("{s:O, s:O?}", "errors", k->errors,
	    "job", json_array_size(k->errors) ? NULL : k->job));
	check_free(k);
}

/* checks_forget_conn - the client went away: stop its checks. */
void
checks_forget_conn(struct conn *c)
{
	struct check *k, *tmp;

	for (k = TAILQ_FIRST(&checks); k != NULL; k = tmp) {
		tmp = TAILQ_NEXT(k, entry);
		if (k->conn == c)
			check_free(k);
	}
}

static void
add_error(struct check *k, const char *fmt, ...) PRINTFLIKE(2, 3);

static void
add_error(struct check *k, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	json_array_append_new(k->errors, json_string(m));
	free(m);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct check *k = arg;

	add_error(k, "workload %s did not judge its params within %d s "
	    "(its init hangs?)", k->workload, CHECK_TIMEOUT_S);
	kill(k->pid, SIGKILL);
	answer(k);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct check		*k = arg;
	struct proto_msg	 m;
	size_t			 used, i;
	json_t			*e;
	char			 err[256];
	int			 n, rc;

	n = evbuffer_read(k->in, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	rc = proto_parse(evbuffer_pullup(k->in, -1),
	    evbuffer_get_length(k->in), &used, &m, err, sizeof err);
	if (rc == 0 && n > 0)
		return;		/* more to come */
	if (rc == 1 && m.type == PROTO_PARAMS)
		json_array_foreach(m.u.params.errors, i, e)
			json_array_append(k->errors, e);
	else if (rc == 1 && m.type == PROTO_ERROR)
		add_error(k, "%s", m.u.error.message);
	else
		add_error(k, "workload %s crashed or failed while judging "
		    "its params%s%s", k->workload, rc < 0 ? ": " : "",
		    rc < 0 ? err : "");
	if (rc == 1)
		proto_clear(&m);
	answer(k);
}

static void
ctl_check(struct conn *c, json_t *req)
{
	const char		*file = json_string_value(json_object_get(req,
				    "file"));
	const char		*text = json_string_value(json_object_get(req,
				    "text"));
	const struct plugin	*wp;
	struct errlist		 el = { 0 };
	struct proto_check	 msg;
	struct check		*k;
	struct job		*j;
	struct timeval		 tv = { CHECK_TIMEOUT_S, 0 };
	char			*cause, fdpath[64];

	if (file == NULL || text == NULL) {
		conn_fail(c, "check: expected \"file\" and \"text\" strings");
		return;
	}
	k = xcalloc(1, sizeof *k);
	k->conn = c;
	k->fd = -1;
	k->errors = json_array();
	TAILQ_INSERT_TAIL(&checks, k, entry);
	j = job_parse(file, xstrdup(text), strlen(text), &el);
	if (j == NULL || weftd_check_job(j, weftd.catalog, &el) != 0) {
		for (size_t i = 0; i < el.n; i++)
			add_error(k, "%s", el.v[i]);
		errlist_clear(&el);
		job_free(j);
		answer(k);
		return;
	}
	k->job = json_pack("{s:s, s:s, s:s, s:s}", "name", j->name,
	    "workload", j->workload, "strategy", j->strategy, "schedule",
	    j->sched_text);
	k->workload = xstrdup(j->workload);
	wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD, j->workload);
	if (runner_spawn(SPAWN_QUIET, &wp->fd, 1, &k->fd, &k->pid,
	    &cause) != 0) {
		add_error(k, "%s: params not checked: %s", file, cause);
		free(cause);
		job_free(j);
		answer(k);
		return;
	}
	msg.file = file;
	msg.text = text;
	snprintf(fdpath, sizeof fdpath, PLUGIN_FD_PATH, 4);
	msg.workload_path = fdpath;
	msg.log_level = log_getlevel();
	msg.log_dest = weftd.log_dest;
	if (proto_send(k->fd, PROTO_CHECK, &msg) != 0)
		log_warn("check: sending the job to a runner");
	job_free(j);
	k->in = evbuffer_new();
	evutil_make_socket_nonblocking(k->fd);
	k->ev_read = event_new(weftd.base, k->fd, EV_READ | EV_PERSIST,
	    on_read, k);
	event_add(k->ev_read, NULL);
	k->ev_timeout = evtimer_new(weftd.base, on_timeout, k);
	evtimer_add(k->ev_timeout, &tv);
}

/* It runs plugin code on the sender's input: for trusted peers only. */
const struct handler ctl_check_entry = {
	.name = "check",
	.changes_state = 1,
	.exec = ctl_check,
};
