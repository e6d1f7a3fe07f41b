/*
 * history.c - what weftd keeps of ended runs: every record appended (and
 * fsync'd) to the metrics log and to history.jsonl in the state
 * directory, the last history_size records in memory for queries, and
 * each run's task timeline in state_dir/traces/ID.json.  Run ids come
 * from here too, and are never given twice: the next one is kept in
 * state_dir/next-id, beside what the history and the journals say.
 *
 * A state directory that cannot be written (full, read-only) does not
 * stop weftd: the problem is logged once, shown by weftctl status and
 * /health, records stay in memory (and are answered over the socket),
 * and the lines that could not be written are written, in order, as
 * soon as they can be (tried again every few seconds).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

static void	on_retry(evutil_socket_t, short, void *);

/* What a timeline file says of its run, beside the tasks. */
static const char *const trace_keys[] = { "id", "job", "workload",
    "strategy", "concurrency", "started", "wall_s", "status" };

static json_t		*history;	/* records, oldest first */
/*
 * A record keeps up to 1,000 results, which jansson holds in about 1 MB
 * (a full history of 1,000 such records: 1.1 GB).  The records in
 * memory leave them out, and history_lookup, the one place that answers
 * for a single run, puts them back: the newest RESULTS_CACHED runs'
 * from their JSON text kept here (and any run's whose line is not
 * written yet), the others' from their line in history.jsonl, whose
 * place is kept.  As text, 1,000 runs of 1,000 results each held about
 * 150 MB, and grew weftd by 146 KB a run.
 */
#define RESULTS_CACHED	32
static json_t		*results_text;	/* {"ID": "[...]"} */
static json_t		*results_at;	/* {"ID": [offset, length]} */
static long long	 next_id = 1;
static int		 later_fd[8];	/* history_settle's: synced, closed */
static size_t		 nlater_fd;
static char		**later_unlink;	/* and removed */
static size_t		 nlater_unlink;
static struct event	*ev_later;

/* Lines that could not be written yet: [[path, line], ...]. */
static json_t		*pending;
static struct event	*ev_retry;
static char		*problem;	/* why the state dir cannot be written */

#define RETRY_S		5

static char *
history_path(void)
{
	char *p;

	xasprintf(&p, "%s/history.jsonl", weftd.conf->state_dir);
	return p;
}

/* id_key - a run id as results_text's key. */
static const char *
id_key(const json_t *rec, char *buf, size_t len)
{
	snprintf(buf, len, "%lld", (long long)json_integer_value(
	    json_object_get(rec, "id")));
	return buf;
}

/*
 * keep - add a record to the history (taking the reference), and drop
 * the oldest beyond history_size.  Its results are kept as text (rtext,
 * or printed here) unless it is in history.jsonl already (at >= 0: its
 * line's offset, len bytes) and not one of the newest runs.
 */
static void
keep(json_t *rec, const char *rtext, size_t rlen, off_t at, size_t len)
{
	json_t	*res = json_object_get(rec, "results"), *slim = rec, *old;
	char	 key[24], *text = NULL;
	size_t	 n;

	if (json_array_size(res) > 0) {
		id_key(rec, key, sizeof key);
		if (at >= 0)
			json_object_set_new(results_at, key, json_pack(
			    "[I, I]", (json_int_t)at, (json_int_t)len));
		if (at < 0 || rtext != NULL) {
			if (rtext == NULL) {
				rtext = text = json_dumps(res, JSON_COMPACT |
				    JSON_REAL_PRECISION(9));
				rlen = strlen(text);
			}
			json_object_set_new(results_text, key,
			    json_stringn_nocheck(rtext, rlen));
			free(text);
		}
		slim = json_copy(rec);	/* rec may be in use elsewhere */
		json_object_del(slim, "results");
		json_decref(rec);
	}
	json_array_append_new(history, slim);
	/* Older runs' results are read back from their line. */
	n = json_array_size(history);
	if (n > RESULTS_CACHED) {
		old = json_array_get(history, n - 1 - RESULTS_CACHED);
		id_key(old, key, sizeof key);
		if (json_object_get(results_at, key) != NULL)
			json_object_del(results_text, key);
	}
	while (json_array_size(history) > (size_t)weftd.conf->history_size) {
		id_key(json_array_get(history, 0), key, sizeof key);
		json_object_del(results_text, key);
		json_object_del(results_at, key);
		json_array_remove(history, 0);
	}
}

