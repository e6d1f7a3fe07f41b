#!/bin/bash
# systemd.sh - weftd under systemd's protocols, without a running
# systemd: sd_notify (READY=1, STATUS=, WATCHDOG=1, RELOADING=1,
# STOPPING=1) to a datagram listener, socket activation through
# systemd-socket-activate, and the unit files through systemd-analyze.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

NOTIFYSOCK=$top_builddir/tests/notifysock
mktemp_dir
job a 'workload: sleep
params: {tasks: 2, ms: 300}'
job b 'workload: fib
params: {n: 5}'
write_config

"$NOTIFYSOCK" "$T/notify" 4 > "$T/notify.log" &
np=$!
sleep 0.2
NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=400000 "$WEFTD" -f -c "$T/weftd.yaml" \
    >> "$T/weftd.log" 2>&1 &
WEFTD_PID=$!
wait_for "weftd is up" test -S "$T/sock"
wctl run a > /dev/null
sleep 0.1
kill -HUP "$WEFTD_PID"
sleep 1.2
stop_weftd
wait "$np"
log=$(cat "$T/notify.log")
expect_match "READY=1 with MAINPID" "^READY=1\\|MAINPID=[0-9]+$" "$log"
expect_match "STATUS after start" '^STATUS=2 jobs, 0 running$' "$log"
expect_match "STATUS while a run goes on" '^STATUS=2 jobs, 1 running$' "$log"
n=$(printf '%s\n' "$log" | grep -c '^WATCHDOG=1$')
check "WATCHDOG=1 every 200 ms (got $n in about 2 s)" [ "$n" -ge 5 ]
expect_match "RELOADING=1 on SIGHUP" '^RELOADING=1\|MONOTONIC_USEC=[0-9]+$' "$log"
expect_match "STOPPING=1 on SIGTERM" '^STOPPING=1\|STATUS=stopping' "$log"
check "READY=1 comes before the first STATUS" sh -c "printf '%s\n' \"\$1\" | head -n 2 | grep -q '^READY=1'" - "$log"

# Under journald (JOURNAL_STREAM set), log lines carry <N> priorities.
printf 'workload: fib\nconcurrency: lots\n' > "$T/jobs/zz.yaml"
JOURNAL_STREAM=8:1234 "$WEFTD" -f -c "$T/weftd.yaml" -s "$T/j.sock" \
    2> "$T/journal.log" &
jp=$!
wait_for "weftd under a journal stream is up" test -S "$T/j.sock"
kill -TERM $jp
wait $jp
rm -f "$T/jobs/zz.yaml"
expect_match "journal: info lines are <6>, nothing else before them" '^<6>control socket ' "$(cat "$T/journal.log")"
expect_match "journal: warnings are <4>" '^<4>.*zz.yaml:2:14: concurrency: expected a positive integer' "$(cat "$T/journal.log")"

# Socket activation: systemd-socket-activate makes the socket, passes it
# as fd 3 with LISTEN_FDS, and weftd serves it instead of its own.
if command -v systemd-socket-activate > /dev/null; then
	rm -f "$T/sock"
	systemd-socket-activate -l "$T/activated.sock" -E WEFT_RUNNER \
	    "$WEFTD" -f -c "$T/weftd.yaml" >> "$T/weftd.log" 2>&1 &
	WEFTD_PID=$!
	wait_for "the activated socket exists" test -S "$T/activated.sock"
	out=$("$WEFTCTL" -s "$T/activated.sock" run b --wait)
	expect_match "weftctl runs a job over the activated socket" '^run [0-9]+: ok$' "$out"
	check "weftd did not make its own socket" [ ! -e "$T/sock" ]
	expect_match "weftd says it took systemd's socket" 'control socket from systemd \(fd 3\)' "$(cat "$T/weftd.log")"
	stop_weftd
else
	skip "socket activation" "no systemd-socket-activate"
fi

# The units: systemd-analyze verify and the hardening score.
if command -v systemd-analyze > /dev/null; then
	mkdir -p "$T/units"
	sed "s|^ExecStartPre=[^ ]*|ExecStartPre=$WEFTD|; s|^ExecStart=[^ ]*|ExecStart=$WEFTD|" \
	    "$top_builddir/systemd/weftd.service" > "$T/units/weftd.service"
	cp "$top_builddir/systemd/weftd.socket" "$T/units/weftd.socket"
	out=$(cd "$T/units" && systemd-analyze verify --man=no ./weftd.service ./weftd.socket 2>&1)
	expect_eq "systemd-analyze verify is clean" "" "$out"
	out=$(systemd-analyze security --offline=true "$T/units/weftd.service" 2>&1 | tail -n 1)
	score=$(printf '%s\n' "$out" | sed -n 's/.*weftd.service: \([0-9.]*\) .*/\1/p')
	check "hardening exposure <= 1.5 (${score:-none}: $out)" \
	    awk -v s="${score:-99}" 'BEGIN { exit !(s <= 1.5) }'
else
	skip "systemd-analyze verify" "no systemd-analyze"
	skip "hardening score" "no systemd-analyze"
fi
finish
