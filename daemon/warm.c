/*
 * warm.c - warm runners: weft-runners started ahead of their runs.
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
 * At most warm_runners of them (weftd.yaml; 0 turns this off), one per
 * pair of plugins, the pair used least recently making way.  Their
 * plugins are known by the inodes of the catalog's copies, which stay
 * alive, and so unique, as long as a warm runner maps them: a plugin
 * file changed and rescanned is a new copy, and the warm runner of the
 * old one is killed at the rescan (an unchanged file keeps its copy,
 * and its warm runners stay).  weftd keeps their
 * sockets: when weftd is gone, they read EOF and exit.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "weftd.h"

#define WARM_MAX	16	/* warm_runners is at most this */

static struct slot {
	pid_t		 pid;		/* 0: none */
	int		 fd;
	dev_t		 dev[2];	/* its plugins' copies: workload,
					   strategy */
	ino_t		 ino[2];
	char		*workload, *strategy;
	unsigned long	 used;		/* when it was last wanted */
} slots[WARM_MAX];
static unsigned long	clock_;

/* holds - whether s loaded the copy p->fd as its i-th plugin. */
static int
holds(const struct slot *s, int i, const struct plugin *p)
{
	struct stat st;

	return s->pid != 0 && p->fd >= 0 && fstat(p->fd, &st) == 0 &&
	    st.st_dev == s->dev[i] && st.st_ino == s->ino[i];
}

/* find - the slot holding wp and sp, or NULL. */
static struct slot *
find(const struct plugin *wp, const struct plugin *sp)
{
	for (int i = 0; i < WARM_MAX; i++)
		if (holds(&slots[i], 0, wp) && holds(&slots[i], 1, sp))
			return &slots[i];
	return NULL;
}

/* forget - s is empty (its process is a run's now, or gone). */
static void
forget(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->workload);
	free(s->strategy);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

/* drop - s is not wanted: its runner killed (runs_reap reaps it). */
static void
drop(struct slot *s)
{
	if (s->pid == 0)
		return;
	log_debug("warm runner %ld (%s, %s): dropped", (long)s->pid,
	    s->workload, s->strategy);
	kill(s->pid, SIGKILL);
	forget(s);
}

/*
 * warm_take - a warm runner that loaded exactly wp and sp: 1 with its
 * pid and socket (the run's now: the slot is empty), else 0.
 */
int
warm_take(const struct plugin *wp, const struct plugin *sp, pid_t *pid,
    int *fd)
{
	struct slot *s = find(wp, sp);

	if (s == NULL)
		return 0;
	*pid = s->pid;
	*fd = s->fd;
	s->fd = -1;
	forget(s);
	return 1;
}

/*
 * start_now - unless one holds them already, start a warm runner with
 * the plugins of workload and strategy, as the catalog has them now, in
 * an empty slot or the one wanted least recently.
 */
static void
start_now(const char *workload, const char *strategy)
{
	const struct plugin	*wp, *sp;
	struct slot		*s, *lru = NULL;
	struct stat		 st[2];
	int			 n = weftd.conf->warm_runners, fds[3], fd;
	pid_t			 pid;
	char			*cause;

	if (n <= 0 || weftd.stopping)
		return;
	wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD, workload);
	sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY, strategy);
	if (wp == NULL || sp == NULL || wp->fd < 0 || sp->fd < 0)
		return;		/* gone, or built in (cluster) */
	if ((s = find(wp, sp)) != NULL) {
		s->used = ++clock_;
		return;
	}
	if (fstat(wp->fd, &st[0]) != 0 || fstat(sp->fd, &st[1]) != 0)
		return;
	for (int i = 0; i < n && i < WARM_MAX; i++) {
		if (slots[i].pid == 0) {
			lru = &slots[i];
			break;
		}
		if (lru == NULL || slots[i].used < lru->used)
			lru = &slots[i];
	}
	drop(lru);
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
	lru->pid = pid;
	lru->fd = fd;
	for (int i = 0; i < 2; i++) {
		lru->dev[i] = st[i].st_dev;
		lru->ino[i] = st[i].st_ino;
	}
	lru->workload = xstrdup(workload);
	lru->strategy = xstrdup(strategy);
	lru->used = ++clock_;
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

	if (weftd.conf->warm_runners <= 0 || weftd.stopping)
		return;
	if (next_w != NULL)	/* another run ended this turn: it first */
		start_now(next_w, next_s);
	free(next_w);
	free(next_s);
	next_w = xstrdup(workload);
	next_s = xstrdup(strategy);
	if (ev_next == NULL)
		ev_next = evtimer_new(weftd.base, on_next, NULL);
	evtimer_add(ev_next, &now);
}

/*
 * warm_reaped - pid has exited: 1 if it was a warm runner (the next run
 * of its plugins starts its own), else 0.
 */
int
warm_reaped(pid_t pid, int status)
{
	struct slot *s = NULL;

	for (int i = 0; i < WARM_MAX && s == NULL; i++)
		if (slots[i].pid != 0 && slots[i].pid == pid)
			s = &slots[i];
	if (s == NULL)
		return 0;
	if (WIFSIGNALED(status))
		log_warnx("the warm runner (%s, %s) was killed by %s before "
		    "it had a run; the next run starts its own", s->workload,
		    s->strategy, signal_name(WTERMSIG(status)));
	else
		log_warnx("the warm runner (%s, %s) exited with status %d "
		    "before it had a run (see the log above); the next run "
		    "starts its own", s->workload, s->strategy,
		    WEXITSTATUS(status));
	forget(s);
	return 1;
}

/* warm_json - the warm runners, for weftctl status, wanted last first. */
json_t *
warm_json(void)
{
	json_t	*a = json_array();
	int	 order[WARM_MAX], n = 0;

	for (int i = 0; i < WARM_MAX; i++)
		if (slots[i].pid != 0)
			order[n++] = i;
	for (int i = 1; i < n; i++)	/* a handful: insertion sort */
		for (int j = i; j > 0 && slots[order[j - 1]].used <
		    slots[order[j]].used; j--) {
			int t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (int i = 0; i < n; i++) {
		const struct slot *s = &slots[order[i]];

		json_array_append_new(a, json_pack("{s:I, s:s, s:s}", "pid",
		    (json_int_t)s->pid, "workload", s->workload, "strategy",
		    s->strategy));
	}
	return a;
}

/* current - whether s holds the copies the catalog has now. */
static int
current(const struct slot *s)
{
	const struct plugin *wp, *sp;

	wp = catalog_find(weftd.catalog, WEFT_KIND_WORKLOAD, s->workload);
	sp = catalog_find(weftd.catalog, WEFT_KIND_STRATEGY, s->strategy);
	return wp != NULL && sp != NULL && holds(s, 0, wp) && holds(s, 1, sp);
}

/*
 * warm_trim - weftd stops (n = 0), warm_runners is now n, or the
 * catalog was scanned again: the warm runners beyond n go, and those of
 * a plugin copy the catalog no longer has (a file changed or gone),
 * which no run would be given.
 */
void
warm_trim(int n)
{
	if (n <= 0 && ev_next != NULL) {
		event_free(ev_next);
		ev_next = NULL;
		free(next_w);
		free(next_s);
		next_w = next_s = NULL;
	}
	for (int i = 0; i < WARM_MAX; i++)
		if (slots[i].pid != 0 && (i >= n || !current(&slots[i])))
			drop(&slots[i]);
}