/*
 * read_results - the results of run key from its line in history.jsonl
 * (at offset at, len bytes), or NULL if the line is not that run's any
 * more (the file was changed behind weftd's back: said).
 */
static json_t *
read_results(const char *key, json_int_t at, json_int_t len)
{
	char	*path = history_path(), *buf = NULL;
	json_t	*o = NULL, *res = NULL;
	int	 fd;

	if (len > 0 && len < 1024 * 1024 * 1024 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
		buf = xmalloc((size_t)len);
		if (pread(fd, buf, (size_t)len, (off_t)at) == (ssize_t)len)
			o = json_loadb(buf, (size_t)len, 0, NULL);
		close(fd);
	}
	if (o != NULL && json_integer_value(json_object_get(o, "id")) ==
	    strtoll(key, NULL, 10))
		res = json_incref(json_object_get(o, "results"));
	if (res == NULL)
		log_warnx("%s: the line of run %s is not where it was, or "
		    "not whole (the file was changed while weftd ran, or "
		    "damaged); its results are not shown", path, key);
	json_decref(o);
	free(buf);
	free(path);
	return res;
}

/* with_results - a new reference to a record in memory, whole again. */
static json_t *
with_results(json_t *rec)
{
	json_t	*t, *full, *res = NULL;
	char	 key[24];

	id_key(rec, key, sizeof key);
	if ((t = json_object_get(results_text, key)) != NULL)
		res = json_loads(json_string_value(t), 0, NULL);
	else if ((t = json_object_get(results_at, key)) != NULL)
		res = read_results(key, json_integer_value(json_array_get(t,
		    0)), json_integer_value(json_array_get(t, 1)));
	if (res == NULL)
		return json_incref(rec);
	full = json_copy(rec);
	json_object_set_new(full, "results", res);
	return full;
}

/* rewrite - replace path with the records kept, atomically. */
static void
rewrite(const char *path)
{
	char	*tmp;
	FILE	*t;
	size_t	 i;
	json_t	*o, *at = json_object();
	char	 key[24];
	off_t	 start;

	xasprintf(&tmp, "%s.tmp", path);
	if ((t = fopen(tmp, "w")) != NULL) {
		json_array_foreach(history, i, o) {
			json_t *full = with_results(o);

			start = ftello(t);
			json_dumpf(full, t, JSON_COMPACT |
			    JSON_REAL_PRECISION(9));
			fputc('\n', t);
			if (json_object_get(full, "results") != NULL)
				json_object_set_new(at, id_key(o, key,
				    sizeof key), json_pack("[I, I]",
				    (json_int_t)start,
				    (json_int_t)(ftello(t) - start)));
			json_decref(full);
		}
		if (fflush(t) == 0 && fsync(fileno(t)) == 0 &&
		    fclose(t) == 0 && rename(tmp, path) == 0) {
			/* The lines moved: where they are now. */
			json_decref(results_at);
			results_at = at;
			at = NULL;
		} else
			unlink(tmp);
	}
	json_decref(at);
	free(tmp);
}

/*
 * state_write_failed - writing what (a file of the state directory)
 * failed with err: logged once per episode.  Returns -1.
 */
int
state_write_failed(const char *what, int err)
{
	if (problem == NULL) {
		xasprintf(&problem, "cannot write %s: %s", what, strerror(err));
		log_warnx("state directory: %s; weftd goes on (records are "
		    "kept in memory and answered over the socket) and writes "
		    "them when it can", problem);
	}
	return -1;
}

/* state_write_ok - a write to the state directory worked again. */
void
state_write_ok(void)
{
	if (problem == NULL || json_array_size(pending) != 0)
		return;
	log_info("state directory: writable again (was: %s)", problem);
	free(problem);
	problem = NULL;
}

/* state_problem - why the state directory cannot be written, or NULL. */
const char *
state_problem(void)
{
	return problem;
}

/* id_path - where the next run id is kept. */
static char *
id_path(void)
{
	char *p;

	xasprintf(&p, "%s/next-id", weftd.conf->state_dir);
	return p;
}

/* history_saw_id - an id in use (a journal's): the next one is after. */
void
history_saw_id(long long id)
{
	if (id >= next_id)
		next_id = id + 1;
}

