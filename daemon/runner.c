/*
 * runner.c - the child process of one run.  It loads the job's workload
 * and strategy plugins, hands the strategy the tasks, and streams
 * progress and the final record to the supervisor over a pipe.  It also
 * implements struct weft_host, the services plugins see.
 *
 * Nothing here may harm the supervisor: this process is its own process
 * group, and whatever it does the supervisor only reads framed messages
 * from it and its exit status.
 */
#include <sys/mman.h>
#include <sys/resource.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define RESULTS_MAX	1000	/* per-task results kept in the record */
#define FAILURES_MAX	100	/* failed tasks listed in the record */
#define PROGRESS_EVERY	0.2	/* seconds between progress messages */

enum task_state { T_PENDING, T_OK, T_FAILED, T_CANCELLED };

struct task_rec {
	double		 start, end;	/* seconds since the run began */
	unsigned char	 state;
	unsigned short	 attempts;
	unsigned	 worker;
	json_t		*result;
	char		*error;
};

struct weft_run {
	const struct weft_host		*host;
	const struct weft_plugin	*wdesc, *sdesc;
	const struct weft_workload_ops	*wops;
	const struct weft_strategy_ops	*sops;
	void				*wstate;
	size_t				 ntasks, concurrency;
	int				 retries;
	atomic_size_t			 next;
	struct ynode			*sparams;	/* strategy_params */
	struct task_rec			*recs;		/* one per task */
	atomic_size_t			 done, failed;
	atomic_llong			 units_done, units_total;
	double				 t0;
	atomic_llong			 last_progress;	/* us since t0 */
	pthread_mutex_t			 mu;	/* serializes progress */
	int				 fd;
};

struct weft_ctx {
	struct weft_run	*run;
	unsigned	 worker;
	void		*wctx;
	void		*altstack;
};

struct weft_task {
	struct weft_run	*run;
	struct weft_ctx	*ctx;
	size_t		 idx;
	void		*slot;		/* the strategy's */
	json_t		*result;
	char		*error;
};

/*
 * Set by the SIGTERM handler, read by every worker thread: a lock-free
 * atomic is both async-signal-safe and free of data races.
 */
static atomic_int		 cancel_flag;
#define CANCELLED()	atomic_load_explicit(&cancel_flag, memory_order_relaxed)
static struct run_shared	*shared;
static __thread long long	 current_task = -1;
static __thread long		 current_lane = -1;
static __thread const void	*current_guard;
static __thread size_t		 current_guard_len;
static struct weft_run		 the_run;

/* ---- host services: logging and parameters ---- */

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

static const struct weft_node *
host_param(const struct weft_node *map, const char *key)
{
	return (const struct weft_node *)ynode_get((const struct ynode *)map,
	    key);
}

static int
host_params_allow(const struct weft_node *map, const char *const *keys)
{
	const struct ynode *n = (const struct ynode *)map;

	if (n == NULL || n->kind != YNODE_MAP)
		return 0;
	return ynode_check_keys(n, keys);
}

static int
host_node_kind(const struct weft_node *n)
{
	return ((const struct ynode *)n)->kind;
}

static size_t
host_node_len(const struct weft_node *n)
{
	const struct ynode *y = (const struct ynode *)n;

	return y->kind == YNODE_SCALAR ? 0 : y->n;
}

static const struct weft_node *
host_node_at(const struct weft_node *n, size_t i)
{
	const struct ynode *y = (const struct ynode *)n;

	if (y->kind != YNODE_SEQ || i >= y->n)
		return NULL;
	return (const struct weft_node *)y->items[i];
}

static const char *
host_node_str(const struct weft_node *n)
{
	return ynode_scalar((const struct ynode *)n);
}

static int
host_node_int(const struct weft_node *n, long long min, long long max,
    long long *out)
{
	return ynode_int((const struct ynode *)n, min, max, out);
}

static void
host_node_error(const struct weft_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ynode_verror((const struct ynode *)n, fmt, ap);
	va_end(ap);
}

/* ---- host services: task results ---- */

static json_t *
task_result_obj(struct weft_task *t)
{
	if (t->result == NULL)
		t->result = json_object();
	return t->result;
}

static void
host_result_str(struct weft_task *t, const char *key, const char *value)
{
	json_object_set_new(task_result_obj(t), key, json_string(value));
}

