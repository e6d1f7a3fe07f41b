/*
 * run.c - the supervisor's side of runs: start a runner child, read its
 * framed messages, enforce the job's timeout, reap it, and turn what it
 * said and how it ended into the run record, which is appended (and
 * fsync'd) to the metrics log and the run history.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

struct waiter {
	struct conn		*conn;
	TAILQ_ENTRY(waiter)	 entry;
};

struct run {
	long long		 id;
	char			*job;
	char			*workload;
	char			*strategy;
	char			*trigger;
	long			 concurrency;
	pid_t			 pid;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_timeout;
	struct event		*ev_kill;
	struct evbuffer		*in;
	double			 started_wall, started_mono;
	int			 reaped, eof;
	int			 wstatus;
	struct rusage		 ru;
	int			 timed_out, cancelled;
	int			 auto_picked;	/* strategy: auto chose */
	uint64_t		 timeout_ms;
	json_t			*record;	/* what the runner reported */
	json_t			*trace;		/* its task timeline */
	char			*error;		/* an error message from it */
	long long		 done, failed, total;
	long long		 units_done, units_total;
	struct run_shared	*shared;
	TAILQ_HEAD(, waiter)	 waiters;
	TAILQ_ENTRY(run)	 entry;
};

static TAILQ_HEAD(runq, run) active = TAILQ_HEAD_INITIALIZER(active);
static int		 nactive;
static json_t		*history;	/* records, oldest first */
static long long	 next_id = 1;

static void	run_finish(struct run *);

static char *
history_path(void)
{
	char *p;

	xasprintf(&p, "%s/history.jsonl", weftd.conf->state_dir);
	return p;
}

/* runs_init - load the run history kept in the state directory. */
void
runs_init(void)
{
	char		*path = history_path(), *line = NULL;
	FILE		*f;
	size_t		 cap = 0;
	ssize_t		 n;
	long		 lineno = 0;
	size_t		 keep = (size_t)weftd.conf->history_size;

	history = json_array();
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			log_warn("run history %s", path);
		free(path);
		return;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t		*o;
		json_error_t	 err;

		lineno++;
		if ((o = json_loads(line, 0, &err)) == NULL ||
		    !json_is_integer(json_object_get(o, "id"))) {
			log_warnx("%s:%ld: skipping a damaged history line: %s",
			    path, lineno, o ? "no id" : err.text);
			json_decref(o);
			continue;
		}
		if (json_integer_value(json_object_get(o, "id")) >= next_id)
			next_id = json_integer_value(json_object_get(o,
			    "id")) + 1;
		json_array_append_new(history, o);
		if (json_array_size(history) > keep)
			json_array_remove(history, 0);
	}
	free(line);
	fclose(f);
	/* Keep the file from growing without bound: rewrite what we keep. */
	if ((size_t)lineno > 2 * keep) {
		char	*tmp;
		FILE	*t;

		xasprintf(&tmp, "%s.tmp", path);
		if ((t = fopen(tmp, "w")) != NULL) {
			size_t	 i;
			json_t	*o;

			json_array_foreach(history, i, o) {
				json_dumpf(o, t, JSON_COMPACT);
				fputc('\n', t);
			}
			if (fflush(t) == 0 && fsync(fileno(t)) == 0 &&
			    fclose(t) == 0)
				rename(tmp, path);
			else
				unlink(tmp);
		}
		free(tmp);
	}
	log_debug("run history: %zu records, next run id %lld",
	    json_array_size(history), next_id);
	free(path);
}

/* append_line - append one JSON line to path and fsync it. */
static void
append_line(const char *path, const json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	size_t	 len = strlen(s);
	int	 fd;

	s[len] = '\n';	/* json_dumps leaves room for the NUL */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0) {
		log_warn("cannot open %s", path);
		free(s);
		return;
	}
	if (write(fd, s, len + 1) != (ssize_t)(len + 1))
		log_warn("cannot append to %s", path);
	else if (fsync(fd) != 0)
		log_warn("fsync %s", path);
	close(fd);
	free(s);
}

