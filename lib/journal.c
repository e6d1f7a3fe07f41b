/*
 * journal.c - a run's journal: state_dir/runs/ID.journal, one line each,
 * appended and fsync'd as the run goes, so that a weftd crash, a runner
 * crash or a power cut loses nothing that finished.
 *
 *   {"journal":1, "id":..., "job":..., "run":{RUN message}, ...}
 *	the header, written by weftd before the runner starts: who the run
 *	is and the job exactly as it runs (its file's text, --set values,
 *	the strategy picked, the deadline)
 *   {"start":{"total":N,"concurrency":C}}
 *	the runner knows how many tasks there are
 *   [task, state, attempts, micros]  or
 *   [task, state, attempts, micros, result|null, error|null]
 *	one finished task (state 1 ok, 2 failed, 3 cancelled), written by
 *	the runner in batches (runner/journal.c)
 *   {"ok":[[first, last], ...]}
 *	tasks that ended ok without a result, as ranges
 *   {"record":{...}, "ended":WALL}
 *	the runner's RECORD when the run ends (its TRACE goes to traces/)
 *
 * A line that does not parse (a torn last line after a power cut) is
 * skipped; the rest of the journal still counts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* journal_path - state_dir/runs/ID.journal (malloc'd). */
char *
journal_path(const char *state_dir, long long id)
{
	char *p;

	xasprintf(&p, "%s/runs/%lld.journal", state_dir, id);
	return p;
}

/*
 * journal_outcome - append one finished task's line to buf (room for
 * it: journal_outcome_len), by hand: it is the one line written per
 * task, a million times for a big run.  result is the task's result as
 * JSON text (result_text), or NULL.  Returns the bytes written.
 */
/* put_field - ",text" (",null" for NULL) at p; past it. */
static char *
put_field(char *p, const char *text)
{
	size_t n;

	if (text == NULL)
		text = "null";
	n = strlen(text);
	*p++ = ',';
	memcpy(p, text, n);
	return p + n;
}

size_t
journal_outcome(char *buf, size_t idx, int state, unsigned attempts,
    long long micros, const char *result, const char *error)
{
	char	*p = buf;

	*p++ = '[';
	p += fmt_int(p, (long long)idx);
	*p++ = ',';
	*p++ = (char)('0' + state);
	*p++ = ',';
	p += fmt_int(p, attempts);
	*p++ = ',';
	p += fmt_int(p, micros < 0 ? 0 : micros);
	if (result != NULL || error != NULL) {
		/* Through jansson: it turns an error that is not UTF-8 into
		 * null rather than a line that would not read back. */
		json_t *e = error ? json_string(error) : NULL;
		char *es = e ? json_dumps(e, JSON_ENCODE_ANY) : NULL;

		/* Copied, not printed: sprintf's %s cost a thousand
		 * instructions a task for a download's result. */
		p = put_field(p, result);
		p = put_field(p, es);
		free(es);
		json_decref(e);
	}
	*p++ = ']';
	*p++ = '\n';
	return (size_t)(p - buf);
}

/* journal_outcome_len - the room journal_outcome needs for this task. */
size_t
journal_outcome_len(const char *result, const char *error)
{
	size_t	 n = JOURNAL_LINE_MAX;

	if (result != NULL)
		n += strlen(result);
	if (error != NULL)
		n += 6 * strlen(error) + 2;	/* \u00XX at worst */
	return n + 16;
}

void
journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	json_decref(j->header);
	json_decref(j->record);
	json_decref(j->trace);
	for (size_t i = 0; i < j->ntasks; i++)
		json_decref(j->tasks[i].result);
	for (size_t i = 0; i < j->ntasks; i++)
		free(j->tasks[i].error);
	free(j->tasks);
	free(j);
}

/* task_of - the outcome slot of task idx, growing the table. */
static struct joutcome *
task_of(struct journal *j, size_t idx)
{
	if (idx >= j->ntasks) {
		size_t n = j->ntasks ? j->ntasks : 1024;

		while (n <= idx)
			n *= 2;
		j->tasks = xreallocarray(j->tasks, n, sizeof *j->tasks);
		memset(j->tasks + j->ntasks, 0, (n - j->ntasks) *
		    sizeof *j->tasks);
		j->ntasks = n;
	}
	return &j->tasks[idx];
}

