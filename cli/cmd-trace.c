/*
 * cmd-trace.c - weftctl trace ID [--format chrome|svg|json]: a finished
 * run's timeline.
 *   chrome  Chrome Trace Event format (Perfetto, chrome://tracing): one
 *           track per worker thread, coroutine or process
 *   svg     a self-contained picture: one lane per worker, a box per
 *           task coloured by status, a time axis; where boxes would be
 *           thinner than a pixel, each pixel column shows how busy the
 *           lane was instead
 *   json    the stored timeline as is
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

#define SVG_W		1000
#define SVG_LEFT	120
#define SVG_RIGHT	20
#define SVG_TOP		56
#define SVG_MAX_ROWS	300

static const char *const state_name[] = { "pending", "ok", "failed",
    "cancelled" };
static const char *const state_colour[] = { "#bdbdbd", "#43a047",
    "#e53935", "#9e9e9e" };

static const char *
lane_kind(const char *strategy)
{
	if (strcmp(strategy, "fork") == 0)
		return "process";
	if (strcmp(strategy, "coro") == 0)
		return "coroutine";
	if (strcmp(strategy, "inline") == 0)
		return "main";
	return "thread";
}

/* task fields: [idx, start, end, lane, state] */
#define T_IDX(t)	json_integer_value(json_array_get((t), 0))
#define T_START(t)	json_number_value(json_array_get((t), 1))
#define T_END(t)	json_number_value(json_array_get((t), 2))
#define T_LANE(t)	((long)json_integer_value(json_array_get((t), 3)))
#define T_STATE(t)	((int)json_integer_value(json_array_get((t), 4)))

static long
lanes_of(json_t *tasks)
{
	size_t	 i;
	json_t	*t;
	long	 n = 0;

	json_array_foreach(tasks, i, t)
		if (T_LANE(t) + 1 > n)
			n = T_LANE(t) + 1;
	return n;
}

static void
chrome(json_t *tr)
{
	json_t		*tasks = json_object_get(tr, "tasks"), *t, *ev, *evs;
	const char	*kind = lane_kind(jstr(tr, "strategy"));
	size_t		 i;
	long		 nl = lanes_of(tasks);
	char		 name[64];

	evs = json_array();
	snprintf(name, sizeof name, "run %lld: %s (%s)", jint(tr, "id"),
	    jstr(tr, "job"), jstr(tr, "strategy"));
	json_array_append_new(evs, json_pack("{s:s, s:s, s:i, s:i, s:{s:s}}",
	    "name", "process_name", "ph", "M", "pid", 1, "tid", 0, "args",
	    "name", name));
	for (long l = 0; l < nl; l++) {
		snprintf(name, sizeof name, "%s %ld", kind, l);
		json_array_append_new(evs, json_pack("{s:s, s:s, s:i, s:I, "
		    "s:{s:s}}", "name", "thread_name", "ph", "M", "pid", 1,
		    "tid", (json_int_t)l, "args", "name", name));
	}
	json_array_foreach(tasks, i, t) {
		int st = T_STATE(t);

		snprintf(name, sizeof name, "task %lld", (long long)T_IDX(t));
		ev = json_pack("{s:s, s:s, s:s, s:f, s:f, s:i, s:I, s:{s:s}}",
		    "name", name, "cat", "task", "ph", "X",
		    "ts", T_START(t) * 1e6, "dur",
		    (T_END(t) - T_START(t)) * 1e6, "pid", 1,
		    "tid", (json_int_t)T_LANE(t), "args", "status",
		    state_name[st >= 0 && st <= 3 ? st : 0]);
		json_array_append_new(evs, ev);
	}
	ev = json_pack("{s:o, s:s, s:{s:O, s:O, s:O, s:O, s:O}}",
	    "traceEvents", evs, "displayTimeUnit", "ms", "otherData",
	    "job", json_object_get(tr, "job"), "strategy",
	    json_object_get(tr, "strategy"), "wall_s",
	    json_object_get(tr, "wall_s"), "status",
	    json_object_get(tr, "status"), "not_kept",
	    json_object_get(tr, "not_kept"));
	json_dumpf(ev, stdout, JSON_COMPACT | JSON_REAL_PRECISION(12));
	putchar('\n');
	json_decref(ev);
}

