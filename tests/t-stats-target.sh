#!/usr/bin/env bash
# The stage-2 binary stats (KVM_GET_STATS_FD: per-vCPU fault counts by kind
# and path, write-protection faults, fault time and its log2 histogram;
# per-VM TLBIs by kind, CMOs and their bytes) agree with perf stat's counts
# of the kvm_s2 tracepoints on the same run, in the target (neoverse-n1: no
# S2FWB, so CMOs happen), under rwlock, fastpath and hypfast (its faults
# resolved in the VHE exit fix-up are counted and timed there too). KVM gives a VM's stats
# fd only to the VM's own process (others get EIO), so s2_dirty opens them
# before it frees its VM, reads them once the memslots are deleted (their
# unmapping TLBIs belong to the run) and puts them in its document
# ("kvm_stats").
# With kvm.stage2_fault_timing=N (the default) the counts go on and the
# document says the time and histogram are unavailable, with the reason.
# Skipped on a series without the stats.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_stage2_stats
rootfs_with perf

cat >"$OUT/probe.sh" <<'SH'
P=/sys/module/kvm/parameters
# One perf event per figure, split by tracepoint filters (numeric values).
ev=
for k in 0 1 2; do ev="$ev -e kvm_s2:kvm_s2_fault_exit --filter kind==$k"; done
for p in 0 1 2 3 4; do ev="$ev -e kvm_s2:kvm_s2_fault_exit --filter path==$p"; done
for k in 0 1 2 3; do ev="$ev -e kvm_s2:kvm_s2_tlbi --filter kind==$k"; done
# The VM's stats charge the CMOs of its vCPUs; an unmap's cleaning on a
# host thread has no VM (kvm == 0) and is in no VM's stats.
for k in 0 1; do ev="$ev -e kvm_s2:kvm_s2_cmo --filter kind==$k&&kvm!=0"; done
for run in rwlock fastpath hypfast rwlock-notiming; do
	s=${run%-notiming}
	echo $s >$P/stage2_strategy || exit 1
	if [ $run = $s ]; then echo Y >$P/stage2_fault_timing; else echo N >$P/stage2_fault_timing; fi
	# shellcheck disable=SC2086
	s2chroot perf stat -a -x, -o $run.perf $ev -- \
		s2_dirty -v 2 -b 8M -i 3 -l get -S $s -o $run.json >$run.log 2>&1 ||
		{ echo "$run: perf stat or s2_dirty failed"; tail -n 5 $run.log; exit 1; }
done
echo Y >$P/stage2_fault_timing
SH
expect_status 0 launch probe -p neoverse-n1 -r "$ROOTFS" -t 900 -I "$OUT/probe.sh" -- sh probe.sh
d=$OUT/probe

for run in rwlock fastpath hypfast rwlock-notiming; do
	python3 - "$run" "$d/$run.perf" "$d/$run.json" <<'PY' || fail "$run: the binary stats and perf disagree"
import json, sys
run, perf, doc = sys.argv[1:]
counts = []
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 2 and f[2].startswith("kvm_s2:"):
        counts.append(int(f[0]))
want = (["s2_fault_translation", "s2_fault_permission", "s2_fault_access",
         "s2_fault_slow", "s2_fault_fast", "s2_fault_retry", "s2_fault_mmio", "s2_fault_hyp"],
        ["s2_tlbi_vmid", "s2_tlbi_ipa", "s2_tlbi_ipa_local", "s2_tlbi_range",
         "s2_cmo_dcache", "s2_cmo_icache"])
if len(counts) != len(want[0]) + len(want[1]):
    sys.exit("FAIL: %s: %d perf counts, expected %d" % (run, len(counts), len(want[0]) + len(want[1])))
d = json.load(open(doc))
k = d["kvm_stats"]
if "vm" not in k:
    sys.exit("FAIL: %s: no kvm_stats in the document: %s" % (run, k))
vm, vcpu = k["vm"], k["vcpu"]
bad = 0
for i, name in enumerate(want[0] + want[1]):
    st = (vcpu if i < len(want[0]) else vm)[name]["value"]
    ok = st == counts[i]
    bad += not ok
    print("%s: %s: %s %d, perf %d" % ("ok" if ok else "FAIL", run, name, st, counts[i]))
faults = sum(vcpu[n]["value"] for n in want[0][:3])
paths = sum(vcpu[n]["value"] for n in want[0][3:])
h = vcpu["s2_fault_hist"]
timed = not run.endswith("-notiming")
if timed:
    hist = h["count"]
    if sum(b["count"] for b in h["buckets"]) != hist or h["buckets"][-1]["le"] != "+Inf":
        sys.exit("FAIL: %s: the histogram's buckets do not add up to its count %d" % (run, hist))
    tns = vcpu["s2_fault_time_ns"]["value"]
else:
    hist = tns = 0
wp = vcpu["s2_fault_wp"]["value"]
pages = d["params"]["vcpus"] * d["params"]["pages_per_vcpu"]["value"]
print("info: %s: %d faults, %d in the histogram, mean %.1f us; %d write-protection faults for %d pages"
      % (run, faults, hist, tns / max(faults, 1) / 1000, wp, pages))
def check(ok, what):
    global bad
    bad += not ok
    print("%s: %s: %s" % ("ok" if ok else "FAIL", run, what))
check(faults == paths, "faults by kind %d = faults by path %d" % (faults, paths))
if not timed:
    t = vcpu["s2_fault_time_ns"]
    check(h.get("available") is False and t.get("available") is False and
          "stage2_fault_timing" in h.get("reason", "") and "stage2_fault_timing" in t.get("reason", ""),
          "timing off: histogram and time unavailable, the reason naming kvm.stage2_fault_timing "
          "(never a time of 0 ns)")
else:
    check(hist == faults and tns > 0 and h.get("sum") == tns,
          "every fault is in the histogram, whose sum is the positive fault time")
check(wp >= pages * 9 // 10, "write-protection faults %d >= 90%% of %d pages" % (wp, pages))
check((not timed or vcpu["s2_fault_time_ns"]["unit"] == "ns") and
      vm["s2_cmo_dcache_bytes"]["unit"] == "bytes", "units: ns and bytes")
hyp = vcpu["s2_fault_hyp"]["value"]
if run == "fastpath":
    check(vcpu["s2_fault_fast"]["value"] >= wp * 9 // 10,
          "fast path %d for >= 90%% of %d write-protection faults" % (vcpu["s2_fault_fast"]["value"], wp))
elif run == "hypfast":
    # VHE: the exit fix-up resolves them; the stats count them, timed
    check(hyp >= wp * 9 // 10,
          "exit fix-up %d for >= 90%% of %d write-protection faults" % (hyp, wp))
else:
    check(vcpu["s2_fault_fast"]["value"] == 0, "no fast path under rwlock")
if run != "hypfast":
    check(hyp == 0, "no fault resolved in the exit fix-up under %s (%d)" % (run, hyp))
print("info: %s: dcache CMOs %d (%d bytes)" % (run, vm["s2_cmo_dcache"]["value"], vm["s2_cmo_dcache_bytes"]["value"]))
sys.exit(1 if bad else 0)
PY
	pass "$run: binary stats equal perf's tracepoint counts"
done
