/*
 * weftd.c - the supervisor: options, configuration (re)loading, signals,
 * and the one libevent loop everything else hangs on.  weftd never runs
 * plugin code itself: plugins are probed and run by weft-runner
 * processes it spawns (lib/spawn.c).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"
#include "cluster.h"

struct weftd weftd;

static void NORETURN
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: weftd [-fhv] [-c config] [--check] [--socket path] "
	    "[--log-level level]\n"
	    "  -c, --config FILE   configuration file (default %s)\n"
	    "  -f, --foreground    stay in the foreground, log to stderr\n"
	    "      --check         check the configuration, every job file "
	    "and the plugins, then exit\n"
	    "  -s, --socket PATH   control socket (overrides the "
	    "configuration)\n"
	    "  -v                  more verbose (repeat for debug)\n"
	    "      --log-level L   error, warning, info or debug\n"
	    "  -V, --version       print the version\n",
	    WEFT_CONFIG_FILE);
	exit(status);
}

/*
 * job_problem - why the job cannot run now, or NULL if it can (a job
 * kept from before its file broke runs, and says so in weftctl jobs).
 */
const char *
job_problem(const struct job *j, char *buf, size_t len)
{
	if (!j->enabled)
		snprintf(buf, len, "disabled");
	else if (catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD,
	    j->workload) == NULL)
		snprintf(buf, len, "workload plugin \"%s\" missing",
		    j->workload);
	else if (strcmp(j->strategy, "auto") != 0 &&
	    catalog_find(weftd.catalog, WEFT_KIND_STRATEGY,
	    j->strategy) == NULL)
		snprintf(buf, len, "strategy plugin \"%s\" missing",
		    j->strategy);
	else
		return NULL;
	return buf;
}

static char *
available(const struct catalog *cat, int kind)
{
	char	*s = xstrdup(""), *t;

	for (size_t i = 0; i < cat->n; i++) {
		if (cat->v[i].rejected != NULL || cat->v[i].kind != kind)
			continue;
		xasprintf(&t, "%s%s%s", s, *s ? ", " : "", cat->v[i].name);
		free(s);
		s = t;
	}
	return s;
}

/*
 * weftd_check_job - the job must name a workload and strategy that the
 * catalog holds; add an error positioned at the key otherwise.  The
 * number of errors.
 */
int
weftd_check_job(const struct job *j, const struct catalog *cat,
    struct errlist *el)
{
	static const struct { const char *key; int kind; } k[] = {
		{ "workload", WEFT_KIND_WORKLOAD },
		{ "strategy", WEFT_KIND_STRATEGY },
	};
	int bad = 0;

	for (int i = 0; i < 2; i++) {
		const char	*name = i ? j->strategy : j->workload;
		struct ynode	*n = ynode_get(j->doc->root, k[i].key);
		char		*avail;

		if (catalog_find(cat, k[i].kind, name) != NULL ||
		    (i == 1 && strcmp(name, "auto") == 0))
			continue;
		avail = available(cat, k[i].kind);
		errlist_add(el, "%s:%u:%u: %s: no %s plugin \"%s\" "
		    "(available: %s)", j->file, n ? n->line : 1,
		    n ? n->col : 1, k[i].key, k[i].key, name,
		    *avail ? avail : "none");
		free(avail);
		bad++;
	}
	return bad;
}

static void
log_errors(const struct errlist *el)
{
	for (size_t i = 0; i < el->n; i++)
		log_warnx("%s", el->v[i]);
}

/*
 * notify_reloading - RELOADING=1 with MONOTONIC_USEC, which systemd's
 * Type=notify-reload wants and older systemd ignores.
 */
