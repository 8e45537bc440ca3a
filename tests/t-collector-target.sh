#!/usr/bin/env bash
# bpf/s2collect in the arm64 target on the patched kernel, around the
# s2_dirty workload (2 vCPUs, clear-log mode), all in one boot. Facts:
#
# Default tier (counts and latency from the kernel's binary stats, BPF only
# for mmu_lock, ioctls and exits), under each strategy, inside perf stat -a
# counting the kvm_s2 tracepoints of the same run:
#  - the tier is reported (document and summary), no fault probe attached;
#  - faults, write-protection faults, fast-path hits and TLBIs equal perf's
#    tracepoint counts within 1% (the stats are bumped where the events fire);
#  - write-protection faults = pages written in the logged passes, within 1%;
#  - the fast path takes >= 99% of them under fastpath only, the exit
#    fix-up (path hyp) >= 99% under hypfast only;
#  - TLBIs >= write-protection faults (each must invalidate);
#  - mmu_lock write waits appear under exclusive (2 vCPUs faulting for write
#    on one lock), the lock learned from kvm_s2_vm_init;
#  - GET/CLEAR_DIRTY_LOG calls and KVM_RUN returns equal the workload's;
#  - its BPF programs use under 3% of one CPU (except exclusive, whose
#    lock contention is on most faults).
# Detail tier (--faults: one tp_btf event per fault, timed by the kernel),
# under rwlock, fastpath and hypfast, also inside perf stat:
#  - its event counts (all, write-protection, fast, MMIO) equal the same
#    run's binary stats (the default tier's source) and perf's, within 1%;
#  - every fault is timed, latency by kind and path is log-linear with its
#    relative error stated, and no fault-enter probe is attached.
# With the kernel's fault timing off (kvm.stage2_fault_timing=N): the
# default tier's latency is unavailable with that reason and its counts
# stay; the detail tier falls back to enter/exit events and says so.
# -p PID -f FD: one VM of a running process, by its fd (stats tier);
# a fd that is no VM of the process is refused with status 2.
# VMs made one after the other (s2_populate): the default tier's fault
# counts equal the workload's own binary stats summed over its VMs (a VM
# is known by its struct kvm, not by an fd number the next VM may reuse).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

need_stage2_stats
rootfs_with perf

cat >"$OUT/c.sh" <<'SH'
P=/sys/module/kvm/parameters/stage2_fault_timing
# The kernel's fault clock is off by default: on for the first runs, whose
# latencies are held against the events'.
echo Y >$P
W="s2_dirty -q -v 2 -b 8M -i 3"
# all faults, write-protection faults (as s2_fault_wp counts them), fast-path
# hits, MMIO faults, TLBIs: the figures both tiers are held against
set -- -e kvm_s2:kvm_s2_fault_exit \
	-e kvm_s2:kvm_s2_fault_exit --filter 'kind == 1 && write == 1 && path != 3' \
	-e kvm_s2:kvm_s2_fault_exit --filter 'path == 1' \
	-e kvm_s2:kvm_s2_fault_exit --filter 'path == 3' \
	-e kvm_s2:kvm_s2_tlbi \
	-e kvm_s2:kvm_s2_fault_exit --filter 'path == 4'
for s in exclusive rwlock rcu fastpath hypfast; do
	s2chroot perf stat -a -x, -o def-$s.perf "$@" -- \
		s2collect -o def-$s.json -- $W -S $s -o wl-def-$s.json >def-$s.txt 2>&1
	echo "def-$s $?" >>status.txt
done
for s in rwlock fastpath hypfast; do
	s2chroot perf stat -a -x, -o det-$s.perf "$@" -- \
		s2collect -F -o det-$s.json -- $W -S $s -o wl-det-$s.json >det-$s.txt 2>&1
	echo "det-$s $?" >>status.txt
done

