#!/usr/bin/env bash
# hypfast (series + 0007) on the debug kernel, VHE, one boot: s2_dirty in
# every log mode (ring small enough to fill) loses no page; the fix-up path
# is taken (kvm_s2_fault_exit path=hyp, counted by a hist trigger in the
# kernel) and every logged write is one permission fault; s2_security_test
# passes; no splat (launch fails the run on one).
# Run with KDIR/INITRD of the hypfast debug image (see run-hypfast-tests.sh).
set -euo pipefail
. "$(dirname "$0")/../../../tests/lib.sh"

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

hits() {
	awk -v p="$1" -v k="$2" '
		/hitcount:/ { gsub(/[{},]/, " ")
			  for (i = 1; i <= NF; i++) {
				  if ($i == "path:") pp = $(i + 1)
				  if ($i == "kind:") kk = $(i + 1)
				  if ($i == "hitcount:") n = $(i + 1) }
			  if ((p < 0 || pp == p) && (k < 0 || kk == k)) s += n }
		END { print s + 0 }' "$3"
}
while read -r name rc; do
	[ "$rc" -eq 0 ] || { cat "$d/$name.txt"; fail "$name exited $rc in the target"; }
	pass "$name exited 0"
done <"$d/status.txt"
for m in get clear ring; do
	read -r written missed ringfull strategy <<<"$(python3 -c '
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
print(sum(find(j, "pages_written")["values"]), find(j, "pages_missed")["value"],
      full["value"] if full and "value" in full else 0, j["strategy"]["in_force"])' "$d/dirty-$m.json" || echo "? ? ? ?")"
	perm=$(hits -1 1 "$d/dirty-$m.hist")
	hyp=$(hits 4 1 "$d/dirty-$m.hist")
	fast=$(hits 1 1 "$d/dirty-$m.hist")
	slow=$(hits 0 1 "$d/dirty-$m.hist")
	echo "$m: written $written, missed $missed, ring-full exits $ringfull; permission faults $perm: hyp $hyp, fast $fast, slow $slow"
	[ "$strategy" = hypfast ] || fail "$m: the VM ran under $strategy"
	[ "$missed" = 0 ] || fail "$m: $missed pages missed"
	# Each fix-up write goes to the log once; a ring-full exit costs one
	# more fault: the slow path pushes the page, userspace harvests and
	# resets (write-protecting it again) before the guest retries.
	[ "$hyp" -eq "$written" ] || fail "$m: $hyp faults in the fix-up for $written pages written"
	[ "$perm" -eq $((written + ringfull)) ] ||
		fail "$m: $perm permission faults for $written writes and $ringfull ring-full exits"
	pass "$m: one fix-up fault per logged write ($written), $ringfull more for ring-full exits"
	[ "$hyp" -ge $((perm * 9 / 10)) ] || fail "$m: only $hyp of $perm permission faults in the fix-up"
	pass "$m: no page missed, $hyp of $perm permission faults resolved in the fix-up"
done
