/*
 * warm.c - the warm runner: one weft-runner started ahead of its run.
 *
 * A run spends its first milliseconds before any task: weftd spawns
 * weft-runner (an exec), which loads its libraries and then the run's
 * two plugins (a download plugin's libcurl pulls in thirty libraries:
 * 4-5 ms of relocations).  So when a run ends, weftd starts a runner
 * with that run's two plugin files; it loads them (as the run's own
 * runner would: the same sealed copies, no plugin code run) and waits.
 * The next run of the same two plugins (a job run again, as schedules
 * and benchmarks do) is handed to it: the run's descriptors
 * (runner_give_fds), then its RUN message, as a runner started for the
 * run gets them.  Until then it holds two plugins and no job.
 *
 * One at a time.  Its plugins are known by the inodes of the catalog's
 * copies, which stay alive, and so unique, as long as it maps them: a
 * plugin file changed and rescanned is a new copy, and the warm runner
 * of the old one is not used (it is replaced when a run of the new one
 * ends).  weftd keeps its socket: when weftd is gone, it reads EOF and
 * exits.  warm_runner: false in weftd.yaml turns all of this off.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

static struct {
	pid_t	 pid;		/* 0: none */
	int	 fd;
	dev_t	 dev[2];	/* its plugins' copies: workload, strategy */
	ino_t	 ino[2];
	char	*workload, *strategy;
} warm = { 0, -1, { 0, 0 }, { 0, 0 }, NULL, NULL };

/* holds - whether the warm runner loaded the copy p->fd as its i-th. */
static int
holds(int i, const struct plugin *p)
{
	struct stat st;

	return p->fd >= 0 && fstat(p->fd, &st) == 0 && st.st_dev ==
	    warm.dev[i] && st.st_ino == warm.ino[i];
}

/* forget - the slot is empty (the process is someone else's now, or
 * gone). */
static void
forget(void)
{
	if (warm.fd >= 0)
		close(warm.fd);
	free(warm.workload);
	free(warm.strategy);
	warm.pid = 0;
	warm.fd = -1;
	warm.workload = warm.strategy = NULL;
}

/* drop - the warm runner is not wanted: killed (runs_reap reaps it). */
static void
drop(void)
{
	if (warm.pid == 0)
		return;
	log_debug("warm runner %ld (%s, %s): dropped", (long)warm.pid,
	    warm.workload, warm.strategy);
	kill(warm.pid, SIGKILL);
	forget();
}

/*
 * warm_take - the warm runner, if it loaded exactly wp and sp: 1 with
 * its pid and socket (the run's now: the slot is empty), else 0.
 */
int
warm_take(const struct plugin *wp, const struct plugin *sp, pid_t *pid,
    int *fd)
{
	if (warm.pid == 0 || !holds(0, wp) || !holds(1, sp))
		return 0;
	*pid = warm.pid;
	*fd = warm.fd;
	warm.fd = -1;
	forget();
	return 1;
}

/*
 * start_now - unless one holds them already, start a warm runner with
 * the plugins of workload and strategy, as the catalog has them now.
 */
static void
start_now(const char *workload, const char *strategy)
{
	const struct plugin	*wp, *sp;
	struct stat		 st[2];
	int			 fds[3], fd;
	pid_t			 pid;
	char			*cause;

	if (!weftd.conf->warm_runner || weftd.stopping)
		return;
	wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD, workload);
	sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY, strategy);
	if (wp == NULL || sp == NULL || wp->fd < 0 || sp->fd < 0)
		return;		/* gone, or built in (cluster) */
	if (warm.pid != 0 && holds(0, wp) && holds(1, sp))
		return;
	if (fstat(wp->fd, &st[0]) != 0 || fstat(sp->fd, &st[1]) != 0)
		return;
	drop();
	/* Its fds 4, 5, 6 as a run's runner has them; 4 (the crash page)
	 * is replaced by the run's. */
	fds[0] = wp->fd;
	fds[1] = wp->fd;
	fds[2] = sp->fd;
	if (runner_spawn(SPAWN_WARM, fds, 3, &fd, &pid, &cause) != 0) {
		log_warnx("warm runner: %s", cause);
		free(cause);
		return;
	}
	warm.pid = pid;
	warm.fd = fd;
	for (int i = 0; i < 2; i++) {
		warm.dev[i] = st[i].st_dev;
		warm.ino[i] = st[i].st_ino;
	}
	warm.workload = xstrdup(workload);
	warm.strategy = xstrdup(strategy);
	log_debug("warm runner %ld: %s, %s", (long)pid, workload, strategy);
}

static char		*next_w, *next_s;
static struct event	*ev_next;

static void
on_next(evutil_socket_t fd, short what, void *arg)
{
	start_now(next_w, next_s);
	free(next_w);
	free(next_s);
	next_w = next_s = NULL;
}

/*
 * warm_start - a run of workload and strategy has ended: a warm runner
 * for the next run of the two, started once this turn of the loop has
 * sent the replies (a spawn holds weftd for a fraction of a ms).
 */
void
warm_start(const char *workload, const char *strategy)
{
	static const struct timeval now = { 0, 0 };

	if (!weftd.conf->warm_runner || weftd.stopping)
		return;
	free(next_w);
	free(next_s);
	next_w = xstrdup(workload);
	next_s = xstrdup(strategy);
	if (ev_next == NULL)
		ev_next = evtimer_new(weftd.base, on_next, NULL);
	evtimer_add(ev_next, &now);
}

/*
 * warm_reaped - pid has exited: 1 if it was the warm runner (the next
 * run starts a runner of its own), else 0.
 */
int
warm_reaped(pid_t pid, int status)
{
	if (warm.pid == 0 || pid != warm.pid)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("the warm runner (%s, %s) was killed by %s before "
		    "it had a run; the next run starts its own", warm.workload,
		    warm.strategy, signal_name(WTERMSIG(status)));
	else
		log_warnx("the warm runner (%s, %s) exited with status %d "
		    "before it had a run (see the log above); the next run "
		    "starts its own", warm.workload, warm.strategy,
		    WEXITSTATUS(status));
	forget();
	return 1;
}

/* warm_json - the warm runner, for weftctl status: null if none. */
json_t *
warm_json(void)
{
	if (warm.pid == 0)
		return json_null();
	return json_pack("{s:I, s:s, s:s}", "pid", (json_int_t)warm.pid,
	    "workload", warm.workload, "strategy", warm.strategy);
}

/* warm_stop - weftd stops, or the option was turned off. */
void
warm_stop(void)
{
	if (ev_next != NULL) {
		event_free(ev_next);
		ev_next = NULL;
	}
	free(next_w);
	free(next_s);
	next_w = next_s = NULL;
	drop();
}