static struct run *
find_active(long long id)
{
	struct run *r;

	TAILQ_FOREACH(r, &active, entry)
		if (r->id == id)
			return r;
	return NULL;
}

int
runs_active(void)
{
	return nactive;
}

/* job_active - the id of the job's running run, or 0. */
int
job_active(const char *job)
{
	struct run *r;

	TAILQ_FOREACH(r, &active, entry)
		if (strcmp(r->job, job) == 0)
			return (int)r->id;
	return 0;
}

static void
iso_time(double t, char *buf, size_t len)
{
	time_t		s = (time_t)t;
	struct tm	tm;
	char		tmp[32];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, (int)((t - (double)s) * 1000));
}

/* running_json - what is known of a run still going. */
static json_t *
running_json(const struct run *r)
{
	char	 started[40];
	json_t	*o;

	iso_time(r->started_wall, started, sizeof started);
	o = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:f, "
	    "s:{s:I, s:I, s:I}}", "id", (json_int_t)r->id, "job", r->job,
	    "workload", r->workload, "strategy", r->strategy, "concurrency",
	    (json_int_t)r->concurrency, "trigger", r->trigger, "started",
	    started, "status", r->cancelled ? "cancelling" : "running",
	    "wall_s", now_mono() - r->started_mono, "tasks", "total",
	    (json_int_t)r->total, "done", (json_int_t)r->done, "failed",
	    (json_int_t)r->failed);
	if (r->units_total != 0)
		json_object_set_new(o, "units", json_pack("{s:I, s:I}", "done",
		    (json_int_t)r->units_done, "total",
		    (json_int_t)r->units_total));
	return o;
}

/* runs_list - running runs, then history newest first; job may be NULL. */
json_t *
runs_list(const char *job, int limit)
{
	json_t		*a = json_array();
	struct run	*r;
	size_t		 i;

	TAILQ_FOREACH_REVERSE(r, &active, runq, entry)
		if (job == NULL || strcmp(r->job, job) == 0)
			json_array_append_new(a, running_json(r));
	for (i = json_array_size(history); i > 0; i--) {
		json_t *o = json_array_get(history, i - 1);

		if (limit > 0 && (int)json_array_size(a) >= limit)
			break;
		if (job == NULL || strcmp(json_string_value(json_object_get(o,
		    "job")), job) == 0)
			json_array_append(a, o);
	}
	return a;
}

/* run_lookup - a run's record (or its state if running), or NULL. */
json_t *
run_lookup(long long id)
{
	struct run	*r;
	size_t		 i;
	json_t		*o;

	if ((r = find_active(id)) != NULL)
		return running_json(r);
	json_array_foreach(history, i, o)
		if (json_integer_value(json_object_get(o, "id")) == id)
			return json_incref(o);
	return NULL;
}

/* runs_tasks_in_flight - tasks of running runs not yet done. */
long long
runs_tasks_in_flight(void)
{
	struct run	*r;
	long long	 n = 0;

	TAILQ_FOREACH(r, &active, entry)
		n += r->total - r->done;
	return n;
}

/* job_progress - the running run of a job, for weftctl jobs. */
json_t *
job_progress(const char *job)
{
	struct run *r;

	TAILQ_FOREACH(r, &active, entry)
		if (strcmp(r->job, job) == 0)
			return running_json(r);
	return NULL;
}

static void
kill_group(struct run *r, int sig)
{
	if (kill(-r->pid, sig) != 0 && errno == ESRCH && !r->reaped)
		kill(r->pid, sig);
}

static void
on_kill(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	log_warnx("run %lld (%s): still running %.1fs after SIGTERM; "
	    "sending SIGKILL", r->id, r->job,
	    (double)weftd.conf->shutdown_grace_ms / 1000);
	kill_group(r, SIGKILL);
}

