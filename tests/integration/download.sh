#!/bin/bash
# download.sh - the download workload against a real nginx on loopback:
# identical statuses and bytes under every strategy, saved files equal
# to what was served, per-URL failures with the right reason and
# attempts, and coro overlapping many slow requests.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
start_nginx || { not_ok "nginx starts"; finish; }
refused=$(free_port)
mkdir -p "$T/saved"
chmod 777 "$T/saved"
job ok "workload: download
params:
  urls:
    - $NGINX/pages/1.bin
    - $NGINX/pages/2.bin
    - $NGINX/pages/3.bin
    - $NGINX/pages/4.bin
    - $NGINX/pages/5.bin
    - $NGINX/pages/20k.bin
    - $NGINX/redirect
  repeat: 2
concurrency: 3"
job save "workload: download
params:
  urls: [$NGINX/pages/1.bin, $NGINX/pages/2.bin, $NGINX/pages/20k.bin]
  save_to: $T/saved"
job bufs "workload: download
params:
  urls: [$NGINX/pages/1.bin, $NGINX/pages/5.bin, $NGINX/pages/20k.bin]
  save_to: $T/bufs
  buffer_size_kb: 1"
job badbuf "workload: download
params:
  urls: [$NGINX/pages/1.bin]
  buffer_size_kb: 1024"
job bad "workload: download
params:
  urls:
    - $NGINX/nope
    - $NGINX/status/500
    - $NGINX/hang
    - http://127.0.0.1:$refused/
    - $NGINX/loop
    - $NGINX/pages/1.bin
  retries: 2
  timeout: 400ms
  max_redirects: 3
concurrency: 6"
job slow "workload: download
params:
  urls: [$NGINX/delay/100/pages/20k.bin]
  repeat: 160
strategy: coro
concurrency: 160"
mkdir -p "$T/ua1" "$T/ua2" "$T/ua3"
chmod 777 "$T/ua1" "$T/ua2" "$T/ua3"
job many "workload: download
params:
  urls: [$NGINX/delay/5/pages/1.bin, $NGINX/nope]
  repeat: 1250
strategy: coro
concurrency: 25"
job ua1 "workload: download
params: {urls: [$NGINX/ua], save_to: $T/ua1}
strategy: coro"
job ua2 "workload: download
params: {urls: [$NGINX/ua], save_to: $T/ua2, user_agent: mine/2.0}
strategy: threads"
job ua3 "workload: download
params:
  urls: [$NGINX/ua]
  save_to: $T/ua3
  user_agent: not-this
  headers: ['user-agent: from-headers', 'X-A: b']
