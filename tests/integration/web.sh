#!/bin/bash
# web.sh - weftd's pages in a real browser (Debian's chromium, headless,
# --dump-dom): overview, run page (record, failures, results with
# paging, timeline), a job's comparison, plugins; progress moved by
# Server-Sent Events in the page, a run page showing the final record
# when the run ends; run and cancel only with http_token_file, a login
# cookie and a same-origin request; secrets in no page.  Screenshots go
# to $top_builddir/tests/artifacts.
# Exercises: daemon/web.c, daemon/api.c, RUN_PROGRESS in daemon/run.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
mktemp_dir
if [ -z "$CHROMIUM" ]; then
	not_ok "chromium is installed (scripts/debian-packages-test)"
	finish
fi
ART=$top_builddir/tests/artifacts
mkdir -p "$ART"
SECRET=S3CRET-a91b7c
cp "$TEST_PLUGINS/workload-crash.so" "$T/plugins/"
printf 'not a plugin\n' > "$T/plugins/junk.so"
job sq 'workload: sumsq
params: {start: 1, count: 250}
strategy: threads
concurrency: 2'
job bad 'workload: crash
params: {tasks: 10, at: -1}'
job nap 'workload: sleep
params: {tasks: 40, ms: 100}
concurrency: 2'
job push "workload: redis
params: {file: $T/nothing, host: 127.0.0.1, port: 1, password: $SECRET, retry_for: 0s}"
: > "$T/nothing"
for try in 1 2 3 4 5; do
	hport=$(free_port)
	write_config "http_listen: 127.0.0.1:$hport
http_token_file: $T/token"
	start_weftd > /dev/null && break
done
check "weftd serves HTTP on a free port" test -n "${WEFTD_PID:-}"
H=http://127.0.0.1:$hport
# dom URL [FLAGS]: the page as the browser has it.
dom() {
	u=$1
	shift
	timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$T/chromium" "$@" --dump-dom "$u" \
	    2> /dev/null
}
shot() {
	timeout 60 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$T/chromium" \
	    --window-size=1100,900 --screenshot="$ART/$1.png" "$2" \
	    > /dev/null 2>&1
}
count() { printf '%s\n' "$2" | grep -o "$1" | wc -l; }

wctl run sq --wait > /dev/null				# run 1
wctl run sq --strategy inline --wait > /dev/null	# run 2
wctl run bad --wait > /dev/null				# run 3

# --- overview ---
out=$(dom "$H/")
expect_match "overview: the jobs, linked" '<a href="/jobs/sq">sq</a>' "$out"
expect_match "overview: a job's last run and status" '<a href="/runs/3" class="failed">3 failed</a>' "$out"
expect_match "overview: no run running" 'No run is running' "$out"
expect_match "overview: the daemon's state" 'weftd [0-9.]+, pid [0-9]+, up [0-9]+ s; 0 runs running \(at most 4\); 4 jobs, 0 rejected' "$out"
expect_match "overview: a rejected plugin counts" '[0-9]+ plugins, 1 rejected' "$out"
check "overview: no state problem" sh -c "! printf '%s' '$out' | grep -q 'State directory'"
check "overview: no login form or button while no token file exists" \
    sh -c "! printf '%s' '$out' | grep -q '<form'"
shot overview "$H/"

# --- run page ---
out=$(dom "$H/runs/1")
expect_match "run page: status" '<p class="ok" id="status">ok</p>' "$out"
expect_match "run page: the record" '250 total, 250 ok, 0 failed, 0 cancelled' "$out"
expect_eq "run page: 100 result rows on the first page" 100 "$(printf '%s\n' "$out" | sed -n '/<table id="results">/,/<\/table>/p' | grep -c '^<tr><td')"
expect_match "run page: exact results" '<tr><td class="n">3</td><td class="n">4</td><td>14</td></tr>' "$out"
expect_match "run page: a next page" '<a rel="next" href="/runs/1\?page=1">Next</a>' "$out"
expect_eq "run page: the timeline draws every task" 250 "$(count '<rect ' "$out")"
out=$(dom "$H/runs/1?page=2")
expect_eq "run page 3: the last 50 results" 50 "$(printf '%s\n' "$out" | sed -n '/<table id="results">/,/<\/table>/p' | grep -c '^<tr><td')"
expect_match "run page 3: tasks 200 to 249" 'Tasks 200 to 249 of 250 kept' "$out"
out=$(dom "$H/runs/3")
expect_match "run page: failures listed" '<tr><td class="n">4</td><td class="n">1</td><td>task 4 fails on purpose</td></tr>' "$out"
expect_eq "run page: failed tasks red in the timeline" 2 "$(count 'fill="#c33"' "$out")"
shot run "$H/runs/1"
expect_eq "run page of no run: 404" 404 "$(curl -s -o /dev/null -w '%{http_code}' "$H/runs/99")"

# --- compare, plugins ---
out=$(dom "$H/jobs/sq")
expect_match "job page: strategies compared" '<td>threads x2</td><td class="n">1</td>' "$out"
expect_match "job page: and inline" '<td>inline x1</td><td class="n">1</td>' "$out"
expect_eq "job page: three charts (wall, CPU, tasks/s)" 3 "$(count '<figure>' "$out")"
shot compare "$H/jobs/sq"
out=$(dom "$H/plugins")
expect_match "plugins: each with kind and version" '<td>sumsq</td><td>workload</td><td>1.0</td>' "$out"
expect_match "plugins: a rejected file with its reason" 'junk.so</td><td class="error">rejected: ' "$out"
expect_match "plugins: the params each reads" '<li><code>buffer_size_kb</code> integer 1 to 512, default 64</li>' "$out"
expect_match "plugins: a plugin that does not list its params says so" '<td>crash</td>.*<td>not listed</td>' "$out"
expect_match "the API has them too, not taken for secrets" '"name": "buffer_size_kb"' "$(curl -s "$H/api/plugins")"

