/*
 * cmd-compare.c - weftctl compare JOB [--strategies a,b,...]
 * [--concurrency N[,N...]] [--json] [--svg FILE]: run the same job under
 * each strategy, one after another, and print the table the Python
 * examples print by hand: strategy, concurrency, wall, CPU, peak RSS,
 * tasks/s, p50/p99 latency, speed-up over inline (or the first).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

#define MAX_STRATEGIES	16

static int
split(char *s, char **v, int max)
{
	int n = 0;

	for (char *p = strtok(s, ","); p != NULL && n < max;
	    p = strtok(NULL, ","))
		v[n++] = p;
	return n;
}

static void
write_svg(FILE *f, const char *job, json_t *recs)
{
	size_t	 n = json_array_size(recs), i;
	double	 max = 0;
	json_t	*r;
	int	 h = 60 + 28 * (int)n + 30;

	json_array_foreach(recs, i, r)
		if (jnum(r, "wall_s") > max)
			max = jnum(r, "wall_s");
	if (max <= 0)
		max = 1;
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"720\" "
	    "height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	    "<text x=\"20\" y=\"28\" font-size=\"15\" font-weight=\"bold\">"
	    "%s: wall time by strategy</text>\n", h, job);
	json_array_foreach(recs, i, r) {
		double	w = jnum(r, "wall_s") / max * 480;
		int	y = 50 + 28 * (int)i;

		fprintf(f, "<g class=\"bar\"><text x=\"20\" y=\"%d\">%s x%lld"
		    "</text><rect x=\"130\" y=\"%d\" width=\"%.1f\" "
		    "height=\"20\" fill=\"%s\"/><text x=\"%.1f\" y=\"%d\">"
		    "%.3f s</text></g>\n", y + 14, jstr(r, "strategy"),
		    jint(r, "concurrency"), y, w > 1 ? w : 1,
		    strcmp(jstr(r, "status"), "ok") == 0 ? "#1e88e5" :
		    "#e53935", 136 + w, y + 14, jnum(r, "wall_s"));
	}
	fprintf(f, "</svg>\n");
}

static int
cmd_compare(struct args *a)
{
	char		*strategies, *concs = NULL;
	const char	*svgfile = args_get(a, "svg");
	char		*sv[MAX_STRATEGIES], *cv[MAX_STRATEGIES];
	const char	*job = a->argv[0];
	int		 ns, nc = 0, rc = 0;
	json_t		*recs, *r;
	double		 base = 0;
	size_t		 i;

	strategies = xstrdup(args_has(a, "strategies") ?
	    args_get(a, "strategies") : "inline,threads,coro,fork");
	ns = split(strategies, sv, MAX_STRATEGIES);
	if (args_has(a, "concurrency")) {
		concs = xstrdup(args_get(a, "concurrency"));
		nc = split(concs, cv, MAX_STRATEGIES);
	}
	if (nc > 1 && nc != ns)
		return usage_error(&cmd_compare_entry, "--concurrency: give "
		    "one number, or one per strategy (%d)", ns);
	recs = json_array();
	for (int k = 0; k < ns; k++) {
		json_t		*req, *rep;
		const char	*c = nc == 0 ? NULL : nc == 1 ? cv[0] : cv[k];

		req = json_pack("{s:s, s:s, s:s, s:b}", "cmd", "run", "job",
		    job, "strategy", sv[k], "wait", 1);
		if (c != NULL && strcmp(sv[k], "inline") != 0)
			json_object_set_new(req, "concurrency",
			    json_integer(strtol(c, NULL, 10)));
		if (!json_output)
			fprintf(stderr, "running %s under %s...\n", job, sv[k]);
		if ((rep = client_request(req, NULL)) == NULL) {
			rc = 1;
			break;
		}
		if (!reply_ok(rep)) {
			rc = 1;
			continue;
		}
		json_array_append(recs, json_object_get(rep, "record"));
		json_decref(rep);
	}
	json_array_foreach(recs, i, r)
		if (strcmp(jstr(r, "strategy"), "inline") == 0)
			base = jnum(r, "wall_s");
	if (base == 0 && json_array_size(recs) > 0)
		base = jnum(json_array_get(recs, 0), "wall_s");
	json_array_foreach(recs, i, r) {
		json_object_set_new(r, "speedup", json_real(jnum(r, "wall_s") >
		    0 ? base / jnum(r, "wall_s") : 0));
		if (strcmp(jstr(r, "status"), "ok") != 0)
			rc = 1;
	}
	if (json_output) {
		json_t *o = json_array();

		json_array_foreach(recs, i, r) {
			json_t *l = json_object_get(r, "latency_s");

			json_array_append_new(o, json_pack("{s:O, s:O, s:O, "
			    "s:O, s:f, s:O, s:O, s:O?, s:O?, s:O}", "strategy",
			    json_object_get(r, "strategy"), "concurrency",
			    json_object_get(r, "concurrency"), "status",
			    json_object_get(r, "status"), "wall_s",
			    json_object_get(r, "wall_s"), "cpu_s",
			    jnum(r, "user_s") + jnum(r, "sys_s"),
			    "max_rss_kb", json_object_get(r, "max_rss_kb"),
			    "tasks_per_s", json_object_get(r, "tasks_per_s"),
			    "p50_s", json_object_get(l, "p50"), "p99_s",
			    json_object_get(l, "p99"), "speedup",
			    json_object_get(r, "speedup")));
		}
		print_json(o);
		json_decref(o);
	} else {
		printf("%-9s %5s %10s %10s %10s %12s %10s %10s %8s  %s\n",
		    "STRATEGY", "CONC", "WALL", "CPU", "RSS", "TASKS/S", "P50",
		    "P99", "SPEEDUP", "STATUS");
		json_array_foreach(recs, i, r) {
			json_t *l = json_object_get(r, "latency_s");

			printf("%-9s %5lld %9.3fs %9.3fs %7.1fMiB %12.1f "
			    "%9.4fs %9.4fs %7.2fx  %s\n", jstr(r, "strategy"),
			    jint(r, "concurrency"), jnum(r, "wall_s"),
			    jnum(r, "user_s") + jnum(r, "sys_s"),
			    (double)jint(r, "max_rss_kb") / 1024,
			    jnum(r, "tasks_per_s"), jnum(l, "p50"),
			    jnum(l, "p99"), jnum(r, "speedup"),
			    jstr(r, "status"));
		}
	}
	if (svgfile != NULL) {
		FILE *f = fopen(svgfile, "w");

		if (f == NULL) {
			fprintf(stderr, "weftctl: %s: %s\n", svgfile,
			    strerror(errno));
			rc = 1;
		} else {
			write_svg(f, job, recs);
			if (fclose(f) != 0)
				rc = 1;
		}
	}
	json_decref(recs);
	free(strategies);
	free(concs);
	return rc;
}

static const struct cmd_opt compare_opts[] = {
	{ "strategies", 0, "a,b,...", 0 },
	{ "concurrency", 0, "N[,N...]", 0 },
	{ "svg", 0, "FILE", 0 },
	{ NULL, 0, NULL, 0 },
};

const struct cmd_entry cmd_compare_entry = {
	.name = "compare",
	.args = "JOB",
	.need = "a job name",
	.lower = 1,
	.upper = 1,
	.opts = compare_opts,
	.summary = "run a job under each strategy and compare",
	.exec = cmd_compare,
};
