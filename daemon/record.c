/*
 * record.c - a finished run's record: the supervisor's facts (identity,
 * times, how the runner ended, its resource use) with what the runner
 * reported (tasks, latency, results, failures, summary), and a status
 * that is both an enum (for metrics) and the text users read.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftd.h"

static const char *const classes[RUN_NSTATUS] = {
	[RUN_OK] = "ok",
	[RUN_FAILED] = "failed",
	[RUN_TIMED_OUT] = "timed_out",
	[RUN_CANCELLED] = "cancelled",
	[RUN_CRASHED] = "crashed",
	[RUN_INTERRUPTED] = "interrupted",
};

/* run_status_class - the status as a label value: ok, timed_out, ... */
const char *
run_status_class(enum run_status st)
{
	return st < RUN_NSTATUS ? classes[st] : "failed";
}

/* iso_time - t (seconds since the epoch) as 2026-11-23T10:00:00.000Z. */
void
iso_time(double t, char *buf, size_t len)
{
	time_t		s = (time_t)t;
	struct tm	tm;
	char		tmp[32];

	gmtime_r(&s, &tm);
	strftime(tmp, sizeof tmp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03dZ", tmp, (int)((t - (double)s) * 1000));
}

/* status_of - the run's final status, and its text. */
static enum run_status
status_of(const struct run *r, const json_t *rec, char **text)
{
	const json_t	*t = json_object_get(rec, "tasks");
	int		 sig, ws = r->wstatus;
	long long	 task;

	*text = NULL;
	if (r->timed_out) {
		*text = xstrdup("timed out");
		return RUN_TIMED_OUT;
	}
	if (r->cancelled) {
		*text = xstrdup("cancelled");
		return RUN_CANCELLED;
	}
	if (r->interrupted) {
		*text = xstrdup("interrupted");
		return RUN_INTERRUPTED;
	}
	/*
	 * A runner sends its record when every task has ended, then only
	 * releases what it held: how it exits after that (a crash in a
	 * plugin's release, seen before or after the record was read) is
	 * its own, and logged (run.c), never the run's.
	 */
	if (r->record != NULL) {
		if (json_integer_value(json_object_get(t, "failed")) ||
		    json_integer_value(json_object_get(t, "cancelled"))) {
			*text = xstrdup("failed");
			return RUN_FAILED;
		}
		*text = xstrdup("ok");
		return RUN_OK;
	}
	if (r->adopted && r->shared != NULL && r->shared->crash_signal != 0)
		ws = r->shared->crash_signal;	/* as if signalled */
	if (WIFSIGNALED(ws) && (!r->adopted || r->shared != NULL)) {
		sig = WTERMSIG(ws);
		task = r->shared ? r->shared->crash_task : -1;
		if (task >= 0 && r->shared->crash_signal == sig &&
		    r->shared->stack_overflow)
			xasprintf(text, "crashed: stack overflow (%s) in task "
			    "%lld", signal_name(sig), task);
		else if (task >= 0 && r->shared->crash_signal == sig)
			xasprintf(text, "crashed: %s in task %lld",
			    signal_name(sig), task);
		else
			xasprintf(text, "crashed: %s", signal_name(sig));
		return RUN_CRASHED;
	}
	*text = xstrdup("failed");
	return RUN_FAILED;
}

static double
seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/*
 * record_compose - the record of run r, which has ended (reaped, its
 * socket drained); *st gets its status.
 */
json_t *
record_compose(const struct run *r, enum run_status *st)
{
	static const char *const keys[] = { "strategy", "concurrency",
	    "tasks", "latency_s", "summary", "results", "results_truncated",
	    "failures" };
	json_t		*rec, *tasks;
	char		 started[40], ended[40], *status, *err = NULL;
	double		 wall = r->ended_wall != 0 ? r->ended_wall -
			    r->started_wall : now_mono() - r->started_mono;
	double		 user = seconds(r->ru.ru_utime);
	double		 sys = seconds(r->ru.ru_stime);
	long long	 ok, failed, rss = r->ru.ru_maxrss;

	/* Not our child (adopted, or gone), or not reaped yet: the
	 * runner's own account. */
	if ((r->adopted || r->interrupted || r->ended_wall != 0 ||
	    !r->reaped) && r->record != NULL) {
		user = json_number_value(json_object_get(r->record, "user_s"));
		sys = json_number_value(json_object_get(r->record, "sys_s"));
	}
	/*
	 * The peak size always from the runner when it said: wait4's
	 * ru_maxrss of a posix_spawn'ed child includes weftd's own size
	 * (Linux keeps the peak of the image before exec).
	 */
	if (json_is_integer(json_object_get(r->record, "max_rss_kb")))
		rss = json_integer_value(json_object_get(r->record,
		    "max_rss_kb"));

	iso_time(r->started_wall, started, sizeof started);
	iso_time(r->started_wall + wall, ended, sizeof ended);
	rec = json_pack("{s:I, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:f, s:f, "
	    "s:f, s:I}", "id", (json_int_t)r->id, "job", r->job, "workload",
	    r->workload, "strategy", r->strategy, "concurrency",
	    (json_int_t)r->concurrency, "trigger", r->trigger, "started",
	    started, "ended", ended, "wall_s", wall, "user_s", user, "sys_s",
	    sys, "max_rss_kb", (json_int_t)rss);
	if (r->auto_picked)
		json_object_set_new(rec, "strategy_picked_by",
		    json_string("auto"));
	if (r->record != NULL) {
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
			/* The message says latency; the record latency_s. */
			json_t *v = json_object_get(r->record,
			    strcmp(keys[i], "latency_s") == 0 ? "latency" :
			    keys[i]);

			if (v != NULL)
				json_object_set(rec, keys[i], v);
		}
	} else {
		/* The runner died: report what its progress said. */
		long long cancelled = r->total - r->done;

		json_object_set_new(rec, "tasks", json_pack("{s:I, s:I, s:I, "
		    "s:I}", "total", (json_int_t)r->total, "ok",
		    (json_int_t)(r->done - r->failed), "failed",
		    (json_int_t)r->failed, "cancelled",
		    (json_int_t)(cancelled > 0 ? cancelled : 0)));
	}
	tasks = json_object_get(rec, "tasks");
	if (r->resume_of) {
		json_object_set_new(rec, "resume_of",
		    json_integer(r->resume_of));
		json_object_set_new(tasks, "resumed", json_integer(r->record ?
		    json_integer_value(json_object_get(r->record, "resumed")) :
		    r->resumed));
	}
	ok = json_integer_value(json_object_get(tasks, "ok"));
	failed = json_integer_value(json_object_get(tasks, "failed"));
	json_object_set_new(rec, "tasks_per_s", json_real(wall > 0 ?
	    (double)(ok + failed) / wall : 0));
	*st = status_of(r, rec, &status);
	json_object_set_new(rec, "status", json_string(status));
	if (r->error != NULL)
		err = xstrdup(r->error);
	else if (r->interrupted)
		xasprintf(&err, "its runner was gone when weftd started "
		    "(killed, or the machine restarted); weftctl resume %lld "
		    "runs what did not finish", r->id);
	else if (r->record == NULL && r->adopted && *st != RUN_CRASHED &&
	    *st != RUN_CANCELLED && *st != RUN_TIMED_OUT)
		xasprintf(&err, "the runner ended without a record (weftd "
		    "adopted it after a restart, so its exit status is not "
		    "known)");
	else if (r->record == NULL && WIFEXITED(r->wstatus))
		xasprintf(&err, "runner exited with status %d and no record",
		    WEXITSTATUS(r->wstatus));
	if (err != NULL)
		json_object_set_new(rec, "error", json_string(err));

	log_msg(*st == RUN_OK ? 2 : 1, "run %lld (%s): %s in %.3fs (%s x%ld, "
	    "%lld/%lld tasks ok, %lld failed, cpu %.2fs, rss %.1f MiB)%s%s",
	    r->id, r->job, status, wall, r->strategy, r->concurrency, ok,
	    (long long)json_integer_value(json_object_get(tasks, "total")),
	    failed, user + sys, (double)rss / 1024,
	    err ? ": " : "", err ? err : "");
	free(status);
	free(err);
	return rec;
}