/*
 * stop_run - ask the runner to stop (SIGTERM: it stops handing out
 * tasks and reports what it finished), and kill its process group
 * if it has not ended within the grace period.
 */
static void
stop_run(struct run *r)
{
	struct timeval tv;

	kill_group(r, SIGTERM);
	if (r->ev_kill == NULL) {
		r->ev_kill = evtimer_new(weftd.base, on_kill, r);
		tv.tv_sec = (time_t)(weftd.conf->shutdown_grace_ms / 1000);
		tv.tv_usec = (suseconds_t)(weftd.conf->shutdown_grace_ms % 1000)
		    * 1000;
		evtimer_add(r->ev_kill, &tv);
	}
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct run	*r = arg;
	char		 d[32];

	log_warnx("run %lld (%s): timed out after %s; stopping it", r->id,
	    r->job, duration_format(r->timeout_ms, d, sizeof d));
	r->timed_out = 1;
	stop_run(r);
}

/* handle_msg - one message from a runner.  -1 if it makes no sense. */
static int
handle_msg(struct run *r, json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));

	if (strcmp(type, "progress") == 0) {
		r->done = json_integer_value(json_object_get(m, "done"));
		r->failed = json_integer_value(json_object_get(m, "failed"));
		r->total = json_integer_value(json_object_get(m, "total"));
		r->units_done = json_integer_value(json_object_get(m,
		    "units_done"));
		r->units_total = json_integer_value(json_object_get(m,
		    "units_total"));
	} else if (strcmp(type, "start") == 0) {
		r->total = json_integer_value(json_object_get(m, "total"));
		if (json_is_integer(json_object_get(m, "concurrency")))
			r->concurrency = (long)json_integer_value(
			    json_object_get(m, "concurrency"));
	} else if (strcmp(type, "record") == 0) {
		if (r->record != NULL ||
		    !json_is_object(json_object_get(m, "tasks")))
			return -1;
		r->record = json_incref(m);
	} else if (strcmp(type, "trace") == 0) {
		if (r->trace != NULL ||
		    !json_is_array(json_object_get(m, "tasks")))
			return -1;
		r->trace = json_incref(m);
	} else if (strcmp(type, "error") == 0) {
		const char *s = json_string_value(json_object_get(m,
		    "message"));

		if (s == NULL || r->error != NULL)
			return -1;
		r->error = xstrdup(s);
	} else
		return -1;
	return 0;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct run	*r = arg;
	int		 n;
	size_t		 used;
	json_t		*m;
	char		 err[256];

	n = evbuffer_read(r->in, fd, 65536);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		event_del(r->ev_read);
		r->eof = 1;
		if (r->reaped)
			run_finish(r);
		return;
	}
	for (;;) {
		size_t		 len = evbuffer_get_length(r->in), want;
		unsigned char	 hdr[4], *p;
		int		 rc;

		/*
		 * Linearize only a whole frame: a large one (a timeline)
		 * arrives in many reads, and copying the buffer at each
		 * would make it quadratic.  frame_parse still checks it.
		 */
		if (evbuffer_copyout(r->in, hdr, sizeof hdr) < (ssize_t)sizeof hdr)
			return;
		want = 4 + ((size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 |
		    (size_t)hdr[2] << 8 | hdr[3]);
		if (want <= FRAME_MAX + 4 && len < want)
			return;	/* wait for the rest of the frame */
		p = evbuffer_pullup(r->in, (ssize_t)(len < want ? len : want));
		rc = frame_parse(p, len < want ? len : want, &used, &m, err,
		    sizeof err);
		if (rc == 1) {
			rc = handle_msg(r, m) == 0 ? 1 : -1;
			if (rc < 0)
				snprintf(err, sizeof err, "unexpected message");
			json_decref(m);
			evbuffer_drain(r->in, used);
		}
		if (rc < 0) {
			log_warnx("run %lld (%s): runner sent garbage (%s); "
			    "killing it", r->id, r->job, err);
			if (r->error == NULL)
				xasprintf(&r->error, "runner sent a corrupt "
				    "message: %s", err);
			event_del(r->ev_read);
			r->eof = 1;
			kill_group(r, SIGKILL);
			return;
		}
	}
}

