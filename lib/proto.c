/*
 * proto.c - encoding and checking the supervisor <-> runner messages.
 *
 * Each message type has a table of fields: name, JSON type, whether it
 * is required, its range, and where it lives in the type's struct.  The
 * same table drives proto_encode and proto_decode, so the two sides
 * cannot disagree on a field.  A message with a missing or mistyped
 * field, a field out of range or one the table does not know is
 * refused with the reason before any caller sees it.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "proto.h"

enum pf_kind { PF_INT, PF_NUM, PF_BOOL, PF_STR, PF_OBJ, PF_ARR };

struct pfield {
	const char	*name;
	enum pf_kind	 kind;
	int		 required;
	size_t		 off;
	long long	 min, max;	/* PF_INT */
};

struct ptype {
	const char		*name;
	const struct pfield	*fields;
	int			(*check)(const struct proto_msg *, char *,
				    size_t);
};

#define OFF(t, f)	offsetof(struct proto_##t, f)
#define INT(t, f, req, lo, hi)	{ #f, PF_INT, req, OFF(t, f), lo, hi }
#define NUM(t, f, req)	{ #f, PF_NUM, req, OFF(t, f), 0, 0 }
#define BOOL(t, f, req)	{ #f, PF_BOOL, req, OFF(t, f), 0, 0 }
#define STR(t, f, req)	{ #f, PF_STR, req, OFF(t, f), 0, 0 }
#define OBJ(t, f, req)	{ #f, PF_OBJ, req, OFF(t, f), 0, 0 }
#define ARR(t, f, req)	{ #f, PF_ARR, req, OFF(t, f), 0, 0 }
#define END		{ NULL, 0, 0, 0, 0, 0 }
#define COUNT(t, f, req)	INT(t, f, req, 0, LLONG_MAX)

static const struct pfield run_fields[] = {
	INT(run, id, 1, 1, LLONG_MAX),
	STR(run, job, 1),
	STR(run, file, 1),
	STR(run, text, 1),
	ARR(run, sets, 0),
	STR(run, strategy, 1),
	INT(run, concurrency, 1, 0, 100000),
	STR(run, workload_path, 1),
	STR(run, strategy_path, 1),
	INT(run, trace_max, 1, 0, 10000000),
	INT(run, log_level, 1, 0, 3),
	INT(run, log_dest, 1, 0, 2),
	BOOL(run, journal, 0),
	BOOL(run, trace_file, 0),
	STR(run, listen, 0),
	STR(run, carry, 0),
	OBJ(run, cluster, 0),
	END
};
static const struct pfield work_fields[] = {
	STR(work, key, 1),
	STR(work, file, 1),
	STR(work, text, 1),
	ARR(work, sets, 0),
	COUNT(work, ntasks, 1),
	STR(work, workload_path, 1),
	STR(work, strategy, 1),
	STR(work, strategy_path, 1),
	OBJ(work, cluster, 1),
	INT(work, log_level, 1, 0, 3),
	INT(work, log_dest, 1, 0, 2),
	END
};
static const struct pfield check_fields[] = {
	STR(check, file, 1),
	STR(check, text, 1),
	STR(check, workload_path, 1),
	INT(check, log_level, 1, 0, 3),
	INT(check, log_dest, 1, 0, 2),
	END
};
static const struct pfield probe_fields[] = {
	STR(probe, path, 1),
	END
};
static const struct pfield start_fields[] = {
	COUNT(start, total, 1),
	STR(start, strategy, 1),
	INT(start, concurrency, 1, 1, LLONG_MAX),
	END
};
static const struct pfield progress_fields[] = {
	COUNT(progress, done, 1),
	COUNT(progress, failed, 1),
	COUNT(progress, total, 1),
	COUNT(progress, units_done, 1),
	COUNT(progress, units_total, 1),
	END
};
static const struct pfield trace_fields[] = {
	ARR(trace, tasks, 1),
	COUNT(trace, not_kept, 1),
	COUNT(trace, in_file, 0),
	END
};
static const struct pfield record_fields[] = {
	STR(record, strategy, 1),
	INT(record, concurrency, 1, 1, LLONG_MAX),
	OBJ(record, tasks, 1),
	OBJ(record, latency, 1),
	ARR(record, results, 1),
	ARR(record, failures, 1),
	OBJ(record, summary, 0),
	BOOL(record, results_truncated, 0),
	BOOL(record, cancelled, 1),
	NUM(record, user_s, 0),
	NUM(record, sys_s, 0),
	COUNT(record, max_rss_kb, 0),
	COUNT(record, resumed, 0),
	END
};
static const struct pfield adopt_fields[] = {
	INT(adopt, id, 1, 1, LLONG_MAX),
	END
};
static const struct pfield error_fields[] = {
	STR(error, message, 1),
	END
};
static const struct pfield params_fields[] = {
	ARR(params, errors, 1),
	END
};
static const struct pfield plugin_fields[] = {
	STR(plugin, rejected, 0),
	STR(plugin, name, 0),
	STR(plugin, version, 0),
	STR(plugin, summary, 0),
	INT(plugin, kind, 0, 0, 2),
	INT(plugin, traits, 0, 0, UINT_MAX),
	INT(plugin, abi_major, 0, 0, 65535),
	INT(plugin, abi_minor, 0, 0, 65535),
	ARR(plugin, params, 0),
	END
};

