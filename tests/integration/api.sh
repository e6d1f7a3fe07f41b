#!/bin/bash
# api.sh - the JSON API on the HTTP listener (http_listen): each route's
# reply is the control socket's, a secret in params never appears in
# any reply, unknown routes are 404, other methods 405, HEAD works,
# bad requests do not stop weftd.
# Exercises: daemon/api.c, control_query in daemon/control.c,
# http_listen in lib/config.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
SECRET=S3CRET-7f1e2d
job sq 'workload: sumsq
params: {n: [10, 20]}
strategy: threads
concurrency: 2'
job push "workload: redis
params: {file: $T/nothing, host: 127.0.0.1, port: 1, password: $SECRET, retry_for: 0s}"
job get "workload: download
params:
  urls: [http://127.0.0.1:1/x]
  headers: ['Authorization: Bearer $SECRET', 'Accept: */*']
  timeout: 1s"
job run "workload: exec
params:
  command: [true]
  env: {API_TOKEN: $SECRET, LANG: C}"
: > "$T/nothing"
for try in 1 2 3 4 5; do
	hport=$(free_port)
	write_config "http_listen: 127.0.0.1:$hport"
	start_weftd > /dev/null && break
done
check "weftd serves HTTP on a free port" test -n "${WEFTD_PID:-}"
H=http://127.0.0.1:$hport

wctl run sq --wait > /dev/null
wctl run get --wait > /dev/null
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }

out=$(curl -s "$H/api/jobs")
expect_match "/api/jobs: the control socket's jobs reply" '"name": "sq"' "$out"
expect_eq "/api/jobs: as many jobs as weftctl jobs" \
    "$(wctl --json jobs | grep -c '"name":')" "$(printf '%s\n' "$out" | grep -c '"name":')"
expect_eq "/api/jobs: JSON" "application/json" \
    "$(curl -s -o /dev/null -w '%{content_type}' "$H/api/jobs")"
out=$(curl -s "$H/api/jobs/sq")
expect_match "/api/jobs/NAME: the job, with its recent runs" '"recent_runs": \[' "$out"
expect_eq "/api/jobs/NAME of no job: 404" 404 "$(code "$H/api/jobs/nosuch")"
out=$(curl -s "$H/api/runs?job=sq&limit=1")
expect_match "/api/runs?job=sq&limit=1: that run" '"job": "sq"' "$out"
expect_eq "/api/runs?limit=1: one run" 1 "$(printf '%s\n' "$out" | grep -c '"id":')"
out=$(curl -s "$H/api/runs/1")
expect_match "/api/runs/1: its record, results included" '"sumsq": "2470"' "$out"
expect_eq "/api/runs/1: the same record as run show --json" \
    "$(wctl --json run show 1 | grep -c '"task":')" "$(printf '%s\n' "$out" | grep -c '"task":')"
out=$(curl -s "$H/api/runs/1/trace")
expect_match "/api/runs/1/trace: the timeline" '"tasks": \[' "$out"
expect_eq "/api/runs/99: no such run, 404" 404 "$(code "$H/api/runs/99")"
expect_match "/api/runs/99: says so" '"error": "no run 99' "$(curl -s "$H/api/runs/99")"
expect_match "/api/status" '"runs_active": 0' "$(curl -s "$H/api/status")"
expect_match "/api/plugins" '"name": "sumsq"' "$(curl -s "$H/api/plugins")"

# Secrets: in no reply of any route.
leaks=0
for p in /api/jobs /api/jobs/push /api/jobs/get /api/jobs/run /api/runs \
    /api/runs/2 /api/runs/2/trace /api/status /api/plugins /metrics /health; do
	if curl -s "$H$p" | grep -q "$SECRET"; then
		echo "# $p shows the secret"
		leaks=$((leaks + 1))
	fi
done
expect_eq "a secret in params appears in no reply" 0 $leaks
out=$(curl -s "$H/api/jobs/push")
expect_match "password: hidden" '"password": "\(hidden\)"' "$out"
expect_match "other params shown" '"port": "1"' "$out"
expect_match "an Authorization header: its value hidden" '"Authorization: \(hidden\)"' "$(curl -s "$H/api/jobs/get")"
expect_match "other headers shown" '"Accept: \*/\*"' "$(curl -s "$H/api/jobs/get")"
out=$(curl -s "$H/api/jobs/run")
expect_match "env API_TOKEN: hidden" '"API_TOKEN": "\(hidden\)"' "$out"
expect_match "env LANG shown" '"LANG": "C"' "$out"

# Edges: unknown routes, methods, HEAD, a long header, idle connections.
expect_eq "unknown route: 404" 404 "$(code "$H/api/nope")"
expect_eq "a route under a run that is not: 404" 404 "$(code "$H/api/runs/1/nope")"
expect_eq "a run id that is not a number: 404" 404 "$(code "$H/api/runs/x")"
expect_eq "an unknown page: 404" 404 "$(code "$H/nope")"
expect_eq "POST: 405" 405 "$(code -X POST "$H/api/jobs")"
expect_eq "DELETE: 405" 405 "$(code -X DELETE "$H/api/runs/1")"
expect_eq "HEAD: 200" 200 "$(code -I "$H/api/jobs")"
expect_match "a 64 KB header: refused, not served" '^(400|413|431)$' \
    "$(code -H "X-Big: $(head -c 65536 /dev/zero | tr '\0' a)" "$H/api/jobs")"
fds=
for i in $(seq 1 50); do
	exec {fd}<>/dev/tcp/127.0.0.1/"$hport"
	fds="$fds $fd"
done
expect_eq "with 50 idle connections open, weftd still answers" 200 "$(code "$H/api/status")"
for fd in $fds; do exec {fd}>&-; done
check "weftd is alive" kill -0 "$WEFTD_PID"

stop_weftd
finish
