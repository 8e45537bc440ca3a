#!/usr/bin/env bash
# The kvm_s2 events decode and say what the series v2 review asked of them,
# seen from the target (neoverse-n1 profile: no S2FWB, so faults clean the
# D-cache and kvm_s2_cmo fires), with trace-cmd from the Debian root file
# system (launch -r, s2chroot) and kprobe hist triggers:
#  - no format file keeps an unresolved enum name (TRACE_DEFINE_ENUM),
#    `trace-cmd check-events` parses every format, and `trace-cmd report`
#    (libtraceevent, as perf uses) decodes every field of every kvm_s2
#    event: symbolic fields print one of their names, never a number. (Not
#    `perf script`: on arm64 a perf sample taken while a vCPU is loaded is
#    attributed to the guest, and perf script drops guest samples, so it
#    never shows a fault's events; perf stat counts them, t-perf-target.)
#  - fault exit has the kind of its entry (MMIO is a path, not a kind), and
#    the write-protection faults of dirty logging say write=1 exec=0;
#  - TLBIs name the MMU (canonical) and whether their caller holds
#    mmu_lock for write: the fast path's local TLBIs never, exclusive's
#    permission-fault TLBIs always; CMOs on a vCPU thread name its VM, and
#    those of host threads (the D-cache cleaning of an unmap) name none;
#  - stage-2 table pages go through the RCU-deferred put_page only for rcu
#    and fastpath VMs (rwlock and exclusive free as upstream does);
#  - the debugfs mmu_lock address is shown to root and hidden (0) once
#    kptr_restrict=2;
#  - with protected KVM, rcu and fastpath are refused (skipped with the
#    reason if this QEMU cannot boot pKVM).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOTFS=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
[ -x "$ROOTFS/usr/bin/trace-cmd" ] || fail "no trace-cmd in $ROOTFS"
STRATEGIES="exclusive rwlock rcu fastpath hypfast"

cat >"$OUT/probe.sh" <<SH
STRATEGIES="$STRATEGIES"
SH
cat >>"$OUT/probe.sh" <<'SH'
T=/sys/kernel/tracing
P=/sys/module/kvm/parameters/stage2_strategy
grep -l 'KVM_S2_' $T/events/kvm_s2/*/format >unresolved.txt 2>&1
cat $T/events/kvm_s2/*/format >formats.txt
s2chroot trace-cmd check-events >check-events.txt 2>&1
echo $? >check-events.rc
# Every put of a stage-2 table page, by which put_page it took.
for f in kvm_s2_put_page kvm_s2_put_page_rcu stage2_free_table_page_rcu_cb; do
	echo "p:s2k_$f $f" >>$T/kprobe_events || exit 1
