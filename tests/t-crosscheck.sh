#!/usr/bin/env bash
# s2_dirty against the upstream dirty_log_perf_test with the same
# parameters (1 vCPU, KVM_GET_DIRTY_LOG mode), in one target boot and on
# this host's /dev/kvm, two runs of each tool alternating:
# tests/crosscheck-report.py must find every median dirty-pass time within
# the stated factor of upstream's, in the same guest mode, with as many
# passes. The two guests differ in code and page order, not in what they
# make KVM do; on the default kernel they stay within 2x
# (measured 0.9-1.4). Here the factor is 3: the test suite's debug kernel
# under emulation swings up to 2x between runs of the same binary in one
# boot (measured ratios 0.9-2.5), and so does this nested x86_64 host
# (0.5-1.0; upstream's main thread also busy-waits for the vCPU, which on a
# 2-CPU host competes with it). The same busy-wait explains the target's
# s2_dirty/upstream ratio above 1: measured in one boot (fastpath, 1 x 16M),
# s2_dirty's pass took ~550 ms with the target's second CPU idle and ~370 ms
# with a spinning shell on it, upstream ~350 ms as it is (its main thread
# spins) and ~580 ms with the extra spinner: under qemu a vCPU thread runs
# slower while the other emulated CPU idles. What KVM did is the same, and
# that is held exactly: each tool runs once more under s2collect, and the
# faults by kind, write-protection faults, fast-path hits, TLBIs by kind,
# GET_DIRTY_LOG calls and userspace exits must agree (write-protection
# faults exactly, the rest within 1% or 2).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

if [ "$(uname -m)" = x86_64 ] && [ -c /dev/kvm ]; then
	mkdir -p "$OUT/host"
	(cd "$OUT/host" && "$ROOT/run.sh" host sh "$ROOT/tests/crosscheck.sh" 1 32M 4) \
		>"$OUT/host.log" 2>&1 || { tail "$OUT/host.log"; fail "crosscheck on the host failed"; }
	"$ROOT/tests/crosscheck-report.py" "$OUT/host" host --factor 3 | tee "$OUT/host.txt" ||
		fail "host: s2_dirty and dirty_log_perf_test disagree"
	pass "host: $(grep -o 'ratio of median pass times[^;]*' "$OUT/host.txt")"
	expect_grep "what KVM did: the same" "$OUT/host.txt" "host: the same GET_DIRTY_LOG calls and userspace exits under s2collect"
fi
expect_status 0 launch target -t 900 -I "$ROOT/tests/crosscheck.sh" -- \
	sh crosscheck.sh 1 16M 4 rwlock fastpath
"$ROOT/tests/crosscheck-report.py" "$OUT/target" target --factor 3 | tee "$OUT/target.txt" ||
	fail "target: s2_dirty and dirty_log_perf_test disagree"
n=$(grep -c 'within the stated factor' "$OUT/target.txt")
[ "$n" -eq 2 ] || fail "target: $n of 2 strategies compared"
pass "target: both strategies within the stated factor"
n=$(grep -c 'what KVM did: the same' "$OUT/target.txt")
[ "$n" -eq 2 ] || fail "target: the collector's counts agree for $n of 2 strategies"
pass "target: the same faults, TLBIs and dirty-log calls under both strategies"
