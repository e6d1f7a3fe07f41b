#!/bin/bash
# warm.sh - warm runners: when a run ends, weftd starts a runner with
# that run's two plugins loaded, and the next run of the same two gets
# it.  It holds no job until it is given one (none of the last run's),
# is not used for other plugins nor once a plugin file has changed (it
# is killed at the rescan; a reload keeps unchanged plugins'), one
# is kept per pair of plugins up to warm_runners (the pair wanted least
# recently makes way), and none outlives weftd, killed or stopped;
# warm_runners: 0 is off.
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
wait_for "a warm runner is started when it ends" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runners[0].pid // empty')\" ]"
warm=$(warm_pid)
expect_eq "it holds that run's plugins" "sleep threads" "$(wctl --json status | jq -r '.warm_runners[] | "\(.workload) \(.strategy)"')"
expect_eq "it is weft-runner --warm, a child of weftd" "weft-runner --warm $WEFTD_PID" "$(tr '\0' ' ' < "/proc/$warm/cmdline")$(ps -o ppid= -p "$warm" | tr -d ' ')"
expect_match "weftctl status shows it" "^warm      a runner with sleep and threads loaded, pid $warm\$" "$(wctl status)"
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

# A run of other plugins starts its own; both pairs are kept warm.
wait_for "a new warm runner once run 2 ended" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runners[0].pid // empty')\" ]"
out=$(wctl run other --wait)
expect_match "a run of other plugins ends ok" '^run 3: ok$' "$out"
expect_match "on a runner of its own" '^noop, inline, pid [0-9]+$' "$(started 3)"
wait_for "then both pairs are warm, the newest first" sh -c "[ \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '[.warm_runners[].workload] | join(\" \")')\" = 'noop sleep' ]"
out=$(wctl run b --wait)
expect_match "the first pair is still warm" ', warm$' "$(started 4)"

# Its crash page is the run's: a crash names its task as ever.
wctl run crash --wait > /dev/null
out=$(wctl run crash --wait)
expect_match "a crash on a warm runner names its signal and task" '^run 6: crashed: SIGSEGV in task 3$' "$out"
expect_match "(it was warm)" ', warm$' "$(started 6)"

# Cancelled as any run: the runner's group is its own.
wctl run long > /dev/null
wait_for "a long run on a warm runner runs" sh -c "\"$WEFTCTL\" -s \"$T/sock\" runs long | grep -q running"
expect_match "(warm)" ', warm$' "$(started 7)"
wctl cancel 7 > /dev/null
wait_for "and is cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show 7 | grep -q '^run 7: cancelled'"

