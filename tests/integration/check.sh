#!/bin/bash
# check.sh - weftctl check and weftd --check report every error in job
# files with file:line:column and the key, and exit non-zero.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
cd "$T" || exit 1
mkdir -p jobs.d
printf 'name: fib\nworkload: fib\nparams: {n: [40]}\nconcurrency: many\n' > jobs.d/fib.yaml
printf 'workload: sumsq\nparams: {n: 5}\nstrategy: inline\ntimeout: 10\n' > jobs.d/tmo.yaml
printf 'workload: fib\nschedule: {every: 30s}\nretry: 3\n' > jobs.d/typo.yaml
printf 'workload: fib\nparams: {n: [1\n' > jobs.d/syntax.yaml
printf 'workload: fib\nschedule:\n  cron: "*/5 * * *"\n' > jobs.d/cron.yaml
printf 'workload: sumsq\nparams: {start: 1, count: 2}\nschedule: {cron: "*/5 * * * *"}\n' > jobs.d/good.yaml

# chk - weftctl check without a weftd: its output but the line saying
# that names and params were not checked (tested on its own below).
chk() {
	o=$("$WEFTCTL" -s "$T/nosock" check "$@" 2>&1)
	r=$?
	printf '%s\n' "$o" | grep -v '^weftctl check: plugin names and params were not checked'
	return $r
}
out=$(chk jobs.d/fib.yaml)
expect_eq "check exits 1 on a bad file" 1 $?
expect_eq "concurrency error" 'jobs.d/fib.yaml:4:14: concurrency: expected a positive integer, got "many"' "$out"
out=$(chk jobs.d/tmo.yaml)
expect_eq "duration error" 'jobs.d/tmo.yaml:4:10: timeout: expected a duration such as 500ms, 30s, 5m or 1h, got "10"' "$out"
out=$(chk jobs.d/typo.yaml)
expect_eq "unknown key error" 'jobs.d/typo.yaml:3:1: retry: unknown key "retry" (expected one of: name, description, workload, params, strategy, strategy_params, concurrency, schedule, timeout, retries, enabled, resume)' "$out"
out=$(chk jobs.d/syntax.yaml)
expect_eq "YAML syntax error" "jobs.d/syntax.yaml:3:1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence" "$out"
out=$(chk jobs.d/cron.yaml)
expect_eq "cron error" 'jobs.d/cron.yaml:3:9: schedule.cron: expected 5 fields (minute hour day-of-month month day-of-week), got 4' "$out"
out=$(chk jobs.d/good.yaml)
expect_eq "check exits 0 on a good file" 0 $?
expect_eq "good file summary" 'jobs.d/good.yaml: ok (job good: workload sumsq, strategy inline, cron */5 * * * *)' "$out"
out=$(chk jobs.d/good.yaml jobs.d/fib.yaml jobs.d/nope.yaml)
expect_eq "check of several files exits 1 if any is bad" 1 $?
expect_match "missing file" '^jobs.d/nope.yaml: cannot open: No such file or directory$' "$out"
expect_eq "every file is reported" 3 "$(printf '%s\n' "$out" | wc -l)"
out=$("$WEFTCTL" -s "$T/nosock" --json check jobs.d/fib.yaml 2>/dev/null)
expect_match "--json check lists errors" '"jobs.d/fib.yaml:4:14: concurrency: expected a positive integer, got \\"many\\""' "$out"
out=$("$WEFTCTL" -s "$T/nosock" check jobs.d/good.yaml 2>&1 >/dev/null)
expect_eq "without weftd, check says what it could not check" "weftctl check: plugin names and params were not checked (weftd is not answering on $T/nosock); weftd --check checks everything" "$out"

