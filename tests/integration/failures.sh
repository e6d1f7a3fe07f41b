#!/bin/bash
# failures.sh - a crash, a hang, a timeout, a cancellation and failing
# tasks end that run with a clear status, never the daemon.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
cp "$TEST_PLUGINS/workload-crash.so" "$T/plugins/"
job crash 'workload: crash
params: {tasks: 20, at: 17}'
job abort 'workload: crash
params: {tasks: 5, at: 2, signal: abort}'
job failing 'workload: crash
params: {tasks: 10, at: -1}
retries: 2'
job slow 'workload: fib
params: {n: [30, 92]}
timeout: 300ms'
job hang 'workload: crash
params: {tasks: 3, at: 1, hang: true}'
job off 'workload: fib
params: {n: 3}
enabled: false'
start_weftd

out=$(wctl run crash --wait)
expect_eq "crashed run exits 1" 1 $?
expect_match "crash names signal and task" '^run 1: crashed: SIGSEGV in task 17$' "$out"
out=$(wctl run abort --wait)
expect_match "abort names SIGABRT and task" '^run 2: crashed: SIGABRT in task 2$' "$out"

out=$(wctl run failing --wait)
expect_eq "a run with failed tasks exits 1" 1 $?
expect_match "failed tasks make the run failed" '^run 3: failed$' "$out"
expect_match "failed tasks are counted" '^  tasks     10 total, 8 ok, 2 failed, 0 cancelled' "$out"
expect_match "each failure says why, after retries" '^  task 4 failed after 3 attempts: task 4 fails on purpose$' "$out"

start=$(date +%s)
out=$(wctl run slow --wait)
rc=$?
end=$(date +%s)
expect_eq "timed-out run exits 1" 1 $rc
expect_match "timeout is reported" '^run 4: timed out$' "$out"
check "timeout kills the runner within the grace period" [ $((end - start)) -le 4 ]
expect_match "the task finished before the timeout is counted" '^  tasks     2 total, 1 ok, 0 failed, 1 cancelled' "$out"

wctl run hang > /dev/null
wait_for "hanging run is listed as running" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs | grep -Eq '^5 +hang +inline +running'"
out=$(wctl cancel 5)
expect_eq "cancel says so" "run 5: cancelling" "$out"
wait_for "cancelled run ends as cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 5 | grep -q '^run 5: cancelled$'"
out=$(wctl cancel 5 2>&1)
expect_eq "cancelling an ended run" "weftctl: run 5 has already ended (cancelled)" "$out"

out=$(wctl run off --wait 2>&1)
expect_eq "disabled job is refused" "weftctl: job off is disabled (enabled: false in $T/jobs/off.yaml)" "$out"
out=$(wctl run crash --strategy threadz 2>&1)
expect_eq "unknown strategy is refused" 'weftctl: job crash: strategy plugin "threadz" is not available (see weftctl plugins)' "$out"

check "weftd survived all of it" kill -0 "$WEFTD_PID"
out=$(wctl runs)
expect_match "runs lists the crash" '^1 +crash +inline +crashed: SIGSEGV in task 17 ' "$out"

# SIGTERM while a run is going: it is cancelled, weftd exits 0.
wctl run hang > /dev/null
wait_for "second hanging run started" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs | grep -Eq '^6 +hang +inline +running'"
stop_weftd
expect_eq "weftd exits 0 after cancelling runs on SIGTERM" 0 $?
expect_match "the run was recorded as cancelled" '"id":6,.*"status":"cancelled"' "$(cat "$T/state/history.jsonl")"
finish
