#!/usr/bin/env bash
# The hwdbm strategy (kernel-patches/0008) on the debug kernel: dirty
# logging by the hardware (FEAT_HAFDBS: stage-2 DBM, VTCR_EL2.HD), which
# QEMU's max CPU implements in its stage-2 walk.
# VHE, one boot: s2_dirty with the bitmap (get, clear) takes no
# permission fault at all (stats and kvm_s2_fault_exit events agree),
# loses no page, and its harvests clean at least one dirty leaf per page
# written (kvm_stats s2_dbm_*); the VM says hd=1. With a dirty ring the
# VM logs with write-protection faults (hd=0, no harvest walk), loses no
# page, and the kernel says so once. THP backing: blocks are only
# write-protected, so at most one fault per 2M block (its split), no page
# lost. s2_security_test passes. kvm.stage2_hw_access=N (s2_access -a off)
# gives the VM ha=0 and access-flag faults on the vCPUs, =Y ha=1 and none.
# nVHE, one boot: HD is in the VM's VTCR there too: no permission fault,
# no page lost. The launcher fails a boot on any kernel report.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grep -q '^CONFIG_PROVE_RCU=y' "$KDIR/config" || skip "needs the debug kernel"

{ fault_hist_sh; cat <<'SH'
# dirty NAME ARGS...: s2_dirty with its faults counted
dirty() {
	name=$1; shift
	hist_run $name s2_dirty -S hwdbm -v 2 -b 8M -i 4 -q -o $name.json "$@"
}
: >status.txt
for m in get clear; do
	dirty dirty-$m -l $m
done
dirty dirty-ring -l ring -e 256
dirty dirty-thp -l get -s anonymous_thp
echo hwdbm >$P
s2_security_test >security.txt 2>&1
echo "security $?" >>status.txt
for a in off on; do
	s2_access -S hwdbm -v 2 -b 8M -i 2 -a $a -q -o access-$a.json >access-$a.txt 2>&1
	echo "access-$a $?" >>status.txt
done
dmesg >dmesg.txt
SH
} >"$OUT/h.sh"

# facts FILE: written missed strategy perm(stats) harvests scanned dirty ha hd
facts() {
	python3 - "$1" <<'PY' || echo "? ? ? ? ? ? ? ? ?"
import json, sys
j = json.load(open(sys.argv[1]))
vm, vc = j["kvm_stats"]["vm"], j["kvm_stats"]["vcpu"]
h = j.get("hafdbs", {})
d = j.get("dirty", {})
print(sum(d["pages_written"]["values"]), d["pages_missed"]["value"],
      j["strategy"]["in_force"], vc["s2_fault_permission"]["value"],
      vm["s2_dbm_harvests"]["value"], vm["s2_dbm_scanned"]["value"],
      vm["s2_dbm_dirty"]["value"], h.get("ha", "?"), h.get("hd", "?"))
PY
}

# check-workload.py: the document's own consistency (units, n, no 0 for
# an unavailable metric), every run
checked() {
	"$ROOT/tests/check-workload.py" "$1" >"$1.check" || { cat "$1.check"; fail "$2: $(tail -n 1 "$1.check")"; }
}

expect_status 0 launch h -t 900 -I "$OUT/h.sh" -- sh h.sh
d=$OUT/h
cat "$d/status.txt"
while read -r name rc; do
	[ "$rc" -eq 0 ] || { cat "$d/$name.txt"; fail "$name exited $rc in the target"; }
	pass "$name exited 0"
done <"$d/status.txt"

for m in get clear; do
	checked "$d/dirty-$m.json" "$m"
	read -r written missed strategy kperm harvests scanned dbm ha hd <<<"$(facts "$d/dirty-$m.json")"
	perm=$(hits -1 1 "$d/dirty-$m.hist")
	drop=$(hist_dropped "$d/dirty-$m.hist")
	echo "$m: written $written, missed $missed; permission faults: stats $kperm, events $perm (dropped $drop); harvests $harvests, leaves scanned $scanned, found dirty $dbm; ha=$ha hd=$hd"
	[ "$strategy" = hwdbm ] || fail "$m: the VM ran under $strategy"
	[ "$hd" = 1 ] || fail "$m: the VM's stage2_hafdbs says hd=$hd"
	[ "$missed" = 0 ] || fail "$m: $missed pages missed"
	[ "$kperm" = 0 ] && [ "$perm" = 0 ] && [ "$drop" = 0 ] ||
		fail "$m: permission faults while logging: stats $kperm, events $perm (dropped $drop)"
	pass "$m: no permission fault on a logged pass (stats and events), no page missed"
	# Every page written is found dirty by a harvest; a page written
	# between a harvest's walk and the re-protection of its word shows
	# once more in the next one, so more is allowed, never fewer.
	[ "$dbm" -ge "$written" ] || fail "$m: harvests found $dbm dirty leaves for $written pages written"
	[ "$harvests" -ge 4 ] && [ "$scanned" -ge "$dbm" ] ||
		fail "$m: $harvests harvests scanned $scanned leaves"
	pass "$m: $harvests harvests scanned $scanned leaves and found the $written pages written ($dbm dirty)"