static void
notify_reloading(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify("RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000);
}

/*
 * keep_stale - a job file that is broken now but held a job before
 * keeps that job as it was loaded (marked, with the error) in the new
 * configuration c, as start rejects a broken file alone; el gets a line
 * naming the job.
 */
static void
keep_stale(struct config *c, struct errlist *el)
{
	struct job *j, *tmp;

	for (size_t i = 0; i < c->nbad; i++) {
		for (j = TAILQ_FIRST(&weftd.conf->jobs); j != NULL; j = tmp) {
			tmp = TAILQ_NEXT(j, entry);
			if (strcmp(j->file, c->bad[i].file) != 0 ||
			    config_find_job(c, j->name) != NULL)
				continue;
			TAILQ_REMOVE(&weftd.conf->jobs, j, entry);
			weftd.conf->njobs--;
			free(j->stale);
			j->stale = xstrdup(c->bad[i].error);
			TAILQ_INSERT_TAIL(&c->jobs, j, entry);
			c->njobs++;
			errlist_add(el, "job %s keeps the version loaded before, "
			    "since %s is broken", j->name, j->file);
		}
	}
}

/*
 * weftd_reload - re-read the configuration, the jobs and the plugin
 * directories.  An error in the configuration itself refuses the whole
 * reload: the old set stays.  A broken job file is rejected alone, as
 * at start: the other files take effect, and a job the broken file
 * held before keeps that version.  Every error goes to el (and the
 * log).  0, or -1 if the reload was refused.
 */
int
weftd_reload(struct errlist *el)
{
	struct config	*c;
	struct catalog	*cat;
	int		 bad;

	log_info("reloading %s", weftd.config_path ? weftd.config_path :
	    "the configuration");
	notify_reloading();
	c = config_load(weftd.config_path, weftd.socket_override, el, &bad);
	if (c == NULL) {
		notify("READY=1\nSTATUS=reload refused (%zu errors); %zu jobs, "
		    "%d running", el->n, weftd.conf->njobs, runs_active());
		log_warnx("reload refused, keeping the running "
		    "configuration:");
		log_errors(el);
		return -1;
	}
	keep_stale(c, el);
	cat = catalog_scan(c->plugin_dirs, c->nplugin_dirs, weftd.catalog);
	if (strcmp(c->socket, weftd.conf->socket) != 0)
		log_warnx("the control socket moved to %s; that takes a "
		    "restart (still listening on %s)", c->socket,
		    weftd.conf->socket);
	free(c->socket);
	c->socket = xstrdup(weftd.conf->socket);
	if (strcmp(c->state_dir, weftd.conf->state_dir) != 0)
		log_warnx("state_dir changed; that takes a restart");
	free(c->state_dir);
	c->state_dir = xstrdup(weftd.conf->state_dir);
	if (!cluster_same(c->cluster, weftd.conf->cluster))
		log_warnx("the cluster: settings changed; that takes a "
		    "restart");
	cluster_conf_free(c->cluster);
	c->cluster = weftd.conf->cluster;
	weftd.conf->cluster = NULL;

	/* Runs keep what they were sent; timers name jobs, not pointers. */
	config_free(weftd.conf);
	catalog_free(weftd.catalog);
	weftd.conf = c;
	weftd.catalog = cat;
	warm_trim(c->warm_runners);
	weftd.bad_jobs = bad;
	errlist_clear(&weftd.load_errors);
	for (size_t i = 0; i < el->n; i++)
		errlist_add(&weftd.load_errors, "%s", el->v[i]);
	log_setlevel(c->log_level);
	schedule_apply(0);
	catalog_watch();
	if (bad) {
		log_warnx("reloaded with %d job file%s rejected:", bad,
		    bad == 1 ? "" : "s");
		log_errors(el);
	}
	log_info("reloaded: %zu jobs, %zu plugins", c->njobs, cat->n);
	notify("READY=1");
	notify_status();
	return 0;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct errlist el = { 0 };

	switch (sig) {
	case SIGHUP:
		weftd_reload(&el);
		errlist_clear(&el);
		break;
	case SIGTERM:
	case SIGINT:
		if (weftd.stopping)
			break;
		log_info("%s: stopping; cancelling %d runs",
		    signal_name((int)sig), runs_active());
		notify("STOPPING=1\nSTATUS=stopping, cancelling %d runs",
		    runs_active());
		weftd.stopping = 1;
		warm_trim(0);
		control_close();
		schedule_clear();
		cluster_stop();
		if (runs_active() == 0)
			event_base_loopbreak(weftd.base);
		else
			runs_cancel_all();
		break;
	case SIGCHLD:
		runs_reap();
		break;
	}
}

/* mkdirs - mkdir -p, 0750. */
static int
mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *s = p + 1; *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			free(p);
			return -1;
		}
		*s = '/';
	}
	free(p);
	if (mkdir(path, 0750) != 0 && errno != EEXIST)
		return -1;
	return 0;
}

