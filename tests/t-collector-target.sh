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
# Every fault counted is timed when the command starts under the probes.
f = co["faults"]
timed = sum(h["count"] for byp in f["latency"].values() for h in byp.values())
counted = sum(v["value"] for v in f["count"].values())
ok(f["not_timed"]["value"] == 0 and timed == counted,
   "%d faults counted, %d in the latency histograms, %d not timed"
   % (counted, timed, f["not_timed"]["value"]))
ov = co["overhead"]
print("info: %s: %d events, %.0f ns/event" % (s, ov["events"]["value"], ov["per_event"]["value"]))
sys.exit(1 if bad else 0)
PY
done

# One VM of a running process, by its fd (-p PID -f FD): the lock comes
# from debugfs, faults and dirty-log calls are that VM's; a fd that is no
# VM of the process is refused with status 2.
cat >"$OUT/f.sh" <<'SH'
s2_dirty -q -S exclusive -v 2 -b 8M -i 30 -o wl.json >wl.txt 2>&1 &
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
SH
expect_status 0 launch f -t 600 -I "$OUT/f.sh" -- sh f.sh
d=$OUT/f
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
wp = c["faults"]["count"]["permission"]["value"]
get = c["dirty"]["ioctls"]["get_dirty_log"]["calls"]["value"]
ww = c["mmu_lock"]["write_wait"]["count"]
assert wp > 0 and get > 0, (wp, get)
# Attached mid-run: faults in flight then are counted but not timed.
f = c["faults"]
timed = sum(h["count"] for byp in f["latency"].values() for h in byp.values())
counted = sum(v["value"] for v in f["count"].values())
assert timed + f["not_timed"]["value"] == counted, (timed, f["not_timed"], counted)
# Entries attach before exits and detach after them: at most one fault per
# vCPU (2) can be in flight, unseen, when the exit probe attaches.
assert f["not_timed"]["value"] <= 2, f["not_timed"]
print("ok: -p -f: %d faults counted, %d timed, %d not timed (in flight at attach)"
      % (counted, timed, f["not_timed"]["value"]))
print("ok: -p -f %d: one VM (lock %s), %d WP faults, %d GET_DIRTY_LOG, %d mmu_lock write waits"
      % (fd, c["vms"][0]["mmu_lock"], wp, get, ww))
PY
pass "-p PID -f FD watches that VM; -f on another fd exits 2"
