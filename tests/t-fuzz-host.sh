#!/usr/bin/env bash
# Fuzzed inputs, the part of t-fuzz.sh that needs the native builds of
# ./run.sh host (the KVM selftests of the kernel source tree, the
# collector's skeleton), on an x86_64 host:
#  - fuzz_s2wl (the workloads' common options), fuzz_s2collect (the
#    collector's) and fuzz_s2top, compiled in with ASan and UBSan, replay
#    their checked-in corpora and fuzz for S2FUZZ_SECS (default 10) seconds
#    each at nice 19;
#  - as root, the fuzz_argv_* drivers too, which run s2collect, s2top,
#    s2_security_test and the workloads as nobody with fuzzed arguments.
# Any crash, sanitizer report, leak, hang, or rejected input that is not
# exit status 2 with exactly one line on stderr fails the test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
SECS=${S2FUZZ_SECS:-10}
FUZZ=$ROOT/tests/fuzz

[ "$(uname -m)" = x86_64 ] || skip "the native builds are x86_64 (./run.sh host)"
command -v clang >/dev/null || skip "clang is not installed (target/deps.sh)"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
	skip "no libFuzzer runtime (libclang-rt-14-dev, target/deps.sh)"

"$FUZZ/run.sh" -N -b "$OUT/build" -r -o "$OUT/replay" | tee "$OUT/replay.txt" ||
	fail "a checked-in input fails again (above; logs in $OUT/replay)"
pass "every checked-in input of the native harnesses replays cleanly"
"$FUZZ/run.sh" -N -b "$OUT/build" -t "$SECS" -o "$OUT/run" 2>&1 | tee "$OUT/run.txt" ||
	fail "fuzzing found something (above; inputs in $OUT/run/HARNESS/findings)"
for h in fuzz_s2wl fuzz_s2collect fuzz_s2top; do
	grep -q "^$h " "$OUT/run.txt" || fail "$h did not run (the native build: $OUT/run/build.log)"
done
while read -r h execs _; do
	case $h in fuzz_*) [ "$execs" -gt 0 ] || fail "$h made no executions" ;; esac
done <"$OUT/run.txt"
pass "$(grep -c '^fuzz_' "$OUT/run.txt") native harnesses fuzzed ${SECS} s each: $(awk '/^fuzz_/ { n += $2 } END { print n }' "$OUT/run.txt") executions, nothing found"
