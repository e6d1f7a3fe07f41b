/*
 * metrics.c - the optional Prometheus endpoint (metrics_listen in
 * weftd.yaml): /metrics in the text exposition format and /health,
 * served by libevent's HTTP server on the daemon's loop.  Counters are
 * since weftd started, as Prometheus expects; status labels are the
 * status classes (ok, failed, timed_out, cancelled, crashed), so the
 * label set stays small.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "weftd.h"

static const double buckets[] = { 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60,
    300, 900, 3600 };
#define NBUCKETS	(sizeof buckets / sizeof *buckets)
#define NCLASSES	RUN_NSTATUS

struct jobstat {
	char			*job;
	unsigned long long	 runs[NCLASSES];
	unsigned long long	 tasks_ok, tasks_failed, tasks_cancelled;
	unsigned long long	 hist[NBUCKETS];	/* cumulative later */
	unsigned long long	 count;
	double			 sum;
	struct jobstat		*next;
};

static struct jobstat	*stats;
static struct evhttp	*http;

static struct jobstat *
stat_of(const char *job)
{
	struct jobstat *s;

	for (s = stats; s != NULL; s = s->next)
		if (strcmp(s->job, job) == 0)
			return s;
	s = xcalloc(1, sizeof *s);
	s->job = xstrdup(job);
	s->next = stats;
	stats = s;
	return s;
}

/* on_run - count an ended run's record. */
static void
on_run(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st, void *arg)
{
	struct jobstat	*s;
	json_t		*t = json_object_get(rec, "tasks");
	double		 wall = json_number_value(json_object_get(rec,
			    "wall_s"));

	if (ev != RUN_ENDED)
		return;
	s = stat_of(r->job);
	s->runs[st]++;
	s->tasks_ok += (unsigned long long)json_integer_value(
	    json_object_get(t, "ok"));
	s->tasks_failed += (unsigned long long)json_integer_value(
	    json_object_get(t, "failed"));
	s->tasks_cancelled += (unsigned long long)json_integer_value(
	    json_object_get(t, "cancelled"));
	for (size_t i = 0; i < NBUCKETS; i++)
		if (wall <= buckets[i])
			s->hist[i]++;
	s->count++;
	s->sum += wall;
}