done
for s in $STRATEGIES; do
	echo $s >$P || exit 1
	for f in kvm_s2_put_page kvm_s2_put_page_rcu stage2_free_table_page_rcu_cb; do
		echo 'hist:keys=common_type:vals=hitcount' >$T/events/kprobes/s2k_$f/trigger
	done
	s2chroot trace-cmd record -q -b 8192 -e kvm_s2 -o $s.dat \
		dirty_log_perf_test -m 6 -v 2 -b 8M -i 2 >$s.dlpt.log 2>&1 &
	pid=$!
	# The VM's debugfs mmu_lock, to root and with kptr_restrict=2.
	while kill -0 $pid 2>/dev/null; do
		# A VM may go between the glob and the read (the test makes
		# more than one): only two reads of a file still there count.
		for f in /sys/kernel/debug/kvm/*/mmu_lock; do
			[ -f "$f" ] || continue
			root=$(cat "$f" 2>/dev/null) || continue
			echo 2 >/proc/sys/kernel/kptr_restrict
			restricted=$(cat "$f" 2>/dev/null)
			rc=$?
			echo 0 >/proc/sys/kernel/kptr_restrict
			[ $rc -eq 0 ] || continue
			echo "$root" >$s.mmu_lock.root
			echo "$restricted" >$s.mmu_lock.restricted
		done
		[ -s $s.mmu_lock.restricted ] && break
		sleep 0.05
	done
	wait $pid || { echo "$s: trace-cmd record or the test failed"; tail -n 5 $s.dlpt.log; exit 1; }
	# The rcu grace periods of the last frees run after the VM is gone.
	sleep 1
	for f in kvm_s2_put_page kvm_s2_put_page_rcu stage2_free_table_page_rcu_cb; do
		awk '/hitcount:/ { n += $NF } END { print n + 0 }' \
			$T/events/kprobes/s2k_$f/hist >$s.$f.count
		echo '!hist:keys=common_type:vals=hitcount' >$T/events/kprobes/s2k_$f/trigger
	done
	s2chroot trace-cmd report -i $s.dat >$s.script 2>$s.script.err || { cat $s.script.err; exit 1; }
	rm -f $s.dat
done
SH
expect_status 0 launch probe -p neoverse-n1 -r "$ROOTFS" -t 900 -I "$OUT/probe.sh" -- sh probe.sh
d=$OUT/probe

[ ! -s "$d/unresolved.txt" ] || fail "format files with unresolved enum names: $(cat "$d/unresolved.txt")"
grep -q 'print fmt' "$d/formats.txt" || fail "no kvm_s2 format files read"
pass "no kvm_s2 format file names an enum (TRACE_DEFINE_ENUM)"
[ "$(cat "$d/check-events.rc")" = 0 ] || { cat "$d/check-events.txt"; fail "trace-cmd check-events failed"; }
pass "trace-cmd check-events parses every event format"

for s in $STRATEGIES; do
	python3 - "$s" "$d/$s.script" <<'PY' || fail "$s: trace-cmd report output does not decode"
import collections, re, sys
s, path = sys.argv[1], sys.argv[2]
names = {
    "kind": {"translation", "permission", "access"},
    "path": {"slow", "fast", "retry", "mmio", "hyp"},
    "strategy": {"exclusive", "rwlock", "rcu", "fastpath", "hypfast", "hwdbm"},
    "mmu": {"canonical", "shadow"},
    "mmu_lock": {"not_write_locked", "write_locked", "unknown"},
}
tlbi_kinds = {"vmid", "ipa", "ipa_local", "range"}
cmo_kinds = {"dcache_clean_inval", "icache_inval"}
fields = {
    "kvm_s2_fault_enter": ["vcpu", "ipa", "kind", "write", "exec", "s1ptw"],
    "kvm_s2_fault_exit": ["vcpu", "ipa", "kind", "write", "exec", "s1ptw", "path",
                          "size", "strategy", "ret"],
    "kvm_s2_tlbi": ["kind", "mmu", "base", "size", "mmu_lock"],
    "kvm_s2_cmo": ["vm", "kind", "bytes"],
    "kvm_s2_vm_init": ["vm", "pid", "strategy", "mmu_lock"],
    "kvm_s2_vm_destroy": ["vm", "pid", "strategy", "mmu_lock"],
}
seen = collections.Counter()
bad = []
pending = {}          # tid -> kind of the fault entered
pairs = mismatched = 0
wp = wp_ok = 0
local = collections.Counter()
# trace-cmd report: "COMM-TID [CPU] TIME: EVENT: FIELDS"
ev_re = re.compile(r"^\s*(\S.*?)-(\d+)\s+\[\d+\].*?\s(kvm_s2_\w+):\s*(.*)$")
vcpu_tids = set()
cmo = []
for line in open(path):
    m = ev_re.match(line)
    if not m:
        continue
    tid, ev, rest = m.group(2), m.group(3), m.group(4)
    kv = dict(re.findall(r"(\w+)=(\S+)", rest))
    seen[ev] += 1
    want = fields.get(ev)
    if want is None:
        bad.append("unknown event " + ev)
        continue
    if list(kv) != want:
        bad.append("%s: fields %s, expected %s" % (ev, list(kv), want))
        continue
    # Symbolic fields (the vm events' mmu_lock is an address).
    sym = {"path", "strategy", "mmu"} | ({"mmu_lock"} if ev == "kvm_s2_tlbi" else set())
    for f in sorted(sym & set(kv)):
        if kv[f] not in names[f]:
            bad.append("%s: %s=%s" % (ev, f, kv[f]))
    k = kv.get("kind")
    if ev.startswith("kvm_s2_fault") and k not in names["kind"]:
        bad.append("%s: kind=%s" % (ev, k))
    if ev == "kvm_s2_tlbi" and k not in tlbi_kinds:
        bad.append("%s: kind=%s" % (ev, k))
    if ev == "kvm_s2_cmo":
        if k not in cmo_kinds:
            bad.append("%s: kind=%s" % (ev, k))
        cmo.append((tid, not re.fullmatch(r"(0x)?0+|\(null\)|\(nil\)", kv["vm"])))
    if ev.startswith("kvm_s2_fault"):
        vcpu_tids.add(tid)
    if ev == "kvm_s2_fault_enter":
        pending[tid] = k
    elif ev == "kvm_s2_fault_exit":
        if tid in pending:
            pairs += 1
            mismatched += pending.pop(tid) != k
        if k == "permission" and kv["path"] in ("slow", "fast", "hyp") and kv["ret"] == "1":
            wp += 1
            wp_ok += kv["write"] == "1" and kv["exec"] == "0"
    elif ev == "kvm_s2_tlbi":
        if kv["mmu"] != "canonical":
            bad.append("a TLBI for a %s MMU with no nested guest" % kv["mmu"])
        if k == "ipa_local":
            local[kv["mmu_lock"]] += 1
# A CMO on a vCPU thread names its VM; one on a host thread (the cleaning
# of an unmap: teardown, memslot removal) has no vCPU, hence no VM.
on_vcpu = [named for tid, named in cmo if tid in vcpu_tids]
on_host = [named for tid, named in cmo if tid not in vcpu_tids]
if not all(on_vcpu):
    bad.append("%d of %d CMOs on vCPU threads name no VM" % (on_vcpu.count(False), len(on_vcpu)))
if any(on_host):
    bad.append("%d CMOs on host threads name a VM" % on_host.count(True))
print("info: %s: CMOs: %d on vCPU threads (all with a VM), %d on host threads (none)"
      % (s, len(on_vcpu), len(on_host)))
for e in bad[:10]:
    print("FAIL: %s: %s" % (s, e))
print("info: %s: events %s" % (s, dict(seen)))
ok = not bad
for ev in fields:
    if ev != "kvm_s2_cmo" and not seen[ev]:
        print("FAIL: %s: no %s in trace-cmd report" % (s, ev)); ok = False
if not seen["kvm_s2_cmo"]:
    print("FAIL: %s: no kvm_s2_cmo (neoverse-n1 has no S2FWB)" % s); ok = False
print("info: %s: %d enter/exit pairs, %d with another kind on exit" % (s, pairs, mismatched))
ok &= pairs > 0 and mismatched == 0
print("info: %s: %d write-protection faults, %d with write=1 exec=0" % (s, wp, wp_ok))
# 2 x 8M of 4K pages written once under write protection (-i 2)
ok &= wp >= 4096 * 9 // 10 and wp_ok == wp
print("info: %s: local TLBIs by caller's lock: %s" % (s, dict(local)))
if s == "exclusive":
    ok &= local["write_locked"] > 0 and local["not_write_locked"] == 0
if s in ("fastpath", "hypfast"):
    ok &= local["not_write_locked"] >= 4096 * 9 // 10 and local["write_locked"] == 0
sys.exit(0 if ok else 1)
PY
	pass "$s: every kvm_s2 event decodes; kinds, access flags and TLBI lock state as expected"

	put=$(cat "$d/$s.kvm_s2_put_page.count") rput=$(cat "$d/$s.kvm_s2_put_page_rcu.count")
	cb=$(cat "$d/$s.stage2_free_table_page_rcu_cb.count")
	echo "$s: table-page puts: $put direct, $rput RCU-deferred ($cb callbacks)"
	case $s in
	exclusive | rwlock)
		[ "$put" -gt 0 ] && [ "$rput" -eq 0 ] && [ "$cb" -eq 0 ] ||
			fail "$s: table pages not freed as upstream does" ;;
	*)
		[ "$rput" -gt 0 ] || fail "$s: no RCU-deferred table-page put" ;;
	esac
	pass "$s: table pages freed $( [ "$rput" -gt 0 ] && echo 'after a grace period' || echo directly)"

	expect_grep '^0x[0-9a-f]*[1-9a-f][0-9a-f]*$' "$d/$s.mmu_lock.root" "$s: debugfs mmu_lock read by root"
	expect_grep '^0x0$' "$d/$s.mmu_lock.restricted" "$s: debugfs mmu_lock with kptr_restrict=2"
done

# Protected KVM: the lockless strategies are refused.
cat >"$OUT/pkvm.sh" <<'SH'
P=/sys/module/kvm/parameters/stage2_strategy
dmesg | grep -i 'protected nvhe mode' >mode.txt
for s in exclusive rwlock rcu fastpath hypfast; do
	if echo $s >$P 2>/dev/null; then echo "$s accepted"; else echo "$s refused"; fi
done >verdicts.txt
SH
rc=0
launch pkvm -t 300 -a kvm-arm.mode=protected -I "$OUT/pkvm.sh" -- sh pkvm.sh || rc=$?
d=$OUT/pkvm
if [ $rc -ne 0 ] || ! grep -qi 'initiali' "$d/mode.txt" 2>/dev/null; then
	echo "skip: protected KVM did not come up here (launch $rc; $(head -c 200 "$d/mode.txt" 2>/dev/null))"
else
	cat "$d/verdicts.txt"
	for s in exclusive rwlock; do expect_grep "^$s accepted$" "$d/verdicts.txt" "pKVM: $s"; done
	for s in rcu fastpath hypfast; do expect_grep "^$s refused$" "$d/verdicts.txt" "pKVM: $s"; done
fi
