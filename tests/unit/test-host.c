/*
 * test-host.c - weft-runner's struct weft_host, driven as a plugin
 * would: the declarative params parser (values, defaults, every error
 * with its position), task results and failures with retries, and the
 * capture/commit/lost path worker processes use.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "runner.h"

atomic_int cancel_flag;		/* main.c's, which is not linked here */

void
runner_fail(int fd, const char *fmt, ...)
{
	fail_msg("runner_fail called");
	abort();
}

void
run_ended(struct weft_run *r)	/* run.c's, which is not linked here */
{
}

static struct ydoc *
doc(const char *text)
{
	char		*cause = NULL;
	struct ydoc	*d = ydoc_load("job.yaml", text, strlen(text), &cause);

	if (d == NULL)
		fail_msg("%s", cause);
	return d;
}

/* errors - the document's errors joined by newlines. */
static const char *
errors(const struct ydoc *d)
{
	static char	out[4096];
	size_t		off = 0;

	out[0] = '\0';
	for (size_t i = 0; i < d->errs.n; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, "%s%s",
		    i ? "\n" : "", d->errs.v[i]);
	return out;
}

struct cfg {
	long long		 n, ms;
	int			 flag, mode;
	const char		*name, *path;
	struct weft_ints	 ns;
	struct weft_strings	 words;
	const struct weft_node	*raw;
};

static const char *const modes[] = { "fast", "slow", "auto", NULL };

static const struct weft_param spec[] = {
	{ "n", WEFT_P_INT, WEFT_P_REQUIRED, offsetof(struct cfg, n), 1, 10,
	    NULL, NULL },
	{ "ms", WEFT_P_DURATION, 0, offsetof(struct cfg, ms), 0, 60000, NULL,
	    "2s" },
	{ "flag", WEFT_P_BOOL, 0, offsetof(struct cfg, flag), 0, 0, NULL,
	    "yes" },
	{ "mode", WEFT_P_ENUM, 0, offsetof(struct cfg, mode), 0, 0, modes,
	    "auto" },
	{ "name", WEFT_P_STRING, 0, offsetof(struct cfg, name), 0, 0, NULL,
	    "anon" },
	{ "path", WEFT_P_PATH, 0, offsetof(struct cfg, path), 0, 0, NULL,
	    NULL },
	{ "ns", WEFT_P_INTS, 0, offsetof(struct cfg, ns), 0, 100, NULL, NULL },
	{ "words", WEFT_P_STRINGS, 0, offsetof(struct cfg, words), 0, 0, NULL,
	    NULL },
	{ "raw", WEFT_P_NODE, 0, offsetof(struct cfg, raw), 0, 0, NULL, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL, NULL },
};

static int
parse(struct ydoc *d, struct cfg *c)
{
	memset(c, 0, sizeof *c);
	return host.params->parse((const struct weft_node *)ynode_get(d->root,
	    "params"), spec, c);
}

static void
test_params_values(void **state)
{
	struct ydoc	*d = doc("params:\n  n: 7\n  ms: 1m\n  flag: off\n"
			    "  mode: slow\n  name: x\n  path: /tmp\n"
			    "  ns: [1, 2, 3]\n  words: one\n  raw: {a: 1}\n");
	struct cfg	 c;

	assert_int_equal(parse(d, &c), 0);
	assert_int_equal(c.n, 7);
	assert_int_equal(c.ms, 60000);
	assert_int_equal(c.flag, 0);
	assert_int_equal(c.mode, 1);
	assert_string_equal(c.name, "x");
	assert_string_equal(c.path, "/tmp");
	assert_int_equal(c.ns.n, 3);
	assert_int_equal(c.ns.v[2], 3);
	assert_int_equal(c.words.n, 1);
	assert_string_equal(c.words.v[0], "one");
	assert_int_equal(host.params->node_kind(c.raw), WEFT_NODE_MAP);
	assert_string_equal(host.params->node_key(c.raw, 0), "a");
	assert_string_equal(errors(d), "");
	ydoc_free(d);

	/* Defaults, and a single integer for a list of them. */
	d = doc("params:\n  n: 1\n  ns: 42\n");
	assert_int_equal(parse(d, &c), 0);
	assert_int_equal(c.ms, 2000);
	assert_int_equal(c.flag, 1);
	assert_int_equal(c.mode, 2);
	assert_string_equal(c.name, "anon");
	assert_null(c.path);
	assert_int_equal(c.ns.n, 1);
	assert_int_equal(c.ns.v[0], 42);
	ydoc_free(d);
}

