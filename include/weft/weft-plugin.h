/*
 * weft-plugin.h - the public interface between weft and its plugins.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * WEFT_PLUGIN_SYMBOL ("weft_plugin"), a const struct weft_plugin.  It is
 * either a workload (what one task does) or a strategy (how tasks run
 * concurrently).  weft loads plugins only in its runner processes
 * (weft-runner, one per run), never in the daemon, so a plugin that
 * crashes ends one run, not weftd.
 *
 * Everything a plugin may ask of weft is in struct weft_host, handed to
 * it: a log function and three tables, one per audience.
 *   params    reading a job's params with positions (workload init,
 *             strategy run)
 *   task      what a task does while it runs: results, failures, I/O
 *             waits that behave the same under every strategy
 *   strategy  what a strategy needs to run tasks: claiming them,
 *             execution contexts, worker processes, timelines
 * Plugins never link against weft.
 *
 * Compatibility.  WEFT_ABI_MAJOR changes when an existing field or
 * function changes meaning; weft refuses a plugin built for another
 * major and names both versions.  Every minor version only appends: a
 * function goes at the end of its table, and WEFT_ABI_MINOR goes up
 * with it.  Each table starts with its size, so a plugin that wants a
 * function added after the minor it was built for checks first:
 *
 *	if (WEFT_HAS(h->task, some_later_function))
 *		h->task->some_later_function(...);
 *
 * Calling context.  Each function below says where it may be called:
 *   init      the workload's init (the runner's main thread)
 *   run       the strategy's run, on the thread that called it
 *   any       any thread of the run, concurrently
 *   task      inside a task function, on the task's own thread or
 *             coroutine (the task handle it was given)
 *   loop      a callback of the task's event loop (loop_base)
 */
#ifndef WEFT_PLUGIN_H
#define WEFT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_ABI_MAJOR 2
#define WEFT_ABI_MINOR 3		/* 2.1: task->lane; 2.2: strategy->ended;
					   2.3: weft_plugin.params */

/* The name of the one symbol every plugin exports. */
#define WEFT_PLUGIN_SYMBOL "weft_plugin"

#if defined(__GNUC__)
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WEFT_EXPORT __attribute__((visibility("default")))
#else
#define WEFT_PRINTF(f, a)
#define WEFT_EXPORT
#endif

/*
 * WEFT_HAS - whether the table api (one of h->params, h->task,
 * h->strategy) is large enough to hold the function member.
 */
#define WEFT_HAS(api, member) \
	(offsetof(__typeof__(*(api)), member) + sizeof((api)->member) <= \
	    (api)->size)

enum weft_kind {
	WEFT_KIND_WORKLOAD = 1,
	WEFT_KIND_STRATEGY = 2,
};

/*
 * Traits describe a workload (or what a strategy is good for).
 * WEFT_TRAIT_BLOCKING: the workload blocks in system calls without going
 * through the task I/O primitives below, so it cannot share a thread with
 * other tasks (strategies that multiplex tasks on one thread refuse it).
 */
#define WEFT_TRAIT_CPU_BOUND	0x0001u
#define WEFT_TRAIT_IO_BOUND	0x0002u
#define WEFT_TRAIT_BLOCKING	0x0004u
/* A strategy that runs many tasks on one thread (refuses BLOCKING). */
#define WEFT_TRAIT_MULTIPLEX	0x0008u
/*
 * WEFT_TRAIT_PROCESSES (since 2.1): the workload starts processes of its
 * own (in process groups of their own).  Each run's runner is a session
 * leader; when a run of such a workload ends, weftd kills what is left
 * of the run's session, so that no process outlives its run even when
 * the runner was killed.
 */
#define WEFT_TRAIT_PROCESSES	0x0010u

enum weft_log_level {
	WEFT_LOG_ERR = 0,
	WEFT_LOG_WARN = 1,
	WEFT_LOG_INFO = 2,
	WEFT_LOG_DEBUG = 3,
};

/* Kinds of parameter nodes (the YAML value under a job's params). */
enum weft_node_kind {
	WEFT_NODE_SCALAR = 1,
	WEFT_NODE_SEQ = 2,
	WEFT_NODE_MAP = 3,
};

/* Results of a task function. */
#define WEFT_TASK_OK		0
#define WEFT_TASK_FAILED	(-1)

/* Event bits for wait_fd. */
#define WEFT_READ	0x1
#define WEFT_WRITE	0x2