# --- live: Server-Sent Events ---
id=$(wctl run nap | sed -n 's/^run \([0-9]*\) started.*/\1/p')
curl -sN --max-time 1.5 "$H/events?run=$id" > "$T/events.txt" || true
n=$(grep -c '^event: progress$' "$T/events.txt")
check "/events: progress events ($n in 1.5 s)" [ "$n" -ge 3 ]
first=$(grep -m1 '^data: ' "$T/events.txt" | sed 's/.*"done":\([0-9]*\).*/\1/')
last=$(grep '^data: ' "$T/events.txt" | tail -n 1 | sed 's/.*"done":\([0-9]*\).*/\1/')
check "/events: done grows ($first -> $last)" [ "$last" -gt "$first" ]
expect_match "run page while running: a progress bar" \
    "<progress max=\"40\" value=\"[0-9]+\" aria-label=\"run $id progress\">" "$(curl -s "$H/runs/$id")"
# The browser keeps the page until the run ends (its event stream is
# open), and what it shows then is what the page made of the events.
out=$(dom "$H/runs/$id" --virtual-time-budget=1000)
expect_match "a run page open while it ran shows the final record" '<p class="ok" id="status">ok</p>' "$out"
expect_match "its progress was moved by events in the page" '<main data-run="[0-9]+" data-live="[1-9][0-9]*">' "$out"
wait_for "the nap run ends" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $id | grep -q '^run $id: ok'"
curl -sN --max-time 3 "$H/events" > "$T/events2.txt" &
cpid=$!
sleep 0.3
wctl run sq --wait > /dev/null
wait $cpid
expect_match "/events: start and end of every run" '^event: end$' "$(cat "$T/events2.txt")"
expect_match "/events: the end says the status" '"status":"ok"' "$(grep -A1 '^event: end$' "$T/events2.txt")"

# --- actions: only with the token, a login cookie and our origin ---
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
expect_eq "no token file yet: run refused" 403 "$(code -X POST -H "Origin: $H" "$H/jobs/nap/run")"
umask 077
printf 'tok-%s\n' "$SECRET" > "$T/token"
expect_eq "a wrong token: refused" 403 "$(code -X POST --data 'token=nope' "$H/login")"
hdr=$(curl -s -D - -o /dev/null -X POST --data "token=tok-$SECRET" "$H/login")
expect_match "login: a cookie, HttpOnly, SameSite=Strict" '^Set-Cookie: weft_token=.*; HttpOnly; SameSite=Strict; Path=/' "$(printf '%s' "$hdr" | tr -d '\r')"
expect_match "with a token file: the login form" '<form method="post" action="/login">' "$(dom "$H/")"
check "not logged in: no run button" sh -c "! curl -s '$H/' | grep -q '<button>Run</button>'"
C="Cookie: weft_token=tok-$SECRET"
out=$(curl -s -H "$C" "$H/")
expect_match "logged in: run buttons" '<form method="post" action="/jobs/nap/run"><button>Run</button></form>' "$out"
expect_eq "with the cookie but from another site: refused" 403 "$(code -X POST -H "$C" -H "Origin: http://evil.example" "$H/jobs/nap/run")"
expect_eq "with the cookie and no origin at all: refused" 403 "$(code -X POST -H "$C" "$H/jobs/nap/run")"
loc=$(curl -s -D - -o /dev/null -X POST -H "$C" -H "Origin: $H" "$H/jobs/nap/run" | tr -d '\r' | sed -n 's/^Location: //p')
id=${loc#/runs/}
check "run from the page: 303 to the new run ($loc)" [ -n "$id" ]
expect_match "the run is running" "^run $id: running" "$(wctl run show "$id")"
expect_match "its page offers cancel" "action=\"/runs/$id/cancel\"><button>Cancel</button>" "$(curl -s -H "$C" "$H/runs/$id")"
expect_eq "cancel from the page: 303" 303 "$(code -X POST -H "$C" -H "Referer: $H/runs/$id" "$H/runs/$id/cancel")"
wait_for "the run is cancelled" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $id | grep -q '^run $id: cancelled'"
expect_eq "a bearer token works without a browser's origin" 303 "$(code -X POST -H "Authorization: Bearer tok-$SECRET" "$H/jobs/sq/run")"
expect_match "actions are logged with who did them" "http: 127.0.0.1:[0-9]+ \(cookie\): cancel run $id" "$(cat "$T/weftd.log")"

# --- secrets, and what is not a page ---
leaks=0
for p in / /runs/1 /runs/3 /jobs/push /jobs/sq /plugins /api/jobs/push; do
	if curl -s -H "$C" "$H$p" | grep -q "$SECRET"; then
		echo "# $p shows the secret"
		leaks=$((leaks + 1))
	fi
done
expect_eq "the secret is in no page" 0 $leaks
expect_match "run page: the job line names strategy and concurrency" '<dd>sq \(workload sumsq, strategy threads x2, manual\)</dd>' "$(curl -s "$H/runs/1")"
id=$(wctl run bad --set nope=1 --wait | sed -n 's/^run \([0-9]*\): failed$/\1/p')
expect_match "a run that ended before its strategy started: no concurrency" '<dd>bad \(workload crash, strategy inline, manual\)</dd>' "$(curl -s "$H/runs/${id:-0}")"
expect_eq "an unknown page: 404" 404 "$(code "$H/nope")"
expect_eq "PUT: 405" 405 "$(code -X PUT "$H/")"
check "weftd is alive" kill -0 "$WEFTD_PID"

stop_weftd
finish