static void
test_params_errors(void **state)
{
	struct ydoc	*d;
	struct cfg	 c;

	d = doc("params:\n  n: 11\n  ms: 2h\n  flag: maybe\n  mode: medium\n"
	    "  path: ''\n  ns: [1, x]\n  words: {a: b}\n  typo: 1\n");
	assert_int_equal(parse(d, &c), 8);
	assert_string_equal(errors(d),
	    "job.yaml:9:3: params.typo: unknown key \"typo\" (expected one "
	    "of: n, ms, flag, mode, name, path, ns, words, raw)\n"
	    "job.yaml:2:6: params.n: expected an integer from 1 to 10, got "
	    "\"11\"\n"
	    "job.yaml:3:7: params.ms: expected a duration from 0s to 1m, "
	    "got \"2h\"\n"
	    "job.yaml:4:9: params.flag: expected true or false, got "
	    "\"maybe\"\n"
	    "job.yaml:5:9: params.mode: expected fast, slow or auto, got "
	    "\"medium\"\n"
	    "job.yaml:6:9: params.path: expected a path, got an empty string\n"
	    "job.yaml:7:11: params.ns[1]: expected an integer from 0 to 100, "
	    "got \"x\"\n"
	    "job.yaml:8:10: params.words: expected a value or a list of "
	    "values, got a mapping");
	ydoc_free(d);

	d = doc("params:\n  ms: 5\n");
	assert_int_equal(parse(d, &c), 2);
	assert_string_equal(errors(d),
	    "job.yaml:2:3: params: n: missing (a required parameter)\n"
	    "job.yaml:2:7: params.ms: expected a duration such as 500ms, 30s, "
	    "5m or 1h, got \"5\"");
	ydoc_free(d);

	d = doc("params: [1, 2]\n");
	assert_int_equal(parse(d, &c), 1);
	assert_string_equal(errors(d), "job.yaml:1:9: params: expected a "
	    "mapping of parameters, got a list");
	ydoc_free(d);
}

/* ---- tasks, through a workload of the test's own ---- */

static int	calls[8];

static void *
w_init(const struct weft_host *h, const struct weft_node *p, size_t *n)
{
	*n = 8;
	return (void *)h;
}

/* Task i: ok with results, except 3 (fails twice with a partial
 * result, then ok) and 5. */
static int
w_task(void *state, void *ctx, struct weft_task *t, size_t idx)
{
	const struct weft_task_api *ta = ((const struct weft_host *)state)->task;

	calls[idx]++;
	if (idx == 5)
		return (ta->fail)(t, "task %zu refuses", idx);
	if (idx == 3 && calls[idx] < 3) {
		ta->result_int(t, "partial", calls[idx]);
		return (ta->fail)(t, "not yet");
	}
	ta->result_int(t, "i", (long long)idx);
	ta->result_str(t, "s", "x");
	ta->result_num(t, "f", 0.5);
	return WEFT_TASK_OK;
}

static const char *const w_sum[] = { "i", NULL };
static const char *const w_count[] = { "s", NULL };
static const struct weft_workload_ops wops = { .init = w_init,
    .task = w_task, .sum_keys = w_sum, .count_keys = w_count };
static const struct weft_plugin wdesc = { WEFT_PLUGIN_HEADER,
    .kind = WEFT_KIND_WORKLOAD, .name = "t", .version = "1", .summary = "s",
    .ops = &wops };
static const struct weft_strategy_ops sops = { .run = NULL };

