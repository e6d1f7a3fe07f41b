/*
 * strategy-fork.c - a pool of pre-forked worker processes, like Python's
 * multiprocessing.Pool: `concurrency` workers (default: the online
 * CPUs), each forked from the runner after the workload is initialized
 * and each opening its own execution context (the Pool initializer).
 *
 * Tasks and outcomes travel over one socketpair per worker, framed and
 * checked:
 *   to a worker:    u32 count, then count u64 task numbers (count 0: exit)
 *   from a worker:  u32 length, u64 task number, outcome text
 * A worker answers its tasks in the order it got them.  The outcomes of
 * tasks that took under 20 us wait and go with the rest of the batch in
 * one write; any longer task's outcome goes at once, with what waited.
 * Before each task a worker counts it in a page it shares with the
 * parent, so the parent knows which task a worker was running when it
 * died: that task is failed with the signal's name (or run again if the
 * job has retries); the short tasks it had finished but not yet
 * answered, and those queued behind, go back to the queue; a new worker
 * takes its place, and the run goes on.
 *
 * strategy_params:
 *   max_tasks_per_child: replace a worker after this many tasks (0: never)
 *   batch:               most task numbers sent to a worker at once (64)
 *   cancel_grace:        how long a cancelled run's workers may take to
 *                        end their tasks before they are killed (10s)
 *
 * A cancelled run's workers finish or abandon the task they are on (the
 * workload decides: exec stops its program), their outcomes are kept,
 * and the tasks they had not started stay pending (resume runs them).
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <weft/weft-plugin.h>

#define FRAME_MAX	(16u * 1024 * 1024)
#define HOLD_NS		20000		/* shorter tasks' outcomes wait */
#define OUTBUF_MAX	65536		/* at most this much waits */

extern const struct weft_plugin weft_plugin;

struct worker {
	pid_t		 pid;
	int		 fd;
	unsigned	 id;
	size_t		*sent;		/* ring of task numbers in flight */
	size_t		 head, n, cap;
	unsigned long	 tasks_done;
	int		 retiring;	/* told to exit after its tasks */
	unsigned char	*in;		/* bytes read, not yet parsed */
	size_t		 inlen, incap;
};

struct pool {
	const struct weft_host	*h;
	struct weft_run		*r;
	struct worker		*w;
	size_t			 nw;
	size_t			*requeue;	/* tasks to run again */
	size_t			 nrequeue, caprequeue;
	size_t			 batch;
	unsigned long		 max_per_child;
	unsigned		 next_id;
	int			 exhausted;	/* run_next said no more */
	uint64_t		*started;	/* shared: tasks each began */
};

/* ---- the worker process ---- */

