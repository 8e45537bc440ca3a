#!/usr/bin/env bash
# bpftrace and perf in the target, from the Debian root file system that
# target/build-rootfs.sh makes (launch -r, s2chroot): bpf/s2faults.bt,
# s2tlbi.bt, s2lock.bt and s2dirty.bt traced around the upstream
# dirty_log_perf_test under the exclusive and fastpath strategies in one
# boot, with perf stat -e 'kvm_s2:*' over each run. Facts: every page
# touched faults once, the fast path shows only under fastpath, dirty
# logging invalidates the TLB (the fast path with no lock held), exclusive
# never waits for read, every dirty-log ioctl is counted, and perf (6.1,
# on the 6.12 kernel) counts what bpftrace counts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ROOTFS=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
[ -x "$ROOTFS/usr/bin/bpftrace" ] || fail "no bpftrace in $ROOTFS"

STRATEGIES="exclusive fastpath"
# 2 vCPUs x 16M of 4K pages: 8192 first-touch faults, then with -i 2 one
# pass under write protection (manual protection with INITIALLY_SET
# protects pages only at the first CLEAR).
PAGES=8192
cat >"$OUT/probe.sh" <<SH
P=/sys/module/kvm/parameters/stage2_strategy
STRATEGIES="$STRATEGIES"
SH
cat >>"$OUT/probe.sh" <<'SH'
s2chroot bpftrace --version >bpftrace.version 2>&1 || exit 1
s2chroot perf --version >perf.version 2>&1 || exit 1
# One tracer of each kind for the whole boot: bpftrace compiles its script
# with LLVM, which takes long under emulation. All keyed by strategy.
pids= tracers=
for t in s2faults s2tlbi s2lock s2dirty; do
	s2chroot bpftrace $t.bt >$t.out 2>$t.err &
	pids="$pids $!" tracers="$tracers $t:$!"
