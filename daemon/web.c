/*
 * web.c - weftd's pages, on the HTTP listener beside the JSON API: an
 * overview (daemon, jobs, running runs with progress), a run page
 * (record, results and failures with paging, timeline), a job's
 * comparison of strategies, the plugin catalog, and /events, the
 * Server-Sent Events that move progress bars and show a run's final
 * record when it ends.  No external assets: the style sheet and the
 * script are served here; every page reads without the script.
 *
 * Pages are made from the same JSON as the API (control_query), secrets
 * hidden (api_hide), every text escaped.  Read-only.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "weftd.h"

#define RESULTS_PAGE	100	/* results rows per page */
#define TRACE_RECTS	20000	/* tasks drawn in a timeline, at most */

static const char css[] =
    "body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70em;"
    "padding:0 1em;color:#222}\n"
    "nav a{margin-right:1em}\n"
    "table{border-collapse:collapse;margin:.5em 0}\n"
    "th,td{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left;"
    "vertical-align:top}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}\n"
    ".ok{color:#070}.failed,.crashed,.error{color:#b00}\n"
    "progress{width:12em}\n"
    "svg{border:1px solid #ddd;max-width:100%}\n";

/*
 * The script: progress from /events, and a run page's final record
 * (or the overview's new state) fetched and swapped in when a run
 * starts or ends.  Pages without it are complete, only not live.
 */
static const char js[] =
    "(function(){\n"
    "var m=document.querySelector('main');if(!m||!window.EventSource)return;\n"
    "var run=m.getAttribute('data-run');\n"
    "var es=new EventSource('/events'+(run?'?run='+run:''));\n"
    "var nlive=0;function live(k){nlive+=k;"
    "if(nlive)m.setAttribute('data-live',nlive);}\n"
    "function swap(){fetch(location.href).then(function(r){return r.text()})"
    ".then(function(t){var d=new DOMParser().parseFromString(t,'text/html');"
    "var n=d.querySelector('main');if(n){m.replaceWith(n);m=n;live(0);}"
    "if(run&&!n.querySelector('progress'))es.close();});}\n"
    "es.addEventListener('progress',function(e){var d=JSON.parse(e.data);"
    "live(1);"
    "var r=document.getElementById('run-'+d.id);if(!r)return;"
    "var p=r.querySelector('progress');p.max=d.total;p.value=d.done;"
    "r.querySelector('.done').textContent=d.done+' of '+d.total+"
    "(d.failed?', '+d.failed+' failed':'');"
    "r.querySelector('.eta').textContent=d.eta;});\n"
    "es.addEventListener('start',swap);es.addEventListener('end',swap);\n"
    "})();\n";

static char		*token(void);
static const char	*authed(struct evhttp_request *, const char *);

/* can_act - whether req may run and cancel from the pages (a token is
 * set, and req has it); *login whether to offer the login form. */
static int
can_act(struct evhttp_request *req, int *login)
{
	char	*t = token();
	int	 ok = t != NULL && authed(req, t) != NULL;

	*login = t != NULL && !ok;
	free(t);
	return ok;
}

/* ---- HTML ---- */

static void
esc(struct evbuffer *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++)
		switch (*s) {
		case '&':
			evbuffer_add(b, "&amp;", 5);
			break;
		case '<':
			evbuffer_add(b, "&lt;", 4);
			break;
		case '>':
			evbuffer_add(b, "&gt;", 4);
			break;
		case '"':
			evbuffer_add(b, "&quot;", 6);
			break;
		case '\'':
			evbuffer_add(b, "&#39;", 5);
			break;
		default:
			evbuffer_add(b, s, 1);
		}
}

/* escf - printf into b, all of the result escaped. */
static void
escf(struct evbuffer *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	esc(b, s);
	free(s);
}

static const char *
jstr(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static long long
jint(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static double
jnum(const json_t *o, const char *k)
{
	return json_number_value(json_object_get(o, k));
}

static void
head(struct evbuffer *b, const char *title, long long run)
{
	evbuffer_add_printf(b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\"><meta name=\"viewport\" content=\""
	    "width=device-width\"><title>");
	esc(b, title);
	evbuffer_add_printf(b, " - weft</title><link rel=\"stylesheet\" "
	    "href=\"/static/weft.css\"></head>\n<body><header><nav "
	    "aria-label=\"weft\"><a href=\"/\">Overview</a><a href=\""
	    "/plugins\">Plugins</a><a href=\"/api/status\">API</a></nav>"
	    "</header>\n<main");
	if (run > 0)
		evbuffer_add_printf(b, " data-run=\"%lld\"", run);
	evbuffer_add_printf(b, "><h1>");
	esc(b, title);
	evbuffer_add_printf(b, "</h1>\n");
}

static void
foot(struct evbuffer *b)
{
	evbuffer_add_printf(b, "</main>\n<script src=\"/static/weft.js\">"
	    "</script></body></html>\n");
}

static void
send_page(struct evhttp_request *req, int code, const char *why,
    struct evbuffer *b)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);

	evhttp_add_header(h, "Content-Type", "text/html; charset=utf-8");
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Content-Security-Policy", "default-src 'self'; "
	    "frame-ancestors 'none'");
	evhttp_send_reply(req, code, why, b);
	evbuffer_free(b);
}

static void
page_error(struct evhttp_request *req, int code, const char *why,
    const char *msg)
{
	struct evbuffer *b = evbuffer_new();

	head(b, why, 0);
	evbuffer_add_printf(b, "<p class=\"error\">");
	esc(b, msg);
	evbuffer_add_printf(b, "</p>\n");
	foot(b);
	send_page(req, code, why, b);
}

