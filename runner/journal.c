/*
 * journal.c - the runner's side of durable runs.
 *
 * Every task the run records is journaled (lib/journal.c has the
 * format) by a thread of this file, every JOURNAL_EVERY_MS: it scans the
 * task records from the first task not journaled yet, and writes what
 * finished since (the task's state, stored last with release order, says
 * its record is complete), then fdatasyncs.  The task threads do nothing
 * for it: a noop task costs a few hundred nanoseconds, and anything per
 * task shared between threads (a counter, a queue) would cost more than
 * the journal is allowed to.  Tasks that ended ok without a result are
 * written as ranges, one line a flush; the others one line each.  So
 * the journal lags by at most 100 ms of work (plus the time to scan).
 *
 * The same thread listens on the run's own socket: when the weftd that
 * started the run is gone (killed, restarted), the run goes on, and a
 * new weftd connects and sends ADOPT; from then on progress and the
 * end of the run go to it.  If no weftd is there when the run ends, the
 * record in the journal is what the next one finds.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#define JOURNAL_EVERY_MS	100
#define JOURNAL_CHUNK		(1024 * 1024)

static char	*buf;		/* formatted, not yet written */
static size_t	 buflen, bufcap;
static int	 full_logged;
static int	 unsynced;	/* written since the last sync */

/* supervisor_send - a message (its JSON text) to weftd, if one is there. */
void
supervisor_send(struct weft_run *r, const char *text)
{
	pthread_mutex_lock(&r->mu);
	if (r->fd >= 0 && frame_write_text(r->fd, text, strlen(text)) != 0) {
		log_info("run %lld: weftd is gone; the run goes on, and the "
		    "next weftd adopts it", r->id);
		close(r->fd);
		r->fd = -1;
	}
	pthread_mutex_unlock(&r->mu);
}

