/*
 * recover.c - what a weftd that starts finds of the runs an earlier one
 * left, in their journals (state_dir/runs/ID.journal):
 *  - a runner still running (its pid alive, started when the journal
 *    says, and weft-runner): adopted (run.c), as if nothing happened;
 *  - a runner that ended while no weftd was there: its record, from the
 *    journal, goes to the history;
 *  - a runner that is gone without a record (killed, or the machine
 *    restarted): the run is recorded "interrupted", with the tasks the
 *    journal says finished, and can be resumed (weftctl resume ID), at
 *    once if its job says resume: auto.
 * And resume itself: a new run of the job exactly as the journal kept
 * it, running only the tasks without an ok outcome.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define RESULTS_MAX	1000	/* as runner/record.c */
#define FAILURES_MAX	100

/* runner_alive - whether the journal's runner is still that process. */
static int
runner_alive(const json_t *h)
{
	pid_t		 pid = (pid_t)json_integer_value(json_object_get(h,
			    "pid"));
	long long	 t = json_integer_value(json_object_get(h,
			    "starttime"));
	char		 path[64], exe[4096];
	ssize_t		 n;

	if (pid <= 0 || proc_starttime(pid) != t)
		return 0;
	snprintf(path, sizeof path, "/proc/%ld/exe", (long)pid);
	if ((n = readlink(path, exe, sizeof exe - 1)) <= 0)
		return 0;
	exe[n] = '\0';
	return strstr(exe, "weft-runner") != NULL;
}

/*
 * interrupted_record - what a journal without a record says of its
 * run, as a RECORD message would: the tasks that finished (ok and
 * failed), their results and latencies; the rest did not finish.
 */
static json_t *
interrupted_record(const struct journal *j)
{
	json_t		*results = json_array(), *failures = json_array();
	double		*durs = xcalloc(j->finished + 1, sizeof *durs);
	long long	 ok = 0, failed = 0, total = j->total;
	size_t		 nd = 0;
	json_t		*o;

	for (size_t i = 0; i < j->ntasks; i++) {
		const struct joutcome *t = &j->tasks[i];

		if (t->state == 0)
			continue;
		if (t->state == 1)
			ok++;
		else if (t->state == 2)
			failed++;
		if (t->state != 3)
			durs[nd++] = (double)t->micros / 1e6;
		if (t->result != NULL && i < RESULTS_MAX) {
			json_t *res = json_pack("{s:I}", "task", (json_int_t)i);

			json_object_update(res, t->result);
			json_array_append_new(results, res);
		}
		if (t->state == 2 && json_array_size(failures) < FAILURES_MAX)
			json_array_append_new(failures, json_pack("{s:I, s:s, "
			    "s:i}", "task", (json_int_t)i, "error", t->error ?
			    t->error : "failed", "attempts", (int)t->attempts));
	}
	if (total < ok + failed)
		total = ok + failed;
	o = json_pack("{s:s, s:O, s:{s:I, s:I, s:I, s:I}, s:o, s:o, s:o}",
	    "type", "record", "strategy", json_object_get(j->header,
	    "strategy"), "tasks", "total", (json_int_t)total, "ok",
	    (json_int_t)ok, "failed", (json_int_t)failed, "cancelled",
	    (json_int_t)(total - ok - failed), "latency",
	    percentiles(durs, nd), "results", results, "failures", failures);
	json_object_set(o, "concurrency", json_object_get(j->header,
	    "concurrency"));
	free(durs);
	return o;
}

/*
 * trace_written - the timeline a run's runner wrote to its trace file
 * before its record (so complete when the journal has the record), or
 * NULL.
 */
static json_t *
trace_written(long long id)
{
	char	*path = history_trace_tmp(id);
	json_t	*o = json_load_file(path, 0, NULL);

	free(path);
	if (o != NULL && !json_is_array(json_object_get(o, "tasks"))) {
		json_decref(o);
		o = NULL;
	}
	return o;
}

/*
 * land - put an ended run (runner gone) in the history: with the record
 * its runner journaled, or as interrupted.  Returns whether it was
 * interrupted.
 */
