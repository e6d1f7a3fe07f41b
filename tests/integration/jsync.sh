#!/bin/bash
# jsync.sh - journal_sync: a runner writes its journal every 100 ms but
# syncs it every journal_sync (1 s by default); 0s syncs every write.
# Counted with strace (fdatasync of the runner, which weftd spawns).
# Exercises: runner/journal.c, lib/config.c.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

if ! command -v strace > /dev/null; then
	skip "journal syncs are counted" "no strace"
	finish
fi
mktemp_dir
cp "$TEST_PLUGINS/workload-mark.so" "$T/plugins/"
job nap "workload: mark
params: {file: $T/nap.txt, tasks: 16, ms: 100}
strategy: threads
concurrency: 1"

# syncs CONFIG NAME - count in $n the journal's fdatasync calls in one
# 1.6 s run under CONFIG.
syncs() {
	write_config "$1"
	start_weftd || return 1
	strace -f -qq -e trace=fdatasync -o "$T/strace.out" -p "$WEFTD_PID" &
	st=$!
	sleep 0.5	# attached
	out=$(wctl run nap --wait)
	kill "$st"
	wait "$st" 2>/dev/null
	stop_weftd
	rm -f "$T/weftd.yaml"
	expect_match "$2: the run is ok" '^run [0-9]+: ok$' "$out"
	n=$(grep -c 'fdatasync(7)' "$T/strace.out")
}

syncs "" "default"
every=$n
echo "# journal_sync 1s: $every syncs of the journal"
check "journal_sync 1s (the default): at most 4 syncs in 1.6 s" [ "$every" -le 4 ]
syncs "journal_sync: 0s" "0s"
echo "# journal_sync 0s: $n syncs of the journal"
check "journal_sync 0s: a sync for each write, 8 or more in 1.6 s" [ "$n" -ge 8 ]
check "journal_sync 0s syncs three times as often or more" [ "$n" -ge $((3 * every)) ]
n=$(grep -c '' "$T/nap.txt")
expect_eq "both runs ran every task" 32 "$n"
finish
