#!/bin/bash
# plugins.sh - bad plugin files are rejected with the reason, and weftd
# survives each: not ELF, missing descriptor, wrong ABI major, a
# constructor that segfaults, a duplicate name, a file named for the
# wrong kind.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
printf '%s\n' 'This is a text file that someone named like a plugin.' \
    'It is long enough to be read as an ELF header, and is not one.' > "$T/plugins/workload-text.so"
cp "$TEST_PLUGINS/bad-abi.so" "$T/plugins/workload-future.so"
cp "$TEST_PLUGINS/bad-ctor.so" "$T/plugins/workload-boom.so"
cp "$TEST_PLUGINS/bad-nodesc.so" "$T/plugins/workload-nodesc.so"
cp "$PLUGINS/workload-fib.so" "$T/plugins/workload-fib.so"
cp "$PLUGINS/workload-sumsq.so" "$T/plugins/strategy-sumsq.so"
job fib 'workload: fib
params: {n: 10}'
start_weftd

out=$(wctl plugins)
expect_match "not ELF" "^- .*$T/plugins/workload-text.so: rejected: cannot load: .*invalid ELF header \\(not a shared object\\)\$" "$out"
expect_match "wrong ABI major names both versions" "workload-future.so: rejected: ABI major mismatch: plugin built for ABI 99.3, weftd provides ABI 2.2; rebuild the plugin against this weft's weft-plugin.h\$" "$out"
expect_match "constructor crash" "workload-boom.so: rejected: crashed while loading: SIGSEGV \\(in the plugin's constructor\\)\$" "$out"
expect_match "missing descriptor" 'workload-nodesc.so: rejected: missing descriptor: the file does not export the symbol "weft_plugin"$' "$out"
expect_match "duplicate name" "^fib .*$T/plugins/workload-fib.so: rejected: duplicate name: workload \"fib\" is already provided by $PLUGINS/workload-fib.so\$" "$out"
expect_match "wrong kind" "strategy-sumsq.so: rejected: wrong kind: the file is named as a strategy plugin but its descriptor says workload\$" "$out"
expect_match "good plugins are listed ok" "^fib +workload +1.0 +2.2 +cpu-bound +$PLUGINS/workload-fib.so: ok\$" "$out"
out=$(wctl status)
expect_match "status counts rejected plugins" "^plugins   $NPLUGINS ok, 6 rejected\$" "$out"
out=$(wctl run fib --wait)
expect_match "weftd still runs jobs" '^run 1: ok$' "$out"
out=$(wctl --json plugins)
expect_match "--json plugins has the state" '"state": "rejected"' "$out"
check "weftd is still alive" kill -0 "$WEFTD_PID"
stop_weftd
expect_eq "weftd exits 0" 0 $?
finish
