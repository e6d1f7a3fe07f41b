/*
 * config.c - the daemon configuration (weftd.yaml) and job files
 * (jobs.d/NAME.yaml).  Every error names file:line:column and the key, and
 * every error is collected, so one pass shows the user all of them.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "cluster.h"

#ifndef WEFT_CONFIG_FILE
#define WEFT_CONFIG_FILE	"/etc/weft/weftd.yaml"
#endif
#ifndef WEFT_JOBS_DIR
#define WEFT_JOBS_DIR		"/etc/weft/jobs.d"
#endif
#ifndef WEFT_PLUGIN_DIR
#define WEFT_PLUGIN_DIR		"/usr/lib/weft/plugins"
#endif
#ifndef WEFT_STATE_DIR
#define WEFT_STATE_DIR		"/var/lib/weft"
#endif
#ifndef WEFT_SOCKET
#define WEFT_SOCKET		"/run/weft/weftd.sock"
#endif

static const char *const job_keys[] = { "name", "description", "workload",
    "params", "strategy", "strategy_params", "concurrency", "schedule",
    "timeout", "retries", "enabled", "resume", NULL };

static const char *const config_keys[] = { "socket", "socket_mode",
    "plugin_dirs", "jobs_dir", "state_dir", "metrics_log", "log_level",
    "max_concurrent_runs", "shutdown_grace", "history_size",
    "control_group", "max_conns_per_uid", "metrics_listen", "http_listen",
    "trace_max", "cluster", "http_token_file", "warm_runners", NULL };
static const char *const cluster_keys[] = { "redis", "node", "lease",
    "max_deliveries", "worker", NULL };
static const char *const worker_keys[] = { "slots", "strategy", NULL };

static struct cluster_conf *parse_cluster(const struct ynode *);

void
job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->name);
	free(j->file);
	free(j->workload);
	free(j->strategy);
	free(j->sched_text);
	free(j->stale);
	free(j->text);
	ydoc_free(j->doc);
	free(j);
}

/* name_value - a scalar that must be a valid plugin or job name. */
static char *
name_value(const struct ynode *n, const char *what)
{
	const char *s = ynode_scalar(n);

	if (s == NULL)
		return NULL;
	if (!valid_name(s)) {
		ynode_error(n, "\"%s\" is not a valid %s (letters, digits, "
		    "'_', '.', '-'; at most 64)", s, what);
		return NULL;
	}
	return xstrdup(s);
}

static void
parse_schedule(struct job *j, const struct ynode *n)
{
	static const char *const sched_keys[] = { "every", "cron", NULL };
	const struct ynode	*v;
	char			 err[256];

	if (n->kind == YNODE_SCALAR) {
		if (strcmp(n->str, "on-demand") == 0)
			j->sched = SCHED_ON_DEMAND;
		else if (strcmp(n->str, "at-start") == 0)
			j->sched = SCHED_AT_START;
		else
			ynode_error(n, "expected on-demand, at-start, "
			    "{every: DURATION} or {cron: \"EXPR\"}, got \"%s\"",
			    n->str);
		return;
	}
	if (n->kind != YNODE_MAP || n->n != 1) {
		ynode_error(n, "expected on-demand, at-start, {every: "
		    "DURATION} or {cron: \"EXPR\"}");
		return;
	}
	if (ynode_check_keys(n, sched_keys) != 0)
		return;
	if ((v = ynode_get(n, "every")) != NULL) {
		if (ynode_duration(v, &j->every_ms) != 0)
			return;
		if (j->every_ms < 1000) {
			ynode_error(v, "must be at least 1s, got \"%s\"",
			    v->str);
			return;
		}
		j->sched = SCHED_EVERY;
		xasprintf(&j->sched_text, "every %s", v->str);
	} else if ((v = ynode_get(n, "cron")) != NULL) {
		if (ynode_scalar(v) == NULL)
			return;
		if (cron_parse(v->str, &j->cron, err, sizeof err) != 0) {
			ynode_error(v, "%s", err);
			return;
		}
		j->sched = SCHED_CRON;
		xasprintf(&j->sched_text, "cron %s", v->str);
	}
}

