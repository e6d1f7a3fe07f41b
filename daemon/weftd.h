/*
 * weftd.h - the supervisor's internal interfaces (weftd alone: weftctl
 * and weft-runner use lib/ only).
 */
#ifndef WEFTD_H
#define WEFTD_H

#include <sys/types.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/buffer.h>

#include "common.h"
#include "proto.h"
#include "weft/weft-plugin.h"

#define WEFTD_PROTOCOL	1

/* catalog.c: the plugins found in the plugin directories */
struct catalog {
	struct plugin	*v;
	size_t		 n;
};
struct catalog	*catalog_scan(char *const *, size_t, const struct catalog *);
void		 catalog_free(struct catalog *);
const struct plugin *catalog_find(const struct catalog *, int, const char *);
json_t		*catalog_to_json(const struct catalog *);

/* warm.c: runners started ahead of their runs */
int	 warm_take(const struct plugin *, const struct plugin *, pid_t *,
	    int *);
void	 warm_start(const char *, const char *);
int	 warm_reaped(pid_t, int);
json_t	*warm_json(void);
void	 warm_trim(int);

/* watch.c: drop-in plugins */
void	 catalog_watch(void);
void	 catalog_unwatch(void);

/* record.c: a finished run's record, composed */
enum run_status {
	RUN_OK,
	RUN_FAILED,		/* tasks failed, or the runner could not run */
	RUN_TIMED_OUT,
	RUN_CANCELLED,
	RUN_CRASHED,		/* the runner died of a signal */
	RUN_INTERRUPTED,	/* found without its runner (weftd restarted) */
	RUN_NSTATUS
};
struct run;
json_t	*record_compose(const struct run *, enum run_status *);
const char *run_status_class(enum run_status);
void	 iso_time(double, char *, size_t);

/* run.c: runners, from spawn to reap */
struct run_request {
	const struct job	*job;		/* or: */
	json_t			*snapshot;	/* a journal's header (resume) */
	char			*strategy;	/* overrides the job's */
	long			 concurrency;	/* 0: the job's */
	json_t			*sets;		/* ["key=value"] (--set) */
	char			*trigger;	/* manual, schedule, at-start,
						   resume */
	long long		 resume_of;	/* resume: the run, whose */
	char			*carry;		/* journal carries its ok tasks */
};
struct run {
	long long		 id;
	char			*job;
	char			*workload;
	char			*strategy;
	char			*trigger;
	long			 concurrency;
	int			 auto_picked;	/* strategy: auto chose */
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
	uint64_t		 timeout_ms;
	json_t			*record;	/* the runner's RECORD */
	json_t			*trace;		/* its TRACE */
	char			*error;		/* its ERROR, or ours */
	char			*line;		/* its record as the history
						   has it (no newline), once
						   it has ended; or NULL */
	size_t			 line_len;
	char			*results_text;	/* its RECORD's results as
						   the history prints them,
						   made when it came */
	long long		 done, failed, total;
	long long		 units_done, units_total;
	struct run_shared	*shared;	/* or NULL */
	char			*journal;	/* its path, or NULL */
	int			 processes;	/* its workload starts processes:
						   kill its session at the end */
	int			 adopted;	/* an earlier weftd started it:
						   no exit status, no rusage */
	int			 pidfd;		/* adopted: readable at exit */
	struct event		*ev_exit;
	int			 interrupted;	/* found without its runner */
	double			 ended_wall;	/* 0: it ends now */
	long long		 resume_of;
	long long		 resumed;	/* tasks carried over */
	TAILQ_ENTRY(run)	 entry;
};
/*
 * Observers of runs: told when one starts, and when one has ended with
 * its record (durable in the history by then).
 */
enum run_event { RUN_STARTED, RUN_PROGRESS, RUN_ENDED };
typedef void (*run_observer)(enum run_event, const struct run *,
	    const json_t *, enum run_status, void *);
void	 runs_observe(run_observer, void *);
int	 run_start(struct run_request *, json_t **, char **);
int	 run_cancel(long long, char **);
void	 runs_reap(void);
void	 runs_exiting_kill(void);
int	 runs_active(void);
long long runs_tasks_in_flight(void);
struct run *run_find(long long);
struct run *job_running(const char *);
json_t	*run_json(const struct run *);
void	 runs_cancel_all(void);
void	 runs_each(void (*)(const struct run *, void *), void *);
void	 run_request_free(struct run_request *);
void	 run_free(struct run *);
void	 run_end_recovered(struct run *);
long long proc_starttime(pid_t);

