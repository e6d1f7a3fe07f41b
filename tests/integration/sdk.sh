#!/bin/bash
# sdk.sh - the installed SDK is enough to build a plugin out of tree:
# make install into a DESTDIR, build examples/plugin-hello with only
# pkg-config --cflags weft-plugin, drop it into a running weftd's plugin
# directory and run a job with it.  Also: the man pages render cleanly.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
stage=$T/stage
# A clean make: not the jobserver of the make check that runs us.
out=$(env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$top_builddir" install DESTDIR="$stage" 2>&1)
rc=$?
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -n 15 | sed 's/^/#   /'
check "make install DESTDIR= succeeds" test $rc -eq 0
pc=$(find "$stage" -name weft-plugin.pc | head -n 1)
check "weft-plugin.pc is installed" test -n "$pc"
check "weft-plugin.h is installed" test -n "$(find "$stage" -path '*include/weft/weft-plugin.h')"
check "weftd and weftctl are installed" test -n "$(find "$stage" -name weftd -path '*sbin*')" -a -n "$(find "$stage" -name weftctl -path '*bin*')"
check "plugins are installed, without .la files" test -n "$(find "$stage" -path '*/weft/plugins/workload-fib.so')" -a -z "$(find "$stage" -path '*/weft/plugins/*.la')"
check "man pages are installed" test -n "$(find "$stage" -name weftd.8)"
cp -r "$top_srcdir/examples/plugin-hello" "$T/hello"
out=$(cd "$T/hello" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL PKG_CONFIG_PATH=$(dirname "$pc") \
    PKG_CONFIG_SYSROOT_DIR=$stage make 2>&1)
check "the example builds against the installed SDK ($out)" test -f "$T/hello/workload-hello.so"

job hello 'workload: hello
params: {tasks: 4}'
start_weftd
cp "$T/hello/workload-hello.so" "$T/plugins/"
wctl reload > /dev/null
out=$(wctl run hello --wait)
expect_match "a job runs the dropped-in plugin" '^  task 3: square=9$' "$out"
expect_match "weftctl plugins NAME shows its params, from the installed header's descriptor" '^  tasks              integer 0 to 1000000, default 3$' "$(wctl plugins hello)"

# Bash completion offers commands, job names and run ids.
if [ -f /usr/share/bash-completion/bash_completion ]; then
	comp() {
		(
			PATH=$(dirname "$WEFTCTL"):$PATH
			. /usr/share/bash-completion/bash_completion
			. "$top_srcdir/completions/weftctl"
			COMP_WORDS=("$@")
			COMP_CWORD=$(($# - 1))
			COMP_LINE="$*"
			COMP_POINT=${#COMP_LINE}
			_weftctl
			echo "${COMPREPLY[*]}"
		)
	}
	expect_eq "completion: commands" "runs run resume reload" "$(comp weftctl r | tr ' ' '\n' | sort -r | tr '\n' ' ' | sed 's/ $//')"
	expect_eq "completion: job names after run" "hello" "$(comp weftctl -s "$T/sock" run h)"
	expect_eq "completion: run ids after run show" "1" "$(comp weftctl -s "$T/sock" run show '')"
	expect_eq "completion: plugin names after plugins" "hello" "$(comp weftctl -s "$T/sock" plugins he)"
else
	skip "completion" "bash-completion is not installed"
fi
expect_match "its log lines carry its name" 'workload hello: 4 tasks' "$(cat "$T/weftd.log")"
stop_weftd

for m in weftd.8 weftctl.1 weft-jobs.5 weft-plugin.3; do
	warn=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l \
	    "$top_srcdir/man/$m" 2>&1 > "$T/man.txt")
	expect_eq "man -l $m renders without warnings" "" "$warn"
	check "$m has a NAME section" grep -q '^NAME' "$T/man.txt"
done
finish