done

checked "$d/dirty-ring.json" ring
read -r written missed strategy kperm harvests scanned dbm ha hd <<<"$(facts "$d/dirty-ring.json")"
echo "ring: written $written, missed $missed, permission faults $kperm, harvests $harvests, hd=$hd"
[ "$missed" = 0 ] || fail "ring: $missed pages missed"
[ "$hd" = 0 ] && [ "$harvests" = 0 ] || fail "ring: hd=$hd, $harvests harvest walks: the ring needs faults"
[ "$kperm" -ge "$written" ] || fail "ring: $kperm permission faults for $written pages written"
[ "$(grep -c 'stage2_strategy=hwdbm: a VM with a dirty ring logs with write-protection faults' "$d/dmesg.txt")" = 1 ] ||
	fail "ring: the kernel did not say once that the ring VM logs with faults"
pass "ring: logged with write-protection faults ($kperm), hd=0, no page missed; said once"

checked "$d/dirty-thp.json" thp
read -r written missed strategy kperm harvests scanned dbm ha hd <<<"$(facts "$d/dirty-thp.json")"
blocks=$((2 * 8 / 2))
echo "thp: written $written, missed $missed, permission faults $kperm, found dirty $dbm"
[ "$missed" = 0 ] || fail "thp: $missed pages missed"
# One fault per block written to (the write that splits it); none would
# mean the target gave no huge page, and the test proves nothing.
[ "$kperm" -ge 1 ] && [ "$kperm" -le "$blocks" ] ||
	fail "thp: $kperm permission faults for $blocks 2M blocks"
[ "$dbm" -ge "$written" ] || fail "thp: harvests found $dbm dirty leaves for $written pages written"
pass "thp: at most one permission fault per block ($kperm <= $blocks), no page missed"

expect_grep '^# VM strategy: hwdbm$' "$d/security.txt" "s2_security_test's VM strategy"

for a in off on; do checked "$d/access-$a.json" "access -a $a"; done
read -r ha_off af_off ha_on af_on <<<"$(python3 - "$d/access-off.json" "$d/access-on.json" <<'PY'
import json, sys
r = []
for f in sys.argv[1:]:
    j = json.load(open(f))
    r += [j["hafdbs"].get("ha", "?"), j["kvm_stats"]["vcpu"]["s2_fault_access"]["value"]]
print(*r)
PY
)"
echo "aging: -a off: ha=$ha_off, $af_off access-flag faults; -a on: ha=$ha_on, $af_on"
[ "$ha_off" = 0 ] && [ "$af_off" -gt 0 ] || fail "-a off: ha=$ha_off and $af_off access-flag faults"
[ "$ha_on" = 1 ] && [ "$af_on" = 0 ] || fail "-a on: ha=$ha_on and $af_on access-flag faults"
pass "kvm.stage2_hw_access: off gives the VM ha=0 and $af_off access-flag faults, on ha=1 and none"

# ---- nVHE ----
{ fault_hist_sh; cat <<'SH'
hist_run dirty s2_dirty -S hwdbm -v 2 -b 8M -i 3 -l clear -q -o dirty.json
dmesg >dmesg.txt
SH
} >"$OUT/n.sh"
expect_status 0 launch n -n -t 600 -I "$OUT/n.sh" -- sh n.sh
d=$OUT/n
grep -q '^dirty 0$' "$d/status.txt" || { cat "$d/dirty.txt"; fail "nVHE: s2_dirty failed under hwdbm"; }
checked "$d/dirty.json" nVHE
read -r written missed strategy kperm harvests scanned dbm ha hd <<<"$(facts "$d/dirty.json")"
perm=$(hits -1 1 "$d/dirty.hist")
echo "nVHE: written $written, missed $missed, permission faults stats $kperm events $perm, found dirty $dbm, hd=$hd"
[ "$missed" = 0 ] && [ "$hd" = 1 ] && [ "$kperm" = 0 ] && [ "$perm" = 0 ] && [ "$dbm" -ge "$written" ] ||
	fail "nVHE: missed $missed, hd=$hd, permission faults $kperm/$perm, dirty $dbm of $written"
pass "nVHE: hd=1, no permission fault, no page missed"