static void
host_result_int(struct weft_task *t, const char *key, long long value)
{
	json_object_set_new(task_result_obj(t), key, json_integer(value));
}

static void
host_result_num(struct weft_task *t, const char *key, double value)
{
	json_object_set_new(task_result_obj(t), key, json_real(value));
}

static int
host_task_fail(struct weft_task *t, const char *fmt, ...)
{
	va_list ap;

	free(t->error);
	va_start(ap, fmt);
	xvasprintf(&t->error, fmt, ap);
	va_end(ap);
	return WEFT_TASK_FAILED;
}

static size_t
host_task_index(const struct weft_task *t)
{
	return t->idx;
}

/* ---- host services: task I/O primitives ---- */

static int
host_cancelled(struct weft_task *t)
{
	return CANCELLED() != 0;
}

/* The blocking implementations; a strategy may provide its own. */
static int
blocking_wait_fd(struct weft_task *t, int fd, int events, int timeout_ms)
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
blocking_sleep(struct weft_task *t, long ms)
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
host_wait_fd(struct weft_task *t, int fd, int events, int timeout_ms)
{
	if (t->run->sops->wait_fd != NULL)
		return t->run->sops->wait_fd(t, fd, events, timeout_ms);
	return blocking_wait_fd(t, fd, events, timeout_ms);
}

static int
host_sleep_ms(struct weft_task *t, long ms)
{
	if (t->run->sops->sleep_ms != NULL)
		return t->run->sops->sleep_ms(t, ms);
	return blocking_sleep(t, ms);
}

/* ---- host services for strategies ---- */

static size_t
host_run_concurrency(const struct weft_run *r)
{
	return r->concurrency;
}

static size_t
host_run_ntasks(const struct weft_run *r)
{
	return r->ntasks;
}

static int
host_run_next(struct weft_run *r, size_t *idx)
{
	size_t i;

	if (CANCELLED())
		return 0;
	i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
	if (i >= r->ntasks)
		return 0;
	*idx = i;
	return 1;
}

static int
host_run_cancelled(const struct weft_run *r)
{
	return CANCELLED() != 0;
}

/*
 * ctx_open - an execution context for the calling thread: an alternate
 * signal stack (so a stack overflow is still reported with its task)
 * and the workload's per-context resources.
 */
static struct weft_ctx *
host_ctx_open(struct weft_run *r, unsigned worker)
{
	struct weft_ctx	*c = xcalloc(1, sizeof *c);
	stack_t		 ss;

	c->run = r;
	c->worker = worker;
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
		free(c);
		return NULL;
	}
	return c;
}

static void
host_ctx_close(struct weft_ctx *c)
{
	stack_t ss = { .ss_flags = SS_DISABLE };

	if (c == NULL)
		return;
	if (c->run->wops->ctx_fini != NULL)
		c->run->wops->ctx_fini(c->run->wstate, c->wctx);
	if (c->altstack != NULL) {
		sigaltstack(&ss, NULL);
		free(c->altstack);
	}
	free(c);
}

static void
send_progress(struct weft_run *r)
{
	json_t *o;

	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I}", "type", "progress",
	    "done", (json_int_t)r->done, "failed", (json_int_t)r->failed,
	    "total", (json_int_t)r->ntasks, "units_done",
	    (json_int_t)r->units_done, "units_total",
	    (json_int_t)r->units_total);
	frame_write(r->fd, o);
	json_decref(o);
}