/* query - a read-only command's reply, secrets hidden (NULL: not ok). */
static json_t *
query(const char *cmd, json_t *args)
{
	json_t *o = control_query(cmd, args);

	json_decref(args);
	if (o != NULL && !json_is_true(json_object_get(o, "ok"))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* eta - "about N s left" for a running run, from its pace so far. */
static void
eta_text(const json_t *run, char *buf, size_t len)
{
	const json_t	*t = json_object_get(run, "tasks");
	long long	 done = jint(t, "done"), total = jint(t, "total");
	double		 wall = jnum(run, "wall_s");

	if (done <= 0 || total <= done)
		snprintf(buf, len, "%s", done > 0 ? "finishing" : "starting");
	else
		snprintf(buf, len, "about %.0f s left",
		    ceil(wall / (double)done * (double)(total - done)));
}

static void
running_row(struct evbuffer *b, const json_t *run, int act)
{
	const json_t	*t = json_object_get(run, "tasks");
	char		 eta[64];

	eta_text(run, eta, sizeof eta);
	evbuffer_add_printf(b, "<tr id=\"run-%lld\"><td><a href=\"/runs/%lld"
	    "\">%lld</a></td><td>", jint(run, "id"), jint(run, "id"),
	    jint(run, "id"));
	esc(b, jstr(run, "job"));
	evbuffer_add_printf(b, "</td><td>");
	esc(b, jstr(run, "strategy"));
	if (jint(run, "concurrency") > 0)
		evbuffer_add_printf(b, " x%lld", jint(run, "concurrency"));
	evbuffer_add_printf(b, "</td><td><progress max=\"%lld\" value=\"%lld"
	    "\" aria-label=\"run %lld progress\">%lld of %lld</progress> "
	    "<span class=\"done\">%lld of %lld%s", jint(t, "total") > 0 ?
	    jint(t, "total") : 1, jint(t, "done"), jint(run, "id"),
	    jint(t, "done"), jint(t, "total"), jint(t, "done"),
	    jint(t, "total"), "");
	if (jint(t, "failed") > 0)
		evbuffer_add_printf(b, ", %lld failed", jint(t, "failed"));
	evbuffer_add_printf(b, "</span></td><td class=\"eta\">%s</td>", eta);
	if (act)
		evbuffer_add_printf(b, "<td><form method=\"post\" action=\""
		    "/runs/%lld/cancel\"><button>Cancel</button></form></td>",
		    jint(run, "id"));
	evbuffer_add_printf(b, "</tr>\n");
}

/* ---- pages ---- */

static void
overview(struct evhttp_request *req)
{
	int		 login, act = can_act(req, &login);
	struct evbuffer	*b = evbuffer_new();
	json_t		*st = query("status", json_object());
	json_t		*jobs = query("jobs", json_object());
	json_t		*runs = query("runs", json_pack("{s:i}", "limit", 200));
	json_t		*v, *a;
	size_t		 i, nrunning = 0;

	head(b, "weftd", 0);
	if (st != NULL) {
		evbuffer_add_printf(b, "<section aria-labelledby=\"d\"><h2 id="
		    "\"d\">Daemon</h2><p>weftd ");
		escf(b, "%s, pid %lld, up %lld s; %lld runs running (at most "
		    "%lld); %lld jobs, %lld rejected; %lld plugins, %lld "
		    "rejected", jstr(st, "version"), jint(st, "pid"),
		    jint(st, "uptime_s"), jint(st, "runs_active"),
		    jint(st, "max_concurrent_runs"), jint(st, "jobs"),
		    jint(st, "jobs_rejected"), jint(st, "plugins_ok"),
		    jint(st, "plugins_rejected"));
		evbuffer_add_printf(b, ".</p>\n");
		if (json_is_string(json_object_get(st, "state_problem"))) {
			evbuffer_add_printf(b, "<p class=\"error\">State "
			    "directory: ");
			esc(b, jstr(st, "state_problem"));
			evbuffer_add_printf(b, " (records are kept in memory "
			    "and written when they can be)</p>\n");
		}
		a = json_object_get(st, "load_errors");
		if (json_array_size(a) > 0) {
			evbuffer_add_printf(b, "<h3>Load errors</h3><ul>\n");
			json_array_foreach(a, i, v) {
				evbuffer_add_printf(b, "<li class=\"error\">");
				esc(b, json_string_value(v));
				evbuffer_add_printf(b, "</li>\n");
			}
			evbuffer_add_printf(b, "</ul>\n");
		}
		evbuffer_add_printf(b, "</section>\n");
	}
	evbuffer_add_printf(b, "<section aria-labelledby=\"r\"><h2 id=\"r\">"
	    "Running</h2>\n<table><thead><tr><th>Run</th><th>Job</th><th>"
	    "Strategy</th><th>Progress</th><th>ETA</th></tr></thead><tbody>"
	    "\n");
	json_array_foreach(json_object_get(runs, "runs"), i, v)
		if (json_object_get(v, "ended") == NULL) {
			running_row(b, v, act);
			nrunning++;
		}
	evbuffer_add_printf(b, "</tbody></table>%s</section>\n", nrunning ?
	    "" : "<p>No run is running.</p>");
	evbuffer_add_printf(b, "<section aria-labelledby=\"j\"><h2 id=\"j\">"
	    "Jobs</h2>\n<table><thead><tr><th>Job</th><th>Workload</th><th>"
	    "Strategy</th><th>Schedule</th><th>Next run</th><th>Last run"
	    "</th><th>State</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(jobs, "jobs"), i, v) {
		json_t *last = json_object_get(v, "last_run");

		evbuffer_add_printf(b, "<tr><td><a href=\"/jobs/");
		esc(b, jstr(v, "name"));
		evbuffer_add_printf(b, "\">");
		esc(b, jstr(v, "name"));
		evbuffer_add_printf(b, "</a></td><td>");
		esc(b, jstr(v, "workload"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, jstr(v, "strategy"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, jstr(v, "schedule"));
		evbuffer_add_printf(b, "</td><td>");
		esc(b, jstr(v, "next_run"));
		evbuffer_add_printf(b, "</td><td>");
		if (last != NULL) {
			evbuffer_add_printf(b, "<a href=\"/runs/%lld\" class=\"",
			    jint(last, "id"));
			esc(b, jstr(last, "status"));
			evbuffer_add_printf(b, "\">%lld ", jint(last, "id"));
			esc(b, jstr(last, "status"));
			evbuffer_add_printf(b, "</a>");
		}
		evbuffer_add_printf(b, "</td><td>");
		esc(b, jstr(v, "state"));
		evbuffer_add_printf(b, "</td>");
		if (act) {
			evbuffer_add_printf(b, "<td><form method=\"post\" "
			    "action=\"/jobs/");
			esc(b, jstr(v, "name"));
			evbuffer_add_printf(b, "/run\"><button>Run</button>"
			    "</form></td>");
		}
		evbuffer_add_printf(b, "</tr>\n");
	}
	evbuffer_add_printf(b, "</tbody></table></section>\n");
	if (login)
		evbuffer_add_printf(b, "<section aria-labelledby=\"l\"><h2 "
		    "id=\"l\">Log in to run and cancel</h2><form method=\"post"
		    "\" action=\"/login\"><label>Token <input type=\"password"
		    "\" name=\"token\" autocomplete=\"current-password\">"
		    "</label> <button>Log in</button></form></section>\n");
	foot(b);
	json_decref(st);
	json_decref(jobs);
	json_decref(runs);
	send_page(req, HTTP_OK, "OK", b);
}

static void
dl(struct evbuffer *b, const char *term, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	evbuffer_add_printf(b, "<dt>%s</dt><dd>", term);
	esc(b, s);
	evbuffer_add_printf(b, "</dd>\n");
	free(s);
}

/* timeline - the run's tasks as bars, one row per lane. */
static void
timeline(struct evbuffer *b, const json_t *tr)
{
	const json_t	*tasks = json_object_get(tr, "tasks");
	double		 wall = jnum(tr, "wall_s");
	long long	 lanes = 1;
	const double	 w = 800, row = 12;
	size_t		 i, n = json_array_size(tasks);
	json_t		*t;

	if (n == 0 || wall <= 0)
		return;
	json_array_foreach(tasks, i, t)
		if (json_integer_value(json_array_get(t, 3)) + 1 > lanes)
			lanes = json_integer_value(json_array_get(t, 3)) + 1;
	if (lanes > 256)
		lanes = 256;
	evbuffer_add_printf(b, "<h2>Timeline</h2>\n<figure><svg xmlns=\""
	    "http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	    "role=\"img\" aria-label=\"%zu tasks over %lld lanes in %.3f s\">"
	    "\n", w, lanes * row, n, lanes, wall);
	for (i = 0; i < n && i < TRACE_RECTS; i++) {
		double		 s, e;
		long long	 lane, state;

		t = json_array_get(tasks, i);
		s = json_number_value(json_array_get(t, 1));
		e = json_number_value(json_array_get(t, 2));
		lane = json_integer_value(json_array_get(t, 3));
		state = json_integer_value(json_array_get(t, 4));
		if (lane >= lanes)
			continue;
		evbuffer_add_printf(b, "<rect x=\"%.1f\" y=\"%.0f\" width=\""
		    "%.1f\" height=\"%.0f\" fill=\"%s\"><title>task %lld: "
		    "%.6f s</title></rect>\n", s / wall * w, lane * row,
		    fmax((e - s) / wall * w, 0.5), row - 2, state == 1 ?
		    "#4a4" : state == 2 ? "#c33" : "#999",
		    json_integer_value(json_array_get(t, 0)), e - s);
	}
	evbuffer_add_printf(b, "</svg><figcaption>%zu tasks%s, one row per "
	    "lane; green ok, red failed, grey cancelled.</figcaption></figure>"
	    "\n", n, n > TRACE_RECTS ? " (the first 20,000 drawn)" : "");
}

static void
run_page(struct evhttp_request *req, long long id, long long pageno)
{
	struct evbuffer	*b;
	json_t		*o, *r, *t, *l, *res, *v, *tr;
	const char	*k;
	char		 title[64], conc[32];
	size_t		 i, n;
	int		 login;

	snprintf(title, sizeof title, "Run %lld", id);
	if ((o = query("run.show", json_pack("{s:I}", "id",
	    (json_int_t)id))) == NULL) {
		page_error(req, HTTP_NOTFOUND, "Not Found", "No such run.");
		return;
	}
	r = json_object_get(o, "run");
	b = evbuffer_new();
	head(b, title, id);
	t = json_object_get(r, "tasks");
	if (json_object_get(r, "ended") == NULL) {
		evbuffer_add_printf(b, "<p>Job <a href=\"/jobs/");
		esc(b, jstr(r, "job"));
		evbuffer_add_printf(b, "\">");
		esc(b, jstr(r, "job"));
		evbuffer_add_printf(b, "</a>, ");
		esc(b, jstr(r, "status"));
		evbuffer_add_printf(b, ".</p><table><tbody>\n");
		running_row(b, r, can_act(req, &login));
		evbuffer_add_printf(b, "</tbody></table>\n");
		foot(b);
		json_decref(o);
		send_page(req, HTTP_OK, "OK", b);
		return;
	}
	evbuffer_add_printf(b, "<p class=\"");
	esc(b, jstr(r, "status"));
	evbuffer_add_printf(b, "\" id=\"status\">");
	esc(b, jstr(r, "status"));
	evbuffer_add_printf(b, "</p>\n<dl>\n");
	conc[0] = '\0';	/* 0: the run ended before its strategy said */
	if (jint(r, "concurrency") > 0)
		snprintf(conc, sizeof conc, " x%lld", jint(r, "concurrency"));
	dl(b, "Job", "%s (workload %s, strategy %s%s, %s)", jstr(r, "job"),
	    jstr(r, "workload"), jstr(r, "strategy"), conc, jstr(r, "trigger"));
	dl(b, "Started", "%s", jstr(r, "started"));
	dl(b, "Wall", "%.3f s", jnum(r, "wall_s"));
	dl(b, "CPU", "%.3f s user, %.3f s sys", jnum(r, "user_s"),
	    jnum(r, "sys_s"));
	dl(b, "Peak RSS", "%.1f MiB", (double)jint(r, "max_rss_kb") / 1024);
	dl(b, "Tasks", "%lld total, %lld ok, %lld failed, %lld cancelled "
	    "(%.2f/s)", jint(t, "total"), jint(t, "ok"), jint(t, "failed"),
	    jint(t, "cancelled"), jnum(r, "tasks_per_s"));
	if ((l = json_object_get(r, "latency_s")) != NULL)
		dl(b, "Latency", "p50 %.6f s, p95 %.6f s, p99 %.6f s, max "
		    "%.6f s", jnum(l, "p50"), jnum(l, "p95"), jnum(l, "p99"),
		    jnum(l, "max"));
	if (json_object_get(r, "error") != NULL)
		dl(b, "Error", "%s", jstr(r, "error"));
	evbuffer_add_printf(b, "</dl>\n");

	res = json_object_get(r, "failures");
	if (json_array_size(res) > 0) {
		evbuffer_add_printf(b, "<h2>Failures</h2>\n<table id=\"failures"
		    "\"><thead><tr><th>Task</th><th>Attempts</th><th>Error"
		    "</th></tr></thead><tbody>\n");
		json_array_foreach(res, i, v) {
			evbuffer_add_printf(b, "<tr><td class=\"n\">%lld</td>"
			    "<td class=\"n\">%lld</td><td>", jint(v, "task"),
			    jint(v, "attempts"));
			esc(b, jstr(v, "error"));
			evbuffer_add_printf(b, "</td></tr>\n");
		}
		evbuffer_add_printf(b, "</tbody></table>\n");
	}

	res = json_object_get(r, "results");
	n = json_array_size(res);
	if (n > 0) {
		size_t from = (size_t)pageno * RESULTS_PAGE, to;
		json_t *cols = json_array();

		if (from >= n)
			from = 0, pageno = 0;
		to = from + RESULTS_PAGE < n ? from + RESULTS_PAGE : n;
		/* The columns: every key of the rows shown, in order. */
		for (i = from; i < to; i++)
			json_object_foreach(json_array_get(res, i), k, v) {
				int seen = 0;

				for (size_t c = 0; c < json_array_size(cols);
				    c++)
					seen |= strcmp(json_string_value(
					    json_array_get(cols, c)), k) == 0;
				if (!seen)
					json_array_append_new(cols,
					    json_string(k));
			}
		evbuffer_add_printf(b, "<h2>Results</h2>\n<p>Tasks %zu to %zu of "
		    "%zu kept.</p>\n<table id=\"results\"><thead><tr>", from,
		    to - 1, n);
		json_array_foreach(cols, i, v) {
			evbuffer_add_printf(b, "<th>");
			esc(b, json_string_value(v));
			evbuffer_add_printf(b, "</th>");
		}
		evbuffer_add_printf(b, "</tr></thead><tbody>\n");
		for (i = from; i < to; i++) {
			json_t *row = json_array_get(res, i), *c;
			size_t	x;

			evbuffer_add_printf(b, "<tr>");
			json_array_foreach(cols, x, c) {
				json_t	*cell = json_object_get(row,
				    json_string_value(c));
				char	*s = cell == NULL ? xstrdup("") :
				    json_is_string(cell) ? xstrdup(
				    json_string_value(cell)) : json_dumps(cell,
				    JSON_ENCODE_ANY | JSON_REAL_PRECISION(9));

				evbuffer_add_printf(b, "<td%s>",
				    json_is_number(cell) ? " class=\"n\"" : "");
				esc(b, s);
				evbuffer_add_printf(b, "</td>");
				free(s);
			}
			evbuffer_add_printf(b, "</tr>\n");
		}
		evbuffer_add_printf(b, "</tbody></table>\n<nav aria-label=\""
		    "result pages\">");
		if (pageno > 0)
			evbuffer_add_printf(b, "<a rel=\"prev\" href=\"/runs/"
			    "%lld?page=%lld\">Previous</a> ", id, pageno - 1);
		if (to < n)
			evbuffer_add_printf(b, "<a rel=\"next\" href=\"/runs/"
			    "%lld?page=%lld\">Next</a>", id, pageno + 1);
		evbuffer_add_printf(b, "</nav>\n");
		json_decref(cols);
	}
	if ((tr = query("trace", json_pack("{s:I}", "id", (json_int_t)id))) !=
	    NULL) {
		timeline(b, json_object_get(tr, "trace"));
		json_decref(tr);
	}
	foot(b);
	json_decref(o);
	send_page(req, HTTP_OK, "OK", b);
}

/* One bar chart: a group's median per row. */
static void
chart(struct evbuffer *b, const char *what, const char *unit,
    const json_t *groups, const char *key)
{
	double		 max = 0;
	size_t		 i, n = json_array_size(groups);
	const json_t	*g;

	json_array_foreach(groups, i, g)
		max = fmax(max, jnum(g, key));
	if (n == 0 || max <= 0)
		return;
	evbuffer_add_printf(b, "<figure><figcaption>%s (%s), median"
	    "</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width="
	    "\"600\" height=\"%zu\" role=\"img\" aria-label=\"%s by strategy"
	    "\">\n", what, unit, n * 22, what);
	json_array_foreach(groups, i, g) {
		double v = jnum(g, key);

		evbuffer_add_printf(b, "<text x=\"0\" y=\"%zu\" font-size=\"12\">",
		    i * 22 + 15);
		esc(b, jstr(g, "name"));
		evbuffer_add_printf(b, "</text><rect x=\"140\" y=\"%zu\" width="
		    "\"%.1f\" height=\"16\" fill=\"#48c\"/><text x=\"%.1f\" "
		    "y=\"%zu\" font-size=\"12\">%.4g</text>\n", i * 22 + 3,
		    v / max * 380, 140 + v / max * 380 + 4, i * 22 + 15, v);
	}
	evbuffer_add_printf(b, "</svg></figure>\n");
}

/* job_page - a job and its runs by strategy and concurrency. */
static void
job_page(struct evhttp_request *req, const char *name)
{
	struct evbuffer	*b;
	json_t		*o, *j, *runs, *groups = json_array(), *v, *g;
	size_t		 i, k;
	char		 title[160];

	if ((o = query("job.show", json_pack("{s:s}", "job", name))) == NULL) {
		page_error(req, HTTP_NOTFOUND, "Not Found", "No such job.");
		json_decref(groups);
		return;
	}
	j = json_object_get(o, "job");
	snprintf(title, sizeof title, "Job %s", name);
	b = evbuffer_new();
	head(b, title, 0);
	evbuffer_add_printf(b, "<dl>\n");
	dl(b, "Workload", "%s", jstr(j, "workload"));
	dl(b, "Strategy", "%s", jstr(j, "strategy"));
	dl(b, "Schedule", "%s", jstr(j, "schedule"));
	dl(b, "State", "%s", jstr(j, "state"));
	evbuffer_add_printf(b, "</dl>\n");
	runs = history_list(name, 100);
	/* Groups: "strategy xN", with the medians of their ended runs. */
	json_array_foreach(runs, i, v) {
		char	 key[128];

		if (json_object_get(v, "ended") == NULL)
			continue;
		snprintf(key, sizeof key, "%s x%lld", jstr(v, "strategy"),
		    jint(v, "concurrency"));
		g = NULL;
		json_array_foreach(groups, k, g)
			if (strcmp(jstr(g, "name"), key) == 0)
				break;
		if (k == json_array_size(groups)) {
			g = json_pack("{s:s, s:[], s:[], s:[]}", "name", key,
			    "wall", "cpu", "rate");
			json_array_append_new(groups, g);
		}
		json_array_append_new(json_object_get(g, "wall"),
		    json_real(jnum(v, "wall_s")));
		json_array_append_new(json_object_get(g, "cpu"),
		    json_real(jnum(v, "user_s") + jnum(v, "sys_s")));
		json_array_append_new(json_object_get(g, "rate"),
		    json_real(jnum(v, "tasks_per_s")));
	}
	json_array_foreach(groups, i, g) {
		const char	*ks[] = { "wall", "cpu", "rate" };

		for (k = 0; k < 3; k++) {
			json_t	*a = json_object_get(g, ks[k]);
			size_t	 n = json_array_size(a), x;
			double	*d = xcalloc(n + 1, sizeof *d);
			char	 mk[16];

			for (x = 0; x < n; x++)
				d[x] = json_number_value(json_array_get(a, x));
			snprintf(mk, sizeof mk, "m_%s", ks[k]);
			json_object_set_new(g, mk, json_real(median(d, n)));
			free(d);
		}
		json_object_set_new(g, "runs", json_integer((json_int_t)
		    json_array_size(json_object_get(g, "wall"))));
	}
	evbuffer_add_printf(b, "<h2>Strategies compared</h2>\n");
	if (json_array_size(groups) == 0)
		evbuffer_add_printf(b, "<p>No ended run yet.</p>\n");
	else {
		evbuffer_add_printf(b, "<table id=\"compare\"><thead><tr><th>"
		    "Strategy</th><th>Runs</th><th>Wall (s)</th><th>CPU (s)"
		    "</th><th>Tasks/s</th></tr></thead><tbody>\n");
		json_array_foreach(groups, i, g) {
			evbuffer_add_printf(b, "<tr><td>");
			esc(b, jstr(g, "name"));
			evbuffer_add_printf(b, "</td><td class=\"n\">%lld</td><td "
			    "class=\"n\">%.3f</td><td class=\"n\">%.3f</td><td "
			    "class=\"n\">%.1f</td></tr>\n", jint(g, "runs"),
			    jnum(g, "m_wall"), jnum(g, "m_cpu"),
			    jnum(g, "m_rate"));
		}
		evbuffer_add_printf(b, "</tbody></table>\n");
		chart(b, "Wall", "s", groups, "m_wall");
		chart(b, "CPU", "s", groups, "m_cpu");
		chart(b, "Tasks per second", "1/s", groups, "m_rate");
	}
	evbuffer_add_printf(b, "<h2>Recent runs</h2>\n<ul>\n");
	json_array_foreach(runs, i, v) {
		if (i >= 20)
			break;
		evbuffer_add_printf(b, "<li><a href=\"/runs/%lld\">Run %lld"
		    "</a>: ", jint(v, "id"), jint(v, "id"));
		escf(b, "%s, %s x%lld, %.3f s", jstr(v, "status"),
		    jstr(v, "strategy"), jint(v, "concurrency"),
		    jnum(v, "wall_s"));
		evbuffer_add_printf(b, "</li>\n");
	}
	evbuffer_add_printf(b, "</ul>\n");
	foot(b);
	json_decref(runs);
	json_decref(groups);
	json_decref(o);
	send_page(req, HTTP_OK, "OK", b);
}

/* params_list - a plugin's params (weftctl plugins NAME's lines), folded. */
static void
params_list(struct evbuffer *b, json_t *params)
{
	json_t	*p;
	size_t	 i;
	char	 text[1024];

	if (params == NULL) {
		evbuffer_add_printf(b, "not listed");
		return;
	}
	if (json_array_size(params) == 0) {
		evbuffer_add_printf(b, "none");
		return;
	}
	evbuffer_add_printf(b, "<details><summary>%zu</summary><ul>",
	    json_array_size(params));
	json_array_foreach(params, i, p) {
		evbuffer_add_printf(b, "<li><code>");
		esc(b, jstr(p, "name"));
		evbuffer_add_printf(b, "</code> ");
		esc(b, plugin_param_text(p, text, sizeof text));
		evbuffer_add_printf(b, "</li>");
	}
	evbuffer_add_printf(b, "</ul></details>");
}

static void
plugins_page(struct evhttp_request *req)
{
	struct evbuffer	*b = evbuffer_new();
	json_t		*o = query("plugins", json_object()), *v;
	size_t		 i;

	head(b, "Plugins", 0);
	evbuffer_add_printf(b, "<table id=\"plugins\"><thead><tr><th>Name"
	    "</th><th>Kind</th><th>Version</th><th>ABI</th><th>Traits</th>"
	    "<th>File</th><th>State</th><th>Params</th></tr></thead>"
	    "<tbody>\n");
	json_array_foreach(json_object_get(o, "plugins"), i, v) {
		const char *f[] = { "name", "kind", "version", "abi", "traits",
		    "path" };

		evbuffer_add_printf(b, "<tr>");
		for (size_t x = 0; x < sizeof f / sizeof *f; x++) {
			evbuffer_add_printf(b, "<td>");
			esc(b, jstr(v, f[x]));
			evbuffer_add_printf(b, "</td>");
		}
		evbuffer_add_printf(b, "<td class=\"%s\">", strcmp(jstr(v,
		    "state"), "ok") == 0 ? "ok" : "error");
		esc(b, jstr(v, "state"));
		if (json_object_get(v, "reason") != NULL) {
			evbuffer_add_printf(b, ": ");
			esc(b, jstr(v, "reason"));
		}
		evbuffer_add_printf(b, "</td><td>");
		params_list(b, json_object_get(v, "params"));
		evbuffer_add_printf(b, "</td></tr>\n");
	}
	evbuffer_add_printf(b, "</tbody></table>\n");
	foot(b);
	json_decref(o);
	send_page(req, HTTP_OK, "OK", b);
}

static void
asset(struct evhttp_request *req, const char *type, const char *text)
{
	struct evbuffer		*b = evbuffer_new();
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);

	evbuffer_add(b, text, strlen(text));
	evhttp_add_header(h, "Content-Type", type);
	evhttp_add_header(h, "Cache-Control", "max-age=300");
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_send_reply(req, HTTP_OK, "OK", b);
	evbuffer_free(b);
}

/* ---- Server-Sent Events ---- */

struct sse {
	struct evhttp_request	*req;
	long long		 run;		/* 0: every run */
	TAILQ_ENTRY(sse)	 entry;
};
static TAILQ_HEAD(, sse) sses = TAILQ_HEAD_INITIALIZER(sses);
static int observing;

static void
on_sse_close(struct evhttp_connection *evcon, void *arg)
{
	struct sse *s = arg;

	TAILQ_REMOVE(&sses, s, entry);
	free(s);
}

static void
sse_send(const char *event, long long run, json_t *data)
{
	struct sse	*s;
	char		*d = json_dumps(data, JSON_COMPACT);

	TAILQ_FOREACH(s, &sses, entry) {
		struct evbuffer *b;

		if (s->run != 0 && s->run != run)
			continue;
		b = evbuffer_new();
		evbuffer_add_printf(b, "event: %s\ndata: %s\n\n", event, d);
		evhttp_send_reply_chunk(s->req, b);
		evbuffer_free(b);
	}
	free(d);
}

static void
on_run(enum run_event ev, const struct run *r, const json_t *rec,
    enum run_status st, void *arg)
{
	json_t	*j, *o;
	char	 eta[64];

	if (TAILQ_EMPTY(&sses))
		return;
	j = run_json(r);
	eta_text(j, eta, sizeof eta);
	o = json_pack("{s:I, s:s, s:I, s:I, s:I, s:s}", "id", (json_int_t)r->id,
	    "job", r->job, "done", (json_int_t)r->done, "failed",
	    (json_int_t)r->failed, "total", (json_int_t)r->total, "eta", eta);
	if (ev == RUN_ENDED)
		json_object_set_new(o, "status", json_string(
		    json_string_value(json_object_get(rec, "status"))));
	sse_send(ev == RUN_STARTED ? "start" : ev == RUN_ENDED ? "end" :
	    "progress", r->id, o);
	json_decref(o);
	json_decref(j);
}

static void
events(struct evhttp_request *req, long long run)
{
	struct evkeyvalq	*h = evhttp_request_get_output_headers(req);
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct sse		*s = xcalloc(1, sizeof *s);
	struct evbuffer		*b = evbuffer_new();

	if (!observing) {
		runs_observe(on_run, NULL);
		observing = 1;
	}
	s->req = req;
	s->run = run;
	TAILQ_INSERT_TAIL(&sses, s, entry);
	evhttp_add_header(h, "Content-Type", "text/event-stream");
	evhttp_add_header(h, "Cache-Control", "no-store");
	/* A stream stays open: no timeout but the peer's going. */
	evhttp_connection_set_timeout(evcon, -1);
	evhttp_connection_set_closecb(evcon, on_sse_close, s);
	evhttp_send_reply_start(req, HTTP_OK, "OK");
	evbuffer_add_printf(b, ": weft events%s\n\n", run ? " of one run" :
	    "");
	evhttp_send_reply_chunk(req, b);
	evbuffer_free(b);
}

/* web_close - weftd stops: end the streams. */
void
web_close(void)
{
	struct sse *s;

	while ((s = TAILQ_FIRST(&sses)) != NULL) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(
		    s->req), NULL, NULL);
		evhttp_send_reply_end(s->req);
		TAILQ_REMOVE(&sses, s, entry);
		free(s);
	}
}

/* ---- actions: run and cancel, with http_token_file ---- */

/* token - the token http_token_file holds (malloc'd), or NULL: no
 * actions.  Read at each use, so that a new token needs no reload. */
static char *
token(void)
{
	const char	*path = weftd.conf->http_token_file;
	char		 buf[512];
	FILE		*f;
	size_t		 n;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return n > 0 && buf[0] != '\0' ? xstrdup(buf) : NULL;
}

/* same - a and b equal, in time that does not depend on where they
 * differ. */
static int
same(const char *a, const char *b)
{
	size_t		la = strlen(a), lb = strlen(b);
	unsigned char	d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)a[i] ^ (unsigned char)b[i % (lb ? lb : 1)];
	return d == 0;
}

