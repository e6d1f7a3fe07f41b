#!/bin/bash
# dropin.sh - plugins dropped into a watched directory become usable
# without a reload; removed ones disappear; jobs that need a missing
# plugin say so; plugins in unsafe places are refused with the reason;
# weftctl plugin verify says what weftd would.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
mkdir -p "$T/unsafe"
chmod 777 "$T/unsafe"
cp "$TEST_PLUGINS/workload-crash.so" "$T/unsafe/workload-crash.so"
write_config
sed -i "s|^plugin_dirs: .*|plugin_dirs: [$PLUGINS, $T/plugins, $T/unsafe]|" "$T/weftd.yaml"
job b 'workload: blocker
strategy: threads'
start_weftd

out=$(wctl jobs)
expect_match "a job whose plugin is missing says so" '^b +blocker +threads .* workload plugin "blocker" missing' "$out"
out=$(wctl run b --wait 2>&1)
expect_eq "and refuses to start" 'weftctl: job b: workload plugin "blocker" is not available (see weftctl plugins)' "$out"
out=$(wctl plugins)
expect_match "a plugin in a world-writable directory is refused" "workload-crash.so: rejected: unsafe: $T/unsafe is writable by everyone \\(mode 0777\\); plugins and the directories above them must not be group- or world-writable\$" "$out"

cp "$TEST_PLUGINS/workload-blocker.so" "$T/plugins/"
wait_for "a plugin copied in becomes usable without a reload" sh -c "\"$WEFTCTL\" -s \"$T/sock\" jobs | grep -Eq '^b .* ok'"
out=$(wctl run b --wait)
expect_match "the job runs with it" '^run [0-9]+: ok$' "$out"
cp "$TEST_PLUGINS/workload-blocker.so" "$T/plugins/.new.tmp"
mv "$T/plugins/.new.tmp" "$T/plugins/workload-blocker.so"
sleep 0.5
out=$(wctl run b --wait)
expect_match "a plugin renamed over the old one is used" '^run [0-9]+: ok$' "$out"
# Runs load a copy of what was probed (a sealed memfd), never the file,
# so that a file rewritten in place cannot change a run, and a file that
# breaks leaves the copy loaded before in use, as a broken job file does.
job nap 'workload: sleep
params: {tasks: 2, ms: 1500}
strategy: threads'
wctl reload > /dev/null
id=$(wctl run nap | sed -n 's/^run \([0-9]*\) started.*/\1/p')
runner=$(runner_of "$id")
sleep 0.3
maps=$(cat /proc/"${runner:-0}"/maps 2>/dev/null)
expect_match "the runner maps its plugins from weftd's copies" 'memfd:weft-plugin' "$maps"
check "not from the files" sh -c "! printf '%s' \"\$1\" | grep -q 'workload-sleep.so'" - "$maps"
head -c 4096 /dev/urandom > "$T/garbage.bin"
cp "$T/garbage.bin" "$T/plugins/workload-blocker.so"	# rewritten in place
wait_for "the run ends ok" sh -c "\"$WEFTCTL\" -s \"$T/sock\" run show $id | grep -q '^run $id: ok$'"
wait_for "the broken file is noticed" grep -q "workload-blocker.so: the file is rejected now" "$T/weftd.log"
out=$(wctl plugins)
expect_match "plugins shows the copy loaded before, and why the file is not" "workload-blocker.so: ok, the copy loaded before \\(the file is rejected now: cannot load: .*invalid ELF header \\(not a shared object\\)\\)\$" "$out"
out=$(wctl run b --wait)
expect_match "and the job still runs it" '^run [0-9]+: ok$' "$out"
rm "$T/plugins/workload-blocker.so"
wait_for "a removed plugin leaves the catalog" sh -c "! \"$WEFTCTL\" -s \"$T/sock\" plugins | grep -q 'workload-blocker.so'"
out=$(wctl jobs)
expect_match "and its job says so again" 'workload plugin "blocker" missing' "$out"
check "weftd is alive" kill -0 "$WEFTD_PID"
stop_weftd

out=$("$WEFTCTL" plugin verify "$PLUGINS/workload-fib.so")
expect_eq "verify: a good plugin" "$PLUGINS/workload-fib.so: ok: workload fib 1.0 (ABI 2.3, traits cpu-bound): naive recursive fib(n) with fib(1) = 0, fib(2) = 1 (CPU-bound)" "$out"
out=$("$WEFTCTL" plugin verify "$TEST_PLUGINS/bad-abi.so")
expect_eq "verify: exit 1 for a bad one" 1 $?
expect_match "verify: names both ABI versions" 'rejected: ABI major mismatch: plugin built for ABI 99.3, weftd provides ABI 2.3' "$out"
out=$("$WEFTCTL" plugin verify "$T/unsafe/workload-crash.so")
expect_match "verify: an unsafe place" "rejected: unsafe: $T/unsafe is writable by everyone" "$out"
out=$("$WEFTCTL" plugin verify "$TEST_PLUGINS/bad-ctor.so")
expect_match "verify: a crashing constructor, and weftctl survives" 'rejected: crashed while loading: SIGSEGV' "$out"
finish
