#!/bin/bash
# isolation.sh - a run holds only its own job: the runner is exec'd, not
# a fork of weftd, so another job's secret params are nowhere in its
# memory or environment, while weftd itself holds them.  Needs ptrace
# access to the processes (root, as in CI).
# Exercises: lib/spawn.c, daemon/run.c, runner/main.c, runner/run.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

MEMSCAN=$top_builddir/tests/memscan
mktemp_dir
secret="S3CRET-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')"
job other "workload: fib
params:
  n: 5
  password: \"$secret\""
job nap 'workload: sleep
params: {tasks: 2, ms: 1500}
strategy: threads
concurrency: 2'
start_weftd

if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -ne 0 ]; then
	skip "weftd holds the secret" "not root and ptrace is restricted"
	skip "a runner of another job does not" "not root and ptrace is restricted"
else
	n=$("$MEMSCAN" "$WEFTD_PID" "$secret")
	check "the scan finds the secret in weftd, which loaded the job ($n times)" [ "${n:-0}" -ge 1 ]
	id=$(wctl run nap | sed -n 's/^run \([0-9]*\) started.*/\1/p')
	runner=$(runner_of "$id")
	sleep 0.5
	check "the runner of job nap is running" kill -0 "${runner:-0}"
	expect_eq "the runner holds its own job" 1 "$([ "$("$MEMSCAN" "$runner" "params: {tasks: 2, ms: 1500}")" -ge 1 ] && echo 1)"
	expect_eq "the runner of job nap holds no trace of job other's secret" 0 "$("$MEMSCAN" "$runner" "$secret")"
	check "nor its environment" sh -c "! tr '\\0' '\\n' < /proc/$runner/environ | grep -q '$secret'"
	expect_eq "the runner is weft-runner, not a copy of weftd" "$(readlink -f "$WEFT_RUNNER")" "$(readlink -f /proc/$runner/exe)"
	wait_for "the run ends" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 1 | grep -q '^run 1: ok$'"
fi
stop_weftd
finish