/* nice_step - 1, 2 or 5 times a power of ten, about span / 8. */
static double
nice_step(double span)
{
	double	raw = span / 8, p = pow(10, floor(log10(raw)));
	double	m = raw / p;

	return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

static void
svg(json_t *tr)
{
	json_t		*tasks = json_object_get(tr, "tasks"), *t;
	size_t		 i, n = json_array_size(tasks);
	long		 nl = lanes_of(tasks), rows, per_row;
	double		 span = jnum(tr, "wall_s"), pw, lh, step;
	int		 height, aggregate;
	const char	*kind = lane_kind(jstr(tr, "strategy"));

	json_array_foreach(tasks, i, t)
		if (T_END(t) > span)
			span = T_END(t);
	if (span <= 0)
		span = 1e-6;
	if (nl < 1)
		nl = 1;
	per_row = (nl + SVG_MAX_ROWS - 1) / SVG_MAX_ROWS;
	rows = (nl + per_row - 1) / per_row;
	lh = rows > 30 ? fmax(2.0, 600.0 / (double)rows) : 20;
	pw = SVG_W - SVG_LEFT - SVG_RIGHT;
	height = SVG_TOP + (int)ceil(lh * (double)rows) + 50;
	/* Too many boxes to tell apart: shade each pixel column instead. */
	aggregate = n > (size_t)(pw * (double)rows / 4) || per_row > 1;

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
	    "font-size=\"11\">\n", SVG_W, height, SVG_W, height);
	printf("<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	printf("<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">"
	    "run %lld: %s, strategy %s x%lld, wall %.3f s, %s</text>\n",
	    SVG_LEFT, jint(tr, "id"), jstr(tr, "job"), jstr(tr, "strategy"),
	    jint(tr, "concurrency"), jnum(tr, "wall_s"), jstr(tr, "status"));
	printf("<text x=\"%d\" y=\"38\" fill=\"#555\">%zu tasks on %ld "
	    "%s%s%s", SVG_LEFT, n, nl, kind, nl == 1 ? "" : "s",
	    aggregate ? "; each column shows how busy the lane was" : "");
	if (jint(tr, "not_kept"))
		printf("; %lld more tasks not kept", jint(tr, "not_kept"));
	printf("</text>\n");
	for (long r = 0; r < rows; r++) {
		double y = SVG_TOP + lh * (double)r;

		printf("<g class=\"lane\" data-lane=\"%ld\">", r * per_row);
		printf("<rect x=\"%d\" y=\"%.2f\" width=\"%.0f\" height=\"%.2f\" "
		    "fill=\"%s\"/>", SVG_LEFT, y, pw, lh,
		    r % 2 ? "#fafafa" : "#f0f0f0");
		if (lh >= 8) {
			if (per_row == 1)
				printf("<text x=\"%d\" y=\"%.2f\" "
				    "text-anchor=\"end\">%s %ld</text>",
				    SVG_LEFT - 6, y + lh * 0.7, kind, r);
			else
				printf("<text x=\"%d\" y=\"%.2f\" "
				    "text-anchor=\"end\">%s %ld-%ld</text>",
				    SVG_LEFT - 6, y + lh * 0.7, kind,
				    r * per_row, r * per_row + per_row - 1);
		}
		printf("</g>\n");
	}
	if (!aggregate) {
		json_array_foreach(tasks, i, t) {
			double	x = SVG_LEFT + T_START(t) / span * pw;
			double	w = fmax(0.5, (T_END(t) - T_START(t)) / span *
				    pw);
			int	st = T_STATE(t);

			printf("<rect class=\"task\" x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\" "
			    "stroke=\"white\" stroke-width=\"0.5\"><title>"
			    "task %lld: %s, %.6f s</title></rect>\n", x,
			    SVG_TOP + lh * (double)T_LANE(t) + 1, w,
			    fmax(1, lh - 2), state_colour[st >= 0 && st <= 3 ?
			    st : 0], (long long)T_IDX(t),
			    state_name[st >= 0 && st <= 3 ? st : 0],
			    T_END(t) - T_START(t));
		}
	} else {
		size_t	 cols = (size_t)pw;
		double	*busy = calloc(cols * (size_t)rows, sizeof *busy);
		double	 colw = span / (double)cols;
		char	*bad = calloc(cols * (size_t)rows, 1);

		json_array_foreach(tasks, i, t) {
			long	r = T_LANE(t) / per_row;
			double	s = T_START(t), e = T_END(t);
			size_t	c0 = (size_t)(s / colw), c1 = (size_t)(e / colw);

			if (r < 0 || r >= rows)
				continue;
			for (size_t c = c0; c <= c1 && c < cols; c++) {
				double lo = fmax(s, (double)c * colw);
				double hi = fmin(e, (double)(c + 1) * colw);

				if (hi > lo)
					busy[(size_t)r * cols + c] += hi - lo;
				if (T_STATE(t) == 2)
					bad[(size_t)r * cols + c] = 1;
			}
		}
		for (long r = 0; r < rows; r++)
			for (size_t c = 0; c < cols; c++) {
				double f = busy[(size_t)r * cols + c] /
				    (colw * (double)per_row);

				if (f <= 0)
					continue;
				printf("<rect x=\"%zu\" y=\"%.2f\" width=\"1\" "
				    "height=\"%.2f\" fill=\"%s\" "
				    "fill-opacity=\"%.2f\"/>\n", SVG_LEFT + c,
				    SVG_TOP + lh * (double)r, lh,
				    bad[(size_t)r * cols + c] ? "#e53935" :
				    "#43a047", fmin(1, 0.15 + 0.85 * f));
			}
		free(busy);
		free(bad);
	}
	step = nice_step(span);
	for (double x = 0; x <= span * 1.0001; x += step) {
		double px = SVG_LEFT + x / span * pw;

		printf("<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%.2f\" "
		    "stroke=\"#999\" stroke-width=\"0.5\"/>", px, SVG_TOP, px,
		    SVG_TOP + lh * (double)rows + 4);
		printf("<text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\">"
		    "%g s</text>\n", px, SVG_TOP + lh * (double)rows + 18, x);
	}
	printf("<g font-size=\"11\">");
	for (int s = 1; s <= 3; s++)
		printf("<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" "
		    "fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>",
		    SVG_LEFT + (s - 1) * 90, height - 16, state_colour[s],
		    SVG_LEFT + (s - 1) * 90 + 14, height - 7, state_name[s]);
	printf("</g>\n</svg>\n");
}