struct weft_node;	/* a parameter value, with its file:line:column */
struct weft_task;	/* one task being executed */
struct weft_run;	/* a run, as its strategy sees it */
struct weft_ctx;	/* an execution context: a thread, process or loop */
struct weft_plugin;

/*
 * Declarative parameters: a table of these, ended by one whose key is
 * NULL, tells params->parse what a params mapping may hold and where to
 * store each value (offset into the caller's struct).
 *
 *   type           stored as                 checked
 *   WEFT_P_INT     long long                 min <= v <= max
 *   WEFT_P_DURATION long long (milliseconds) 500ms, 30s, 5m, 1h30m;
 *                                            min <= v <= max (if max)
 *   WEFT_P_BOOL    int (0 or 1)              true/false, yes/no, on/off
 *   WEFT_P_ENUM    int (index in choices)    one of choices
 *   WEFT_P_STRING  const char *              a single value
 *   WEFT_P_PATH    const char *              a non-empty single value
 *   WEFT_P_INTS    struct weft_ints          one integer or a non-empty
 *                                            list of them, in [min, max]
 *   WEFT_P_STRINGS struct weft_strings       one value or a list
 *   WEFT_P_NODE    const struct weft_node *  present (any shape): for
 *                                            values the plugin reads
 *                                            itself
 * Strings and lists point into memory weft owns until the run ends.
 * def is the default as it would be written in YAML ("30s", "true",
 * "GET"); NULL leaves the field as the caller set it.  A key with
 * WEFT_P_REQUIRED must be present.
 */
enum weft_param_type {
	WEFT_P_INT = 1,
	WEFT_P_DURATION,
	WEFT_P_BOOL,
	WEFT_P_ENUM,
	WEFT_P_STRING,
	WEFT_P_PATH,
	WEFT_P_INTS,
	WEFT_P_STRINGS,
	WEFT_P_NODE,
};
#define WEFT_P_REQUIRED	0x1u

struct weft_param {
	const char		*key;
	int			 type;		/* enum weft_param_type */
	unsigned		 flags;		/* WEFT_P_REQUIRED */
	size_t			 offset;	/* offsetof(your struct, field) */
	long long		 min, max;	/* INT, INTS, DURATION */
	const char *const	*choices;	/* ENUM: NULL-terminated */
	const char		*def;		/* default, as YAML text */
};

struct weft_ints {
	long long	*v;
	size_t		 n;
};

struct weft_strings {
	const char	**v;
	size_t		  n;
};

/*
 * struct weft_params_api - reading params (h->params).
 *
 * Every error these report names the job file, line and column of the
 * offending value and its key path, e.g.
 *   jobs.d/fib.yaml:7:9: params.n[2]: expected an integer, got "x"
 * and makes the workload's init (or the strategy's run) fail once it
 * returns.  Calling context: init (workloads) or run (strategies).
 * Nodes stay valid until the run ends.
 */
struct weft_params_api {
	uint32_t size;		/* sizeof(struct weft_params_api) in weft */

	/*
	 * parse - check every key of map against spec (unknown keys,
	 * required keys, types, ranges) and store the values.  map may
	 * be NULL (no params: defaults only).  Returns the number of
	 * errors reported; 0 means every field is set.
	 */
	int (*parse)(const struct weft_node *map,
	    const struct weft_param *spec, void *out);
	/* get - the value under key in a mapping node, or NULL. */
	const struct weft_node *(*get)(const struct weft_node *map,
	    const char *key);
	/*
	 * allow - report every key of map that is not in the
	 * NULL-terminated list keys.  Returns the number of unknown keys.
	 */
	int (*allow)(const struct weft_node *map, const char *const *keys);
	/* node_kind - WEFT_NODE_SCALAR, _SEQ or _MAP. */
	int (*node_kind)(const struct weft_node *n);
	/* node_len - the number of items of a sequence or mapping. */
	size_t (*node_len)(const struct weft_node *n);
	/* node_at - item i of a sequence, value i of a mapping, or NULL. */
	const struct weft_node *(*node_at)(const struct weft_node *n,
	    size_t i);
	/* node_key - key i of a mapping, or NULL. */
	const char *(*node_key)(const struct weft_node *n, size_t i);
	/* node_str - the text of a scalar, or NULL (reports an error). */
	const char *(*node_str)(const struct weft_node *n);
	/*
	 * node_int - a scalar as a decimal integer in [min, max].
	 * Returns 0, or -1 after reporting what was expected.
	 */
	int (*node_int)(const struct weft_node *n, long long min,
	    long long max, long long *out);
	/* node_bool - true/false, yes/no, on/off.  0, or -1 (reported). */
	int (*node_bool)(const struct weft_node *n, int *out);
	/*
	 * node_enum - the index of the scalar in the NULL-terminated
	 * choices.  0, or -1 after "expected a, b or c, got "x"".
	 */
	int (*node_enum)(const struct weft_node *n,
	    const char *const *choices, int *out);
	/*
	 * node_duration_ms - 500ms, 30s, 5m, 1h30m as milliseconds.
	 * 0, or -1 after reporting what was expected.
	 */
	int (*node_duration_ms)(const struct weft_node *n, long long *out);
	/* node_error - report an error positioned at n. */
	void (*node_error)(const struct weft_node *n, const char *fmt, ...)
	    WEFT_PRINTF(2, 3);
};

