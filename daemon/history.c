/*
 * history.c - what weftd keeps of ended runs: every record appended (and
 * fsync'd) to the metrics log and to history.jsonl in the state
 * directory, the last history_size records in memory for queries, and
 * each run's task timeline in state_dir/traces/ID.json.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

static json_t		*history;	/* records, oldest first */
static long long	 next_id = 1;

static char *
history_path(void)
{
	char *p;

	xasprintf(&p, "%s/history.jsonl", weftd.conf->state_dir);
	return p;
}

/* rewrite - replace path with the records kept, atomically. */
static void
rewrite(const char *path)
{
	char	*tmp;
	FILE	*t;
	size_t	 i;
	json_t	*o;

	xasprintf(&tmp, "%s.tmp", path);
	if ((t = fopen(tmp, "w")) != NULL) {
		json_array_foreach(history, i, o) {
			json_dumpf(o, t, JSON_COMPACT);
			fputc('\n', t);
		}
		if (fflush(t) == 0 && fsync(fileno(t)) == 0 && fclose(t) == 0)
			rename(tmp, path);
		else
			unlink(tmp);
	}
	free(tmp);
}

/* history_init - load the run history kept in the state directory. */
void
history_init(void)
{
	char		*path = history_path(), *line = NULL;
	FILE		*f;
	size_t		 cap = 0;
	long		 lineno = 0;
	size_t		 keep = (size_t)weftd.conf->history_size;

	history = json_array();
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			log_warn("run history %s", path);
		free(path);
		return;
	}
	while (getline(&line, &cap, f) > 0) {
		json_t		*o;
		json_error_t	 err;
		long long	 id;

		lineno++;
		if ((o = json_loads(line, 0, &err)) == NULL ||
		    !json_is_integer(json_object_get(o, "id"))) {
			log_warnx("%s:%ld: skipping a damaged history line: %s",
			    path, lineno, o ? "no id" : err.text);
			json_decref(o);
			continue;
		}
		id = json_integer_value(json_object_get(o, "id"));
		if (id >= next_id)
			next_id = id + 1;
		json_array_append_new(history, o);
		if (json_array_size(history) > keep)
			json_array_remove(history, 0);
	}
	free(line);
	fclose(f);
	/* Keep the file from growing without bound: rewrite what we keep. */
	if ((size_t)lineno > 2 * keep)
		rewrite(path);
	log_debug("run history: %zu records, next run id %lld",
	    json_array_size(history), next_id);
	free(path);
}

/* history_next_id - the id for a new run. */
long long
history_next_id(void)
{
	return next_id++;
}

/* append_line - append one JSON line to path and fsync it. */
static void
append_line(const char *path, const json_t *o)
{
	char	*s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(9));
	size_t	 len = strlen(s);
	int	 fd;

	s[len] = '\n';	/* json_dumps leaves room for the NUL */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0) {
		log_warn("cannot open %s", path);
		free(s);
		return;
	}
	if (write(fd, s, len + 1) != (ssize_t)(len + 1))
		log_warn("cannot append to %s", path);
	else if (fsync(fd) != 0)
		log_warn("fsync %s", path);
	close(fd);
	free(s);
}

/*
 * save_trace - keep the run's task timeline in state_dir/traces/ID.json
 * (written to a temp file and renamed), and drop the one that fell out
 * of the history.
 */
static void
save_trace(const struct run *r, const json_t *rec)
{
	static const char *const keys[] = { "id", "job", "workload",
	    "strategy", "concurrency", "started", "wall_s", "status" };
	char	*dir, *path, *tmp;
	json_t	*o;

	xasprintf(&dir, "%s/traces", weftd.conf->state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		log_warn("cannot make %s", dir);
		free(dir);
		return;
	}
	o = json_object();
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		json_object_set(o, keys[i], json_object_get(rec, keys[i]));
	json_object_set(o, "tasks", json_object_get(r->trace, "tasks"));
	json_object_set(o, "not_kept", json_object_get(r->trace, "not_kept"));
	xasprintf(&path, "%s/%lld.json", dir, r->id);
	xasprintf(&tmp, "%s/.%lld.json.tmp", dir, r->id);
	if (json_dump_file(o, tmp, JSON_COMPACT | JSON_REAL_PRECISION(9)) !=
	    0 || rename(tmp, path) != 0) {
		log_warn("cannot write %s", path);
		unlink(tmp);
	}
	free(path);
	if (r->id > weftd.conf->history_size) {
		xasprintf(&path, "%s/%lld.json", dir,
		    r->id - weftd.conf->history_size);
		unlink(path);
		free(path);
	}
	free(tmp);
	free(dir);
	json_decref(o);
}

/*
 * history_add - keep the record of run r: the metrics log, its
 * timeline, the history file (each fsync'd before anyone is told the
 * run ended), and memory.
 */
void
history_add(const struct run *r, json_t *rec)
{
	char *path;

	append_line(weftd.conf->metrics_log, rec);
	if (r->trace != NULL)
		save_trace(r, rec);
	path = history_path();
	append_line(path, rec);
	free(path);
	json_array_append(history, rec);
	while (json_array_size(history) > (size_t)weftd.conf->history_size)
		json_array_remove(history, 0);
}

struct listing {
	json_t		*a;
	const char	*job;
};

static void
add_running(const struct run *r, void *arg)
{
	struct listing *l = arg;

	if (l->job == NULL || strcmp(r->job, l->job) == 0)
		json_array_append_new(l->a, run_json(r));
}

/*
 * history_list - running runs, then ended ones newest first, at most
 * limit of these (0: all); job may be NULL.
 */
json_t *
history_list(const char *job, int limit)
{
	struct listing	 l = { json_array(), job };
	size_t		 i;

	runs_each(add_running, &l);
	for (i = json_array_size(history); i > 0; i--) {
		json_t *o = json_array_get(history, i - 1);

		if (limit > 0 && (int)json_array_size(l.a) >= limit)
			break;
		if (job == NULL || strcmp(json_string_value(
		    json_object_get(o, "job")), job) == 0)
			json_array_append(l.a, o);
	}
	return l.a;
}

/* history_lookup - a run's record (or its state if running), or NULL. */
json_t *
history_lookup(long long id)
{
	struct run	*r;
	size_t		 i;
	json_t		*o;

	if ((r = run_find(id)) != NULL)
		return run_json(r);
	json_array_foreach(history, i, o)
		if (json_integer_value(json_object_get(o, "id")) == id)
			return json_incref(o);
	return NULL;
}

/* history_trace - an ended run's timeline, or NULL (and why). */
json_t *
history_trace(long long id, char **cause)
{
	char		*path;
	json_t		*o;
	json_error_t	 err;

	if (run_find(id) != NULL) {
		xasprintf(cause, "run %lld is still going; its timeline is "
		    "kept when it ends", id);
		return NULL;
	}
	xasprintf(&path, "%s/traces/%lld.json", weftd.conf->state_dir, id);
	if ((o = json_load_file(path, 0, &err)) == NULL)
		xasprintf(cause, "no timeline for run %lld (%s)", id,
		    err.text);
	free(path);
	return o;
}