/* label - a label value, escaped as the exposition format wants. */
static void
label(struct evbuffer *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static long
rss_bytes(void)
{
	FILE	*f = fopen("/proc/self/statm", "r");
	long	 size, rss = 0;

	if (f != NULL) {
		if (fscanf(f, "%ld %ld", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return rss * sysconf(_SC_PAGESIZE);
}

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*b;
	struct jobstat	*s;
	size_t		 i;

	if (!http_readable(req))
		return;
	b = evbuffer_new();

	evbuffer_add_printf(b, "# HELP weft_runs_total Runs ended, by job "
	    "and status.\n# TYPE weft_runs_total counter\n");
	for (s = stats; s != NULL; s = s->next)
		for (int c = 0; c < NCLASSES; c++) {
			evbuffer_add_printf(b, "weft_runs_total{job=\"");
			label(b, s->job);
			evbuffer_add_printf(b, "\",status=\"%s\"} %llu\n",
			    run_status_class((enum run_status)c), s->runs[c]);
		}
	evbuffer_add_printf(b, "# HELP weft_tasks_total Tasks of ended runs, "
	    "by job and status.\n# TYPE weft_tasks_total counter\n");
	for (s = stats; s != NULL; s = s->next) {
		const char		*st[] = { "ok", "failed", "cancelled" };
		unsigned long long	 v[] = { s->tasks_ok, s->tasks_failed,
					    s->tasks_cancelled };

		for (int k = 0; k < 3; k++) {
			evbuffer_add_printf(b, "weft_tasks_total{job=\"");
			label(b, s->job);
			evbuffer_add_printf(b, "\",status=\"%s\"} %llu\n",
			    st[k], v[k]);
		}
	}
	evbuffer_add_printf(b, "# HELP weft_run_duration_seconds Wall time "
	    "of ended runs.\n# TYPE weft_run_duration_seconds histogram\n");
	for (s = stats; s != NULL; s = s->next) {
		for (size_t k = 0; k < NBUCKETS; k++) {
			evbuffer_add_printf(b,
			    "weft_run_duration_seconds_bucket{job=\"");
			label(b, s->job);
			evbuffer_add_printf(b, "\",le=\"%g\"} %llu\n",
			    buckets[k], s->hist[k]);
		}
		evbuffer_add_printf(b, "weft_run_duration_seconds_bucket{job=\"");
		label(b, s->job);
		evbuffer_add_printf(b, "\",le=\"+Inf\"} %llu\n", s->count);
		evbuffer_add_printf(b, "weft_run_duration_seconds_sum{job=\"");
		label(b, s->job);
		evbuffer_add_printf(b, "\"} %.6f\n", s->sum);
		evbuffer_add_printf(b, "weft_run_duration_seconds_count{job=\"");
		label(b, s->job);
		evbuffer_add_printf(b, "\"} %llu\n", s->count);
	}
	evbuffer_add_printf(b, "# HELP weft_runs_active Runs going now.\n"
	    "# TYPE weft_runs_active gauge\nweft_runs_active %d\n",
	    runs_active());
	evbuffer_add_printf(b, "# HELP weft_tasks_in_flight Tasks of running "
	    "runs not yet done.\n# TYPE weft_tasks_in_flight gauge\n");
	evbuffer_add_printf(b, "weft_tasks_in_flight %lld\n",
	    runs_tasks_in_flight());
	evbuffer_add_printf(b, "# HELP weft_plugin_info Plugins in the "
	    "catalog (1 each).\n# TYPE weft_plugin_info gauge\n");
	for (i = 0; i < weftd.catalog->n; i++) {
		struct plugin *p = &weftd.catalog->v[i];

		evbuffer_add_printf(b, "weft_plugin_info{path=\"");
		label(b, p->path);
		evbuffer_add_printf(b, "\",name=\"");
		label(b, p->name ? p->name : "");
		evbuffer_add_printf(b, "\",kind=\"%s\",version=\"",
		    p->rejected ? "" : plugin_kind_name(p->kind));
		label(b, p->version ? p->version : "");
		evbuffer_add_printf(b, "\",state=\"%s\"} 1\n", p->rejected ?
		    "rejected" : "ok");
	}
	evbuffer_add_printf(b, "# HELP weft_uptime_seconds Seconds since "
	    "weftd started.\n# TYPE weft_uptime_seconds gauge\n"
	    "weft_uptime_seconds %lld\n",
	    (long long)(time(NULL) - weftd.started));
	evbuffer_add_printf(b, "# HELP weft_resident_memory_bytes weftd's "
	    "resident memory.\n# TYPE weft_resident_memory_bytes gauge\n"
	    "weft_resident_memory_bytes %ld\n", rss_bytes());
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

static void
on_health(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*b;
	const char	*why = state_problem();

	if (!http_readable(req))
		return;
	b = evbuffer_new();

	/* Runs go on, but what they record is not safe on disk yet. */
	if (why != NULL)
		evbuffer_add_printf(b, "degraded: state directory: %s\n", why);
	else
		evbuffer_add_printf(b, "ok\n");
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain");
	evhttp_send_reply(req, why ? 503 : HTTP_OK, why ? "Service "
	    "Unavailable" : "OK", b);
	evbuffer_free(b);
}

/*
 * metrics_listen - serve /metrics and /health on addr ("127.0.0.1:9464"
 * or "[::1]:9464").  0, or -1 with *cause.
 */
int
metrics_listen(const char *addr, char **cause)
{
	char		*host, *colon;
	long		 port;

	if (addr == NULL)
		return 0;
	host = xstrdup(addr[0] == '[' ? addr + 1 : addr);
	colon = strrchr(host, ':');
	if (colon == NULL || (port = strtol(colon + 1, NULL, 10)) <= 0 ||
	    port > 65535) {
		xasprintf(cause, "http_listen: expected HOST:PORT, got "
		    "\"%s\"", addr);
		free(host);
		return -1;
	}
	*colon = '\0';
	if (colon > host && colon[-1] == ']')
		colon[-1] = '\0';
	http = evhttp_new(weftd.base);
	evhttp_set_cb(http, "/metrics", on_metrics, NULL);
	evhttp_set_cb(http, "/health", on_health, NULL);
	api_attach(http);
	/* All, so that the handlers answer 405 (evhttp would say 501). */
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
	    EVHTTP_REQ_POST | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
	    EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH | EVHTTP_REQ_TRACE |
	    EVHTTP_REQ_CONNECT);
	evhttp_set_max_headers_size(http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(http, 4096);	/* the login form */
	evhttp_set_timeout(http, HTTP_TIMEOUT_S);
	if (evhttp_bind_socket(http, host, (unsigned short)port) != 0) {
		xasprintf(cause, "http_listen: cannot listen on %s: %s",
		    addr, strerror(errno));
		evhttp_free(http);
		http = NULL;
		free(host);
		return -1;
	}
	log_info("HTTP on http://%s/ (/metrics, /health, /api/)", addr);
	free(host);
	runs_observe(on_run, NULL);
	return 0;
}

void
metrics_close(void)
{
	struct jobstat *s;

	web_close();
	if (http != NULL)
		evhttp_free(http);
	http = NULL;
	while ((s = stats) != NULL) {
		stats = s->next;
		free(s->job);
		free(s);
	}
}
