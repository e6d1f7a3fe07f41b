# lib.sh - helpers for weft's integration tests (sourced by bash).
# Each test prints TAP: "ok N - what" / "not ok N - what", then "1..N".
# start_weftd gives the test a private weftd on a socket in a temp dir;
# on failure the temp dir (with weftd.log) is kept and named.

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
WEFTD=$top_builddir/daemon/weftd
WEFTCTL=$top_builddir/cli/weftctl
: "${WEFT_RUNNER:=$top_builddir/runner/weft-runner}"
export WEFT_RUNNER
ORACLE=$top_builddir/tests/oracle
RAWCLIENT=$top_builddir/tests/rawclient
PLUGINS=$top_builddir/plugins/.libs
TEST_PLUGINS=$top_builddir/tests/plugins/.libs
NPLUGINS=$(ls "$PLUGINS"/*.so 2>/dev/null | wc -l)	# the bundled ones

tap_n=0
tap_failed=0
T=
WEFTD_PID=

ok() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1"
}

not_ok() {
	tap_n=$((tap_n + 1))
	tap_failed=$((tap_failed + 1))
	echo "not ok $tap_n - $1"
}

# skip DESC REASON
skip() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n - $1 # SKIP $2"
}

# check DESC COMMAND...: passes if the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# expect_eq DESC EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "expected:" "$2" "got:" "$3" | sed 's/^/#   /'
	fi
}

# expect_match DESC PATTERN ACTUAL: a grep -E pattern matches some line.
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		ok "$1"
	else
		not_ok "$1"
		printf '%s\n' "pattern: $2" "got:" "$3" | sed 's/^/#   /'
	fi
}

# jget FILE-OR-STRING KEY...: a value from JSON, with python-free jq-less
# means: weft prints JSON with one key per line (--json is indented).
jget() {
	printf '%s\n' "$1" | sed -n "s/^ *\"$2\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" | head -n 1
}

mktemp_dir() {
	T=$(mktemp -d /tmp/weft-test.XXXXXX)
	mkdir -p "$T/jobs" "$T/plugins" "$T/state"
}

# write_config [EXTRA-YAML]: the daemon config for this test.
write_config() {
	cat > "$T/weftd.yaml" <<YAML
socket: $T/sock
plugin_dirs: [$PLUGINS, $T/plugins]
jobs_dir: $T/jobs
state_dir: $T/state
shutdown_grace: 1s
log_level: debug
${1:-}
YAML
}

# job NAME YAML: write a job file.
job() {
	printf '%s\n' "$2" > "$T/jobs/$1.yaml"
}

start_weftd() {
	[ -f "$T/weftd.yaml" ] || write_config
	"$WEFTD" -f -c "$T/weftd.yaml" >> "$T/weftd.log" 2>&1 &
	WEFTD_PID=$!
	i=0
	while [ ! -S "$T/sock" ] && [ $i -lt 100 ] &&
	    kill -0 "$WEFTD_PID" 2>/dev/null; do
		sleep 0.05
		i=$((i + 1))
	done
	if [ ! -S "$T/sock" ]; then
		echo "# weftd did not start; log:"
		sed 's/^/#   /' "$T/weftd.log"
		wait "$WEFTD_PID" 2>/dev/null
		WEFTD_PID=
		return 1
	fi
}

stop_weftd() {
	[ -n "$WEFTD_PID" ] || return 0
	kill -TERM "$WEFTD_PID" 2>/dev/null
	wait "$WEFTD_PID"
	rc=$?
	WEFTD_PID=
	return $rc
}

wctl() {
	"$WEFTCTL" -s "$T/sock" "$@"
}

# runner_of ID - the pid of run ID's runner while the run is on (weftctl
# runs --json), waiting up to 5 s for it; not weftd's warm runner, which
# is a child of weftd too.
runner_of() {
	c=
	i=0
	while [ -z "$c" ] && [ $i -lt 100 ]; do
		c=$(wctl --json runs 2>/dev/null |
		    jq -r ".[] | select(.id == $1) | .pid // empty")
		[ -n "$c" ] || sleep 0.05
		i=$((i + 1))
	done
	echo "$c"
}

# warm_pid [WORKLOAD] - weftd's warm runners (for that workload), a
# pid a line.
warm_pid() {
	wctl --json status | jq -r ".warm_runners[] |
	    select(\"${1:-}\" == \"\" or .workload == \"${1:-}\") | .pid"
}

# child_of PID [SECONDS] - the first child process of PID (waits up to
# SECONDS, 5 by default).
child_of() {
	c=
	i=0
	while [ -z "$c" ] && [ $i -lt $((${2:-5} * 20)) ]; do
		c=$(pgrep -P "$1" | head -n 1)
		[ -n "$c" ] || sleep 0.05
		i=$((i + 1))
	done
	echo "$c"
}

# wait_for DESC COMMAND...: poll (bounded, 10 s) until the command succeeds.
wait_for() {
	desc=$1
	shift
	i=0
	while ! "$@" && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	check "$desc" "$@"
}

finish() {
	stop_nginx
	stop_redis
	if [ -n "$WEFTD_PID" ]; then
		kill -KILL "$WEFTD_PID" 2>/dev/null
		wait "$WEFTD_PID" 2>/dev/null
	fi
	# Sanitizer builds: weftd, its runners and the plugins report there.
	if [ "${WEFT_SANITIZERS:-no}" != no ] && [ -f "$T/weftd.log" ]; then
		reports=$(grep -E 'ERROR: AddressSanitizer|WARNING: ThreadSanitizer|runtime error:' "$T/weftd.log" | head -n 5)
		expect_eq "no sanitizer reports in weftd's log" "" "$reports"
	fi
	echo "1..$tap_n"
	if [ "$tap_failed" -ne 0 ]; then
		echo "# $tap_failed failed; weftd's files are kept in $T"
		[ -f "$T/weftd.log" ] && sed 's/^/# log: /' "$T/weftd.log" | tail -n 40
		exit 1
	fi
	rm -rf "$T"
	exit 0
}

# free_port - a loopback TCP port nothing listens on now.
free_port() {
	# Below Linux's ephemeral range (32768-60999), so that no outgoing
	# connection of a test running beside this one can hold the port
	# between this check and the bind (seen: EADDRINUSE).
	while :; do
		p=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom) % 12000 ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo $p
			return
		fi
	done
}

# start_nginx - Debian's nginx with the echo module on a free loopback
# port (or $NGINX_FIXED_PORT), private config and prefix under $T/nginx.  Sets NGINX_PORT and
# NGINX (the base URL).  Serves:
#   /pages/N.bin       static files (see $T/nginx/www/pages)
#   /delay/MS/PATH     PATH after MS milliseconds (echo_sleep)
#   /ua                the request's User-Agent
#   /status/500        a 500;  /nope: a 404
#   /redirect          302 to /pages/1.bin;  /loop: redirects forever
#   /hang              never answers (an hour)
start_nginx() {
	d=$T/nginx
	mkdir -p "$d/www/pages" "$d/logs" "$d/tmp"
	chmod 755 "$T" "$d" "$d/www" "$d/www/pages"
	for i in 1 2 3 4 5; do
		head -c $((i * 7919)) /dev/urandom > "$d/www/pages/$i.bin"
	done
	head -c 20480 /dev/urandom > "$d/www/pages/20k.bin"
	chmod 644 "$d/www/pages/"*
	tries=0
	while [ $tries -lt 10 ]; do
		NGINX_PORT=${NGINX_FIXED_PORT:-$(free_port)}
		cat > "$d/nginx.conf" <<NGINX
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;
worker_processes 2;
worker_rlimit_nofile 65536;
error_log $d/logs/error.log;
pid $d/nginx.pid;
daemon off;
events { worker_connections 16384; }
http {
	access_log off;
	keepalive_requests 100000;
	client_body_temp_path $d/tmp;
	proxy_temp_path $d/tmp;
	fastcgi_temp_path $d/tmp;
	uwsgi_temp_path $d/tmp;
	scgi_temp_path $d/tmp;
	server {
		listen 127.0.0.1:$NGINX_PORT;
		root $d/www;
		location ~ ^/delay/(\d+)(\d\d\d)/(.*)\$ { echo_sleep \$1.\$2; echo_exec /\$3; }
		location ~ ^/delay/(\d\d\d)/(.*)\$ { echo_sleep 0.\$1; echo_exec /\$2; }
		location ~ ^/delay/(\d\d)/(.*)\$ { echo_sleep 0.0\$1; echo_exec /\$2; }
		location ~ ^/delay/(\d)/(.*)\$ { echo_sleep 0.00\$1; echo_exec /\$2; }
		location = /status/500 { return 500; }
		location = /redirect { return 302 /pages/1.bin; }
		location = /loop { return 302 /loop; }
		location = /hang { echo_sleep 3600; }
		location = /ua { echo "\$http_user_agent"; }
	}
}
NGINX
		nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log" \
		    > "$d/logs/stdout" 2>&1 &
		NGINX_PID=$!
		i=0
		while [ $i -lt 100 ]; do
			if (exec 3<>/dev/tcp/127.0.0.1/$NGINX_PORT) 2>/dev/null; then
				NGINX=http://127.0.0.1:$NGINX_PORT
				return 0
			fi
			kill -0 $NGINX_PID 2>/dev/null || break
			sleep 0.05
			i=$((i + 1))
		done
		kill $NGINX_PID 2>/dev/null
		wait $NGINX_PID 2>/dev/null
		tries=$((tries + 1))
	done
	echo "# nginx did not start:"
	sed 's/^/#   /' "$d/logs/error.log" "$d/logs/stdout"
	return 1
}

# stop_pid PID - SIGTERM a background server of ours and reap it.
stop_pid() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

stop_nginx() {
	stop_pid "${NGINX_PID:-}"
	NGINX_PID=
}

# start_redis [ARGS...] - Debian's redis-server on a free loopback port
# (or $REDIS_PORT) and a Unix socket, no persistence unless ARGS say so,
# data in $T/redis.  Sets REDIS_PORT and REDIS_SOCK; rcli runs redis-cli.
start_redis() {
	mkdir -p "$T/redis"
	chmod 755 "$T"
	REDIS_SOCK=$T/redis/redis.sock
	# A port we chose may be taken by the time redis binds: try again.
	# A port the caller set (a restart) is kept.
	fixed=${REDIS_PORT:+1}
	for try in 1 2 3 4 5; do
		[ -n "$fixed" ] || REDIS_PORT=$(free_port)
		redis-server --port "$REDIS_PORT" --bind 127.0.0.1 \
		    --unixsocket "$REDIS_SOCK" --unixsocketperm 700 \
		    --dir "$T/redis" --save '' --appendonly no --daemonize no \
		    --logfile "$T/redis/redis.log" "$@" &
		REDIS_PID=$!
		i=0
		while [ $i -lt 100 ] && kill -0 $REDIS_PID 2>/dev/null; do
			if redis-cli -s "$REDIS_SOCK" PING 2>&1 |
			    grep -Eq '^PONG$|NOAUTH'; then
				return 0
			fi
			sleep 0.05
			i=$((i + 1))
		done
		kill $REDIS_PID 2>/dev/null
		wait $REDIS_PID 2>/dev/null
		REDIS_PID=
		[ -z "$fixed" ] || break
	done
	echo "# redis-server did not start"
	sed 's/^/#   /' "$T/redis/redis.log"
	return 1
}

stop_redis() {
	stop_pid "${REDIS_PID:-}"
	REDIS_PID=
}

rcli() {
	redis-cli -s "$REDIS_SOCK" "$@"
}