static void
setup_run(struct weft_run *r, int retries)
{
	int fds[2];

	memset(r, 0, sizeof *r);
	memset(calls, 0, sizeof calls);
	r->wdesc = &wdesc;
	r->wops = &wops;
	r->sops = &sops;
	r->retries = retries;
	r->wstate = (void *)&host;
	r->ntasks = 8;
	r->concurrency = 1;
	r->recs = calloc(8, sizeof *r->recs);
	pthread_mutex_init(&r->mu, NULL);
	/* Progress messages go nowhere the test cares about. */
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	r->fd = fds[1];
}

/* teardown_run - free what the run's records hold. */
static void
teardown_run(struct weft_run *r)
{
	for (size_t i = 0; i < r->ntasks; i++) {
		result_free(r->recs[i].result);
		free(r->recs[i].error);
	}
	free(r->recs);
	close(r->fd);
}

static void
test_exec(void **state)
{
	const struct weft_strategy_api	*s = host.strategy;
	struct weft_run			 r;
	struct weft_ctx			*c;
	struct result_val		 v;
	size_t				 idx, n = 0;
	char				*text;

	setup_run(&r, 2);
	c = s->ctx_open(&r, 0);
	assert_non_null(c);
	while (s->next(&r, &idx)) {
		s->exec(c, idx);
		n++;
	}
	s->ctx_close(c);
	assert_int_equal(n, 8);
	assert_int_equal(r.recs[0].state, T_OK);
	assert_true(result_get(r.recs[7].result, "i", &v));
	assert_int_equal(v.type, RESULT_INT);
	assert_int_equal(v.i, 7);
	/* Results of the attempts that failed are not kept. */
	text = result_text(r.recs[3].result);
	assert_string_equal(text, "{\"i\":3,\"s\":\"x\",\"f\":0.5}");
	free(text);
	assert_int_equal(r.recs[3].state, T_OK);
	assert_int_equal(r.recs[3].attempts, 3);
	assert_int_equal(r.recs[5].state, T_FAILED);
	assert_int_equal(r.recs[5].attempts, 3);
	assert_string_equal(r.recs[5].error, "task 5 refuses");
	assert_int_equal(atomic_load(&r.done), 8);
	assert_int_equal(atomic_load(&r.failed), 1);
	teardown_run(&r);
}

/* The RECORD a run sends: counts, summary, results written by hand. */
static void
test_record(void **state)
{
	const struct weft_strategy_api	*s = host.strategy;
	struct weft_run			 r;
	struct weft_ctx			*c;
	size_t				 idx;
	char				*text;
	json_t				*o, *res, *want;

	setup_run(&r, 2);
	c = s->ctx_open(&r, 0);
	while (s->next(&r, &idx))
		s->exec(c, idx);
	s->ctx_close(c);
	text = record_text(&r);
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (o == NULL)
		fail_msg("not JSON: %s", text);
	assert_string_equal(json_string_value(json_object_get(o, "type")),
	    "record");
	want = json_pack("{s:i, s:i, s:i, s:i}", "total", 8, "ok", 7,
	    "failed", 1, "cancelled", 0);
	assert_true(json_equal(json_object_get(o, "tasks"), want));
	json_decref(want);
	/* 0+1+2+3+4+6+7, and seven tasks gave s = "x". */
	want = json_pack("{s:{s:i}, s:{s:{s:i}}}", "sum", "i", 23, "count",
	    "s", "x", 7);
	assert_true(json_equal(json_object_get(o, "summary"), want));
	json_decref(want);
	res = json_object_get(o, "results");
	assert_int_equal(json_array_size(res), 7);
	want = json_pack("{s:i, s:i, s:s, s:f}", "task", 6, "i", 6, "s", "x",
	    "f", 0.5);
	assert_true(json_equal(json_array_get(res, 5), want));
	json_decref(want);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
	    json_object_get(o, "failures"), 0), "task")), 5);
	json_decref(o);
	free(text);
	teardown_run(&r);
}

