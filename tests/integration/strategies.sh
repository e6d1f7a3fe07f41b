#!/bin/bash
# strategies.sh - every workload gives identical results under every
# strategy; coro overlaps waits; strategy: auto picks by traits.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
cp "$TEST_PLUGINS/workload-blocker.so" "$T/plugins/"
job sumsq 'workload: sumsq
params: {start: 5000000, count: 8}'
job fib 'workload: fib
params: {n: [20, 25, 27, 1, 2, 30]}'
job sleep 'workload: sleep
params: {tasks: 12, ms: 20}'
job noop 'workload: noop
params: {tasks: 5000}'
job sleep200 'workload: sleep
params: {tasks: 200, ms: 100}
strategy: coro
concurrency: 200'
job loops 'workload: sleep
params: {tasks: 40, ms: 50}
strategy: coro
strategy_params: {loops: 2}
concurrency: 40'
job autoio 'workload: sleep
params: {tasks: 4, ms: 1}
strategy: auto'
job autocpu 'workload: fib
params: {n: 10}
strategy: auto'
job blocker 'workload: blocker
strategy: coro'
start_weftd

# results - the lines that must not depend on the strategy.
results() {
	grep -E '^(  tasks |  task [0-9]+: )' | sed 's/ (.*\/s)$//'
}

for w in sumsq fib sleep noop; do
	want=$(wctl run $w --strategy inline --wait | results)
	for s in threads coro fork; do
		got=$(wctl run $w --strategy $s --concurrency 3 --wait | results)
		expect_eq "$w under $s gives what inline gives" "$want" "$got"
	done
done

out=$(wctl --json run sleep200 --wait)
wall=$(jget "$out" wall_s)
check "coro: 200 x 100 ms sleeps at concurrency 200 take < 2 s (took $wall s)" \
    awk -v w="$wall" 'BEGIN { exit !(w < 2.0) }'
expect_eq "coro: all 200 ok" ok "$(jget "$out" status)"
out=$(wctl --json run loops --wait)
expect_eq "coro with loops: 2" ok "$(jget "$out" status)"
wall=$(jget "$out" wall_s)
check "coro loops: 40 x 50 ms at concurrency 40 take < 1 s (took $wall s)" \
    awk -v w="$wall" 'BEGIN { exit !(w < 1.0) }'
out=$(wctl --json run sleep --strategy threads --concurrency 12 --wait)
wall=$(jget "$out" wall_s)
check "threads: 12 x 20 ms at concurrency 12 overlap (took $wall s)" \
    awk -v w="$wall" 'BEGIN { exit !(w < 0.2) }'

out=$(wctl --json run autoio --wait)
expect_eq "auto picks coro for an io-bound workload" coro "$(jget "$out" strategy)"
expect_eq "the record says auto picked it" auto "$(jget "$out" strategy_picked_by)"
out=$(wctl --json run autocpu --wait)
expect_eq "auto picks threads for a cpu-bound workload" threads "$(jget "$out" strategy)"

out=$(wctl run blocker --wait 2>&1)
expect_eq "a blocking workload is refused under coro" "weftctl: job blocker: workload blocker blocks its thread without weft's task I/O primitives, so under strategy coro (many tasks on one thread) it would stall every other task; use strategy threads or fork" "$out"
out=$(wctl run blocker --strategy threads --wait)
expect_match "and runs under threads" '^run [0-9]+: ok$' "$out"

out=$(wctl plugins)
for s in inline threads coro fork; do
	expect_match "strategy $s is in the catalog" "^$s +strategy .*: ok\$" "$out"
done
stop_weftd
finish