/*
 * raise_nofile - runs may hold thousands of sockets (a download at
 * concurrency 1000); lift the soft descriptor limit to the hard one.
 */
static void
raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("setrlimit RLIMIT_NOFILE");
	}
}

/*
 * check_params - let each job's workload judge its params, each in a
 * weft-runner of its own (weftd never runs plugin code itself), and add
 * what it says to el.  Jobs whose workload is missing were reported
 * already.
 */
static void
check_params(struct config *c, struct catalog *cat, struct errlist *el)
{
	struct job *j;

	TAILQ_FOREACH(j, &c->jobs, entry) {
		const struct plugin	*p = catalog_find(cat,
					    WEFT_KIND_WORKLOAD, j->workload);
		struct proto_check	 req;
		struct proto_msg	 m;
		json_t			*e;
		int			 status;
		char			*cause = NULL, fdpath[64];
		size_t			 i;

		if (p == NULL)
			continue;
		snprintf(fdpath, sizeof fdpath, PLUGIN_FD_PATH, 4);
		req.file = j->file;
		req.text = j->text;
		req.workload_path = fdpath;
		req.log_level = log_getlevel();
		req.log_dest = weftd.log_dest;
		if (runner_call(PROTO_CHECK, &req, p->fd, 10000, &m, &status,
		    &cause) != 1) {
			errlist_add(el, "%s: workload %s crashed, hung or "
			    "failed while checking its params%s%s", j->file,
			    j->workload, cause ? ": " : "", cause ? cause : "");
			free(cause);
			continue;
		}
		if (m.type == PROTO_ERROR)
			errlist_add(el, "%s: %s", j->file, m.u.error.message);
		else if (m.type == PROTO_PARAMS)
			json_array_foreach(m.u.params.errors, i, e)
				errlist_add(el, "%s", json_string_value(e));
		proto_clear(&m);
	}
}

