#!/bin/bash
# durable.sh - a weftd crash or restart loses no run.  SIGKILL weftd
# mid-run: the run goes on, the next weftd adopts it (follow works) and
# it ends ok with every task.  SIGKILL weftd and the runner's process
# group: the run is recorded interrupted with what finished, and resume
# runs exactly the rest.  A torn journal line, a lost history, a job
# with resume: auto, and a full state directory.
# Exercises: daemon/run.c, daemon/recover.c, daemon/history.c,
# runner/journal.c, lib/journal.c, cli/cmd-resume.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
cp "$TEST_PLUGINS/workload-mark.so" "$T/plugins/"
for s in threads coro fork; do
	job "nap-$s" "workload: mark
params: {file: $T/nap-$s.txt, tasks: 20, ms: 150}
strategy: $s
concurrency: 2"
done
job cut "workload: mark
params: {file: $T/cut.txt, tasks: 30, ms: 100}
strategy: threads
concurrency: 3"
job solo "workload: mark
params: {file: $T/solo.txt, tasks: 6, ms: 100}
strategy: threads
concurrency: 2"
job auto "workload: mark
params: {file: $T/auto.txt, tasks: 12, ms: 100}
strategy: coro
concurrency: 2
resume: auto"

# restart - start weftd again after a kill.  The socket appears before
# weftd reads the journals; a request is answered only after, so one
# round trip makes what recovery logs readable.
restart() {
	wait "$WEFTD_PID" 2>/dev/null
	WEFTD_PID=
	rm -f "$T/sock"		# the killed one's, stale
	start_weftd && wctl status > /dev/null
}

# pgid_gone PGID - no process of that group is left.
pgid_gone() {
	! ps -eo pgid= | grep -qx " *$1"
}

start_weftd
for s in threads coro fork; do
	id=$(wctl run "nap-$s" | sed -n 's/^run \([0-9]*\) started.*/\1/p')
	sleep 0.6
	runner=$(runner_of "$id")
	kill -KILL "$WEFTD_PID"
	sleep 0.3
	check "$s: the runner goes on without weftd" kill -0 "${runner:-0}"
	restart
	expect_match "$s: the next weftd adopts the run" "run $id \\(nap-$s\\): adopted" "$(cat "$T/weftd.log")"
	out=$(wctl follow "$id")
	expect_match "$s: follow works after the restart, to the end" "^run $id: ok\$" "$out"
	expect_match "$s: with every task" '^  tasks     20 total, 20 ok, 0 failed, 0 cancelled' "$out"
	expect_eq "$s: each task ran once" 20 "$(sort -u "$T/nap-$s.txt" | wc -l)"
	expect_eq "$s: its timeline is kept" "nap-$s 20" \
	    "$(wctl trace "$id" --format json | jq -r '"\(.job) \(.tasks | length)"')"
	wait_for "$s: its processes are gone" pgid_gone "${runner:-0}"
	out=$(wctl --json run "nap-$s")
	nid=$(jget "$out" id)
	check "$s: the next run gets a larger id ($nid > $id)" [ "${nid:-0}" -gt "$id" ]
	wctl cancel "$nid" > /dev/null
	wait_for "$s: that one is cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $nid | grep -q '^run $nid: cancelled$'"
done