printf 'socket: %s/sock\nplugin_dirs: [%s]\nstate_dir: state\n' "$T" "$PLUGINS" > weftd.yaml
out=$("$WEFTD" --check -c weftd.yaml 2>&1)
expect_eq "weftd --check exits 1" 1 $?
expect_match "weftd --check lists the concurrency error" "^$T/jobs.d/fib.yaml:4:14: concurrency: expected a positive integer, got \"many\"\$" "$out"
expect_match "weftd --check counts the errors" '^weftd: 5 errors$' "$out"
rm jobs.d/fib.yaml jobs.d/tmo.yaml jobs.d/typo.yaml jobs.d/syntax.yaml jobs.d/cron.yaml
printf 'workload: fibonacci\nstrategy: threadz\n' > jobs.d/missing.yaml
out=$("$WEFTD" --check -c weftd.yaml 2>&1)
expect_match "weftd --check knows the plugins" "^$T/jobs.d/missing.yaml:1:11: workload: no workload plugin \"fibonacci\" \\(available: download, exec, fib, noop, redis, sleep, sumsq\\)\$" "$out"
expect_match "weftd --check: missing strategy" "^$T/jobs.d/missing.yaml:2:11: strategy: no strategy plugin \"threadz\" \\(available: coro, fork, inline, threads\\)\$" "$out"
rm jobs.d/missing.yaml
printf 'workload: fib\nparams:\n  n: [10, ten]\n' > jobs.d/params.yaml
out=$("$WEFTD" --check -c weftd.yaml 2>&1)
expect_eq "weftd --check asks the workload about params: exit 1" 1 $?
expect_match "and reports its error with file:line:column" "^$T/jobs.d/params.yaml:3:11: params.n\\[1\\]: expected an integer from 1 to 92, got \"ten\"\$" "$out"
rm jobs.d/params.yaml
out=$("$WEFTD" --check -c weftd.yaml 2>&1)
expect_eq "weftd --check exits 0 when all is well" 0 $?
expect_match "weftd --check says OK" "^weftd: configuration $T/weftd.yaml OK: 1 jobs, $NPLUGINS plugins\$" "$out"
printf 'max_concurrent_runs: 0\n' > bad.yaml
out=$("$WEFTD" --check -c bad.yaml 2>&1)
expect_match "bad daemon config" "^$T/bad.yaml:1:22: max_concurrent_runs: expected an integer from 1 to 10000, got \"0\"\$" "$out"
printf 'control_group: nosuchgroup\nmetrics_listen: "9464"\ntrace_max: -1\n' > bad2.yaml
out=$("$WEFTD" --check -c bad2.yaml 2>&1)
expect_match "control_group must exist" "^$T/bad2.yaml:1:16: control_group: no group named \"nosuchgroup\"\$" "$out"
expect_match "metrics_listen needs HOST:PORT" "^$T/bad2.yaml:2:17: metrics_listen: expected HOST:PORT such as 127.0.0.1:9464, got \"9464\"\$" "$out"
expect_match "trace_max range" "^$T/bad2.yaml:3:12: trace_max: expected an integer from 0 to 10000000, got \"-1\"\$" "$out"

# With weftd answering, weftctl check knows its plugins and asks the
# workload about params, as weftd --check does.
write_config
start_weftd
printf 'workload: fib\nstrategy: nosuchstrategy\n' > nostrat.yaml
out=$("$WEFTCTL" -s "$T/sock" check nostrat.yaml 2>&1)
expect_eq "check through weftd: exit 1 for a missing strategy" 1 $?
expect_eq "check through weftd names the missing strategy" 'nostrat.yaml:2:11: strategy: no strategy plugin "nosuchstrategy" (available: coro, fork, inline, threads)' "$out"
printf 'workload: fib\nparams:\n  n: [10, ten]\n' > params.yaml
out=$("$WEFTCTL" -s "$T/sock" check params.yaml 2>&1)
expect_eq "check through weftd asks the workload about params" 'params.yaml:3:11: params.n[1]: expected an integer from 1 to 92, got "ten"' "$out"
out=$("$WEFTCTL" -s "$T/sock" check jobs.d/good.yaml 2>&1)
expect_eq "check through weftd: a good file, and no note" 'jobs.d/good.yaml: ok (job good: workload sumsq, strategy inline, cron */5 * * * *)' "$out"
stop_weftd
cd /
finish