/*
 * run_start - start a run of req->job.  On success returns 0 with *info
 * describing the new run; else -1 with the reason in *cause.  Takes
 * ownership of req in both cases.
 */
int
run_start(struct run_request *req, json_t **info, char **cause)
{
	const struct job	*job = req->job;
	const struct plugin	*wp, *sp;
	const char		*strategy = req->strategy ? req->strategy :
				    job->strategy;
	struct run		*r;
	struct run_shared	*sh;
	int			 fds[2], auto_picked = 0;
	pid_t			 pid;

	*cause = NULL;
	if (weftd.stopping) {
		xasprintf(cause, "weftd is shutting down; no new runs");
		goto fail;
	}
	if (!job->enabled) {
		xasprintf(cause, "job %s is disabled (enabled: false in %s)",
		    job->name, job->file);
		goto fail;
	}
	if ((wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD,
	    job->workload)) == NULL) {
		xasprintf(cause, "job %s: workload plugin \"%s\" is not "
		    "available (see weftctl plugins)", job->name,
		    job->workload);
		goto fail;
	}
	if (strcmp(strategy, "auto") == 0) {
		/* Many waits: coroutines; computation: threads. */
		strategy = (wp->traits & WEFT_TRAIT_IO_BOUND) &&
		    !(wp->traits & WEFT_TRAIT_BLOCKING) ? "coro" : "threads";
		auto_picked = 1;
	}
	if ((sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY,
	    strategy)) == NULL) {
		xasprintf(cause, "job %s: strategy plugin \"%s\" is not "
		    "available (see weftctl plugins)", job->name, strategy);
		goto fail;
	}
	if ((sp->traits & WEFT_TRAIT_MULTIPLEX) &&
	    (wp->traits & WEFT_TRAIT_BLOCKING)) {
		xasprintf(cause, "job %s: workload %s blocks its thread "
		    "without weft's task I/O primitives, so under strategy %s "
		    "(many tasks on one thread) it would stall every other "
		    "task; use strategy threads or fork", job->name,
		    job->workload, strategy);
		goto fail;
	}
	if (req->strategy == NULL || auto_picked) {
		free(req->strategy);
		req->strategy = xstrdup(strategy);
	}
	if (nactive >= weftd.conf->max_concurrent_runs) {
		xasprintf(cause, "job %s: %d runs are going, the limit "
		    "(max_concurrent_runs); try again when one ends",
		    job->name, nactive);
		goto fail;
	}
	if (pipe2(fds, O_CLOEXEC) != 0) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		goto fail;
	}
	sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		xasprintf(cause, "mmap: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	sh->crash_task = -1;
	if ((pid = fork()) < 0) {
		xasprintf(cause, "fork: %s", strerror(errno));
		munmap(sh, sizeof *sh);
		close(fds[0]);
		close(fds[1]);
		goto fail;
	}
	if (pid == 0) {
		close(fds[0]);
		runner_main(req, wp->path, sp->path, fds[1], sh);
	}
	setpgid(pid, pid);	/* as the child does: whoever runs first */
	close(fds[1]);

	r = xcalloc(1, sizeof *r);
	r->id = next_id++;
	r->job = xstrdup(job->name);
	r->workload = xstrdup(job->workload);
	r->strategy = xstrdup(strategy);
	r->auto_picked = auto_picked;
	r->trigger = xstrdup(req->trigger ? req->trigger : "manual");
	r->concurrency = req->concurrency ? req->concurrency :
	    job->concurrency;
	r->pid = pid;
	r->fd = fds[0];
	r->shared = sh;
	r->timeout_ms = job->timeout_ms;
	r->started_wall = now_wall();
	r->started_mono = now_mono();
	r->in = evbuffer_new();
	TAILQ_INIT(&r->waiters);
	evutil_make_socket_nonblocking(r->fd);
	r->ev_read = event_new(weftd.base, r->fd, EV_READ | EV_PERSIST,
	    on_read, r);
	event_add(r->ev_read, NULL);
	if (job->timeout_ms != 0) {
		struct timeval tv = { (time_t)(job->timeout_ms / 1000),
		    (suseconds_t)(job->timeout_ms % 1000) * 1000 };

		r->ev_timeout = evtimer_new(weftd.base, on_timeout, r);
		evtimer_add(r->ev_timeout, &tv);
	}
	TAILQ_INSERT_TAIL(&active, r, entry);
	nactive++;
	log_info("run %lld (%s): started (%s, %s, pid %ld)", r->id, r->job,
	    r->workload, r->strategy, (long)pid);
	*info = running_json(r);
	run_request_free(req);
	notify_status();
	return 0;
fail:
	run_request_free(req);
	return -1;
}