static int	check_run(const struct proto_msg *, char *, size_t);
static int	check_progress(const struct proto_msg *, char *, size_t);
static int	check_trace(const struct proto_msg *, char *, size_t);
static int	check_record(const struct proto_msg *, char *, size_t);
static int	check_params(const struct proto_msg *, char *, size_t);
static int	check_plugin(const struct proto_msg *, char *, size_t);

static const struct ptype types[PROTO_NTYPES] = {
	[PROTO_RUN] = { "run", run_fields, check_run },
	[PROTO_CHECK] = { "check", check_fields, NULL },
	[PROTO_PROBE] = { "probe", probe_fields, NULL },
	[PROTO_START] = { "start", start_fields, NULL },
	[PROTO_PROGRESS] = { "progress", progress_fields, check_progress },
	[PROTO_TRACE] = { "trace", trace_fields, check_trace },
	[PROTO_RECORD] = { "record", record_fields, check_record },
	[PROTO_ERROR] = { "error", error_fields, NULL },
	[PROTO_PARAMS] = { "params", params_fields, check_params },
	[PROTO_PLUGIN] = { "plugin", plugin_fields, check_plugin },
	[PROTO_ADOPT] = { "adopt", adopt_fields, NULL },
	[PROTO_WORK] = { "work", work_fields, NULL },
};

const char *
proto_type_name(enum proto_type t)
{
	if (t <= PROTO_NONE || t >= PROTO_NTYPES)
		return "?";
	return types[t].name;
}

/* proto_encode - the JSON object for a message of type t with body b. */
json_t *
proto_encode(enum proto_type t, const void *b)
{
	const char	*base = b;
	json_t		*o;

	if (t <= PROTO_NONE || t >= PROTO_NTYPES)
		return NULL;
	o = json_object();
	json_object_set_new(o, "type", json_string(types[t].name));
	for (const struct pfield *f = types[t].fields; f->name; f++) {
		const void	*p = base + f->off;
		json_t		*v = NULL;

		switch (f->kind) {
		case PF_INT:
			v = json_integer(*(const long long *)p);
			break;
		case PF_NUM:
			v = json_real(*(const double *)p);
			break;
		case PF_BOOL:
			v = json_boolean(*(const int *)p);
			break;
		case PF_STR:
			if (*(const char *const *)p != NULL)
				v = json_string(*(const char *const *)p);
			break;
		case PF_OBJ:
		case PF_ARR:
			if (*(json_t *const *)p != NULL)
				v = json_incref(*(json_t *const *)p);
			break;
		}
		if (v != NULL)
			json_object_set_new(o, f->name, v);
	}
	return o;
}

/*
 * proto_trace_text - the TRACE message for n tasks, as text, written
 * directly rather than through proto_encode: a timeline holds up to
 * trace_max (a million) tasks, and building a jansson array of arrays
 * and printing its doubles to 17 digits took 34 ms for 20,000 tasks
 * (1.5 ms this way).  Times are kept to the microsecond.  The result
 * decodes with proto_decode like any message (*len gets its length).
 */