/*
 * struct weft_task_api - what a task does while it runs (h->task).
 * Calling context: task, unless a function says otherwise.
 *
 * The I/O primitives (wait_fd, sleep_ms, park) behave the same under
 * every strategy: they block the calling thread under inline, threads
 * and fork, and suspend only the calling task under strategies that
 * multiplex tasks on one thread.  Write tasks in plain blocking style
 * with them.
 */
struct weft_task_api {
	uint32_t size;		/* sizeof(struct weft_task_api) in weft */

	/* index - the task's number, 0 to ntasks - 1. */
	size_t (*index)(const struct weft_task *t);
	/*
	 * worker - the number of the execution context running t (a
	 * thread, worker process or event loop), from 0.
	 */
	unsigned (*worker)(const struct weft_task *t);
	/*
	 * result_str, result_int, result_num - a named value of the
	 * task's result, as it appears in the run record.  Copied.
	 */
	void (*result_str)(struct weft_task *t, const char *key,
	    const char *value);
	void (*result_int)(struct weft_task *t, const char *key,
	    long long value);
	void (*result_num)(struct weft_task *t, const char *key,
	    double value);
	/*
	 * fail - record why the task failed; returns WEFT_TASK_FAILED,
	 * for `return h->task->fail(t, ...)`.
	 */
	int (*fail)(struct weft_task *t, const char *fmt, ...)
	    WEFT_PRINTF(2, 3);
	/*
	 * progress - finer progress than whole tasks, e.g. lines written:
	 * add done to the run's units done and total to its units total.
	 * weftctl shows units done / total while the run goes on.  Cheap;
	 * call it as often as you like.
	 */
	void (*progress)(struct weft_task *t, long long done,
	    long long total);
	/*
	 * wait_fd - wait until fd is ready for events (WEFT_READ and/or
	 * WEFT_WRITE) or timeout_ms passes (-1: no timeout).
	 * Returns the ready events, 0 on timeout, -1 when the run is being
	 * cancelled (the task should give up).
	 */
	int (*wait_fd)(struct weft_task *t, int fd, int events,
	    int timeout_ms);
	/* sleep_ms - wait ms milliseconds.  0, or -1 when cancelled. */
	int (*sleep_ms)(struct weft_task *t, long ms);
	/* cancelled - nonzero once the run is being cancelled.  Any. */
	int (*cancelled)(struct weft_task *t);
	/*
	 * loop_base - the libevent event_base (struct event_base *) that
	 * runs this task, for workloads that drive a library's own event
	 * API (libcurl multi, hiredis async); NULL under strategies
	 * without an event loop.
	 */
	void *(*loop_base)(struct weft_task *t);
	/*
	 * park - suspend task t until unpark(t) or timeout_ms (-1: none).
	 * For workloads that hand work to a library driven by loop_base's
	 * event loop and wait for its callback.  Returns 1 when unparked,
	 * 0 on timeout, -1 when cancelled or when the strategy has no event
	 * loop (loop_base returned NULL).
	 */
	int (*park)(struct weft_task *t, int timeout_ms);
	/*
	 * unpark - wake a parked task (nothing if it is not parked).
	 * Calling context: loop (any callback of t's loop, or another task
	 * on it), never another thread.
	 */
	void (*unpark)(struct weft_task *t);

	/* Since ABI 2.1 (check WEFT_HAS(h->task, lane)): */
	/*
	 * lane - the task's slot among those running at once, from 0: no
	 * two tasks running at the same time share one, and the run's
	 * timeline draws the task on that lane (a thread, a coroutine, a
	 * worker process).  GNU parallel's {%} is lane + 1.
	 */
	unsigned (*lane)(const struct weft_task *t);
};

