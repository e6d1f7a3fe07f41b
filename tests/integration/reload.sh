#!/bin/bash
# reload.sh - SIGHUP and weftctl reload are all or nothing: with a
# broken job file the old set stays and the errors are reported; a good
# set replaces it.  At start, a bad job file is rejected alone.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job a 'workload: fib
params: {n: 5}'
job broken 'workload: fib
concurrency: many'
start_weftd

out=$(wctl jobs)
expect_match "the good job loaded" '^a +fib ' "$out"
check "the broken job did not" sh -c "! printf '%s\n' \"$out\" | grep -q '^broken '"
out=$(wctl status)
expect_match "status counts the rejected job" '^jobs      1 loaded, 1 rejected$' "$out"
expect_match "status shows the load error" "^error     $T/jobs/broken.yaml:2:14: concurrency: expected a positive integer, got \"many\"\$" "$out"
expect_match "the log names file:line:column" "$T/jobs/broken.yaml:2:14: concurrency: expected a positive integer" "$(cat "$T/weftd.log")"

# A reload with the broken file still there is refused.
job b 'workload: sumsq
params: {n: 10}'
out=$(wctl reload 2>&1)
expect_eq "reload with errors exits 1" 1 $?
expect_match "reload is refused" '^weftctl: reload refused; the previous configuration stays$' "$out"
expect_match "reload lists the error" "^$T/jobs/broken.yaml:2:14: concurrency: expected a positive integer, got \"many\"\$" "$out"
out=$(wctl jobs)
check "old set kept: b is not loaded" sh -c "! printf '%s\n' \"$out\" | grep -q '^b '"

# SIGHUP with a broken file: the same.
kill -HUP "$WEFTD_PID"
wait_for "SIGHUP reload refused and logged" grep -q "reload refused, keeping the running configuration" "$T/weftd.log"
out=$(wctl run a --wait)
expect_match "old jobs still run" '^run 1: ok$' "$out"

rm "$T/jobs/broken.yaml"
kill -HUP "$WEFTD_PID"
wait_for "SIGHUP loads the fixed set" sh -c "\"$WEFTCTL\" -s \"$T/sock\" jobs | grep -q '^b '"
out=$(wctl run b --wait)
expect_match "the new job runs" ' n=10 sumsq=285$' "$out"

job c 'workload: fib
params: {n: 6}'
out=$(wctl reload)
expect_eq "weftctl reload succeeds" "reloaded: 3 jobs, $NPLUGINS plugins" "$out"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd
finish
