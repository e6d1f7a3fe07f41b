/*
 * work.c - a cluster worker's queue between its local strategy and the
 * threads that talk to Redis (cluster.c): tasks claimed and not yet
 * started, what this runner owns, and outcomes waiting to be committed.
 * No Redis here.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"
#include "cluster.h"


const char *
work_node(const struct weft_run *r)
{
	return r->work->cc.node;
}

int
owned(struct work *w, size_t idx)
{
	for (size_t i = 0; i < w->nown; i++)
		if (w->own[i] == idx)
			return 1;
	return 0;
}

void
own_del(struct work *w, size_t idx)
{
	for (size_t i = 0; i < w->nown; i++)
		if (w->own[i] == idx) {
			w->own[i] = w->own[--w->nown];
			return;
		}
}

/* efd_set - the eventfd says "tasks (or the end)" iff there are. */
void
efd_set(struct work *w)
{
	uint64_t	v = 1;
	ssize_t		n;

	/* Nothing to do if either fails: a read fails (EAGAIN) only when
	 * the counter is clear already. */
	if (w->qn > 0 || w->over)
		n = write(w->efd, &v, sizeof v);
	else
		n = read(w->efd, &v, sizeof v);
	(void)n;
}

/* push - a claimed entry, to run (under w->mu). */
void
push(struct work *w, size_t idx)
{
	if (owned(w, idx))
		return;
	if (w->qn == w->qcap) {
		size_t	 cap = w->qcap ? 2 * w->qcap : 64;
		size_t	*q = xcalloc(cap, sizeof *q);

		for (size_t i = 0; i < w->qn; i++)
			q[i] = w->q[(w->qhead + i) % w->qcap];
		free(w->q);
		w->q = q;
		w->qcap = cap;
		w->qhead = 0;
	}
	w->q[(w->qhead + w->qn++) % w->qcap] = idx;
	if (w->nown == w->capown) {
		w->capown = w->capown ? 2 * w->capown : 64;
		w->own = xreallocarray(w->own, w->capown, sizeof *w->own);
	}
	w->own[w->nown++] = idx;
	if (w->qn == 1)
		efd_set(w);
}

void
commit_add(struct work *w, size_t idx, char *text, int lost)
{
	if (w->nc == w->capc) {
		w->capc = w->capc ? 2 * w->capc : 64;
		w->c = xreallocarray(w->c, w->capc, sizeof *w->c);
	}
	w->c[w->nc].idx = idx;
	w->c[w->nc].text = text;
	w->c[w->nc++].lost = lost;
	pthread_cond_broadcast(&w->cv);
}

/*
 * work_ahead - how many tasks to hold (running and waiting), under
 * w->mu: about 100 ms of work, so that short tasks are claimed in
 * batches and long ones are left to other nodes; 2 x slots at least
 * (and before any task has ended), at most 256 x slots or 1024.
 */
size_t
work_ahead(struct work *w)
{
	double	k = w->avg_s > 0 ? 0.1 / w->avg_s : 2;
	size_t	n, cap = 256 * w->slots;

	if (k < 2)
		k = 2;
	if (k > 256)
		k = 256;
	n = (size_t)(k * (double)w->slots);
	if (cap > 1024)
		cap = 1024;
	if (cap < 2 * w->slots)
		cap = 2 * w->slots;
	return n < cap ? n : cap;
}

int
work_next(struct weft_run *r, size_t *idx)
{
	struct work *w = r->work;

	pthread_mutex_lock(&w->mu);
	if (w->qn > 0 && !CANCELLED()) {
		*idx = w->q[w->qhead];
		w->qhead = (w->qhead + 1) % w->qcap;
		if (--w->qn == 0)
			efd_set(w);
		pthread_cond_broadcast(&w->cv);	/* room to claim more */
		pthread_mutex_unlock(&w->mu);
		return 1;
	}
	if (w->over || CANCELLED()) {
		pthread_mutex_unlock(&w->mu);
		return 0;
	}
	pthread_mutex_unlock(&w->mu);
	/* Nothing at hand, and the run goes on: a wait. */
	*idx = r->ntasks + atomic_fetch_add(&w->idle_seq, 1) % 1000000;
	return 1;
}

/*
 * work_idle - the wait next() handed out: until tasks come or the run
 * ends, at most 100 ms, through the strategy's own primitive.  No mutex
 * here: it may run in a fork worker.
 */
int
work_idle(struct weft_ctx *c, size_t idx)
{
	struct weft_task t = { .run = c->run, .ctx = c, .idx = idx };

	(void)host.task->wait_fd(&t, c->run->work->efd, WEFT_READ, 100);
	return WEFT_TASK_OK;
}

/* work_done - a task's outcome, to commit (takes o's result, error). */
void
work_done(struct weft_run *r, size_t idx, struct outcome *o)
{
	struct work	*w = r->work;
	size_t		 len;
	int		 state = o->state;
	char		*text;

	if (state == T_CANCELLED && !atomic_load(&w->run_cancelled)) {
		/* This node is stopping, not the run: the task stays ours
		 * until we release it to the group for another node. */
		result_free(o->result);
		free(o->error);
		return;
	}
	text = outcome_text(r, o, &len);
	pthread_mutex_lock(&w->mu);
	w->avg_s = w->avg_s == 0 ? o->end - o->start :
	    0.9 * w->avg_s + 0.1 * (o->end - o->start);
	own_del(w, idx);
	w->ran++;
	if (state == T_OK)
		w->ok++;
	else
		w->failed++;
	commit_add(w, idx, text, 0);
	pthread_mutex_unlock(&w->mu);
}