void
run_request_free(struct run_request *req)
{
	if (req == NULL)
		return;
	for (size_t i = 0; i < req->nsets; i++)
		ydoc_free(req->sets[i]);
	free(req->sets);
	free(req->strategy);
	free(req->trigger);
	free(req);
}

/* run_cancel - cancel a running run.  0, or -1 with *cause. */
int
run_cancel(long long id, char **cause)
{
	struct run *r = find_active(id);

	if (r == NULL) {
		json_t *o = run_lookup(id);

		if (o != NULL) {
			xasprintf(cause, "run %lld has already ended (%s)", id,
			    json_string_value(json_object_get(o, "status")));
			json_decref(o);
		} else
			xasprintf(cause, "no run %lld", id);
		return -1;
	}
	log_info("run %lld (%s): cancelling", r->id, r->job);
	r->cancelled = 1;
	stop_run(r);
	return 0;
}

void
runs_cancel_all(void)
{
	struct run *r;

	TAILQ_FOREACH(r, &active, entry) {
		r->cancelled = 1;
		stop_run(r);
	}
}

void
run_add_waiter(long long id, struct conn *c)
{
	struct run	*r = find_active(id);
	struct waiter	*w;

	if (r == NULL)
		return;
	w = xcalloc(1, sizeof *w);
	w->conn = c;
	TAILQ_INSERT_TAIL(&r->waiters, w, entry);
}

/* runs_forget_conn - a control connection closed: stop notifying it. */
void
runs_forget_conn(struct conn *c)
{
	struct run	*r;
	struct waiter	*w, *tmp;

	TAILQ_FOREACH(r, &active, entry) {
		for (w = TAILQ_FIRST(&r->waiters); w != NULL; w = tmp) {
			tmp = TAILQ_NEXT(w, entry);
			if (w->conn != c)
				continue;
			TAILQ_REMOVE(&r->waiters, w, entry);
			free(w);
		}
	}
}

/* runs_reap - collect every runner that has exited (on SIGCHLD). */
void
runs_reap(void)
{
	struct run	*r;
	pid_t		 pid;
	int		 status;
	struct rusage	 ru;

	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		TAILQ_FOREACH(r, &active, entry)
			if (r->pid == pid)
				break;
		if (r == NULL)
			continue;	/* a probe child, already handled */
		r->reaped = 1;
		r->wstatus = status;
		r->ru = ru;
		/* Leftover processes of the run would hold the pipe open. */
		kill(-pid, SIGKILL);
		if (r->eof)
			run_finish(r);
	}
}

/*
 * save_trace - keep the run's task timeline in state_dir/traces/ID.json
 * (written to a temp file and renamed), and drop the one that fell out
 * of the history.
 */
