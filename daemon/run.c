/*
 * run.c - the supervisor's side of runs: spawn a weft-runner with the
 * one job it is to run, read its messages (lib/proto.c), enforce the
 * job's timeout, reap it, and hand the composed record to the history
 * and to whoever observes runs (metrics, systemd status, waiting
 * clients).  Nothing here runs plugin code or trusts what a runner says
 * beyond what proto.c has checked.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"
#include "cluster.h"

struct observer {
	run_observer		 fn;
	void			*arg;
};

/*
 * A runner whose run has ended (its record came, then its end of the
 * socket closed) but which has not exited yet: it is releasing what it
 * held (closing connections, freeing memory).  Reaped later; killed if
 * it takes longer than shutdown_grace.
 */
struct exiting {
	pid_t			 pid;
	long long		 id;
	char			*job;
	struct event		*ev_kill;
	LIST_ENTRY(exiting)	 entry;
};

static TAILQ_HEAD(runq, run) active = TAILQ_HEAD_INITIALIZER(active);
static int		 nactive;
static LIST_HEAD(, exiting) exitq = LIST_HEAD_INITIALIZER(exitq);
static struct observer	 observers[8];
static size_t		 nobservers;

static void	run_finish(struct run *);

/* runs_observe - call fn on every run's start and end. */
void
runs_observe(run_observer fn, void *arg)
{
	if (nobservers == sizeof observers / sizeof *observers)
		fatalx("runs_observe: too many observers");
	observers[nobservers].fn = fn;
	observers[nobservers++].arg = arg;
}

static void
tell(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st)
{
	for (size_t i = 0; i < nobservers; i++)
		observers[i].fn(ev, r, rec, st, observers[i].arg);
}

struct run *
run_find(long long id)
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

/* job_running - the job's running run, or NULL. */
struct run *
job_running(const char *job)
{
	struct run *r;

	TAILQ_FOREACH(r, &active, entry)
		if (strcmp(r->job, job) == 0)
			return r;
	return NULL;
}

/* runs_each - fn on every running run, newest first. */
void
runs_each(void (*fn)(const struct run *, void *), void *arg)
{
	struct run *r;

	TAILQ_FOREACH_REVERSE(r, &active, runq, entry)
		fn(r, arg);
}

/* run_json - what is known of a run still going. */
json_t *
run_json(const struct run *r)
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
	if (r->pid > 0)
		json_object_set_new(o, "pid", json_integer(r->pid));
	if (r->units_total != 0)
		json_object_set_new(o, "units", json_pack("{s:I, s:I}", "done",
		    (json_int_t)r->units_done, "total",
		    (json_int_t)r->units_total));
	return o;
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

/* kill_leftovers - processes its workload started that outlived it. */
static void
kill_leftovers(struct run *r)
{
	int n = session_kill(r->pid);

	if (n > 0)
		log_warnx("run %lld (%s): killed %d process%s its workload "
		    "left running after its runner ended", r->id, r->job, n,
		    n == 1 ? "" : "es");
}

/*
 * signal_group - sig to runner pid's process group, or to pid alone when
 * the group is gone and pid, not reaped yet, may still be there.
 */
static void
signal_group(pid_t pid, int sig, int reaped)
{
	if (kill(-pid, sig) != 0 && errno == ESRCH && !reaped)
		kill(pid, sig);
}

static void
kill_group(struct run *r, int sig)
{
	signal_group(r->pid, sig, r->reaped);
}

