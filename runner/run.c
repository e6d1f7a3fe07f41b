/*
 * run.c - RUN: the one job this runner was started for.  Load its two
 * plugins, let the workload read its params, hand the strategy the
 * tasks, and report to the supervisor as it goes (START, PROGRESS) and
 * as soon as the tasks have ended (TRACE, RECORD).  Anything that stops
 * the run before it starts is an ERROR message naming the job and what
 * to fix.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

static struct weft_run	the_run;

/* errors_text - the messages of el joined by "; ", or NULL if none. */
static char *
errors_text(const struct errlist *el)
{
	size_t	 len = 1;
	char	*m;

	if (el->n == 0)
		return NULL;
	for (size_t i = 0; i < el->n; i++)
		len += strlen(el->v[i]) + 2;
	m = xcalloc(1, len);
	for (size_t i = 0; i < el->n; i++) {
		strcat(m, el->v[i]);
		if (i + 1 < el->n)
			strcat(m, "; ");
	}
	return m;
}

/*
 * job_of - parse the job text the supervisor sent, with its --set
 * values grafted into the params; the runner exits on any error (the
 * supervisor checked all of it before).
 */
struct job *
job_of(int fd, const char *file, const char *text, json_t *setv)
{
	struct errlist	  el = { 0 };
	struct job	 *j;
	struct ydoc	**sets;
	size_t		  n = json_array_size(setv), i;
	json_t		 *v;
	char		 *cause;

	j = job_parse(file, xstrdup(text), strlen(text), &el);
	if (j == NULL)
		runner_fail(fd, "%s", errors_text(&el));
	sets = xcalloc(n ? n : 1, sizeof *sets);
	json_array_foreach(setv, i, v)
		if ((sets[i] = parse_set(json_string_value(v), &cause)) == NULL)
			runner_fail(fd, "%s", cause);
	j->params = apply_sets(j, sets, n);
	if (j->params == NULL)
		j->params = ynode_new_map(j->doc, "params");
	if (j->sparams == NULL)
		j->sparams = ynode_new_map(j->doc, "strategy_params");
	return j;
}

/*
 * fd_room - grow this process's descriptor table to hold concurrency
 * tasks' descriptors now, while it has one thread.  The kernel grows
 * the table by doubling as descriptors are opened, and in a process of
 * more than one thread (the journal's, a strategy's) every growth waits
 * for an RCU grace period (expand_fdtable): 1,000 concurrent downloads
 * started 25-30 ms later for it, as did the raw libcurl program given
 * one idle thread.  A table never shrinks; this one costs 8 bytes a
 * slot, at most 8,192 slots, and no more than the descriptor limit.
 */
void
fd_room(long long concurrency)
{
	struct rlimit	rl;
	long long	n = 2 * concurrency + 64;
	int		fd;

	if (n > 8192)
		n = 8192;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur !=
	    RLIM_INFINITY && (rlim_t)n > rl.rlim_cur)
		n = (long long)rl.rlim_cur;
	if (n > 64 && (fd = fcntl(SUPERVISOR_FD, F_DUPFD_CLOEXEC,
	    (int)n - 1)) >= 0)
		close(fd);
}

