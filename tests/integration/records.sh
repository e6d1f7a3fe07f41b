#!/bin/bash
# records.sh - every run leaves one record: in the reply of run --wait,
# as one JSON line in the metrics log, and in the run history that
# weftctl runs shows after weftd restarts.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
write_config "metrics_log: $T/metrics.jsonl"
job fib 'workload: fib
params: {n: [20, 21]}
strategy: inline'
start_weftd

out=$(wctl --json run fib --wait)
expect_eq "run --wait exits 0 for a successful run" 0 $?
for key in id job workload strategy concurrency started ended wall_s \
    user_s sys_s max_rss_kb tasks tasks_per_s latency_s status results; do
	expect_match "record has $key" "^  \"$key\": " "$out"
done
expect_eq "record: id" 1 "$(jget "$out" id)"
expect_eq "record: job" fib "$(jget "$out" job)"
expect_eq "record: workload" fib "$(jget "$out" workload)"
expect_eq "record: strategy" inline "$(jget "$out" strategy)"
expect_eq "record: inline runs one at a time" 1 "$(jget "$out" concurrency)"
expect_eq "record: status" ok "$(jget "$out" status)"
expect_eq "record: trigger" manual "$(jget "$out" trigger)"
for p in p50 p95 p99 max; do
	expect_match "latency has $p" "^    \"$p\": [0-9]" "$out"
done
expect_match "tasks total" '^    "total": 2,?$' "$out"
expect_match "tasks ok" '^    "ok": 2,?$' "$out"
expect_match "started is ISO 8601 UTC" '"started": "20[0-9-]+T[0-9:.]+Z"' "$out"

wctl run fib --wait > /dev/null
expect_eq "metrics log has one line per run" 2 "$(wc -l < "$T/metrics.jsonl")"
expect_match "metrics line is the record" '^\{"id":2,"job":"fib"' "$(sed -n 2p "$T/metrics.jsonl")"
expect_eq "history file has one line per run" 2 "$(wc -l < "$T/state/history.jsonl")"

out=$(wctl run fib)
expect_match "run without --wait prints the id" '^run 3 started \(job fib\)$' "$out"
wait_for "run 3 ends" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 3 | grep -q '^run 3: ok'"

stop_weftd
start_weftd
out=$(wctl runs)
expect_match "runs survive a restart (run 1)" '^1 +fib +inline +ok ' "$out"
expect_match "runs survive a restart (run 3)" '^3 +fib +inline +ok ' "$out"
out=$(wctl run fib --wait)
expect_match "run ids continue after a restart" '^run 4: ok$' "$out"
out=$(wctl run show 2)
expect_match "run show ID prints the record" '^  tasks     2 total, 2 ok, 0 failed, 0 cancelled' "$out"
expect_eq "after a restart, a run's results (from the history file)" \
    '[{"task":0,"n":20,"fib":4181},{"task":1,"n":21,"fib":6765}]' \
    "$(wctl --json run show 2 | jq -c '[.results[] | {task, n, fib}]')"
expect_eq "and the same as its line in history.jsonl" \
    "$(sed -n 2p "$T/state/history.jsonl" | jq -cS .results)" \
    "$(wctl --json run show 2 | jq -cS .results)"
expect_eq "listings leave results out (run show has them)" "null 2" \
    "$(wctl --json runs | jq -r '"\(.[] | select(.id == 2) | .results) \(.[] | select(.id == 2) | .tasks.total)"')"
out=$(wctl run show 99 2>&1)
expect_eq "run show of an unknown id exits 1" 1 $?
expect_eq "run show of an unknown id says so" "weftctl: no run 99 (see weftctl runs)" "$out"
out=$(wctl run nosuch --wait 2>&1)
expect_eq "run of an unknown job exits 1" 1 $?
expect_eq "run of an unknown job says so" 'weftctl: no job named "nosuch" (see weftctl jobs)' "$out"
out=$(wctl run 2>&1)
expect_eq "run without a job is a usage error (exit 2)" 2 $?
out=$(wctl frobnicate 2>&1)
expect_eq "unknown command exits 2" 2 $?
out=$("$WEFTCTL" help)
expect_eq "help: exit 0" 0 $?
expect_match "help lists every command" '^  job show NAME$' "$out"
expect_match "help says how to get one command's" '^weftctl help COMMAND \(or COMMAND --help\): one command\.$' "$out"
out=$("$WEFTCTL" help run)
expect_eq "help run: run and run show, exit 0" "usage: weftctl run show ID
  show a run's record
usage: weftctl run NAME [--strategy S] [--concurrency N] [--set k=v]... [--wait] [--follow] [--cancel-on-interrupt]
  start a run of a job" "$out"
out=$("$WEFTCTL" help job)
expect_eq "help job: job show" "usage: weftctl job show NAME
  show one job and its recent runs" "$out"
out=$("$WEFTCTL" help run show)
expect_eq "help run show: that one" "usage: weftctl run show ID
  show a run's record" "$out"
out=$("$WEFTCTL" -s "$T/nosock" runs --help)
expect_eq "runs --help: its usage, exit 0, no daemon asked" "0 usage: weftctl runs [NAME]
  list running and recent runs" "$? $out"
out=$("$WEFTCTL" -s "$T/nosock" status -h)
expect_eq "status -h: its usage" "0 usage: weftctl status
  show the daemon's state" "$? $out"