static int
cmd_trace(struct args *a)
{
	const char	*format = "chrome";
	long long	 id;
	json_t		*rep, *tr;

	if ((id = args_run_id(a, 0)) < 0)
		return 2;
	if (args_has(a, "format"))
		format = args_get(a, "format");
	if (strcmp(format, "chrome") != 0 && strcmp(format, "svg") != 0 &&
	    strcmp(format, "json") != 0)
		return usage_error(&cmd_trace_entry, "--format: chrome, svg "
		    "or json, not \"%s\"", format);
	if ((rep = client_request(json_pack("{s:s, s:I}", "cmd", "trace",
	    "id", (json_int_t)id), NULL)) == NULL)
		return 1;
	if (!reply_ok(rep))
		return 1;
	tr = json_object_get(rep, "trace");
	if (strcmp(format, "chrome") == 0)
		chrome(tr);
	else if (strcmp(format, "svg") == 0)
		svg(tr);
	else
		print_json(tr);
	json_decref(rep);
	return 0;
}

static const struct cmd_opt trace_opts[] = {
	{ "format", 0, "chrome|svg|json", 0 },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_trace_entry = {
	.name = "trace",
	.args = "ID",
	.need = "a run id",
	.lower = 1,
	.upper = 1,
	.opts = trace_opts,
	.summary = "a run's timeline (Chrome trace or SVG)",
	.exec = cmd_trace,
};
