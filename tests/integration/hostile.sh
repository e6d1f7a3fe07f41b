#!/bin/bash
# hostile.sh - small hostile inputs are judged at once, within time and
# memory bounds, with the position: an alias bomb, 100,000 levels of
# nesting, a million values, 200,000 keys; weftd starts with such a file
# in jobs.d and rejects it alone; 2,000 connections that send nothing
# neither keep others out nor stay open.
# Exercises: lib/ytree.c, lib/config.c, daemon/control.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
CONNFLOOD=$top_builddir/tests/connflood
{
	echo 'workload: fib'
	echo 'a0: &a0 [x, x, x, x, x, x, x, x, x]'
	for i in 1 2 3 4 5 6 7 8 9; do
		p=$((i - 1))
		echo "a$i: &a$i [*a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p, *a$p]"
	done
	echo 'params: {n: *a9}'
} > "$T/bomb.yaml"
{
	printf 'workload: fib\nparams: {n: '
	head -c 100000 /dev/zero | tr '\0' '['
	head -c 100000 /dev/zero | tr '\0' ']'
	printf '}\n'
} > "$T/deep.yaml"
{
	printf 'workload: fib\nparams: {n: ['
	head -c 2097000 /dev/zero | sed 's/\x0/1,/g'
	printf '1]}\n'
} > "$T/flow.yaml"
{
	printf 'workload: fib\nparams:\n'
	seq 0 199999 | sed 's/.*/  k&: &/'
} > "$T/keys.yaml"
check "the bomb is a small file ($(stat -c %s "$T/bomb.yaml") bytes)" [ "$(stat -c %s "$T/bomb.yaml")" -lt 600 ]
check "the flow file is nearly 4 MiB" [ "$(stat -c %s "$T/flow.yaml")" -gt 4000000 ]

# bounded CMD... - run CMD under a 5 s timeout and, without sanitizers
# (whose shadow memory is virtual), a 64 MiB address space.
bounded() {
	if [ "${WEFT_SANITIZERS:-no}" = no ]; then
		(ulimit -v 65536; timeout 5 "$@")
	else
		timeout 20 "$@"
	fi
}
cd "$T" || exit 1
out=$(bounded "$WEFTCTL" -s "$T/nosock" check bomb.yaml 2>&1 | head -n 1)
expect_eq "alias bomb: refused at its first alias, in bounds" "bomb.yaml:3:10: an alias (*a0): weft's files do not use YAML anchors and aliases; write the value out" "$out"
out=$(bounded "$WEFTCTL" -s "$T/nosock" check deep.yaml 2>&1 | head -n 1)
expect_eq "100,000 levels: refused at level 65, in bounds" "deep.yaml:2:75: nested too deeply (more than 64 levels)" "$out"
out=$(bounded "$WEFTCTL" -s "$T/nosock" check flow.yaml 2>&1 | head -n 1)
expect_eq "a million values in 4 MiB: refused at the limit, in bounds" "flow.yaml:2:1000000: more than 500000 values; a file this large is a mistake (put big inputs in a file the workload reads, such as urls_file)" "$out"
out=$(bounded "$WEFTCTL" -s "$T/nosock" check keys.yaml 2>/dev/null)
expect_eq "200,000 distinct keys: judged (fine), in bounds" "keys.yaml: ok (job keys: workload fib, strategy inline, on-demand)" "$out"
cd / || exit 1

# weftd starts with the bomb in jobs.d: it is rejected alone.
cp "$T/bomb.yaml" "$T/jobs/bomb.yaml"
cp "$T/deep.yaml" "$T/jobs/deep.yaml"
job good 'workload: fib
params: {n: 10}'
start_weftd
out=$(wctl status)
expect_match "weftd came up, rejecting the two files" '^jobs      1 loaded, 2 rejected$' "$out"
expect_match "status says why" "^error     $T/jobs/bomb.yaml:3:10: an alias" "$out"
out=$(wctl run good --wait)
expect_match "the good job runs" '^run 1: ok$' "$out"
out=$(printf '{"v":1,"cmd":"run","job":"good","set":["n=%s"]}\n' "$(head -c 1000 /dev/zero | tr '\0' '[')" | "$RAWCLIENT" "$T/sock" 1)
expect_match "a hostile --set is refused with the reason" '"error":"--set n=\[+: nested too deeply \(more than 64 levels\)"' "$out"

# 2,000 connections that send nothing, from root.
"$CONNFLOOD" "$T/sock" 2000 8 > "$T/flood.out" &
flood=$!
sleep 1
out=$(wctl status)
expect_match "weftctl status is served while 2,000 idle connections try" '^jobs      1 loaded' "$out"
wait $flood
expect_eq "every idle connection was closed or refused within 8 s" "closed 2000 open 0" "$(cat "$T/flood.out")"
expect_match "closing idle connections is logged" 'sent no complete request within 5 s; closing the connection' "$(cat "$T/weftd.log")"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd
finish
