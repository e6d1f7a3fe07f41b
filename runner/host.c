/*
 * host.c - struct weft_host as weft-runner implements it: the log, the
 * task table (results, failures, the I/O primitives) and the strategy
 * table (claiming tasks, contexts, executing and recording them), and
 * the crash handler that names the task a fatal signal hit.
 * (The params table is in params.c.)
 */
#include <sys/mman.h>

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"

#define PROGRESS_EVERY	0.2	/* seconds between progress messages */

/* The context of the calling thread, for the crash handler. */
static __thread struct weft_ctx	*this_ctx;
static struct run_shared	*shared;

/* ---- the log ---- */

static void
host_log(const struct weft_plugin *self, int level, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;

	if (level < WEFT_LOG_ERR)
		level = WEFT_LOG_ERR;
	if (level > WEFT_LOG_DEBUG)
		level = WEFT_LOG_DEBUG;
	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	log_msg(level, "%s %s: %s", self ? plugin_kind_name(self->kind) : "",
	    self && self->name ? self->name : "plugin", m);
	free(m);
}

/* ---- the task table ---- */

static size_t
task_index(const struct weft_task *t)
{
	return t->idx;
}

static unsigned
task_worker(const struct weft_task *t)
{
	return t->ctx->worker;
}

static unsigned
task_lane(const struct weft_task *t)
{
	return t->ctx->lane >= 0 ? (unsigned)t->ctx->lane : t->ctx->worker;
}

/* A task's result is kept compact (lib/result.c), not in jansson. */
static void
task_result_str(struct weft_task *t, const char *key, const char *value)
{
	if (value != NULL)
		result_str(&t->result, key, value, strlen(value));
}

static void
task_result_int(struct weft_task *t, const char *key, long long value)
{
	result_int(&t->result, key, value);
}

static void
task_result_num(struct weft_task *t, const char *key, double value)
{
	result_real(&t->result, key, value);
}

static int
task_fail(struct weft_task *t, const char *fmt, ...)
{
	va_list ap;

	free(t->error);
	va_start(ap, fmt);
	xvasprintf(&t->error, fmt, ap);
	va_end(ap);
	return WEFT_TASK_FAILED;
}

static int
task_cancelled(struct weft_task *t)
{
	return CANCELLED() != 0;
}

/* The blocking implementations; a strategy may provide its own. */
static int
blocking_wait_fd(int fd, int events, int timeout_ms)
{
	struct pollfd	pfd = { .fd = fd };
	double		deadline = now_mono() + timeout_ms / 1000.0;
	int		n;

	if (events & WEFT_READ)
		pfd.events |= POLLIN;
	if (events & WEFT_WRITE)
		pfd.events |= POLLOUT;
	for (;;) {
		int slice = 100;	/* notice cancellation promptly */

		if (CANCELLED())
			return -1;
		if (timeout_ms >= 0) {
			double left = deadline - now_mono();

			if (left <= 0)
				return 0;
			if (left * 1000 < slice)
				slice = (int)ceil(left * 1000);
		}
		n = poll(&pfd, 1, slice);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0) {
			int r = 0;

			if (pfd.revents & POLLNVAL) {
				errno = EBADF;
				return -1;
			}
			if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
				r |= WEFT_READ;
			if (pfd.revents & (POLLOUT | POLLERR))
				r |= WEFT_WRITE;
			return (r & events) ? (r & events) : events;
		}
	}
}

static int
blocking_sleep(long ms)
{
	double deadline = now_mono() + ms / 1000.0;

	for (;;) {
		double		left = deadline - now_mono();
		struct timespec	ts;

		if (CANCELLED())
			return -1;
		if (left <= 0)
			return 0;
		if (left > 0.1)
			left = 0.1;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
	}
}

static int
task_wait_fd(struct weft_task *t, int fd, int events, int timeout_ms)
{
	if (t->run->sops->wait_fd != NULL)
		return t->run->sops->wait_fd(t, fd, events, timeout_ms);
	return blocking_wait_fd(fd, events, timeout_ms);
}

