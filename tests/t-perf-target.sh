#!/usr/bin/env bash
# perf beside the collector in the target (Debian rootfs: launch -r,
# s2chroot): on the same s2_dirty runs, perf stat's counts of the kvm_s2
# fault, TLBI and CMO events equal s2collect's within 1% (under exclusive,
# rwlock and fastpath), and perf lock contention's rwlock write waits are
# at least the collector's mmu_lock write waits (perf cannot say which
# rwlock), which are > 0 under exclusive.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rootfs=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
cat >"$OUT/p.sh" <<'SH'
for s in exclusive rwlock fastpath; do sh perfcmp.sh $s -v 2 -b 8M -i 2; done
SH
expect_status 0 launch p -r "$rootfs" -t 900 -I "$ROOT/tests/perfcmp.sh" -I "$OUT/p.sh" -- sh p.sh
d=$OUT/p
for s in exclusive rwlock fastpath; do
	grep -q "^$s 0\$" "$d/status.txt" || { tail "$d/run-$s.txt"; fail "$s: the run failed"; }
done
"$ROOT/tests/perfcmp-report.py" "$d" target | tee "$OUT/report.txt" ||
	fail "s2collect and perf disagree"
ww=$(awk '$1 == "exclusive" && $2 == "mmu_lock" { print $5 }' "$OUT/report.txt")
[ "${ww:-0}" -gt 0 ] || fail "no mmu_lock write waits under exclusive"
pass "perf and s2collect agree; $ww mmu_lock write waits under exclusive"
