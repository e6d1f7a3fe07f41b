/*
 * weft-plugin.h - the public interface between weft and its plugins.
 *
 * A plugin is a shared object that exports exactly one symbol,
 * WEFT_PLUGIN_SYMBOL ("weft_plugin"), a const struct weft_plugin.  It is
 * either a workload (what one task does) or a strategy (how tasks run
 * concurrently).  weft loads plugins only in its runner processes, never in
 * the daemon itself, so a plugin that crashes ends one run, not weftd.
 *
 * Everything a plugin may ask of weft is in struct weft_host, a table of
 * function pointers handed to the plugin; plugins never link against weft.
 *
 * Compatibility: WEFT_ABI_MAJOR changes when an existing field or function
 * changes meaning; weft refuses a plugin built for another major.  Minor
 * versions only append fields to the end of the structs below, so code
 * compiled against an older minor keeps working.  Check host->size before
 * using a function added after the minor version you require.
 */
#ifndef WEFT_PLUGIN_H
#define WEFT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WEFT_ABI_MAJOR 1
#define WEFT_ABI_MINOR 0

/* The name of the one symbol every plugin exports. */
#define WEFT_PLUGIN_SYMBOL "weft_plugin"

#if defined(__GNUC__)
#define WEFT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define WEFT_EXPORT __attribute__((visibility("default")))
#else
#define WEFT_PRINTF(f, a)
#define WEFT_EXPORT
#endif

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
 * struct weft_host - services weft offers to plugins.
 *
 * Parameter accessors: every error they report names the job file, line
 * and column of the offending value and the key path (params.n), e.g.
 *   jobs.d/fib.yaml:7:9: params.n[2]: expected an integer, got "x"
 * and makes the workload's init fail once it returns.
 *
 * Task I/O primitives (wait_fd, sleep_ms, cancelled) behave the same under
 * every strategy: they block the calling thread under inline, threads and
 * fork, and suspend only the calling task under strategies that multiplex
 * tasks on one thread.  Write tasks in plain blocking style with them.
 */
struct weft_host {
	uint32_t size;		/* sizeof(struct weft_host) in weft */
	uint16_t abi_major;
	uint16_t abi_minor;

	/*
	 * log - write a log line prefixed with the plugin's name.
	 * self: the calling plugin's descriptor (&weft_plugin).
	 */
	void (*log)(const struct weft_plugin *self, int level,
	    const char *fmt, ...) WEFT_PRINTF(3, 4);

	/* param - the value under key in a mapping node, or NULL. */
	const struct weft_node *(*param)(const struct weft_node *map,
	    const char *key);
	/*
	 * params_allow - report every key of map that is not in the
	 * NULL-terminated list keys.  Returns the number of unknown keys.
	 */
	int (*params_allow)(const struct weft_node *map,
	    const char *const *keys);
	int (*node_kind)(const struct weft_node *n);
	/* node_len - the number of items of a sequence or mapping. */
	size_t (*node_len)(const struct weft_node *n);
	/* node_at - item i of a sequence, or NULL. */
	const struct weft_node *(*node_at)(const struct weft_node *n, size_t i);
	/* node_str - the text of a scalar, or NULL (reports an error). */
	const char *(*node_str)(const struct weft_node *n);
	/*
	 * node_int - parse a scalar as a decimal integer in [min, max].
	 * Returns 0, or -1 after reporting what was expected.
	 */
	int (*node_int)(const struct weft_node *n, long long min,
	    long long max, long long *out);
	/* node_error - report an error positioned at n. */
	void (*node_error)(const struct weft_node *n, const char *fmt, ...)
	    WEFT_PRINTF(2, 3);