static int
task_sleep_ms(struct weft_task *t, long ms)
{
	if (t->run->sops->sleep_ms != NULL)
		return t->run->sops->sleep_ms(t, ms);
	return blocking_sleep(ms);
}

static void *
task_loop_base(struct weft_task *t)
{
	if (t->run->sops->loop_base == NULL)
		return NULL;
	return t->run->sops->loop_base(t);
}

static int
task_park(struct weft_task *t, int timeout_ms)
{
	if (t->run->sops->park == NULL)
		return -1;
	return t->run->sops->park(t, timeout_ms);
}

static void
task_unpark(struct weft_task *t)
{
	if (t->run->sops->unpark != NULL)
		t->run->sops->unpark(t);
}

/* ---- progress ---- */

/* send_progress - the counts so far, to the supervisor (under r->mu). */
void
send_progress(struct weft_run *r)
{
	struct proto_progress p;

	p.done = (long long)atomic_load(&r->done);
	p.failed = (long long)atomic_load(&r->failed);
	p.total = (long long)r->ntasks;
	p.units_done = atomic_load(&r->units_done);
	p.units_total = atomic_load(&r->units_total);
	if (p.failed > p.done)	/* counted apart: keep them consistent */
		p.failed = p.done;
	if (r->fd >= 0 && proto_send(r->fd, PROTO_PROGRESS, &p) != 0) {
		close(r->fd);	/* weftd is gone; a new one may adopt us */
		r->fd = -1;
	}
}

/* progress_due - whether PROGRESS_EVERY has passed since the last one. */
static int
progress_due(struct weft_run *r, double now)
{
	long long last = atomic_load_explicit(&r->last_progress,
	    memory_order_relaxed);

	return (long long)(now * 1e6) - last >=
	    (long long)(PROGRESS_EVERY * 1e6);
}

/*
 * maybe_send_progress - send progress unless another thread is doing it
 * (or just did); the last task's progress is always sent.
 */
static void
maybe_send_progress(struct weft_run *r, double now, int last)
{
	if (last)
		pthread_mutex_lock(&r->mu);
	else if (pthread_mutex_trylock(&r->mu) != 0)
		return;
	if (last || progress_due(r, now)) {
		atomic_store_explicit(&r->last_progress, (long long)(now * 1e6),
		    memory_order_relaxed);
		send_progress(r);
	}
	pthread_mutex_unlock(&r->mu);
}

static void
task_progress(struct weft_task *t, long long done, long long total)
{
	struct weft_run	*r = t->run;
	double		 now;

	if (done)
		atomic_fetch_add_explicit(&r->units_done, done,
		    memory_order_relaxed);
	if (total)
		atomic_fetch_add_explicit(&r->units_total, total,
		    memory_order_relaxed);
	now = now_mono() - r->t0;
	if (progress_due(r, now))
		maybe_send_progress(r, now, 0);
}

/* ---- the strategy table ---- */

static size_t
s_concurrency(const struct weft_run *r)
{
	return r->concurrency;
}

static size_t
s_ntasks(const struct weft_run *r)
{
	/* A cluster worker: its share is not known in advance. */
	return r->work != NULL ? 0 : r->ntasks;
}

static const struct weft_node *
s_params(const struct weft_run *r)
{
	return (const struct weft_node *)r->sparams;
}

static int
s_next(struct weft_run *r, size_t *idx)
{
	size_t i;

	if (r->work != NULL)		/* a cluster worker: from Redis */
		return work_next(r, idx);
	if (CANCELLED())
		return 0;
	i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
	if (r->todo != NULL) {		/* resumed: only what is left */
		if (i >= r->ntodo)
			return 0;
		*idx = r->todo[i];
		return 1;
	}
	if (i >= r->ntasks)
		return 0;
	*idx = i;
	return 1;
}

static int
s_cancelled(const struct weft_run *r)
{
	return CANCELLED() != 0;
}

