#!/bin/bash
# reload.sh - SIGHUP and weftctl reload: a broken configuration refuses
# the reload (the old set stays); a broken job file is rejected alone,
# as at start, so new and changed files still take effect, and a job
# the broken file held before keeps that version and says so.
# Exercises: daemon/weftd.c (weftd_reload), daemon/ctl-reload.c,
# daemon/ctl-jobs.c, cli/cmd-reload.c, lib/config.c.
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

# A reload with the broken file still there loads a new, valid file.
job b 'workload: sumsq
params: {n: 10}'
out=$(wctl reload 2>&1)
expect_eq "reload with a rejected file exits 1" 1 $?
expect_match "it reloaded" "^reloaded: 2 jobs, $NPLUGINS plugins\$" "$out"
expect_match "it says what was rejected" '^weftctl: 1 job file rejected; the others took effect' "$out"
expect_match "and why, with the position" "^$T/jobs/broken.yaml:2:14: concurrency: expected a positive integer, got \"many\"\$" "$out"
out=$(wctl run b --wait)
expect_match "the new job runs" ' n=10 sumsq=285$' "$out"

# A job that was loaded, then its file broke: the old version stays.
job a 'workload: fib
params: {n: 5}
retries: lots'
kill -HUP "$WEFTD_PID"
wait_for "SIGHUP reloads" sh -c "grep -c 'reloaded: ' \"$T/weftd.log\" | grep -q 2"
out=$(wctl jobs)
expect_match "jobs shows the old version running and the error beside it" "^a +fib .* ok, the version loaded before \\(the file is broken: $T/jobs/a.yaml:3:10: retries: expected an integer from 0 to 100, got \"lots\"\\)\$" "$out"
out=$(wctl status)
expect_match "status names the job kept" "^error     job a keeps the version loaded before, since $T/jobs/a.yaml is broken\$" "$out"
expect_match "and the error" "^error     $T/jobs/a.yaml:3:10: retries: expected an integer from 0 to 100, got \"lots\"\$" "$out"
out=$(wctl run a --wait)
expect_match "the old version still runs" ' n=5 fib=3$' "$out"

# Fixing the file takes effect, with the new content.
job a 'workload: fib
params: {n: 7}'
rm "$T/jobs/broken.yaml"
out=$(wctl reload)
expect_eq "a clean reload exits 0" "reloaded: 2 jobs, $NPLUGINS plugins" "$out"
out=$(wctl run a --wait)
expect_match "the fixed job runs its new params" ' n=7 fib=8$' "$out"
out=$(wctl status)
expect_match "nothing is rejected now" '^jobs      2 loaded, 0 rejected$' "$out"

# A broken weftd.yaml refuses the whole reload.
cp "$T/weftd.yaml" "$T/weftd.yaml.good"
printf 'max_concurrent_runs: none\n' >> "$T/weftd.yaml"
job c 'workload: fib
params: {n: 6}'
out=$(wctl reload 2>&1)
expect_eq "reload with a broken configuration exits 1" 1 $?
expect_match "reload is refused" '^weftctl: reload refused; the previous configuration stays$' "$out"
expect_match "reload lists the error" "^$T/weftd.yaml:[0-9]+:22: max_concurrent_runs: expected an integer from 1 to 10000, got \"none\"\$" "$out"
check "old set kept: c is not loaded" sh -c "! \"$WEFTCTL\" -s \"$T/sock\" jobs | grep -q '^c '"
mv "$T/weftd.yaml.good" "$T/weftd.yaml"
out=$(wctl reload)
expect_eq "weftctl reload succeeds" "reloaded: 3 jobs, $NPLUGINS plugins" "$out"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd
finish