/* write_id - state_dir/next-id says v (synced): 0, or -1. */
static int
write_id(long long v)
{
	char	*path = id_path(), *tmp;
	FILE	*f;
	int	 ok = 0;

	xasprintf(&tmp, "%s.tmp", path);
	if ((f = fopen(tmp, "w")) != NULL) {
		ok = fprintf(f, "%lld\n", v) > 0 && fflush(f) == 0 &&
		    fsync(fileno(f)) == 0;
		ok = fclose(f) == 0 && ok && rename(tmp, path) == 0;
	}
	if (!ok) {
		state_write_failed(path, errno);
		unlink(tmp);
	}
	free(tmp);
	free(path);
	return ok ? 0 : -1;
}

/*
 * history_next_id - the id for a new run, never given before.  next-id
 * on disk is ahead of every id given: it is moved ID_BLOCK ahead (and
 * synced) when the ids reach it, not for every run (a sync and a rename
 * were a millisecond of each run's start).  A weftd killed leaves a gap
 * of fewer than ID_BLOCK ids; one that stops writes the next id itself.
 */
#define ID_BLOCK	64
static long long	reserved;	/* next-id on disk: ids below it are
					   covered */

long long
history_next_id(void)
{
	if (next_id >= reserved && write_id(next_id + ID_BLOCK) == 0)
		reserved = next_id + ID_BLOCK;
	return next_id++;
}

/* history_close - weftd stops: next-id says exactly the next id. */
void
history_close(void)
{
	history_settle();
	if (ev_later != NULL)
		event_free(ev_later);
	ev_later = NULL;
	if (reserved > next_id && write_id(next_id) == 0)
		reserved = next_id;
}

/* history_init - load the run history kept in the state directory. */
/*
 * line_record - the record of a history line, without its results.
 * weftd writes them last ("results":[...]} ends the line), and they are
 * read back from the line when asked for: only the text before them is
 * parsed, so that a start does not parse every run's thousand results.
 * That text must hold "status", which a record has after its results:
 * otherwise (results mid-record, as older lines have them) the whole
 * line is parsed.  *has: the line has results.  NULL (err) if it is
 * not JSON.
 */
static json_t *
line_record(const char *line, size_t n, int *has, json_error_t *err)
{
	static const char	 mark[] = ",\"results\":[";
	const char		*m = memmem(line, n, mark, sizeof mark - 1);
	json_t			*o;

	if (m != NULL && m + sizeof mark - 1 < line + n &&
	    m[sizeof mark - 1] != ']') {
		size_t	 hl = (size_t)(m - line);
		char	*head = xmalloc(hl + 1);

		memcpy(head, line, hl);
		head[hl] = '}';
		o = json_loadb(head, hl + 1, 0, NULL);
		free(head);
		if (json_is_string(json_object_get(o, "status"))) {
			*has = 1;
			return o;
		}
		json_decref(o);
	}
	if ((o = json_loadb(line, n, 0, err)) == NULL)
		return NULL;
	*has = json_array_size(json_object_get(o, "results")) > 0;
	json_object_del(o, "results");
	return o;
}

void
history_init(void)
{
	char		*path = history_path(), *line = NULL;
	FILE		*f;
	size_t		 cap = 0;
	long		 lineno = 0;
	size_t		 nkeep = (size_t)weftd.conf->history_size;

	history = json_array();
	results_text = json_object();
	results_at = json_object();
	pending = json_array();
	ev_retry = evtimer_new(weftd.base, on_retry, NULL);
	/* The next id survives even a history lost or rewritten. */
	{
		char		*ip = id_path();
		FILE		*idf = fopen(ip, "r");
		long long	 v;

		if (idf != NULL && fscanf(idf, "%lld", &v) == 1 && v > next_id)
			reserved = next_id = v;
		if (idf != NULL)
			fclose(idf);
		free(ip);
	}
	if ((f = fopen(path, "r")) == NULL) {
		if (errno != ENOENT)
			log_warn("run history %s", path);
		free(path);
		return;
	}
	for (;;) {
		json_t		*o;
		json_error_t	 err;
		long long	 id;
		off_t		 at = ftello(f);
		ssize_t		 n;
		int		 has;
		char		 key[24];

		if ((n = getline(&line, &cap, f)) <= 0)
			break;
		lineno++;
		if ((o = line_record(line, (size_t)n, &has, &err)) == NULL ||
		    !json_is_integer(json_object_get(o, "id"))) {
			log_warnx("%s:%ld: skipping a damaged history line: %s",
			    path, lineno, o ? "no id" : err.text);
			json_decref(o);
			continue;
		}
		id = json_integer_value(json_object_get(o, "id"));
		if (id >= next_id)
			next_id = id + 1;
		keep(o, NULL, 0, at, (size_t)n);
		if (has)
			json_object_set_new(results_at, id_key(o, key,
			    sizeof key), json_pack("[I, I]", (json_int_t)at,
			    (json_int_t)n));
	}
	free(line);
	fclose(f);
	/* Keep the file from growing without bound: rewrite what we keep. */
	if ((size_t)lineno > 2 * nkeep)
		rewrite(path);
	log_debug("run history: %zu records, next run id %lld",
	    json_array_size(history), next_id);
	free(path);
}

