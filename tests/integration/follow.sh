#!/bin/bash
# follow.sh - weftctl follow and run --follow: a progress bar redrawn in
# place on a terminal (plain lines otherwise), colour unless NO_COLOR,
# then the record; Ctrl-C detaches (the run goes on), or cancels with
# --cancel-on-interrupt.
# Exercises: cli/cmd-follow.c, cli/cmd-run.c, cli/format.c,
# daemon/ctl-runs.c (run.show), daemon/run.c (progress).
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job nap 'workload: sleep
params: {tasks: 8, ms: 40}
concurrency: 4'
job long 'workload: sleep
params: {tasks: 20, ms: 200}
concurrency: 2'
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

stop_weftd
finish