	/*
	 * Task results: each task may set named values that appear in the
	 * run record.  Values are copied.
	 */
	void (*result_str)(struct weft_task *t, const char *key,
	    const char *value);
	void (*result_int)(struct weft_task *t, const char *key,
	    long long value);
	void (*result_num)(struct weft_task *t, const char *key,
	    double value);
	/*
	 * task_fail - record why a task failed; return WEFT_TASK_FAILED
	 * (which this returns, for `return h->task_fail(t, ...)`).
	 */
	int (*task_fail)(struct weft_task *t, const char *fmt, ...)
	    WEFT_PRINTF(2, 3);
	/* task_index - the task's number, 0 to ntasks - 1. */
	size_t (*task_index)(const struct weft_task *t);

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
	/* cancelled - nonzero once the run is being cancelled. */
	int (*cancelled)(struct weft_task *t);

	/*
	 * For strategies.  A strategy claims task numbers with run_next,
	 * executes each with task_exec inside an execution context opened
	 * with ctx_open (which calls the workload's ctx_init: a per-thread,
	 * per-process or per-loop resource such as a connection), and
	 * returns from run when run_next says there is nothing left.
	 * These functions are thread-safe.
	 */
	size_t (*run_concurrency)(const struct weft_run *r);
	size_t (*run_ntasks)(const struct weft_run *r);
	/* run_next - claim the next task; 1 and *idx set, or 0 if none. */
	int (*run_next)(struct weft_run *r, size_t *idx);
	int (*run_cancelled)(const struct weft_run *r);
	/* ctx_open - a new execution context numbered worker, or NULL. */
	struct weft_ctx *(*ctx_open)(struct weft_run *r, unsigned worker);
	void (*ctx_close)(struct weft_ctx *c);
	/* task_exec - run task idx to completion in c; WEFT_TASK_*. */
	int (*task_exec)(struct weft_ctx *c, size_t idx);

	/*
	 * For strategies whose workers are other processes: a worker runs
	 * a task with task_exec_capture, which returns the outcome as text
	 * (malloc'd; the caller frees it) instead of recording it; the
	 * process that called run hands that text to task_commit (-1 if it
	 * is not a valid outcome).  When a worker dies mid-task, task_lost
	 * records the task as failed with why, or returns 1 if the job's
	 * retries allow running it again.
	 */
	char *(*task_exec_capture)(struct weft_ctx *c, size_t idx,
	    size_t *len);
	int (*task_commit)(struct weft_run *r, size_t idx, unsigned worker,
	    const char *outcome, size_t len);
	int (*task_lost)(struct weft_run *r, size_t idx, unsigned worker,
	    const char *why);
	/*
	 * note_running - for strategies that switch between tasks on one
	 * thread: call on every switch with the task now running (-1:
	 * none) and the guard region below its stack, so that a crash is
	 * reported against that task and an overflow is named as one.
	 */
	void (*note_running)(long long idx, const void *guard,
	    size_t guard_len);
	/* run_params - the job's strategy_params mapping, or NULL. */
	const struct weft_node *(*run_params)(const struct weft_run *r);
	/*
	 * loop_base - the libevent event_base (struct event_base *) that
	 * runs this task, for workloads that drive a library's own event
	 * API (libcurl multi, hiredis async); NULL under strategies
	 * without an event loop.
	 */
	void *(*loop_base)(struct weft_task *t);
	/* task_worker - the number of the worker running t. */
	unsigned (*task_worker)(const struct weft_task *t);

