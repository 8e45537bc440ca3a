#!/usr/bin/env bash
# The launcher turns every way a run can go wrong into a clear message and
# a non-zero status, never a hang or a silent success.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# The command's own status comes back, whatever it is.
expect_status 3 launch exit3 -- sh -c 'echo partial >partial.txt; exit 3'
expect_grep '^partial$' "$OUT/exit3/partial.txt" "output file of a failing command"

# A command that does not exist: the shell's 127, and its message kept.
expect_status 127 launch nocmd -- /no/such/command
expect_grep 'not found' "$OUT/nocmd/.s2perf/output.log" "output of a missing command"

# A kernel command line that leaves the kernel without an init: it panics,
# and the launcher says so (125) quickly instead of waiting for the timeout.
start=$(date +%s)
rc=0
launch badcmdline -t 300 -a "rdinit=/no-such-init" -- true 2>"$OUT/badcmdline.err" || rc=$?
cat "$OUT/badcmdline.err"
[ $rc -eq 125 ] || fail "bad kernel command line: status $rc, expected 125"
[ $(($(date +%s) - start)) -lt 200 ] || fail "bad kernel command line: ran into the timeout"
expect_grep 'without recording a status: .*(Kernel panic|no boot)' "$OUT/badcmdline.err" "error for a bad command line"

# A command that never ends is killed at the timeout, with the console kept.
rc=0
launch hang -t 40 -- sleep 100000 2>"$OUT/hang.err" || rc=$?
cat "$OUT/hang.err"
[ $rc -eq 124 ] || fail "hung target: status $rc, expected 124"
expect_grep 'did not finish within 40 s' "$OUT/hang.err" "error for a hung target"
expect_grep 'S2PERF-READY' "$OUT/hang/console.log" "console log of the hung target"

# A kernel report in the log fails the run even if the command succeeded.
# The report is written through /dev/kmsg, so it reaches the kernel log and
# the console exactly as a real one would; -w lets it pass.
warn='echo "WARNING: CPU: 0 PID: 1 at s2perf-test" >/dev/kmsg; sleep 1'
rc=0
launch splat -- sh -c "$warn" 2>"$OUT/splat.err" || rc=$?
cat "$OUT/splat.err"
[ $rc -eq 125 ] || fail "kernel warning: status $rc, expected 125"
expect_grep 'kernel report in the console log' "$OUT/splat.err" "error for a kernel warning"
expect_status 0 launch splat-allowed -w -- sh -c "$warn"

# Bad launcher arguments are refused with status 2 before anything boots.
expect_status 2 "$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -p cortex-a0 -- true
expect_status 2 "$ROOT/target/launch" -k /nonexistent -i "$INITRD" -- true
expect_status 2 "$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -t soon -- true
expect_status 2 "$ROOT/target/launch" -k "$KDIR" -i "$INITRD"