# A run that ends while no weftd runs: the next one keeps its record and
# its timeline, which the runner wrote before its record.
id=$(wctl run solo | sed -n 's/^run \([0-9]*\) started.*/\1/p')
runner=$(runner_of "$id")
kill -KILL "$WEFTD_PID"
# gone - the runner has exited (a zombie until something reaps it).
gone() {
	! [ -d "/proc/$1" ] || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
wait_for "solo: the run ends without weftd" gone "${runner:-0}"
restart
expect_match "solo: the next weftd keeps its record" "run $id \\(solo\\): it ended while weftd was not running; its record is kept now" "$(cat "$T/weftd.log")"
expect_match "solo: it ended ok" '^  tasks     6 total, 6 ok, 0 failed, 0 cancelled' "$(wctl run show "$id")"
out=$(wctl trace "$id" --format json)
expect_eq "solo: and its timeline is kept" "solo 6 ok" "$(printf '%s' "$out" | jq -r '"\(.job) \(.tasks | length) \(.status)"')"
expect_eq "solo: no timeline file is left half-made" "" "$(ls -A "$T/state/traces" | grep '^\.')"

# weftd and the whole runner group killed: interrupted, then resumed.
id=$(wctl run cut | sed -n 's/^run \([0-9]*\) started.*/\1/p')
sleep 0.7
runner=$(runner_of "$id")
kill -KILL "$WEFTD_PID"
kill -KILL -- "-$runner"
restart
out=$(wctl run show "$id")
expect_match "a run without its runner is recorded interrupted" "^run $id: interrupted\$" "$out"
okn=$(printf '%s\n' "$out" | sed -n 's/^  tasks     30 total, \([0-9]*\) ok, 0 failed, \([0-9]*\) cancelled.*/\1/p')
check "it counts the tasks that finished (${okn:-?} ok)" [ "${okn:-0}" -ge 3 ] && [ "${okn:-30}" -lt 30 ]
expect_match "it says how to go on" "^  error     its runner was gone when weftd started \\(killed, or the machine restarted\\); weftctl resume $id runs what did not finish\$" "$out"
first=$(awk '{ print $1 }' "$T/cut.txt" | sort -u)
out=$(wctl resume "$id" --wait)
expect_match "resume ends ok" '^run [0-9]+: ok$' "$out"
expect_match "its record counts the whole job" '^  tasks     30 total, 30 ok, 0 failed, 0 cancelled' "$out"
expect_match "its summary counts the tasks carried over too" '^  i +total=435$' "$out"
expect_match "and what was carried over" "^  resumed   run $id: ${okn:-?} tasks carried over, not run again\$" "$out"
again=$(grep -vc "^$first " "$T/cut.txt")
expect_eq "resume ran exactly the tasks without an ok outcome" $((30 - ${okn:-0})) "$again"
expect_eq "every task ran" 30 "$(awk '{ print $2 }' "$T/cut.txt" | sort -u | wc -l)"
rid=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\): ok$/\1/p')
out=$(wctl --json run show "$rid")
expect_eq "the record says resume_of" "$id" "$(jget "$out" resume_of)"
expect_eq "and tasks.resumed" "${okn:-?}" "$(printf '%s' "$out" | jq '.tasks.resumed')"
expect_eq "and the results of all tasks, old and new" 30 "$(printf '%s' "$out" | jq '.results | length')"
expect_eq "each result as its task gave it (carried ones read back from the journal)" 30 "$(printf '%s' "$out" | jq '[.results[] | select(.i == .task)] | length')"
out=$(wctl resume "$rid" 2>&1)
expect_eq "an ok run has nothing to resume" "weftctl: run $rid ended ok; there is nothing to resume" "$out"

# A torn last line (a power cut mid-append) is skipped, not fatal.
id=$(wctl run cut | sed -n 's/^run \([0-9]*\) started.*/\1/p')
sleep 0.5
runner=$(runner_of "$id")
kill -KILL "$WEFTD_PID"
kill -KILL -- "-$runner"
printf '[17,1,1,10' >> "$T/state/runs/$id.journal"
restart
expect_match "a torn journal line is skipped" "runs/$id.journal: 1 line that did not parse \\(a torn last line, say\\) skipped" "$(cat "$T/weftd.log")"
expect_match "and the run is still recorded" "^run $id: interrupted\$" "$(wctl run show "$id")"

# resume: auto - weftd resumes an interrupted run of such a job itself.
id=$(wctl run auto | sed -n 's/^run \([0-9]*\) started.*/\1/p')
sleep 0.4
runner=$(runner_of "$id")
kill -KILL "$WEFTD_PID"
kill -KILL -- "-$runner"
restart
expect_match "resume: auto resumes at start" "run $id: resumed as run [0-9]+ \\(resume: auto\\)" "$(cat "$T/weftd.log")"
rid=$(sed -n "s/.*run $id: resumed as run \\([0-9]*\\) (resume: auto).*/\\1/p" "$T/weftd.log" | tail -n 1)
wait_for "and the resumed run ends ok" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show ${rid:-0} | grep -q '^run ${rid:-0}: ok$'"
expect_eq "every task of the job ran" 12 "$(awk '{ print $2 }' "$T/auto.txt" | sort -u | wc -l)"

# Ids are never given twice, even when the history is lost.
last=$(wctl --json runs | jq '[.[].id] | max')
stop_weftd
rm -f "$T/state/history.jsonl"
start_weftd
out=$(wctl --json run cut)
check "with history.jsonl gone, the next id is still new ($(jget "$out" id) > $last)" [ "$(jget "$out" id)" -gt "$last" ]
wctl cancel "$(jget "$out" id)" > /dev/null
stop_weftd

