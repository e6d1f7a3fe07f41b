#!/bin/bash
# redis.sh - the redis workload against a real redis-server: every line
# lands exactly (binary-safe, empty lines, a last line without newline)
# under every strategy; a Redis killed mid-run and restarted loses
# nothing; bad passwords, ports and files give clear errors.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
"$ORACLE" lines 100000 > "$T/lines.txt"
chmod 644 "$T/lines.txt"
start_redis || { not_ok "redis starts"; finish; }
job load "workload: redis
params:
  file: $T/lines.txt
  unix: $REDIS_SOCK
  shards: 8
  verify: true
concurrency: 4"
job tcp "workload: redis
params:
  file: $T/lines.txt
  port: $REDIS_PORT
  key: 'train:{n}'
  db: 3
  pipeline: 100
  ttl: 3600
concurrency: 2"
start_weftd

sample_ok() {
	bad=0
	for n in 0 1 5 16 17 33 1000 49999 77777 99998 99999; do
		a=$(rcli -n "${2:-0}" --raw GET "${1:-}$n" | head -c -1 | od -An -tx1)
		b=$("$ORACLE" line $n | od -An -tx1)
		[ "$a" = "$b" ] || bad=$((bad + 1))
	done
	return $bad
}
for s in inline threads coro fork; do
	# libasan 8 (gcc 12) does not lock its allocator across fork():
	# a fork worker can inherit a size-class lock another thread of
	# the runner held (seen: freeReplyObject waiting forever in the
	# child).  glibc's malloc is fork-safe; the default build runs it.
	if [ $s = fork ] && [ "${WEFT_SANITIZERS:-no}" != no ]; then
		ok "fork: skipped under the sanitizers (libasan and fork) # SKIP"
		continue
	fi
	rcli FLUSHALL > /dev/null
	out=$(wctl run load --strategy $s --wait)
	expect_match "$s: run ok" '^run [0-9]+: ok$' "$out"
	expect_eq "$s: DBSIZE equals the line count" 100000 "$(rcli DBSIZE)"
	check "$s: sampled keys equal their lines byte for byte" sample_ok
	expect_match "$s: summary counts lines written" '^  written    total=100000$' "$out"
done
check "an empty line is an empty value" [ "$(rcli STRLEN 0)" = 0 ]
check "the last line (no newline) is there" [ "$(rcli STRLEN 99999)" = "$("$ORACLE" line 99999 | wc -c)" ]

out=$(wctl run tcp --strategy coro --wait)
expect_match "tcp, key format, db, ttl: run ok" '^run [0-9]+: ok$' "$out"
expect_eq "keys in db 3" 100000 "$(rcli -n 3 DBSIZE)"
check "key format train:{n}" sample_ok "train:" 3
ttl=$(rcli -n 3 TTL train:42)
check "ttl set ($ttl)" [ "$ttl" -gt 3500 ]

# Error replies are counted with the first line that got one: a Redis
# out of memory (maxmemory 1 byte, noeviction) refuses every SET.
rcli FLUSHALL > /dev/null
rcli CONFIG SET maxmemory-policy noeviction > /dev/null
rcli CONFIG SET maxmemory 1 > /dev/null
job oom "workload: redis
params: {file: $T/lines.txt, unix: $REDIS_SOCK, shards: 1}"
wctl reload > /dev/null
out=$(wctl run oom --strategy threads --wait)
rcli CONFIG SET maxmemory 0 > /dev/null
expect_match "error replies: counted, with the first line" "^  task 0 failed after 1 attempt: shard 0: 100000 error replies, first line 0: OOM command not allowed when used memory > 'maxmemory'.\$" "$out"
expect_match "the run is failed" '^run [0-9]+: failed$' "$out"

