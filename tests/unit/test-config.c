/*
 * test-config.c - the job file and configuration loader: what it accepts,
 * and the exact error (file:line:column: key: message) for what it does
 * not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "common.h"
#include "cluster.h"

static char dir[64];

static const char *
write_file(const char *name, const char *text)
{
	static char	path[128];
	FILE		*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

/* errors_of - load a job file; return its errors joined by newlines. */
static char *
errors_of(const char *name, const char *text)
{
	static char	 out[4096];
	struct errlist	 el = { 0 };
	struct job	*j;
	const char	*path = write_file(name, text);
	size_t		 off = 0;

	j = job_load(path, &el);
	out[0] = '\0';
	for (size_t i = 0; i < el.n; i++) {
		const char *m = el.v[i];

		/* Drop the temp directory from the path. */
		if (strncmp(m, dir, strlen(dir)) == 0)
			m += strlen(dir) + 1;
		off += (size_t)snprintf(out + off, sizeof out - off, "%s%s",
		    i ? "\n" : "", m);
	}
	if (el.n != 0)
		assert_null(j);
	else
		assert_non_null(j);
	job_free(j);
	errlist_clear(&el);
	return out;
}

static void
test_good_job(void **state)
{
	struct errlist	 el = { 0 };
	struct job	*j;

	j = job_load(write_file("good.yaml",
	    "name: fib\n"
	    "workload: fib\n"
	    "params:\n"
	    "  n: [40, 41]\n"
	    "strategy: inline\n"
	    "concurrency: 4\n"
	    "schedule: {cron: \"*/5 * * * *\"}\n"
	    "timeout: 1m30s\n"
	    "retries: 2\n"
	    "enabled: yes\n"), &el);
	assert_int_equal(el.n, 0);
	assert_non_null(j);
	assert_string_equal(j->name, "fib");
	assert_string_equal(j->workload, "fib");
	assert_string_equal(j->strategy, "inline");
	assert_int_equal(j->concurrency, 4);
	assert_int_equal(j->sched, SCHED_CRON);
	assert_string_equal(j->sched_text, "cron */5 * * * *");
	assert_int_equal(j->timeout_ms, 90000);
	assert_int_equal(j->retries, 2);
	assert_int_equal(j->enabled, 1);
	assert_non_null(j->params);
	assert_int_equal(ynode_get(j->params, "n")->n, 2);
	job_free(j);

	/* Defaults: name from the file, inline, on-demand. */
	j = job_load(write_file("minimal.yaml", "workload: sumsq\n"), &el);
	assert_non_null(j);
	assert_string_equal(j->name, "minimal");
	assert_string_equal(j->strategy, "inline");
	assert_int_equal(j->sched, SCHED_ON_DEMAND);
	assert_int_equal(j->concurrency, 0);
	assert_int_equal(j->timeout_ms, 0);
	job_free(j);

	j = job_load(write_file("every.yaml", "workload: x\nschedule:\n"
	    "  every: 30s\n"), &el);
	assert_non_null(j);
	assert_int_equal(j->sched, SCHED_EVERY);
	assert_int_equal(j->every_ms, 30000);
	job_free(j);
}