/*
 * ctx_open - an execution context for the calling thread: an alternate
 * signal stack (so a stack overflow is still reported with its task)
 * and the workload's per-context resources.
 */
static struct weft_ctx *
s_ctx_open(struct weft_run *r, unsigned worker)
{
	struct weft_ctx	*c = xcalloc(1, sizeof *c);
	stack_t		 ss;

	c->run = r;
	c->worker = worker;
	c->lane = -1;
	c->task = -1;
	ss.ss_size = 64 * 1024;
	ss.ss_flags = 0;
	if ((ss.ss_sp = c->altstack = malloc(ss.ss_size)) != NULL &&
	    sigaltstack(&ss, NULL) != 0) {
		free(c->altstack);
		c->altstack = NULL;
	}
	if (r->wops->ctx_init != NULL &&
	    r->wops->ctx_init(r->wstate, &c->wctx) != 0) {
		log_warnx("workload %s: per-context initialization failed "
		    "for worker %u", r->wdesc->name, worker);
		free(c->altstack);
		free(c);
		return NULL;
	}
	this_ctx = c;
	return c;
}

static void
s_ctx_close(struct weft_ctx *c)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (c == NULL)
		return;
	if (c->run->wops->ctx_fini != NULL)
		c->run->wops->ctx_fini(c->run->wstate, c->wctx);
	if (this_ctx == c)
		this_ctx = NULL;
	if (c->altstack != NULL) {
		sigaltstack(&ss, NULL);
		free(c->altstack);
	}
	free(c);
}

/* task_run - execute task idx in context c, with the job's retries. */
static void
task_run(struct weft_ctx *c, size_t idx, struct outcome *o)
{
	struct weft_run		*r = c->run;
	struct weft_task	 t = { .run = r, .ctx = c, .idx = idx };
	int			 rc;

	c->task = (long long)idx;
	o->lane = c->lane;
	o->start = now_mono() - r->t0;
	o->attempts = 0;
	do {
		if (o->attempts > 0) {
			result_free(t.result);
			t.result = NULL;
		}
		o->attempts++;
		rc = r->wops->task(r->wstate, c->wctx, &t, idx);
	} while (rc != WEFT_TASK_OK && o->attempts <= (unsigned)r->retries &&
	    !CANCELLED());
	o->end = now_mono() - r->t0;
	c->task = -1;
	o->result = t.result;
	if (rc == WEFT_TASK_OK) {
		o->state = T_OK;
		free(t.error);
		o->error = NULL;
	} else {
		/* A task that gives up because the run is cancelled is
		 * cancelled, whatever it says. */
		o->state = CANCELLED() ? T_CANCELLED : T_FAILED;
		o->error = t.error ? t.error : xstrdup(o->state == T_CANCELLED ?
		    "cancelled" : "failed");
	}
}

/*
 * task_record - store an outcome as task idx's record.  Each task's
 * record is its own memory; only the counters are shared (atomics), and
 * progress is sent by whichever thread gets the lock first.
 */
void
task_record(struct weft_run *r, size_t idx, unsigned worker, struct outcome *o)
{
	struct task_rec	*rec;
	size_t		 done;

	if (r->work != NULL) {		/* a cluster worker: to Redis */
		work_done(r, idx, o);
		return;
	}
	rec = &r->recs[idx];
	rec->start = o->start;
	rec->end = o->end;
	rec->lane = o->lane >= 0 ? (unsigned)o->lane : worker;
	rec->attempts = (unsigned short)(rec->attempts + o->attempts);
	rec->result = o->result;
	rec->error = o->error;
	/* Last, and released: the journal thread reads the rest after it. */
	atomic_store_explicit((_Atomic unsigned char *)&rec->state,
	    (unsigned char)o->state, memory_order_release);
	if (o->state == T_FAILED)
		atomic_fetch_add_explicit(&r->failed, 1, memory_order_relaxed);
	done = atomic_fetch_add_explicit(&r->done, 1,
	    memory_order_relaxed) + 1;
	if (progress_due(r, o->end) || done == r->ntasks)
		maybe_send_progress(r, o->end, done == r->ntasks);
}

