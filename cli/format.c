/* format.c - human-readable forms of run records and the like. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftctl.h"

/* parse_run_id - a run id argument (a positive integer), or -1. */
long long
parse_run_id(const char *s)
{
	char		*end;
	long long	 id = strtoll(s, &end, 10);

	return *s != '\0' && *end == '\0' && id > 0 ? id : -1;
}

const char *
jstr(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

long long
jint(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

double
jnum(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/*
 * print_value - a result value as key=value text.  Numbers are printed
 * as jansson prints them with JSON_REAL_PRECISION(6), without it: a
 * json_dumps per value was a fifth of printing a record of 1,000
 * results.
 */
static void
print_value(const char *key, json_t *v)
{
	char	 num[64], *s, *e;
	size_t	 n;

	/* A thousand results of half a dozen values: puts, not printf. */
	putchar(' ');
	fputs(key, stdout);
	putchar('=');
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else if (json_is_integer(v)) {
		n = fmt_int(num, (long long)json_integer_value(v));
		fwrite(num, 1, n, stdout);
	} else if (json_is_real(v) && isfinite(json_real_value(v))) {
		n = (size_t)snprintf(num, sizeof num, "%.6g",
		    json_real_value(v));
		if (strspn(num, "0123456789-") == n)
			strcpy(num + n, ".0");	/* still reads as a real */
		/* 1e+20 as 1e20, 1e-05 as 1e-5 */
		if ((e = strchr(num, 'e')) != NULL) {
			char *d = ++e, *t;

			if (*d == '+')
				memmove(d, d + 1, strlen(d));
			else if (*d == '-')
				d++;
			for (t = d; *t == '0' && t[1] != '\0'; t++)
				;
			memmove(d, t, strlen(t) + 1);
		}
		fputs(num, stdout);
	} else {
		s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
		    JSON_REAL_PRECISION(6));
		fputs(s, stdout);
		free(s);
	}
}

/* print_summary - the workload's totals and histograms, one line each. */
static void
print_summary(json_t *s)
{
	const char	*k, *v;
	json_t		*val, *hist, *n;

	json_object_foreach(json_object_get(s, "sum"), k, val) {
		printf("  %-9s ", k);
		print_value("total", val);
		putchar('\n');
	}
	json_object_foreach(json_object_get(s, "count"), k, hist) {
		printf("  %-9s", k);
		json_object_foreach(hist, v, n)
			printf(" %s x%lld", v, (long long)json_integer_value(n));
		putchar('\n');
	}
}

/* print_running - a run still going. */
void
print_running(json_t *r)
{
	json_t *t = json_object_get(r, "tasks");

	printf("run %lld: %s\n", jint(r, "id"), jstr(r, "status"));
	printf("  job       %s (workload %s, strategy %s, %s)\n",
	    jstr(r, "job"), jstr(r, "workload"), jstr(r, "strategy"),
	    jstr(r, "trigger"));
	printf("  started   %s, %.1f s ago\n", jstr(r, "started"),
	    jnum(r, "wall_s"));
	printf("  tasks     %lld of %lld done, %lld failed\n",
	    jint(t, "done"), jint(t, "total"), jint(t, "failed"));
	if ((t = json_object_get(r, "units")) != NULL)
		printf("  progress  %lld of %lld (%.1f%%)\n", jint(t, "done"),
		    jint(t, "total"), jint(t, "total") ? 100.0 *
		    (double)jint(t, "done") / (double)jint(t, "total") : 0.0);
}

/* print_record - a finished run's record. */
void
print_record(json_t *r)
{
	json_t		*t = json_object_get(r, "tasks");
	json_t		*l = json_object_get(r, "latency_s");
	json_t		*res, *v;
	size_t		 i;
	const char	*key;

	if (json_object_get(r, "ended") == NULL) {
		print_running(r);
		return;
	}
	printf("run %lld: %s\n", jint(r, "id"), jstr(r, "status"));
	/* Concurrency 0: the run ended before its strategy said (a params
	 * error, say). */
	printf("  job       %s (workload %s, strategy %s", jstr(r, "job"),
	    jstr(r, "workload"), jstr(r, "strategy"));
	if (jint(r, "concurrency") > 0)
		printf(" x%lld", jint(r, "concurrency"));
	printf(", %s)\n", jstr(r, "trigger"));
	printf("  started   %s\n", jstr(r, "started"));
	printf("  wall      %.3f s\n", jnum(r, "wall_s"));
	printf("  cpu       %.3f s user, %.3f s sys\n", jnum(r, "user_s"),
	    jnum(r, "sys_s"));
	printf("  peak rss  %.1f MiB\n", (double)jint(r, "max_rss_kb") / 1024);
	printf("  tasks     %lld total, %lld ok, %lld failed, %lld "
	    "cancelled (%.2f/s)\n", jint(t, "total"), jint(t, "ok"),
	    jint(t, "failed"), jint(t, "cancelled"), jnum(r, "tasks_per_s"));
	if (json_object_get(t, "duplicated") != NULL ||
	    json_object_get(t, "lost") != NULL)
		printf("  cluster   %lld outcomes refused (tasks run twice), "
		    "%lld queue entries lost\n", jint(t, "duplicated"),
		    jint(t, "lost"));
	if (json_object_get(r, "resume_of") != NULL)
		printf("  resumed   run %lld: %lld tasks carried over, not run "
		    "again\n", jint(r, "resume_of"), jint(t, "resumed"));
	if (l != NULL)
		printf("  latency   p50 %.6f s, p95 %.6f s, p99 %.6f s, max "
		    "%.6f s\n", jnum(l, "p50"), jnum(l, "p95"),
		    jnum(l, "p99"), jnum(l, "max"));
	if (json_object_get(r, "error") != NULL)
		printf("  error     %s\n", jstr(r, "error"));
	print_summary(json_object_get(r, "summary"));
	res = json_object_get(r, "failures");
	json_array_foreach(res, i, v)
		printf("  task %lld failed after %lld attempt%s: %s\n",
		    jint(v, "task"), jint(v, "attempts"),
		    jint(v, "attempts") == 1 ? "" : "s", jstr(v, "error"));
	res = json_object_get(r, "results");
	if (json_array_size(res) == 0)
		return;
	printf("results:\n");
	json_array_foreach(res, i, v) {
		json_t *val;

		printf("  task %lld:", jint(v, "task"));
		json_object_foreach(v, key, val)
			if (strcmp(key, "task") != 0)
				print_value(key, val);
		putchar('\n');
	}
	if (json_is_true(json_object_get(r, "results_truncated")))
		printf("  (more results not kept; the record keeps the first "
		    "%zu)\n", json_array_size(res));
}