static int
check_only(void)
{
	struct errlist	 el = { 0 };
	struct config	*c;
	struct catalog	*cat;
	struct job	*j;
	int		 bad;

	c = config_load(weftd.config_path, weftd.socket_override, &el, &bad);
	if (c != NULL) {
		cat = catalog_scan(c->plugin_dirs, c->nplugin_dirs, NULL);
		TAILQ_FOREACH(j, &c->jobs, entry)
			weftd_check_job(j, cat, &el);
		check_params(c, cat, &el);
		for (size_t i = 0; i < cat->n; i++)
			if (cat->v[i].rejected != NULL)
				errlist_add(&el, "%s: plugin rejected: %s",
				    cat->v[i].path, cat->v[i].rejected);
		if (el.n == 0)
			printf("weftd: configuration %s OK: %zu jobs, %zu "
			    "plugins\n", c->path ? c->path : "(defaults)",
			    c->njobs, cat->n);
		catalog_free(cat);
		config_free(c);
	}
	for (size_t i = 0; i < el.n; i++)
		fprintf(stderr, "%s\n", el.v[i]);
	bad = el.n != 0;
	if (bad)
		fprintf(stderr, "weftd: %zu error%s\n", el.n,
		    el.n == 1 ? "" : "s");
	errlist_clear(&el);
	return bad;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check", no_argument, NULL, 'C' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct errlist	 el = { 0 };
	struct event	*sigs[5];
	const int	 signums[] = { SIGHUP, SIGTERM, SIGINT, SIGCHLD };
	int		 ch, foreground = 0, check = 0, verbose = 0;
	int		 level = -1, dest, fd;
	char		*cause;

	while ((ch = getopt_long(argc, argv, "c:fs:vhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			/*
			 * Relative paths in the configuration are taken from
			 * its directory; make that absolute now, before
			 * daemon(3) changes to /.
			 */
			if ((weftd.config_path = realpath(optarg, NULL)) ==
			    NULL) {
				fprintf(stderr, "weftd: %s: %s\n", optarg,
				    strerror(errno));
				return 1;
			}
			break;
		case 'f':
			foreground = 1;
			break;
		case 'C':
			check = 1;
			break;
		case 's':
			if (optarg[0] != '/') {
				char cwd[4096];

				if (getcwd(cwd, sizeof cwd) == NULL)
					fatal("getcwd");
				xasprintf(&weftd.socket_override, "%s/%s", cwd,
				    optarg);
			} else
				weftd.socket_override = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'L':
			if ((level = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "weftd: --log-level: expected "
				    "error, warning, info or debug\n");
				return 2;
			}
			break;
		case 'V':
			printf("weftd %s (plugin ABI %d.%d)\n",
			    PACKAGE_VERSION, WEFT_ABI_MAJOR, WEFT_ABI_MINOR);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	dest = getenv("JOURNAL_STREAM") != NULL ? LOG_TO_JOURNAL :
	    foreground || check ? LOG_TO_STDERR : LOG_TO_SYSLOG;
	weftd.log_dest = dest;
	log_init("weftd", level >= 0 ? level : 2 + verbose, dest);
	if (access(runner_path(), X_OK) != 0) {
		log_msg(0, "weft-runner (%s): %s; weftd runs every plugin in "
		    "it (set WEFT_RUNNER to its path, or reinstall weft)",
		    runner_path(), strerror(errno));
		return 1;
	}
	if (check)
		return check_only();

	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	notify_init();
	weftd.started = time(NULL);
	weftd.conf = config_load(weftd.config_path, weftd.socket_override,
	    &weftd.load_errors, &weftd.bad_jobs);
	log_errors(&weftd.load_errors);
	if (weftd.conf == NULL)
		fatalx("cannot start with a broken configuration (weftd "
		    "--check shows every error)");
	if (level < 0)
		log_setlevel(verbose ? weftd.conf->log_level + verbose :
		    weftd.conf->log_level);
	if (weftd.bad_jobs)
		log_warnx("%d job file%s rejected; the other jobs run",
		    weftd.bad_jobs, weftd.bad_jobs == 1 ? "" : "s");
	if (mkdirs(weftd.conf->state_dir) != 0)
		fatal("state directory %s", weftd.conf->state_dir);

	if (!foreground && daemon(0, 0) != 0)
		fatal("daemon");
	if ((weftd.base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	weftd.catalog = catalog_scan(weftd.conf->plugin_dirs,
	    weftd.conf->nplugin_dirs, NULL);
	history_init();
	/* Everything that can fail before the control socket appears. */
	if (metrics_listen(weftd.conf->metrics_listen, &cause) != 0)
		fatalx("%s", cause);
	if ((fd = listen_fd()) >= 0) {
		if (control_adopt(fd, &cause) != 0)
			fatalx("control socket: %s", cause);
	} else if (control_listen(weftd.conf->socket, weftd.conf->socket_mode,
	    &cause) != 0)
		fatalx("control socket: %s", cause);
	for (size_t i = 0; i < sizeof signums / sizeof *signums; i++) {
		sigs[i] = evsignal_new(weftd.base, signums[i], on_signal, NULL);
		evsignal_add(sigs[i], NULL);
	}
	recover_runs();
	cluster_start();
	schedule_apply(1);
	catalog_watch();
	log_info("weftd %s started: %zu jobs, %zu plugins, pid %ld",
	    PACKAGE_VERSION, weftd.conf->njobs, weftd.catalog->n,
	    (long)getpid());
	watchdog_init();
	notify("READY=1\nMAINPID=%ld", (long)getpid());
	notify_status();

	event_base_dispatch(weftd.base);

	runs_exiting_kill();
	warm_trim(0);
	history_close();
	log_info("weftd stopped");
	notify_close();
	metrics_close();
	catalog_unwatch();
	control_close();
	schedule_clear();
	for (size_t i = 0; i < sizeof signums / sizeof *signums; i++)
		event_free(sigs[i]);
	catalog_free(weftd.catalog);
	config_free(weftd.conf);
	errlist_clear(&weftd.load_errors);
	errlist_clear(&el);
	event_base_free(weftd.base);
	return 0;
}
