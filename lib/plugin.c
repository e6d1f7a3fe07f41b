/*
 * plugin.c - what weftd and weftctl know of plugin files without loading
 * them: whether a descriptor is usable, whether a file sits somewhere
 * safe to load code from, and what a file holds, asked of weft-runner
 * (PROBE), which loads it in its own process.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "proto.h"
#include "weft/weft-plugin.h"

#define PROBE_TIMEOUT_MS	5000

/* The size of the descriptor as ABI 2.0 defined it. */
#define DESC_SIZE_2_0	(offsetof(struct weft_plugin, ops) + sizeof(void *))

const char *
plugin_kind_name(int kind)
{
	switch (kind) {
	case WEFT_KIND_WORKLOAD:
		return "workload";
	case WEFT_KIND_STRATEGY:
		return "strategy";
	}
	return "unknown";
}

/* plugin_traits_string - "cpu-bound,io-bound" for display; "-" if none. */
char *
plugin_traits_string(unsigned traits)
{
	static const struct { unsigned bit; const char *name; } t[] = {
		{ WEFT_TRAIT_CPU_BOUND, "cpu-bound" },
		{ WEFT_TRAIT_IO_BOUND, "io-bound" },
		{ WEFT_TRAIT_BLOCKING, "blocking" },
		{ WEFT_TRAIT_MULTIPLEX, "multiplex" },
		{ WEFT_TRAIT_PROCESSES, "processes" },
	};
	char	 buf[64] = "";

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		if (!(traits & t[i].bit))
			continue;
		if (buf[0] != '\0')
			strcat(buf, ",");
		strcat(buf, t[i].name);
	}
	return xstrdup(buf[0] ? buf : "-");
}

#define PARAMS_MAX	256
#define PARAM_TEXT_MAX	256	/* a default's or a choice's length */

static const char *const param_types[] = {
	[WEFT_P_INT] = "integer", [WEFT_P_DURATION] = "duration",
	[WEFT_P_BOOL] = "boolean", [WEFT_P_ENUM] = "choice",
	[WEFT_P_STRING] = "string", [WEFT_P_PATH] = "path",
	[WEFT_P_INTS] = "integers", [WEFT_P_STRINGS] = "strings",
	[WEFT_P_NODE] = "any",
};

/* param_key_ok - a params key as YAML has it: [a-z0-9_], 1 to 64. */
static int
param_key_ok(const char *k)
{
	size_t n = strnlen(k, 65);

	if (n == 0 || n > 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((k[i] >= 'a' && k[i] <= 'z') || (k[i] >= '0' &&
		    k[i] <= '9') || k[i] == '_'))
			return 0;
	return 1;
}