static void
test_bad_jobs(void **state)
{
	assert_string_equal(errors_of("fib.yaml",
	    "name: fib\nworkload: fib\nparams: {n: [40]}\nconcurrency: many\n"),
	    "fib.yaml:4:14: concurrency: expected a positive integer, got "
	    "\"many\"");
	assert_string_equal(errors_of("typo.yaml",
	    "workload: fib\nconcurency: 4\n"),
	    "typo.yaml:2:1: concurency: unknown key \"concurency\" (expected "
	    "one of: name, description, workload, params, strategy, "
	    "strategy_params, concurrency, schedule, timeout, retries, "
	    "enabled, resume)");
	assert_string_equal(errors_of("tmo.yaml",
	    "workload: fib\ntimeout: 30\n"),
	    "tmo.yaml:2:10: timeout: expected a duration such as 500ms, 30s, "
	    "5m or 1h, got \"30\"");
	assert_string_equal(errors_of("cron.yaml",
	    "workload: fib\nschedule:\n  cron: \"61 * * * *\"\n"),
	    "cron.yaml:3:9: schedule.cron: bad minute field \"61\" (allowed "
	    "0-59, *, lists, ranges, /steps)");
	assert_string_equal(errors_of("sched.yaml",
	    "workload: fib\nschedule: hourly\n"),
	    "sched.yaml:2:11: schedule: expected on-demand, at-start, "
	    "{every: DURATION} or {cron: \"EXPR\"}, got \"hourly\"");
	assert_string_equal(errors_of("nowl.yaml", "name: x\n"),
	    "nowl.yaml:1:1: workload: missing; name the workload plugin "
	    "(e.g. workload: sumsq)");
	assert_string_equal(errors_of("syntax.yaml",
	    "workload: fib\nparams: [1, 2\n"),
	    "syntax.yaml:3:1: YAML syntax error: did not find expected ',' "
	    "or ']' while parsing a flow sequence");
	assert_string_equal(errors_of("dup.yaml",
	    "workload: fib\nworkload: sumsq\n"),
	    "dup.yaml:2:1: workload: duplicate key (first at line 1)");
	assert_string_equal(errors_of("list.yaml", "- a\n- b\n"),
	    "list.yaml:1:1: a job file must be a mapping of keys (name, "
	    "workload, strategy, ...)");
	assert_string_equal(errors_of("enabled.yaml",
	    "workload: fib\nenabled: maybe\n"),
	    "enabled.yaml:2:10: enabled: expected true or false, got "
	    "\"maybe\"");
	assert_string_equal(errors_of("params.yaml",
	    "workload: fib\nparams: [1]\n"),
	    "params.yaml:2:9: params: expected a mapping of workload "
	    "parameters, got a list");
	assert_string_equal(errors_of("name.yaml",
	    "name: \"has space\"\nworkload: fib\n"),
	    "name.yaml:1:7: name: \"has space\" is not a valid job name "
	    "(letters, digits, '_', '.', '-'; at most 64)");
	/* Several errors are all reported, in order. */
	assert_string_equal(errors_of("many.yaml",
	    "workload: fib\nretries: -1\nevery: 5s\nconcurrency: 0\n"),
	    "many.yaml:3:1: every: unknown key \"every\" (expected one of: "
	    "name, description, workload, params, strategy, strategy_params, concurrency, "
	    "schedule, timeout, retries, enabled, resume)\n"
	    "many.yaml:4:14: concurrency: expected a positive integer, got "
	    "\"0\"\n"
	    "many.yaml:2:10: retries: expected an integer from 0 to 100, got "
	    "\"-1\"");
}

/* Hostile YAML: judged at once, with the position, without expanding. */
static void
test_hostile_yaml(void **state)
{
	char	*text, *p;
	size_t	 i;

	/* Ten anchors of nine aliases each: refused at the first alias. */
	text = xstrdup("workload: fib\na0: &a0 [x, x, x, x, x, x, x, x, x]\n"
	    "a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
	    "params: {n: *a1}\n");
	assert_string_equal(errors_of("bomb.yaml", text), "bomb.yaml:3:10: an "
	    "alias (*a0): weft's files do not use YAML anchors and aliases; "
	    "write the value out");
	free(text);
	/* 100,000 levels: refused at the 65th. */
	text = xmalloc(200100);
	p = text + sprintf(text, "workload: fib\nparams: {n: ");
	for (i = 0; i < 100000; i++)
		*p++ = '[';
	for (i = 0; i < 100000; i++)
		*p++ = ']';
	strcpy(p, "}\n");
	assert_string_equal(errors_of("deep.yaml", text), "deep.yaml:2:75: "
	    "nested too deeply (more than 64 levels)");
	free(text);
	/* A million values: refused at the 500,001st. */
	text = xmalloc(2000100);
	p = text + sprintf(text, "workload: fib\nparams: {n: [");
	for (i = 0; i < 999999; i++) {
		*p++ = '1';
		*p++ = ',';
	}
	strcpy(p, "1]}\n");
	assert_string_equal(errors_of("flow.yaml", text), "flow.yaml:2:"
	    "1000000: more than 500000 values; a file this large is a mistake "
	    "(put big inputs in a file the workload reads, such as "
	    "urls_file)");
	free(text);
	/* 100,000 distinct keys are fine; a duplicate among them is found. */
	text = xmalloc(2000000);
	p = text + sprintf(text, "workload: fib\nparams:\n");
	for (i = 0; i < 100000; i++)
		p += sprintf(p, "  k%zu: %zu\n", i, i);
	assert_string_equal(errors_of("keys.yaml", text), "");
	sprintf(p, "  k77777: again\n");
	assert_string_equal(errors_of("keys.yaml", text), "keys.yaml:100003:3: "
	    "params.k77777: duplicate key (first at line 77780)");
	free(text);
	/* Nested: the path of an open mapping is right. */
	assert_string_equal(errors_of("nested.yaml", "workload: fib\n"
	    "params:\n  a: {b: [1, {c: 1, c: 2}]}\n"), "nested.yaml:3:21: "
	    "params.a.b[1].c: duplicate key (first at line 3)");
	assert_string_equal(errors_of("mapkey.yaml", "workload: fib\n"
	    "params:\n  ? [1, 2]\n  : x\n"), "mapkey.yaml:3:5: params: "
	    "mapping keys must be plain words");
	assert_string_equal(errors_of("two.yaml", "workload: fib\n---\n"
	    "workload: sumsq\n"), "two.yaml:2:1: a second YAML document; put "
	    "one job in each file");
	/* A list as a key inside a list (fuzz-yaml found a bad path). */
	assert_string_equal(errors_of("keyseq.yaml", "[?[[?[] 0]]\n"),
	    "keyseq.yaml:1:3: [0]: mapping keys must be plain words");
	/* Empty containers (fuzz-control found a null pointer there). */
	assert_string_equal(errors_of("empty.yaml", "workload: fib\n"
	    "params: {}\nstrategy_params: {}\n"), "");
	assert_string_equal(errors_of("emptyseq.yaml", "workload: fib\n"
	    "params: {n: []}\n"), "");
	/* An anchor alone is harmless. */
	assert_string_equal(errors_of("anchor.yaml", "workload: &w fib\n"), "");
}

