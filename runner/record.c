/*
 * record.c - what a runner reports when its run ends: the record (task
 * counts, latency percentiles, the workload's results and summary, the
 * failures) and the timeline of every task.  The supervisor adds the
 * identity of the run, times and status.
 */
#include <sys/resource.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

#define FAILURES_MAX	100	/* failed tasks listed in the record */

/*
 * The summary: totals of the workload's sum_keys and histograms of its
 * count_keys over every task's results.  The journal thread folds each
 * task in as it journals it (the task's result is freed then, unless
 * the record shows it: a run of a million downloads kept a million
 * results to the end for this); summary() folds what it did not.
 */
struct sums {
	size_t		 nsk, nck;
	double		*total;
	unsigned char	*real;		/* a real was added: print one */
	json_t		**hist;		/* value -> count */
};

static size_t
nkeys(const char *const *k)
{
	size_t n = 0;

	while (k != NULL && k[n] != NULL)
		n++;
	return n;
}

/* sums_of - r's summary so far, made empty on first use. */
static struct sums *
sums_of(struct weft_run *r)
{
	struct sums *s = r->sums;

	if (s == NULL) {
		s = r->sums = xcalloc(1, sizeof *s);
		s->nsk = nkeys(r->wops->sum_keys);
		s->nck = nkeys(r->wops->count_keys);
		s->total = xcalloc(s->nsk + 1, sizeof *s->total);
		s->real = xcalloc(s->nsk + 1, 1);
		s->hist = xcalloc(s->nck + 1, sizeof *s->hist);
		for (size_t k = 0; k < s->nck; k++)
			s->hist[k] = json_object();
	}
	return s;
}

/* sums_add - fold one task's result (NULL: none) into r's summary. */
void
sums_add(struct weft_run *r, const struct result *res)
{
	const char *const	*sk = r->wops->sum_keys;
	const char *const	*ck = r->wops->count_keys;
	struct sums		*s;
	struct result_val	 v;

	if (res == NULL)
		return;
	s = sums_of(r);
	for (size_t k = 0; k < s->nsk; k++) {
		if (!result_get(res, sk[k], &v))
			continue;
		if (v.type == RESULT_INT)
			s->total[k] += (double)v.i;
		else if (v.type == RESULT_REAL) {
			s->total[k] += v.d;
			s->real[k] = 1;
		}
	}
	for (size_t k = 0; k < s->nck; k++) {
		json_t	*n;
		char	 buf[24];

		if (!result_get(res, ck[k], &v))
			continue;
		if (v.type == RESULT_INT) {
			v.len = fmt_int(buf, v.i);
			v.s = buf;
		} else if (v.type != RESULT_STR)
			continue;
		if ((n = json_object_getn(s->hist[k], v.s, v.len)) != NULL)
			json_integer_set(n, json_integer_value(n) + 1);
		else
			json_object_setn_new(s->hist[k], v.s, v.len,
			    json_integer(1));
	}
}

/*
 * summary - the summary object ({"sum": {...}, "count": {...}}) once
 * the journal thread is done; NULL if the workload declares no keys.
 */
static json_t *
summary(struct weft_run *r)
{
	const char *const	*sk = r->wops->sum_keys;
	const char *const	*ck = r->wops->count_keys;
	struct sums		*s;
	json_t			*sum, *count, *o;

	if (sk == NULL && ck == NULL)
		return NULL;
	for (size_t i = 0; i < r->ntasks; i++)
		if (r->journaled == NULL || !r->journaled[i])
			sums_add(r, r->recs[i].result);
	s = sums_of(r);
	sum = json_object();
	count = json_object();
	for (size_t k = 0; k < s->nsk; k++)
		json_object_set_new(sum, sk[k], s->real[k] ?
		    json_real(s->total[k]) :
		    json_integer((json_int_t)s->total[k]));
	for (size_t k = 0; k < s->nck; k++) {
		if (json_object_size(s->hist[k]) > 0)	/* no task had one */
			json_object_set(count, ck[k], s->hist[k]);
		json_decref(s->hist[k]);
	}
	free(s->total);
	free(s->real);
	free(s->hist);
	free(s);
	r->sums = NULL;
	o = json_object();
	if (json_object_size(sum) != 0)
		json_object_set(o, "sum", sum);
	if (json_object_size(count) != 0)
		json_object_set(o, "count", count);
	json_decref(sum);
	json_decref(count);
	return o;
}