char *
proto_trace_text(const struct proto_trace_row *v, size_t n,
    long long not_kept, size_t *len)
{
	/* A row: 3 ints of at most 20 characters, 2 times of at most 32. */
	size_t	 cap = 64 + n * (3 * 20 + 2 * 32 + 8), l = 0;
	char	*p = xmalloc(cap);

	l += (size_t)snprintf(p, cap, "{\"type\":\"%s\",\"tasks\":[",
	    types[PROTO_TRACE].name);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			p[l++] = ',';
		p[l++] = '[';
		l += fmt_int(p + l, v[i].task);
		p[l++] = ',';
		l += fmt_micros(p + l, v[i].start);
		p[l++] = ',';
		l += fmt_micros(p + l, v[i].end);
		p[l++] = ',';
		l += fmt_int(p + l, v[i].lane);
		p[l++] = ',';
		l += fmt_int(p + l, v[i].state);
		p[l++] = ']';
	}
	l += (size_t)snprintf(p + l, cap - l, "],\"not_kept\":%lld}",
	    not_kept);
	*len = l;
	return p;
}

/* proto_send - send one message on fd (blocking).  0, or -1 (errno). */
int
proto_send(int fd, enum proto_type t, const void *b)
{
	json_t	*o = proto_encode(t, b);
	int	 rc;

	if (o == NULL) {
		errno = EINVAL;
		return -1;
	}
	rc = frame_write(fd, o);
	json_decref(o);
	return rc;
}

static const char *const kind_names[] = { "an integer", "a number",
    "true or false", "a string", "an object", "an array" };

static int
kind_ok(enum pf_kind k, const json_t *v)
{
	switch (k) {
	case PF_INT:
		return json_is_integer(v);
	case PF_NUM:
		return json_is_number(v);
	case PF_BOOL:
		return json_is_boolean(v);
	case PF_STR:
		return json_is_string(v);
	case PF_OBJ:
		return json_is_object(v);
	case PF_ARR:
		return json_is_array(v);
	}
	return 0;
}

static const struct pfield *
field_named(const struct pfield *fs, const char *name)
{
	for (; fs->name != NULL; fs++)
		if (strcmp(fs->name, name) == 0)
			return fs;
	return NULL;
}

/*
 * proto_decode - check the JSON object o (taken) as a message and fill
 * m.  0, or -1 with the reason in err (o is released).
 */
int
proto_decode(json_t *o, struct proto_msg *m, char *err, size_t errlen)
{
	const char		*tname, *key;
	const struct ptype	*pt = NULL;
	json_t			*v;
	char			*base;
	int			 t;

	memset(m, 0, sizeof *m);
	if (!json_is_object(o) ||
	    (tname = json_string_value(json_object_get(o, "type"))) == NULL) {
		snprintf(err, errlen, "a message without a type");
		goto fail;
	}
	for (t = PROTO_NONE + 1; t < PROTO_NTYPES; t++)
		if (strcmp(types[t].name, tname) == 0) {
			pt = &types[t];
			break;
		}
	if (pt == NULL) {
		snprintf(err, errlen, "unknown message type \"%.40s\"", tname);
		goto fail;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "type") != 0 &&
		    field_named(pt->fields, key) == NULL) {
			snprintf(err, errlen, "%s message: unknown field "
			    "\"%.40s\"", pt->name, key);
			goto fail;
		}
	}
	base = (char *)&m->u;
	for (const struct pfield *f = pt->fields; f->name; f++) {
		void *p = base + f->off;

		v = json_object_get(o, f->name);
		if (v == NULL || (json_is_null(v) && !f->required)) {
			if (f->required) {
				snprintf(err, errlen, "%s message: missing %s",
				    pt->name, f->name);
				goto fail;
			}
			continue;
		}
		if (!kind_ok(f->kind, v)) {
			snprintf(err, errlen, "%s message: %s: expected %s",
			    pt->name, f->name, kind_names[f->kind]);
			goto fail;
		}
		switch (f->kind) {
		case PF_INT:
			if (json_integer_value(v) < f->min ||
			    json_integer_value(v) > f->max) {
				snprintf(err, errlen, "%s message: %s: %lld "
				    "is out of range", pt->name, f->name,
				    (long long)json_integer_value(v));
				goto fail;
			}
			*(long long *)p = json_integer_value(v);
			break;
		case PF_NUM:
			*(double *)p = json_number_value(v);
			break;
		case PF_BOOL:
			*(int *)p = json_is_true(v);
			break;
		case PF_STR:
			*(const char **)p = json_string_value(v);
			break;
		case PF_OBJ:
		case PF_ARR:
			*(json_t **)p = v;
			break;
		}
	}
	m->type = (enum proto_type)t;
	m->json = o;
	if (pt->check != NULL && pt->check(m, err, errlen) != 0) {
		m->json = NULL;
		m->type = PROTO_NONE;
		goto fail;
	}
	return 0;