/* cookie - the value of cookie name in req's Cookie header (malloc'd). */
static char *
cookie(struct evhttp_request *req, const char *name)
{
	const char	*h = evhttp_find_header(
			    evhttp_request_get_input_headers(req), "Cookie");
	size_t		 nl = strlen(name);

	while (h != NULL && *h != '\0') {
		while (*h == ' ' || *h == ';')
			h++;
		if (strncmp(h, name, nl) == 0 && h[nl] == '=')
			return xstrndup(h + nl + 1, strcspn(h + nl + 1, ";"));
		h = strchr(h, ';');
	}
	return NULL;
}

/*
 * authed - how req proves the token: "bearer" (an Authorization
 * header), "cookie" (the login form's), or NULL.
 */
static const char *
authed(struct evhttp_request *req, const char *tok)
{
	const char	*h = evhttp_find_header(
			    evhttp_request_get_input_headers(req),
			    "Authorization");
	char		*c;
	int		 ok;

	if (tok == NULL)
		return NULL;
	if (h != NULL && strncasecmp(h, "Bearer ", 7) == 0)
		return same(h + 7, tok) ? "bearer" : NULL;
	if ((c = cookie(req, "weft_token")) == NULL)
		return NULL;
	ok = same(c, tok);
	free(c);
	return ok ? "cookie" : NULL;
}

