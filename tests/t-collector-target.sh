#!/usr/bin/env bash
# bpf/s2collect in the arm64 target on the patched kernel, around the
# s2_dirty workload (2 vCPUs, clear-log mode) under each strategy, in one
# boot. Facts checked against the workload's own JSON:
#  - write-protection (permission) faults = pages written in the logged
#    passes, within 1% (a fault that races another vCPU's can be retried);
#  - the fast path is seen under fastpath only, and there takes >= 99% of
#    them;
#  - TLBIs were counted (every write-protection fault must invalidate);
#  - mmu_lock write waits appear under exclusive (2 vCPUs faulting for write
#    on one lock), learned from kvm_s2_vm_init;
#  - GET/CLEAR_DIRTY_LOG calls and KVM_RUN returns equal the workload's.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cat >"$OUT/c.sh" <<'SH'
for s in exclusive rwlock rcu fastpath; do
	s2collect -o coll-$s.json -- s2_dirty -q -v 2 -b 8M -i 3 -S $s -o wl-$s.json >$s.txt 2>&1
	echo "$s $?" >>status.txt
done
SH
expect_status 0 launch c -t 900 -I "$OUT/c.sh" -- sh c.sh
d=$OUT/c
for s in exclusive rwlock rcu fastpath; do
	grep -q "^$s 0\$" "$d/status.txt" || { tail -n 30 "$d/$s.txt"; fail "$s: collector or workload failed"; }
	python3 - "$s" "$d/wl-$s.json" "$d/coll-$s.json" <<'PY' || fail "$s: the collector disagrees"
import json, sys
s, wl, co = sys.argv[1], json.load(open(sys.argv[2])), json.load(open(sys.argv[3]))
bad = 0
def ok(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + s + ": " + what)
    bad += not cond

written = sum(wl["dirty"]["pages_written"]["values"])
wp = co["dirty"]["wp_faults"]["value"]
ok(written <= wp <= written * 1.01,
   "write-protection faults %d for %d pages written (tolerance +1%%)" % (wp, written))
fast = co["dirty"]["fast_path_hits"]["value"]
if s == "fastpath":
    ok(fast >= 0.99 * wp, "fast path took %d of %d write-protection faults" % (fast, wp))
else:
    ok(fast == 0, "no fast-path hits (%d)" % fast)
tlbi = sum(v["count"]["value"] for k, v in co["tlbi"].items() if isinstance(v, dict) and "count" in v)
ok(tlbi >= wp, "%d TLBIs for %d write-protection faults" % (tlbi, wp))
ml = co["mmu_lock"]
ok(ml.get("available", True), "mmu_lock attributed (%s)" % ml.get("reason", "learned"))
ww = ml["write_wait"]["count"]
if s == "exclusive":
    ok(ww > 0, "mmu_lock write waits under exclusive: %d" % ww)
print("info: %s: mmu_lock write waits %d, read waits %d" % (s, ww, ml["read_wait"]["count"]))
io, wio = co["dirty"]["ioctls"], wl["dirty"]["ioctls"]
for k in ("get_dirty_log", "clear_dirty_log"):
    ok(io[k]["calls"]["value"] == wio[k]["value"],
       "%s: collector %d, workload %d" % (k, io[k]["calls"]["value"], wio[k]["value"]))
ok(co["exits"]["kvm_run_returns"]["value"] == wl["exits"]["kvm_run_returns"]["value"],
   "KVM_RUN returns: collector %d, workload %d"
   % (co["exits"]["kvm_run_returns"]["value"], wl["exits"]["kvm_run_returns"]["value"]))
ov = co["overhead"]
print("info: %s: %d events, %.0f ns/event" % (s, ov["events"]["value"], ov["per_event"]["value"]))
sys.exit(1 if bad else 0)
PY
done
