#!/usr/bin/env bash
# hypfast in nVHE (debug kernel, one boot): no fix-up handler there, so
# the VM runs as fastpath and the kernel says so once; s2_dirty loses no
# page and its write-protection faults take fastpath's path (path=fast),
# none path=hyp. Three interleaved fastpath/hypfast runs for comparison.
set -euo pipefail
. "$(dirname "$0")/../../../tests/lib.sh"

cat >"$OUT/n.sh" <<'SH'
T=/sys/kernel/tracing
EV=$T/events/kvm_s2
P=/sys/module/kvm/parameters/stage2_strategy
[ -e $T/events ] || mount -t tracefs nodev $T
: >status.txt
echo hypfast >$P || exit 1
echo 'hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
s2_dirty -v 2 -b 8M -i 3 -l get -q -o dirty.json >dirty.txt 2>&1
echo "dirty $?" >>status.txt
cat $EV/kvm_s2_fault_exit/hist >dirty.hist
echo '!hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
for r in 1 2 3; do
	for s in fastpath hypfast; do
		echo $s >$P
		s2_dirty -v 2 -b 8M -i 3 -l get -q -o d-$s-$r.json >d-$s-$r.txt 2>&1
		echo "d-$s-$r $?" >>status.txt
	done
done
dmesg >dmesg.txt
SH
expect_status 0 launch n -n -t 600 -I "$OUT/n.sh" -- sh n.sh
d=$OUT/n
cat "$d/status.txt"
while read -r name rc; do
	[ "$rc" -eq 0 ] || { cat "$d/$name.txt"; fail "$name exited $rc"; }
done <"$d/status.txt"
grep hitcount "$d/dirty.hist"
expect_grep 'stage2_strategy=hypfast: nVHE has no fix-up handler' "$d/dmesg.txt" "the kernel says hypfast runs as fastpath"
grep -q 'path: *4,' "$d/dirty.hist" && fail "a fault took the fix-up path in nVHE"
pass "no fault took the fix-up path in nVHE"
