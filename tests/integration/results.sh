#!/bin/bash
# results.sh - sumsq and fib give exact results, checked against
# independent oracles (closed form; iterative fib).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job sumsq 'workload: sumsq
params: {start: 5000000, count: 20}'
job fib 'workload: fib
params: {n: [1, 2, 3, 10, 25, 30]}'
job sumsq-list 'workload: sumsq
params:
  n: [0, 1, 2, 3, 1000, 5000000]'
start_weftd

out=$(wctl run sumsq --wait)
expect_eq "sumsq run exits 0" 0 $?
expect_match "sumsq status ok" '^run 1: ok$' "$out"
expect_match "sumsq(5000000) is exact" ' n=5000000 sumsq=41666654166667500000$' "$out"
bad=0
x=0
while [ $x -lt 20 ]; do
	n=$((5000000 + x))
	want=$("$ORACLE" sumsq $n)
	printf '%s\n' "$out" | grep -q "^  task $x: n=$n sumsq=$want\$" || bad=$((bad + 1))
	x=$((x + 1))
done
expect_eq "all 20 sumsq results equal the closed form n(n-1)(2n-1)/6" 0 $bad
expect_match "record counts 20 ok tasks" '^  tasks     20 total, 20 ok, 0 failed, 0 cancelled' "$out"

out=$(wctl run sumsq-list --wait)
bad=0
for n in 0 1 2 3 1000 5000000; do
	printf '%s\n' "$out" | grep -q " n=$n sumsq=$("$ORACLE" sumsq $n)\$" || bad=$((bad + 1))
done
expect_eq "sumsq of a list (0, 1, 2, 3, 1000, 5000000)" 0 $bad

out=$(wctl run fib --wait)
bad=0
for n in 1 2 3 10 25 30; do
	printf '%s\n' "$out" | grep -q " n=$n fib=$("$ORACLE" fib $n)\$" || bad=$((bad + 1))
done
expect_eq "fib results equal the iterative oracle" 0 $bad
expect_match "fib(1) = 0 as in the Python examples" '^  task 0: n=1 fib=0$' "$out"

out=$(wctl run fib --set 'n=[40, 41]' --wait)
expect_match "fib(40) = 63245986" ' n=40 fib=63245986$' "$out"
expect_match "fib(41) = 102334155" ' n=41 fib=102334155$' "$out"

out=$(wctl --json run fib --set n=20 --wait)
expect_match "--json record has the result" '"fib": 4181' "$out"
expect_match "--json record has status ok" '"status": "ok"' "$out"

out=$(wctl run fib --set n=93 --wait 2>&1)
expect_eq "an out-of-range param fails the run (exit 1)" 1 $?
expect_match "param error names --set and the key" \
    '^  error     workload fib: --set n=93: params.n: expected an integer from 1 to 92, got "93"$' "$out"
out=$(wctl run fib --set 'n=[1' --wait 2>&1)
expect_eq "--set of bad YAML: refused before a run, exit 1" \
    "1 weftctl: --set n=[1: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence" "$? $out"
out=$(wctl run fib --set 'n=1
workload: exec' --wait 2>&1)
expect_eq "--set of more than one value (a newline): refused" \
    "1 weftctl: --set n=1
workload: exec: the value is not one YAML value" "$? $out"

out=$(wctl run fib --set params.n=20 --wait 2>&1)
expect_eq "--set with a params. prefix: refused, saying what to write" \
    "1 weftctl: --set params.n=20: --set names a key of the job's params itself: write --set n=20" "$? $out"

job fibbad 'workload: fib
params:
  n: [10, ten]'
wctl reload > /dev/null
out=$(wctl run fibbad --wait 2>&1)
expect_match "param error names file:line:column" \
    "error     workload fib: $T/jobs/fibbad.yaml:3:11: params.n\\[1\\]: expected an integer from 1 to 92, got \"ten\"" "$out"

stop_weftd
expect_eq "weftd exits 0 on SIGTERM" 0 $?
finish
