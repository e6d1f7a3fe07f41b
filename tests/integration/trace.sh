#!/bin/bash
# trace.sh - weftctl trace: a run's timeline as Chrome Trace Event JSON
# (checked field by field) and as an SVG (checked as XML, drawn to PNG),
# aggregated per pixel column for 10,000 tasks.
# Exercises: cli/cmd-trace.c, daemon/ctl-runs.c (trace),
# daemon/history.c (timelines), runner/record.c (trace_text).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job nap 'workload: sleep
params: {tasks: 8, ms: 40}
concurrency: 4'
job many 'workload: noop
params: {tasks: 10000}
strategy: threads
concurrency: 4'
start_weftd

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
out=$(wctl trace "$id" --format json)
expect_eq "the JSON timeline names its run" "$id nap sleep coro 4 ok 8 0" \
    "$(printf '%s' "$out" | jq -r '"\(.id) \(.job) \(.workload) \(.strategy) \(.concurrency) \(.status) \(.tasks | length) \(.not_kept)"')"
expect_eq "each task: start <= end, its lane and state" 8 \
    "$(printf '%s' "$out" | jq '[.tasks[] | select(.[1] >= 0 and .[2] >= .[1] and .[3] < 4 and .[4] == 1)] | length')"
out=$(wctl --json run many --wait)
id=$(jget "$out" id)
wctl trace "$id" --format svg > "$T/many.svg"
check "10,000 tasks: still well-formed" xmllint --noout "$T/many.svg"
check "10,000 tasks: aggregated per pixel column" grep -q 'each column shows how busy the lane was' "$T/many.svg"
check "10,000 tasks: draws" sh -c "rsvg-convert \"$T/many.svg\" -o \"$T/many.png\" && test -s \"$T/many.png\""
expect_eq "no timeline file is left half-made" "" "$(ls -A "$T/state/traces" | grep '^\.')"
out=$(wctl trace 9999 2>&1)
expect_match "trace of an unknown run" '^weftctl: no timeline for run 9999' "$out"

stop_weftd
finish