# Redis killed with SIGKILL mid-run and restarted: nothing lost.  A
# million short lines keep the run going well past the moment the test
# sees the first keys arrive; Redis is stopped (SIGSTOP) right then, so
# the run cannot end before Redis dies.
seq 0 999999 > "$T/million.txt"
stop_redis
rm -rf "$T/redis"
start_redis --appendonly yes --appendfsync always
job kill "workload: redis
params:
  file: $T/million.txt
  port: $REDIS_PORT
  pipeline: 50
  retry_for: 20s
strategy: coro
concurrency: 4"
wctl reload > /dev/null
out=$(wctl run kill)
id=$(printf '%s\n' "$out" | sed -n 's/^run \([0-9]*\) started.*/\1/p')
wait_for "lines reach Redis" sh -c "[ \"\$(redis-cli -s \"$REDIS_SOCK\" DBSIZE)\" -gt 0 ]"
kill -STOP "$REDIS_PID"
before=$(wctl run show "$id" | head -n 1)
kill -KILL "$REDIS_PID"
kill -CONT "$REDIS_PID" 2>/dev/null
wait "$REDIS_PID" 2>/dev/null
REDIS_PID=
sleep 0.5
start_redis --appendonly yes --appendfsync always
wait_for "the run ends" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $id | grep -Eq '^run $id: (ok|failed)'"
out=$(wctl run show "$id")
expect_match "it was still running when Redis died ($before)" "^run $id: running\$" "$before"
expect_match "run with a Redis restart: ok" "^run $id: ok\$" "$out"
expect_eq "after the restart every line is in Redis" 1000000 "$(rcli DBSIZE)"
expect_eq "keys exact after the restart" "0 499999 999999" "$(rcli GET 0) $(rcli GET 499999) $(rcli GET 999999)"
expect_match "the run reconnected" '^  reconnects +total=[1-9][0-9]*$' "$out"
expect_match "bytes counts each line once, resent or not" "^  bytes +total=$(( $(wc -c < "$T/million.txt") - 1000000 ))\$" "$out"

# Clear errors.
refused=$(free_port)
job badport "workload: redis
params: {file: $T/lines.txt, port: $refused, retry_for: 300ms}"
job nofile "workload: redis
params: {file: $T/nope.txt, unix: $REDIS_SOCK}"
wctl reload > /dev/null
out=$(wctl run badport --wait)
expect_match "unreachable Redis: failed run, says where" "^  task 0 failed after 1 attempt: shard 0 \\(lines 0-12499\\): connect to 127.0.0.1:$refused: Connection refused\$" "$out"
out=$(wctl run badport --strategy coro --wait)
expect_match "unreachable Redis under coro (async API): same message" "^  task 0 failed after 1 attempt: shard 0 \\(lines 0-12499\\): connect to 127.0.0.1:$refused: Connection refused\$" "$out"
out=$(wctl run nofile --wait 2>&1)
expect_match "missing file: names it, with position" "error     workload redis: $T/jobs/nofile.yaml:2:16: params.file: cannot read $T/nope.txt: No such file or directory" "$out"

stop_redis
rm -rf "$T/redis"
start_redis --requirepass sesame
job auth "workload: redis
params: {file: $T/lines.txt, port: $REDIS_PORT, password: wrong, shards: 1}"
job authok "workload: redis
params: {file: $T/lines.txt, port: $REDIS_PORT, password: sesame, shards: 2}"
wctl reload > /dev/null
out=$(wctl run auth --wait)
expect_match "wrong password: AUTH failed, not retried forever" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-99999\): AUTH failed: WRONGPASS' "$out"
out=$(wctl run auth --strategy coro --wait)
expect_match "wrong password under coro: AUTH failed" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-99999\): AUTH failed: WRONGPASS' "$out"
out=$(wctl run authok --wait)
expect_match "right password: ok" '^run [0-9]+: ok$' "$out"
expect_eq "and every line is there" 100000 "$(redis-cli -s "$REDIS_SOCK" -a sesame --no-auth-warning DBSIZE)"
stop_weftd
finish