/*
 * same_origin - a form posted from one of our pages: its Origin (or
 * else Referer) names the host it was sent to.  Without either, only
 * a bearer token (which a browser does not add by itself) will do.
 */
static int
same_origin(struct evhttp_request *req, const char *how)
{
	struct evkeyvalq	*in = evhttp_request_get_input_headers(req);
	const char		*host = evhttp_find_header(in, "Host");
	const char		*o = evhttp_find_header(in, "Origin");
	const char		*r = evhttp_find_header(in, "Referer");
	char			*want;
	int			 ok;

	if (o == NULL && r == NULL)
		return strcmp(how, "bearer") == 0;
	if (host == NULL)
		return 0;
	xasprintf(&want, "http://%s", host);
	ok = o != NULL ? strcmp(o, want) == 0 : strncmp(r, want,
	    strlen(want)) == 0 && (r[strlen(want)] == '/' ||
	    r[strlen(want)] == '\0');
	free(want);
	return ok;
}

static const char *
peer(struct evhttp_request *req)
{
	static char	 buf[80];
	const char	*addr = NULL;
	ev_uint16_t	 port = 0;

	evhttp_connection_get_peer(evhttp_request_get_connection(req),
	    (char **)&addr, &port);
	snprintf(buf, sizeof buf, "%s:%u", addr ? addr : "?", port);
	return buf;
}

