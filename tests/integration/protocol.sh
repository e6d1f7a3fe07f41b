#!/bin/bash
# protocol.sh - the control socket answers malformed, oversized and
# unknown requests with a JSON error (closing on malformed input), and
# keeps serving everyone else.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
job a 'workload: fib
params: {n: 5}'
start_weftd

out=$(printf 'this is not json\n' | "$RAWCLIENT" "$T/sock")
expect_eq "malformed JSON: error reply, then closed" '{"ok":false,"error":"malformed request: '"'"'['"'"' or '"'"'{'"'"' expected near '"'"'this'"'"'","v":1}
(closed)' "$out"
out=$(printf '[1,2]\n' | "$RAWCLIENT" "$T/sock")
expect_eq "not an object" '{"ok":false,"error":"malformed request: not a JSON object","v":1}
(closed)' "$out"
out=$(printf '{"v":2,"cmd":"status"}\n' | "$RAWCLIENT" "$T/sock")
expect_eq "wrong protocol version" '{"ok":false,"error":"unsupported protocol version; this weftd speaks version 1","v":1}
(closed)' "$out"
out=$(printf '{"v":1}\n' | "$RAWCLIENT" "$T/sock")
expect_eq "no cmd" '{"ok":false,"error":"malformed request: no \"cmd\" string","v":1}
(closed)' "$out"
out=$(printf '{"v":1,"cmd":"selfdestruct"}\n{"v":1,"cmd":"runs","job":"zzz"}\n' | "$RAWCLIENT" "$T/sock" 1)
expect_eq "unknown command: error, connection stays usable" '{"ok":false,"error":"unknown command \"selfdestruct\"","v":1}
{"runs":[],"ok":true,"v":1}
(still open)' "$out"
out=$(head -c 9500000 /dev/zero | tr '\0' 'x' | "$RAWCLIENT" "$T/sock")
expect_eq "oversized request (root may send a job file's 4 MiB)" '{"ok":false,"error":"request too large (no newline within 9 MiB)","v":1}
(closed)' "$out"
out=$(printf '{"v":1,"cmd":"run","job":"a","concurrency":"lots"}\n' | "$RAWCLIENT" "$T/sock" 1)
expect_eq "bad argument" '{"ok":false,"error":"concurrency: expected an integer from 1 to 100000","v":1}
(still open)' "$out"
out=$(printf '{"v":1,"cmd":"cancel","id":-4}\n' | "$RAWCLIENT" "$T/sock" 1)
expect_eq "bad run id" '{"ok":false,"error":"missing or bad run \"id\" (a positive integer)","v":1}
(still open)' "$out"

# Many idle clients do not block the loop.
i=0
idle=
while [ $i -lt 50 ]; do
	sleep 3 | "$RAWCLIENT" "$T/sock" 3 > /dev/null &
	idle="$idle $!"
	i=$((i + 1))
done
out=$(wctl run a --wait)
expect_match "a run works while 50 clients sit idle" '^run 1: ok$' "$out"
wait $idle
out=$(wctl status)
expect_match "status still answers" '^jobs      1 loaded, 0 rejected$' "$out"
mode=$(stat -c %a "$T/sock")
expect_eq "socket mode is 660 by default" 660 "$mode"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd
finish
