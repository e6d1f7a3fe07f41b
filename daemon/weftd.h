/*
 * weftd.h - the supervisor's internal interfaces.
 */
#ifndef WEFTD_H
#define WEFTD_H

#include <sys/types.h>
#include <sys/resource.h>

#include <event2/event.h>
#include <event2/buffer.h>

#include "common.h"
#include "weft/weft-plugin.h"

#define WEFTD_PROTOCOL	1

/* abi.c */
int	 plugin_check_desc(const struct weft_plugin *, size_t, char *, size_t);
const char *plugin_kind_name(int);
char	*plugin_traits_string(unsigned);

/* catalog.c: the plugins found in the plugin directories */
struct plugin {
	char		*path;
	char		*name;		/* NULL if rejected before it was read */
	int		 kind;
	char		*version;
	char		*summary;
	unsigned	 traits;
	int		 abi_major, abi_minor;
	char		*rejected;	/* NULL: ok; else the reason */
};
struct catalog {
	struct plugin	*v;
	size_t		 n;
};
struct catalog	*catalog_scan(char *const *, size_t);
void		 catalog_free(struct catalog *);
const struct plugin *catalog_find(const struct catalog *, int, const char *);
json_t		*catalog_to_json(const struct catalog *);
int		 catalog_probe(const char *, struct plugin *);
int		 child_run(void (*)(const void *, int), const void *, int,
		    json_t **, int *);
const char	*unsafe_path(const char *, char *, size_t);
void		 catalog_watch(void);
void		 catalog_unwatch(void);

/* runner.c: the child side of a run */
struct run_request {
	const struct job	*job;
	char			*strategy;	/* overrides the job's */
	long			 concurrency;	/* 0: the job's */
	struct ydoc		**sets;		/* --set key=value, parsed */
	size_t			 nsets;
	char			*trigger;	/* manual, schedule, at-start */
};
struct run_shared {
	volatile long long	 crash_task;	/* task in flight at a crash */
	volatile int		 crash_signal;
	volatile int		 stack_overflow; /* fault in a guard page */
};
void	 runner_main(const struct run_request *, const char *,
	    const char *, int, struct run_shared *) NORETURN;
struct params_check {
	const struct job	*job;
	const char		*wpath;
};
void	 runner_check_params(const void *, int) NORETURN;

/* run.c: the supervisor side of runs, and the run history */
struct conn;
struct run;
void	 runs_init(void);
int	 run_start(struct run_request *, json_t **, char **);
int	 run_cancel(long long, char **);
void	 runs_reap(void);
int	 runs_active(void);
long long runs_tasks_in_flight(void);
int	 job_active(const char *);
json_t	*runs_list(const char *, int);
json_t	*run_lookup(long long);
json_t	*run_trace(long long, char **);
void	 run_add_waiter(long long, struct conn *);
void	 runs_cancel_all(void);
json_t	*job_progress(const char *);
void	 run_request_free(struct run_request *);
void	 runs_forget_conn(struct conn *);

/* schedule.c */
void	 schedule_apply(int);
void	 schedule_clear(void);
char	*schedule_next_text(const struct job *);

/* control.c */
int	 control_listen(const char *, mode_t, char **);
int	 control_adopt(int, char **);
void	 control_close(void);
void	 conn_reply(struct conn *, json_t *);
void	 conn_reply_more(struct conn *, json_t *);

/* metrics.c */
void	 metrics_record(const json_t *);
int	 metrics_listen(const char *, char **);
void	 metrics_close(void);

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
	struct errlist		 load_errors;	/* from the last (re)load */
	int			 bad_jobs;
};
extern struct weftd weftd;
int	 weftd_reload(struct errlist *);
void	 weftd_check_jobs(struct config *, struct catalog *,
	    struct errlist *);
const char *job_problem(const struct job *, char *, size_t);

#endif