/* progress_due - whether PROGRESS_EVERY has passed since the last one. */
static int
progress_due(struct weft_run *r, double now)
{
	long long last = atomic_load_explicit(&r->last_progress,
	    memory_order_relaxed);

	return (long long)(now * 1e6) - last >= (long long)(PROGRESS_EVERY * 1e6);
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

/* What one execution of a task came to, before it is recorded. */
struct outcome {
	int		 state;		/* T_OK, T_FAILED, T_CANCELLED */
	long		 lane;		/* timeline track; -1: the worker */
	unsigned	 attempts;
	double		 start, end;
	json_t		*result;
	char		*error;
};

/* task_run - execute task idx in context c, with the job's retries. */
static void
task_run(struct weft_ctx *c, size_t idx, struct outcome *o)
{
	struct weft_run		*r = c->run;
	struct weft_task	 t = { .run = r, .ctx = c, .idx = idx };
	int			 rc;

	current_task = (long long)idx;
	o->lane = current_lane;
	o->start = now_mono() - r->t0;
	o->attempts = 0;
	do {
		if (o->attempts > 0) {
			json_decref(t.result);
			t.result = NULL;
		}
		o->attempts++;
		rc = r->wops->task(r->wstate, c->wctx, &t, idx);
	} while (rc != WEFT_TASK_OK && o->attempts <= (unsigned)r->retries &&
	    !CANCELLED());
	o->end = now_mono() - r->t0;
	current_task = -1;
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
static void
task_record(struct weft_run *r, size_t idx, unsigned worker, struct outcome *o)
{
	struct task_rec	*rec = &r->recs[idx];
	size_t		 done;

	rec->start = o->start;
	rec->end = o->end;
	rec->worker = o->lane >= 0 ? (unsigned)o->lane : worker;
	rec->attempts = (unsigned short)(rec->attempts + o->attempts);
	rec->result = o->result;
	rec->error = o->error;
	rec->state = (unsigned char)o->state;
	if (o->state == T_FAILED)
		atomic_fetch_add_explicit(&r->failed, 1, memory_order_relaxed);
	done = atomic_fetch_add_explicit(&r->done, 1,
	    memory_order_relaxed) + 1;
	if (progress_due(r, o->end) || done == r->ntasks)
		maybe_send_progress(r, o->end, done == r->ntasks);
}

/* task_exec - run task idx in c and record it. */
static int
host_task_exec(struct weft_ctx *c, size_t idx)
{
	struct outcome o;

	task_run(c, idx, &o);
	task_record(c->run, idx, c->worker, &o);
	return o.state == T_OK ? WEFT_TASK_OK : WEFT_TASK_FAILED;
}

/*
 * task_exec_capture - run task idx in c (in a worker process) and return
 * its outcome serialized, for task_commit in the process that keeps the
 * records.  The caller frees the text.
 */
static char *
host_task_exec_capture(struct weft_ctx *c, size_t idx, size_t *len)
{
	struct outcome	 o;
	json_t		*j;
	char		*s;

	task_run(c, idx, &o);
	j = json_pack("{s:i, s:i, s:f, s:f}", "s", o.state, "a", o.attempts,
	    "t0", o.start, "t1", o.end);
	if (o.lane >= 0)
		json_object_set_new(j, "l", json_integer(o.lane));
	if (o.result != NULL)
		json_object_set_new(j, "r", o.result);
	if (o.error != NULL)
		json_object_set_new(j, "e", json_string(o.error));
	free(o.error);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	*len = strlen(s);
	return s;
}

/* task_commit - record an outcome made by task_exec_capture.  0 or -1. */
static int
host_task_commit(struct weft_run *r, size_t idx, unsigned worker,
    const char *text, size_t len)
{
	struct outcome	 o;
	json_t		*j;
	int		 state;

	if (idx >= r->ntasks ||
	    (j = json_loadb(text, len, 0, NULL)) == NULL)
		return -1;
	state = (int)json_integer_value(json_object_get(j, "s"));
	if (state != T_OK && state != T_FAILED && state != T_CANCELLED) {
		json_decref(j);
		return -1;
	}
	o.state = state;
	o.attempts = (unsigned)json_integer_value(json_object_get(j, "a"));
	o.start = json_number_value(json_object_get(j, "t0"));
	o.end = json_number_value(json_object_get(j, "t1"));
	o.result = json_incref(json_object_get(j, "r"));
	o.lane = json_is_integer(json_object_get(j, "l")) ?
	    (long)json_integer_value(json_object_get(j, "l")) : -1;
	o.error = json_is_string(json_object_get(j, "e")) ?
	    xstrdup(json_string_value(json_object_get(j, "e"))) : NULL;
	json_decref(j);
	task_record(r, idx, worker, &o);
	return 0;
}

/*
 * task_lost - the worker running task idx died (why: "worker 2 died of
 * SIGSEGV").  Returns 1 if the job's retries allow another attempt
 * (the caller runs it again), else records the task as failed and
 * returns 0.
 */
static int
host_task_lost(struct weft_run *r, size_t idx, unsigned worker,
    const char *why)
{
	struct task_rec	*rec = &r->recs[idx];
	struct outcome	 o = { .state = T_FAILED, .lane = -1 };

	if (idx >= r->ntasks)
		return 0;
	if (!CANCELLED() && rec->attempts < r->retries) {
		rec->attempts++;
		return 1;
	}
	o.attempts = 1;
	o.start = o.end = now_mono() - r->t0;
	o.error = xstrdup(why);
	task_record(r, idx, worker, &o);
	return 0;
}

/*
 * note_running - which task this thread runs now, and the guard region
 * of its stack (strategies that switch tasks on a thread call this on
 * every switch), so that a crash names the right task and a stack
 * overflow is told apart from other faults.
 */
static void
host_note_running(long long idx, const void *guard, size_t guard_len)
{
	current_task = idx;
	current_guard = guard;
	current_guard_len = guard_len;
}

static const struct weft_node *
host_run_params(const struct weft_run *r)
{
	return (const struct weft_node *)r->sparams;
}

static void *
host_loop_base(struct weft_task *t)
{
	if (t->run->sops->event_base == NULL)
		return NULL;
	return t->run->sops->event_base(t);
}

static unsigned
host_task_worker(const struct weft_task *t)
{
	return t->ctx->worker;
}

static int
host_node_duration_ms(const struct weft_node *n, long long *out)
{
	uint64_t ms;

	if (ynode_duration((const struct ynode *)n, &ms) != 0)
		return -1;
	*out = (long long)ms;
	return 0;
}

static int
host_park(struct weft_task *t, int timeout_ms)
{
	if (t->run->sops->park == NULL)
		return -1;
	return t->run->sops->park(t, timeout_ms);
}

static void
host_progress(struct weft_task *t, long long done, long long total)
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

static void **
host_strategy_slot(struct weft_task *t)
{
	return &t->slot;
}

static void
host_note_lane(unsigned lane)
{
	current_lane = (long)lane;
}

static void
host_unpark(struct weft_task *t)
{
	if (t->run->sops->unpark != NULL)
		t->run->sops->unpark(t);
}

static const struct weft_host host = {
	.size = sizeof(struct weft_host),
	.abi_major = WEFT_ABI_MAJOR,
	.abi_minor = WEFT_ABI_MINOR,
	.log = host_log,
	.param = host_param,
	.params_allow = host_params_allow,
	.node_kind = host_node_kind,
	.node_len = host_node_len,
	.node_at = host_node_at,
	.node_str = host_node_str,
	.node_int = host_node_int,
	.node_error = host_node_error,
	.result_str = host_result_str,
	.result_int = host_result_int,
	.result_num = host_result_num,
	.task_fail = host_task_fail,
	.task_index = host_task_index,
	.wait_fd = host_wait_fd,
	.sleep_ms = host_sleep_ms,
	.cancelled = host_cancelled,
	.run_concurrency = host_run_concurrency,
	.run_ntasks = host_run_ntasks,
	.run_next = host_run_next,
	.run_cancelled = host_run_cancelled,
	.ctx_open = host_ctx_open,
	.ctx_close = host_ctx_close,
	.task_exec = host_task_exec,
	.task_exec_capture = host_task_exec_capture,
	.task_commit = host_task_commit,
	.task_lost = host_task_lost,
	.note_running = host_note_running,
	.run_params = host_run_params,
	.loop_base = host_loop_base,
	.task_worker = host_task_worker,
	.node_duration_ms = host_node_duration_ms,
	.park = host_park,
	.unpark = host_unpark,
	.progress = host_progress,
	.note_lane = host_note_lane,
	.strategy_slot = host_strategy_slot,
};

/* ---- the runner process ---- */

static void
on_term(int sig)
{
	atomic_store_explicit(&cancel_flag, 1, memory_order_relaxed);
}

/*
 * on_crash - a fatal signal in plugin code: note the task this thread
 * was running where the supervisor can read it, then die of the signal.
 */
static void
on_crash(int sig, siginfo_t *si, void *uc)
{
	const char *a = si->si_addr, *g = current_guard;

	shared->crash_task = current_task;
	shared->crash_signal = sig;
	shared->stack_overflow = sig == SIGSEGV && g != NULL && a >= g &&
	    a < g + current_guard_len;
	signal(sig, SIG_DFL);
	raise(sig);
}

static void NORETURN
fail(int fd, const char *fmt, ...)
{
	va_list	 ap;
	char	*m;
	json_t	*o;

	va_start(ap, fmt);
	xvasprintf(&m, fmt, ap);
	va_end(ap);
	o = json_pack("{s:s, s:s}", "type", "error", "message", m);
	frame_write(fd, o);
	_exit(1);
}

/* load_plugin - dlopen path and check it is still the plugin it was. */
static const struct weft_plugin *
load_plugin(int fd, const char *path, int kind, const char *name)
{
	void				*h;
	const struct weft_plugin	*d;
	char				 why[512];

	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fail(fd, "cannot load %s plugin %s: %s", plugin_kind_name(kind),
		    path, dlerror());
	if ((d = dlsym(h, WEFT_PLUGIN_SYMBOL)) == NULL)
		fail(fd, "%s: no %s symbol", path, WEFT_PLUGIN_SYMBOL);
	if (plugin_check_desc(d, sizeof *d, why, sizeof why) != 0)
		fail(fd, "%s: %s", path, why);
	if (d->kind != kind || strcmp(d->name, name) != 0)
		fail(fd, "%s no longer holds %s %s (it changed since the "
		    "catalog scan; reload)", path, plugin_kind_name(kind),
		    name);
	return d;
}

static void
set_errs(struct ynode *n, struct errlist *errs)
{
	n->errs = errs;
	for (size_t i = 0; n->kind != YNODE_SCALAR && i < n->n; i++)
		set_errs(n->items[i], errs);
}

/*
 * apply_sets - graft each --set value into the job's params, replacing
 * a key of that name.  The values were parsed by the supervisor as YAML
 * documents of the form {params: {KEY: VALUE}}.
 */
static struct ynode *
apply_sets(const struct run_request *req, struct ynode *params)
{
	for (size_t i = 0; i < req->nsets; i++) {
		struct ynode	*set = ynode_get(req->sets[i]->root, "params");
		struct ynode	*key = set->keys[0], *val = set->items[0];
		size_t		 k;

		set_errs(set, &req->job->doc->errs);
		if (params == NULL) {
			params = set;
			continue;
		}
		for (k = 0; k < params->n; k++)
			if (strcmp(params->keys[k]->str, key->str) == 0)
				break;
		if (k == params->n) {
			params->n++;
			params->keys = xreallocarray(params->keys, params->n,
			    sizeof *params->keys);
			params->items = xreallocarray(params->items, params->n,
			    sizeof *params->items);
			params->keys[k] = key;
		}
		params->items[k] = val;
	}
	return params;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(const double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return 0;
	i = (size_t)ceil(p * (double)n);
	return v[i == 0 ? 0 : i - 1];
}

/*
 * build_summary - totals of the workload's sum_keys and histograms of
 * its count_keys over every task's results; NULL if it declares none.
 */
static json_t *
build_summary(struct weft_run *r)
{
	const char *const	*sk = r->wops->sum_keys, *const *ck =
				    r->wops->count_keys;
	json_t			*sum, *count, *o;

	if (sk == NULL && ck == NULL)
		return NULL;
	sum = json_object();
	count = json_object();
	for (size_t k = 0; sk != NULL && sk[k] != NULL; k++) {
		double	 total = 0;
		int	 integral = 1;

		for (size_t i = 0; i < r->ntasks; i++) {
			json_t *v = json_object_get(r->recs[i].result, sk[k]);

			if (json_is_integer(v))
				total += (double)json_integer_value(v);
			else if (json_is_real(v)) {
				total += json_real_value(v);
				integral = 0;
			}
		}
		json_object_set_new(sum, sk[k], integral ?
		    json_integer((json_int_t)total) : json_real(total));
	}
	for (size_t k = 0; ck != NULL && ck[k] != NULL; k++) {
		json_t *hist = json_object();

		for (size_t i = 0; i < r->ntasks; i++) {
			json_t	*v = json_object_get(r->recs[i].result, ck[k]);
			char	 buf[64];
			const char *key;

			if (v == NULL)
				continue;
			if (json_is_string(v))
				key = json_string_value(v);
			else if (json_is_integer(v)) {
				snprintf(buf, sizeof buf, "%lld",
				    (long long)json_integer_value(v));
				key = buf;
			} else
				continue;
			json_object_set_new(hist, key, json_integer(
			    json_integer_value(json_object_get(hist, key)) + 1));
		}
		json_object_set_new(count, ck[k], hist);
	}
	o = json_object();
	if (json_object_size(sum) != 0)
		json_object_set(o, "sum", sum);
	if (json_object_size(count) != 0)
		json_object_set(o, "count", count);
	json_decref(sum);
	json_decref(count);
	return o;
}

/* build_record - the runner's part of the run record. */
static json_t *
build_record(struct weft_run *r, const char *strategy)
{
	json_t	*o, *results, *failures, *lat, *summary;
	double	*durs;
	size_t	 nd = 0, ok = 0, failed = 0, cancelled = 0;

	durs = xcalloc(r->ntasks, sizeof *durs);
	results = json_array();
	failures = json_array();
	for (size_t i = 0; i < r->ntasks; i++) {
		struct task_rec *t = &r->recs[i];

		switch (t->state) {
		case T_OK:
			ok++;
			break;
		case T_FAILED:
			failed++;
			if (json_array_size(failures) < FAILURES_MAX)
				json_array_append_new(failures, json_pack(
				    "{s:I, s:s, s:i}", "task", (json_int_t)i,
				    "error", t->error, "attempts",
				    t->attempts));
			break;
		default:
			cancelled++;
			break;
		}
		if (t->state == T_OK || t->state == T_FAILED)
			durs[nd++] = t->end - t->start;
		if (t->result != NULL && i < RESULTS_MAX) {
			json_t *res = json_pack("{s:I}", "task", (json_int_t)i);

			json_object_update(res, t->result);
			json_array_append_new(results, res);
		}
	}
	qsort(durs, nd, sizeof *durs, cmp_double);
	summary = build_summary(r);
	lat = json_pack("{s:f, s:f, s:f, s:f}", "p50",
	    percentile(durs, nd, 0.50), "p95", percentile(durs, nd, 0.95),
	    "p99", percentile(durs, nd, 0.99), "max",
	    nd ? durs[nd - 1] : 0.0);
	free(durs);
	o = json_pack("{s:s, s:s, s:I, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o}",
	    "type", "record", "strategy", strategy, "concurrency",
	    (json_int_t)r->concurrency, "tasks", "total",
	    (json_int_t)r->ntasks, "ok", (json_int_t)ok, "failed",
	    (json_int_t)failed, "cancelled", (json_int_t)cancelled,
	    "latency_s", lat, "results", results, "failures", failures);
	if (r->ntasks > RESULTS_MAX)
		json_object_set_new(o, "results_truncated", json_true());
	if (summary != NULL)
		json_object_set_new(o, "summary", summary);
	json_object_set_new(o, "cancelled", json_boolean(CANCELLED()));
	return o;
}

/*
 * send_trace - every task's start, end, lane and state, for timelines:
 * [task, start_s, end_s, lane, state] with state 1 ok, 2 failed,
 * 3 cancelled.  At most trace_max tasks (weftd.yaml; the first ones);
 * the rest are only counted.
 */
static void
send_trace(struct weft_run *r, int fd)
{
	json_t	*tasks = json_array(), *o;
	size_t	 kept = 0, left = 0;

	for (size_t i = 0; i < r->ntasks; i++) {
		struct task_rec *t = &r->recs[i];

		if (t->state == T_PENDING)
			continue;
		if (kept == (size_t)weftd.conf->trace_max) {
			left++;
			continue;
		}
		json_array_append_new(tasks, json_pack("[I, f, f, i, i]",
		    (json_int_t)i, t->start, t->end, (int)t->worker,
		    (int)t->state));
		kept++;
	}
	o = json_pack("{s:s, s:o, s:I}", "type", "trace", "tasks", tasks,
	    "not_kept", (json_int_t)left);
	frame_write(fd, o);
	json_decref(o);
}

/*
 * runner_check_params - for weftd --check, in a child process: load the
 * job's workload and let its init judge the params, as a run would.
 * Sends {"type":"params", "errors": [...]} (empty: fine), or
 * {"type":"error"} if the plugin cannot be loaded; exits.
 */
void
runner_check_params(const void *arg, int fd)
{
	const struct params_check	*pc = arg;
	const struct job		*job = pc->job;
	const char			*wpath = pc->wpath;
	const struct weft_plugin	*d;
	const struct weft_workload_ops	*ops;
	struct weft_run			*r = &the_run;
	struct errlist			*el = &job->doc->errs;
	void				*state;
	size_t				 n = 0;
	json_t				*o, *errs;

	closefrom(fd + 1);
	r->host = &host;
	d = load_plugin(fd, wpath, WEFT_KIND_WORKLOAD, job->workload);
	ops = d->ops;
	state = ops->init(&host, (const struct weft_node *)job->params, &n);
	errs = json_array();
	for (size_t i = 0; i < el->n; i++)
		json_array_append_new(errs, json_string(el->v[i]));
	if (state == NULL && el->n == 0) {
		char *m;

		xasprintf(&m, "%s: workload %s refused its params (see the "
		    "log)", job->file, job->workload);
		json_array_append_new(errs, json_string(m));
		free(m);
	}
	if (state != NULL && ops->fini != NULL)
		ops->fini(state);
	o = json_pack("{s:s, s:o}", "type", "params", "errors", errs);
	frame_write(fd, o);
	_exit(0);
}

/*
 * runner_main - the body of the runner child.  fd is the write end of
 * the pipe to the supervisor.  Never returns.
 */
void
runner_main(const struct run_request *req, const char *wpath,
    const char *spath, int fd, struct run_shared *sh)
{
	const struct job	*job = req->job;
	struct weft_run		*r = &the_run;
	struct sigaction	 sa;
	const char		*strategy;
	struct ynode		*params;
	json_t			*o;
	static const int	 crash_signals[] = { SIGSEGV, SIGBUS, SIGFPE,
				    SIGILL, SIGABRT, SIGSYS, SIGTRAP };
	int			 devnull;

	shared = sh;
	setpgid(0, 0);
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sa.sa_sigaction = on_crash;
	sa.sa_flags = SA_ONSTACK | SA_RESETHAND | SA_SIGINFO;
	for (size_t i = 0; i < sizeof crash_signals / sizeof *crash_signals;
	    i++)
		sigaction(crash_signals[i], &sa, NULL);
	{
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
	}
	/* Keep only stdio and the pipe; stdin is /dev/null. */
	if (fd != 3) {
		dup2(fd, 3);
		fd = 3;
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	closefrom(4);
	if ((devnull = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(devnull, 0);
		close(devnull);
	}

	strategy = req->strategy ? req->strategy : job->strategy;
	r->host = &host;
	r->fd = fd;
	r->retries = job->retries;
	pthread_mutex_init(&r->mu, NULL);
	r->wdesc = load_plugin(fd, wpath, WEFT_KIND_WORKLOAD, job->workload);
	r->sdesc = load_plugin(fd, spath, WEFT_KIND_STRATEGY, strategy);
	r->wops = r->wdesc->ops;
	r->sops = r->sdesc->ops;
	r->concurrency = (size_t)(req->concurrency ? req->concurrency :
	    job->concurrency);
	if (r->concurrency == 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		r->concurrency = n > 0 ? (size_t)n : 1;
	}
	if (r->sops->max_concurrency != 0 &&
	    r->concurrency > r->sops->max_concurrency)
		r->concurrency = r->sops->max_concurrency;
	r->sparams = job->sparams;

	params = apply_sets(req, job->params);
	r->wstate = r->wops->init(&host, (const struct weft_node *)params,
	    &r->ntasks);
	if (job->doc->errs.n != 0 || r->wstate == NULL) {
		struct errlist	*el = &job->doc->errs;
		size_t		 len = 0;
		char		*m;

		for (size_t i = 0; i < el->n; i++)
			len += strlen(el->v[i]) + 2;
		m = xcalloc(1, len + 64);
		for (size_t i = 0; i < el->n; i++) {
			strcat(m, el->v[i]);
			if (i + 1 < el->n)
				strcat(m, "; ");
		}
		fail(fd, "workload %s: %s", job->workload, *m ? m :
		    "initialization failed (see the log)");
	}
	r->recs = xcalloc(r->ntasks ? r->ntasks : 1, sizeof *r->recs);
	o = json_pack("{s:s, s:I, s:s, s:I}", "type", "start", "total",
	    (json_int_t)r->ntasks, "strategy", strategy, "concurrency",
	    (json_int_t)r->concurrency);
	frame_write(fd, o);
	json_decref(o);

	r->t0 = now_mono();
	/* Report the first task at once. */
	atomic_store(&r->last_progress, -(long long)(PROGRESS_EVERY * 1e6));
	if (r->sops->run(&host, r) != 0)
		fail(fd, "strategy %s failed (see the log)", strategy);

	send_trace(r, fd);
	o = build_record(r, strategy);
	if (r->wops->fini != NULL)
		r->wops->fini(r->wstate);
	frame_write(fd, o);
	_exit(0);
}