static void
test_config(void **state)
{
	struct errlist	 el = { 0 };
	struct config	*c;
	int		 bad;
	char		 path[128], jobs[128];

	snprintf(jobs, sizeof jobs, "%s/jobs.d", dir);
	assert_int_equal(mkdir(jobs, 0755), 0);
	write_file("jobs.d/a.yaml", "workload: fib\n");
	write_file("jobs.d/b.yaml", "workload: fib\nconcurrency: x\n");
	write_file("jobs.d/c.yaml", "name: a\nworkload: fib\n");
	write_file("jobs.d/notes.txt", "not a job\n");
	write_file("weftd.yaml", "socket: w.sock\nsocket_mode: \"0600\"\n"
	    "plugin_dirs: [p1, /abs/p2]\nmax_concurrent_runs: 2\n"
	    "log_level: debug\n");
	snprintf(path, sizeof path, "%s/weftd.yaml", dir);
	c = config_load(path, NULL, &el, &bad);
	assert_non_null(c);
	assert_int_equal(bad, 2);
	assert_int_equal(c->njobs, 1);
	assert_non_null(config_find_job(c, "a"));
	assert_int_equal(el.n, 2);
	assert_non_null(strstr(el.v[0], "jobs.d/b.yaml:2:14: concurrency: "
	    "expected a positive integer, got \"x\""));
	assert_non_null(strstr(el.v[1], "jobs.d/c.yaml:1:1: job \"a\" is "
	    "already defined in "));
	assert_int_equal(c->socket_mode, 0600);
	assert_int_equal(c->max_concurrent_runs, 2);
	assert_int_equal(c->log_level, 3);
	assert_int_equal(c->nplugin_dirs, 2);
	assert_string_equal(c->plugin_dirs[1], "/abs/p2");
	snprintf(path, sizeof path, "%s/p1", dir);
	assert_string_equal(c->plugin_dirs[0], path);
	snprintf(path, sizeof path, "%s/w.sock", dir);
	assert_string_equal(c->socket, path);
	config_free(c);
	errlist_clear(&el);

	write_file("weftd.yaml", "sockett: x\nmax_concurrent_runs: lots\n");
	snprintf(path, sizeof path, "%s/weftd.yaml", dir);
	c = config_load(path, NULL, &el, &bad);
	assert_null(c);
	assert_int_equal(el.n, 2);
	assert_non_null(strstr(el.v[0], "weftd.yaml:1:1: sockett: unknown "
	    "key \"sockett\""));
	assert_non_null(strstr(el.v[1], "weftd.yaml:2:22: "
	    "max_concurrent_runs: expected an integer from 1 to 10000, got "
	    "\"lots\""));
	errlist_clear(&el);
}

/* addr - parse a Redis address: its string for people, or the cause. */
static const char *
addr(const char *s, struct redis_addr *a)
{
	static char	 out[256];
	char		*cause, *str;

	if (redis_addr_parse(s, a, &cause) != 0) {
		snprintf(out, sizeof out, "%s", cause);
		free(cause);
		return out;
	}
	str = redis_addr_string(a);
	snprintf(out, sizeof out, "%s", str);
	free(str);
	return out;
}