/* param_text_ok - a default or a choice weftctl may print as it is. */
static int
param_text_ok(const char *t)
{
	size_t n = strnlen(t, PARAM_TEXT_MAX + 1);

	if (n > PARAM_TEXT_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * plugin_params_json - a descriptor's params table (ABI 2.3) as JSON,
 * for weftctl plugins NAME: [{name, type, required, min, max, choices,
 * default}], each only where it means something.  NULL with why for a
 * table weft cannot read: too long, no end, a key or type it does not
 * know.  Run in the probe, where a bad pointer ends the probe alone.
 */
json_t *
plugin_params_json(const struct weft_param *v, char *why, size_t len)
{
	json_t	*a = json_array(), *o = NULL, *c;

	for (size_t i = 0; v[i].key != NULL; i++) {
		const struct weft_param *p = &v[i];

		if (i == PARAMS_MAX) {
			snprintf(why, len, "params table: more than %d entries "
			    "(or no entry with a NULL key at its end)",
			    PARAMS_MAX);
			goto bad;
		}
		if (!param_key_ok(p->key)) {
			snprintf(why, len, "params table: entry %zu: the key "
			    "must be 1 to 64 of a-z, 0-9 and _", i);
			goto bad;
		}
		if (p->type < WEFT_P_INT || p->type > WEFT_P_NODE) {
			snprintf(why, len, "params table: %s: unknown type %d",
			    p->key, p->type);
			goto bad;
		}
		if (p->type == WEFT_P_ENUM && p->choices == NULL) {
			snprintf(why, len, "params table: %s: a choice without "
			    "choices", p->key);
			goto bad;
		}
		if (p->def != NULL && !param_text_ok(p->def)) {
			snprintf(why, len, "params table: %s: the default is "
			    "longer than %d bytes or holds a control character",
			    p->key, PARAM_TEXT_MAX);
			goto bad;
		}
		/* "name", not "key": the web API hides what is under a key
		 * that reads as a secret. */
		o = json_pack("{s:s, s:s}", "name", p->key, "type",
		    param_types[p->type]);
		if (p->flags & WEFT_P_REQUIRED)
			json_object_set_new(o, "required", json_true());
		if (p->type == WEFT_P_INT || p->type == WEFT_P_INTS ||
		    (p->type == WEFT_P_DURATION && p->max != 0)) {
			json_object_set_new(o, "min", json_integer(p->min));
			json_object_set_new(o, "max", json_integer(p->max));
		}
		if (p->type == WEFT_P_ENUM) {
			json_object_set_new(o, "choices", c = json_array());
			for (size_t k = 0; p->choices[k] != NULL; k++) {
				if (k == PARAMS_MAX ||
				    !param_text_ok(p->choices[k])) {
					snprintf(why, len, "params table: %s: more "
					    "than %d choices, or one longer than "
					    "%d bytes or with a control character",
					    p->key, PARAMS_MAX, PARAM_TEXT_MAX);
					goto bad;
				}
				if (json_array_append_new(c,
				    json_string(p->choices[k])) != 0) {
					snprintf(why, len, "params table: %s: a "
					    "choice is not UTF-8", p->key);
					goto bad;
				}
			}
		}
		if (p->def != NULL && json_object_set_new(o, "default",
		    json_string(p->def)) != 0) {
			snprintf(why, len, "params table: %s: the default is "
			    "not UTF-8", p->key);
			goto bad;
		}
		json_array_append_new(a, o);
		o = NULL;
	}
	return a;
bad:
	json_decref(o);
	json_decref(a);
	return NULL;
}

/*
 * plugin_param_text - one entry of plugin_params_json for people:
 * "integer 1 to 512, default 64", "choice of GET or HEAD, default GET".
 * Into buf (len bytes); returns buf.
 */
char *
plugin_param_text(json_t *p, char *buf, size_t len)
{
	const char	*type = json_string_value(json_object_get(p, "type"));
	json_t		*c = json_object_get(p, "choices"), *v;
	json_t		*def = json_object_get(p, "default");
	size_t		 i, n = 0;

#define ADD(...) do {							\
	if (n < len)							\
		n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);	\
} while (0)
	ADD("%s", type ? type : "?");
	if (json_object_get(p, "min") != NULL) {
		if (type != NULL && strcmp(type, "duration") == 0)
			ADD(" up to %lld ms", (long long)json_integer_value(
			    json_object_get(p, "max")));
		else
			ADD(" %lld to %lld", (long long)json_integer_value(
			    json_object_get(p, "min")), (long long)
			    json_integer_value(json_object_get(p, "max")));
	}
	json_array_foreach(c, i, v)
		ADD("%s%s", i == 0 ? " of " : i + 1 == json_array_size(c) ?
		    " or " : ", ", json_string_value(v) ?
		    json_string_value(v) : "?");
	if (json_is_true(json_object_get(p, "required")))
		ADD(", required");
	if (json_is_string(def))
		ADD(", default %s", json_string_value(def));
#undef ADD
	return buf;
}

/*
 * plugin_check_desc - whether d (of which avail bytes are readable) is a
 * descriptor this weft can use.  0, or -1 with the reason in why.
 */
int
plugin_check_desc(const struct weft_plugin *d, size_t avail, char *why,
    size_t len)
{
	if (avail < 8 || d->abi_major != WEFT_ABI_MAJOR) {
		snprintf(why, len, "ABI major mismatch: plugin built for ABI "
		    "%u.%u, weftd provides ABI %d.%d; rebuild the plugin "
		    "against this weft's weft-plugin.h", avail < 8 ? 0 :
		    d->abi_major, avail < 8 ? 0 : d->abi_minor,
		    WEFT_ABI_MAJOR, WEFT_ABI_MINOR);
		return -1;
	}
	if (d->size < DESC_SIZE_2_0) {
		snprintf(why, len, "descriptor size %u is smaller than the "
		    "%zu bytes of ABI %d.0", d->size, DESC_SIZE_2_0,
		    WEFT_ABI_MAJOR);
		return -1;
	}
	if (d->kind != WEFT_KIND_WORKLOAD && d->kind != WEFT_KIND_STRATEGY) {
		snprintf(why, len, "wrong kind %d: expected workload (%d) or "
		    "strategy (%d)", d->kind, WEFT_KIND_WORKLOAD,
		    WEFT_KIND_STRATEGY);
		return -1;
	}
	if (d->name == NULL || !valid_name(d->name)) {
		snprintf(why, len, "descriptor has no valid name");
		return -1;
	}
	if (d->version == NULL || d->summary == NULL) {
		snprintf(why, len, "descriptor of %s lacks a version or "
		    "summary", d->name);
		return -1;
	}
	if (d->ops == NULL) {
		snprintf(why, len, "descriptor of %s has no ops table",
		    d->name);
		return -1;
	}
	if (d->kind == WEFT_KIND_WORKLOAD) {
		const struct weft_workload_ops *o = d->ops;

		if (o->init == NULL || o->task == NULL) {
			snprintf(why, len, "workload %s lacks init or task",
			    d->name);
			return -1;
		}
	} else {
		const struct weft_strategy_ops *o = d->ops;

		if (o->run == NULL) {
			snprintf(why, len, "strategy %s lacks run", d->name);
			return -1;
		}
	}
	return 0;
}