static void
save_trace(struct run *r, json_t *rec)
{
	char		*dir, *path, *tmp;
	json_t		*o;
	const char	*keys[] = { "id", "job", "workload", "strategy",
			    "concurrency", "started", "wall_s", "status" };

	xasprintf(&dir, "%s/traces", weftd.conf->state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_warn("cannot make %s", dir);
		free(dir);
		return;
	}
	o = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		json_object_set(o, keys[i], json_object_get(rec, keys[i]));
	json_object_set(o, "tasks", json_object_get(r->trace, "tasks"));
	json_object_set(o, "not_kept", json_object_get(r->trace,
	    "not_kept"));
	xasprintf(&path, "%s/%lld.json", dir, r->id);
	xasprintf(&tmp, "%s/.%lld.json.tmp", dir, r->id);
	if (json_dump_file(o, tmp, JSON_COMPACT | JSON_REAL_PRECISION(9)) !=
	    0 || rename(tmp, path) != 0) {
		log_warn("cannot write %s", path);
		unlink(tmp);
	}
	free(path);
	if (r->id > weftd.conf->history_size) {
		xasprintf(&path, "%s/%lld.json", dir,
		    r->id - weftd.conf->history_size);
		unlink(path);
		free(path);
	}
	free(tmp);
	free(dir);
	json_decref(o);
}

/* run_trace - a finished run's timeline, or NULL (and why). */
json_t *
run_trace(long long id, char **cause)
{
	char		*path;
	json_t		*o;
	json_error_t	 err;

	if (find_active(id) != NULL) {
		xasprintf(cause, "run %lld is still going; its timeline is "
		    "kept when it ends", id);
		return NULL;
	}
	xasprintf(&path, "%s/traces/%lld.json", weftd.conf->state_dir, id);
	if ((o = json_load_file(path, 0, &err)) == NULL)
		xasprintf(cause, "no timeline for run %lld (%s)", id,
		    err.text);
	free(path);
	return o;
}

/* status_of - the run's final status, as the record says it. */
static char *
status_of(struct run *r, const json_t *rec)
{
	char		*s;
	int		 sig;
	long long	 task;

	if (r->timed_out)
		return xstrdup("timed out");
	if (r->cancelled)
		return xstrdup("cancelled");
	if (r->record != NULL && WIFEXITED(r->wstatus) &&
	    WEXITSTATUS(r->wstatus) == 0) {
		json_t *t = json_object_get(rec, "tasks");

		return xstrdup(json_integer_value(json_object_get(t,
		    "failed")) || json_integer_value(json_object_get(t,
		    "cancelled")) ? "failed" : "ok");
	}
	if (WIFSIGNALED(r->wstatus)) {
		sig = WTERMSIG(r->wstatus);
		task = r->shared->crash_task;
		if (r->shared->crash_signal == sig && task >= 0 &&
		    r->shared->stack_overflow)
			xasprintf(&s, "crashed: stack overflow (%s) in task "
			    "%lld", signal_name(sig), task);
		else if (r->shared->crash_signal == sig && task >= 0)
			xasprintf(&s, "crashed: %s in task %lld",
			    signal_name(sig), task);
		else
			xasprintf(&s, "crashed: %s", signal_name(sig));
		return s;
	}
	return xstrdup("failed");
}