static void
see_other(struct evhttp_request *req, const char *where)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Location",
	    where);
	evhttp_send_reply(req, 303, "See Other", NULL);
}

/* body_field - a field of a form-urlencoded POST body (malloc'd). */
static char *
body_field(struct evhttp_request *req, const char *name)
{
	struct evbuffer		*in = evhttp_request_get_input_buffer(req);
	struct evkeyvalq	 kv;
	size_t			 len = evbuffer_get_length(in);
	char			*body, *v = NULL;
	const char		*f;

	if (len > 4096)
		return NULL;
	body = xcalloc(1, len + 1);
	evbuffer_copyout(in, body, len);
	TAILQ_INIT(&kv);
	if (evhttp_parse_query_str(body, &kv) == 0 &&
	    (f = evhttp_find_header(&kv, name)) != NULL)
		v = xstrdup(f);
	evhttp_clear_headers(&kv);
	free(body);
	return v;
}

/*
 * web_action - a POST: /login (the token, from the form, as a cookie),
 * /jobs/NAME/run, /runs/ID/cancel.  1 if it was one of ours.
 */
int
web_action(struct evhttp_request *req, const char *path)
{
	char		*tok, *name, *given, *cause, *hdr;
	const char	*how;
	size_t		 len = strlen(path);
	long long	 id = -1;
	json_t		*info;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST)
		return 0;
	if (strcmp(path, "/login") != 0 && !(strncmp(path, "/jobs/", 6) == 0 &&
	    len > 10 && strcmp(path + len - 4, "/run") == 0) &&
	    !(strncmp(path, "/runs/", 6) == 0 && len > 13 &&
	    strcmp(path + len - 7, "/cancel") == 0))
		return 0;
	if ((tok = token()) == NULL) {
		page_error(req, 403, "Forbidden", "Actions are off: set "
		    "http_token_file in weftd.yaml to allow them.");
		return 1;
	}
	if (strcmp(path, "/login") == 0) {
		given = body_field(req, "token");
		if (given == NULL || !same(given, tok)) {
			log_warnx("http: %s: a login with a wrong token",
			    peer(req));
			page_error(req, 403, "Forbidden", "Wrong token.");
		} else {
			xasprintf(&hdr, "weft_token=%s; HttpOnly; "
			    "SameSite=Strict; Path=/", tok);
			evhttp_add_header(evhttp_request_get_output_headers(
			    req), "Set-Cookie", hdr);
			free(hdr);
			log_info("http: %s logged in", peer(req));
			see_other(req, "/");
		}
		free(given);
		free(tok);
		return 1;
	}
	how = authed(req, tok);
	free(tok);
	if (how == NULL || !same_origin(req, how)) {
		log_warnx("http: %s: %s %s refused (%s)", peer(req), "POST",
		    path, how == NULL ? "no token" : "not from weftd's pages");
		page_error(req, 403, "Forbidden", how == NULL ? "This needs "
		    "the token (log in on the overview)." : "Refused: the "
		    "request did not come from weftd's pages.");
		return 1;
	}
	if (strncmp(path, "/runs/", 6) == 0) {
		id = http_number(path + 6, len - 13);
		if (id < 0 || run_cancel(id, &cause) != 0) {
			page_error(req, 409, "Conflict", id < 0 ? "No such "
			    "run." : cause);
			if (id >= 0)
				free(cause);
			return 1;
		}
		log_info("http: %s (%s): cancel run %lld", peer(req), how, id);
		xasprintf(&hdr, "/runs/%lld", id);
	} else {
		struct run_request	*rr;
		struct job		*j;
		char			*raw = xstrndup(path + 6, len - 10);

		name = evhttp_uridecode(raw, 0, NULL);
		free(raw);
		j = name ? config_find_job(weftd.conf, name) : NULL;
		if (j == NULL) {
			page_error(req, HTTP_NOTFOUND, "Not Found",
			    "No such job.");
			free(name);
			return 1;
		}
		rr = xcalloc(1, sizeof *rr);
		rr->job = j;
		rr->trigger = xstrdup("manual");
		if (run_start(rr, &info, &cause) != 0) {
			page_error(req, 409, "Conflict", cause);
			free(cause);
			free(name);
			return 1;
		}
		id = json_integer_value(json_object_get(info, "id"));
		json_decref(info);
		log_info("http: %s (%s): run %lld of job %s", peer(req), how,
		    id, name);
		free(name);
		xasprintf(&hdr, "/runs/%lld", id);
	}
	see_other(req, hdr);
	free(hdr);
	return 1;
}