static int
land(struct journal *j, const char *path)
{
	const json_t	*h = j->header;
	struct run	*r = xcalloc(1, sizeof *r);
	struct stat	 st;
	int		 interrupted = j->record == NULL;

	r->id = j->id;
	r->job = xstrdup(json_string_value(json_object_get(h, "job")));
	r->workload = xstrdup(json_string_value(json_object_get(h,
	    "workload")));
	r->strategy = xstrdup(json_string_value(json_object_get(h,
	    "strategy")));
	r->trigger = xstrdup(json_string_value(json_object_get(h, "trigger")));
	r->auto_picked = json_is_true(json_object_get(h, "auto_picked"));
	r->concurrency = (long)json_integer_value(json_object_get(h,
	    "concurrency"));
	r->resume_of = json_integer_value(json_object_get(h, "resume_of"));
	r->started_wall = json_number_value(json_object_get(h, "started"));
	r->journal = xstrdup(path);
	r->fd = r->pidfd = -1;
	r->adopted = 1;
	if (interrupted) {
		r->interrupted = 1;
		r->record = interrupted_record(j);
		/* It ended when its journal was last written. */
		r->ended_wall = stat(path, &st) == 0 ? (double)st.st_mtim.tv_sec +
		    (double)st.st_mtim.tv_nsec / 1e9 : now_wall();
	} else {
		r->record = json_incref(j->record);
		r->trace = json_incref(j->trace);
		if (r->trace == NULL)
			r->trace = trace_written(r->id);
		r->ended_wall = j->ended;
	}
	if (r->ended_wall < r->started_wall)
		r->ended_wall = r->started_wall;
	/* A runner that was killed left its socket behind. */
	if (json_string_value(json_object_get(json_object_get(h, "run"),
	    "listen")) != NULL)
		unlink(json_string_value(json_object_get(json_object_get(h,
		    "run"), "listen")));
	log_info("run %lld (%s): %s", r->id, r->job, interrupted ? "its "
	    "runner is gone; recorded as interrupted" : "it ended while weftd "
	    "was not running; its record is kept now");
	run_end_recovered(r);
	return interrupted;
}

static int
is_journal(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return n > 8 && strcmp(de->d_name + n - 8, ".journal") == 0;
}

/* recover_runs - every journal an earlier weftd left (at start). */
void
recover_runs(void)
{
	struct dirent	**ents;
	char		 *dir, *path, *cause;
	int		  n;

	xasprintf(&dir, "%s/runs", weftd.conf->state_dir);
	if ((n = scandir(dir, &ents, is_journal, alphasort)) < 0) {
		if (errno != ENOENT)
			log_warn("%s", dir);
		free(dir);
		return;
	}
	/* Every id a journal holds is taken, whatever happens below. */
	for (int i = 0; i < n; i++)
		history_saw_id(strtoll(ents[i]->d_name, NULL, 10));
	for (int i = 0; i < n; i++) {
		struct journal	*j;
		struct job	*job;

		xasprintf(&path, "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if ((j = journal_read(path, &cause)) == NULL) {
			log_warnx("skipping the journal %s", cause);
			free(cause);
			free(path);
			continue;
		}
		if (j->skipped)
			log_info("%s: %zu line%s that did not parse (a torn "
			    "last line, say) skipped", path, j->skipped,
			    j->skipped == 1 ? "" : "s");
		if (history_has(j->id)) {
			/* Ended and recorded; kept for resume. */
		} else if (runner_alive(j->header) &&
		    run_adopt(j, &cause) == 0) {
			/* adopted */
		} else {
			if (runner_alive(j->header)) {
				log_warnx("run %lld: cannot adopt its runner "
				    "(%s); stopping it", j->id, cause);
				free(cause);
				kill(-(pid_t)json_integer_value(json_object_get(
				    j->header, "pid")), SIGKILL);
			}
			if (land(j, path) &&
			    (job = config_find_job(weftd.conf,
			    json_string_value(json_object_get(j->header,
			    "job")))) != NULL && job->resume_auto) {
				json_t *info;

				if (resume_start(j->id, "resume", &info,
				    &cause) == 0) {
					log_info("run %lld: resumed as run "
					    "%lld (resume: auto)", j->id,
					    (long long)json_integer_value(
					    json_object_get(info, "id")));
					json_decref(info);
				} else {
					log_warnx("run %lld: cannot resume it: "
					    "%s", j->id, cause);
					free(cause);
				}
			}
		}
		journal_free(j);
		free(path);
	}
	free(ents);
	free(dir);
}

/*
 * resume_start - a new run of run id's job as its journal kept it (not
 * today's job file), running only the tasks without an ok outcome; the
 * others are carried over with their results.  0 with *info, or -1
 * with *cause.
 */
int
resume_start(long long id, const char *trigger, json_t **info, char **cause)
{
	struct run_request	*req;
	struct journal		*j;
	json_t			*rec;
	char			*path, *why;

	if (run_find(id) != NULL) {
		xasprintf(cause, "run %lld is still going; resume it when it "
		    "ends", id);
		return -1;
	}
	rec = history_lookup(id);
	if (rec == NULL) {
		xasprintf(cause, "no run %lld (see weftctl runs)", id);
		return -1;
	}
	if (strcmp(json_string_value(json_object_get(rec, "status")), "ok") ==
	    0) {
		xasprintf(cause, "run %lld ended ok; there is nothing to "
		    "resume", id);
		json_decref(rec);
		return -1;
	}
	json_decref(rec);
	path = journal_path(weftd.conf->state_dir, id);
	if ((j = journal_read(path, &why)) == NULL) {
		xasprintf(cause, "run %lld cannot be resumed: its journal is "
		    "gone (%s)", id, why);
		free(why);
		free(path);
		return -1;
	}
	req = xcalloc(1, sizeof *req);
	req->snapshot = json_incref(j->header);
	req->trigger = xstrdup(trigger);
	req->resume_of = id;
	req->carry = path;
	journal_free(j);
	return run_start(req, info, cause);
}
