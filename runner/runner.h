/*
 * runner.h - weft-runner's internal interfaces.
 *
 * weft-runner is started by weftd (lib/spawn.c), once per run, per
 * plugin probe and per params check.  It holds the one job it was sent
 * and nothing else of the supervisor: it includes nothing from daemon/.
 */
#ifndef WEFT_RUNNER_H
#define WEFT_RUNNER_H

#include <pthread.h>
#include <stdatomic.h>

#include "common.h"
#include "cluster.h"
#include "proto.h"
#include "weft/weft-plugin.h"

#define SUPERVISOR_FD	3	/* the socketpair to weftd */
#define SHARED_FD	4	/* the page weftd reads after a crash */
#define JOURNAL_FD	7	/* the run's journal (after the plugins) */
#define TRACE_FD	8	/* where its timeline goes, with a journal */

enum task_state { T_PENDING, T_OK, T_FAILED, T_CANCELLED };

/* What is kept of each task for the record and the timeline. */
struct task_rec {
	double		 start, end;	/* seconds since the run began */
	unsigned char	 state;		/* enum task_state */
	unsigned char	 carried;	/* done by the run resumed */
	unsigned short	 attempts;
	unsigned	 lane;		/* timeline track */
	struct result	*result;
	char		*error;
};

struct weft_run {
	const struct weft_plugin	*wdesc, *sdesc;
	const struct weft_workload_ops	*wops;
	const struct weft_strategy_ops	*sops;
	const char			*strategy;	/* its name */
	void				*wstate;
	size_t				 ntasks, concurrency;
	int				 retries;
	size_t				 trace_max;
	const struct ynode		*sparams;	/* never NULL */
	struct task_rec			*recs;		/* one per task */
	atomic_size_t			 next;
	atomic_size_t			 done, failed;
	atomic_llong			 units_done, units_total;
	double				 t0;
	double				 wall0;	/* t0 on the wall clock */
	atomic_llong			 last_progress;	/* us since t0 */
	pthread_mutex_t			 mu;	/* serializes messages */
	atomic_int			 ended;	/* the record is sent */
	int				 fd;	/* to the supervisor; -1 when
						   it is gone (until a new one
						   adopts the run) */
	long long			 id;
	size_t				 carried;	/* resumed tasks */
	size_t				*todo;	/* resumed: the tasks left */
	size_t				 ntodo;
	/* The journal (runner/journal.c). */
	int				 jfd;		/* or -1 */
	int				 tfd;	/* the trace file, or -1 */
	unsigned char			*journaled;	/* by task; each
						   journaled is in sums */
	size_t				 jlo;	/* the first not journaled */
	int				 lfd;	/* the adoption socket */
	char				*lpath;
	pthread_t			 jtid;
	atomic_int			 jstop;
	struct sums			*sums;	/* the summary so far: the
						   journal thread's while it
						   runs (runner/record.c) */
	/* A cluster run (runner/cluster.c). */
	struct work			*work;	/* we are a worker for it */
	long long			 duplicated;	/* outcomes refused */
	long long			 lost;	/* queue entries deleted */
};

struct weft_ctx {
	struct weft_run	*run;
	unsigned	 worker;
	long		 lane;		/* -1: the worker's own */
	void		*wctx;		/* the workload's */
	void		*altstack;
	/* What runs now on this context's thread, for a crash report. */
	volatile long long	 task;
	const void * volatile	 guard;
	volatile size_t		 guard_len;
};

struct weft_task {
	struct weft_run	*run;
	struct weft_ctx	*ctx;
	size_t		 idx;
	void		*slot;		/* the strategy's */
	struct result	*result;
	char		*error;
};

/* What one execution of a task came to, before it is recorded. */
struct outcome {
	int		 state;		/* T_OK, T_FAILED, T_CANCELLED */
	long		 lane;		/* timeline track; -1: the worker */
	unsigned	 attempts;
	double		 start, end;
	struct result	*result;
	char		*error;
};