/* ---- routes ---- */


/*
 * web_request - answer req for path: 1, or 0 for the API's paths (not
 * ours).  The method is checked already.
 */
int
web_request(struct evhttp_request *req, const char *path, const char *q)
{
	struct evkeyvalq	 params;
	const char		*v;
	long long		 id, page = 0;
	char			*name;

	if (strcmp(path, "/") == 0)
		overview(req);
	else if (strcmp(path, "/plugins") == 0)
		plugins_page(req);
	else if (strcmp(path, "/static/weft.css") == 0)
		asset(req, "text/css", css);
	else if (strcmp(path, "/static/weft.js") == 0)
		asset(req, "text/javascript", js);
	else if (strcmp(path, "/events") == 0) {
		id = 0;
		TAILQ_INIT(&params);
		if (q != NULL && evhttp_parse_query_str(q, &params) == 0 &&
		    (v = evhttp_find_header(&params, "run")) != NULL)
			id = http_number(v, strlen(v));
		evhttp_clear_headers(&params);
		if (id < 0)
			return 0;
		events(req, id);
	} else if (strncmp(path, "/runs/", 6) == 0 &&
	    (id = http_number(path + 6, strlen(path + 6))) >= 0) {
		TAILQ_INIT(&params);
		if (q != NULL && evhttp_parse_query_str(q, &params) == 0 &&
		    (v = evhttp_find_header(&params, "page")) != NULL &&
		    (page = http_number(v, strlen(v))) < 0)
			page = 0;
		evhttp_clear_headers(&params);
		run_page(req, id, page);
	} else if (strncmp(path, "/jobs/", 6) == 0 && path[6] != '\0' &&
	    strchr(path + 6, '/') == NULL) {
		name = evhttp_uridecode(path + 6, 0, NULL);
		job_page(req, name ? name : "");
		free(name);
	} else if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0)
		return 0;
	else
		page_error(req, HTTP_NOTFOUND, "Not Found", "No such page.");
	return 1;
}