fail:
	json_decref(o);
	memset(m, 0, sizeof *m);
	return -1;
}

/*
 * proto_parse - take one message from the len bytes at buf: 1 with *m
 * and *used set, 0 if more bytes are needed, -1 with err if the stream
 * is corrupt.
 */
int
proto_parse(const unsigned char *buf, size_t len, size_t *used,
    struct proto_msg *m, char *err, size_t errlen)
{
	json_t	*o;
	int	 rc;

	if ((rc = frame_parse(buf, len, used, &o, err, errlen)) != 1)
		return rc;
	return proto_decode(o, m, err, errlen) == 0 ? 1 : -1;
}

/* read_all - len bytes from fd by deadline (0: none).  1, 0 EOF, -1, -2. */
static int
read_all(int fd, unsigned char *p, size_t len, uint64_t deadline)
{
	size_t	got = 0;
	ssize_t	n;

	while (got < len) {
		if (deadline != 0) {
			struct pollfd	pfd = { fd, POLLIN, 0 };
			uint64_t	now = now_ms();

			if (now >= deadline)
				return -2;
			if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
				continue;	/* EINTR, or check the clock */
		}
		n = read(fd, p + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return got == 0 ? 0 : -1;
		got += (size_t)n;
	}
	return 1;
}

/*
 * proto_recv - read one message from fd, blocking, at most timeout_ms
 * (-1: no limit).  1 with *m, 0 at end of stream, -1 with err (a
 * corrupt or unreadable message), -2 when the time ran out.
 */
int
proto_recv(int fd, int timeout_ms, struct proto_msg *m, char *err,
    size_t errlen)
{
	unsigned char	 hdr[4], *buf;
	uint64_t	 deadline = timeout_ms < 0 ? 0 : now_ms() +
			    (uint64_t)timeout_ms + (timeout_ms == 0);
	size_t		 n, used;
	int		 rc;

	memset(m, 0, sizeof *m);
	if ((rc = read_all(fd, hdr, 4, deadline)) != 1) {
		if (rc == -1)
			snprintf(err, errlen, "read: %s", errno ?
			    strerror(errno) : "a truncated frame");
		return rc;
	}
	n = frame_length(hdr);
	if (n > FRAME_MAX) {
		snprintf(err, errlen, "frame of %zu bytes exceeds the %u byte "
		    "limit", n, FRAME_MAX);
		return -1;
	}
	buf = xmalloc(n + 4);
	memcpy(buf, hdr, 4);
	if ((rc = read_all(fd, buf + 4, n, deadline)) != 1) {
		free(buf);
		if (rc == 0 || rc == -1)
			snprintf(err, errlen, "a truncated frame");
		return rc == 0 ? -1 : rc;
	}
	rc = proto_parse(buf, n + 4, &used, m, err, errlen);
	free(buf);
	return rc == 1 ? 1 : -1;
}

void
proto_clear(struct proto_msg *m)
{
	json_decref(m->json);
	memset(m, 0, sizeof *m);
}

/* ---- checks beyond the field types ---- */

static int
check_run(const struct proto_msg *m, char *err, size_t len)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(m->u.run.sets, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, len, "run message: sets: expected "
			    "strings");
			return -1;
		}
	}
	return 0;
}

static int
check_progress(const struct proto_msg *m, char *err, size_t len)
{
	const struct proto_progress *p = &m->u.progress;

	if (p->failed > p->done || p->done > p->total) {
		snprintf(err, len, "progress message: counts do not add up "
		    "(%lld failed, %lld done, %lld total)", p->failed, p->done,
		    p->total);
		return -1;
	}
	return 0;
}