# Killed before it has a run: said so, and the next run starts its own.
wait_for "a warm runner for sleep after the cancelled run" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runners[] | select(.workload == \"sleep\") | .pid')\" ]"
kill -KILL "$(warm_pid sleep)"
wait_for "weftd notices the warm runner killed" grep -q "the warm runner (sleep, threads) was killed by SIGKILL before it had a run; the next run starts its own" "$T/weftd.log"
expect_eq "and has none for those plugins" "" "$(warm_pid sleep)"
out=$(wctl run b --wait)
expect_match "the next run ends ok" '^run 8: ok$' "$out"
expect_match "on a runner of its own" '^sleep, threads, pid [0-9]+$' "$(started 8)"

# A plugin file changed: the warm runner of its old copy is killed at
# the reload, and not used.  The other plugins are unchanged: their
# copies are kept without a probe, and so are their warm runners.
wctl run mark --wait > /dev/null
wait_for "a warm runner for mark" sh -c "[ -n \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '.warm_runners[] | select(.workload == \"mark\") | .pid')\" ]"
old_mark=$(warm_pid mark)
old_sleep=$(warm_pid sleep)
probes=$(grep -c 'plugin .*: workload sleep [^ ]*$' "$T/weftd.log")
cp "$TEST_PLUGINS/workload-mark.so" "$T/plugins/.mark.tmp"
mv "$T/plugins/.mark.tmp" "$T/plugins/workload-mark.so"
wctl reload > /dev/null
wait_for "the old copy's warm runner is killed at the reload" gone "$old_mark"
expect_eq "status no longer lists it" "" "$(warm_pid mark)"
expect_eq "an unchanged plugin's warm runner stays" "$old_sleep" "$(warm_pid sleep)"
expect_eq "an unchanged plugin is not probed again" "$probes" "$(grep -c 'plugin .*: workload sleep [^ ]*$' "$T/weftd.log")"
expect_match "the log says so" 'plugin .*/workload-sleep.so: workload sleep [^ ]* \(unchanged: not probed again\)$' "$(cat "$T/weftd.log")"
out=$(wctl run mark --wait)
expect_match "the changed plugin's run ends ok" '^run 10: ok$' "$out"
expect_match "on a runner of its own, not the old copy's" '^mark, inline, pid [0-9]+$' "$(started 10)"
out=$(wctl run b --wait)
expect_match "after the reload, a run of the unchanged plugins ends ok" '^run 11: ok$' "$out"
expect_eq "on the warm runner started before the reload" "sleep, threads, pid $old_sleep, warm" "$(started 11)"

# warm_runners: 2 - the pairs beyond go at the reload, and the pair
# wanted least recently makes way for a new one.
wait_for "four pairs warm" sh -c "[ \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq '.warm_runners | length')\" = 4 ]"
printf 'warm_runners: 2\n' >> "$T/weftd.yaml"
wctl reload > /dev/null
expect_eq "warm_runners: 2 keeps two" 2 "$(wctl --json status | jq '.warm_runners | length')"
wctl run other --wait > /dev/null
wctl run b --wait > /dev/null
wait_for "the two wanted last are warm" sh -c "[ \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '[.warm_runners[].workload] | join(\" \")')\" = 'sleep noop' ]"
lru=$(warm_pid noop)
wctl run mark --wait > /dev/null
wait_for "a third pair: the one wanted least recently makes way" sh -c "[ \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq -r '[.warm_runners[].workload] | join(\" \")')\" = 'mark sleep' ]"
wait_for "its runner is killed and reaped" gone "$lru"

# weftd stops: its warm runners go with it.
warm=$(warm_pid | tr '\n' ' ')
stop_weftd
check "weftd stops with exit status 0" [ "$rc" -eq 0 ]
for p in $warm; do
	wait_for "its warm runner $p is gone" gone "$p"
done

# weftd killed: the warm runners read EOF and exit by themselves.
start_weftd
wctl run b --wait > /dev/null
wctl run other --wait > /dev/null
wait_for "two warm runners" sh -c "[ \"\$(\"$WEFTCTL\" -s \"$T/sock\" --json status | jq '.warm_runners | length')\" = 2 ]"
warm=$(warm_pid | tr '\n' ' ')
kill -KILL "$WEFTD_PID"
wait "$WEFTD_PID" 2>/dev/null
WEFTD_PID=
for p in $warm; do
	wait_for "weftd killed, its warm runner $p exits by itself" gone "$p"
done

# warm_runners: 0 - every run starts its own.
write_config "warm_runners: 0"
rm -f "$T/sock"		# the killed one's, stale
start_weftd
wctl run b --wait > /dev/null
id2=$(wctl run b --wait | sed -n 's/^run \([0-9]*\): ok$/\1/p')
expect_match "off: the second run starts its own runner" '^sleep, threads, pid [0-9]+$' "$(started "${id2:-0}")"
expect_eq "off: no warm runner" "" "$(warm_pid)"
out=$(printf 'warm_runners: 17\n' > "$T/bad.yaml"; "$WEFTD" --check -c "$T/bad.yaml" 2>&1)
expect_match "a bad value is refused with where and what" 'bad.yaml:1:15: warm_runners: expected an integer from 0 to 16, got "17"' "$out"
stop_weftd
finish