/*
 * What waits for the replies of this turn of the loop to be sent: the
 * metrics log's fsync (the history's is before them: it is what says a
 * run ended), and the journals of runs that ended ok (a journal of
 * 20,000 tasks takes a millisecond to unlink).  A zero timeout runs
 * after the I/O the loop found ready; history_settle, at the latest
 * when weftd stops.
 */

static void
on_later(evutil_socket_t fd, short what, void *arg)
{
	history_settle();
}

static void
later_soon(void)
{
	static const struct timeval now = { 0, 0 };

	if (ev_later == NULL)
		ev_later = evtimer_new(weftd.base, on_later, NULL);
	evtimer_add(ev_later, &now);
}

/* history_settle - do what waited for the replies. */
void
history_settle(void)
{
	for (size_t i = 0; i < nlater_fd; i++) {
		if (fsync(later_fd[i]) != 0)
			state_write_failed(weftd.conf->metrics_log, errno);
		close(later_fd[i]);
	}
	nlater_fd = 0;
	for (size_t i = 0; i < nlater_unlink; i++) {
		if (unlink(later_unlink[i]) != 0 && errno != ENOENT)
			log_warn("cannot remove %s", later_unlink[i]);
		free(later_unlink[i]);
	}
	free(later_unlink);
	later_unlink = NULL;
	nlater_unlink = 0;
}

/* history_unlink_later - path (an ok run's journal) goes after the
 * replies. */
void
history_unlink_later(const char *path)
{
	later_unlink = xreallocarray(later_unlink, nlater_unlink + 1,
	    sizeof *later_unlink);
	later_unlink[nlater_unlink++] = xstrdup(path);
	later_soon();
}

/*
 * write_line - append text (one line) to path and fsync it (with
 * later: after the replies).  0, or -1 (errno) having written nothing
 * that stays: a partial line is cut.
 */
static int
write_line(const char *path, const char *text, size_t len, off_t *at,
    int later)
{
	struct stat	st;
	int		fd, e;

	if (later && nlater_fd == sizeof later_fd / sizeof *later_fd)
		history_settle();
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0640)) < 0)
		return -1;
	if (fstat(fd, &st) == 0 && write(fd, text, len) == (ssize_t)len &&
	    (later || fsync(fd) == 0)) {
		if (later) {
			later_fd[nlater_fd++] = fd;
			later_soon();
		} else
			close(fd);
		if (at != NULL)		/* weftd is its only writer */
			*at = st.st_size;
		return 0;
	}
	e = errno;
	/* Cut what was written; the reader skips a torn line anyway. */
	(void)!ftruncate(fd, st.st_size);
	close(fd);
	errno = e;
	return -1;
}

/*
 * flush_pending - write the lines that could not be written, in order.
 * 0 when none is left.
 */
static int
flush_pending(void)
{
	json_t	*p;
	int	 wrote = 0;

	while ((p = json_array_get(pending, 0)) != NULL) {
		const char *path = json_string_value(json_array_get(p, 0));
		const char *text = json_string_value(json_array_get(p, 1));

		const char *then = json_string_value(json_array_get(p, 2));

		if (write_line(path, text, strlen(text), NULL, 0) != 0) {
			state_write_failed(path, errno);
			return -1;
		}
		if (then != NULL && unlink(then) != 0 && errno != ENOENT)
			log_warn("cannot remove %s", then);
		json_array_remove(pending, 0);
		wrote = 1;
	}
	if (wrote)
		state_write_ok();
	return 0;
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct timeval tv = { RETRY_S, 0 };

	if (flush_pending() != 0)
		evtimer_add(ev_retry, &tv);
}

/*
 * append_line - append one line (len bytes, with its newline) to path
 * and fsync it (*at, if not NULL: where it starts), or keep it to be
 * written later (after the ones already waiting).  0, or -1 if it
 * waits.
 */
