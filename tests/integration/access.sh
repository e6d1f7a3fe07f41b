#!/bin/bash
# access.sh - peer credentials on the control socket: anyone who can
# connect may read; run, cancel and reload are for root, weftd's user
# and members of control_group; connections per user are capped.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv > /dev/null; then
	mktemp_dir
	skip "access control" "needs root and setpriv to act as another user"
	finish
fi
mktemp_dir
chmod 755 "$T"
write_config 'socket_mode: "0666"
control_group: nogroup
max_conns_per_uid: 3'
job a 'workload: fib
params: {n: 5}'
start_weftd
nogroup=$(getent group nogroup | cut -d: -f3)
# as UID GID [GROUPS] CMD...
as() {
	u=$1 g=$2 gs=$3
	shift 3
	if [ -n "$gs" ]; then
		setpriv --reuid="$u" --regid="$g" --groups="$gs" "$@"
	else
		setpriv --reuid="$u" --regid="$g" --clear-groups "$@"
	fi
}
out=$(as 65534 1 "" "$WEFTCTL" -s "$T/sock" jobs)
expect_match "another user may read (jobs)" '^a +fib ' "$out"
out=$(as 65534 1 "" "$WEFTCTL" -s "$T/sock" run a --wait 2>&1)
rc=$?
expect_eq "but not run: exit 1" 1 $rc
expect_eq "and is told why" "weftctl: permission denied: run changes weftd's state, which is for root, weftd's user and members of group nogroup" "$out"
out=$(as 65534 1 "" "$WEFTCTL" -s "$T/sock" reload 2>&1)
expect_match "nor reload" '^weftctl: permission denied: reload changes' "$out"
expect_match "refusals are logged" 'control: refused run for uid 65534' "$(cat "$T/weftd.log")"
out=$(as 65534 1 "$nogroup" "$WEFTCTL" -s "$T/sock" run a --wait 2>&1)
expect_match "a member of control_group may run" '^run [0-9]+: ok$' "$out"
out=$(wctl run a --wait)
expect_match "root may run" '^run [0-9]+: ok$' "$out"

out=$(head -c 70000 /dev/zero | tr '\0' 'x' | as 65534 1 "" "$RAWCLIENT" "$T/sock")
expect_eq "another user's requests are smaller" '{"ok":false,"error":"request too large (no newline within 64 KiB)","v":1}
(closed)' "$out"

# Per-user cap: 3 connections.  With 3 idle ones open, a 4th is served
# and the oldest idle one is closed to make room for it.
idle=
for i in 1 2 3; do
	sleep 2 | as 65534 1 "" "$RAWCLIENT" "$T/sock" 2 > "$T/idle$i.out" &
	idle="$idle $!"
	sleep 0.1
done
sleep 0.3
out=$(printf '{"v":1,"cmd":"status"}\n' | as 65534 1 "" "$RAWCLIENT" "$T/sock" 1)
expect_match "a 4th connection from the same user is served" '"jobs":1,' "$out"
expect_match "and that is logged" "control: a user at its connection limit; closing the oldest idle connection of uid 65534" "$(cat "$T/weftd.log")"
out=$(wctl status)
expect_match "other users still connect" '^jobs ' "$out"
wait $idle
expect_eq "the oldest idle one made room" "(closed)" "$(cat "$T/idle1.out")"
# Busy connections are not closed: 3 runs waited on, a 4th is refused.
job nap 'workload: sleep
params: {tasks: 1, ms: 1500}'
wctl reload > /dev/null
busy=
for i in 1 2 3; do
	as 65534 "$nogroup" "$nogroup" "$WEFTCTL" -s "$T/sock" run nap --wait > /dev/null 2>&1 &
	busy="$busy $!"
done
sleep 0.5
out=$(printf '{"v":1,"cmd":"status"}\n' | as 65534 1 "" "$RAWCLIENT" "$T/sock" 1)
expect_eq "with none idle, a 4th connection is refused" '{"v":1,"ok":false,"error":"too many connections from your user"}
(closed)' "$out"
wait $busy
stop_weftd
finish
