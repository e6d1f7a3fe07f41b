#!/bin/bash
# metrics.sh - the Prometheus endpoint (metrics_listen): /metrics checked
# by promtool, runs and tasks by job and status, the duration histogram,
# plugin info, /health, 404 for anything else.
# Exercises: daemon/metrics.c, daemon/record.c (status classes).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job nap 'workload: sleep
params: {tasks: 8, ms: 40}
concurrency: 4'
job long 'workload: sleep
params: {tasks: 20, ms: 200}
concurrency: 2'
job many 'workload: noop
params: {tasks: 10000}
strategy: threads
concurrency: 4'
job bad "workload: fib
params: {n: [5, 6]}
timeout: 5m"
# The port free_port found may be taken by the time weftd binds it.
for try in 1 2 3 4 5; do
	mport=$(free_port)
	write_config "metrics_listen: 127.0.0.1:$mport"
	start_weftd > /dev/null && break
done
check "weftd serves metrics on a free port" test -n "${WEFTD_PID:-}"

wctl run nap --wait > /dev/null
wctl run many --wait > /dev/null
id=$(wctl run long | sed -n 's/^run \([0-9]*\) started.*/\1/p')
sleep 0.3
wctl cancel "$id" > /dev/null
wait_for "the cancelled run ends" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $id | grep -q '^run $id: cancelled$'"
# Prometheus
wctl run bad --wait > /dev/null
curl -s "http://127.0.0.1:$mport/metrics" > "$T/metrics.txt"
out=$(promtool check metrics < "$T/metrics.txt" 2>&1)
expect_eq "promtool accepts /metrics" "" "$out"
expect_match "runs by job and status" '^weft_runs_total\{job="nap",status="ok"\} [1-9]' "$(cat "$T/metrics.txt")"
expect_match "cancelled runs counted" '^weft_runs_total\{job="long",status="cancelled"\} 1$' "$(cat "$T/metrics.txt")"
expect_match "tasks by job and status" '^weft_tasks_total\{job="many",status="ok"\} 10000$' "$(cat "$T/metrics.txt")"
expect_match "duration histogram" '^weft_run_duration_seconds_count\{job="nap"\} [0-9]+$' "$(cat "$T/metrics.txt")"
expect_match "plugin info" 'weft_plugin_info\{path=".*workload-fib.so",name="fib",kind="workload",version="1.0",state="ok"\} 1' "$(cat "$T/metrics.txt")"
expect_match "uptime and RSS" '^weft_resident_memory_bytes [1-9][0-9]*$' "$(cat "$T/metrics.txt")"
expect_eq "/health" ok "$(curl -s "http://127.0.0.1:$mport/health")"
expect_eq "anything else is 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/other")"
stop_weftd
finish