void
runner_run(const struct proto_run *req)
{
	struct weft_run		*r = &the_run;
	struct proto_start	 st;
	struct job		*job;
	char			*errs;
	int			 fd = SUPERVISOR_FD;
	long			 ncpu;

	host_crash_setup();
	job = job_of(fd, req->file, req->text, req->sets);
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	fd_room(req->concurrency > 0 ? req->concurrency : ncpu);
	r->fd = fd;
	r->id = req->id;
	r->jfd = req->journal ? JOURNAL_FD : -1;
	r->tfd = req->journal && req->trace_file ? TRACE_FD : -1;
	r->retries = job->retries;
	r->trace_max = (size_t)req->trace_max;
	r->strategy = req->strategy;
	r->sparams = job->sparams;
	pthread_mutex_init(&r->mu, NULL);
	r->wdesc = plugin_load(fd, req->workload_path, WEFT_KIND_WORKLOAD,
	    job->workload);
	if (req->cluster != NULL)	/* built in: runner/cluster.c */
		r->sdesc = &cluster_strategy;
	else
		r->sdesc = plugin_load(fd, req->strategy_path,
		    WEFT_KIND_STRATEGY, req->strategy);
	r->wops = r->wdesc->ops;
	r->sops = r->sdesc->ops;

	r->wstate = r->wops->init(&host, (const struct weft_node *)job->params,
	    &r->ntasks);
	if (job->doc->errs.n != 0 || r->wstate == NULL) {
		errs = errors_text(&job->doc->errs);
		runner_fail(fd, "workload %s: %s", job->workload, errs ? errs :
		    "initialization failed (see the log)");
	}

	/* The one place concurrency is clamped: to the strategy, the tasks. */
	r->concurrency = (size_t)req->concurrency;
	if (req->cluster != NULL) {
		size_t c = cluster_prepare(r, req);

		if (r->concurrency == 0)
			r->concurrency = c;
	}
	if (r->concurrency == 0)
		r->concurrency = ncpu > 0 ? (size_t)ncpu : 1;
	if (r->sops->max_concurrency != 0 &&
	    r->concurrency > r->sops->max_concurrency)
		r->concurrency = r->sops->max_concurrency;
	r->recs = xcalloc(r->ntasks ? r->ntasks : 1, sizeof *r->recs);
	if (req->carry != NULL)
		journal_carry(r, req->carry);
	if (r->concurrency > r->ntasks - r->carried)
		r->concurrency = r->ntasks > r->carried ?
		    r->ntasks - r->carried : 1;
	journal_start(r, req);

	st.total = (long long)r->ntasks;
	st.strategy = req->strategy;
	st.concurrency = (long long)r->concurrency;
	pthread_mutex_lock(&r->mu);
	if (proto_send(r->fd, PROTO_START, &st) != 0) {
		close(r->fd);
		r->fd = -1;
	}
	pthread_mutex_unlock(&r->mu);

	r->t0 = now_mono();
	r->wall0 = now_wall();
	/* Report the first task at once. */
	atomic_store(&r->last_progress, -(long long)(0.2 * 1e6));
	if (req->cluster != NULL)
		cluster_coordinate(r, req);
	else if (r->sops->run(&host, r) != 0) {
		if (atomic_load(&r->ended))
			log_warnx("strategy %s failed after the run ended (see "
			    "the log)", req->strategy);
		else if ((errs = errors_text(&job->doc->errs)) != NULL)
			runner_fail(fd, "strategy %s: %s", req->strategy, errs);
		else
			runner_fail(fd, "strategy %s failed (see the log)",
			    req->strategy);
	}
	run_ended(r);
	if (r->wops->fini != NULL)
		r->wops->fini(r->wstate);
	_exit(0);
}

/*
 * run_ended - every task has ended: journal the run's end and send the
 * supervisor its timeline and record, then shut our side of the socket
 * so that weftd ends the run now, not when this process has exited.
 * What follows is only release: the strategy's (strategy->ended calls
 * this before it closes its contexts: a thousand idle connections take
 * 25 ms to close), the workload's fini, and the exit.  Once; on
 * whichever thread gets here first.  Not in a cluster worker, whose
 * tasks belong to another node's run.
 */
void
run_ended(struct weft_run *r)
{
	char	*tr, *rec;
	int	 alone;

	/* A cluster worker's end is its own (runner/cluster.c). */
	if (r->work != NULL || atomic_exchange(&r->ended, 1))
		return;
	journal_stop(r);
	journal_join(r);
	rec = record_text(r);
	pthread_mutex_lock(&r->mu);
	alone = r->fd < 0;
	pthread_mutex_unlock(&r->mu);
	/*
	 * With no weftd there, the journal is where the record goes, and
	 * first.  With one, it has the record first: it reads and keeps it
	 * (its history is synced before anyone hears the run ended) while
	 * this writes the timeline and the journal's last outcomes, which
	 * only a weftd that dies in those milliseconds would need.  The
	 * run ends for it at EOF, after both.
	 */
	if (alone) {
		tr = trace_text(r);
		journal_end(r, rec);
	} else {
		supervisor_send(r, rec);
		tr = trace_text(r);
		supervisor_send(r, tr);
		journal_end(r, rec);
	}
	pthread_mutex_lock(&r->mu);
	if (r->fd >= 0)
		shutdown(r->fd, SHUT_WR);
	pthread_mutex_unlock(&r->mu);
	journal_reap(r);	/* after: it may be in a sync */
	free(tr);
	free(rec);
	/* What is left is release, which no one waits for. */
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19);
}