# history.jsonl cannot be written when a run ends (here it is a
# directory): the record waits in memory and the run keeps its journal
# until the record is written, so a weftd killed before that finds the
# run again, whole, at its next start.
job hq "workload: mark
params: {file: $T/hq.txt, tasks: 3, ms: 10}"
start_weftd
mv "$T/state/history.jsonl" "$T/history.aside"
mkdir "$T/state/history.jsonl"
id=$(jget "$(wctl --json run hq --wait)" id)
check "history unwritable: the run keeps its journal" test -s "$T/state/runs/$id.journal"
rmdir "$T/state/history.jsonl"
mv "$T/history.aside" "$T/state/history.jsonl"
wait_for "writable again: the record is written" grep -q "^{\"id\":$id," "$T/state/history.jsonl"
wait_for "and then the journal goes" sh -c "! test -e '$T/state/runs/$id.journal'"
mv "$T/state/history.jsonl" "$T/history.aside"
mkdir "$T/state/history.jsonl"
out=$(wctl --json run hq --wait)
id=$(jget "$out" id)
expect_eq "history unwritable: the run ends ok" ok "$(printf '%s\n' "$out" | jq -r .status)"
check "and keeps its journal" test -s "$T/state/runs/$id.journal"
kill -KILL "$WEFTD_PID"
rmdir "$T/state/history.jsonl"
mv "$T/history.aside" "$T/state/history.jsonl"
restart
out=$(wctl run show "$id")
expect_match "weftd killed before the record was written: the run is found again" "^run $id: ok\$" "$out"
expect_match "with every task" '^  tasks     3 total, 3 ok, 0 failed, 0 cancelled' "$out"
expect_eq "its record is in history.jsonl now" 1 "$(grep -c "^{\"id\":$id," "$T/state/history.jsonl")"
stop_weftd

# Run ids: never given twice, a killed weftd or not; consecutive across
# a clean stop.
start_weftd
a=$(wctl run solo --wait | sed -n 's/^run \([0-9]*\): ok$/\1/p')
stop_weftd
start_weftd
b=$(wctl run solo --wait | sed -n 's/^run \([0-9]*\): ok$/\1/p')
expect_eq "after a clean stop the next run id follows" "$((a + 1))" "$b"
expect_eq "next-id is ahead of the ids given" 1 "$([ "$(cat "$T/state/next-id")" -gt "$b" ] && echo 1)"
kill -KILL "$WEFTD_PID"
restart
c=$(wctl run solo --wait | sed -n 's/^run \([0-9]*\): ok$/\1/p')
expect_eq "after weftd was killed, no id is given twice" 1 "$([ "${c:-0}" -gt "$b" ] && [ "$c" -le $((b + 64)) ] && echo 1)"
expect_eq "and the history has each id once" "" "$(jq -r .id "$T/state/history.jsonl" | sort | uniq -d)"
stop_weftd

# A full state directory: weftd goes on, says so, and catches up.
if [ "$(id -u)" -eq 0 ] && mkdir -p "$T/small" && mount -t tmpfs -o size=400k tmpfs "$T/small" 2>/dev/null; then
	mport=$(free_port)
	write_config "metrics_listen: 127.0.0.1:$mport"
	sed -i "s|^state_dir: .*|state_dir: $T/small|" "$T/weftd.yaml"
	job quick "workload: mark
params: {file: $T/quick.txt, tasks: 3, ms: 10}"
	start_weftd
	expect_eq "a writable state directory is only named" "state     $T/small" "$(wctl status | grep '^state ')"
	head -c 2000000 /dev/zero > "$T/small/fill" 2>/dev/null
	out=$(wctl run quick --wait)
	expect_match "with the state directory full, runs still run" '^run [0-9]+: ok$' "$out"
	out=$(wctl status)
	expect_match "status says the state directory is full" "^state     $T/small \\(cannot write .*: No space left on device: records are kept in memory and written when they can be\\)\$" "$out"
	expect_match "/health says so" '^degraded: state directory: cannot write .*No space left on device$' "$(curl -s "http://127.0.0.1:$mport/health")"
	expect_eq "/health is 503" 503 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/health")"
	expect_eq "it was logged once" 1 "$(grep -c "state directory: cannot write $T/small" "$T/weftd.log")"
	expect_match "the run is answered from memory" '^run [0-9]+: ok$' "$(wctl run show 1)"
	rm -f "$T/small/fill"
	wait_for "when space returns, the record is written" grep -q '"status":"ok"' "$T/small/history.jsonl"
	expect_match "and weftd says so" 'state directory: writable again' "$(cat "$T/weftd.log")"
	expect_eq "/health is ok again" ok "$(curl -s "http://127.0.0.1:$mport/health")"
	stop_weftd
	umount "$T/small"
else
	skip "full state directory" "needs root to mount a small tmpfs"
fi
finish
