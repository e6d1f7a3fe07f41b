#!/bin/bash
# compare.sh - weftctl compare: the same job under each strategy, as a
# table, as JSON and as an SVG chart.
# Exercises: cli/cmd-compare.c, daemon/ctl-run.c (run --wait), every
# strategy plugin.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job nap 'workload: sleep
params: {tasks: 8, ms: 40}
concurrency: 4'
start_weftd

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

stop_weftd
finish