echo N >$P
s2collect -o off-def.json -- $W -S rwlock -o wl-off-def.json >off-def.txt 2>&1
echo "off-def $?" >>status.txt
s2collect -F -o off-det.json -- $W -S rwlock -o wl-off-det.json >off-det.txt 2>&1
echo "off-det $?" >>status.txt
echo Y >$P

s2_dirty -q -S exclusive -v 2 -b 8M -i 30 -o wl-f.json >wl-f.txt 2>&1 &
pid=$!
fd=
# Wait for the VM (the debug kernel under emulation is slow to get there).
for i in $(seq 60); do
	for f in /proc/$pid/fd/*; do [ "$(readlink "$f")" = anon_inode:kvm-vm ] && fd=${f##*/}; done
	[ -n "$fd" ] && break
	sleep 0.5
done
sleep 1
echo "$fd" >vmfd.txt
s2collect -p $pid -f "$fd" -d 3 -o fd.json >fd.txt 2>&1
echo "fd $?" >>status.txt
s2collect -p $pid -f 0 -d 1 >bad.txt 2>&1
echo "bad $?" >>status.txt
wait $pid
echo "workload $?" >>status.txt

# VMs one after the other (s2_populate closes one and creates the next,
# often at the same fd numbers): every one counted.
s2collect -o pop.json -- s2_populate -q -v 2 -b 8M -i 4 -S rwlock -o wl-pop.json >pop.txt 2>&1
echo "pop $?" >>status.txt
SH
expect_status 0 launch c -r "$ROOTFS" -t 600 -I "$OUT/c.sh" -- sh c.sh
d=$OUT/c

# check.py KIND STRATEGY WORKLOAD.json COLLECTOR.json PERF|- SUMMARY
cat >"$OUT/check.py" <<'PY'
import json, sys
kind, s, wl, co, perf, summary = sys.argv[1:]
wl, co = json.load(open(wl)), json.load(open(co))
summary = open(summary).read()
tag = "%s-%s" % (kind, s)
bad = 0
def ok(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + tag + ": " + what)
    bad += not cond
def near(a, b):
    return abs(a - b) <= 0.01 * max(a, b)
def unavailable(m):
    return isinstance(m, dict) and m.get("available") is False and m.get("reason")

ks = co["kvm_stats"]
ok(not unavailable(ks), "binary stats read: %s" % ks.get("reason", "%d VMs, %d vCPUs"
   % (ks.get("vms", {}).get("value", 0), ks.get("vcpus", {}).get("value", 0))))
if unavailable(ks):
    sys.exit(1)
kv = {k: v["value"] for k, v in ks["vcpu"].items() if "value" in v}
kvm = {k: v["value"] for k, v in ks["vm"].items()}
st_faults = kv["s2_fault_translation"] + kv["s2_fault_permission"] + kv["s2_fault_access"]
st_tlbi = sum(kvm[k] for k in ("s2_tlbi_vmid", "s2_tlbi_ipa", "s2_tlbi_ipa_local", "s2_tlbi_range"))
f, dirty = co["faults"], co["dirty"]
ev = co["events"]

if perf != "-":
    counts = [int(l.split(",")[0]) for l in open(perf)
              if l.count(",") > 2 and l.split(",")[2].startswith("kvm_s2:")]
    ok(len(counts) == 6, "perf stat gave %d counts" % len(counts))
    p_all, p_wp, p_fast, p_mmio, p_tlbi, p_hyp = counts
    ok(near(st_faults, p_all), "faults: stats %d, perf %d" % (st_faults, p_all))
    ok(near(kv["s2_fault_wp"], p_wp), "wp faults: stats %d, perf %d" % (kv["s2_fault_wp"], p_wp))
    ok(near(kv["s2_fault_fast"], p_fast), "fast path: stats %d, perf %d" % (kv["s2_fault_fast"], p_fast))
    ok(near(kv["s2_fault_mmio"], p_mmio), "mmio: stats %d, perf %d" % (kv["s2_fault_mmio"], p_mmio))
    ok(near(st_tlbi, p_tlbi), "tlbi: stats %d, perf %d" % (st_tlbi, p_tlbi))
    ok(near(kv["s2_fault_hyp"], p_hyp), "exit fix-up: stats %d, perf %d" % (kv["s2_fault_hyp"], p_hyp))