/* grace_timer - cb(arg) once shutdown_grace has passed. */
static struct event *
grace_timer(event_callback_fn cb, void *arg)
{
	struct event	*ev = evtimer_new(weftd.base, cb, arg);
	struct timeval	 tv;

	tv.tv_sec = (time_t)(weftd.conf->shutdown_grace_ms / 1000);
	tv.tv_usec = (suseconds_t)(weftd.conf->shutdown_grace_ms % 1000) *
	    1000;
	evtimer_add(ev, &tv);
	return ev;
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
	kill_group(r, SIGTERM);
	if (r->ev_kill == NULL)
		r->ev_kill = grace_timer(on_kill, r);
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

/*
 * handle_msg - one message from a runner, already checked by proto.c.
 * -1 if it comes where it makes no sense (a second record, say).
 */
static int
handle_msg(struct run *r, struct proto_msg *m)
{
	switch (m->type) {
	case PROTO_START:
		r->total = m->u.start.total;
		r->concurrency = (long)m->u.start.concurrency;
		return 0;
	case PROTO_PROGRESS:
		r->done = m->u.progress.done;
		r->failed = m->u.progress.failed;
		r->total = m->u.progress.total;
		r->units_done = m->u.progress.units_done;
		r->units_total = m->u.progress.units_total;
		tell(RUN_PROGRESS, r, NULL, RUN_OK);
		return 0;
	case PROTO_RECORD:
		if (r->record != NULL)
			return -1;
		r->record = json_incref(m->json);
		r->results_text = history_results_text(json_object_get(
		    r->record, "results"));
		return 0;
	case PROTO_TRACE:
		if (r->trace != NULL)
			return -1;
		r->trace = json_incref(m->json);
		return 0;
	case PROTO_ERROR:
		if (r->error != NULL)
			return -1;
		r->error = xstrdup(m->u.error.message);
		return 0;
	default:
		return -1;
	}
}

/*
 * take_in - read what r's runner sent into r->in, up to 64 KB a read and
 * 1 MB a turn of the loop (libevent's evbuffer_read reads 4 KB at a
 * time: a 135 KB record took 34 turns).  Bytes read, 0 at EOF, or -1
 * with errno (EAGAIN: nothing yet).
 */
static ssize_t
take_in(struct run *r, int fd)
{
	struct evbuffer_iovec	 v;
	ssize_t			 n, total = 0;

	while (total < 1024 * 1024) {
		if (evbuffer_reserve_space(r->in, 65536, &v, 1) != 1) {
			errno = ENOMEM;
			return total > 0 ? total : -1;
		}
		if ((n = read(fd, v.iov_base, v.iov_len)) <= 0)
			return total > 0 ? total : n;
		v.iov_len = (size_t)n;
		evbuffer_commit_space(r->in, &v, 1);
		total += n;
		if ((size_t)n < 65536)
			break;		/* drained, most likely */
	}
	return total;
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct run		*r = arg;
	struct proto_msg	 m;
	ssize_t			 n;
	int			 rc;
	size_t			 used, len, want;
	unsigned char		 hdr[4], *p;
	char			 err[256];

	n = take_in(r, fd);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		event_del(r->ev_read);
		r->eof = 1;
		/*
		 * A runner that has sent its record and closed its side
		 * has nothing more to say: the run ends now, not when the
		 * runner has released its connections and exited.  Not a
		 * workload that starts processes: those are killed when
		 * the runner is reaped, and the run ends after that.
		 */
		if (r->reaped || (r->record != NULL && !r->processes &&
		    !r->adopted))
			run_finish(r);
		return;
	}
	for (;;) {
		/*
		 * Linearize only a whole frame: a large one (a timeline)
		 * arrives in many reads, and copying the buffer at each
		 * would make it quadratic.  proto_parse checks it.
		 */
		len = evbuffer_get_length(r->in);
		if (evbuffer_copyout(r->in, hdr, 4) < 4)
			return;
		want = 4 + frame_length(hdr);
		if (want <= FRAME_MAX + 4 && len < want)
			return;	/* wait for the rest of the frame */
		p = evbuffer_pullup(r->in, (ssize_t)(len < want ? len : want));
		rc = proto_parse(p, len < want ? len : want, &used, &m, err,
		    sizeof err);
		if (rc == 1) {
			if (handle_msg(r, &m) != 0) {
				snprintf(err, sizeof err, "an unexpected %s "
				    "message", proto_type_name(m.type));
				rc = -1;
			}
			proto_clear(&m);
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
 * shared_page - a page for the runner's crash report: a memfd it maps
 * as its fd 4.  The fd in *fd, the mapping returned; NULL on failure.
 */
struct run_shared *
shared_page(int *fd)
{
	struct run_shared *sh;

	if ((*fd = memfd_create("weft-run", MFD_CLOEXEC)) < 0)
		return NULL;
	if (ftruncate(*fd, sizeof *sh) != 0 ||
	    (sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED,
	    *fd, 0)) == MAP_FAILED) {
		close(*fd);
		return NULL;
	}
	sh->crash_task = -1;
	return sh;
}

/* pick - the strategy a run uses, checked against its workload. */
static const struct plugin *
pick(const char *job, const struct plugin *wp, const char **strategy,
    int *auto_picked, char **cause)
{
	const struct plugin *sp;

	if (strcmp(*strategy, "auto") == 0) {
		/* Many waits: coroutines; computation: threads. */
		*strategy = (wp->traits & WEFT_TRAIT_IO_BOUND) &&
		    !(wp->traits & WEFT_TRAIT_BLOCKING) ? "coro" : "threads";
		*auto_picked = 1;
	}
	if (strcmp(*strategy, "cluster") == 0) {
		/* Built into weft-runner: no plugin file. */
		static const struct plugin cluster = { .name = "cluster",
		    .kind = WEFT_KIND_STRATEGY, .fd = -1 };

		if (weftd.conf->cluster == NULL) {
			xasprintf(cause, "job %s: strategy cluster needs a "
			    "cluster: section in weftd.yaml (see weftd(8))",
			    job);
			return NULL;
		}
		return &cluster;
	}
	if ((sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY,
	    *strategy)) == NULL) {
		xasprintf(cause, "job %s: strategy plugin \"%s\" is not "
		    "available (see weftctl plugins)", job, *strategy);
		return NULL;
	}
	if ((sp->traits & WEFT_TRAIT_MULTIPLEX) &&
	    (wp->traits & WEFT_TRAIT_BLOCKING)) {
		xasprintf(cause, "job %s: workload %s blocks its thread "
		    "without weft's task I/O primitives, so under strategy %s "
		    "(many tasks on one thread) it would stall every other "
		    "task; use strategy threads or fork", job, wp->name,
		    *strategy);
		return NULL;
	}
	return sp;
}

/* What a run is made of: a job as loaded, or as a journal kept it. */
struct spec {
	const char	*name, *file, *text, *workload, *strategy;
	long		 concurrency;
	uint64_t	 timeout_ms;
	json_t		*sets;
};

static void
spec_of(const struct run_request *req, struct spec *sp)
{
	const json_t *h = req->snapshot, *run = json_object_get(h, "run");

	if (h == NULL) {
		sp->name = req->job->name;
		sp->file = req->job->file;
		sp->text = req->job->text;
		sp->workload = req->job->workload;
		sp->strategy = req->strategy ? req->strategy :
		    req->job->strategy;
		sp->concurrency = req->concurrency ? req->concurrency :
		    req->job->concurrency;
		sp->timeout_ms = req->job->timeout_ms;
		sp->sets = req->sets;
		return;
	}
	sp->name = json_string_value(json_object_get(h, "job"));
	sp->file = json_string_value(json_object_get(run, "file"));
	sp->text = json_string_value(json_object_get(run, "text"));
	sp->workload = json_string_value(json_object_get(h, "workload"));
	sp->strategy = json_string_value(json_object_get(h, "strategy"));
	sp->concurrency = (long)json_integer_value(json_object_get(h,
	    "concurrency"));
	sp->timeout_ms = (uint64_t)json_integer_value(json_object_get(h,
	    "timeout_ms"));
	sp->sets = json_object_get(run, "sets");
}

/* proc_starttime - a process's start time (clock ticks since boot). */
long long
proc_starttime(pid_t pid)
{
	char		 path[64], buf[1024], *p;
	FILE		*f;
	long long	 t = -1;
	size_t		 n;

	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "(comm)", field 22 is the 20th. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	for (int i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		t = strtoll(p + 1, NULL, 10);
	return t;
}

/*
 * journal_create - a new run's journal file, before its runner starts
 * (which gets it as fd 7).  The fd, or -1: the run goes on without one
 * (logged, and said in weftctl status).
 */
static int
journal_create(struct run *r)
{
	char	*dir;
	int	 fd;

	xasprintf(&dir, "%s/runs", weftd.conf->state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		state_write_failed(dir, errno);
		free(dir);
		return -1;
	}
	free(dir);
	r->journal = journal_path(weftd.conf->state_dir, r->id);
	if ((fd = open(r->journal, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND |
	    O_CLOEXEC, 0640)) < 0) {
		state_write_failed(r->journal, errno);
		free(r->journal);
		r->journal = NULL;
	}
	return fd;
}

/*
 * trace_create - the file a new run's runner writes its timeline to (its
 * fd 8), renamed into traces/ when the run ends.  The fd, or -1: the
 * timeline then comes in the TRACE message.
 */
static int
trace_create(struct run *r)
{
	char	*dir, *path;
	int	 fd;

	if ((dir = history_traces_dir()) == NULL)
		return -1;
	path = history_trace_tmp(r->id);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		state_write_failed(path, errno);
	free(path);
	free(dir);
	return fd;
}

/*
 * journal_header - the journal's first line: who the run is (with its
 * runner's pid) and the job exactly as it runs, written before the
 * runner hears of its job (whose outcomes follow it), and synced (by
 * run_start) before anyone hears that the run started: from then on
 * the run survives weftd.  0, or -1 (the journal is dropped).
 */
static int
journal_header(struct run *r, int fd, const json_t *msg)
{
	json_t	*h;
	char	*s;
	size_t	 n;
	int	 rc = 0;

	h = json_pack("{s:i, s:I, s:s, s:s, s:s, s:b, s:s, s:I, s:I, s:f, "
	    "s:f, s:I, s:I, s:O}", "journal", 1, "id", (json_int_t)r->id,
	    "job", r->job, "workload", r->workload, "strategy", r->strategy,
	    "auto_picked", r->auto_picked, "trigger", r->trigger,
	    "concurrency", (json_int_t)r->concurrency, "timeout_ms",
	    (json_int_t)r->timeout_ms, "started", r->started_wall, "deadline",
	    r->timeout_ms ? r->started_wall + (double)r->timeout_ms / 1000 :
	    0.0, "pid", (json_int_t)r->pid, "starttime",
	    (json_int_t)proc_starttime(r->pid), "run", msg);
	if (r->resume_of)
		json_object_set_new(h, "resume_of", json_integer(r->resume_of));
	s = json_dumps(h, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(h);
	n = strlen(s);
	s[n] = '\n';
	if (write(fd, s, n + 1) != (ssize_t)n + 1) {
		state_write_failed(r->journal, errno);
		unlink(r->journal);
		free(r->journal);
		r->journal = NULL;
		rc = -1;
	}
	free(s);
	return rc;
}

/* run_watch - read r's runner, and enforce its timeout from now. */
static void
run_watch(struct run *r, uint64_t timeout_ms)
{
	r->in = evbuffer_new();
	evutil_make_socket_nonblocking(r->fd);
	r->ev_read = event_new(weftd.base, r->fd, EV_READ | EV_PERSIST,
	    on_read, r);
	event_add(r->ev_read, NULL);
	if (r->timeout_ms != 0) {
		struct timeval tv = { (time_t)(timeout_ms / 1000),
		    (suseconds_t)(timeout_ms % 1000) * 1000 };

		r->ev_timeout = evtimer_new(weftd.base, on_timeout, r);
		evtimer_add(r->ev_timeout, &tv);
	}
	TAILQ_INSERT_TAIL(&active, r, entry);
	nactive++;
}

/*
 * run_start - start a run of req->job (or of a journal's snapshot, to
 * resume a run).  On success returns 0 with *info describing the new
 * run; else -1 with the reason in *cause.  Takes ownership of req in
 * both cases.
 */
int
run_start(struct run_request *req, json_t **info, char **cause)
{
	const struct plugin	*wp, *sp;
	struct spec		 spec;
	struct proto_run	 msg;
	struct run		*r;
	struct run_shared	*sh;
	json_t			*mj;
	const char		*strategy;
	char			 wpath[64], spath[64], *lpath;
	int			 fd, shfd, jfd, tfd = -1, xfds[5], nx;
	int			 auto_picked = 0, warmed = 0;
	pid_t			 pid;

	*cause = NULL;
	spec_of(req, &spec);
	strategy = spec.strategy;
	if (weftd.stopping) {
		xasprintf(cause, "weftd is shutting down; no new runs");
		goto fail;
	}
	if (req->job != NULL && !req->job->enabled) {
		xasprintf(cause, "job %s is disabled (enabled: false in %s)",
		    spec.name, spec.file);
		goto fail;
	}
	if ((wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD,
	    spec.workload)) == NULL) {
		xasprintf(cause, "job %s: workload plugin \"%s\" is not "
		    "available (see weftctl plugins)", spec.name,
		    spec.workload);
		goto fail;
	}
	if ((sp = pick(spec.name, wp, &strategy, &auto_picked, cause)) ==
	    NULL)
		goto fail;
	if (nactive >= weftd.conf->max_concurrent_runs) {
		xasprintf(cause, "job %s: %d runs are going, the limit "
		    "(max_concurrent_runs); try again when one ends",
		    spec.name, nactive);
		goto fail;
	}
	if ((sh = shared_page(&shfd)) == NULL) {
		xasprintf(cause, "memfd for the runner: %s", strerror(errno));
		goto fail;
	}

	r = xcalloc(1, sizeof *r);
	r->id = history_next_id();
	r->job = xstrdup(spec.name);
	r->workload = xstrdup(spec.workload);
	r->strategy = xstrdup(strategy);
	r->auto_picked = auto_picked;
	r->processes = (wp->traits & WEFT_TRAIT_PROCESSES) != 0;
	r->trigger = xstrdup(req->trigger ? req->trigger : "manual");
	r->concurrency = spec.concurrency;
	r->shared = sh;
	r->timeout_ms = spec.timeout_ms;
	r->resume_of = req->resume_of;
	r->pidfd = -1;
	r->started_wall = now_wall();
	r->started_mono = now_mono();

	memset(&msg, 0, sizeof msg);
	msg.id = r->id;
	msg.job = spec.name;
	msg.file = spec.file;
	msg.text = spec.text;
	msg.sets = spec.sets;
	msg.strategy = strategy;
	msg.concurrency = r->concurrency;
	snprintf(wpath, sizeof wpath, PLUGIN_FD_PATH, 5);
	snprintf(spath, sizeof spath, PLUGIN_FD_PATH, 6);
	msg.workload_path = wpath;
	msg.strategy_path = spath;
	msg.trace_max = weftd.conf->trace_max;
	msg.log_level = log_getlevel();
	msg.log_dest = weftd.log_dest;
	xasprintf(&lpath, "%s/runs/%lld.sock", weftd.conf->state_dir, r->id);
	msg.listen = lpath;
	msg.carry = req->carry;
	if (sp->fd < 0)		/* strategy cluster */
		msg.cluster = cluster_conf_json(weftd.conf->cluster);
	/* The runner's fds 4-8: crash page, plugins, journal, trace. */
	xfds[0] = shfd;
	xfds[1] = wp->fd;
	xfds[2] = sp->fd >= 0 ? sp->fd : wp->fd;	/* (a placeholder) */
	xfds[3] = jfd = journal_create(r);
	if (jfd >= 0)
		xfds[4] = tfd = trace_create(r);
	nx = jfd < 0 ? 3 : tfd < 0 ? 4 : 5;
	if (warm_take(wp, sp, &pid, &fd)) {
		/* It has the plugins: only the crash page, journal, trace. */
		int given[3] = { shfd, jfd, tfd };

		if (runner_give_fds(fd, given, nx - 2) == 0)
			warmed = 1;
		else {
			log_info("run %lld (%s): the warm runner is gone (%s); "
			    "starting one", r->id, r->job, strerror(errno));
			kill(pid, SIGKILL);
			close(fd);
		}
	}
	if (!warmed && runner_spawn(0, xfds, nx, &fd, &pid, cause) != 0) {
		if (jfd >= 0) {
			close(jfd);
			unlink(r->journal);
			free(r->journal);
		}
		if (tfd >= 0) {
			char *tpath = history_trace_tmp(r->id);

			close(tfd);
			unlink(tpath);
			free(tpath);
		}
		free(lpath);
		munmap(sh, sizeof *sh);
		close(shfd);
		free(r->job);
		free(r->workload);
		free(r->strategy);
		free(r->trigger);
		free(r);
		json_decref(msg.cluster);
		goto fail;
	}
	close(shfd);
	r->pid = pid;
	r->fd = fd;
	msg.journal = jfd >= 0;
	msg.trace_file = tfd >= 0;
	if (tfd >= 0)
		close(tfd);
	mj = proto_encode(PROTO_RUN, &msg);
	json_decref(msg.cluster);
	if (jfd >= 0 && journal_header(r, jfd, mj) != 0)
		json_object_set_new(mj, "journal", json_false());
	free(lpath);
	if (frame_write(fd, mj) != 0)	/* a runner dead already is reaped */
		log_warn("run %lld (%s): sending the job to its runner",
		    r->id, r->job);
	json_decref(mj);
	if (jfd >= 0) {
		/* The runner starts on its job while this syncs. */
		if (r->journal != NULL && fdatasync(jfd) != 0)
			state_write_failed(r->journal, errno);
		close(jfd);
	}
	run_watch(r, r->timeout_ms);
	log_info("run %lld (%s): started (%s, %s, pid %ld%s)", r->id, r->job,
	    r->workload, r->strategy, (long)pid, warmed ? ", warm" : "");
	*info = run_json(r);
	run_request_free(req);
	tell(RUN_STARTED, r, NULL, RUN_OK);
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
	json_decref(req->sets);
	json_decref(req->snapshot);
	free(req->strategy);
	free(req->trigger);
	free(req->carry);
	free(req);
}

/* run_cancel - cancel a running run.  0, or -1 with *cause. */
int
run_cancel(long long id, char **cause)
{
	struct run	*r = run_find(id);
	json_t		*o;

	if (r == NULL) {
		if ((o = history_lookup(id)) != NULL) {
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

static void
exiting_free(struct exiting *l)
{
	LIST_REMOVE(l, entry);
	event_free(l->ev_kill);
	free(l->job);
	free(l);
}

static void
on_exiting_kill(evutil_socket_t fd, short what, void *arg)
{
	struct exiting *l = arg;

	log_warnx("run %lld (%s): its runner was still releasing what it "
	    "held %.1fs after the run ended; sending SIGKILL", l->id, l->job,
	    (double)weftd.conf->shutdown_grace_ms / 1000);
	signal_group(l->pid, SIGKILL, 0);
}

/* late_exit - how a runner exited after its record, if not well. */
static void
late_exit(long long id, const char *job, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("run %lld (%s): its runner was killed by %s after "
		    "the run ended, while releasing what it held (the "
		    "run's record stands)", id, job,
		    signal_name(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
		log_warnx("run %lld (%s): its runner exited with status %d "
		    "after the run ended (the run's record stands)", id, job,
		    WEXITSTATUS(status));
}

/* exiting_add - run r has ended, its runner has not exited: reap later. */
static void
exiting_add(struct run *r)
{
	struct exiting	*l = xcalloc(1, sizeof *l);

	l->pid = r->pid;
	l->id = r->id;
	l->job = xstrdup(r->job);
	l->ev_kill = grace_timer(on_exiting_kill, l);
	LIST_INSERT_HEAD(&exitq, l, entry);
}

/*
 * exiting_reaped - pid was the runner of a run that had ended: 1 (and
 * its leftovers killed, how it ended logged if not well), else 0.
 */
static int
exiting_reaped(pid_t pid, int status)
{
	struct exiting *l;

	LIST_FOREACH(l, &exitq, entry)
		if (l->pid == pid)
			break;
	if (l == NULL)
		return 0;
	kill(-pid, SIGKILL);
	late_exit(l->id, l->job, status);
	exiting_free(l);
	return 1;
}

/*
 * runs_exiting_kill - weftd stops: runners still releasing after their
 * runs ended (their records are in) are killed, so that none outlives
 * weftd unwatched.
 */
void
runs_exiting_kill(void)
{
	struct exiting *l;

	while ((l = LIST_FIRST(&exitq)) != NULL) {
		signal_group(l->pid, SIGKILL, 0);
		exiting_free(l);
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
		if (r == NULL && (exiting_reaped(pid, status) ||
		    warm_reaped(pid, status)))
			continue;
		if (r == NULL) {	/* a cluster worker, or a probe */
			cluster_reaped(pid, status);
			continue;
		}
		r->reaped = 1;
		r->wstatus = status;
		r->ru = ru;
		/* Leftover processes of the run would hold the socket open. */
		kill(-pid, SIGKILL);
		if (r->processes)
			kill_leftovers(r);
		if (r->eof)
			run_finish(r);
	}
}

/*
 * run_journal_done - a run's record is in the history: an ok run's
 * journal has served its purpose; any other keeps it, for resume.
 */
static void
run_journal_done(const char *journal, enum run_status st)
{
	if (journal != NULL && st == RUN_OK && unlink(journal) != 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s", journal);
}

/* run_free - everything a run holds (it is off the active list). */
void
run_free(struct run *r)
{
	if (r->ev_timeout != NULL)
		event_free(r->ev_timeout);
	if (r->ev_kill != NULL)
		event_free(r->ev_kill);
	if (r->ev_read != NULL)
		event_free(r->ev_read);
	if (r->ev_exit != NULL)
		event_free(r->ev_exit);
	if (r->in != NULL)
		evbuffer_free(r->in);
	if (r->fd >= 0)
		close(r->fd);
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->shared != NULL)
		munmap(r->shared, sizeof *r->shared);
	json_decref(r->record);
	json_decref(r->trace);
	free(r->line);
	free(r->results_text);
	free(r->journal);
	free(r->error);
	free(r->job);
	free(r->workload);
	free(r->strategy);
	free(r->trigger);
	free(r);
}

/*
 * run_finish - the runner has exited and its socket is drained, or it
 * has sent its record and closed its side (it lingers, releasing).
 */
static void
run_finish(struct run *r)
{
	enum run_status	 st;
	json_t		*rec;
	int		 written;

	if (r->reaped && r->record != NULL && !r->adopted)
		late_exit(r->id, r->job, r->wstatus);
	rec = record_compose(r, &st);
	/* A record that must wait to be written keeps its journal until
	 * it is: a weftd that dies before recovers the run from there. */
	written = history_add(r, rec) == 0;
	/* An ok run's journal goes after the replies (a weftd that dies
	 * first finds its run landed), or once its record is written. */
	if (st == RUN_OK && r->journal != NULL) {
		if (written)
			history_unlink_later(r->journal);
		else
			history_then_unlink(r->journal);
	}
	TAILQ_REMOVE(&active, r, entry);
	nactive--;
	tell(RUN_ENDED, r, rec, st);
	json_decref(rec);
	if (!r->reaped)
		exiting_add(r);
	if (!r->adopted)
		warm_start(r->workload, r->strategy);
	run_free(r);
	if (weftd.stopping && nactive == 0)
		event_base_loopbreak(weftd.base);
}

/*
 * run_end_recovered - a run an earlier weftd started and that is over:
 * its record (from its journal, or "interrupted") goes to the history
 * as any other, and observers are told.
 */
void
run_end_recovered(struct run *r)
{
	enum run_status	 st;
	json_t		*rec;

	rec = record_compose(r, &st);
	if (history_add(r, rec) == 0)
		run_journal_done(r->journal, st);
	tell(RUN_ENDED, r, rec, st);
	json_decref(rec);
	run_free(r);
}

/* on_exit - an adopted runner's pidfd: it has exited. */
static void
on_exit_pidfd(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	r->reaped = 1;
	event_del(r->ev_exit);
	/* Leftover processes of the run would hold the socket open. */
	kill(-r->pid, SIGKILL);
	kill_leftovers(r);	/* its workload's traits are not known */
	if (r->eof)
		run_finish(r);
}

/*
 * run_adopt - take over a run an earlier weftd started, whose runner
 * (pid, in the journal's header) still runs: connect to its socket,
 * say ADOPT, and from then on treat it as one of ours, its timeout
 * counted from the recorded deadline.  0, or -1 with *cause.
 */
int
run_adopt(struct journal *j, char **cause)
{
	const json_t		*h = j->header;
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct proto_adopt	 ad = { j->id };
	struct run		*r;
	const char		*lpath = json_string_value(json_object_get(
				    json_object_get(h, "run"), "listen"));
	double			 deadline = json_number_value(
				    json_object_get(h, "deadline"));
	char			 path[64];
	int			 fd, sfd;
	uint64_t		 left = 0;

	if (lpath == NULL || strlen(lpath) >= sizeof sun.sun_path) {
		xasprintf(cause, "it has no socket to adopt it by");
		return -1;
	}
	strcpy(sun.sun_path, lpath);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    proto_send(fd, PROTO_ADOPT, &ad) != 0) {
		xasprintf(cause, "%s: %s", lpath, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	r = xcalloc(1, sizeof *r);
	r->id = j->id;
	r->job = xstrdup(json_string_value(json_object_get(h, "job")));
	r->workload = xstrdup(json_string_value(json_object_get(h,
	    "workload")));
	r->strategy = xstrdup(json_string_value(json_object_get(h,
	    "strategy")));
	r->trigger = xstrdup(json_string_value(json_object_get(h, "trigger")));
	r->auto_picked = json_is_true(json_object_get(h, "auto_picked"));
	r->concurrency = (long)json_integer_value(json_object_get(h,
	    "concurrency"));
	r->timeout_ms = (uint64_t)json_integer_value(json_object_get(h,
	    "timeout_ms"));
	r->resume_of = json_integer_value(json_object_get(h, "resume_of"));
	r->pid = (pid_t)json_integer_value(json_object_get(h, "pid"));
	r->started_wall = json_number_value(json_object_get(h, "started"));
	r->started_mono = now_mono() - (now_wall() - r->started_wall);
	r->journal = journal_path(weftd.conf->state_dir, r->id);
	r->adopted = 1;
	r->fd = fd;
	r->total = j->total;
	r->done = (long long)j->finished;
	/* Its crash page: the runner's fd 4, which we can open too. */
	snprintf(path, sizeof path, "/proc/%ld/fd/4", (long)r->pid);
	if ((sfd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
		void *p = mmap(NULL, sizeof *r->shared, PROT_READ | PROT_WRITE,
		    MAP_SHARED, sfd, 0);

		if (p != MAP_FAILED)
			r->shared = p;
		close(sfd);
	}
	if ((r->pidfd = (int)syscall(SYS_pidfd_open, r->pid, 0)) >= 0) {
		r->ev_exit = event_new(weftd.base, r->pidfd, EV_READ |
		    EV_PERSIST, on_exit_pidfd, r);
		event_add(r->ev_exit, NULL);
	} else
		r->reaped = 1;	/* no pidfd (Linux < 5.3): its socket's end */
	if (r->timeout_ms != 0) {
		double now = now_wall();

		left = deadline > now ? (uint64_t)((deadline - now) * 1000) :
		    1;
	}
	run_watch(r, left);
	log_info("run %lld (%s): adopted (started by an earlier weftd; pid "
	    "%ld)", r->id, r->job, (long)r->pid);
	tell(RUN_STARTED, r, NULL, RUN_OK);
	return 0;
}
