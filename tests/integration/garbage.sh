#!/bin/bash
# garbage.sh - servers that answer garbage, close mid-body, trickle, or
# say nothing: each task fails (or retries) with a clear reason within
# its timeout, the run ends, and what was already done is not reported
# as lost.  Small fake servers on 127.0.0.1 (tests/fakesrv.c).
# Exercises: plugins/workload-download.c, plugins/workload-redis.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

FAKESRV=$top_builddir/tests/fakesrv
mktemp_dir
mkdir -p "$T/saved"
fakes=

# fake KIND ARGS... - start a fake server on a free port; sets FPORT.
fake() {
	kind=$1
	shift
	for try in 1 2 3 4 5; do
		FPORT=$(free_port)
		"$FAKESRV" "$kind" "$FPORT" "$@" 2>> "$T/fakesrv.log" &
		p=$!
		i=0
		while [ $i -lt 100 ] && kill -0 $p 2>/dev/null; do
			if (exec 3<>/dev/tcp/127.0.0.1/$FPORT) 2>/dev/null; then
				fakes="$fakes $p"
				return 0
			fi
			sleep 0.05
			i=$((i + 1))
		done
		kill $p 2>/dev/null
		wait $p 2>/dev/null
	done
	return 1
}

fake http || { not_ok "the fake HTTP server starts"; finish; }
H=http://127.0.0.1:$FPORT
job web "workload: download
params:
  urls: [$H/ok, $H/garbage, $H/truncate, $H/trickle]
  timeout: 2s
  retries: 1
  save_to: $T/saved"
fake redis garbage
RG=$FPORT
fake redis error
RE=$FPORT
fake redis silent
RS=$FPORT
fake redis ok-then-garbage 500
RP=$FPORT
fake redis close-after 1000
RC=$FPORT
seq 0 1999 > "$T/lines.txt"
seq 0 199999 > "$T/lines200k.txt"
job rRC "workload: redis
params:
  file: $T/lines200k.txt
  port: $RC
  shards: 1
  timeout: 500ms
  retry_for: 1s"
for n in RG RE RS RP; do
	job "r$n" "workload: redis
params:
  file: $T/lines.txt
  port: ${!n}
  shards: 1
  pipeline: 50
  timeout: 500ms
  retry_for: 1s"
done
start_weftd

for s in threads coro; do
	start=$(date +%s)
	out=$(wctl run web --strategy $s --concurrency 4 --wait)
	end=$(date +%s)
	expect_match "$s: the run with bad servers ends, failed" '^run [0-9]+: failed$' "$out"
	check "$s: within the tasks' timeouts ($((end - start)) s)" [ $((end - start)) -le 12 ]
	expect_match "$s: the good URL is ok" '^  task 0: url=http://127.0.0.1:[0-9]+/ok status=200 bytes=6 .*attempts=1$' "$out"
	expect_match "$s: garbage is a protocol error, retried" '^  task 1 failed after 1 attempt: http://127.0.0.1:[0-9]+/garbage: .*' "$out"
	expect_match "$s: garbage names its reason" '^  task 1: url=[^ ]*/garbage .*attempts=2 reason=protocol$' "$out"
	expect_match "$s: a body cut short is a network error, retried" '^  task 2: url=[^ ]*/truncate status=200 bytes=1000 .*attempts=2 reason=network$' "$out"
	expect_match "$s: a trickle times out" '^  task 3: url=[^ ]*/trickle .*attempts=2 reason=timeout$' "$out"
	expect_match "$s: the reasons are counted" '^  reason    protocol x1 network x1 timeout x1$' "$out"
	check "$s: the good body is saved" [ "$(cat "$T"/saved/* 2>/dev/null)" = hello ]
	check "$s: nothing half-written is left behind" [ "$(ls -A "$T/saved" | wc -l)" = 1 ]
	rm -f "$T"/saved/*
done

for s in inline coro; do
	start=$(date +%s)
	out=$(wctl run rRG --strategy $s --wait)
	end=$(date +%s)
	expect_match "$s: a Redis that answers garbage: failed with why" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-1999\): Protocol error' "$out"
	check "$s: it gives up after retry_for, not never ($((end - start)) s)" [ $((end - start)) -le 5 ]
	out=$(wctl run rRE --strategy $s --wait)
	expect_match "$s: error replies are counted with the first" '^  task 0 failed after 1 attempt: shard 0: 2000 error replies, first line 0: ERR nope$' "$out"
	start=$(date +%s)
	out=$(wctl run rRS --strategy $s --wait)
	end=$(date +%s)
	expect_match "$s: a silent Redis: no reply" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-1999\): no reply within 500 ms$' "$out"
	check "$s: within retry_for and a timeout ($((end - start)) s)" [ $((end - start)) -le 5 ]
	# A full window (10,000) is written as it fills: a server that
	# drops the connection while it is being written.
	start=$(date +%s)
	out=$(wctl run rRC --strategy $s --wait)
	end=$(date +%s)
	expect_match "$s: a Redis that drops the connection mid-window: failed with why" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-199999\): .' "$out"
	expect_match "$s: nothing is counted as written" '^  written    total=0$' "$out"
	expect_match "$s: nor any byte, however often sent" '^  task 0: .* bytes=0 ' "$out"
	expect_match "$s: it reconnects with a pause, not thousands of times" '^  task 0: .* reconnects=[1-9]$' "$out"
	check "$s: then gives up after retry_for ($((end - start)) s)" [ $((end - start)) -le 5 ]
done
out=$(wctl run rRP --wait)
expect_match "a Redis that goes bad after 500 replies: failed" '^  task 0 failed after 1 attempt: shard 0 \(lines 0-1999\): Protocol error' "$out"
expect_match "the 500 lines it took are counted as written, not lost" '^  written    total=500$' "$out"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd
for p in $fakes; do
	kill $p 2>/dev/null
	wait $p 2>/dev/null
done
finish