if kind == "def":
    ok(co["tier"]["name"] == "default" and co["tier"]["faults"] == "stats"
       and f.get("tier") == "stats" and co["tlbi"].get("tier") == "stats",
       "tier reported: %s, faults from %s" % (co["tier"], f.get("tier")))
    ok("default tier" in summary and "faults from the kernel's stats" in summary,
       "the summary names the tier")
    ok(not any(ev[e]["attached"] for e in ("kvm_s2:kvm_s2_fault_enter", "kvm_s2:kvm_s2_fault_exit",
               "kvm_s2:kvm_s2_tlbi", "kvm_s2:kvm_s2_cmo", "kvm:kvm_dirty_ring_push")),
       "no per-fault, per-TLBI or per-page probe attached")
    ok(f["total"]["value"] == st_faults and dirty["wp_faults"]["value"] == kv["s2_fault_wp"],
       "the figures are the stats'")
    # 2 clock reads per fault, none missing from the histogram
    h = f["latency"]["all"]["all"]
    ok(h["count"] == st_faults and f["not_timed"]["value"] == 0 and h["sum"] > 0,
       "latency: %d of %d faults in the kernel's histogram, mean %.1f us"
       % (h["count"], st_faults, h["sum"] / max(h["count"], 1) / 1000))
    # Its programs run on lock contention anywhere in the system (for
    # exclusive, on the target's lock at most faults too), ioctls and exits:
    # their CPU time over the run, an upper bound of what the tier costs.
    ov = co["overhead"]
    ok(s == "exclusive" or ov["cpu_share"]["value"] < 0.03,
       "BPF programs used %.2f%% of one CPU (%d events)"
       % (ov["cpu_share"]["value"] * 100, ov["events"]["value"]))
else:
    ok(co["tier"]["name"] == "detail" and f.get("tier") == "events", "tier reported: %s" % co["tier"])
    ok(ev["kvm_s2:kvm_s2_fault_exit"]["attached"] and not ev["kvm_s2:kvm_s2_fault_enter"]["attached"]
       and "one event per fault" in f["source"], "one event per fault: %s" % f["source"])
    c = f["count"]
    ok(near(f["total"]["value"], st_faults), "faults: events %d, stats %d" % (f["total"]["value"], st_faults))
    ok(near(c["mmio"]["value"], kv["s2_fault_mmio"]), "mmio: events %d, stats %d"
       % (c["mmio"]["value"], kv["s2_fault_mmio"]))
    ok(near(dirty["wp_faults"]["value"], kv["s2_fault_wp"]), "wp faults: events %d, stats %d"
       % (dirty["wp_faults"]["value"], kv["s2_fault_wp"]))
    ok(near(dirty["fast_path_hits"]["value"], kv["s2_fault_fast"]), "fast path: events %d, stats %d"
       % (dirty["fast_path_hits"]["value"], kv["s2_fault_fast"]))
    ok(near(f["by_path"]["hyp"]["value"], kv["s2_fault_hyp"]), "exit fix-up: events %d, stats %d"
       % (f["by_path"]["hyp"]["value"], kv["s2_fault_hyp"]))
    timed = sum(h["count"] for byp in f["latency"].values() if isinstance(byp, dict)
                for h in byp.values() if isinstance(h, dict))
    ok(timed == f["total"]["value"] and f["not_timed"]["value"] == 0,
       "%d faults counted, %d timed" % (f["total"]["value"], timed))
    h = f["latency"]["permission"][{"fastpath": "fast", "hypfast": "hyp"}.get(s, "slow")]
    ok(h["scale"]["kind"] == "log-linear" and h["scale"]["relative_error"] <= 0.0625,
       "latency log-linear, relative error %s" % h["scale"]["relative_error"])
    # the kernel's time, event by event, sums to its stat
    tsum = sum(h["sum"] for byp in f["latency"].values() if isinstance(byp, dict)
               for h in byp.values() if isinstance(h, dict))
    ok(near(tsum, kv["s2_fault_time_ns"]), "fault time: events %d ns, stats %d ns"
       % (tsum, kv["s2_fault_time_ns"]))
    ok(ev["kvm_s2:kvm_s2_fault_exit"]["attached"], "fault events attached")

