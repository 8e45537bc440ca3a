#!/usr/bin/env bash
# The stage-2 binary stats (KVM_GET_STATS_FD: per-vCPU fault counts by kind
# and path, write-protection faults, fault time and its log2 histogram;
# per-VM TLBIs by kind, CMOs and their bytes) agree with perf stat's counts
# of the kvm_s2 tracepoints on the same run, in the target (neoverse-n1: no
# S2FWB, so CMOs happen), under rwlock and fastpath. tests/s2stats.c reads
# the stats of dirty_log_perf_test's VM once it has exited (a stats fd
# keeps its VM). Skipped on a series without the stats.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grep -q 's2_fault_hist' "$KDIR/vmlinux" 2>/dev/null ||
	skip "the kernel has no stage-2 binary stats (series without them)"
ROOTFS=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
[ -x "$ROOTFS/usr/bin/perf" ] || fail "no perf in $ROOTFS"
aarch64-linux-gnu-gcc -static -O2 -Wall -Wextra -Werror -o "$OUT/s2stats" "$(dirname "$0")/s2stats.c" ||
	fail "tests/s2stats.c does not build"

STRATEGIES="rwlock fastpath"
cat >"$OUT/probe.sh" <<SH
STRATEGIES="$STRATEGIES"
SH
cat >>"$OUT/probe.sh" <<'SH'
P=/sys/module/kvm/parameters/stage2_strategy
chmod +x s2stats
# One perf event per figure, split by tracepoint filters (numeric values).
ev=
for k in 0 1 2; do ev="$ev -e kvm_s2:kvm_s2_fault_exit --filter kind==$k"; done
for p in 0 1 2 3; do ev="$ev -e kvm_s2:kvm_s2_fault_exit --filter path==$p"; done
for k in 0 1 2 3; do ev="$ev -e kvm_s2:kvm_s2_tlbi --filter kind==$k"; done
for k in 0 1; do ev="$ev -e kvm_s2:kvm_s2_cmo --filter kind==$k"; done
for s in $STRATEGIES; do
	echo $s >$P || exit 1
	s2chroot perf stat -a -x, -o $s.perf $ev -- \
		dirty_log_perf_test -m 6 -v 2 -b 8M -i 3 >$s.dlpt.log 2>&1 &
	perf=$!
	pid=
	while [ -z "$pid" ] && kill -0 $perf 2>/dev/null; do
		pid=$(pidof dirty_log_perf_test)
		sleep 0.05
	done
	./s2stats -p $pid -n 2 >$s.stats 2>$s.stats.err &
	reader=$!
	wait $perf || { echo "$s: perf stat or the test failed"; exit 1; }
	wait $reader || { echo "$s: s2stats failed"; cat $s.stats.err; exit 1; }
done
SH
expect_status 0 launch probe -p neoverse-n1 -r "$ROOTFS" -t 900 -I "$OUT/s2stats" -I "$OUT/probe.sh" -- sh probe.sh
d=$OUT/probe

for s in $STRATEGIES; do
	python3 - "$s" "$d/$s.perf" "$d/$s.stats" <<'PY' || fail "$s: the binary stats and perf disagree"
import sys
s, perf, stats = sys.argv[1:]
counts = []
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 2 and f[2].startswith("kvm_s2:"):
        counts.append(int(f[0]))
want = (["s2_fault_translation", "s2_fault_permission", "s2_fault_access",
         "s2_fault_slow", "s2_fault_fast", "s2_fault_retry", "s2_fault_mmio"],
        ["s2_tlbi_vmid", "s2_tlbi_ipa", "s2_tlbi_ipa_local", "s2_tlbi_range",
         "s2_cmo_dcache", "s2_cmo_icache"])
if len(counts) != len(want[0]) + len(want[1]):
    sys.exit("FAIL: %s: %d perf counts, expected %d" % (s, len(counts), len(want[0]) + len(want[1])))
vm, vcpu = {}, {}
for line in open(stats):
    f = line.split()
    vals = [int(x) for x in f[2:]]
    if f[0] == "vm":
        vm[f[1]] = vals
    else:
        vcpu.setdefault(f[1], []).append(vals)
def vsum(name):
    return sum(v[0] for v in vcpu[name])
bad = 0
for i, name in enumerate(want[0]):
    st = vsum(name)
    ok = st == counts[i]
    bad += not ok
    print("%s: %s: %s %d, perf %d" % ("ok" if ok else "FAIL", s, name, st, counts[i]))
for i, name in enumerate(want[1]):
    st, pc = vm[name][0], counts[len(want[0]) + i]
    ok = st == pc
    bad += not ok
    print("%s: %s: %s %d, perf %d" % ("ok" if ok else "FAIL", s, name, st, pc))
faults = sum(vsum(n) for n in want[0][:3])
hist = sum(sum(v) for v in vcpu["s2_fault_hist"])
tns = vsum("s2_fault_time_ns")
print("info: %s: %d faults, %d in the histograms, mean %.1f us; %d write-protection faults"
      % (s, faults, hist, tns / max(faults, 1) / 1000, vsum("s2_fault_wp")))
bad += hist != faults or tns <= 0
bad += vsum("s2_fault_wp") < 4096 * 9 // 10
if s == "fastpath":
    bad += vsum("s2_fault_fast") < vsum("s2_fault_wp") * 9 // 10
print("info: %s: dcache CMOs %d (%d bytes)" % (s, vm["s2_cmo_dcache"][0], vm["s2_cmo_dcache_bytes"][0]))
sys.exit(1 if bad else 0)
PY
	pass "$s: binary stats equal perf's tracepoint counts"
done