/* full - read or write all len bytes, through EINTR.  0, or -1. */
static int
full(int fd, void *buf, size_t len, int writing)
{
	unsigned char	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

#define read_full(fd, buf, len)		full((fd), (buf), (len), 0)
#define write_full(fd, buf, len)	full((fd), (void *)(buf), (len), 1)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The outcomes a worker holds back, framed, ready to write. */
struct outbuf {
	unsigned char	*b;
	size_t		 len, cap;
};

static void
out_add(struct outbuf *o, const void *p, size_t len)
{
	if (o->cap - o->len < len) {
		while (o->cap - o->len < len)
			o->cap = o->cap ? 2 * o->cap : 4096;
		if ((o->b = realloc(o->b, o->cap)) == NULL)
			_exit(4);
	}
	memcpy(o->b + o->len, p, len);
	o->len += len;
}

static void
out_flush(struct outbuf *o, int fd)
{
	if (o->len > 0 && write_full(fd, o->b, o->len) != 0)
		_exit(5);
	o->len = 0;
}

static void
worker_main(const struct weft_host *h, struct weft_run *r, unsigned id,
    unsigned slot, int fd, uint64_t *started)
{
	struct weft_ctx	*c;
	struct outbuf	 ob = { 0 };
	uint32_t	 count;
	uint64_t	*idx = NULL;
	size_t		 cap = 0;

	if ((c = h->strategy->ctx_open(r, id)) == NULL)
		_exit(3);
	/* A replacement worker takes its predecessor's lane. */
	h->strategy->note_lane(c, slot);
	while (read_full(fd, &count, sizeof count) == 0 && count != 0) {
		if (count > cap) {
			free(idx);
			cap = count;
			if ((idx = malloc(cap * sizeof *idx)) == NULL)
				_exit(4);
		}
		if (read_full(fd, idx, count * sizeof *idx) != 0)
			break;
		for (uint32_t i = 0; i < count; i++) {
			size_t		 len;
			char		*out;
			uint32_t	 flen;
			uint64_t	 t0;

			/* Cancelled: the rest of the batch stays pending. */
			if (h->strategy->cancelled(r))
				break;
			/* Counted before it starts: if this process dies,
			 * the parent knows which task it was in. */
			__atomic_store_n(started, *started + 1,
			    __ATOMIC_RELEASE);
			t0 = now_ns();
			out = h->strategy->capture(c, (size_t)idx[i], &len);
			flen = (uint32_t)(len + sizeof idx[i]);
			out_add(&ob, &flen, sizeof flen);
			out_add(&ob, &idx[i], sizeof idx[i]);
			out_add(&ob, out, len);
			free(out);
			if (now_ns() - t0 >= HOLD_NS || ob.len >= OUTBUF_MAX ||
			    i + 1 == count)
				out_flush(&ob, fd);
		}
		out_flush(&ob, fd);
	}
	h->strategy->ctx_close(c);
	_exit(0);
}

/* ---- the parent ---- */

static int
spawn(struct pool *p, struct worker *w)
{
	int	sv[2];
	pid_t	pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	p->started[w - p->w] = 0;
	if ((pid = fork()) < 0) {
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	w->id = p->next_id++;
	if (pid == 0) {
		uint64_t *started = &p->started[w - p->w];

		close(sv[0]);
		for (size_t i = 0; i < p->nw; i++)
			if (p->w[i].pid > 0 && p->w[i].fd >= 0)
				close(p->w[i].fd);
		worker_main(p->h, p->r, w->id, (unsigned)(w - p->w), sv[1],
		    started);
	}
	close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	w->head = w->n = 0;
	w->tasks_done = 0;
	w->retiring = 0;
	w->inlen = 0;
	return 0;
}

/* next_task - a task to hand out: a re-queued one first. */
static int
next_task(struct pool *p, size_t *idx)
{
	if (p->h->strategy->cancelled(p->r))
		return 0;
	if (p->nrequeue > 0) {
		*idx = p->requeue[--p->nrequeue];
		return 1;
	}
	if (p->exhausted)
		return 0;
	if (p->h->strategy->next(p->r, idx))
		return 1;
	p->exhausted = 1;
	return 0;
}

static void
requeue(struct pool *p, size_t idx)
{
	if (p->nrequeue == p->caprequeue) {
		p->caprequeue = p->caprequeue ? 2 * p->caprequeue : 64;
		p->requeue = realloc(p->requeue,
		    p->caprequeue * sizeof *p->requeue);
		if (p->requeue == NULL)
			abort();
	}
	p->requeue[p->nrequeue++] = idx;
}

/* feed - top up w's tasks in flight.  -1 if the worker is gone. */
static int
feed(struct pool *p, struct worker *w)
{
	size_t		 target = p->batch == 1 ? 1 : 2 * p->batch;
	uint64_t	 buf[1 + 256];
	uint32_t	 count = 0;
	size_t		 idx;

	if (w->retiring || w->n >= target)
		return 0;
	if (p->max_per_child != 0 &&
	    w->tasks_done + w->n >= p->max_per_child)
		goto retire;
	while (count < p->batch && w->n < target &&
	    (p->max_per_child == 0 ||
	    w->tasks_done + w->n < p->max_per_child) &&
	    next_task(p, &idx)) {
		if (w->n == w->cap) {
			size_t	*ns = malloc(2 * (w->cap ? w->cap : 64) *
				    sizeof *ns);

			if (ns == NULL)
				abort();
			for (size_t i = 0; i < w->n; i++)
				ns[i] = w->sent[(w->head + i) % w->cap];
			free(w->sent);
			w->sent = ns;
			w->cap = 2 * (w->cap ? w->cap : 64);
			w->head = 0;
		}
		w->sent[(w->head + w->n++) % w->cap] = idx;
		buf[1 + count++] = idx;
	}
	if (count == 0)
		return 0;
	if (write_full(w->fd, &count, sizeof count) != 0 ||
	    write_full(w->fd, buf + 1, count * sizeof *buf) != 0)
		return -1;
	return 0;
retire:
	if (w->n == 0) {
		count = 0;
		w->retiring = 1;
		(void)write_full(w->fd, &count, sizeof count);
	}
	return 0;
}

static const char *
sig_name(int sig)
{
	static char	 buf[32];
	const char	*a = sigabbrev_np(sig);

	if (a != NULL)
		snprintf(buf, sizeof buf, "SIG%s", a);
	else
		snprintf(buf, sizeof buf, "signal %d", sig);
	return buf;
}

/*
 * bury - w's process has ended (or sent garbage): reap it, fail or
 * re-queue what it held, and start a replacement if work remains.
 */
static void
bury(struct pool *p, struct worker *w, const char *garbage)
{
	int	status = 0;
	char	why[160];

	if (garbage != NULL)
		kill(w->pid, SIGKILL);
	close(w->fd);
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	if (w->n > 0) {
		uint64_t	began = __atomic_load_n(&p->started[w - p->w],
				    __ATOMIC_ACQUIRE);
		size_t		in = 0, crashed;

		/* The task it was in: the last it began.  (None began
		 * since its last answer: the oldest unanswered is
		 * blamed, so that a worker that cannot start at all
		 * fails tasks rather than loop.) */
		if (began > w->tasks_done && began - w->tasks_done <= w->n)
			in = (size_t)(began - w->tasks_done - 1);
		crashed = w->sent[(w->head + in) % w->cap];

		if (garbage != NULL)
			snprintf(why, sizeof why, "worker %u sent a bad "
			    "message (%s)", w->id, garbage);
		else if (WIFSIGNALED(status))
			snprintf(why, sizeof why, "worker %u (pid %ld) was "
			    "killed by %s", w->id, (long)w->pid,
			    sig_name(WTERMSIG(status)));
		else
			snprintf(why, sizeof why, "worker %u (pid %ld) exited "
			    "with status %d", w->id, (long)w->pid,
			    WEXITSTATUS(status));
		if (!p->h->strategy->cancelled(p->r)) {
			p->h->log(&weft_plugin, WEFT_LOG_WARN, "task %zu: %s",
			    crashed, why);
			if (in > 0)
				p->h->log(&weft_plugin, WEFT_LOG_INFO, "worker "
				    "%u: %zu short tasks it had finished but "
				    "not answered yet run again", w->id, in);
			if (p->h->strategy->lost(p->r, crashed, w->id, why))
				requeue(p, crashed);
			for (size_t i = 0; i < w->n; i++)
				if (i != in)
					requeue(p, w->sent[(w->head + i) %
					    w->cap]);
		}
	} else if (!w->retiring && (!WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0))
		p->h->log(&weft_plugin, WEFT_LOG_WARN, "worker %u (pid %ld) "
		    "ended while idle (status 0x%x)", w->id, (long)w->pid,
		    status);
	w->pid = -1;
	w->fd = -1;
	w->n = 0;
	w->head = 0;
}

/* take - parse the outcomes in w's input buffer.  NULL or a complaint. */
static const char *
take(struct pool *p, struct worker *w)
{
	size_t off = 0;

	while (w->inlen - off >= 4) {
		uint32_t	len;
		uint64_t	idx;

		memcpy(&len, w->in + off, sizeof len);
		if (len < 8 || len > FRAME_MAX)
			return "bad frame length";
		if (w->inlen - off < 4 + (size_t)len)
			break;
		memcpy(&idx, w->in + off + 4, sizeof idx);
		if (w->n == 0 || idx != w->sent[w->head])
			return "an outcome for a task it was not running";
		if (p->h->strategy->commit(p->r, (size_t)idx, w->id,
		    (const char *)w->in + off + 12, len - 8) != 0)
			return "an unreadable outcome";
		w->head = (w->head + 1) % w->cap;
		w->n--;
		w->tasks_done++;
		off += 4 + (size_t)len;
	}
	memmove(w->in, w->in + off, w->inlen - off);
	w->inlen -= off;
	return NULL;
}

static int
on_readable(struct pool *p, struct worker *w)
{
	ssize_t		 n;
	const char	*bad;

	if (w->incap - w->inlen < 65536) {
		w->incap = w->incap ? 2 * w->incap : 131072;
		if ((w->in = realloc(w->in, w->incap)) == NULL)
			abort();
	}
	n = read(w->fd, w->in + w->inlen, w->incap - w->inlen);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		bury(p, w, NULL);
		return -1;
	}
	w->inlen += (size_t)n;
	if ((bad = take(p, w)) != NULL) {
		bury(p, w, bad);
		return -1;
	}
	return 0;
}

/*
 * stop_workers - the run is cancelled: each worker is told (SIGTERM sets
 * its cancel flag, as weftd's signal to the run's process group does),
 * ends the task it is on as that task's workload sees fit (exec stops
 * its program's process group), skips the rest of its batch and exits.
 * The outcomes they send meanwhile are kept; tasks not run stay
 * pending.  Workers still there after grace_ms are killed.
 */
static int
stop_workers(struct pool *p, int grace_ms)
{
	struct pollfd	*pfd = calloc(p->nw, sizeof *pfd);
	struct timespec	 ts;
	double		 end;
	uint32_t	 zero = 0;

	if (pfd == NULL)
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 + grace_ms / 1e3;
	for (size_t i = 0; i < p->nw; i++) {
		struct worker *w = &p->w[i];

		if (w->pid <= 0)
			continue;
		kill(w->pid, SIGTERM);
		(void)write_full(w->fd, &zero, sizeof zero);
		w->retiring = 1;
	}
	for (;;) {
		size_t	live = 0;
		double	left;

		for (size_t i = 0; i < p->nw; i++) {
			pfd[i].fd = p->w[i].pid > 0 ? p->w[i].fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			live += p->w[i].pid > 0;
		}
		if (live == 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		left = end - ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
		if (left <= 0) {
			for (size_t i = 0; i < p->nw; i++) {
				if (p->w[i].pid <= 0)
					continue;
				p->h->log(&weft_plugin, WEFT_LOG_WARN, "worker "
				    "%u (pid %ld) still running %dms after the "
				    "run was cancelled: killed", p->w[i].id,
				    (long)p->w[i].pid, grace_ms);
				kill(p->w[i].pid, SIGKILL);
				p->w[i].n = 0;
				bury(p, &p->w[i], NULL);
			}
			break;
		}
		if (poll(pfd, p->nw, left > 0.1 ? 100 : (int)(left * 1000) + 1)
		    < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < p->nw; i++)
			if (pfd[i].fd >= 0 && (pfd[i].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				on_readable(p, &p->w[i]);
	}
	free(pfd);
	return 0;
}

struct params {
	long long	batch;
	long long	max_per_child;
	long long	cancel_grace_ms;
};

static const struct weft_param spec[] = {
	{ "max_tasks_per_child", WEFT_P_INT, 0,
	    offsetof(struct params, max_per_child), 0, 1000000000, NULL, "0" },
	{ "batch", WEFT_P_INT, 0, offsetof(struct params, batch), 1, 256,
	    NULL, "64" },
	{ "cancel_grace", WEFT_P_DURATION, 0,
	    offsetof(struct params, cancel_grace_ms), 0, 0, NULL, "10s" },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static int
fork_run(const struct weft_host *h, struct weft_run *r)
{
	struct params	 prm;
	struct pool	 p = { .h = h, .r = r };
	struct pollfd	*pfd;
	size_t		 ntasks = h->strategy->ntasks(r);
	int		 rc = 0;

	if (h->params->parse(h->strategy->params(r), spec, &prm) != 0)
		return -1;
	p.batch = (size_t)prm.batch;
	p.max_per_child = (unsigned long)prm.max_per_child;
	p.nw = h->strategy->concurrency(r);
	/* Few tasks (or not known: 0): small batches, so that no worker
	 * sits idle. */
	if (p.batch > ntasks / (p.nw * 8))
		p.batch = ntasks / (p.nw * 8) ? ntasks / (p.nw * 8) : 1;
	p.w = calloc(p.nw, sizeof *p.w);
	pfd = calloc(p.nw, sizeof *pfd);
	p.started = mmap(NULL, p.nw * sizeof *p.started, PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p.w == NULL || pfd == NULL || p.started == MAP_FAILED) {
		free(p.w);
		free(pfd);
		if (p.started != MAP_FAILED)
			munmap(p.started, p.nw * sizeof *p.started);
		return -1;
	}
	for (size_t i = 0; i < p.nw; i++)
		p.w[i].pid = -1;
	for (size_t i = 0; i < p.nw; i++) {
		if (spawn(&p, &p.w[i]) != 0) {
			h->log(&weft_plugin, WEFT_LOG_ERR, "cannot fork "
			    "worker %zu: %s", i, strerror(errno));
			rc = -1;
			goto out;
		}
	}
	for (;;) {
		size_t	live = 0, busy = 0;
		int	more;

		if (h->strategy->cancelled(r)) {
			if (stop_workers(&p, (int)prm.cancel_grace_ms) != 0)
				rc = -1;
			break;
		}
		for (size_t i = 0; i < p.nw; i++) {
			struct worker *w = &p.w[i];

			if (w->pid > 0 && feed(&p, w) != 0) {
				bury(&p, w, NULL);
				continue;
			}
			more = p.nrequeue > 0 || !p.exhausted;
			if (w->pid > 0 && w->retiring && w->n == 0) {
				bury(&p, w, NULL);
				if (more && spawn(&p, w) != 0)
					rc = -1;
				if (w->pid > 0 && feed(&p, w) != 0)
					bury(&p, w, NULL);
			} else if (w->pid <= 0 && more && spawn(&p, w) == 0 &&
			    feed(&p, w) != 0)
				bury(&p, w, NULL);
			pfd[i].fd = w->pid > 0 ? w->fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			live += w->pid > 0;
			busy += w->pid > 0 && w->n > 0;
		}
		if (busy == 0 && p.nrequeue == 0 && p.exhausted)
			break;
		if (live == 0) {
			h->log(&weft_plugin, WEFT_LOG_ERR, "no worker could be "
			    "started");
			rc = -1;
			break;
		}
		if (poll(pfd, p.nw, 100) < 0 && errno != EINTR) {
			rc = -1;
			break;
		}
		for (size_t i = 0; i < p.nw; i++)
			if (pfd[i].fd >= 0 && (pfd[i].revents &
			    (POLLIN | POLLHUP | POLLERR)))
				on_readable(&p, &p.w[i]);
	}
out:
	/* Tell the workers to exit, and reap them. */
	for (size_t i = 0; i < p.nw; i++) {
		uint32_t zero = 0;

		if (p.w[i].pid <= 0)
			continue;
		(void)write_full(p.w[i].fd, &zero, sizeof zero);
		p.w[i].retiring = 1;
		p.w[i].n = 0;
		bury(&p, &p.w[i], NULL);
	}
	for (size_t i = 0; i < p.nw; i++) {
		free(p.w[i].sent);
		free(p.w[i].in);
	}
	free(p.w);
	free(pfd);
	free(p.requeue);
	munmap(p.started, p.nw * sizeof *p.started);
	return rc;
}

static const struct weft_strategy_ops fork_ops = {
	.run = fork_run,
};

WEFT_EXPORT const struct weft_plugin weft_plugin = {
	WEFT_PLUGIN_HEADER,
	.kind = WEFT_KIND_STRATEGY,
	.name = "fork",
	.version = "1.0",
	.summary = "a pool of pre-forked worker processes",
	.traits = WEFT_TRAIT_CPU_BOUND,
	.ops = &fork_ops,
	.params = spec,
};