static int
s_exec(struct weft_ctx *c, size_t idx)
{
	struct outcome o;

	if (idx >= c->run->ntasks)	/* a cluster worker's wait */
		return work_idle(c, idx);
	task_run(c, idx, &o);
	task_record(c->run, idx, c->worker, &o);
	return o.state == T_OK ? WEFT_TASK_OK : WEFT_TASK_FAILED;
}

/*
 * outcome_text - o as one line of JSON, for another process to record:
 * {s: state, a: attempts, t0, t1: seconds since the run began, l: lane,
 * r: result, e: error}; a cluster worker adds w0, w1 (wall clock, as
 * the coordinator's run began elsewhere) and n (its node).  Takes o's
 * result and error.
 */
char *
outcome_text(struct weft_run *r, struct outcome *o, size_t *len)
{
	json_t	*j;
	char	*s;

	j = json_pack("{s:i, s:i, s:f, s:f}", "s", o->state, "a", o->attempts,
	    "t0", o->start, "t1", o->end);
	if (o->lane >= 0)
		json_object_set_new(j, "l", json_integer(o->lane));
	if (o->result != NULL)
		json_object_set_new(j, "r", result_json(o->result, NULL));
	if (o->error != NULL)
		json_object_set_new(j, "e", json_string(o->error));
	if (r->work != NULL) {
		json_object_set_new(j, "w0", json_real(r->wall0 + o->start));
		json_object_set_new(j, "w1", json_real(r->wall0 + o->end));
		json_object_set_new(j, "n", json_string(work_node(r)));
	}
	free(o->error);
	result_free(o->result);
	o->result = NULL;
	o->error = NULL;
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	*len = strlen(s);
	return s;
}

/*
 * outcome_parse - the other way, checked.  0 with o filled (and, if
 * extra is not NULL, the parsed object in *extra for w0, w1 and n: the
 * caller releases it); -1 if the text is not an outcome.
 */
