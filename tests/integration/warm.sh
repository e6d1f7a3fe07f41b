#!/bin/bash
# warm.sh - the warm runner: when a run ends, weftd starts a runner with
# that run's two plugins loaded, and the next run of the same two gets
# it.  It holds no job until it is given one (none of the last run's),
# is not used for other plugins nor once a plugin file has changed, and
# does not outlive weftd, killed or stopped; warm_runner: false is off.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

MEMSCAN=$top_builddir/tests/memscan
secret="warm-secret-$$-$RANDOM"

mktemp_dir
cp "$TEST_PLUGINS/workload-mark.so" "$T/plugins/"
cp "$TEST_PLUGINS/workload-crash.so" "$T/plugins/"
job a "description: $secret
workload: sleep
params: {tasks: 3, ms: 1}
strategy: threads"
job b 'workload: sleep
params: {tasks: 2, ms: 1}
strategy: threads'
job long 'workload: sleep
params: {tasks: 1, ms: 30000}
strategy: threads'
job other 'workload: noop
params: {tasks: 4}
strategy: inline'
job crash 'workload: crash
params: {tasks: 5, at: 3}
strategy: inline'
job mark "workload: mark
params: {file: $T/marks.txt, tasks: 2}
strategy: inline"
start_weftd

# started - how weftd's log says run $1 started (with ", warm" or not).
started() {
	sed -n "s/.*info: run $1 ([a-z]*): started (\\(.*\\))\$/\\1/p" "$T/weftd.log"
}
# gone PID - no such process (or a zombie no one reaped yet).
gone() {
	! [ -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

expect_eq "no warm runner before any run" "" "$(warm_pid)"
out=$(wctl run a --wait)
expect_match "the first run of a job ends ok" '^run 1: ok$' "$out"
expect_match "its runner was started for it" '^sleep, threads, pid [0-9]+$' "$(started 1)"
wait_for "a warm runner is started when it ends" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runner.pid // empty')\" ]"
warm=$(warm_pid)
expect_eq "it holds that run's plugins" "sleep threads" "$(wctl --json status | jq -r '.warm_runner | "\(.workload) \(.strategy)"')"
expect_eq "it is weft-runner --warm, a child of weftd" "weft-runner --warm $WEFTD_PID" "$(tr '\0' ' ' < "/proc/$warm/cmdline")$(ps -o ppid= -p "$warm" | tr -d ' ')"
if [ "$(id -u)" -ne 0 ] && [ "$(cat /proc/sys/kernel/yama/ptrace_scope 2>/dev/null || echo 0)" -ne 0 ]; then
	skip "the warm runner holds nothing of the run before it" "not root and ptrace is restricted"
else
	expect_eq "the warm runner holds nothing of the run before it" 0 "$("$MEMSCAN" "$warm" "$secret")"
fi

out=$(wctl run b --wait)
expect_match "another job of the same plugins ends ok" '^run 2: ok$' "$out"
expect_eq "on the warm runner" "sleep, threads, pid $warm, warm" "$(started 2)"
expect_match "its record is whole" '^  tasks     2 total, 2 ok, 0 failed, 0 cancelled' "$out"
check "and its timeline (a descriptor handed over) is kept" test -s "$T/state/traces/2.json"
wait_for "the warm runner it used exits after its run" gone "$warm"

# A run of other plugins starts its own; the warm runner turns to them.
wait_for "a new warm runner once run 2 ended" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runner.pid // empty')\" ]"
warm=$(warm_pid)
out=$(wctl run other --wait)
expect_match "a run of other plugins ends ok" '^run 3: ok$' "$out"
expect_match "on a runner of its own" '^noop, inline, pid [0-9]+$' "$(started 3)"
wait_for "the warm runner of the other plugins is killed and reaped" gone "$warm"
wait_for "the warm runner now holds noop, inline" sh -c "\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -e '.warm_runner.workload == \"noop\"' > /dev/null"

# Its crash page is the run's: a crash names its task as ever.
wctl run crash --wait > /dev/null
out=$(wctl run crash --wait)
expect_match "a crash on a warm runner names its signal and task" '^run 5: crashed: SIGSEGV in task 3$' "$out"
expect_match "(it was warm)" ', warm$' "$(started 5)"

# Cancelled as any run: the runner's group is its own.
wctl run long > /dev/null
wait_for "a long run starts" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs long | grep -q running"
wctl cancel 6 > /dev/null
wait_for "and is cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 6 | grep -q '^run 6: cancelled'"
wctl run long > /dev/null
wait_for "a long run on a warm runner runs" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs long | grep -q running"
expect_match "(warm)" ', warm$' "$(started 7)"
wctl cancel 7 > /dev/null
wait_for "and is cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 7 | grep -q '^run 7: cancelled'"

# Killed before it has a run: said so, and the next run starts its own.
wait_for "a warm runner after the cancelled run" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runner.pid // empty')\" ]"
kill -KILL "$(warm_pid)"
wait_for "weftd notices the warm runner killed" grep -q "the warm runner (sleep, threads) was killed by SIGKILL before it had a run; the next run starts its own" "$T/weftd.log"
expect_eq "and has none" "" "$(warm_pid)"
out=$(wctl run b --wait)
expect_match "the next run ends ok" '^run 8: ok$' "$out"
expect_match "on a runner of its own" '^sleep, threads, pid [0-9]+$' "$(started 8)"

# A plugin file changed: the warm runner of its old copy is not used.
wctl run mark --wait > /dev/null
wait_for "a warm runner for mark" sh -c "\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -e '.warm_runner.workload == \"mark\"' > /dev/null"
old=$(warm_pid)
cp "$TEST_PLUGINS/workload-mark.so" "$T/plugins/.mark.tmp"
mv "$T/plugins/.mark.tmp" "$T/plugins/workload-mark.so"
wctl reload > /dev/null
out=$(wctl run mark --wait)
expect_match "the changed plugin's run ends ok" '^run 10: ok$' "$out"
expect_match "on a runner of its own, not the old copy's" '^mark, inline, pid [0-9]+$' "$(started 10)"
wait_for "the old copy's warm runner is replaced" gone "$old"

# weftd stops: its warm runner goes with it.
wait_for "a warm runner before the stop" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runner.pid // empty')\" ]"
warm=$(warm_pid)
stop_weftd
check "weftd stops with exit status 0" [ "$rc" -eq 0 ]
wait_for "its warm runner is gone" gone "$warm"

# weftd killed: the warm runner reads EOF and exits by itself.
start_weftd
wctl run b --wait > /dev/null
wait_for "a warm runner" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runner.pid // empty')\" ]"
warm=$(warm_pid)
kill -KILL "$WEFTD_PID"
wait "$WEFTD_PID" 2>/dev/null
WEFTD_PID=
wait_for "weftd killed, its warm runner exits by itself" gone "$warm"

# warm_runner: false - every run starts its own.
write_config "warm_runner: false"
rm -f "$T/sock"		# the killed one's, stale
start_weftd
wctl run b --wait > /dev/null
id2=$(wctl run b --wait | sed -n 's/^run \([0-9]*\): ok$/\1/p')
expect_match "off: the second run starts its own runner" '^sleep, threads, pid [0-9]+$' "$(started "${id2:-0}")"
expect_eq "off: no warm runner" "" "$(warm_pid)"
out=$(printf 'warm_runner: maybe\n' > "$T/bad.yaml"; "$WEFTD" --check -c "$T/bad.yaml" 2>&1)
expect_match "a bad value is refused with where and what" 'bad.yaml:1:14: warm_runner: expected true or false, got "maybe"' "$out"
stop_weftd
finish
