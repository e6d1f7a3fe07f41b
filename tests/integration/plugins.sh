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
cp "$TEST_PLUGINS/bad-params.so" "$T/plugins/workload-badparams.so"
job fib 'workload: fib
params: {n: 10}'
start_weftd

out=$(wctl plugins)
expect_match "not ELF" "^- .*$T/plugins/workload-text.so: rejected: cannot load: .*invalid ELF header \\(not a shared object\\)\$" "$out"
expect_match "wrong ABI major names both versions" "workload-future.so: rejected: ABI major mismatch: plugin built for ABI 99.3, weftd provides ABI 2.3; rebuild the plugin against this weft's weft-plugin.h\$" "$out"
expect_match "constructor crash" "workload-boom.so: rejected: crashed while loading: SIGSEGV \\(in the plugin's constructor\\)\$" "$out"
expect_match "missing descriptor" 'workload-nodesc.so: rejected: missing descriptor: the file does not export the symbol "weft_plugin"$' "$out"
expect_match "duplicate name" "^fib .*$T/plugins/workload-fib.so: rejected: duplicate name: workload \"fib\" is already provided by $PLUGINS/workload-fib.so\$" "$out"
expect_match "wrong kind" "strategy-sumsq.so: rejected: wrong kind: the file is named as a strategy plugin but its descriptor says workload\$" "$out"
expect_match "a params table weft cannot show" "workload-badparams.so: rejected: params table: entry 1: the key must be 1 to 64 of a-z, 0-9 and _\$" "$out"
expect_match "good plugins are listed ok" "^fib +workload +1.0 +2.3 +cpu-bound +$PLUGINS/workload-fib.so: ok\$" "$out"
out=$(wctl status)
expect_match "status counts rejected plugins" "^plugins   $NPLUGINS ok, 7 rejected\$" "$out"

# plugins NAME: one plugin, with the params it reads.
out=$(wctl plugins download)
expect_match "plugins NAME: what it is" "^download: workload 1.0 \\(ABI 2.3, traits io-bound\\): download URLs with libcurl \\(one task per URL\\)\$" "$out"
expect_match "its file" "^  file  $PLUGINS/workload-download.so\$" "$out"
expect_match "an integer param: range and default" "^  buffer_size_kb     integer 1 to 512, default 64\$" "$out"
expect_match "a duration" "^  timeout            duration, default 30s\$" "$out"
expect_match "a choice" "^  method             choice of GET or HEAD, default GET\$" "$out"
expect_match "a list" "^  urls               strings\$" "$out"
expect_eq "every param of its table" 13 "$(printf '%s\n' "$out" | sed -n '/^params:$/,$p' | grep -c '^  ')"
out=$(wctl plugins fib)
expect_match "a required param" "^  n                  integers 1 to 92, required\$" "$out"
out=$(wctl plugins coro)
expect_match "a strategy's are strategy_params" "^strategy_params:\$" "$out"
expect_match "with its choices" "^  stack_guard        choice of page, canary or auto, default auto\$" "$out"
out=$(wctl plugins inline)
expect_match "a strategy that reads none says so" "^strategy_params:
  none\$" "$out"
out=$(wctl plugins nope 2>&1)
expect_eq "an unknown name: exit 1" 1 $?
expect_eq "and says so" 'weftctl: no plugin named "nope" (see weftctl plugins)' "$out"
out=$(wctl --json plugins fib)
expect_eq "--json plugins NAME: the params as data" '[{"max":92,"min":1,"name":"n","required":true,"type":"integers"}]' "$(printf '%s' "$out" | jq -c '.[0].params')"
out=$(wctl plugins sumsq)
expect_match "two files of one name: each is shown, the rejected one why" "^sumsq: - 1.0 \\(ABI 2.3, traits cpu-bound\\): rejected: wrong kind: the file is named as a strategy plugin but its descriptor says workload
  file  $T/plugins/strategy-sumsq.so\$" "$out"
out=$(wctl run fib --wait)
expect_match "weftd still runs jobs" '^run 1: ok$' "$out"
out=$(wctl --json plugins)
expect_match "--json plugins has the state" '"state": "rejected"' "$out"
check "weftd is still alive" kill -0 "$WEFTD_PID"
stop_weftd
expect_eq "weftd exits 0" 0 $?
finish