static int
append_line(const char *path, const char *s, size_t len, off_t *at,
    int later)
{
	struct timeval	 tv = { RETRY_S, 0 };

	if (flush_pending() == 0 && write_line(path, s, len, at, later) == 0) {
		state_write_ok();
		return 0;
	}
	if (json_array_size(pending) == 0)
		state_write_failed(path, errno);
	json_array_append_new(pending, json_pack("[s, s%]", path, s, len));
	if (!evtimer_pending(ev_retry, NULL))
		evtimer_add(ev_retry, &tv);
	return -1;
}

/*
 * history_traces_dir - state_dir/traces (malloc'd), made if need be;
 * NULL if it cannot be (said).
 */
char *
history_traces_dir(void)
{
	char *dir;

	xasprintf(&dir, "%s/traces", weftd.conf->state_dir);
	if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
		state_write_failed(dir, errno);
		free(dir);
		return NULL;
	}
	return dir;
}

/*
 * history_trace_tmp - where run id's timeline is written before it is
 * renamed to traces/ID.json: by its runner (fd 8) or by save_trace.
 */
char *
history_trace_tmp(long long id)
{
	char *p;

	xasprintf(&p, "%s/traces/.%lld.json.tmp", weftd.conf->state_dir, id);
	return p;
}

/*
 * write_trace - a timeline weftd got in its TRACE message (checked:
 * each task is [int, num, num, int, int]) into path, in the form a
 * runner writes its trace file.  0, or -1 (errno).
 */
static int
write_trace(const char *path, const json_t *trace)
{
	const json_t		*tasks = json_object_get(trace, "tasks");
	struct proto_trace_row	*rows;
	size_t			 n = json_array_size(tasks), len;
	char			*text;
	int			 fd, rc;

	rows = xcalloc(n ? n : 1, sizeof *rows);
	for (size_t i = 0; i < n; i++) {
		const json_t *t = json_array_get(tasks, i);

		rows[i] = (struct proto_trace_row){
		    json_integer_value(json_array_get(t, 0)),
		    json_number_value(json_array_get(t, 1)),
		    json_number_value(json_array_get(t, 2)),
		    (int)json_integer_value(json_array_get(t, 3)),
		    (int)json_integer_value(json_array_get(t, 4)) };
	}
	text = proto_trace_text(rows, n, json_integer_value(json_object_get(
	    trace, "not_kept")), &len);
	free(rows);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0640)) < 0)
		rc = -1;
	else {
		rc = write_all(fd, text, len);
		if (close(fd) != 0)
			rc = -1;
	}
	free(text);
	return rc;
}

/*
 * save_trace - keep the run's task timeline in state_dir/traces/ID.json
 * (written to a temp file and renamed), and drop the one that fell out
 * of the history.
 */