static void
test_capture_commit(void **state)
{
	const struct weft_strategy_api	*s = host.strategy;
	struct weft_run			 r;
	struct weft_ctx			*c;
	char				*out, *text;
	size_t				 len;

	setup_run(&r, 0);
	c = s->ctx_open(&r, 1);
	out = s->capture(c, 2, &len);
	assert_int_equal(r.recs[2].state, T_PENDING);	/* not recorded */
	assert_int_equal(s->commit(&r, 2, 1, out, len), 0);
	assert_int_equal(r.recs[2].state, T_OK);
	assert_int_equal(r.recs[2].lane, 1);
	/* The result crossed as it was made. */
	text = result_text(r.recs[2].result);
	assert_string_equal(text, "{\"i\":2,\"s\":\"x\",\"f\":0.5}");
	free(text);
	/* The same outcome twice, or for a task out of range: refused. */
	assert_int_equal(s->commit(&r, 2, 1, out, len), -1);
	assert_int_equal(s->commit(&r, 99, 1, out, len), -1);
	free(out);
	assert_int_equal(s->commit(&r, 4, 1, "garbage", 7), -1);
	assert_int_equal(s->commit(&r, 4, 1, "{\"s\":1}", 7), -1);
	assert_int_equal(s->commit(&r, 4, 1, "{\"s\":7,\"a\":1,\"t0\":0,"
	    "\"t1\":0}", 27), -1);
	/* Times a worker cannot have measured (fuzz-commit found these). */
	assert_int_equal(s->commit(&r, 4, 1, "{\"s\":1,\"a\":1,\"t0\":0,"
	    "\"t1\":4e95}", 30), -1);
	assert_int_equal(s->commit(&r, 4, 1, "{\"s\":1,\"a\":1,\"t0\":-1,"
	    "\"t1\":0}", 28), -1);
	assert_int_equal(s->commit(&r, 4, 1, "{\"s\":1,\"a\":1,\"t0\":2,"
	    "\"t1\":1}", 27), -1);
	assert_int_equal(r.recs[4].state, T_PENDING);
	/* A lost task fails with the reason (no retries left). */
	assert_int_equal(s->lost(&r, 4, 1, "worker 1 was killed by SIGKILL"), 0);
	assert_int_equal(r.recs[4].state, T_FAILED);
	assert_string_equal(r.recs[4].error, "worker 1 was killed by SIGKILL");
	s->ctx_close(c);
	teardown_run(&r);

	/* With retries, a lost task runs again. */
	setup_run(&r, 1);
	assert_int_equal(s->lost(&r, 6, 0, "gone"), 1);
	assert_int_equal(s->lost(&r, 6, 0, "gone again"), 0);
	assert_int_equal(r.recs[6].attempts, 2);
	assert_string_equal(r.recs[6].error, "gone again");
	teardown_run(&r);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Percentiles by selection equal those of a full sort, ties included. */
static void
test_percentiles(void **state)
{
	static const double	 ps[] = { 0.50, 0.95, 0.99 };
	static const char *const names[] = { "p50", "p95", "p99" };

	srand(7);
	for (int round = 0; round < 300; round++) {
		size_t	 n = (size_t)(rand() % 2000) + 1;
		double	*v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
		json_t	*o;
		int	 spread = round % 3 == 0 ? 3 : 1000;	/* many ties */

		for (size_t i = 0; i < n; i++)
			v[i] = w[i] = (double)(rand() % spread) / 7;
		qsort(w, n, sizeof *w, cmp_double);
		o = percentiles(v, n);
		for (int k = 0; k < 3; k++) {
			size_t i = (size_t)ceil(ps[k] * (double)n);

			assert_true(json_real_value(json_object_get(o,
			    names[k])) == w[i ? i - 1 : 0]);
		}
		assert_true(json_real_value(json_object_get(o, "max")) ==
		    w[n - 1]);
		json_decref(o);
		free(v);
		free(w);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_values),
		cmocka_unit_test(test_params_errors),
		cmocka_unit_test(test_exec),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_capture_commit),
		cmocka_unit_test(test_percentiles),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