done
start=$(cut -d' ' -f1 /proc/uptime)
for tp in $tracers; do
	t=${tp%:*} n=0
	until grep -q '^Tracing' $t.out 2>/dev/null; do
		kill -0 ${tp#*:} 2>/dev/null || { echo "$t exited:"; cat $t.err; exit 1; }
		n=$((n + 1))
		[ $n -le 600 ] || { echo "$t did not attach in 300 s"; cat $t.err; exit 1; }
		sleep 0.5
	done
done
echo "tracers attached after $(awk -v s=$start '{ print $1 - s }' /proc/uptime) s"
for s in $STRATEGIES; do
	echo $s >$P || exit 1
	s2chroot perf stat -x, -o $s.perf -e 'kvm_s2:*' -- \
		dirty_log_perf_test -m 6 -v 2 -b 16M -i 2 >$s.dlpt.log 2>&1 || exit 1
	echo "$s: $(grep kvm_s2_fault_exit $s.perf)"
done
# Stop each tracer like Ctrl-C (tests/bt-stop.sh: bpftrace 0.17 can miss
# one SIGINT), then its exit status.
for tp in $tracers; do
	t=${tp%:*} p=${tp#*:}
	sh bt-stop.sh $t $p || exit 1
	rc=0; wait $p || rc=$?
	[ $rc -eq 0 ] || { echo "$t exited with status $rc"; cat $t.err; exit 1; }
done
SH
cp "$ROOT"/tests/bt-stop.sh /work/kwork/land/bpf/s2faults.bt /work/kwork/land/bpf/s2tlbi.bt "$ROOT"/bpf/s2lock.bt "$ROOT"/bpf/s2dirty.bt "$OUT/"
expect_status 0 launch probe -r "$ROOTFS" -t 900 \
	-I "$OUT/probe.sh" -I "$OUT/bt-stop.sh" -I "$OUT/s2faults.bt" -I "$OUT/s2tlbi.bt" -I "$OUT/s2lock.bt" -I "$OUT/s2dirty.bt" \
	-- sh probe.sh
d=$OUT/probe
cat "$d/bpftrace.version" "$d/perf.version"
for t in s2faults s2tlbi s2lock s2dirty; do
	echo "== $t"
	cat "$d/$t.out"
done

# sum FILE MAP KEY-PREFIX: the total of a count map's entries whose key
# starts with KEY-PREFIX ("fastpath, permission," etc.).
sum() {
	awk -v m="@$2[$3" 'index($0, m) == 1 { s += $NF } END { print s + 0 }' "$d/$1.out"
}
for s in $STRATEGIES; do
	trans=$(sum s2faults faults "$s, translation,")
	perm=$(sum s2faults faults "$s, permission,")
	fast=$(sum s2faults faults "$s, permission, fast]")
	all=$(sum s2faults faults "$s,")
	hist=$(awk -v m="@usecs[$s," 'index($0, m) == 1 { on = 1; next }
		on && /^\[/ { sub(/ *\|.*/, ""); n += $NF; next } { on = 0 } END { print n + 0 }' "$d/s2faults.out")
	pf=$(awk -F, '$3 == "kvm_s2:kvm_s2_fault_exit" { print $1 }' "$d/$s.perf")
	echo "$s: $all faults ($trans translation, $perm permission, $fast fast), $hist in the histograms, perf stat: ${pf:-none}"
	[ "$trans" -ge $PAGES ] || fail "$s: $trans translation faults for $PAGES pages touched"
	[ "$perm" -ge $PAGES ] || fail "$s: $perm permission faults for a logged pass over $PAGES pages"
	[ "$hist" -eq "$all" ] || fail "$s: the latency histograms hold $hist faults, the counts $all"
	[ -n "$pf" ] && [ "$pf" = "$all" ] ||
		fail "$s: perf stat counted ${pf:-nothing} kvm_s2_fault_exit, s2faults.bt $all"
	pass "$s: fault counts, and perf agrees with bpftrace ($all)"
	for v in 0 1; do
		n=$(sum s2faults vcpu "$s, $v]")
		[ "$n" -gt 0 ] || fail "$s: no faults counted for vCPU $v"
	done
	[ "$(sum s2faults errors "$s,")" -eq 0 ] || fail "$s: faults returned errors"
	case $s in
	fastpath) [ "$fast" -ge $((perm * 9 / 10)) ] || fail "fastpath: only $fast of $perm permission faults were fast" ;;
	*) [ "$(sum s2faults faults "$s, permission, fast]")" -eq 0 ] &&
		[ "$(sum s2faults faults "$s, translation, fast]")" -eq 0 ] ||
		fail "$s: faults took the fast path" ;;
	esac
	pass "$s: fast path $( [ $s = fastpath ] && echo "for $fast of $perm permission faults" || echo never)"

	tlbi=$(sum s2tlbi tlbi "$s,")
	tlbiw=$(awk -v m="@tlbi[$s," 'index($0, m) == 1 && /write-locked\]/ && !/not-write-locked/ { s += $NF } END { print s + 0 }' "$d/s2tlbi.out")
	echo "$s: $tlbi TLBI, $tlbiw with mmu_lock held for write"
	[ "$tlbi" -gt 0 ] || fail "$s: no TLBI counted"
	# Write protection for dirty logging happens under mmu_lock for write.
	[ "$tlbiw" -gt 0 ] || fail "$s: no TLBI under mmu_lock held for write"
	pass "$s: TLBI counted"
	# The write-protection faults relax one entry and invalidate it on this
	# CPU: under exclusive with mmu_lock held for write, on the fast path
	# with no lock at all.
	local_w=$(sum s2tlbi tlbi "$s, ipa_local, write-locked]")
	local_n=$(sum s2tlbi tlbi "$s, ipa_local, not-write-locked]")
	echo "$s: ipa_local TLBI: $local_w write-locked, $local_n not"
	case $s in
	exclusive) [ "$local_n" -eq 0 ] && [ "$local_w" -ge $PAGES ] ||
		fail "exclusive: local TLBIs not all under mmu_lock for write" ;;
	fastpath) [ "$local_w" -eq 0 ] && [ "$local_n" -ge $PAGES ] ||
		fail "fastpath: local TLBIs under mmu_lock for write" ;;
	esac
	pass "$s: mmu_lock state at the local TLBIs"
	vms=$(awk -F, '$3 == "kvm_s2:kvm_s2_vm_init" { print $1 }' "$d/$s.perf")
	[ "${vms:-0}" -ge 1 ] || fail "$s: perf stat counted no kvm_s2_vm_init"

	expect_grep "strategy $s, mmu_lock 0x[0-9a-f]+" "$d/s2lock.out" "$s: s2lock.bt learned the VM's mmu_lock"
done
# Under exclusive every acquisition is for write: no read waits.
if grep -q '^@waits\[exclusive, read\]' "$d/s2lock.out"; then
	fail "exclusive: s2lock.bt saw waits for read"
fi
pass "exclusive: no mmu_lock waits for read"
# s2dirty.bt on arm64: one GET and one CLEAR per iteration per run.
n=$(echo $STRATEGIES | wc -w)
for op in get clear; do
	c=$(sum s2dirty calls "$op,")
	[ "$c" -eq $((2 * n)) ] || fail "s2dirty.bt counted $c KVM_${op^^}_DIRTY_LOG, expected $((2 * n))"
done
pass "s2dirty.bt: $((2 * n)) GET and $((2 * n)) CLEAR"
if grep -Eq '^@(start|write|mmu|vm|op|[a-z]+_name)\[' "$d"/s2*.out; then
	fail "scratch maps printed at exit"
fi
pass "no scratch maps at exit"