/*
 * struct weft_strategy_api - what a strategy needs (h->strategy).
 *
 * A strategy claims task numbers with next, executes each with exec
 * inside an execution context opened with ctx_open (which calls the
 * workload's ctx_init: a per-thread, per-process or per-loop resource
 * such as a connection), and returns from run when next says there is
 * nothing left.
 */
struct weft_strategy_api {
	uint32_t size;		/* sizeof(struct weft_strategy_api) in weft */

	/* concurrency - the most tasks to run at once.  Any. */
	size_t (*concurrency)(const struct weft_run *r);
	/*
	 * ntasks - how many tasks the run has, or 0 when that is not
	 * known in advance (a cluster worker: tasks come as other nodes
	 * leave them, next may then give any number, and a strategy
	 * should hand out one task at a time).  Any.
	 */
	size_t (*ntasks)(const struct weft_run *r);
	/* params - the job's strategy_params mapping, or NULL.  Run. */
	const struct weft_node *(*params)(const struct weft_run *r);
	/*
	 * next - claim the next task to run: 1 with *idx set, or 0 when
	 * there is none (all claimed, or the run is cancelled).  Any.
	 */
	int (*next)(struct weft_run *r, size_t *idx);
	/* cancelled - nonzero once the run is being cancelled.  Any. */
	int (*cancelled)(const struct weft_run *r);
	/*
	 * ctx_open - a new execution context numbered worker for the
	 * calling thread (or process), or NULL if the workload's ctx_init
	 * failed.  Each context is used by one thread at a time.  Any.
	 */
	struct weft_ctx *(*ctx_open)(struct weft_run *r, unsigned worker);
	/* ctx_close - release a context, on the thread that used it. */
	void (*ctx_close)(struct weft_ctx *c);
	/*
	 * exec - run task idx to completion in c (with the job's retries)
	 * and record its outcome; WEFT_TASK_OK or WEFT_TASK_FAILED.
	 * On c's thread.
	 */
	int (*exec)(struct weft_ctx *c, size_t idx);
	/*
	 * For strategies whose workers are other processes: a worker runs
	 * a task with capture, which returns the outcome as text (malloc'd;
	 * the caller frees it) instead of recording it; the process that
	 * called run hands that text to commit (-1 if it is not a valid
	 * outcome).  When a worker dies mid-task, lost records the task as
	 * failed with why, or returns 1 if the job's retries allow running
	 * it again.  capture: in the worker, on c's thread; commit and
	 * lost: run.
	 */
	char *(*capture)(struct weft_ctx *c, size_t idx, size_t *len);
	int (*commit)(struct weft_run *r, size_t idx, unsigned worker,
	    const char *outcome, size_t len);
	int (*lost)(struct weft_run *r, size_t idx, unsigned worker,
	    const char *why);
	/*
	 * note_running - for strategies that switch between tasks on one
	 * thread: call on every switch, on c's thread, with the task now
	 * running (-1: none) and the guard region below its stack, so
	 * that a crash is reported against that task and an overflow is
	 * named as one.
	 */
	void (*note_running)(struct weft_ctx *c, long long idx,
	    const void *guard, size_t guard_len);
	/*
	 * note_lane - the lane (timeline track, task->lane) of the tasks c
	 * runs from now on: for strategies that run several workers in
	 * one context (coroutines), or whose replacement workers take
	 * over a lane (processes).  Default: the context's worker number.
	 */
	void (*note_lane)(struct weft_ctx *c, unsigned lane);
	/*
	 * slot - a pointer-sized slot in task t for the strategy's own
	 * use (a coroutine strategy keeps the task's coroutine there).
	 * Task or loop.
	 */
	void **(*slot)(struct weft_task *t);
	/*
	 * ended - every task has ended (and every worker process the
	 * strategy made is reaped): weft records the run now and ends it
	 * for whoever waits on it, while the strategy goes on to release
	 * what it holds (ctx_close, its stacks) and returns.  Optional;
	 * without it the run is recorded when run returns.  Call it once,
	 * only when run is to return 0; after it, call only ctx_close.
	 * Since 2.2.  Any.
	 */
	void (*ended)(struct weft_run *r);
};

/* struct weft_host - what weft hands every plugin. */
struct weft_host {
	uint32_t size;		/* sizeof(struct weft_host) in weft */
	uint16_t abi_major;	/* WEFT_ABI_MAJOR of the running weft */
	uint16_t abi_minor;	/* WEFT_ABI_MINOR of the running weft */