/*
 * unsafe_path - why loading path would be unsafe, or NULL.  As OpenSSH
 * and NetworkManager do for the code they load: the file and every
 * directory above it must belong to root or to weftd's user and be
 * writable by nobody else.  A root-owned sticky directory such as /tmp
 * is allowed: others may add entries there but cannot replace ours.
 */
const char *
unsafe_path(const char *path, char *why, size_t len)
{
	char		*p = realpath(path, NULL), *slash;
	struct stat	 st;
	uid_t		 me = geteuid();
	int		 file = 1;

	if (p == NULL) {
		snprintf(why, len, "unsafe: cannot resolve %s: %s", path,
		    strerror(errno));
		return why;
	}
	for (;;) {
		if (stat(p, &st) != 0) {
			snprintf(why, len, "unsafe: cannot stat %s: %s", p,
			    strerror(errno));
			goto bad;
		}
		if (file && !S_ISREG(st.st_mode)) {
			snprintf(why, len, "unsafe: %s is not a regular file",
			    p);
			goto bad;
		}
		if (st.st_uid != 0 && st.st_uid != me) {
			snprintf(why, len, "unsafe: %s belongs to uid %u; "
			    "plugins and the directories above them must "
			    "belong to root or weftd's user", p,
			    (unsigned)st.st_uid);
			goto bad;
		}
		if ((st.st_mode & 022) != 0 && !(!file &&
		    (st.st_mode & S_ISVTX) && st.st_uid == 0)) {
			snprintf(why, len, "unsafe: %s is writable by %s (mode "
			    "%04o); plugins and the directories above them "
			    "must not be group- or world-writable", p,
			    (st.st_mode & 002) ? "everyone" : "its group",
			    (unsigned)(st.st_mode & 07777));
			goto bad;
		}
		file = 0;
		if (strcmp(p, "/") == 0)
			break;
		slash = strrchr(p, '/');
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(p);
	return NULL;
bad:
	free(p);
	return why;
}

#ifndef MFD_EXEC
#define MFD_EXEC	0x0010U		/* Linux 6.3; older kernels: EINVAL */
#endif
#define PLUGIN_MAX	(256 * 1024 * 1024)

/* plugin_id_of - id of the file st is of (all but when it was copied). */
void
plugin_id_of(const struct stat *st, struct plugin_id *id)
{
	id->dev = st->st_dev;
	id->ino = st->st_ino;
	id->size = st->st_size;
	id->mtime = st->st_mtim;
	id->ctime = st->st_ctim;
}

/*
 * plugin_id_same - whether now, a file's id now, says it is the file
 * copied as was: 1, or 2 if the file was changed within a second of
 * its copy.  File times tick with the kernel's clock (4 ms), so a
 * write in the same tick after the copy could leave them as they were
 * (git's "racily clean" case): for 2, compare the contents
 * (plugin_same_content).  0: changed.
 */
int
plugin_id_same(const struct plugin_id *now, const struct plugin_id *was)
{
	if (now->dev != was->dev || now->ino != was->ino ||
	    now->size != was->size ||
	    now->mtime.tv_sec != was->mtime.tv_sec ||
	    now->mtime.tv_nsec != was->mtime.tv_nsec ||
	    now->ctime.tv_sec != was->ctime.tv_sec ||
	    now->ctime.tv_nsec != was->ctime.tv_nsec)
		return 0;
	return was->ctime.tv_sec + 1 >= was->copied.tv_sec ? 2 : 1;
}

/* plugin_same_content - whether the file at path holds what the copy fd
 * does, byte for byte. */
int
plugin_same_content(const char *path, int fd)
{
	char	 a[65536], b[65536];
	off_t	 off = 0;
	ssize_t	 n, m;
	int	 in, same = 1;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	for (;;) {
		if ((n = read(in, a, sizeof a)) < 0 ||
		    (m = pread(fd, b, sizeof b, off)) != n ||
		    memcmp(a, b, (size_t)n) != 0) {
			same = 0;
			break;
		}
		if (n == 0)
			break;
		off += n;
	}
	close(in);
	return same;
}

/*
 * plugin_copy - a sealed in-memory copy (memfd) of the file at path, or
 * -1 with *cause; *id is the file's as it was opened (a write while it
 * is copied changes the file's and so is seen at the next scan).
 * Runners load the copy (/proc/self/fd/N), never the path: what runs
 * is exactly what was probed, a file replaced or rewritten in place
 * cannot change a run that has it loaded, and a file that breaks
 * leaves the copy loaded before in use.
 */
int
plugin_copy(const char *path, struct plugin_id *id, char **cause)
{
	struct stat st;
	char	 buf[65536];
	ssize_t	 n;
	size_t	 total = 0;
	int	 in, fd;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		xasprintf(cause, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(in, &st) != 0) {
		xasprintf(cause, "cannot stat: %s", strerror(errno));
		close(in);
		return -1;
	}
	plugin_id_of(&st, id);
	clock_gettime(CLOCK_REALTIME, &id->copied);
	fd = memfd_create("weft-plugin", MFD_CLOEXEC | MFD_ALLOW_SEALING |
	    MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create("weft-plugin", MFD_CLOEXEC |
		    MFD_ALLOW_SEALING);
	if (fd < 0) {
		xasprintf(cause, "memfd_create: %s", strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if ((total += (size_t)n) > PLUGIN_MAX) {
			xasprintf(cause, "larger than %d MiB", PLUGIN_MAX >> 20);
			goto fail;
		}
		if (write(fd, buf, (size_t)n) != n) {
			xasprintf(cause, "copying it: %s", strerror(errno));
			goto fail;
		}
	}
	if (n < 0) {
		xasprintf(cause, "cannot read: %s", strerror(errno));
		goto fail;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK |
	    F_SEAL_SEAL);
	close(in);
	return fd;
fail:
	close(in);
	close(fd);
	return -1;
}

void
plugin_clear(struct plugin *p)
{
	if (p->fd >= 0)
		close(p->fd);
	free(p->stale);
	free(p->path);
	free(p->name);
	free(p->version);
	free(p->summary);
	free(p->rejected);
	json_decref(p->params);
	memset(p, 0, sizeof *p);
	p->fd = -1;
}

/*
 * plugin_probe - fill p from the plugin at path, as weft-runner reports
 * it after loading a copy of the file (p->fd; see plugin_copy) in its
 * own process: a constructor that crashes or hangs is a reason to
 * reject the file, not a danger.  p->rejected says whether it can be
 * used.
 */
static void	probe(const char *, struct plugin *);

void
plugin_probe(const char *path, struct plugin *p)
{
	probe(path, p);
	if (p->rejected != NULL && p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

static void
probe(const char *path, struct plugin *p)
{
	struct proto_probe	 req;
	struct proto_msg	 m;
	int			 status;
	char			*cause = NULL, why[1024], fdpath[64];

	memset(p, 0, sizeof *p);
	p->fd = -1;
	p->path = xstrdup(path);
	if (unsafe_path(path, why, sizeof why) != NULL) {
		p->rejected = xstrdup(why);
		return;
	}
	if ((p->fd = plugin_copy(path, &p->id, &cause)) < 0) {
		xasprintf(&p->rejected, "%s", cause);
		free(cause);
		return;
	}
	/* The probe loads the copy as its fd 4. */
	snprintf(fdpath, sizeof fdpath, PLUGIN_FD_PATH, 4);
	req.path = fdpath;
	switch (runner_call(PROTO_PROBE, &req, p->fd, PROBE_TIMEOUT_MS, &m,
	    &status, &cause)) {
	case -2:
		xasprintf(&p->rejected, "cannot probe: %s", cause);
		free(cause);
		return;
	case -1:
		xasprintf(&p->rejected, "probe timed out after %d ms "
		    "(the plugin's constructor hangs?)", PROBE_TIMEOUT_MS);
		return;
	case 0:
		if (WIFSIGNALED(status))
			xasprintf(&p->rejected, "crashed while loading: %s "
			    "(in the plugin's constructor)",
			    signal_name(WTERMSIG(status)));
		else
			xasprintf(&p->rejected, "probe failed (exit status "
			    "%d, no descriptor reported)", WEXITSTATUS(status));
		return;
	}
	if (m.type != PROTO_PLUGIN) {
		xasprintf(&p->rejected, "probe failed (weft-runner answered "
		    "%s)", proto_type_name(m.type));
		proto_clear(&m);
		return;
	}
	if (m.u.plugin.name != NULL)
		p->name = xstrdup(m.u.plugin.name);
	p->abi_major = (int)m.u.plugin.abi_major;
	p->abi_minor = (int)m.u.plugin.abi_minor;
	if (m.u.plugin.rejected != NULL)
		p->rejected = xstrdup(m.u.plugin.rejected);
	else {
		p->kind = (int)m.u.plugin.kind;
		p->version = xstrdup(m.u.plugin.version);
		p->summary = xstrdup(m.u.plugin.summary);
		p->traits = (unsigned)m.u.plugin.traits;
		p->params = json_incref(m.u.plugin.params);
	}
	proto_clear(&m);
}