static void
save_trace(const struct run *r)
{
	char		*dir, *path, *tmp;
	json_int_t	 in_file = json_integer_value(json_object_get(r->trace,
			    "in_file"));
	struct stat	 st;

	if ((dir = history_traces_dir()) == NULL)
		return;
	xasprintf(&path, "%s/%lld.json", dir, r->id);
	tmp = history_trace_tmp(r->id);
	if (in_file > 0) {
		/* The runner wrote the tasks there; history_trace adds the
		 * rest.  It said how much, which is checked. */
		if (stat(tmp, &st) != 0 || st.st_size != (off_t)in_file ||
		    rename(tmp, path) != 0) {
			log_warnx("run %lld: its timeline file %s is not what "
			    "its runner wrote (%lld bytes); no timeline",
			    r->id, tmp, (long long)in_file);
			unlink(tmp);
		}
	} else if (write_trace(tmp, r->trace) != 0 || rename(tmp, path) != 0) {
		state_write_failed(path, errno);
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
}

/* find - run id's record in the history (borrowed, without results). */
static json_t *
find(long long id)
{
	size_t	 i;
	json_t	*o;

	json_array_foreach(history, i, o)
		if (json_integer_value(json_object_get(o, "id")) == id)
			return o;
	return NULL;
}

/* history_has - whether run id has a record already. */
int
history_has(long long id)
{
	return find(id) != NULL;
}

/* The records' print flags: the history's, the metrics log's, replies'. */
#define RECORD_FLAGS	(JSON_COMPACT | JSON_REAL_PRECISION(9))

/*
 * history_results_text - the text record_line will print for a
 * record's results (a JSON array), made ahead: weftd prints it while
 * the runner still writes the run's timeline, not after it (1 ms for
 * 1,000 results).  NULL when it has none.
 */
char *
history_results_text(const json_t *results)
{
	return json_array_size(results) == 0 ? NULL : json_dumps(results,
	    RECORD_FLAGS);
}

/*
 * record_line - rec as one line of JSON with its newline (*len bytes,
 * malloc'd), printed once for the metrics log, the history, its copy in
 * memory and the replies to who waits for the run: a record of 1,000
 * results takes 2 ms to print.  Its results, if any, come last, and
 * *rlen says how long their text is; rtext is their text if already
 * printed (history_results_text), or NULL.
 */
static char *
record_line(const json_t *rec, const char *rtext, size_t *len, size_t *rlen)
{
	json_t		*res = json_object_get(rec, "results"), *rest;
	char		*made = NULL, *text, *line;

	*rlen = 0;
	if (json_array_size(res) == 0) {
		line = json_dumps(rec, RECORD_FLAGS);
		*len = strlen(line);
		line[(*len)++] = '\n';	/* json_dumps leaves room for the NUL */
		return line;
	}
	rest = json_copy((json_t *)rec);	/* shallow */
	json_object_del(rest, "results");
	text = json_dumps(rest, RECORD_FLAGS);
	if (rtext == NULL)
		rtext = made = json_dumps(res, RECORD_FLAGS);
	json_decref(rest);
	*rlen = strlen(rtext);
	line = json_add_last(text, strlen(text), "results", rtext, *rlen, len);
	line[(*len)++] = '\n';
	free(text);
	free(made);
	return line;
}

/*
 * history_then_unlink - path (an ok run's journal) goes once the line
 * waiting last (history_add's, when it returned -1) is written.
 */
void
history_then_unlink(const char *path)
{
	json_t *p = json_array_get(pending, json_array_size(pending) - 1);

	if (p != NULL)
		json_array_append_new(p, json_string(path));
}

/*
 * history_add - keep the record of run r: the metrics log (fsync'd
 * after the replies), its timeline, the history file (fsync'd before
 * anyone is told the run ended), and memory; r->line is the record's text then, for the
 * replies.  A run already there (its journal's record, landed once) is
 * not added twice.  0, or -1 if the files must wait.
 */
int
history_add(struct run *r, json_t *rec)
{
	char	*path, *line;
	size_t	 len, rlen = 0;
	off_t	 at = -1;
	int	 rc = 0;

	if (history_has(r->id))
		return 0;
	/* The results text made ahead is theirs if rec has the runner's. */
	line = record_line(rec, r->results_text != NULL && json_object_get(rec,
	    "results") == json_object_get(r->record, "results") ?
	    r->results_text : NULL, &len, &rlen);
	rc |= append_line(weftd.conf->metrics_log, line, len, NULL, 1);
	if (r->trace != NULL)
		save_trace(r);
	else {
		/* Its runner died before its TRACE: a partial file. */
		path = history_trace_tmp(r->id);
		unlink(path);
		free(path);
	}
	path = history_path();
	if (append_line(path, line, len, &at, 0) != 0) {
		rc = -1;
		at = -1;	/* written later: its results stay here */
	}
	free(path);
	/* The results' text is the line's end: "results":[...]} */
	keep(json_incref(rec), rlen ? line + len - 2 - rlen : NULL, rlen, at,
	    len);
	line[len - 1] = '\0';
	free(r->line);
	r->line = line;
	r->line_len = len - 1;
	/* A journal kept for resume goes when its run leaves the history. */
	if (r->id > weftd.conf->history_size) {
		path = journal_path(weftd.conf->state_dir,
		    r->id - weftd.conf->history_size);
		unlink(path);
		free(path);
	}
	return rc;
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
	json_t		*o;

	if ((r = run_find(id)) != NULL)
		return run_json(r);
	return (o = find(id)) != NULL ? with_results(o) : NULL;
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
	else if (json_object_get(o, "type") != NULL) {
		/* As written by a runner or write_trace: the run's keys
		 * from its record. */
		const json_t *rec = find(id);

		json_object_del(o, "type");
		json_object_del(o, "in_file");
		for (size_t i = 0; i < sizeof trace_keys / sizeof *trace_keys;
		    i++)
			if (json_object_get(rec, trace_keys[i]) != NULL)
				json_object_set(o, trace_keys[i],
				    json_object_get(rec, trace_keys[i]));
	}
	free(path);
	return o;
}
