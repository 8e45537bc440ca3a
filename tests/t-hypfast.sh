#!/usr/bin/env bash
# The hypfast strategy (kernel-patches/0007) on the debug kernel. VHE, one
# boot: s2_dirty in every log mode (ring small enough to fill) loses no
# page; every logged write is one write-protection fault resolved in the
# exit fix-up (kvm_s2_fault_exit path=hyp, counted by a hist trigger in
# the kernel), a ring-full exit one more on the slow path; s2_security_test
# passes; no splat (launch fails the run on one). nVHE, one boot: there is
# no fix-up handler, so the VM runs as fastpath, the kernel says so once,
# no page is lost and no fault takes path hyp.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grep -q '^CONFIG_PROVE_RCU=y' "$KDIR/config" || skip "needs the debug kernel"

cat >"$OUT/h.sh" <<'SH'
T=/sys/kernel/tracing
EV=$T/events/kvm_s2
P=/sys/module/kvm/parameters/stage2_strategy
[ -e $T/events ] || mount -t tracefs nodev $T
echo hypfast >$P || exit 1
cat $P >param.after
: >status.txt
for m in get clear ring; do
	extra=
	[ $m = ring ] && extra="-e 256"
	echo 'hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
	s2_dirty -v 2 -b 8M -i 4 -l $m $extra -q -o dirty-$m.json >dirty-$m.txt 2>&1
	echo "dirty-$m $?" >>status.txt
	cat $EV/kvm_s2_fault_exit/hist >dirty-$m.hist
	echo '!hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
done
s2_security_test >security.txt 2>&1
echo "security $?" >>status.txt
dmesg >dmesg.txt
SH
expect_status 0 launch h -t 600 -I "$OUT/h.sh" -- sh h.sh
d=$OUT/h
cat "$d/status.txt"
expect_grep '^hypfast$' "$d/param.after" "the parameter takes hypfast"

expect_grep '^# VM strategy: hypfast$' "$d/security.txt" "s2_security_test's VM strategy"

while read -r name rc; do
	[ "$rc" -eq 0 ] || { cat "$d/$name.txt"; fail "$name exited $rc in the target"; }
	pass "$name exited 0"
done <"$d/status.txt"
for m in get clear ring; do
	read -r written missed ringfull strategy khyp kperm <<<"$(python3 -c '
import json, sys
def find(o, k):
    if isinstance(o, dict):
        if k in o:
            return o[k]
        for v in o.values():
            r = find(v, k)
            if r is not None:
                return r
    return None
j = json.load(open(sys.argv[1]))
full = find(j, "dirty_ring_full")
vs = j["kvm_stats"]["vcpu"]
print(sum(find(j, "pages_written")["values"]), find(j, "pages_missed")["value"],
      full["value"] if full and "value" in full else 0, j["strategy"]["in_force"],
      vs["s2_fault_hyp"]["value"], vs["s2_fault_permission"]["value"])' "$d/dirty-$m.json" || echo "? ? ? ? ? ?")"
	perm=$(hits -1 1 "$d/dirty-$m.hist")
	hyp=$(hits 4 1 "$d/dirty-$m.hist")
	fast=$(hits 1 1 "$d/dirty-$m.hist")
	slow=$(hits 0 1 "$d/dirty-$m.hist")
	drop=$(hist_dropped "$d/dirty-$m.hist")
	echo "$m: written $written, missed $missed, ring-full exits $ringfull; permission faults $perm: hyp $hyp, fast $fast, slow $slow (hist dropped $drop); stats: permission $kperm, hyp $khyp"
	[ "$strategy" = hypfast ] || fail "$m: the VM ran under $strategy"
	[ "$missed" = 0 ] || fail "$m: $missed pages missed"
	# Each fix-up write goes to the log once; a ring-full exit costs one
	# more fault: the slow path pushes the page, userspace harvests and
	# resets (write-protecting it again) before the guest retries. The
	# binary stats are exact; the events' hist may have dropped a few.
	[ "$khyp" -eq "$written" ] || fail "$m: $khyp faults in the fix-up (stats) for $written pages written"
	[ "$kperm" -eq $((written + ringfull)) ] ||
		fail "$m: $kperm permission faults (stats) for $written writes and $ringfull ring-full exits"
	[ "$hyp" -le "$khyp" ] && [ $((hyp + drop)) -ge "$khyp" ] ||
		fail "$m: the events count $hyp fix-up faults (hist dropped $drop), the stats $khyp"
	[ "$perm" -le "$kperm" ] && [ $((perm + drop)) -ge "$kperm" ] ||
		fail "$m: the events count $perm permission faults (hist dropped $drop), the stats $kperm"
	pass "$m: one fix-up fault per logged write ($written), $ringfull more for ring-full exits; the events agree"
	[ "$hyp" -ge $((perm * 9 / 10)) ] || fail "$m: only $hyp of $perm permission faults in the fix-up"
	pass "$m: no page missed, $hyp of $perm permission faults resolved in the fix-up"
done

# ---- nVHE ----
cat >"$OUT/n.sh" <<'SH'
T=/sys/kernel/tracing
EV=$T/events/kvm_s2
[ -e $T/events ] || mount -t tracefs nodev $T
echo 'hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
s2_dirty -v 2 -b 8M -i 3 -l get -S hypfast -q -o dirty.json >dirty.txt 2>&1
echo "dirty $?" >status.txt
cat $EV/kvm_s2_fault_exit/hist >dirty.hist
dmesg >dmesg.txt
SH
expect_status 0 launch n -n -t 600 -I "$OUT/n.sh" -- sh n.sh
d=$OUT/n
grep -q '^dirty 0$' "$d/status.txt" || { cat "$d/dirty.txt"; fail "nVHE: s2_dirty failed under hypfast"; }
"$ROOT/tests/check-workload.py" "$d/dirty.json" >"$d/dirty.check" ||
	{ cat "$d/dirty.check"; fail "nVHE: $(tail -n 1 "$d/dirty.check")"; }
expect_grep 'stage2_strategy=hypfast: nVHE has no fix-up handler' "$d/dmesg.txt" \
	"nVHE: the kernel says hypfast runs as fastpath"
[ "$(grep -c 'stage2_strategy=hypfast: nVHE' "$d/dmesg.txt")" -eq 1 ] || fail "nVHE: said more than once"
perm=$(hits -1 1 "$d/dirty.hist") hyp=$(hits 4 -1 "$d/dirty.hist") fast=$(hits 1 1 "$d/dirty.hist")
echo "nVHE: permission faults $perm: fast $fast, hyp $hyp"
[ "$hyp" -eq 0 ] || fail "nVHE: $hyp faults took the fix-up path"
[ "$fast" -ge $((perm * 9 / 10)) ] || fail "nVHE: only $fast of $perm permission faults on fastpath's path"
pass "nVHE: hypfast runs as fastpath ($fast of $perm permission faults fast, none hyp), no page missed"