strategy: coro"
job tls "workload: download
params:
  urls: [https://127.0.0.1:$NGINX_PORT/pages/1.bin]"
job badparams "workload: download
params:
  urls: [$NGINX/pages/1.bin]
  timeout: 5
  method: POST"
start_weftd

results() {
	grep -E '^(  tasks |  task [0-9]+: )' | sed 's/ (.*\/s)$//; s/ ttfb_s=[0-9.e-]*//; s/ total_s=[0-9.e-]*//'
}
want=$(wctl run ok --strategy inline --wait | results)
expect_match "inline: 14 downloads ok" '^  tasks     14 total, 14 ok, 0 failed, 0 cancelled$' "$want"
size3=$(stat -c %s "$T/nginx/www/pages/3.bin")
expect_match "inline: bytes equal the file size" "^  task 2: url=$NGINX/pages/3.bin status=200 bytes=$size3 attempts=1\$" "$want"
expect_match "redirects are followed" "^  task 6: url=$NGINX/redirect status=200 bytes=7919 attempts=1\$" "$want"
for s in threads coro fork; do
	got=$(wctl run ok --strategy $s --wait | results)
	expect_eq "$s: same statuses and bytes as inline" "$want" "$got"
done
out=$(wctl --json run ok --strategy coro --wait)
total=0
for f in 1 2 3 4 5; do total=$((total + $(stat -c %s "$T/nginx/www/pages/$f.bin"))); done
total=$(( (total + 20480 + 7919) * 2 ))
expect_match "summary: total bytes" "^      \"bytes\": $total\$" "$out"
expect_match "summary: status histogram" '^        "200": 14$' "$out"

# 2,500 tasks over several of the journal's 100 ms flushes: the summary
# is folded in as tasks are journaled, and results past the record's
# first 1,000 are let go then; the totals must still be exact.
out=$(wctl --json run many --wait)
b404=$(printf '%s' "$out" | jq '.results[1].bytes')
expect_eq "many: 2,500 tasks, half of them 404" "2500 1250 1250" \
    "$(printf '%s' "$out" | jq -r '.tasks | "\(.total) \(.ok) \(.failed)"')"
expect_eq "many: bytes summed over every task" $((1250 * 7919 + 1250 * ${b404:-0})) \
    "$(printf '%s' "$out" | jq '.summary.sum.bytes')"
expect_eq "many: statuses counted over every task" '{"200":1250,"404":1250}' \
    "$(printf '%s' "$out" | jq -c '.summary.count.status')"
expect_eq "many: the record keeps the first 1,000 results, whole" "1000 999 404 7919" \
    "$(printf '%s' "$out" | jq -r '.results | "\(length) \(.[999].task) \(.[999].status) \(.[998].bytes)"')"

out=$(wctl run save --strategy threads --wait)
expect_match "save_to run ok" '^run [0-9]+: ok$' "$out"
n=$(ls "$T/saved" | wc -l)
expect_eq "one file per URL, no temp files left" 3 "$n"
bad=0
for f in 1.bin 2.bin 20k.bin; do
	want_sum=$(sha256sum < "$T/nginx/www/pages/$f")
	found=0
	for g in "$T"/saved/*; do
		[ "$(sha256sum < "$g")" = "$want_sum" ] && found=1
	done
	[ $found = 1 ] || bad=$((bad + 1))
done
expect_eq "saved files match what nginx served (sha256)" 0 $bad

# curl's receive buffer: the smallest (1 KB: a page in dozens of reads)
# and the largest still give every byte, under coro and inline.
for sb in "coro 1" "inline 512"; do
	set -- $sb
	rm -rf "$T/bufs"; mkdir "$T/bufs"
	out=$(wctl run bufs --strategy $1 --set buffer_size_kb=$2 --wait)
	expect_match "buffer_size_kb $2 ($1): ok" '^run [0-9]+: ok$' "$out"
	got=$(cat "$T"/bufs/* | sha256sum)
	bad=0
	for f in 1.bin 5.bin 20k.bin; do
		found=0
		for g in "$T"/bufs/*; do
			cmp -s "$g" "$T/nginx/www/pages/$f" && found=1
		done
		[ $found = 1 ] || bad=$((bad + 1))
	done
	expect_eq "buffer_size_kb $2 ($1): the files are what nginx served" \
	    "3 0" "$(ls "$T/bufs" | wc -l) $bad"
done
out=$(wctl run badbuf --wait 2>&1)
expect_match "buffer_size_kb out of range: says where and what" "error     workload download: $T/jobs/badbuf.yaml:4:19: params.buffer_size_kb: " "$out"

for j in ua1 ua2 ua3; do
	wctl run $j --wait > /dev/null
done
expect_eq "the default user agent is sent" "weft-download/1.0" "$(cat "$T"/ua1/*)"
expect_eq "user_agent is sent" "mine/2.0" "$(cat "$T"/ua2/*)"
expect_eq "a User-Agent header wins over user_agent" "from-headers" "$(cat "$T"/ua3/*)"

for s in inline coro; do
	out=$(wctl run bad --strategy $s --wait | sed 's/ ttfb_s=[0-9.e-]*//; s/ total_s=[0-9.e-]*//')
	expect_match "$s: failures do not fail the others" '^  tasks     6 total, 1 ok, 5 failed, 0 cancelled' "$out"
	expect_match "$s: 404 is a status failure, not retried" "^  task 0: url=$NGINX/nope status=404 bytes=[0-9]+ attempts=1 reason=status\$" "$out"
	expect_match "$s: 404 says so" "^  task 0 failed after 1 attempt: $NGINX/nope: HTTP status 404\$" "$out"
	expect_match "$s: 500 is retried" "^  task 1: url=$NGINX/status/500 status=500 bytes=[0-9]+ attempts=3 reason=status\$" "$out"
	expect_match "$s: a hanging server times out, retried" "^  task 2: url=$NGINX/hang status=0 bytes=0 attempts=3 reason=timeout\$" "$out"
	expect_match "$s: a closed port is refused" "^  task 3: url=http://127.0.0.1:$refused/ status=0 bytes=0 attempts=3 reason=refused\$" "$out"
	expect_match "$s: refused says why" "^  task 3 failed after 1 attempt: http://127.0.0.1:$refused/: Failed to connect to 127.0.0.1 port $refused" "$out"
	expect_match "$s: a redirect loop is too many redirects" "^  task 4: url=$NGINX/loop status=302 bytes=[0-9]+ attempts=3 reason=redirects\$" "$out"
	expect_match "$s: the good URL is fine" "^  task 5: url=$NGINX/pages/1.bin status=200 bytes=7919 attempts=1\$" "$out"
done

out=$(wctl --json run slow --wait)
wall=$(jget "$out" wall_s)
check "coro: 160 x 100 ms requests at concurrency 160 take far less than 16 s (took $wall s)" \
    awk -v w="$wall" 'BEGIN { exit !(w < 3.0) }'
expect_match "coro: all 160 ok" '^    "ok": 160,?$' "$out"

out=$(wctl run tls --wait | sed 's/ ttfb_s=[0-9.e-]*//; s/ total_s=[0-9.e-]*//')
expect_match "TLS to a plain HTTP server is a tls failure" "^  task 0: url=https://127.0.0.1:$NGINX_PORT/pages/1.bin status=0 bytes=0 attempts=1 reason=tls\$" "$out"
out=$(wctl run badparams --wait 2>&1)
expect_match "bad params name file:line:column" "error     workload download: $T/jobs/badparams.yaml:4:12: params.timeout: expected a duration such as 500ms, 30s, 5m or 1h, got \"5\"; $T/jobs/badparams.yaml:5:11: params.method: expected GET or HEAD, got \"POST\"" "$out"
expect_match "a run that ended before its strategy started shows no concurrency" "^  job       badparams \\(workload download, strategy inline, manual\\)\$" "$out"
stop_weftd

# Proxies come from the runner's environment, as for the curl tool
# (weft tells curl "no proxy" only when no *_proxy variable is set).
# nginx serves an absolute URL's path, so it can stand in for a proxy;
# the .invalid host is never looked up when the proxy takes it.
job proxied "workload: download
params: {urls: [http://weft-proxy-test.invalid/pages/1.bin, $NGINX/pages/2.bin]}
strategy: coro"
unset http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
export http_proxy=$NGINX
start_weftd
for s in coro inline; do
	out=$(wctl run proxied --strategy $s --wait | sed 's/ ttfb_s=[0-9.e-]*//; s/ total_s=[0-9.e-]*//')
	expect_match "$s: http_proxy is used" '^  task 0: url=http://weft-proxy-test.invalid/pages/1.bin status=200 bytes=7919 attempts=1$' "$out"
done
stop_weftd
export http_proxy=http://127.0.0.1:$refused NO_PROXY=127.0.0.1
start_weftd
for s in coro inline; do
	out=$(wctl run proxied --strategy $s --wait | sed 's/ ttfb_s=[0-9.e-]*//; s/ total_s=[0-9.e-]*//')
	expect_match "$s: a proxy that refuses fails the transfer" '^  task 0: url=http://weft-proxy-test.invalid/pages/1.bin status=0 bytes=0 attempts=1 reason=refused$' "$out"
	expect_match "$s: NO_PROXY is honoured" "^  task 1: url=$NGINX/pages/2.bin status=200 bytes=15838 attempts=1\$" "$out"
done
stop_weftd
unset http_proxy NO_PROXY
finish
