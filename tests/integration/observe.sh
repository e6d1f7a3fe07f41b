#!/bin/bash
# observe.sh - what people look at: weftctl follow and run --follow
# (detach on Ctrl-C, or cancel), compare (table, JSON, SVG chart),
# timelines (Chrome trace JSON checked field by field, SVG checked as
# XML and drawn to PNG), and the Prometheus endpoint checked by promtool.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
mport=$(free_port)
write_config "metrics_listen: 127.0.0.1:$mport"
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
start_weftd

# follow, not on a terminal: plain lines, then the record.
out=$(wctl run long --follow)
rc=$?
expect_eq "run --follow exits 0 when the run succeeds" 0 $rc
expect_match "follow prints progress lines" '^run [0-9]+ \[=*>? *\] [0-9]+/20 tasks, [0-9.]+/s, [0-9.]+ s' "$out"
expect_match "then the record" '^  tasks     20 total, 20 ok, 0 failed, 0 cancelled' "$out"
esc=$(printf '\033')
check "no colour when not a terminal" sh -c "! printf '%s' \"\$1\" | grep -q '$esc'" - "$out"

# On a terminal (script(1) gives it a pty): a bar redrawn in place, and
# the status in colour, unless NO_COLOR.
if command -v script > /dev/null; then
	script -qec "\"$WEFTCTL\" -s \"$T/sock\" run nap --follow" /dev/null > "$T/tty.out" 2>&1
	check "on a terminal the bar is redrawn in place (CR, erase line)" grep -q $'\r\033\[K' "$T/tty.out"
	check "on a terminal the ok status is green" grep -q $'\033\[32mrun [0-9]*: ok' "$T/tty.out"
	NO_COLOR=1 script -qec "\"$WEFTCTL\" -s \"$T/sock\" run nap --follow" /dev/null > "$T/tty2.out" 2>&1
	esc=$(printf '\033')
	check "NO_COLOR: no colour" sh -c "! grep -q '${esc}\[3' \"$T/tty2.out\""
	check "(the colour check can fail: it sees colour without NO_COLOR)" \
	    grep -q "${esc}\[3" "$T/tty.out"
	check "NO_COLOR: still the record" grep -q 'tasks     8 total, 8 ok' "$T/tty2.out"
else
	skip "terminal progress bar" "no script(1)"
fi

# Ctrl-C detaches; the run goes on.
"$WEFTCTL" -s "$T/sock" run long --follow > "$T/follow.out" 2>&1 &
fp=$!
sleep 0.6
kill -INT $fp
wait $fp
rc=$?
expect_eq "Ctrl-C detaches with exit 0" 0 $rc
id=$(sed -n 's/^detached; run \([0-9]*\) goes on.*/\1/p' "$T/follow.out")
check "it says it detached (run ${id:-?})" test -n "$id"
out=$(wctl run show "${id:-0}")
expect_match "and the run is still going" "^run ${id:-0}: running\$" "$out"
out=$(wctl follow "${id:-0}")
expect_match "weftctl follow picks it up to the end" "^run ${id:-0}: ok\$" "$out"
# With --cancel-on-interrupt, Ctrl-C cancels.
"$WEFTCTL" -s "$T/sock" run long --follow --cancel-on-interrupt > "$T/follow2.out" 2>&1 &
fp=$!
sleep 0.6
kill -INT $fp
wait $fp
expect_match "--cancel-on-interrupt cancels the run" '^run [0-9]+: cancelled$' "$(cat "$T/follow2.out")"

# compare
out=$(wctl compare nap --concurrency 4 --svg "$T/compare.svg" 2>/dev/null)
expect_match "compare: a header" '^STRATEGY +CONC +WALL +CPU +RSS +TASKS/S +P50 +P99 +SPEEDUP +STATUS$' "$out"
for s in inline threads coro fork; do
	expect_match "compare: a row for $s" "^$s " "$out"
done
expect_match "compare: inline is the 1.00x baseline" '^inline +1 .* 1\.00x +ok$' "$out"
json=$(wctl --json compare nap --strategies inline,coro --concurrency 4 2>/dev/null)
expect_eq "compare --json: one object per strategy" 2 "$(printf '%s' "$json" | jq length)"
expect_eq "compare --json: speed-up of coro over inline > 2" true \
    "$(printf '%s' "$json" | jq '.[1].speedup > 2')"
check "compare --svg is well-formed XML" xmllint --noout "$T/compare.svg"
expect_eq "compare --svg has a bar per strategy" 4 "$(grep -c 'class="bar"' "$T/compare.svg")"

# Timelines
out=$(wctl --json run nap --strategy coro --concurrency 4 --wait)
id=$(jget "$out" id)
wctl trace "$id" --format chrome > "$T/trace.json"
check "chrome trace is JSON" sh -c "jq -e . \"$T/trace.json\" > /dev/null"
expect_eq "every event has name, ph, pid and tid" 0 \
    "$(jq '[.traceEvents[] | select(has("name") and has("ph") and has("pid") and has("tid") | not)] | length' "$T/trace.json")"
expect_eq "every complete event (ph X) has ts and dur >= 0" 0 \
    "$(jq '[.traceEvents[] | select(.ph == "X") | select((.ts | type) != "number" or (.dur | type) != "number" or .dur < 0)] | length' "$T/trace.json")"
expect_eq "one X event per task" 8 "$(jq '[.traceEvents[] | select(.ph == "X")] | length' "$T/trace.json")"
expect_eq "one named track per coroutine" '["coroutine 0","coroutine 1","coroutine 2","coroutine 3"]' \
    "$(jq -c '[.traceEvents[] | select(.name == "thread_name") | .args.name]' "$T/trace.json")"
wctl trace "$id" --format svg > "$T/trace.svg"
check "timeline SVG is well-formed XML" xmllint --noout "$T/trace.svg"
expect_eq "one lane per coroutine" 4 "$(grep -c 'class="lane"' "$T/trace.svg")"
expect_eq "one box per task" 8 "$(grep -c 'class="task"' "$T/trace.svg")"
check "the SVG draws (rsvg-convert to PNG)" sh -c "rsvg-convert \"$T/trace.svg\" -o \"$T/trace.png\" && test -s \"$T/trace.png\""
out=$(wctl --json run many --wait)
id=$(jget "$out" id)
wctl trace "$id" --format svg > "$T/many.svg"
check "10,000 tasks: still well-formed" xmllint --noout "$T/many.svg"
check "10,000 tasks: aggregated per pixel column" grep -q 'each column shows how busy the lane was' "$T/many.svg"
check "10,000 tasks: draws" sh -c "rsvg-convert \"$T/many.svg\" -o \"$T/many.png\" && test -s \"$T/many.png\""
out=$(wctl trace 9999 2>&1)
expect_match "trace of an unknown run" '^weftctl: no timeline for run 9999' "$out"

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
