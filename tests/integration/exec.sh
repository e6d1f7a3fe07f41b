#!/bin/bash
# exec.sh - the exec workload: argv after substitution, shell quoting,
# exit codes and signals, output tails and files, timeouts and cancel
# killing whole process trees, a clean environment and fds, and the same
# results under every strategy.
. "${top_srcdir:-$(dirname "$0")/../..}/tests/lib.sh"

mktemp_dir
mkdir -p "$T/work" "$T/out" "$T/pids"
printf 'one' > "$T/work/a.txt"
printf 'two' > "$T/work/b.txt"

job subst 'workload: exec
strategy: inline
params:
  command: [printf, "<%s>", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}"]
  args: ["dir.x/sub/file.tar.gz", "plain", "/abs/a.b", ".bashrc", "a/b/", ""]'
job append 'workload: exec
strategy: inline
params:
  command: [printf, "<%s>", "{#}"]
  range: {from: 8, to: 10}'
job quoted "workload: exec
strategy: inline
params:
  command: \"printf '<%s>' {} {/}; printf '[%s]' {#}\"
  shell: true
  args: [\"x; touch $T/pwned\", \"it's\", '\$(touch $T/pwned2)', 'a b/\`c\`']"
job quoted-append "workload: exec
strategy: inline
params:
  command: \"printf '<%s>'\"
  shell: true
  args: ['x; touch $T/pwned3']"
job exits 'workload: exec
strategy: threads
concurrency: 4
params:
  command: [sh, -c, "exit $0"]
  args: ["0", "3", "0", "7"]'
job exits-ok 'workload: exec
strategy: threads
params:
  command: [sh, -c, "exit $0"]
  args: ["0", "3"]
  success_exit: [0, 3]'
job signal 'workload: exec
strategy: inline
params:
  command: [sh, -c, "kill -SEGV $$"]'
job tails 'workload: exec
strategy: inline
params:
  command: [sh, -c, "printf 0123456789abcdef; printf ERR-0123456789 >&2"]
  keep: 10'
job utf8 "workload: exec
strategy: inline
params:
  command: [printf, 'h\\303\\251llo \\377 \\342\\202 \\000!']"
job outdir "workload: exec
strategy: threads
params:
  command: [sh, -c, 'printf \"out %s\" \"\$0\"; printf \"err %s\" \"\$0\" >&2; [ \"\$0\" != b ]']
  args: [a, b]
  output_dir: $T/out"
job tree "workload: exec
strategy: threads
concurrency: 2
params:
  command: [sh, -c, 'sleep 300 & echo \$! > $T/pids/tree.\$WEFT_SEQ; wait']
  tasks: 2
  timeout: 1s
  kill_after: 1s"
job stubborn "workload: exec
strategy: coro
params:
  command: [sh, -c, 'trap \"\" TERM; sleep 300 & echo \$! > $T/pids/stubborn; while :; do sleep 0.1; done']
  timeout: 500ms
  kill_after: 1s"
job leftover "workload: exec
strategy: inline
params:
  command: [sh, -c, 'sleep 300 & echo \$! > $T/pids/leftover; exit 0']"
job missing 'workload: exec
strategy: inline
params:
  command: [no-such-program-weft, x]'
printf 'echo hi\n' > "$T/noexec"
chmod 644 "$T/noexec"
job noexec "workload: exec
strategy: inline
params:
  command: [$T/noexec]"
job env "workload: exec
strategy: inline
params:
  command: [env]
  env: {FOO: 'bar baz', LANG: C}"
job fds 'workload: exec
strategy: coro
concurrency: 3
params:
  command: [ls, /proc/self/fd]
  tasks: 3'
job cwd "workload: exec
strategy: inline
params:
  command: [sh, -c, 'printf \"%s:\" \"\$(pwd)\"; cat']
  cwd: $T/work
  stdin: '{}'
  args: [a.txt, b.txt]"
printf 'l1\nl 2\n\nl4' > "$T/lines"
printf 'n1\0n 2\nx\0' > "$T/nuls"
job argsfile "workload: exec
strategy: inline
params:
  command: [printf, '<%s>']
  args_file: $T/lines"
job nulfile "workload: exec
strategy: inline
params:
  command: [printf, '<%s>']
  args_file: $T/nuls
  null_separated: true"
job times 'workload: exec
strategy: inline
params:
  command: [printf, "run {#}"]
  tasks: 3'
start_weftd

# results - the "task N: ..." lines without the measured fields.
results() {
	printf '%s\n' "$1" | sed -n 's/^  task \([0-9]*\): /\1: /p' |
	    sed -e 's/ wall_s=[^ ]*//' -e 's/ cpu_s=[^ ]*//' \
	    -e 's/ max_rss_kb=[^ ]*//'
}

# --- replacement strings: the exact argv ---
out=$(wctl run subst --wait)
expect_eq "every replacement string, as GNU parallel means it" \
"0: input=dir.x/sub/file.tar.gz stdout=<dir.x/sub/file.tar.gz><dir.x/sub/file.tar><file.tar.gz><dir.x/sub><file.tar><1><1> stdout_bytes=83 stderr= stderr_bytes=0 exit=0
1: input=plain stdout=<plain><plain><plain><.><plain><2><1> stdout_bytes=37 stderr= stderr_bytes=0 exit=0
2: input=/abs/a.b stdout=</abs/a.b></abs/a><a.b></abs><a><3><1> stdout_bytes=38 stderr= stderr_bytes=0 exit=0
3: input=.bashrc stdout=<.bashrc><><.bashrc><.><><4><1> stdout_bytes=31 stderr= stderr_bytes=0 exit=0
4: input=a/b/ stdout=<a/b/><a/b/><><a><><5><1> stdout_bytes=25 stderr= stderr_bytes=0 exit=0
5: input= stdout=<><><><.><><6><1> stdout_bytes=17 stderr= stderr_bytes=0 exit=0" \
    "$(results "$out")"

out=$(wctl run append --wait)
expect_eq "no input replacement string: the input is appended ({#} is not one)" \
"0: input=8 stdout=<1><8> stdout_bytes=6 stderr= stderr_bytes=0 exit=0
1: input=9 stdout=<2><9> stdout_bytes=6 stderr= stderr_bytes=0 exit=0
2: input=10 stdout=<3><10> stdout_bytes=7 stderr= stderr_bytes=0 exit=0" \
    "$(results "$out")"

# --- shell: true quotes every input ---
out=$(wctl run quoted --wait)
expect_match "shell: an input with ; stays one word" \
    "^  task 0: input=x; touch $T/pwned .*stdout=<x; touch $T/pwned><pwned>\\[1\\] " "$out"
expect_match "shell: a quote in an input" "^  task 1: .*stdout=<it's><it's>\\[2\\] " "$out"
expect_match "shell: \$(...) is not run" \
    "^  task 2: .*stdout=<\\\$\\(touch $T/pwned2\\)><pwned2\\)>\\[3\\] " "$out"
expect_match "shell: a space and backquotes" '^  task 3: .*stdout=<a b/`c`><`c`>\[4\] ' "$out"
check "shell: no input ran as a command" test ! -e "$T/pwned" -a ! -e "$T/pwned2"
out=$(wctl run quoted-append --wait)
expect_match "shell: an appended input is quoted too" "stdout=<x; touch $T/pwned3> " "$out"
check "shell: the appended input did not run" test ! -e "$T/pwned3"

# --- exit codes, signals ---
out=$(wctl run exits --wait)
expect_eq "a failing exit fails the run (exit 1)" 1 $?
expect_match "exits: 2 ok, 2 failed" '^  tasks     4 total, 2 ok, 2 failed, 0 cancelled' "$out"
expect_match "exit 3 fails its task with the status" '^  task 1 failed after 1 attempt: exit status 3$' "$out"
expect_match "exit 7 too" '^  task 3 failed after 1 attempt: exit status 7$' "$out"
expect_match "the result has exit and reason" '^  task 1: .* exit=3 reason=exit$' "$out"
expect_match "the summary counts exits" '^  exit +0 x2 3 x1 7 x1$' "$out"
out=$(wctl run exits-ok --wait)
expect_eq "success_exit: [0, 3] makes exit 3 a success" 0 $?
out=$(wctl run signal --wait)
expect_match "a signal fails the task, named" '^  task 0 failed after 1 attempt: killed by SIGSEGV( \(core dumped\))?$' "$out"
expect_match "the result has signal, no exit" '^  task 0: .*stderr_bytes=0 signal=SIGSEGV reason=signal$' "$out"

# --- output: tails, sizes, UTF-8, files ---
out=$(wctl run tails --wait)
expect_match "stdout: its last keep bytes, and its size" ' stdout=6789abcdef stdout_bytes=16 ' "$out"
expect_match "stderr: the same" ' stderr=0123456789 stderr_bytes=14 ' "$out"
out=$(wctl --json run utf8 --wait)
expect_match "invalid UTF-8 and NUL are replaced, valid kept" '"stdout": "héllo � �� �!"' "$out"
out=$(wctl run outdir --wait)
expect_match "output_dir: the run's failed task is b" '^  task 1 failed after 1 attempt: exit status 1$' "$out"
expect_eq "output_dir: 1.out holds stdout whole" "out a" "$(cat "$T/out/1.out")"
expect_eq "output_dir: 2.err holds stderr whole" "err b" "$(cat "$T/out/2.err")"
expect_eq "output_dir: no temporary files left" "1.err 1.out 2.err 2.out" "$(cd "$T/out" && ls -A | tr '\n' ' ' | sed 's/ $//')"
expect_match "output_dir: the tail is in the results too" '^  task 0: .* stdout=out a stdout_bytes=5 ' "$out"

# --- nothing of a task outlives it ---
gone() {
	! kill -0 "$1" 2>/dev/null
}
# ended ID STATUS: run ID has ended with STATUS.
ended() {
	wctl run show "$1" 2>/dev/null | grep -q "^run $1: $2"
}
start=$(date +%s.%N)
out=$(wctl run tree --wait)
secs=$(echo "$(date +%s.%N) - $start" | bc)
expect_match "timeout fails the task" '^  task 0 failed after 1 attempt: timed out after 1s: SIGTERM to its process group$' "$out"
expect_match "timeout: reason and signal" '^  task 1: .* signal=SIGTERM reason=timeout$' "$out"
check "timeout: the run took about the timeout ($secs s)" [ "$(echo "$secs < 5" | bc)" = 1 ]
check "timeout: the grandchild sleep of task 1 is gone" gone "$(cat "$T/pids/tree.1")"
check "timeout: the grandchild sleep of task 2 is gone" gone "$(cat "$T/pids/tree.2")"

out=$(wctl run stubborn --wait)
expect_match "SIGTERM ignored: SIGKILL after kill_after" '^  task 0 failed after 1 attempt: timed out after 0.5s: SIGTERM to its process group, then SIGKILL$' "$out"
expect_match "SIGTERM ignored: it died of SIGKILL" ' signal=SIGKILL reason=timeout$' "$out"
check "SIGTERM ignored: its grandchild is gone too" gone "$(cat "$T/pids/stubborn")"

out=$(wctl run leftover --wait)
expect_match "a program that exits 0 succeeds" '^run [0-9]+: ok$' "$out"
check "what it left running in the background is gone" gone "$(cat "$T/pids/leftover")"

# Cancel, under each strategy: the program's whole tree goes.
for s in inline threads coro fork; do
	job "cancel-$s" "workload: exec
strategy: $s
concurrency: 2
params:
  command: [sh, -c, 'sleep 300 & echo \$! > $T/pids/cancel-$s.\$WEFT_SEQ; wait']
  tasks: 2
  kill_after: 2s"
done
wctl reload > /dev/null
for s in inline threads coro fork; do
	id=$(wctl run "cancel-$s" | sed -n 's/^run \([0-9]*\) started.*/\1/p')
	wait_for "cancel ($s): the task's program started" test -s "$T/pids/cancel-$s.1"
	wctl cancel "$id" > /dev/null
	wait_for "cancel ($s): the run is cancelled" ended "$id" cancelled
	check "cancel ($s): the grandchild sleep is gone" gone "$(cat "$T/pids/cancel-$s.1")"
done

# SIGKILL of the runner: weftd kills what the run's programs left.
job orphan "workload: exec
strategy: threads
params:
  command: [sh, -c, 'echo \$\$ > $T/pids/orphan; sleep 300; true']"
wctl reload > /dev/null
id=$(wctl run orphan | sed -n 's/^run \([0-9]*\) started.*/\1/p')
wait_for "runner killed: the program started" test -s "$T/pids/orphan"
runner=$(runner_of "$id")
kill -KILL "$runner"
wait_for "runner killed: the run is crashed" ended "$id" crashed
wait_for "runner killed: its program is killed by weftd" gone "$(cat "$T/pids/orphan")"
expect_match "runner killed: weftd says so" "run $id \\(orphan\\): killed 2 processes its workload left running after its runner ended" "$(cat "$T/weftd.log")"

# --- starting programs ---
out=$(wctl run missing --wait)
expect_match "a missing program fails its task with the reason" \
    '^  task 0 failed after 1 attempt: cannot run no-such-program-weft: not found in PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' "$out"
expect_match "a missing program: reason spawn" '^  task 0: input=.*reason=spawn$|^  task 0: reason=spawn$' "$out"
out=$(wctl run noexec --wait)
expect_match "a file without x permission: Permission denied" \
    "^  task 0 failed after 1 attempt: cannot run $T/noexec: Permission denied\$" "$out"

# --- environment, fds, cwd, stdin ---
out=$(wctl --json run env --wait)
envs=$(printf '%s\n' "$out" | sed -n 's/^ *"stdout": "\(.*\)\\n",\{0,1\}$/\1/p' | sed 's/\\n/\n/g' | sort | tr '\n' ' ')
expect_eq "a clean environment: the base, env's, WEFT_SEQ and WEFT_SLOT" \
    "FOO=bar baz HOME=$(getent passwd "$(id -u)" | cut -d: -f6) LANG=C LOGNAME=$(id -un) PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin SHELL=/bin/sh USER=$(id -un) WEFT_SEQ=1 WEFT_SLOT=1 " \
    "$envs"
out=$(wctl --json run fds --wait)
expect_eq "a task's program has fds 0-2 only, and ls its directory's 3 (coro x3)" "3" \
    "$(printf '%s\n' "$out" | grep -c '"stdout": "0\\n1\\n2\\n3\\n"')"
out=$(wctl run cwd --wait)
expect_match "cwd, and stdin relative to it" "^  task 0: input=a.txt .* stdout=$T/work:one stdout_bytes=$((${#T} + 9)) " "$out"
expect_match "stdin with {}" "^  task 1: input=b.txt .* stdout=$T/work:two " "$out"

# --- inputs ---
out=$(wctl run argsfile --wait)
expect_eq "args_file: one input per line, empty lines too" \
"0: input=l1 stdout=<l1> stdout_bytes=4 stderr= stderr_bytes=0 exit=0
1: input=l 2 stdout=<l 2> stdout_bytes=5 stderr= stderr_bytes=0 exit=0
2: input= stdout=<> stdout_bytes=2 stderr= stderr_bytes=0 exit=0
3: input=l4 stdout=<l4> stdout_bytes=4 stderr= stderr_bytes=0 exit=0" "$(results "$out")"
out=$(wctl --json run nulfile --wait)
expect_match "null_separated: a newline inside an input" '"stdout": "<n 2\\nx>"' "$out"
expect_match "null_separated: two tasks" '"total": 2' "$out"
out=$(wctl run times --wait)
expect_eq "tasks: N runs the command N times" \
"0: stdout=run 1 stdout_bytes=5 stderr= stderr_bytes=0 exit=0
1: stdout=run 2 stdout_bytes=5 stderr= stderr_bytes=0 exit=0
2: stdout=run 3 stdout_bytes=5 stderr= stderr_bytes=0 exit=0" "$(results "$out")"

# --- the same results under every strategy ---
ref=
for s in inline threads coro fork; do
	out=$(wctl run subst --strategy "$s" --concurrency 1 --wait 2>&1)
	got=$(results "$out")
	[ -n "$ref" ] || ref=$got
	expect_eq "identical results under $s" "$ref" "$got"
done
job lanes 'workload: exec
params:
  command: [sh, -c, "sleep 0.2; printf {%}"]
  tasks: 6'
wctl reload > /dev/null
for s in threads coro fork; do
	out=$(wctl run lanes --strategy "$s" --concurrency 3 --wait 2>&1)
	expect_eq "{%} under $s x3: lanes 1-3, each used twice" "1 2 3 " \
	    "$(printf '%s\n' "$out" | sed -n 's/.* stdout=\([0-9]\) .*/\1/p' | sort | uniq -c | awk '$1 == 2 { printf "%s ", $2 }')"
done

# --- a noisy program does not grow weft ---
job noisy 'workload: exec
strategy: coro
params:
  command: [sh, -c, "yes 0123456789012345678901234567890123456789 | head -c 100000000"]'
wctl reload > /dev/null
out=$(wctl --json run noisy --wait)
expect_match "100 MB of output: every byte counted" '"stdout_bytes": 100000000' "$out"
rss=$(printf '%s\n' "$out" | sed -n 's/^ *"max_rss_kb": \([0-9]*\).*/\1/p' | head -n 1)
peak=$(printf '%s\n' "$out" | sed -n 's/^  "max_rss_kb": \([0-9]*\).*/\1/p')
check "100 MB of output: the runner's peak RSS stays under 40 MiB (${peak:-?} KiB)" [ -n "$peak" ] && [ "$peak" -lt 40960 ]

# --- the bundled example, as scripts/quickstart sets it up ---
mkdir -p "$T/sums"
printf '%s\n' "$T/work/a.txt" "$T/work/b.txt" > "$T/files.txt"
sed -e "s|/tmp/weft-quickstart/files.txt|$T/files.txt|" \
    -e "s|/tmp/weft-quickstart/sums|$T/sums|" \
    "$top_srcdir/etc/jobs.d/checksum.yaml" > "$T/jobs/checksum.yaml"
wctl reload > /dev/null
out=$(wctl run checksum --wait)
expect_match "example checksum job: ok" '^run [0-9]+: ok$' "$out"
expect_eq "example checksum job: sha256sum's output, saved whole" \
    "$(sha256sum "$T/work/a.txt")" "$(cat "$T/sums/1.out")"

# --- params errors ---
job bad1 'workload: exec
params:
  command: "echo {}"'
job bad2 'workload: exec
params:
  command: [echo]
  args: [a]
  range: {from: 1, to: 2}'
job bad3 'workload: exec
params:
  command: [echo]
  env: {"1X": y}'
out=$(wctl check "$T/jobs/bad1.yaml" 2>&1)
expect_match "a string command without shell: says what to do" \
    'bad1.yaml:3:12: params.command: a string is a shell command: add shell: true to run it with /bin/sh -c, or write the argv as a list' "$out"
out=$(wctl check "$T/jobs/bad2.yaml" 2>&1)
expect_match "two input sources: refused" 'give one of args, args_file and range, not several' "$out"
out=$(wctl check "$T/jobs/bad3.yaml" 2>&1)
expect_match "a bad env name: refused" 'env: "1X" is not a variable name' "$out"
rm -f "$T"/jobs/bad?.yaml

finish