	/*
	 * node_duration_ms - parse a scalar such as 500ms, 30s, 5m, 1h30m.
	 * Returns 0, or -1 after reporting what was expected.
	 */
	int (*node_duration_ms)(const struct weft_node *n, long long *out);
	/*
	 * park - suspend task t until unpark(t) or timeout_ms (-1: none).
	 * For workloads that hand work to a library driven by loop_base's
	 * event loop (curl multi, hiredis async) and wait for its callback.
	 * Returns 1 when unparked, 0 on timeout, -1 when cancelled or when
	 * the strategy has no event loop (loop_base returned NULL).
	 * unpark - wake a parked task; call it from the same loop (any
	 * callback), never from another thread.
	 */
	int (*park)(struct weft_task *t, int timeout_ms);
	void (*unpark)(struct weft_task *t);
	/*
	 * progress - finer progress than whole tasks, e.g. lines written:
	 * add done to the run's units done and total to its units total.
	 * weftctl shows units done / total while the run goes on.  Cheap;
	 * call it as often as you like.
	 */
	void (*progress)(struct weft_task *t, long long done, long long total);
	/*
	 * note_lane - for strategies that run several workers on one
	 * thread (coroutines): the lane (timeline track) the tasks started
	 * from now on this thread belong to.  Default: the context's worker.
	 */
	void (*note_lane)(unsigned lane);
	/*
	 * strategy_slot - a pointer-sized slot in task t for its strategy's
	 * own use (a coroutine strategy keeps the task's coroutine there).
	 */
	void **(*strategy_slot)(struct weft_task *t);
};

/*
 * struct weft_workload_ops - what a workload plugin implements.
 *
 * init:     parse params (report errors through the host), decide the
 *           number of tasks, and return the workload's state, or NULL on
 *           error.  Called once per run, in the runner process.
 * ctx_init: optional; create per-execution-context resources (a thread's
 *           or worker process's connection).  Returns 0 or -1.
 * ctx_fini: optional; release what ctx_init made.
 * task:     do task idx; WEFT_TASK_OK or WEFT_TASK_FAILED (after
 *           task_fail).  May be called from several threads at once, so
 *           touch only the task's own data and ctx.
 * fini:     release state.
 * sum_keys, count_keys: see below.
 */
struct weft_workload_ops {
	void *(*init)(const struct weft_host *h, const struct weft_node *params,
	    size_t *ntasks);
	int (*ctx_init)(void *state, void **ctx);
	void (*ctx_fini)(void *state, void *ctx);
	int (*task)(void *state, void *ctx, struct weft_task *t, size_t idx);
	void (*fini)(void *state);
	/*
	 * Run summary, computed by weft over every task's results (under
	 * any strategy, worker processes included): for each name in
	 * sum_keys, the total of that numeric result; for each name in
	 * count_keys, how many tasks had each value.  NULL-terminated;
	 * either may be NULL.
	 */
	const char *const *sum_keys;
	const char *const *count_keys;
};

/*
 * struct weft_strategy_ops - what a strategy plugin implements.
 *
 * run:      execute every task of r with at most run_concurrency(r) in
 *           flight, then return 0 (or -1 with a log line if the strategy
 *           itself failed).  Honour run_cancelled.
 * wait_fd, sleep_ms: optional; the strategy's own implementation of the
 *           task primitives (a strategy that multiplexes tasks on a
 *           thread suspends the task here).  NULL: weft blocks the thread.
 *           They are called from inside the task, on its stack.
 */
struct weft_strategy_ops {
	int (*run)(const struct weft_host *h, struct weft_run *r);
	/*
	 * max_concurrency: the most tasks the strategy ever runs at once
	 * (1 for a sequential strategy); 0 for no limit of its own.  The
	 * run's concurrency is clamped to it.
	 */
	size_t max_concurrency;
	int (*wait_fd)(struct weft_task *t, int fd, int events,
	    int timeout_ms);
	int (*sleep_ms)(struct weft_task *t, long ms);
	/* event_base: optional; the event_base running t (loop_base). */
	void *(*event_base)(struct weft_task *t);
	/* park, unpark: optional; see struct weft_host. */
	int (*park)(struct weft_task *t, int timeout_ms);
	void (*unpark)(struct weft_task *t);
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
};

/* Initializer for the fixed fields of a descriptor. */
#define WEFT_PLUGIN_HEADER \
	.abi_major = WEFT_ABI_MAJOR, .abi_minor = WEFT_ABI_MINOR, \
	.size = sizeof(struct weft_plugin)

#ifdef __cplusplus
}
#endif

#endif /* WEFT_PLUGIN_H */
