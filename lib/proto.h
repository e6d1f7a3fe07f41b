/*
 * proto.h - the messages between weftd (the supervisor) and weft-runner,
 * over the socketpair weftd spawns the runner with (the runner's fd 3).
 *
 * Every message is one frame (lib/frame.c: a 4-byte big-endian length,
 * then a JSON object) whose "type" names one of enum proto_type, and
 * whose fields are checked against the table for that type (presence,
 * JSON type, range) before anything reads them.  Both sides use only
 * proto_send and proto_parse/proto_decode; nothing else reads or writes
 * these frames.
 *
 * The conversation:
 *   weftd -> runner   RUN | CHECK | PROBE | WORK
 *                                             (the first message says
 *                                             what the runner is for)
 *                     ADOPT                   (on a run's own socket,
 *                                             from a weftd started after
 *                                             the one that started it)
 *   runner -> weftd   after RUN:   START, PROGRESS..., TRACE, RECORD
 *                                  or ERROR (and exit)
 *                     after CHECK: PARAMS or ERROR
 *                     after PROBE: PLUGIN
 *                     after ADOPT: START, PROGRESS..., TRACE, RECORD
 *                     after WORK:  nothing, or ERROR (a cluster worker
 *                                  reports to Redis; it exits when the
 *                                  run is over)
 */
#ifndef WEFT_PROTO_H
#define WEFT_PROTO_H

#include <stddef.h>

#include <jansson.h>

enum proto_type {
	PROTO_NONE = 0,
	PROTO_RUN,		/* the one job to run */
	PROTO_CHECK,		/* judge a job's params with its workload */
	PROTO_PROBE,		/* load a plugin file and describe it */
	PROTO_START,		/* the run began: tasks, strategy */
	PROTO_PROGRESS,		/* counts so far */
	PROTO_TRACE,		/* every task's start, end, lane, state */
	PROTO_RECORD,		/* the runner's part of the run record */
	PROTO_ERROR,		/* the runner could not run the job */
	PROTO_PARAMS,		/* CHECK's answer */
	PROTO_PLUGIN,		/* PROBE's answer */
	PROTO_ADOPT,		/* a new weftd takes over a running run */
	PROTO_WORK,		/* run a cluster run's tasks from Redis */
	PROTO_NTYPES
};

/*
 * The bodies.  Strings and JSON values point into the message's JSON
 * (struct proto_msg owns it); optional fields absent are 0 or NULL.
 */
struct proto_run {
	long long	 id;		/* the run's id */
	const char	*job;		/* the job's name */
	const char	*file;		/* its file, for error positions */
	const char	*text;		/* the job file as it was loaded */
	json_t		*sets;		/* ["key=value", ...] (--set) */
	const char	*strategy;	/* the strategy to use (resolved) */
	long long	 concurrency;	/* 0: the online CPUs */
	const char	*workload_path;	/* the plugin files */
	const char	*strategy_path;
	long long	 trace_max;	/* tasks kept in the timeline */
	long long	 log_level;
	long long	 log_dest;
	int		 journal;	/* fd 7 is the run's journal */
	int		 trace_file;	/* fd 8 takes its timeline */
	const char	*listen;	/* where a new weftd may adopt it */
	const char	*carry;		/* resume: the journal whose ok
					   outcomes are carried over */
	json_t		*cluster;	/* strategy cluster: the settings
					   (lib/cluster.h), or NULL */
};

/* A worker node's part in a cluster run (lib/cluster.h). */
struct proto_work {
	const char	*key;		/* the run's key prefix */
	const char	*file;		/* as in RUN */
	const char	*text;
	json_t		*sets;
	long long	 ntasks;	/* as the coordinator counted them */
	const char	*workload_path;
	const char	*strategy;	/* the local strategy */
	const char	*strategy_path;
	json_t		*cluster;	/* the settings */
	long long	 log_level;
	long long	 log_dest;
};

struct proto_check {
	const char	*file;
	const char	*text;
	const char	*workload_path;
	long long	 log_level;
	long long	 log_dest;
};

struct proto_probe {
	const char	*path;
};

struct proto_start {
	long long	 total;
	const char	*strategy;
	long long	 concurrency;	/* after clamping */
};

struct proto_progress {
	long long	 done, failed, total;
	long long	 units_done, units_total;
};

struct proto_trace {
	json_t		*tasks;		/* [[task, start, end, lane, state]] */
	long long	 not_kept;
	long long	 in_file;	/* > 0: the tasks went to the trace
					   file (fd 8), this many bytes */
};

/* One task of a timeline, for proto_trace_text. */
struct proto_trace_row {
	long long	 task;
	double		 start, end;	/* seconds since the run began */
	int		 lane, state;	/* state: 1 ok, 2 failed, 3 cancelled */
};

struct proto_record {
	const char	*strategy;
	long long	 concurrency;
	json_t		*tasks;		/* {total, ok, failed, cancelled} */
	json_t		*latency;	/* {p50, p95, p99, max} */
	json_t		*results;	/* [{task, ...}] */
	json_t		*failures;	/* [{task, error, attempts}] */
	json_t		*summary;	/* {sum, count}, or NULL */
	int		 results_truncated;
	int		 cancelled;
	double		 user_s, sys_s;	/* the runner's own account */
	long long	 max_rss_kb;
	long long	 resumed;	/* tasks carried over, not run */
};

struct proto_adopt {
	long long	 id;
};

struct proto_error {
	const char	*message;
};

struct proto_params {
	json_t		*errors;	/* [string] */
};

struct proto_plugin {
	const char	*rejected;	/* NULL: usable */
	const char	*name;
	const char	*version;
	const char	*summary;
	long long	 kind;
	long long	 traits;
	long long	 abi_major, abi_minor;
	json_t		*params;	/* [{name, type, ...}]; see
					   plugin_params_json */
};

struct proto_msg {
	enum proto_type		 type;
	json_t			*json;
	union {
		struct proto_run	run;
		struct proto_check	check;
		struct proto_probe	probe;
		struct proto_start	start;
		struct proto_progress	progress;
		struct proto_trace	trace;
		struct proto_record	record;
		struct proto_error	error;
		struct proto_params	params;
		struct proto_plugin	plugin;
		struct proto_adopt	adopt;
		struct proto_work	work;
	} u;
};

/*
 * The page weftd shares with a runner (a memfd, the runner's fd 4):
 * when plugin code crashes, the runner's signal handler writes here
 * which task was running, so the run's status can name it.  Written
 * only from a signal handler, read only after the runner is gone.
 */
struct run_shared {
	volatile long long	 crash_task;	/* task in flight, or -1 */
	volatile int		 crash_signal;
	volatile int		 stack_overflow; /* fault in a guard page */
};

const char	*proto_type_name(enum proto_type);
json_t		*proto_encode(enum proto_type, const void *);
int		 proto_send(int, enum proto_type, const void *);
char		*proto_trace_text(const struct proto_trace_row *, size_t,
		    long long, size_t *);
int		 proto_decode(json_t *, struct proto_msg *, char *, size_t);
int		 proto_parse(const unsigned char *, size_t, size_t *,
		    struct proto_msg *, char *, size_t);
int		 proto_recv(int, int, struct proto_msg *, char *, size_t);
void		 proto_clear(struct proto_msg *);

/* spawn.c */
int		 runner_call(enum proto_type, const void *, int, int,
		    struct proto_msg *, int *, char **);

#endif
