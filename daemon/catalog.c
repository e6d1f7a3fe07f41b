/*
 * catalog.c - the plugin catalog.  Every *.so in the plugin directories
 * is opened in a throwaway child process (dlopen + read the descriptor),
 * never in weftd itself, so a plugin whose constructor crashes or hangs
 * is rejected with the reason instead of taking the daemon down.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define PROBE_TIMEOUT_MS	5000

/* probe_child - runs in the child: load path, report the descriptor. */
static void NORETURN
probe_child(const char *path, int fd)
{
	void				*h;
	const struct weft_plugin	*d;
	json_t				*o;
	char				 why[512];
	Dl_info				 info;

	o = json_object();
	json_object_set_new(o, "type", json_string("probe"));
	if ((h = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *e = dlerror();

		snprintf(why, sizeof why, "cannot load: %s%s", e ? e : "?",
		    strstr(e ? e : "", "invalid ELF header") ||
		    strstr(e ? e : "", "file too short") ?
		    " (not a shared object)" :
		    "; use ldd(1) to check the plugin's dependencies");
		json_object_set_new(o, "rejected", json_string(why));
		goto out;
	}
	d = dlsym(h, WEFT_PLUGIN_SYMBOL);
	if (d == NULL || dladdr(d, &info) == 0 ||
	    info.dli_fbase == NULL) {
		snprintf(why, sizeof why, "missing descriptor: the file does "
		    "not export the symbol \"%s\"", WEFT_PLUGIN_SYMBOL);
		json_object_set_new(o, "rejected", json_string(why));
		goto out;
	}
	json_object_set_new(o, "abi_major", json_integer(d->abi_major));
	json_object_set_new(o, "abi_minor", json_integer(d->abi_minor));
	if (plugin_check_desc(d, sizeof *d, why, sizeof why) != 0) {
		json_object_set_new(o, "rejected", json_string(why));
		if (d->abi_major == WEFT_ABI_MAJOR && d->name != NULL)
			json_object_set_new(o, "name", json_string(d->name));
		goto out;
	}
	json_object_set_new(o, "name", json_string(d->name));
	json_object_set_new(o, "kind", json_integer(d->kind));
	json_object_set_new(o, "version", json_string(d->version));
	json_object_set_new(o, "summary", json_string(d->summary));
	json_object_set_new(o, "traits", json_integer(d->traits));
out:
	frame_write(fd, o);
	_exit(0);
}

/*
 * child_run - run body(arg, fd) in a child process whose stdin and
 * stdout are /dev/null, and take the one frame it writes on fd, waiting
 * at most timeout_ms; then reap it.  Returns 1 with *msg set, 0 if it
 * sent no valid frame (*status says how it ended), -1 if it was killed
 * for taking too long, -2 if no child could be made (errno).
 * Plugin code runs only in such children, never in weftd itself.
 */
int
child_run(void (*body)(const void *, int), const void *arg, int timeout_ms,
    json_t **msg, int *status)
{
	int		 fds[2], n, timed_out = 0;
	pid_t		 pid;
	unsigned char	 buf[65536];
	size_t		 len = 0, used;
	char		 err[256];
	uint64_t	 deadline;

	*msg = NULL;
	*status = 0;
	if (pipe2(fds, O_CLOEXEC) != 0)
		return -2;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -2;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		signal(SIGPIPE, SIG_IGN);
		/* A plugin's chatter must not reach weftd's output. */
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		close(fds[0]);
		body(arg, fds[1]);
		_exit(0);
	}
	close(fds[1]);
	deadline = now_ms() + (uint64_t)timeout_ms;
	while (len < sizeof buf) {
		struct pollfd	pfd = { fds[0], POLLIN, 0 };
		uint64_t	now = now_ms();

		if (now >= deadline) {
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n <= 0)
			continue;	/* EINTR, or time to check the clock */
		n = (int)read(fds[0], buf + len, sizeof buf - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fds[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	if (timed_out)
		return -1;
	return frame_parse(buf, len, &used, msg, err, sizeof err) == 1;
}

static void
probe_body(const void *path, int fd)
{
	probe_child(path, fd);
}

/*
 * catalog_probe - fill p from the plugin at path, as a child process
 * reports it.  Returns 0; p->rejected says whether it can be used.
 */
int
catalog_probe(const char *path, struct plugin *p)
{
	json_t	*o;
	int	 status;

	memset(p, 0, sizeof *p);
	p->path = xstrdup(path);
	switch (child_run(probe_body, path, PROBE_TIMEOUT_MS, &o, &status)) {
	case -2:
		xasprintf(&p->rejected, "cannot probe: %s", strerror(errno));
		return 0;
	case -1:
		xasprintf(&p->rejected, "probe timed out after %d ms "
		    "(the plugin's constructor hangs?)", PROBE_TIMEOUT_MS);
		return 0;
	case 0:
		if (WIFSIGNALED(status))
			xasprintf(&p->rejected, "crashed while loading: %s "
			    "(in the plugin's constructor)",
			    signal_name(WTERMSIG(status)));
		else
			xasprintf(&p->rejected, "probe failed (exit status "
			    "%d, no descriptor reported)", WEXITSTATUS(status));
		return 0;
	}
	if (json_is_string(json_object_get(o, "name")))
		p->name = xstrdup(json_string_value(json_object_get(o, "name")));
	p->abi_major = (int)json_integer_value(json_object_get(o, "abi_major"));
	p->abi_minor = (int)json_integer_value(json_object_get(o, "abi_minor"));
	if (json_is_string(json_object_get(o, "rejected")))
		p->rejected = xstrdup(json_string_value(json_object_get(o,
		    "rejected")));
	else {
		p->kind = (int)json_integer_value(json_object_get(o, "kind"));
		p->version = xstrdup(json_string_value(json_object_get(o,
		    "version")));
		p->summary = xstrdup(json_string_value(json_object_get(o,
		    "summary")));
		p->traits = (unsigned)json_integer_value(json_object_get(o,
		    "traits"));
	}
	json_decref(o);
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
			free(p);
			return why;
		}
		if (file && !S_ISREG(st.st_mode)) {
			snprintf(why, len, "unsafe: %s is not a regular file",
			    p);
			free(p);
			return why;
		}
		if (st.st_uid != 0 && st.st_uid != me) {
			snprintf(why, len, "unsafe: %s belongs to uid %u; "
			    "plugins and the directories above them must "
			    "belong to root or weftd's user", p,
			    (unsigned)st.st_uid);
			free(p);
			return why;
		}
		if ((st.st_mode & 022) != 0 && !(!file &&
		    (st.st_mode & S_ISVTX) && st.st_uid == 0)) {
			snprintf(why, len, "unsafe: %s is writable by %s (mode "
			    "%04o); plugins and the directories above them "
			    "must not be group- or world-writable", p,
			    (st.st_mode & 002) ? "everyone" : "its group",
			    (unsigned)(st.st_mode & 07777));
			free(p);
			return why;
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
}

static int
is_plugin_file(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 3 &&
	    strcmp(de->d_name + n - 3, ".so") == 0;
}

/*
 * check_file_name - a file named workload-x.so or strategy-x.so must hold
 * a plugin of that kind; other names are not checked.
 */
static void
check_file_name(struct plugin *p)
{
	const char	*base = strrchr(p->path, '/');
	const char	*kinds[] = { "workload-", "strategy-" };

	base = base ? base + 1 : p->path;
	for (int k = 0; k < 2; k++) {
		if (strncmp(base, kinds[k], strlen(kinds[k])) != 0 ||
		    p->kind == k + 1)
			continue;
		xasprintf(&p->rejected, "wrong kind: the file is named as a "
		    "%.*s plugin but its descriptor says %s", (int)
		    strlen(kinds[k]) - 1, kinds[k], plugin_kind_name(p->kind));
	}
}

/*
 * catalog_scan - probe every plugin file of the directories, in order;
 * for a name provided twice, the first file wins.
 */
struct catalog *
catalog_scan(char *const *dirs, size_t ndirs)
{
	struct catalog	*c = xcalloc(1, sizeof *c);

	for (size_t d = 0; d < ndirs; d++) {
		struct dirent	**ents;
		int		  n;

		if ((n = scandir(dirs[d], &ents, is_plugin_file,
		    alphasort)) < 0) {
			log_warn("plugin directory %s", dirs[d]);
			continue;
		}
		for (int i = 0; i < n; i++) {
			struct plugin		*p;
			const struct plugin	*prev;
			char			*path, why[1024];

			xasprintf(&path, "%s/%s", dirs[d], ents[i]->d_name);
			free(ents[i]);
			c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
			p = &c->v[c->n++];
			if (unsafe_path(path, why, sizeof why) != NULL) {
				memset(p, 0, sizeof *p);
				p->path = xstrdup(path);
				p->rejected = xstrdup(why);
			} else
				catalog_probe(path, p);
			free(path);
			if (p->rejected == NULL)
				check_file_name(p);
			if (p->rejected == NULL && (prev = catalog_find(c,
			    p->kind, p->name)) != NULL && prev != p)
				xasprintf(&p->rejected, "duplicate name: %s "
				    "\"%s\" is already provided by %s",
				    plugin_kind_name(p->kind), p->name,
				    prev->path);
			if (p->rejected != NULL)
				log_warnx("plugin %s rejected: %s", p->path,
				    p->rejected);
			else
				log_debug("plugin %s: %s %s %s", p->path,
				    plugin_kind_name(p->kind), p->name,
				    p->version);
		}
		free(ents);
	}
	return c;
}

void
catalog_free(struct catalog *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].path);
		free(c->v[i].name);
		free(c->v[i].version);
		free(c->v[i].summary);
		free(c->v[i].rejected);
	}
	free(c->v);
	free(c);
}