/*
 * peak_rss_kb - this process's peak resident size (VmHWM), or 0.  Not
 * getrusage's ru_maxrss: Linux carries the peak of the image before
 * exec over into it, and weftd spawns runners with posix_spawn, whose
 * child shares weftd's memory until exec, so ru_maxrss said weftd's
 * size (135 MB for a 10-task noop run beside a weftd of that size).
 */
static long long
peak_rss_kb(void)
{
	FILE		*f = fopen("/proc/self/status", "r");
	char		 line[256];
	long long	 kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmHWM: %lld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double
seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* record_make - the RECORD message but its results. */
static json_t *
record_make(struct weft_run *r)
{
	struct proto_record	 rec = { 0 };
	struct rusage		 self, kids;
	double			*durs;
	size_t			 nd = 0, ok = 0, failed = 0, cancelled = 0;
	json_t			*o;

	durs = xcalloc(r->ntasks ? r->ntasks : 1, sizeof *durs);
	rec.failures = json_array();
	for (size_t i = 0; i < r->ntasks; i++) {
		struct task_rec *t = &r->recs[i];

		switch (t->state) {
		case T_OK:
			ok++;
			break;
		case T_FAILED:
			failed++;
			if (json_array_size(rec.failures) < FAILURES_MAX)
				json_array_append_new(rec.failures, json_pack(
				    "{s:I, s:s, s:i}", "task", (json_int_t)i,
				    "error", t->error, "attempts",
				    t->attempts));
			break;
		default:
			cancelled++;
			break;
		}
		if ((t->state == T_OK || t->state == T_FAILED) && !t->carried)
			durs[nd++] = t->end - t->start;
	}
	rec.latency = percentiles(durs, nd);
	free(durs);
	rec.tasks = json_pack("{s:I, s:I, s:I, s:I}", "total",
	    (json_int_t)r->ntasks, "ok", (json_int_t)ok, "failed",
	    (json_int_t)failed, "cancelled", (json_int_t)cancelled);
	/* A cluster run: tasks run more than once, queue entries lost. */
	if (r->duplicated > 0)
		json_object_set_new(rec.tasks, "duplicated",
		    json_integer(r->duplicated));
	if (r->lost > 0)
		json_object_set_new(rec.tasks, "lost", json_integer(r->lost));
	rec.strategy = r->strategy;
	rec.concurrency = (long long)r->concurrency;
	rec.summary = summary(r);
	rec.results_truncated = r->ntasks > RESULTS_MAX;
	rec.cancelled = CANCELLED() != 0;
	getrusage(RUSAGE_SELF, &self);
	getrusage(RUSAGE_CHILDREN, &kids);
	rec.user_s = seconds(self.ru_utime) + seconds(kids.ru_utime);
	rec.sys_s = seconds(self.ru_stime) + seconds(kids.ru_stime);
	rec.max_rss_kb = peak_rss_kb();
	if (kids.ru_maxrss > rec.max_rss_kb)
		rec.max_rss_kb = kids.ru_maxrss;
	rec.resumed = (long long)r->carried;
	o = proto_encode(PROTO_RECORD, &rec);	/* results: record_text */
	json_decref(rec.failures);
	json_decref(rec.latency);
	json_decref(rec.tasks);
	json_decref(rec.summary);
	return o;
}

/*
 * results_room, results_put - the results of the first RESULTS_MAX tasks
 * as a JSON array, [{"task":I,...},...], written by hand at p (jansson
 * took 3 ms for 1,000 results); results_put returns the end.
 */
static size_t
results_room(struct weft_run *r)
{
	size_t n = 2;

	for (size_t i = 0; i < r->ntasks && i < RESULTS_MAX; i++)
		if (r->recs[i].result != NULL)
			n += result_room(r->recs[i].result) + 32;
	return n;
}

static char *
results_put(struct weft_run *r, char *p)
{
	struct result_val	 v;
	char			*q;

	*p++ = '[';
	for (size_t i = 0; i < r->ntasks && i < RESULTS_MAX; i++) {
		const struct result *res = r->recs[i].result;

		if (res == NULL)
			continue;
		if (p[-1] != '[')
			*p++ = ',';
		/* A result with its own "task" keeps it (as it always has),
		 * and its object is printed whole. */
		if (result_get(res, "task", &v)) {
			p = result_put(res, p);
			continue;
		}
		memcpy(p, "{\"task\":", 8);
		p += 8;
		p += fmt_int(p, (long long)i);
		q = p;
		p = result_put(res, p);		/* {...}: its { becomes , */
		if (p - q == 2) {
			p = q;
			*p++ = '}';
		} else
			*q = ',';
	}
	*p++ = ']';
	return p;
}

/*
 * record_text - the runner's part of the run record: the RECORD message
 * as text, its results last.
 */
char *
record_text(struct weft_run *r)
{
	json_t	*o = record_make(r);
	char	*head = json_dumps(o, JSON_COMPACT), *res, *text;
	size_t	 len;

	json_decref(o);
	res = xmalloc(results_room(r));
	len = (size_t)(results_put(r, res) - res);
	text = json_add_last(head, strlen(head), "results", res, len, &len);
	free(res);
	free(head);
	return text;
}

/*
 * trace_text - every task's start, end, lane and state, for timelines:
 * [task, start_s, end_s, lane, state] with state 1 ok, 2 failed,
 * 3 cancelled: the TRACE message's text.  At most trace_max tasks
 * (weftd.yaml; the first ones); the rest are only counted.  Tasks a
 * resumed run carried over did not run here, and are not in it.
 *
 * With a trace file (fd 8, which weftd renames into traces/ when the run
 * ends), the tasks are written there and the message only says how many
 * bytes: weftd's loop then never parses them (65 ms for the 100,000
 * tasks trace_max allows by default).
 */
char *
trace_text(struct weft_run *r)
{
	struct proto_trace_row	*rows;
	struct proto_trace	 tr = { NULL, 0, 0 };
	size_t			 kept = 0, len, cap;
	char			*text;
	json_t			*o;

	cap = r->ntasks < r->trace_max ? r->ntasks : r->trace_max;
	rows = xcalloc(cap ? cap : 1, sizeof *rows);
	for (size_t i = 0; i < r->ntasks; i++) {
		struct task_rec *t = &r->recs[i];

		if (t->state == T_PENDING || t->carried)
			continue;
		if (kept == r->trace_max) {
			tr.not_kept++;
			continue;
		}
		rows[kept++] = (struct proto_trace_row){ (long long)i,
		    t->start, t->end, (int)t->lane, (int)t->state };
	}
	text = proto_trace_text(rows, kept, tr.not_kept, &len);
	free(rows);
	if (r->tfd < 0)
		return text;
	if (write_all(r->tfd, text, len) != 0) {
		log_warn("run %lld: writing its timeline; it goes to weftd "
		    "in the message", r->id);
		close(r->tfd);
		r->tfd = -1;
		return text;
	}
	close(r->tfd);
	r->tfd = -1;
	free(text);
	tr.tasks = json_array();
	tr.in_file = (long long)len;
	o = proto_encode(PROTO_TRACE, &tr);
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	json_decref(tr.tasks);
	return text;
}