out=$("$WEFTCTL" help frobnicate 2>&1)
expect_eq "help of an unknown command: exit 2" 2 $?
expect_match "help of an unknown command: says so" '^weftctl help: unknown command "frobnicate"$' "$out"
out=$("$WEFTCTL" -s "$T/nosock" status 2>&1)
expect_eq "no daemon: exit 1" 1 $?
expect_match "no daemon: says where it looked" "cannot connect to $T/nosock" "$out"

out=$(wctl job show fib)
expect_match "job show lists recent runs" '^  4 +ok ' "$out"
out=$(wctl status)
expect_match "status counts jobs" '^jobs      1 loaded, 0 rejected$' "$out"
out=$(wctl jobs)
expect_match "jobs shows the last run" '^fib +fib +inline .* ok, last run 4 ok$' "$out"

# A run's peak rss is its own, not weftd's: runners are posix_spawn'ed
# from weftd, and Linux counts the image before exec into ru_maxrss.
# A job of 3 MB (never run) makes weftd big; a noop runner stays small.
{
	printf 'workload: exec\nparams:\n  command: [true]\n  args:\n'
	awk 'BEGIN { for (i = 0; i < 30000; i++) printf "    - %0100d\n", i }'
} > "$T/jobs/big.yaml"
job small 'workload: noop
params: {tasks: 10}'
wctl reload > /dev/null
hwm=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$WEFTD_PID/status")
for s in inline threads coro fork; do
	rss=$(jget "$(wctl --json run small --strategy $s --wait)" max_rss_kb)
	check "$s: peak rss is the runner's (${rss:-?} kB; weftd ${hwm:-?} kB)" \
	    [ "${rss:-0}" -gt 0 -a $((${rss:-0} * 2)) -lt "${hwm:-0}" ]
done

# Past the newest 32 runs, results come back from history.jsonl, also
# after the file is rewritten to history_size records at a start.
rm -f "$T/jobs/big.yaml"
wctl reload > /dev/null
first=$(jget "$(wctl --json run fib --wait)" id)
i=0
while [ $i -lt 36 ]; do
	wctl run fib --wait > /dev/null
	i=$((i + 1))
done
expect_eq "run $first, 36 runs later: its results, from its line" \
    "$(grep "^{\"id\":$first," "$T/state/history.jsonl" | jq -cS .results)" \
    "$(wctl --json run show "$first" | jq -cS .results)"
expect_eq "and they are fib's" '[{"task":0,"n":20,"fib":4181},{"task":1,"n":21,"fib":6765}]' \
    "$(wctl --json run show "$first" | jq -c '[.results[] | {task, n, fib}]')"
# history.jsonl changed behind weftd's back: an old run's line is not
# where it was; its record comes without results, and the log says why.
sed -i 1d "$T/state/history.jsonl"
expect_eq "a line moved under weftd: the record, without its results" \
    "$first null" "$(wctl --json run show "$first" | jq -r '"\(.id) \(.results)"')"
expect_match "and the log says so" \
    "history.jsonl: the line of run $first is not where it was, or not whole \(the file was changed while weftd ran, or damaged\); its results are not shown" \
    "$(cat "$T/weftd.log")"
stop_weftd
write_config "metrics_log: $T/metrics.jsonl
history_size: 5"
start_weftd
expect_eq "history.jsonl rewritten to history_size lines at the start" 5 \
    "$(wc -l < "$T/state/history.jsonl")"
last=$(tail -n 1 "$T/state/history.jsonl" | jq .id)
old=$(head -n 1 "$T/state/history.jsonl" | jq .id)
for id in $old $last; do
	expect_eq "run $id's results after the rewrite, from its new line" \
	    "$(grep "^{\"id\":$id," "$T/state/history.jsonl" | jq -cS .results)" \
	    "$(wctl --json run show "$id" | jq -cS .results)"
done
expect_eq "the oldest's results are fib's" 2 \
    "$(wctl --json run show "$old" | jq '.results | length')"
stop_weftd

# A start reads each record without its results (they end the line) and
# reads them back when asked.  A line with its results mid-record (as
# older weftd wrote them) is read whole; a line whose results are
# damaged keeps its record, and the log says why when they are asked
# for.
h=$T/state/history.jsonl
mid=$(sed -n 2p "$h" | jq .id)
bad=$(sed -n 3p "$h" | jq .id)
want_mid=$(sed -n 2p "$h" | jq -cS .results)
sed -n 2p "$h" | jq -c '{id, job, results} + del(.id, .job, .results)' > "$T/mid.line"
sed -n 3p "$h" | sed 's/,"fib":[0-9]*}\]}$/,"fib":/' > "$T/bad.line"
{ sed -n 1p "$h"; cat "$T/mid.line" "$T/bad.line"; sed -n '4,$p' "$h"; } > "$T/h.new"
mv "$T/h.new" "$h"
check "the mid-record line has its results before its status" \
    sh -c "grep -q '\"results\":\\[.*\"status\"' '$T/mid.line'"
start_weftd
expect_eq "results mid-record: read whole at the start" "$want_mid" \
    "$(wctl --json run show "$mid" | jq -cS .results)"
expect_eq "... with its status" ok "$(wctl --json run show "$mid" | jq -r .status)"
expect_eq "damaged results: the record stands, without them" \
    "$bad ok null" "$(wctl --json run show "$bad" | jq -r '"\(.id) \(.status) \(.results)"')"
expect_match "and the log says why" \
    "history.jsonl: the line of run $bad is not where it was, or not whole" \
    "$(cat "$T/weftd.log")"
expect_eq "all five records listed" 5 \
    "$(wctl --json runs | jq '[.[] | select(.status == "ok")] | length')"
stop_weftd
finish