/* run_finish - the runner has exited and its pipe is drained. */
static void
run_finish(struct run *r)
{
	json_t		*rec, *tasks;
	char		 started[40], ended[40], *status;
	double		 wall = now_mono() - r->started_mono;
	double		 user, sys;
	long long	 ok, failed, total;
	struct waiter	*w;
	char		*path;

	user = (double)r->ru.ru_utime.tv_sec + r->ru.ru_utime.tv_usec / 1e6;
	sys = (double)r->ru.ru_stime.tv_sec + r->ru.ru_stime.tv_usec / 1e6;
	iso_time(r->started_wall, started, sizeof started);
	iso_time(r->started_wall + wall, ended, sizeof ended);

	rec = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:f, s:f, "
	    "s:f, s:I}", "id", (json_int_t)r->id, "job", r->job, "workload",
	    r->workload, "strategy", r->strategy, "concurrency",
	    (json_int_t)r->concurrency, "trigger", r->trigger, "started",
	    started, "ended", ended, "wall_s", wall, "user_s", user, "sys_s",
	    sys, "max_rss_kb", (json_int_t)r->ru.ru_maxrss);
	if (r->auto_picked)
		json_object_set_new(rec, "strategy_picked_by",
		    json_string("auto"));
	if (r->record != NULL) {
		const char *keys[] = { "strategy", "concurrency", "tasks",
		    "latency_s", "summary", "results", "results_truncated",
		    "failures" };

		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
			json_t *v = json_object_get(r->record, keys[i]);

			if (v != NULL)
				json_object_set(rec, keys[i], v);
		}
	} else {
		/* The runner died: report what its progress said. */
		long long cancelled = r->total - r->done;

		json_object_set_new(rec, "tasks", json_pack("{s:I, s:I, s:I, "
		    "s:I}", "total", (json_int_t)r->total, "ok",
		    (json_int_t)(r->done - r->failed), "failed",
		    (json_int_t)r->failed, "cancelled",
		    (json_int_t)(cancelled > 0 ? cancelled : 0)));
	}
	tasks = json_object_get(rec, "tasks");
	total = json_integer_value(json_object_get(tasks, "total"));
	ok = json_integer_value(json_object_get(tasks, "ok"));
	failed = json_integer_value(json_object_get(tasks, "failed"));
	json_object_set_new(rec, "tasks_per_s", json_real(wall > 0 ?
	    (double)(ok + failed) / wall : 0));
	status = status_of(r, rec);
	json_object_set_new(rec, "status", json_string(status));
	if (r->error != NULL)
		json_object_set_new(rec, "error", json_string(r->error));
	else if (r->record == NULL && WIFEXITED(r->wstatus)) {
		xasprintf(&r->error, "runner exited with status %d and no "
		    "record", WEXITSTATUS(r->wstatus));
		json_object_set_new(rec, "error", json_string(r->error));
	}

	path = xstrdup(weftd.conf->metrics_log);
	append_line(path, rec);
	free(path);
	if (r->trace != NULL)
		save_trace(r, rec);
	path = history_path();
	append_line(path, rec);
	free(path);
	json_array_append(history, rec);
	metrics_record(rec);
	while (json_array_size(history) > (size_t)weftd.conf->history_size)
		json_array_remove(history, 0);

	log_msg(strcmp(status, "ok") == 0 ? 2 : 1, "run %lld (%s): %s in "
	    "%.3fs (%s x%ld, %lld/%lld tasks ok, %lld failed, cpu %.2fs, "
	    "rss %.1f MiB)%s%s", r->id, r->job, status, wall, r->strategy,
	    r->concurrency, ok, total, failed, user + sys,
	    (double)r->ru.ru_maxrss / 1024, r->error ? ": " : "",
	    r->error ? r->error : "");

	while ((w = TAILQ_FIRST(&r->waiters)) != NULL) {
		TAILQ_REMOVE(&r->waiters, w, entry);
		conn_reply(w->conn, json_pack("{s:O}", "record", rec));
		free(w);
	}
	json_decref(rec);
	free(status);

	TAILQ_REMOVE(&active, r, entry);
	nactive--;
	notify_status();
	if (r->ev_timeout != NULL)
		event_free(r->ev_timeout);
	if (r->ev_kill != NULL)
		event_free(r->ev_kill);
	event_free(r->ev_read);
	evbuffer_free(r->in);
	close(r->fd);
	munmap(r->shared, sizeof *r->shared);
	json_decref(r->record);
	json_decref(r->trace);
	free(r->error);
	free(r->job);
	free(r->workload);
	free(r->strategy);
	free(r->trigger);
	free(r);
	if (weftd.stopping && nactive == 0)
		event_base_loopbreak(weftd.base);
}
