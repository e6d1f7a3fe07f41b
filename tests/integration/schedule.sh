#!/bin/bash
# schedule.sh - at-start and every: schedules start runs; a job whose
# previous run is still going is skipped, and the skip is logged.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
cp "$TEST_PLUGINS/workload-crash.so" "$T/plugins/"
job boot 'workload: fib
params: {n: 12}
schedule: at-start'
job tick 'workload: fib
params: {n: 5}
schedule: {every: 1s}'
job long 'workload: crash
params: {tasks: 2, at: 1, hang: true}
schedule: {every: 1s}
timeout: 3s'
job later 'workload: fib
params: {n: 5}
schedule: {cron: "0 0 1 1 *"}'
start_weftd

wait_for "at-start job ran" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs boot | grep -Eq ' boot +inline +ok '"
out=$(wctl --json runs boot)
expect_match "its trigger is at-start" '"trigger": "at-start"' "$out"
sleep 2.5
n=$(wctl runs tick | grep -Ec ' tick +inline +ok ')
check "every: 1s ran tick at least twice in 2.5 s (ran $n)" [ "$n" -ge 2 ]
wait_for "a tick of long was skipped while its run went on" grep -Eq 'job long: schedule fired but run [0-9]+ is still going; skipped' "$T/weftd.log"
n=$(wctl runs long | grep -Ec ' long ')
expect_eq "only one run of long at a time" 1 "$n"
out=$(wctl job show later)
expect_match "cron job shows its next run" "^  next run    $(date +%Y -d 'next year' 2>/dev/null || echo 20)[0-9-]*-01-01 00:00:00\$" "$out"
stop_weftd
finish