ov = co["overhead"]
print("info: %s: BPF %d events, %.0f ns/event, %.2f%% of one CPU; %d faults; dirty pass "
      "median %.1f ms (perf stat -a around it, debug kernel: noisy, not an overhead figure)"
      % (tag, ov["events"]["value"], ov["per_event"]["value"], ov["cpu_share"]["value"] * 100,
         st_faults, sorted(wl["dirty"]["pass_time"]["values"])[1] / 1e6))
written = sum(wl["dirty"]["pages_written"]["values"])
wp = dirty["wp_faults"]["value"]
ok(written <= wp <= written * 1.01, "write-protection faults %d for %d pages written" % (wp, written))
fast = dirty["fast_path_hits"]["value"]
hyp = f["by_path"]["hyp"]["value"]
if s == "fastpath":
    ok(fast >= 0.99 * wp, "fast path took %d of %d write-protection faults" % (fast, wp))
elif s == "hypfast":
    # VHE: the exit fix-up takes them; what it gives up goes to fastpath's
    ok(hyp >= 0.99 * wp, "the exit fix-up took %d of %d write-protection faults (%d fast)"
       % (hyp, wp, fast))
else:
    ok(fast == 0, "no fast-path hits (%d)" % fast)
ok(s == "hypfast" or hyp == 0, "exit fix-up faults: %d" % hyp)
tl = sum(v["count"]["value"] for v in co["tlbi"].values() if isinstance(v, dict) and "count" in v)
ok(tl >= wp, "%d TLBIs for %d write-protection faults" % (tl, wp))
ml = co["mmu_lock"]
ok(ml.get("available", True) and ml["vms_watched"]["value"] >= 1,
   "mmu_lock attributed (%s), %s VMs watched" % (ml.get("reason", "learned"),
   ml.get("vms_watched", {}).get("value")))
if s == "exclusive":
    ok(ml["write_wait"]["count"] > 0, "mmu_lock write waits under exclusive: %d" % ml["write_wait"]["count"])
io, wio = dirty["ioctls"], wl["dirty"]["ioctls"]
for k in ("get_dirty_log", "clear_dirty_log"):
    ok(io[k]["calls"]["value"] == wio[k]["value"],
       "%s: collector %d, workload %d" % (k, io[k]["calls"]["value"], wio[k]["value"]))
ok(co["exits"]["kvm_run_returns"]["value"] == wl["exits"]["kvm_run_returns"]["value"],
   "KVM_RUN returns: collector %d, workload %d"
   % (co["exits"]["kvm_run_returns"]["value"], wl["exits"]["kvm_run_returns"]["value"]))
sys.exit(1 if bad else 0)
PY

for run in def-exclusive def-rwlock def-rcu def-fastpath def-hypfast det-rwlock det-fastpath det-hypfast; do
	grep -q "^$run 0\$" "$d/status.txt" || { tail -n 30 "$d/$run.txt"; fail "$run: collector or workload failed"; }
	python3 "$OUT/check.py" "${run%%-*}" "${run#*-}" "$d/wl-$run.json" "$d/$run.json" \
		"$d/$run.perf" "$d/$run.txt" || fail "$run: the collector disagrees"
done

# The kernel's fault timing off: counts stay, latency says why; the detail
# tier times with enter/exit instead, and says so.
for run in off-def off-det; do
	grep -q "^$run 0\$" "$d/status.txt" || { tail -n 30 "$d/$run.txt"; fail "$run: collector or workload failed"; }