/*
 * job_load - read and parse one job file.  Returns the job, or NULL
 * after adding every error found to errs.
 */
struct job *
job_load(const char *file, struct errlist *errs)
{
	char	*text, *cause;
	size_t	 len;

	if (yaml_read_file(file, &text, &len, &cause) != 0) {
		errlist_add(errs, "%s", cause);
		free(cause);
		return NULL;
	}
	return job_parse(file, text, len, errs);
}

/*
 * job_parse - parse the text of a job file (taken: the job keeps it, for
 * the runners it starts).  Returns the job, or NULL after adding every
 * error found to errs.
 */
struct job *
job_parse(const char *file, const char *text, size_t len,
    struct errlist *errs)
{
	struct ydoc		*d;
	struct job		*j;
	const struct ynode	*root, *n;
	char			*cause;
	long long		 v;

	d = ydoc_load(file, text, len, &cause);
	if (d == NULL) {
		errlist_add(errs, "%s", cause);
		free(cause);
		free((char *)text);
		return NULL;
	}
	j = xcalloc(1, sizeof *j);
	j->doc = d;
	j->text = (char *)text;
	j->textlen = len;
	j->file = xstrdup(file);
	j->enabled = 1;
	root = d->root;
	if (root == NULL || root->kind != YNODE_MAP) {
		errlist_add(errs, "%s:%d:%d: a job file must be a mapping of "
		    "keys (name, workload, strategy, ...)", file,
		    root ? root->line : 1, root ? root->col : 1);
		job_free(j);
		return NULL;
	}
	ynode_check_keys(root, job_keys);

	if ((n = ynode_get(root, "name")) != NULL)
		j->name = name_value(n, "job name");
	else {
		/* The file's name without directory and extension. */
		const char	*base = strrchr(file, '/');
		char		*dot;

		j->name = xstrdup(base ? base + 1 : file);
		if ((dot = strrchr(j->name, '.')) != NULL)
			*dot = '\0';
		if (!valid_name(j->name))
			errlist_add(&d->errs, "%s:1:1: no name key, and the "
			    "file name \"%s\" is not a valid job name", file,
			    j->name);
	}
	if ((n = ynode_get(root, "description")) != NULL)
		(void)ynode_scalar(n);
	if ((n = ynode_get(root, "workload")) != NULL)
		j->workload = name_value(n, "workload name");
	else
		errlist_add(&d->errs, "%s:%d:%d: workload: missing; name the "
		    "workload plugin (e.g. workload: sumsq)", file, root->line,
		    root->col);
	if ((n = ynode_get(root, "strategy")) != NULL)
		j->strategy = name_value(n, "strategy name");
	else
		j->strategy = xstrdup("inline");
	if ((n = ynode_get(root, "concurrency")) != NULL &&
	    ynode_int(n, 1, LLONG_MAX, &v) == 0) {
		if (v > 100000)
			ynode_error(n, "at most 100000, got \"%s\"", n->str);
		j->concurrency = (long)v;
	}
	if ((n = ynode_get(root, "params")) != NULL) {
		if (n->kind != YNODE_MAP)
			ynode_error(n, "expected a mapping of workload "
			    "parameters, got %s", ynode_kind_name(n));
		j->params = (struct ynode *)n;
	}
	if ((n = ynode_get(root, "strategy_params")) != NULL) {
		if (n->kind != YNODE_MAP)
			ynode_error(n, "expected a mapping of strategy "
			    "parameters, got %s", ynode_kind_name(n));
		j->sparams = (struct ynode *)n;
	}
	j->sched = SCHED_ON_DEMAND;
	if ((n = ynode_get(root, "schedule")) != NULL)
		parse_schedule(j, n);
	if (j->sched_text == NULL)
		j->sched_text = xstrdup(j->sched == SCHED_AT_START ?
		    "at-start" : "on-demand");
	if ((n = ynode_get(root, "timeout")) != NULL)
		ynode_duration(n, &j->timeout_ms);
	if ((n = ynode_get(root, "retries")) != NULL &&
	    ynode_int(n, 0, 100, &v) == 0)
		j->retries = (int)v;
	if ((n = ynode_get(root, "enabled")) != NULL)
		ynode_bool(n, &j->enabled);
	if ((n = ynode_get(root, "resume")) != NULL &&
	    ynode_scalar(n) != NULL) {
		if (strcmp(n->str, "auto") == 0)
			j->resume_auto = 1;
		else if (strcmp(n->str, "never") != 0)
			ynode_error(n, "expected auto or never, got \"%s\"",
			    n->str);
	}