int
outcome_parse(const char *text, size_t len, struct outcome *o, json_t **extra)
{
	json_t	*j, *v;
	int	 state;

	if ((j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return -1;
	state = (int)json_integer_value(json_object_get(j, "s"));
	if (!json_is_object(j) || (state != T_OK && state != T_FAILED &&
	    state != T_CANCELLED) ||
	    !json_is_integer(json_object_get(j, "a")) ||
	    !json_is_number(json_object_get(j, "t0")) ||
	    !json_is_number(json_object_get(j, "t1")) ||
	    !(json_number_value(json_object_get(j, "t0")) >= 0) ||
	    !(json_number_value(json_object_get(j, "t1")) <= 1e9) ||
	    json_number_value(json_object_get(j, "t0")) >
	    json_number_value(json_object_get(j, "t1")) ||
	    ((v = json_object_get(j, "r")) != NULL && !json_is_object(v)) ||
	    ((v = json_object_get(j, "e")) != NULL && !json_is_string(v)) ||
	    ((v = json_object_get(j, "l")) != NULL &&
	    (!json_is_integer(v) || json_integer_value(v) < 0)) ||
	    ((v = json_object_get(j, "w0")) != NULL && !json_is_number(v)) ||
	    ((v = json_object_get(j, "w1")) != NULL && !json_is_number(v)) ||
	    ((v = json_object_get(j, "n")) != NULL && !json_is_string(v))) {
		json_decref(j);
		return -1;
	}
	o->state = state;
	o->attempts = (unsigned)json_integer_value(json_object_get(j, "a"));
	o->start = json_number_value(json_object_get(j, "t0"));
	o->end = json_number_value(json_object_get(j, "t1"));
	o->result = result_from(json_object_get(j, "r"));
	o->lane = json_is_integer(json_object_get(j, "l")) ?
	    (long)json_integer_value(json_object_get(j, "l")) : -1;
	o->error = json_is_string(json_object_get(j, "e")) ?
	    xstrdup(json_string_value(json_object_get(j, "e"))) : NULL;
	if (extra != NULL)
		*extra = j;
	else
		json_decref(j);
	return 0;
}

/*
 * A bare outcome (no result, no error: most outcomes of short tasks)
 * travels between the processes of a run as 24 bytes rather than JSON:
 * a tag byte no JSON text starts with, the state, the attempts, the
 * lane, the times.
 */
#define BARE_TAG	0x01
#define BARE_LEN	24

static char *
bare_text(const struct outcome *o, size_t *len)
{
	unsigned char	*b = xmalloc(BARE_LEN);
	uint16_t	 a = o->attempts > UINT16_MAX ? UINT16_MAX :
			    (uint16_t)o->attempts;
	int32_t		 lane = o->lane < 0 || o->lane > INT32_MAX ? -1 :
			    (int32_t)o->lane;

	b[0] = BARE_TAG;
	b[1] = (unsigned char)o->state;
	memcpy(b + 2, &a, sizeof a);
	memcpy(b + 4, &lane, sizeof lane);
	memcpy(b + 8, &o->start, sizeof o->start);
	memcpy(b + 16, &o->end, sizeof o->end);
	*len = BARE_LEN;
	return (char *)b;
}

/* bare_parse - a bare outcome, checked as outcome_parse checks JSON. */
static int
bare_parse(const char *text, size_t len, struct outcome *o)
{
	const unsigned char	*b = (const unsigned char *)text;
	uint16_t		 a;
	int32_t			 lane;

	if (len != BARE_LEN || b[0] != BARE_TAG || (b[1] != T_OK &&
	    b[1] != T_FAILED && b[1] != T_CANCELLED))
		return -1;
	memcpy(&a, b + 2, sizeof a);
	memcpy(&lane, b + 4, sizeof lane);
	memcpy(&o->start, b + 8, sizeof o->start);
	memcpy(&o->end, b + 16, sizeof o->end);
	if (!(o->start >= 0) || !(o->end <= 1e9) || o->start > o->end ||
	    lane < -1)
		return -1;
	o->state = b[1];
	o->attempts = a;
	o->lane = lane;
	o->result = NULL;
	o->error = NULL;
	return 0;
}

/*
 * capture - run task idx in c (in a worker process) and return its
 * outcome serialized, for commit in the process that keeps the records.
 */
static char *
s_capture(struct weft_ctx *c, size_t idx, size_t *len)
{
	struct outcome o;

	if (idx >= c->run->ntasks) {	/* a cluster worker's wait */
		work_idle(c, idx);
		*len = 2;
		return xstrdup("{}");
	}
	task_run(c, idx, &o);
	if (o.result == NULL && o.error == NULL)
		return bare_text(&o, len);
	return outcome_text(c->run, &o, len);
}

/*
 * commit - record an outcome made by capture.  0, or -1 if the text is
 * not one (a worker that sends garbage is the strategy's to handle).
 */
static int
s_commit(struct weft_run *r, size_t idx, unsigned worker, const char *text,
    size_t len)
{
	struct outcome o;

	if (r->work != NULL && idx >= r->ntasks)
		return 0;		/* a cluster worker's wait */
	if (idx >= r->ntasks || (r->recs != NULL &&
	    r->recs[idx].state != T_PENDING) ||
	    (len > 0 && text[0] == BARE_TAG ? bare_parse(text, len, &o) :
	    outcome_parse(text, len, &o, NULL)) != 0)
		return -1;
	task_record(r, idx, worker, &o);
	return 0;
}

/*
 * lost - the worker running task idx died (why: "worker 2 died of
 * SIGSEGV").  Returns 1 if the job's retries allow another attempt
 * (the caller runs it again), else records the task as failed and
 * returns 0.
 */
static int
s_lost(struct weft_run *r, size_t idx, unsigned worker, const char *why)
{
	struct task_rec	*rec;
	struct outcome	 o = { .state = T_FAILED, .lane = -1 };

	if (idx >= r->ntasks)
		return 0;
	if (r->work == NULL) {
		if (r->recs[idx].state != T_PENDING)
			return 0;
		rec = &r->recs[idx];
		if (!CANCELLED() && rec->attempts < r->retries) {
			rec->attempts++;
			return 1;
		}
	}
	o.attempts = 1;
	o.start = o.end = now_mono() - r->t0;
	o.error = xstrdup(why);
	task_record(r, idx, worker, &o);
	return 0;
}

static void
s_note_running(struct weft_ctx *c, long long idx, const void *guard,
    size_t guard_len)
{
	c->task = idx;
	c->guard = guard;
	c->guard_len = guard_len;
}

static void
s_note_lane(struct weft_ctx *c, unsigned lane)
{
	c->lane = (long)lane;
}

static void **
s_slot(struct weft_task *t)
{
	return &t->slot;
}

static const struct weft_task_api task_api = {
	.size = sizeof(struct weft_task_api),
	.index = task_index,
	.worker = task_worker,
	.result_str = task_result_str,
	.result_int = task_result_int,
	.result_num = task_result_num,
	.fail = task_fail,
	.progress = task_progress,
	.wait_fd = task_wait_fd,
	.sleep_ms = task_sleep_ms,
	.cancelled = task_cancelled,
	.loop_base = task_loop_base,
	.park = task_park,
	.unpark = task_unpark,
	.lane = task_lane,
};

static const struct weft_strategy_api strategy_api = {
	.size = sizeof(struct weft_strategy_api),
	.concurrency = s_concurrency,
	.ntasks = s_ntasks,
	.params = s_params,
	.next = s_next,
	.cancelled = s_cancelled,
	.ctx_open = s_ctx_open,
	.ctx_close = s_ctx_close,
	.exec = s_exec,
	.capture = s_capture,
	.commit = s_commit,
	.lost = s_lost,
	.note_running = s_note_running,
	.note_lane = s_note_lane,
	.slot = s_slot,
	.ended = run_ended,
};

const struct weft_host host = {
	.size = sizeof(struct weft_host),
	.abi_major = WEFT_ABI_MAJOR,
	.abi_minor = WEFT_ABI_MINOR,
	.log = host_log,
	.params = &params_api,
	.task = &task_api,
	.strategy = &strategy_api,
};

/* ---- signals ---- */

static void
on_term(int sig)
{
	atomic_store_explicit(&cancel_flag, 1, memory_order_relaxed);
}

/*
 * on_crash - a fatal signal in plugin code: note the task this thread
 * was running on the page the supervisor reads, then die of the signal.
 */
static void
on_crash(int sig, siginfo_t *si, void *uc)
{
	struct weft_ctx	*c = this_ctx;
	const char	*a = si->si_addr, *g = c ? c->guard : NULL;

	if (shared != NULL) {
		shared->crash_task = c ? c->task : -1;
		shared->crash_signal = sig;
		shared->stack_overflow = sig == SIGSEGV && g != NULL &&
		    a >= g && a < g + c->guard_len;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

/*
 * host_crash_setup - signals for a run: SIGTERM and SIGINT cancel, the
 * fatal ones are reported on the shared page (fd SHARED_FD, from weftd)
 * with the task that caused them.
 */
void
host_crash_setup(void)
{
	static const int	 crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE,
				    SIGILL, SIGABRT, SIGSYS, SIGTRAP };
	struct sigaction	 sa;
	void			*p;

	p = mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED,
	    SHARED_FD, 0);
	if (p != MAP_FAILED)
		shared = p;
	else
		log_warn("no crash page from weftd (fd %d)", SHARED_FD);
	close(SHARED_FD);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_SIGINFO;
	for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals;
	    i++)
		sigaction(crash_signals[i], &sa, NULL);
}