static void
outcome(struct journal *j, json_t *a)
{
	json_t			*v = json_array_get(a, 0);
	struct joutcome		*o;
	long long		 idx = json_integer_value(v);
	int			 st = (int)json_integer_value(json_array_get(a,
				    1));

	if (!json_is_integer(v) || idx < 0 || idx > 1000000000 ||
	    st < 1 || st > 3 || !json_is_integer(json_array_get(a, 2))) {
		j->skipped++;
		return;
	}
	o = task_of(j, (size_t)idx);
	if (o->state == 0)
		j->finished++;
	o->state = (unsigned char)st;
	o->attempts = (unsigned)json_integer_value(json_array_get(a, 2));
	o->micros = json_integer_value(json_array_get(a, 3));
	json_decref(o->result);
	o->result = NULL;
	free(o->error);
	o->error = NULL;
	if (json_is_object(json_array_get(a, 4)))
		o->result = json_incref(json_array_get(a, 4));
	if (json_is_string(json_array_get(a, 5)))
		o->error = xstrdup(json_string_value(json_array_get(a, 5)));
}

/* ok_ranges - [[first, last], ...] of tasks that ended ok, no result. */
static void
ok_ranges(struct journal *j, const json_t *ranges)
{
	size_t	 i;
	json_t	*rg;

	json_array_foreach(ranges, i, rg) {
		long long lo = json_integer_value(json_array_get(rg, 0));
		long long hi = json_integer_value(json_array_get(rg, 1));

		if (lo < 0 || hi < lo || hi > 1000000000) {
			j->skipped++;
			continue;
		}
		task_of(j, (size_t)hi);
		for (long long k = lo; k <= hi; k++) {
			struct joutcome *o = &j->tasks[k];

			if (o->state == 0)
				j->finished++;
			o->state = 1;
			o->attempts = 1;
			o->micros = 0;
		}
	}
}

/*
 * journal_read - read the journal at path.  NULL with *cause if it
 * cannot be read or has no header; lines that do not parse are
 * counted in skipped.
 */
struct journal *
journal_read(const char *path, char **cause)
{
	struct journal	*j;
	FILE		*f;
	char		*line = NULL;
	size_t		 cap = 0;
	ssize_t		 len;
	json_t		*o;

	if ((f = fopen(path, "r")) == NULL) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	while ((len = getline(&line, &cap, f)) > 0) {
		if ((o = json_loadb(line, (size_t)len, JSON_ALLOW_NUL,
		    NULL)) == NULL) {
			j->skipped++;
			continue;
		}
		if (json_is_array(o))
			outcome(j, o);
		else if (j->header == NULL && json_is_integer(json_object_get(o,
		    "journal")))
			j->header = json_incref(o);
		else if (json_is_array(json_object_get(o, "ok")))
			ok_ranges(j, json_object_get(o, "ok"));
		else if (json_is_object(json_object_get(o, "start")))
			j->total = json_integer_value(json_object_get(
			    json_object_get(o, "start"), "total"));
		else if (json_is_object(json_object_get(o, "record"))) {
			json_decref(j->record);
			j->record = json_incref(json_object_get(o, "record"));
			j->ended = json_number_value(json_object_get(o,
			    "ended"));
		} else if (json_is_object(json_object_get(o, "trace"))) {
			json_decref(j->trace);
			j->trace = json_incref(json_object_get(o, "trace"));
		} else
			j->skipped++;
		json_decref(o);
	}
	free(line);
	fclose(f);
	if (j->header == NULL || !json_is_integer(json_object_get(j->header,
	    "id"))) {
		xasprintf(cause, "%s: no header", path);
		journal_free(j);
		return NULL;
	}
	j->id = json_integer_value(json_object_get(j->header, "id"));
	return j;
}
