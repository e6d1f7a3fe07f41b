/*
 * catalog.c - the plugin catalog.  Every *.so in the plugin directories
 * is probed by a weft-runner of its own (lib/plugin.c), never opened in
 * weftd itself, so a plugin whose constructor crashes or hangs is
 * rejected with the reason instead of taking the daemon down.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

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

/* take - p becomes o again: its copy (a new descriptor of it) and what
 * the probe of it said. */
static void
take(struct plugin *p, const struct plugin *o)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = fcntl(o->fd, F_DUPFD_CLOEXEC, 0);
	free(p->name);
	free(p->version);
	free(p->summary);
	p->name = xstrdup(o->name);
	p->version = xstrdup(o->version);
	p->summary = xstrdup(o->summary);
	p->kind = o->kind;
	p->traits = o->traits;
	p->abi_major = o->abi_major;
	p->abi_minor = o->abi_minor;
	p->id = o->id;
	json_decref(p->params);
	p->params = json_incref(o->params);
}

/* old_of - old's usable entry for the file at path, or NULL. */
static const struct plugin *
old_of(const char *path, const struct catalog *old)
{
	for (size_t i = 0; old != NULL && i < old->n; i++)
		if (old->v[i].rejected == NULL && old->v[i].fd >= 0 &&
		    strcmp(old->v[i].path, path) == 0)
			return &old->v[i];
	return NULL;
}

/*
 * unchanged - if old has the file at path as it is now (same inode,
 * size, mtime and ctime; the same bytes if that was within a second of
 * its copy: see plugin_id_same), p is that entry again without a copy
 * or a probe: 1.  A reload with no plugin changed probes nothing, and
 * the warm runners, which are known by their copies, stay usable.
 */
static int
unchanged(const char *path, struct plugin *p, const struct catalog *old)
{
	const struct plugin	*o = old_of(path, old);
	struct plugin_id	 id;
	struct stat		 st;
	char			 why[1024];
	int			 same;

	if (o == NULL || o->stale != NULL)
		return 0;
	clock_gettime(CLOCK_REALTIME, &id.copied);
	if (stat(path, &st) != 0)
		return 0;
	plugin_id_of(&st, &id);
	if ((same = plugin_id_same(&id, &o->id)) == 0 ||
	    (same == 2 && !plugin_same_content(path, o->fd)) ||
	    unsafe_path(path, why, sizeof why) != NULL)
		return 0;
	memset(p, 0, sizeof *p);
	p->fd = -1;
	p->path = xstrdup(path);
	take(p, o);
	if (same == 2)		/* as good as copied now */
		p->id = id;
	return p->fd >= 0;
}

/*
 * keep_old - p's file is rejected now; if old had it usable, p becomes
 * that version again (its copy), marked stale with the reason, as a
 * broken job file keeps the job loaded before.  Not for a duplicate or
 * a file named for the wrong kind: those are about the directory, not
 * the file's content.
 */
static void
keep_old(struct plugin *p, const struct catalog *old)
{
	const struct plugin *o = old_of(p->path, old);

	if (o == NULL)
		return;
	log_warnx("plugin %s: the file is rejected now (%s); the copy "
	    "loaded before stays in use", p->path, p->rejected);
	p->stale = p->rejected;
	p->rejected = NULL;
	take(p, o);
}

/*
 * catalog_scan - probe every plugin file of the directories, in order;
 * for a name provided twice, the first file wins.  A file that old (the
 * catalog in use, or NULL) had usable and is rejected now keeps that
 * version.
 */
struct catalog *
catalog_scan(char *const *dirs, size_t ndirs, const struct catalog *old)
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
			char			*path;
			int			 same;

			xasprintf(&path, "%s/%s", dirs[d], ents[i]->d_name);
			free(ents[i]);
			c->v = xreallocarray(c->v, c->n + 1, sizeof *c->v);
			p = &c->v[c->n++];
			if (!(same = unchanged(path, p, old)))
				plugin_probe(path, p);
			free(path);
			if (p->rejected != NULL)
				keep_old(p, old);
			if (p->rejected == NULL)
				check_file_name(p);
			if (p->rejected == NULL && (prev = catalog_find(c,
			    p->kind, p->name)) != NULL && prev != p)
				xasprintf(&p->rejected, "duplicate name: %s "
				    "\"%s\" is already provided by %s",
				    plugin_kind_name(p->kind), p->name,
				    prev->path);
			if (p->rejected != NULL && p->fd >= 0) {
				close(p->fd);
				p->fd = -1;
			}
			if (p->rejected != NULL)
				log_warnx("plugin %s rejected: %s", p->path,
				    p->rejected);
			else
				log_debug("plugin %s: %s %s %s%s", p->path,
				    plugin_kind_name(p->kind), p->name,
				    p->version, same ? " (unchanged: not "
				    "probed again)" : "");
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
	for (size_t i = 0; i < c->n; i++)
		plugin_clear(&c->v[i]);
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
		if (p->stale)
			json_object_set_new(o, "file_error",
			    json_string(p->stale));
		if (p->rejected)
			json_object_set_new(o, "reason",
			    json_string(p->rejected));
		else if (p->params != NULL)	/* a copy: replies get edited
						   (the API's secret hiding) */
			json_object_set_new(o, "params",
			    json_deep_copy(p->params));
		json_array_append_new(a, o);
	}
	return a;
}