/* catalog_find - the usable plugin of that kind and name, or NULL. */
const struct plugin *
catalog_find(const struct catalog *c, int kind, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		const struct plugin *p = &c->v[i];

		if (p->rejected == NULL && p->kind == kind &&
		    strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

json_t *
catalog_to_json(const struct catalog *c)
{
	json_t *a = json_array();

	for (size_t i = 0; i < c->n; i++) {
		const struct plugin	*p = &c->v[i];
		json_t			*o = json_object();
		char			*abi, *traits;

		json_object_set_new(o, "name", p->name ? json_string(p->name) :
		    json_null());
		json_object_set_new(o, "kind", p->rejected ? json_null() :
		    json_string(plugin_kind_name(p->kind)));
		json_object_set_new(o, "version", p->version ?
		    json_string(p->version) : json_null());
		json_object_set_new(o, "summary", p->summary ?
		    json_string(p->summary) : json_null());
		if (p->abi_major != 0) {
			xasprintf(&abi, "%d.%d", p->abi_major, p->abi_minor);
			json_object_set_new(o, "abi", json_string(abi));
			free(abi);
		} else
			json_object_set_new(o, "abi", json_null());
		traits = plugin_traits_string(p->traits);
		json_object_set_new(o, "traits", json_string(traits));
		free(traits);
		json_object_set_new(o, "path", json_string(p->path));
		json_object_set_new(o, "state", json_string(p->rejected ?
		    "rejected" : "ok"));
		if (p->rejected)
			json_object_set_new(o, "reason",
			    json_string(p->rejected));
		json_array_append_new(a, o);
	}
	return a;
}