	/*
	 * log - write a log line prefixed with the plugin's kind and name.
	 * self: the calling plugin's descriptor (&weft_plugin).  Any.
	 */
	void (*log)(const struct weft_plugin *self, int level,
	    const char *fmt, ...) WEFT_PRINTF(3, 4);
	const struct weft_params_api	*params;
	const struct weft_task_api	*task;
	const struct weft_strategy_api	*strategy;
};

/*
 * struct weft_workload_ops - what a workload plugin implements.
 *
 * init:     parse params (report errors through h->params), decide the
 *           number of tasks, and return the workload's state, or NULL on
 *           error.  Called once per run, in the runner process.
 * ctx_init: optional; create per-execution-context resources (a thread's
 *           or worker process's connection).  Returns 0 or -1.
 * ctx_fini: optional; release what ctx_init made.  It (and fini) may
 *           run after the run has been recorded (strategy->ended), so a
 *           task's work must be done when the task returns: release
 *           here, never finish work (a write buffered across tasks,
 *           say).
 * task:     do task idx; WEFT_TASK_OK or WEFT_TASK_FAILED (after
 *           h->task->fail).  May be called from several threads at
 *           once, so touch only the task's own data and ctx.
 * fini:     release state.
 * sum_keys, count_keys: the run summary, computed by weft over every
 *           task's results (under any strategy, worker processes
 *           included): for each name in sum_keys, the total of that
 *           numeric result; for each name in count_keys, how many tasks
 *           had each value.  NULL-terminated; either may be NULL.
 */
struct weft_workload_ops {
	void *(*init)(const struct weft_host *h, const struct weft_node *params,
	    size_t *ntasks);
	int (*ctx_init)(void *state, void **ctx);
	void (*ctx_fini)(void *state, void *ctx);
	int (*task)(void *state, void *ctx, struct weft_task *t, size_t idx);
	void (*fini)(void *state);
	const char *const *sum_keys;
	const char *const *count_keys;
};

/*
 * struct weft_strategy_ops - what a strategy plugin implements.
 *
 * run:      execute every task of r with at most concurrency(r) in
 *           flight, then return 0 (or -1 with a log line if the strategy
 *           itself failed).  Honour cancelled(r).
 * max_concurrency: the most tasks the strategy ever runs at once (1 for
 *           a sequential strategy); 0 for no limit of its own.  weft
 *           clamps the run's concurrency to it and to the task count.
 * wait_fd, sleep_ms, park, unpark, loop_base: optional; the strategy's
 *           own implementation of the task primitives of the same
 *           names (a strategy that multiplexes tasks on a thread
 *           suspends the task here).  NULL: weft blocks the thread
 *           (park: returns -1; loop_base: NULL).  They are called from
 *           inside the task, on its stack.
 */
struct weft_strategy_ops {
	int (*run)(const struct weft_host *h, struct weft_run *r);
	size_t max_concurrency;
	int (*wait_fd)(struct weft_task *t, int fd, int events,
	    int timeout_ms);
	int (*sleep_ms)(struct weft_task *t, long ms);
	int (*park)(struct weft_task *t, int timeout_ms);
	void (*unpark)(struct weft_task *t);
	void *(*loop_base)(struct weft_task *t);
};

/* struct weft_plugin - the descriptor every plugin exports. */
struct weft_plugin {
	uint16_t abi_major;	/* WEFT_ABI_MAJOR */
	uint16_t abi_minor;	/* WEFT_ABI_MINOR */
	uint32_t size;		/* sizeof(struct weft_plugin) */
	int kind;		/* enum weft_kind */
	const char *name;	/* [a-z0-9_-]+, unique per kind */
	const char *version;
	const char *summary;	/* one line */
	unsigned traits;	/* WEFT_TRAIT_* */
	const void *ops;	/* weft_workload_ops or weft_strategy_ops */
	/*
	 * 2.3: the params it reads (a workload's params, a strategy's
	 * strategy_params): the table its init gives params->parse, so
	 * that `weftctl plugins NAME` can show them.  NULL: not said.  At
	 * most 256 entries; keys as in YAML ([a-z0-9_], at most 64).
	 */
	const struct weft_param *params;
};

/* Initializer for the fixed fields of a descriptor. */
#define WEFT_PLUGIN_HEADER \
	.abi_major = WEFT_ABI_MAJOR, .abi_minor = WEFT_ABI_MINOR, \
	.size = sizeof(struct weft_plugin)

#ifdef __cplusplus
}
#endif

#endif /* WEFT_PLUGIN_H */