static int
check_trace(const struct proto_msg *m, char *err, size_t len)
{
	size_t	 i;
	json_t	*t;

	if (m->u.trace.in_file > 0 && json_array_size(m->u.trace.tasks) > 0) {
		snprintf(err, len, "trace message: tasks both in the file and "
		    "in the message");
		return -1;
	}
	json_array_foreach(m->u.trace.tasks, i, t) {
		json_t *st = json_array_get(t, 4);

		if (!json_is_array(t) || json_array_size(t) != 5 ||
		    !json_is_integer(json_array_get(t, 0)) ||
		    json_integer_value(json_array_get(t, 0)) < 0 ||
		    !json_is_number(json_array_get(t, 1)) ||
		    !json_is_number(json_array_get(t, 2)) ||
		    !json_is_integer(json_array_get(t, 3)) ||
		    json_integer_value(json_array_get(t, 3)) < 0 ||
		    !json_is_integer(st) || json_integer_value(st) < 1 ||
		    json_integer_value(st) > 3) {
			snprintf(err, len, "trace message: task %zu is not "
			    "[task, start, end, lane, state]", i);
			return -1;
		}
	}
	return 0;
}

static int
count_of(const json_t *o, const char *key, long long *out)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int
check_record(const struct proto_msg *m, char *err, size_t len)
{
	const struct proto_record	*r = &m->u.record;
	long long			 total, ok, failed, cancelled, extra;
	const char			*lk[] = { "p50", "p95", "p99", "max" };
	size_t				 i, nkeys = 4;
	json_t				*v;

	/* A cluster run adds "duplicated" and "lost" when not 0. */
	if (json_object_get(r->tasks, "duplicated") != NULL)
		nkeys++;
	if (json_object_get(r->tasks, "lost") != NULL)
		nkeys++;
	if (count_of(r->tasks, "total", &total) != 0 ||
	    count_of(r->tasks, "ok", &ok) != 0 ||
	    count_of(r->tasks, "failed", &failed) != 0 ||
	    count_of(r->tasks, "cancelled", &cancelled) != 0 ||
	    (json_object_get(r->tasks, "duplicated") != NULL &&
	    count_of(r->tasks, "duplicated", &extra) != 0) ||
	    (json_object_get(r->tasks, "lost") != NULL &&
	    count_of(r->tasks, "lost", &extra) != 0) ||
	    json_object_size(r->tasks) != nkeys ||
	    ok + failed + cancelled != total) {
		snprintf(err, len, "record message: tasks: expected {total, "
		    "ok, failed, cancelled[, duplicated, lost]} that add up");
		return -1;
	}
	for (i = 0; i < sizeof lk / sizeof *lk; i++)
		if (!json_is_number(json_object_get(r->latency, lk[i]))) {
			snprintf(err, len, "record message: latency: %s: "
			    "expected a number", lk[i]);
			return -1;
		}
	json_array_foreach(r->results, i, v)
		if (!json_is_object(v) ||
		    !json_is_integer(json_object_get(v, "task"))) {
			snprintf(err, len, "record message: results[%zu]: "
			    "expected an object with a task", i);
			return -1;
		}
	json_array_foreach(r->failures, i, v)
		if (!json_is_object(v) ||
		    !json_is_integer(json_object_get(v, "task")) ||
		    !json_is_string(json_object_get(v, "error")) ||
		    !json_is_integer(json_object_get(v, "attempts"))) {
			snprintf(err, len, "record message: failures[%zu]: "
			    "expected {task, error, attempts}", i);
			return -1;
		}
	return 0;
}

static int
check_params(const struct proto_msg *m, char *err, size_t len)
{
	size_t	 i;
	json_t	*v;

	json_array_foreach(m->u.params.errors, i, v)
		if (!json_is_string(v)) {
			snprintf(err, len, "params message: errors: expected "
			    "strings");
			return -1;
		}
	return 0;
}

static int
check_plugin(const struct proto_msg *m, char *err, size_t len)
{
	const struct proto_plugin	*p = &m->u.plugin;
	size_t				 i;
	json_t				*v;

	if (p->rejected == NULL && (p->name == NULL || p->version == NULL ||
	    p->summary == NULL || (p->kind != 1 && p->kind != 2))) {
		snprintf(err, len, "plugin message: a usable plugin needs "
		    "name, version, summary and kind");
		return -1;
	}
	json_array_foreach(p->params, i, v) {
		json_t *c = json_object_get(v, "choices");

		if (!json_is_object(v) ||
		    !json_is_string(json_object_get(v, "name")) ||
		    !json_is_string(json_object_get(v, "type")) ||
		    (c != NULL && !json_is_array(c))) {
			snprintf(err, len, "plugin message: params[%zu]: "
			    "expected an object with a name and a type", i);
			return -1;
		}
	}
	return 0;
}