/* put - write buf out; what cannot be written now stays for later. */
static int
put(struct weft_run *r)
{
	size_t	off = 0;
	ssize_t	n;

	while (off < buflen) {
		n = write(r->jfd, buf + off, buflen - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	memmove(buf, buf + off, buflen - off);
	buflen -= off;
	if (buflen != 0) {
		if (!full_logged)
			log_warn("run %lld: cannot write its journal (it is "
			    "kept in memory and written when it can be)",
			    r->id);
		full_logged = 1;
		return -1;
	}
	if (full_logged)
		log_info("run %lld: its journal is written again", r->id);
	full_logged = 0;
	return 0;
}

static void
room(size_t n)
{
	if (bufcap - buflen < n) {
		bufcap = 2 * (bufcap + n);
		buf = xreallocarray(buf, bufcap, 1);
	}
}

/*
 * scratch_text - a task's result as JSON text, in a buffer reused for
 * every task (only one thread at a time journals); NULL for none.
 */
static const char *
scratch_text(const struct result *res)
{
	static char	*text;
	static size_t	 cap;
	size_t		 need = result_room(res) + 1;

	if (res == NULL)
		return NULL;
	if (need > cap) {
		cap = need < 4096 ? 4096 : need;
		free(text);
		text = xmalloc(cap);
	}
	*result_put(res, text) = '\0';
	return text;
}

/* range - add [lo, hi] to the ok ranges being gathered. */
static void
range(json_t **ranges, size_t lo, size_t hi)
{
	if (*ranges == NULL)
		*ranges = json_array();
	json_array_append_new(*ranges, json_pack("[I, I]", (json_int_t)lo,
	    (json_int_t)hi));
}

/*
 * taken - task i is journaled (now, or by the run resumed): so marked,
 * and its result in the summary.  The two go together: summary() folds
 * only what is not marked.
 */
static void
taken(struct weft_run *r, size_t i)
{
	r->journaled[i] = 1;
	sums_add(r, r->recs[i].result);
}

/*
 * release - task i's result is journaled and summed: unless the record
 * shows it, it is not needed any more.
 */
static void
release(struct weft_run *r, size_t i)
{
	if (i >= RESULTS_MAX) {
		result_free(r->recs[i].result);
		r->recs[i].result = NULL;
	}
}

/*
 * flush - journal every task that finished since the last flush (its
 * caller syncs: unsynced says whether it should).  jlo is the first
 * task not journaled; everything before it is.
 */
static void
flush(struct weft_run *r)
{
	size_t	 hi = r->todo != NULL ? r->ntasks : atomic_load_explicit(
		    &r->next, memory_order_relaxed), i, run_lo = 0;
	int	 in_run = 0, gap = 0;
	json_t	*ranges = NULL;
	const char *rtext;

	if (r->jfd < 0)
		return;
	if (buflen != 0 && put(r) != 0)
		return;		/* still cannot: try again next time */
	if (hi > r->ntasks)
		hi = r->ntasks;
	for (i = r->jlo; i < hi; i++) {
		struct task_rec	*t = &r->recs[i];
		unsigned char	 st;

		if (r->journaled[i])
			goto next;
		st = atomic_load_explicit((_Atomic unsigned char *)&t->state,
		    memory_order_acquire);
		if (st == T_PENDING) {
			gap = 1;
			goto next;
		}
		taken(r, i);
		if (st == T_OK && t->result == NULL) {
			if (!in_run)
				run_lo = i;
			in_run = 1;
			continue;
		}
		rtext = scratch_text(t->result);
		room(journal_outcome_len(rtext, t->error));
		buflen += journal_outcome(buf + buflen, i, st, t->attempts,
		    (long long)((t->end - t->start) * 1e6), rtext, t->error);
		release(r, i);
next:
		if (in_run)
			range(&ranges, run_lo, i - 1);
		in_run = 0;
		if (!gap)
			r->jlo = i + 1;
	}
	if (in_run)
		range(&ranges, run_lo, i - 1);
	if (!gap)
		r->jlo = i;
	if (ranges != NULL) {
		json_t *o = json_pack("{s:o}", "ok", ranges);
		char *text = json_dumps(o, JSON_COMPACT);
		size_t len = strlen(text);

		room(len + 1);
		memcpy(buf + buflen, text, len);
		buflen += len;
		buf[buflen++] = '\n';
		free(text);
		json_decref(o);
	}
	if (buflen != 0 && put(r) == 0)
		unsynced = 1;
}

/*
 * line - one {"key": value, ...} line, written now and synced with the
 * outcomes (weftd synced the header, which says what the run is).
 */
static void
line(struct weft_run *r, json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	size_t	 len = strlen(s);

	room(len + 1);
	memcpy(buf + buflen, s, len);
	buflen += len;
	buf[buflen++] = '\n';
	free(s);
	if (put(r) == 0)
		unsynced = 1;
}

/*
 * adopt - a new weftd connected to the run's socket: it says ADOPT with
 * the run's id, and gets what a weftd gets at the start (START, then
 * PROGRESS) and everything after.
 */
static void
adopt(struct weft_run *r)
{
	struct proto_msg	 m;
	struct proto_start	 st;
	char			 err[256];
	int			 fd;

	if ((fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return;
	if (proto_recv(fd, 2000, &m, err, sizeof err) != 1 ||
	    m.type != PROTO_ADOPT || m.u.adopt.id != r->id) {
		log_warnx("run %lld: a connection to its socket that is not "
		    "an adoption; closed", r->id);
		if (m.json != NULL)
			proto_clear(&m);
		close(fd);
		return;
	}
	proto_clear(&m);
	pthread_mutex_lock(&r->mu);
	if (r->fd >= 0)
		close(r->fd);
	r->fd = fd;
	st.total = (long long)r->ntasks;
	st.strategy = r->strategy;
	st.concurrency = (long long)r->concurrency;
	if (proto_send(fd, PROTO_START, &st) == 0)
		send_progress(r);
	pthread_mutex_unlock(&r->mu);
	log_info("run %lld: adopted by weftd", r->id);
}

static int	wake[2] = { -1, -1 };	/* journal_end wakes the thread */

/*
 * The journal thread works (allocates, formats, writes) only while it
 * holds jbusy, and a fork (a fork strategy's workers) takes jbusy
 * first: so a worker never starts with a lock the journal thread held
 * at that instant (an allocator's, stdio's, r->mu), which it would wait
 * on forever.
 */
static pthread_mutex_t	jbusy = PTHREAD_MUTEX_INITIALIZER;
static int		jfinal;		/* under jbusy: journal_join's now */

static void
fork_prepare(void)
{
	pthread_mutex_lock(&jbusy);
}

static void
fork_done(void)
{
	pthread_mutex_unlock(&jbusy);
}

static void *
journal_main(void *arg)
{
	struct weft_run	*r = arg;
	struct pollfd	 pfd[2] = { { wake[0], POLLIN, 0 },
			    { r->lfd, POLLIN, 0 } };

	while (!atomic_load(&r->jstop)) {
		int n = poll(pfd, r->lfd >= 0 ? 2 : 1, JOURNAL_EVERY_MS);
		int due;

		pthread_mutex_lock(&jbusy);
		if (jfinal) {		/* journal_join has taken over */
			pthread_mutex_unlock(&jbusy);
			break;
		}
		if (n > 0 && (pfd[1].revents & POLLIN))
			adopt(r);
		flush(r);
		due = unsynced;
		unsynced = 0;
		pthread_mutex_unlock(&jbusy);
		/* Synced outside jbusy: the run's end, which takes jbusy to
		 * write the last outcomes, does not wait for the disk
		 * (a sync took 0.3-3 ms here). */
		if (due)
			fdatasync(r->jfd);
	}
	return NULL;
}

/* listen_on - the run's adoption socket at path (mode 0600), or -1. */
static int
listen_on(const char *path)
{
	struct sockaddr_un	sun = { .sun_family = AF_UNIX };
	int			fd;
	mode_t			old;

	if (strlen(path) >= sizeof sun.sun_path) {
		log_warnx("%s: too long for a socket; the run cannot be "
		    "adopted if weftd restarts", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0 ||
	    listen(fd, 4) != 0) {
		log_warn("%s", path);
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/*
 * journal_start - begin journaling r (the header is weftd's; the start
 * line is ours) and listening for adoption, on a thread of its own.
 */
void
journal_start(struct weft_run *r, const struct proto_run *req)
{
	r->lfd = -1;
	if (req->listen != NULL && (r->lfd = listen_on(req->listen)) >= 0)
		r->lpath = xstrdup(req->listen);
	if (r->jfd >= 0) {
		json_t *o = json_pack("{s:{s:I, s:I, s:I}}", "start", "total",
		    (json_int_t)r->ntasks, "concurrency",
		    (json_int_t)r->concurrency, "resumed",
		    (json_int_t)r->carried);

		if (r->journaled == NULL)
			r->journaled = xcalloc(r->ntasks + 1, 1);
		line(r, o);
		json_decref(o);
	}
	if (pipe2(wake, O_CLOEXEC) != 0 ||
	    pthread_atfork(fork_prepare, fork_done, fork_done) != 0 ||
	    pthread_create(&r->jtid, NULL, journal_main, r) != 0)
		fatalx("cannot start the journal thread");
}

/*
 * journal_carry - a resumed run: every task of the journal at path that
 * ended ok is done already (its result kept, not run again) and is
 * journaled again here, so that this run's journal stands alone.
 */
void
journal_carry(struct weft_run *r, const char *path)
{
	struct journal	*j;
	char		*cause;

	if ((j = journal_read(path, &cause)) == NULL)
		runner_fail(SUPERVISOR_FD, "cannot resume: %s", cause);
	for (size_t i = 0; i < j->ntasks && i < r->ntasks; i++) {
		struct joutcome	*o = &j->tasks[i];
		struct task_rec	*t = &r->recs[i];

		if (o->state != T_OK)
			continue;
		t->state = T_OK;
		t->carried = 1;
		t->attempts = (unsigned short)o->attempts;
		t->end = (double)o->micros / 1e6;
		t->result = result_from(o->result);
		r->carried++;
		if (r->journaled == NULL)
			r->journaled = xcalloc(r->ntasks + 1, 1);
		taken(r, i);	/* journaled below, as they were */
		if (r->jfd >= 0) {
			const char *rtext = scratch_text(t->result);

			room(journal_outcome_len(rtext, NULL));
			buflen += journal_outcome(buf + buflen, i, T_OK,
			    o->attempts, o->micros, rtext, NULL);
		}
		release(r, i);
	}
	journal_free(j);
	atomic_store(&r->done, r->carried);
	r->todo = xcalloc(r->ntasks - r->carried + 1, sizeof *r->todo);
	for (size_t i = 0; i < r->ntasks; i++)
		if (!r->recs[i].carried)
			r->todo[r->ntodo++] = i;
}

/* text_line - {"key":TEXT, ...more} as one line. */
static void
text_line(const char *key, const char *text, const char *more)
{
	size_t n = strlen(key) + strlen(text) + strlen(more) + 8;

	room(n);
	buflen += (size_t)snprintf(buf + buflen, n, "{\"%s\":%s%s}\n", key,
	    text, more);
}

/*
 * journal_stop - the run's tasks are over: the journal thread ends;
 * journal_join makes sure it touches nothing more, and journal_end
 * writes the rest.
 */
void
journal_stop(struct weft_run *r)
{
	atomic_store(&r->jstop, 1);
	(void)!write(wake[1], "", 1);	/* not a poll's 100 ms later */
}

/*
 * journal_join - the journal is the run's end's from here: the thread
 * touches nothing more (it may still be syncing; journal_reap waits for
 * it once the record is sent).  What it had not journaled yet,
 * record_text sums itself and journal_end writes.
 */
void
journal_join(struct weft_run *r)
{
	pthread_mutex_lock(&jbusy);
	jfinal = 1;
	pthread_mutex_unlock(&jbusy);
}

/* journal_reap - the journal thread has ended (after a sync, maybe). */
void
journal_reap(struct weft_run *r)
{
	pthread_join(r->jtid, NULL);
}

/*
 * journal_end - the run is over: the last outcomes, then its RECORD
 * (the text weftd is sent, serialized once), so that a weftd that is
 * gone finds it at its next start.  Synced only when no weftd is there
 * to keep it: one that is has had the record first, and writes it to
 * its history (synced) at once.  The timeline is not journaled (it is
 * megabytes for a big run): it is in the run's trace file already,
 * written before this, where a weftd that lands the journal finds it.
 */
void
journal_end(struct weft_run *r, const char *record)
{
	char more[64];
	int  alone;

	if (r->jfd >= 0) {
		snprintf(more, sizeof more, ",\"ended\":%.6f", now_wall());
		pthread_mutex_lock(&r->mu);
		alone = r->fd < 0;
		pthread_mutex_unlock(&r->mu);
		pthread_mutex_lock(&jbusy);
		flush(r);		/* the last outcomes */
		text_line("record", record, more);
		if (put(r) == 0 && alone)
			fsync(r->jfd);
		pthread_mutex_unlock(&jbusy);
	}
	if (r->lfd >= 0) {
		close(r->lfd);
		unlink(r->lpath);
	}
}