	if (d->errs.n != 0 || j->name == NULL || j->workload == NULL ||
	    j->strategy == NULL) {
		errlist_move(errs, &d->errs);
		job_free(j);
		return NULL;
	}
	return j;
}

static int
is_job_file(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	if (de->d_name[0] == '.')
		return 0;
	return (n > 5 && strcmp(de->d_name + n - 5, ".yaml") == 0) ||
	    (n > 4 && strcmp(de->d_name + n - 4, ".yml") == 0);
}

/* load_jobs - every job file of dir, sorted; bad files are left out. */
static int
load_jobs(struct config *c, struct errlist *errs)
{
	struct dirent	**ents;
	int		  n, bad = 0;

	if ((n = scandir(c->jobs_dir, &ents, is_job_file, alphasort)) < 0) {
		if (errno == ENOENT)
			return 0;	/* no jobs yet */
		errlist_add(errs, "%s: cannot read jobs directory: %s",
		    c->jobs_dir, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct job	*j, *other;
		char		*path;
		size_t		 first = errs->n;

		xasprintf(&path, "%s/%s", c->jobs_dir, ents[i]->d_name);
		free(ents[i]);
		j = job_load(path, errs);
		if (j != NULL && (other = config_find_job(c, j->name)) != NULL) {
			errlist_add(errs, "%s:1:1: job \"%s\" is already "
			    "defined in %s; job names must be unique", path,
			    j->name, other->file);
			job_free(j);
			j = NULL;
		}
		if (j == NULL) {
			c->bad = xreallocarray(c->bad, c->nbad + 1,
			    sizeof *c->bad);
			c->bad[c->nbad].file = xstrdup(path);
			c->bad[c->nbad++].error = xstrdup(errs->n > first ?
			    errs->v[first] : "rejected");
			bad++;
		} else {
			TAILQ_INSERT_TAIL(&c->jobs, j, entry);
			c->njobs++;
		}
		free(path);
	}
	free(ents);
	return bad;
}

/* relpath - p taken relative to the directory of the config file. */
static char *
relpath(const struct config *c, const char *p)
{
	const char	*slash;
	char		*out;

	if (p[0] == '/' || c->path == NULL ||
	    (slash = strrchr(c->path, '/')) == NULL)
		return xstrdup(p);
	xasprintf(&out, "%.*s/%s", (int)(slash - c->path), c->path, p);
	return out;
}

static char *
path_value(const struct config *c, const struct ynode *n)
{
	const char *s = ynode_scalar(n);

	if (s == NULL)
		return NULL;
	if (*s == '\0') {
		ynode_error(n, "expected a path, got an empty string");
		return NULL;
	}
	return relpath(c, s);
}

static void
set_path(struct config *c, char **field, const struct ynode *root,
    const char *key)
{
	const struct ynode	*n = ynode_get(root, key);
	char			*p;

	if (n != NULL && (p = path_value(c, n)) != NULL) {
		free(*field);
		*field = p;
	}
}

static void
parse_config(struct config *c, const struct ynode *root)
{
	const struct ynode	*n;
	long long		 v;
	char			*end;

	ynode_check_keys(root, config_keys);
	set_path(c, &c->socket, root, "socket");
	set_path(c, &c->jobs_dir, root, "jobs_dir");
	set_path(c, &c->state_dir, root, "state_dir");
	set_path(c, &c->metrics_log, root, "metrics_log");
	set_path(c, &c->http_token_file, root, "http_token_file");
	if ((n = ynode_get(root, "socket_mode")) != NULL &&
	    ynode_scalar(n) != NULL) {
		errno = 0;
		v = strtoll(n->str, &end, 8);
		if (*n->str == '\0' || *end != '\0' || v < 0 || v > 0777)
			ynode_error(n, "expected an octal mode such as 0660, "
			    "got \"%s\"", n->str);
		else
			c->socket_mode = (mode_t)v;
	}
	if ((n = ynode_get(root, "plugin_dirs")) != NULL) {
		if (n->kind != YNODE_SEQ || n->n == 0)
			ynode_error(n, "expected a list of directories");
		else {
			for (size_t i = 0; i < c->nplugin_dirs; i++)
				free(c->plugin_dirs[i]);
			c->nplugin_dirs = 0;
			c->plugin_dirs = xreallocarray(c->plugin_dirs, n->n,
			    sizeof *c->plugin_dirs);
			for (size_t i = 0; i < n->n; i++) {
				char *p = path_value(c, n->items[i]);

				if (p != NULL)
					c->plugin_dirs[c->nplugin_dirs++] = p;
			}
		}
	}
	if ((n = ynode_get(root, "log_level")) != NULL &&
	    ynode_scalar(n) != NULL) {
		if ((c->log_level = log_level_parse(n->str)) < 0) {
			ynode_error(n, "expected error, warning, info or "
			    "debug, got \"%s\"", n->str);
			c->log_level = 2;
		}
	}
	if ((n = ynode_get(root, "max_concurrent_runs")) != NULL &&
	    ynode_int(n, 1, 10000, &v) == 0)
		c->max_concurrent_runs = (int)v;
	if ((n = ynode_get(root, "history_size")) != NULL &&
	    ynode_int(n, 1, 1000000, &v) == 0)
		c->history_size = (int)v;
	if ((n = ynode_get(root, "shutdown_grace")) != NULL)
		ynode_duration(n, &c->shutdown_grace_ms);
	if ((n = ynode_get(root, "warm_runners")) != NULL &&
	    ynode_int(n, 0, 16, &v) == 0)
		c->warm_runners = (int)v;
	if ((n = ynode_get(root, "control_group")) != NULL &&
	    ynode_scalar(n) != NULL) {
		if (getgrnam(n->str) == NULL)
			ynode_error(n, "no group named \"%s\"", n->str);
		else
			c->control_group = xstrdup(n->str);
	}
	/* http_listen; metrics_listen is its old name. */
	if (ynode_get(root, "http_listen") != NULL &&
	    ynode_get(root, "metrics_listen") != NULL)
		ynode_error(ynode_get(root, "metrics_listen"), "the old name "
		    "of http_listen, which is set too: keep http_listen");
	if (((n = ynode_get(root, "http_listen")) != NULL ||
	    (n = ynode_get(root, "metrics_listen")) != NULL) &&
	    ynode_scalar(n) != NULL) {
		if (strrchr(n->str, ':') == NULL)
			ynode_error(n, "expected HOST:PORT such as "
			    "127.0.0.1:9464, got \"%s\"", n->str);
		else
			c->metrics_listen = xstrdup(n->str);
	}
	if ((n = ynode_get(root, "trace_max")) != NULL &&
	    ynode_int(n, 0, 10000000, &v) == 0)
		c->trace_max = (int)v;
	if ((n = ynode_get(root, "max_conns_per_uid")) != NULL &&
	    ynode_int(n, 1, 100000, &v) == 0)
		c->max_conns_per_uid = (int)v;
	if ((n = ynode_get(root, "cluster")) != NULL)
		c->cluster = parse_cluster(n);
}

/*
 * parse_cluster - the cluster: section (see lib/cluster.h), or NULL after
 * reporting its errors.
 */
static struct cluster_conf *
parse_cluster(const struct ynode *n)
{
	struct cluster_conf	*cc;
	const struct ynode	*v, *w;
	char			*cause, host[256];
	long long		 i;
	int			 bad = 0;
	long			 ncpu;

	if (n->kind != YNODE_MAP) {
		ynode_error(n, "expected a mapping with at least redis: "
		    "HOST:PORT");
		return NULL;
	}
	if (ynode_check_keys(n, cluster_keys) != 0)
		return NULL;
	cc = xcalloc(1, sizeof *cc);
	cc->lease_ms = 30000;
	cc->max_deliveries = 5;
	if ((v = ynode_get(n, "redis")) == NULL) {
		ynode_error(n, "redis: required: host:port, unix:/path or "
		    "redis://[user:password@]host:port/db");
		bad = 1;
	} else if (ynode_scalar(v) == NULL)
		bad = 1;
	else if (redis_addr_parse(v->str, &cc->addr, &cause) != 0) {
		ynode_error(v, "%s", cause);
		free(cause);
		bad = 1;
	} else
		cc->redis = redis_addr_string(&cc->addr);
	if ((v = ynode_get(n, "node")) != NULL) {
		if (ynode_scalar(v) == NULL)
			bad = 1;
		else if (!valid_name(v->str)) {
			ynode_error(v, "expected a node name (letters, digits, "
			    "_, ., -; at most 64), got \"%s\"", v->str);
			bad = 1;
		} else
			cc->node = xstrdup(v->str);
	} else {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		host[strcspn(host, ".")] = '\0';	/* the short name */
		if (!valid_name(host)) {
			ynode_error(n, "node: the host name \"%s\" is not a "
			    "valid node name; set node:", host);
			bad = 1;
		} else
			cc->node = xstrdup(host);
	}
	if ((v = ynode_get(n, "lease")) != NULL) {
		if (ynode_duration(v, &cc->lease_ms) != 0)
			bad = 1;
		else if (cc->lease_ms < 300) {
			ynode_error(v, "a lease under 300ms would be taken "
			    "over before it is renewed");
			bad = 1;
		}
	}
	if ((v = ynode_get(n, "max_deliveries")) != NULL) {
		if (ynode_int(v, 1, 1000, &i) != 0)
			bad = 1;
		else
			cc->max_deliveries = (int)i;
	}
	if ((w = ynode_get(n, "worker")) != NULL) {
		cc->worker = 1;
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		cc->slots = ncpu > 0 ? (int)ncpu : 1;
		cc->strategy = xstrdup("threads");
		if (w->kind == YNODE_SCALAR && w->str[0] == '\0')
			;	/* "worker:" alone: the defaults */
		else if (w->kind != YNODE_MAP) {
			ynode_error(w, "expected a mapping: slots, strategy");
			bad = 1;
		} else if (ynode_check_keys(w, worker_keys) != 0)
			bad = 1;
		else {
			if ((v = ynode_get(w, "slots")) != NULL) {
				if (ynode_int(v, 1, 100000, &i) != 0)
					bad = 1;
				else
					cc->slots = (int)i;
			}
			if ((v = ynode_get(w, "strategy")) != NULL) {
				if (ynode_scalar(v) == NULL)
					bad = 1;
				else if (!valid_name(v->str) ||
				    strcmp(v->str, "cluster") == 0 ||
				    strcmp(v->str, "auto") == 0) {
					ynode_error(v, "expected a local "
					    "strategy such as threads, coro or "
					    "fork, got \"%s\"", v->str);
					bad = 1;
				} else {
					free(cc->strategy);
					cc->strategy = xstrdup(v->str);
				}
			}
		}
	}
	if (bad) {
		cluster_conf_free(cc);
		return NULL;
	}
	return cc;
}

/*
 * config_load - read the daemon configuration at path (NULL: the default
 * file if it exists, else built-in defaults) and every job file.
 * Returns NULL if the configuration itself is bad.  Bad job files are
 * left out; *bad_jobs counts them.  Every error goes to errs.
 */
struct config *
config_load(const char *path, const char *socket_override,
    struct errlist *errs, int *bad_jobs)
{
	struct config	*c;
	struct ydoc	*d = NULL;
	char		*cause;
	int		 explicit = path != NULL;

	*bad_jobs = 0;
	c = xcalloc(1, sizeof *c);
	TAILQ_INIT(&c->jobs);
	if (path == NULL && access(WEFT_CONFIG_FILE, F_OK) == 0)
		path = WEFT_CONFIG_FILE;
	c->path = path ? xstrdup(path) : NULL;
	c->socket = xstrdup(WEFT_SOCKET);
	c->socket_mode = 0660;
	c->plugin_dirs = xcalloc(1, sizeof *c->plugin_dirs);
	c->plugin_dirs[0] = xstrdup(WEFT_PLUGIN_DIR);
	c->nplugin_dirs = 1;
	c->jobs_dir = c->path ? relpath(c, "jobs.d") : xstrdup(WEFT_JOBS_DIR);
	c->state_dir = xstrdup(WEFT_STATE_DIR);
	c->log_level = 2;
	c->max_concurrent_runs = 4;
	c->shutdown_grace_ms = 5000;
	c->warm_runners = 4;
	c->history_size = 1000;
	c->max_conns_per_uid = 32;
	c->trace_max = 100000;

	if (path != NULL) {
		if ((d = ydoc_load_file(path, &cause)) == NULL) {
			if (!explicit && errno == ENOENT)
				goto defaults;
			errlist_add(errs, "%s", cause);
			free(cause);
			config_free(c);
			return NULL;
		}
		if (d->root != NULL && d->root->kind != YNODE_MAP)
			errlist_add(&d->errs, "%s:%d:%d: the configuration "
			    "must be a mapping of settings", path,
			    d->root->line, d->root->col);
		else if (d->root != NULL)
			parse_config(c, d->root);
		if (d->errs.n != 0) {
			errlist_move(errs, &d->errs);
			ydoc_free(d);
			config_free(c);
			return NULL;
		}
		ydoc_free(d);
	}
defaults:
	if (socket_override != NULL) {
		free(c->socket);
		c->socket = xstrdup(socket_override);
	}
	if (c->metrics_log == NULL)
		xasprintf(&c->metrics_log, "%s/metrics.jsonl", c->state_dir);
	*bad_jobs = load_jobs(c, errs);
	return c;
}

void
config_free(struct config *c)
{
	struct job *j;

	if (c == NULL)
		return;
	cluster_conf_free(c->cluster);
	while ((j = TAILQ_FIRST(&c->jobs)) != NULL) {
		TAILQ_REMOVE(&c->jobs, j, entry);
		job_free(j);
	}
	for (size_t i = 0; i < c->nplugin_dirs; i++)
		free(c->plugin_dirs[i]);
	free(c->plugin_dirs);
	for (size_t i = 0; i < c->nbad; i++) {
		free(c->bad[i].file);
		free(c->bad[i].error);
	}
	free(c->bad);
	free(c->path);
	free(c->socket);
	free(c->jobs_dir);
	free(c->state_dir);
	free(c->metrics_log);
	free(c->http_token_file);
	free(c->control_group);
	free(c->metrics_listen);
	free(c);
}

struct job *
config_find_job(struct config *c, const char *name)
{
	struct job *j;

	TAILQ_FOREACH(j, &c->jobs, entry)
		if (strcmp(j->name, name) == 0)
			return j;
	return NULL;
}

/*
 * parse_set - "key=value" (weftctl run --set) as a one-key params
 * document {params: {key: value}}, the value read as YAML; NULL with
 * *cause if it is not one.
 */
struct ydoc *
parse_set(const char *kv, char **cause)
{
	const char	*eq = strchr(kv, '=');
	char		*text, *err, *key, *name;
	struct ydoc	*d;
	struct ynode	*p;

	if (eq == NULL || eq == kv) {
		xasprintf(cause, "--set %s: expected key=value", kv);
		return NULL;
	}
	key = xstrndup(kv, (size_t)(eq - kv));
	if (strncmp(key, "params.", 7) == 0 && key[7] != '\0') {
		xasprintf(cause, "--set %s: --set names a key of the job's "
		    "params itself: write --set %s", kv, kv + 7);
		free(key);
		return NULL;
	}
	if (!valid_name(key)) {
		xasprintf(cause, "--set %s: \"%s\" is not a parameter name",
		    kv, key);
		free(key);
		return NULL;
	}
	xasprintf(&text, "params:\n  %s: %s\n", key, eq + 1);
	xasprintf(&name, "--set %s", kv);
	d = ydoc_load_arg(name, text, strlen(text), &err);
	free(name);
	free(text);
	free(key);
	p = d != NULL ? ynode_get(d->root, "params") : NULL;
	if (err != NULL) {
		*cause = err;		/* "--set k=v: YAML syntax error: ..." */
		return NULL;
	}
	if (p == NULL || d->root->kind != YNODE_MAP || d->root->n != 1 ||
	    p->kind != YNODE_MAP || p->n != 1) {
		xasprintf(cause, "--set %s: the value is not one YAML value",
		    kv);
		ydoc_free(d);
		return NULL;
	}
	return d;
}

/*
 * apply_sets - graft each --set value (from parse_set) into the job's
 * params, replacing a key of that name; errors about them (which name
 * "--set") go to the job's list.  Returns the params.  The set
 * documents must outlive them.
 */
struct ynode *
apply_sets(struct job *j, struct ydoc **sets, size_t nsets)
{
	struct ynode *params = j->params;

	for (size_t i = 0; i < nsets; i++) {
		struct ynode	*set = ynode_get(sets[i]->root, "params");
		struct ynode	*key = set->keys[0], *val = set->items[0];
		struct ynode	**keys, **items;
		size_t		 k;

		sets[i]->errs_to = &j->doc->errs;
		if (params == NULL) {
			params = set;
			continue;
		}
		for (k = 0; k < params->n; k++)
			if (strcmp(params->keys[k]->str, key->str) == 0)
				break;
		if (k == params->n) {
			/* The arrays live in the job's arena: copy, grow. */
			keys = ydoc_alloc(j->doc, (k + 1) * sizeof *keys);
			items = ydoc_alloc(j->doc, (k + 1) * sizeof *items);
			memcpy(keys, params->keys, k * sizeof *keys);
			memcpy(items, params->items, k * sizeof *items);
			params->keys = keys;
			params->items = items;
			params->keys[k] = key;
			params->n++;
		}
		params->items[k] = val;
	}
	return params;
}

/* job_to_json - a job as weftctl shows it. */
json_t *
job_to_json(const struct job *j)
{
	json_t			*o;
	const struct ynode	*desc = ynode_get(j->doc->root, "description");

	o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:I, s:i, s:b, s:s}",
	    "name", j->name, "file", j->file, "workload", j->workload,
	    "strategy", j->strategy, "concurrency", (json_int_t)j->concurrency,
	    "schedule", j->sched_text, "timeout_ms", (json_int_t)j->timeout_ms,
	    "retries", j->retries, "enabled", j->enabled, "resume",
	    j->resume_auto ? "auto" : "never");
	if (desc != NULL && desc->kind == YNODE_SCALAR)
		json_object_set_new(o, "description", json_string(desc->str));
	if (j->stale != NULL)
		json_object_set_new(o, "file_error", json_string(j->stale));
	json_object_set_new(o, "params", j->params ? ynode_to_json(j->params) :
	    json_object());
	if (j->sparams != NULL)
		json_object_set_new(o, "strategy_params",
		    ynode_to_json(j->sparams));
	return o;
}