static void
test_cluster(void **state)
{
	struct redis_addr	 a;
	struct errlist		 el = { 0 };
	struct config		*c;
	struct cluster_conf	 back;
	json_t			*j;
	char			 path[128], *cause;
	int			 bad;

	assert_string_equal(addr("10.0.0.5:6380", &a), "10.0.0.5:6380");
	assert_string_equal(a.host, "10.0.0.5");
	assert_int_equal(a.port, 6380);
	redis_addr_clear(&a);
	assert_string_equal(addr("redis", &a), "redis:6379");
	redis_addr_clear(&a);
	assert_string_equal(addr("[::1]:7000", &a), "[::1]:7000");
	assert_string_equal(a.host, "::1");
	redis_addr_clear(&a);
	assert_string_equal(addr("unix:/run/redis/redis.sock", &a),
	    "unix:/run/redis/redis.sock");
	redis_addr_clear(&a);
	assert_string_equal(addr("redis://weft:s3cret@h:6390/2", &a),
	    "h:6390/2");
	assert_string_equal(a.user, "weft");
	assert_string_equal(a.password, "s3cret");
	assert_int_equal(a.db, 2);
	redis_addr_clear(&a);
	assert_string_equal(addr("redis://pw@h", &a), "h:6379");
	assert_null(a.user);
	assert_string_equal(a.password, "pw");
	redis_addr_clear(&a);
	assert_string_equal(addr("h:0", &a),
	    "\"h:0\": the port must be 1 to 65535");
	assert_string_equal(addr("[::1", &a),
	    "\"[::1\": an IPv6 address needs its closing ]");
	assert_string_equal(addr("unix:run/redis.sock", &a),
	    "\"unix:run/redis.sock\": expected unix:/absolute/path");
	assert_string_equal(addr("redis://h/x", &a),
	    "\"redis://h/x\": the database after / must be a number");
	assert_string_equal(addr("rediss://h", &a),
	    "\"rediss://h\": only redis:// URLs (Debian's hiredis has no "
	    "TLS: use a private network or a tunnel)");

	write_file("weftd.yaml", "cluster:\n  redis: redis://u:pw@h:1/3\n"
	    "  node: n1\n  lease: 2s\n  max_deliveries: 4\n"
	    "  worker: {slots: 3, strategy: coro}\n");
	snprintf(path, sizeof path, "%s/weftd.yaml", dir);
	c = config_load(path, NULL, &el, &bad);
	assert_non_null(c);
	assert_non_null(c->cluster);
	assert_string_equal(c->cluster->redis, "h:1/3");
	assert_string_equal(c->cluster->node, "n1");
	assert_int_equal(c->cluster->lease_ms, 2000);
	assert_int_equal(c->cluster->max_deliveries, 4);
	assert_int_equal(c->cluster->worker, 1);
	assert_int_equal(c->cluster->slots, 3);
	assert_string_equal(c->cluster->strategy, "coro");
	/* What a runner gets, and back: the password goes with it. */
	j = cluster_conf_json(c->cluster);
	assert_int_equal(cluster_conf_from_json(j, &back, &cause), 0);
	assert_string_equal(back.addr.password, "pw");
	assert_string_equal(back.redis, "h:1/3");
	assert_int_equal(back.lease_ms, 2000);
	free(back.redis);
	redis_addr_clear(&back.addr);
	free(back.node);
	free(back.strategy);
	json_decref(j);
	config_free(c);
	errlist_clear(&el);

	write_file("weftd.yaml", "cluster:\n  redis: h:99999\n"
	    "  lease: 100ms\n  worker: {strategy: cluster}\n  nodes: 3\n");
	c = config_load(path, NULL, &el, &bad);
	assert_null(c);
	assert_int_equal(el.n, 1);
	assert_non_null(strstr(el.v[0], "weftd.yaml:5:3: cluster.nodes: unknown key "
	    "\"nodes\""));
	errlist_clear(&el);
	write_file("weftd.yaml", "cluster:\n  redis: h:99999\n"
	    "  lease: 100ms\n  worker: {strategy: cluster}\n");
	c = config_load(path, NULL, &el, &bad);
	assert_null(c);
	assert_int_equal(el.n, 3);
	assert_non_null(strstr(el.v[0], "weftd.yaml:2:10: cluster.redis: \"h:99999\": "
	    "the port must be 1 to 65535"));
	assert_non_null(strstr(el.v[1], "weftd.yaml:3:10: cluster.lease: a lease "
	    "under 300ms would be taken over before it is renewed"));
	assert_non_null(strstr(el.v[2], "weftd.yaml:4:22: cluster.worker.strategy: expected "
	    "a local strategy such as threads, coro or fork, got \"cluster\""));
	errlist_clear(&el);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof dir, "/tmp/weft-unit.XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_job),
		cmocka_unit_test(test_bad_jobs),
		cmocka_unit_test(test_hostile_yaml),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_cluster),
	};

	log_init("test", 0, LOG_TO_STDERR);
	return cmocka_run_group_tests(tests, setup, teardown);
}