done
python3 - "$d/off-def.json" "$d/off-det.json" <<'PY' || fail "timing off: wrong figures"
import json, sys
de, dt = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
lat = de["faults"]["latency"]
assert lat.get("available") is False and "stage2_fault_timing" in lat["reason"], lat
assert de["faults"]["total"]["value"] > 0, de["faults"]["count"]
print("ok: timing off: default tier counts %d faults, latency unavailable: %s"
      % (de["faults"]["total"]["value"], lat["reason"]))
f = dt["faults"]
assert "two events per fault" in f["source"] and "stage2_fault_timing" in f["timing_note"], f
assert dt["events"]["kvm_s2:kvm_s2_fault_enter"]["attached"], dt["events"]
timed = sum(h["count"] for byp in f["latency"].values() if isinstance(byp, dict)
            for h in byp.values() if isinstance(h, dict))
assert timed == f["total"]["value"] and f["not_timed"]["value"] == 0, (timed, f["count"])
print("ok: timing off: detail tier on enter/exit events, %d faults timed: %s" % (timed, f["timing_note"]))
PY

grep -q "[0-9]" "$d/vmfd.txt" || fail "-p -f: the workload's VM fd never appeared"
grep -q '^fd 0$' "$d/status.txt" || { cat "$d/fd.txt"; fail "-p -f: the collector failed"; }
grep -q '^bad 2$' "$d/status.txt" || { cat "$d/bad.txt"; fail "-f on a fd that is no VM was not refused with 2"; }
grep -q '^workload 0$' "$d/status.txt" || fail "the workload failed under -p -f"
python3 - "$d/fd.json" "$(cat "$d/vmfd.txt")" <<'PY' || fail "-p -f: wrong figures"
import json, sys
c, fd = json.load(open(sys.argv[1])), int(sys.argv[2])
assert c["target"]["vm_fd"] == fd, c["target"]
assert any(v["learned_from"] == "debugfs" for v in c["vms"]), c["vms"]
assert len({v["mmu_lock"] for v in c["vms"]}) == 1, c["vms"]
assert c["faults"]["tier"] == "stats" and c["kvm_stats"]["vms"]["value"] == 1, c["kvm_stats"]
wp = c["dirty"]["wp_faults"]["value"]
get = c["dirty"]["ioctls"]["get_dirty_log"]["calls"]["value"]
ww = c["mmu_lock"]["write_wait"]["count"]
# the stats count from when the collector attached: ~3 s of a 30-pass run
assert 0 < wp and get > 0, (wp, get)
print("ok: -p -f %d: one VM (lock %s), %d WP faults in 3 s (stats since attach), "
      "%d GET_DIRTY_LOG, %d mmu_lock write waits" % (fd, c["vms"][0]["mmu_lock"], wp, get, ww))
PY
pass "-p PID -f FD watches that VM; -f on another fd exits 2"

grep -q '^pop 0$' "$d/status.txt" || { tail -n 20 "$d/pop.txt"; fail "s2_populate under the collector failed"; }
python3 - "$d/pop.json" "$d/wl-pop.json" <<'PY' || fail "VMs one after the other: the collector's counts are not the workload's"
import json, sys
c, w = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
kinds = ("translation", "permission", "access")
k = w["kvm_stats"]["vcpu"]
want = sum(k["s2_fault_" + n]["value"] for n in kinds)
f = c["faults"]
assert "count" in f, f
got = sum(f["count"][n]["value"] for n in kinds)
print("info: %d VMs created, %d faults in the workload's stats, %d in the collector's"
      % (c["kvm_stats"]["vms"]["value"] if "vms" in c.get("kvm_stats", {}) else -1, want, got))
assert got == want and want > 0, (got, want)
PY
pass "VMs one after the other: the collector counts every one (faults = the workload's own stats)"