/* history.c: the records of ended runs, and their timelines */
void	 history_init(void);
void	 history_close(void);
void	 history_settle(void);
void	 history_unlink_later(const char *);
int	 history_add(struct run *, json_t *);
char	*history_results_text(const json_t *);
void	 history_then_unlink(const char *);
int	 history_has(long long);
json_t	*history_list(const char *, int);
json_t	*history_lookup(long long);
json_t	*history_trace(long long, char **);
char	*history_traces_dir(void);
char	*history_trace_tmp(long long);
long long history_next_id(void);
void	 history_saw_id(long long);
int	 state_write_failed(const char *, int);
void	 state_write_ok(void);
const char *state_problem(void);

/* recover.c: runs an earlier weftd left: adopted, landed, interrupted */
void	 recover_runs(void);
int	 run_adopt(struct journal *, char **);
int	 resume_start(long long, const char *, json_t **, char **);

/* schedule.c */
void	 schedule_apply(int);
void	 schedule_clear(void);
char	*schedule_next_text(const struct job *);

/* control.c: the control socket; ctl-*.c: one command each */
struct conn;
struct handler {
	const char	*name;
	int		 changes_state;	/* only for trusted peers */
	void		(*exec)(struct conn *, json_t *);
};
int	 control_listen(const char *, mode_t, char **);
int	 control_adopt(int, char **);
void	 control_accept(int);
void	 control_close(void);
void	 conn_reply(struct conn *, json_t *);
void	 conn_reply_more(struct conn *, json_t *);
void	 conn_fail(struct conn *, const char *, ...) PRINTFLIKE(2, 3);
void	 conn_wait_run(struct conn *, long long);
struct job *req_job(struct conn *, json_t *);
int	 req_id(struct conn *, json_t *, long long *);
json_t	*errors_json(const struct errlist *);
json_t	*control_query(const char *, json_t *);
extern const struct handler ctl_status_entry, ctl_jobs_entry,
    ctl_job_show_entry, ctl_run_entry, ctl_runs_entry, ctl_run_show_entry,
    ctl_cancel_entry, ctl_plugins_entry, ctl_reload_entry, ctl_trace_entry,
    ctl_check_entry, ctl_resume_entry;
void	 checks_forget_conn(struct conn *);
void	 ctl_started(struct conn *, json_t *, json_t *);

/* metrics.c */
int	 metrics_listen(const char *, char **);
void	 metrics_close(void);

/* api.c: the JSON API on the HTTP listener */
#define HTTP_MAX_HEADERS	16384	/* bytes of request headers */
#define HTTP_TIMEOUT_S		10	/* to send a request, read a reply */
struct evhttp;
struct evhttp_request;
void	 api_attach(struct evhttp *);
int	 http_readable(struct evhttp_request *);
long long http_number(const char *, size_t);
void	 api_hide(json_t *);

/* web.c: the pages and /events on the HTTP listener */
int	 web_request(struct evhttp_request *, const char *, const char *);
int	 web_action(struct evhttp_request *, const char *);
void	 web_close(void);

/* notify.c */
void	 notify_init(void);
void	 notify(const char *, ...) PRINTFLIKE(1, 2);
void	 notify_status(void);
void	 watchdog_init(void);
void	 notify_close(void);
int	 listen_fd(void);

/* weftd.c */
struct weftd {
	struct event_base	*base;
	struct config		*conf;
	struct catalog		*catalog;
	char			*config_path;
	char			*socket_override;
	time_t			 started;
	int			 stopping;
	int			 log_dest;
	struct errlist		 load_errors;	/* from the last (re)load */
	int			 bad_jobs;
};
extern struct weftd weftd;

/* cluster.c: this node's part in a cluster (lib/cluster.h) */
void	 cluster_start(void);
void	 cluster_stop(void);
void	 cluster_reaped(pid_t, int);
json_t	*cluster_status(void);
struct cluster_conf;
int	 cluster_same(const struct cluster_conf *, const struct cluster_conf *);
struct run_shared *shared_page(int *);
int	 weftd_reload(struct errlist *);
int	 weftd_check_job(const struct job *, const struct catalog *,
	    struct errlist *);
const char *job_problem(const struct job *, char *, size_t);

#endif
