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

# Per-user cap: 3 idle connections, the 4th is refused.
idle=
for i in 1 2 3; do
	sleep 2 | as 65534 1 "" "$RAWCLIENT" "$T/sock" 2 > /dev/null &
	idle="$idle $!"
done
sleep 0.5
out=$(printf '{"v":1,"cmd":"status"}\n' | as 65534 1 "" "$RAWCLIENT" "$T/sock" 1)
expect_eq "a 4th connection from the same user is refused" '{"v":1,"ok":false,"error":"too many connections from your user"}
(closed)' "$out"
out=$(wctl status)
expect_match "root is not capped" '^jobs ' "$out"
wait $idle
stop_weftd
finish
