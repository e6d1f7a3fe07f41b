/*
 * schedule.c - timers that start jobs: at-start, every DURATION, and
 * cron.  A job whose previous run is still going is not started again
 * by its schedule; the skip is logged.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftd.h"

struct sched {
	char			*job;
	enum sched_kind		 kind;
	struct event		*ev;
	time_t			 next;		/* 0: not armed */
	uint64_t		 every_ms;
	TAILQ_ENTRY(sched)	 entry;
};
static TAILQ_HEAD(, sched) scheds = TAILQ_HEAD_INITIALIZER(scheds);

static void	arm(struct sched *);

static void
fire(const char *name, const char *trigger)
{
	struct job		*j = config_find_job(weftd.conf, name);
	struct run_request	*req;
	struct run		*r;
	json_t			*info;
	char			*cause;

	if (j == NULL || weftd.stopping)
		return;
	if ((r = job_running(name)) != NULL) {
		log_info("job %s: schedule fired but run %lld is still going; "
		    "skipped", name, r->id);
		return;
	}
	req = xcalloc(1, sizeof *req);
	req->job = j;
	req->trigger = xstrdup(trigger);
	if (run_start(req, &info, &cause) != 0) {
		log_warnx("job %s: scheduled run not started: %s", name, cause);
		free(cause);
		return;
	}
	json_decref(info);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct sched *s = arg;

	s->next = 0;
	if (s->kind == SCHED_EVERY)
		s->next = time(NULL) + (time_t)(s->every_ms / 1000);
	fire(s->job, s->kind == SCHED_AT_START ? "at-start" : "schedule");
	if (s->kind == SCHED_CRON)
		arm(s);
}

/* arm - set the timer for the next cron time. */
static void
arm(struct sched *s)
{
	struct job	*j = config_find_job(weftd.conf, s->job);
	time_t		 now = time(NULL), next;
	struct timeval	 tv;

	if (j == NULL || (next = cron_next(&j->cron, now)) == (time_t)-1) {
		log_warnx("job %s: cron expression never fires", s->job);
		return;
	}
	s->next = next;
	tv.tv_sec = next - now;
	tv.tv_usec = 0;
	evtimer_add(s->ev, &tv);
}

void
schedule_clear(void)
{
	struct sched *s;

	while ((s = TAILQ_FIRST(&scheds)) != NULL) {
		TAILQ_REMOVE(&scheds, s, entry);
		event_free(s->ev);
		free(s->job);
		free(s);
	}
}

/*
 * schedule_apply - (re)create the timers of every enabled job.  at_start
 * is set once, when weftd starts, to run the at-start jobs.
 */
void
schedule_apply(int at_start)
{
	struct job *j;

	schedule_clear();
	TAILQ_FOREACH(j, &weftd.conf->jobs, entry) {
		struct sched	*s;
		struct timeval	 tv = { 0, 0 };

		if (!j->enabled || j->sched == SCHED_ON_DEMAND ||
		    (j->sched == SCHED_AT_START && !at_start))
			continue;
		s = xcalloc(1, sizeof *s);
		s->job = xstrdup(j->name);
		s->kind = j->sched;
		TAILQ_INSERT_TAIL(&scheds, s, entry);
		switch (j->sched) {
		case SCHED_AT_START:
			s->ev = evtimer_new(weftd.base, on_timer, s);
			evtimer_add(s->ev, &tv);
			break;
		case SCHED_EVERY:
			s->ev = event_new(weftd.base, -1, EV_PERSIST, on_timer,
			    s);
			tv.tv_sec = (time_t)(j->every_ms / 1000);
			tv.tv_usec = (suseconds_t)(j->every_ms % 1000) * 1000;
			s->every_ms = j->every_ms;
			s->next = time(NULL) + tv.tv_sec;
			evtimer_add(s->ev, &tv);
			break;
		case SCHED_CRON:
			s->ev = evtimer_new(weftd.base, on_timer, s);
			arm(s);
			break;
		default:
			break;
		}
	}
}

/* schedule_next_text - when the job's schedule next fires, or NULL. */
char *
schedule_next_text(const struct job *j)
{
	struct sched	*s;
	char		 buf[64];
	struct tm	 tm;

	TAILQ_FOREACH(s, &scheds, entry) {
		if (strcmp(s->job, j->name) != 0 || s->next == 0)
			continue;
		localtime_r(&s->next, &tm);
		strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
		return xstrdup(buf);
	}
	return NULL;
}