/* main.c */
extern atomic_int	 cancel_flag;
#define CANCELLED()	atomic_load_explicit(&cancel_flag, memory_order_relaxed)
void	 runner_fail(int, const char *, ...) PRINTFLIKE(2, 3) NORETURN;

/* load.c */
void	 runner_warm(void);
const struct weft_plugin *plugin_load(int, const char *, int,
	    const char *);

/* host.c: struct weft_host, the task and strategy tables */
extern const struct weft_host host;
void	 host_crash_setup(void);
void	 send_progress(struct weft_run *);
void	 task_record(struct weft_run *, size_t, unsigned, struct outcome *);
char	*outcome_text(struct weft_run *, struct outcome *, size_t *);
int	 outcome_parse(const char *, size_t, struct outcome *, json_t **);

/* run.c */
struct job *job_of(int, const char *, const char *, json_t *);
void	 fd_room(long long);

/* work.c: a cluster worker's queue (cluster.c fills and drains it) */
struct commit {
	size_t	 idx;
	char	*text;
	int	 lost;		/* an entry nobody owns any more */
};

struct work {
	struct cluster_conf	 cc;
	char			 key[160];
	char			 consumer[128];
	size_t			 slots;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;		/* space, commits, stop */
	int			 efd;		/* readable: tasks, or over */
	size_t			*q;		/* claimed, not yet started */
	size_t			 qhead, qn, qcap;
	size_t			*own;		/* claimed or in flight */
	size_t			 nown, capown;
	struct commit		*c;
	size_t			 nc, capc;
	int			 over;		/* no more tasks will come */
	int			 stop;		/* threads: finish up */
	atomic_int		 run_cancelled;	/* the run, not this node */
	atomic_size_t		 idle_seq;
	double			 avg_s;		/* a task's time, on average */
	/* Counted for the log. */
	size_t			 ran, ok, failed, stale, dead, lost;
};

int	 owned(struct work *, size_t);
void	 own_del(struct work *, size_t);
void	 efd_set(struct work *);
void	 push(struct work *, size_t);
void	 commit_add(struct work *, size_t, char *, int);
size_t	 work_ahead(struct work *);

/* cluster.c: strategy cluster (the coordinator) and its workers */
void	 runner_work(const struct proto_work *) NORETURN;
extern const struct weft_plugin cluster_strategy;
size_t	 cluster_prepare(struct weft_run *, const struct proto_run *);
int	 cluster_coordinate(struct weft_run *, const struct proto_run *);
int	 work_next(struct weft_run *, size_t *);
int	 work_idle(struct weft_ctx *, size_t);
void	 work_done(struct weft_run *, size_t, struct outcome *);
const char *work_node(const struct weft_run *);

/* params.c: the params table and the declarative parser */
extern const struct weft_params_api params_api;

/* record.c: the record, its summary and percentiles, the timeline */
#define RESULTS_MAX	1000	/* per-task results kept in the record */
void	 sums_add(struct weft_run *, const struct result *);
char	*record_text(struct weft_run *);
char	*trace_text(struct weft_run *);

/* journal.c: the run's journal, and adoption by a new weftd */
void	 journal_start(struct weft_run *, const struct proto_run *);
void	 journal_carry(struct weft_run *, const char *);
void	 journal_stop(struct weft_run *);
void	 journal_join(struct weft_run *);
void	 journal_reap(struct weft_run *);
void	 journal_end(struct weft_run *, const char *);
void	 supervisor_send(struct weft_run *, const char *);

/* run.c, check.c, probe.c: the three things a runner is for */
void	 runner_run(const struct proto_run *) NORETURN;
void	 run_ended(struct weft_run *);
void	 runner_check(const struct proto_check *) NORETURN;
void	 runner_probe(const struct proto_probe *) NORETURN;

#endif
