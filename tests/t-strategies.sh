#!/usr/bin/env bash
# Each stage-2 strategy is really in force, seen from outside the fault
# handler: lock statistics (/proc/lock_stat on the debug kernel, which
# counts read and write acquisitions of mmu_lock apart), the kvm_s2 fault
# tracepoint (counted in the kernel by a hist trigger), the VM's debugfs
# file and the kvm_s2_vm_init event. hwdbm (0008): in force (debugfs, the
# event) and its VTCR_EL2 bits in debugfs (stage2_hafdbs: hd=1 only under
# hwdbm); its fault paths and locking are for its own test to say.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grep -q '^CONFIG_LOCK_STAT=y' "$KDIR/config" || skip "needs the debug kernel (LOCK_STAT)"

{ fault_hist_sh; cat <<'SH'
echo rcu >$P
if echo bogus >$P 2>bogus.err; then echo accepted >bogus.status; else echo refused >bogus.status; fi
cat $P >bogus.after
echo 1 >$EV/kvm_s2_vm_init/enable
for s in exclusive rwlock rcu fastpath hypfast hwdbm; do
	echo $s >$P || exit 1
	echo >$T/trace
	echo 0 >/proc/lock_stat
	hist_on
	# Two vCPUs populate 16M each, then two dirty-logging passes.
	dirty_log_perf_test -m 6 -v 2 -b 16M -i 3 >$s.dlpt.log 2>&1 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		for f in /sys/kernel/debug/kvm/*/stage2_strategy; do
			[ -f "$f" ] && cat "$f" >$s.debugfs 2>/dev/null &&
				cat "${f%/*}/stage2_hafdbs" >$s.hafdbs 2>/dev/null
		done
		[ -s $s.debugfs ] && break
		sleep 0.05
	done
	wait $pid || exit 1
	grep 'mmu_lock.*:' /proc/lock_stat >$s.lockstat
	hist_off $s
	grep kvm_s2_vm_init $T/trace >$s.vminit
	# Aging: page_idle marking runs the clear_young notifiers.
	echo 0 >/proc/lock_stat
	access_tracking_perf_test -m 6 -v 2 -b 16M >$s.atpt.log 2>&1 || exit 1
	grep 'mmu_lock.*:' /proc/lock_stat >$s.age.lockstat
done
SH
} >"$OUT/probe.sh"
expect_status 0 launch probe -I "$OUT/probe.sh" -- sh probe.sh
d=$OUT/probe

# Acquisitions of mmu_lock in one mode (W or R) from a lock_stat dump. A
# class never taken for read has a single row without the -W/-R suffix.
acq() {
	awk -v mode="$1" '
		$1 ~ /mmu_lock-W:$/ { w = $9 } $1 ~ /mmu_lock-R:$/ { r = $9 }
		$1 ~ /mmu_lock:$/ { plain = $9 }
		END { if (w == "" && r == "") w = plain
		      print (mode == "W" ? w + 0 : r + 0) }' "$2"
}

expect_grep '^refused$' "$d/bogus.status" "an unknown strategy"
expect_grep 'Invalid argument' "$d/bogus.err" "the error for an unknown strategy"
expect_grep '^rcu$' "$d/bogus.after" "the parameter after a refused write"

declare -A age_w
for s in exclusive rwlock rcu fastpath hypfast hwdbm; do
	expect_grep "^$s\$" "$d/$s.debugfs" "$s: VM debugfs stage2_strategy"
	expect_grep "strategy=$s mmu_lock=" "$d/$s.vminit" "$s: kvm_s2_vm_init event"
	expect_grep '^ha=[01] hd=[01]$' "$d/$s.hafdbs" "$s: VM debugfs stage2_hafdbs"
	if [ $s = hwdbm ]; then
		expect_grep ' hd=1$' "$d/$s.hafdbs" "hwdbm: hardware dirty state on"
	else
		expect_grep ' hd=0$' "$d/$s.hafdbs" "$s: no hardware dirty state"
	fi
	W=$(acq W "$d/$s.lockstat") R=$(acq R "$d/$s.lockstat")
	trans=$(hits -1 0 "$d/$s.hist") perm=$(hits -1 1 "$d/$s.hist")
	fast=$(hits 1 -1 "$d/$s.hist") mmio=$(hits 3 -1 "$d/$s.hist") hyp=$(hits 4 -1 "$d/$s.hist")
	# MMIO faults (the guest's ucalls) are emulated without mmu_lock.
	faults=$((trans + perm - mmio))
	echo "$s: $trans translation + $perm permission faults ($mmio MMIO), $fast fast, $hyp in the exit fix-up; mmu_lock acquisitions: $W write, $R read"
	[ "$trans" -ge 8192 ] || fail "$s: $trans translation faults for 2 x 16M of first touch"
	if [ $s = hwdbm ]; then
		[ "$perm" -eq 0 ] || fail "hwdbm: $perm permission faults on logged passes"
		pass "hwdbm in force ($(cat "$d/hwdbm.hafdbs")), no permission fault on its logged passes"
		continue
	fi
	[ "$perm" -ge 8192 ] || fail "$s: $perm permission faults for two logged passes over 2 x 16M"
	case $s in
	exclusive)
		[ "$W" -ge "$faults" ] || fail "exclusive: $W write acquisitions for $faults faults"
		[ "$R" -eq 0 ] || fail "exclusive: $R read acquisitions"
		;;
	*)
		[ "$W" -lt $((faults / 10)) ] || fail "$s: $W write acquisitions for $faults faults"
		;;
	esac
	case $s in
	rwlock | rcu)
		[ "$R" -ge "$faults" ] || fail "$s: $R read acquisitions for $faults faults"
		;;
	fastpath)
		# Permission faults on logged memory skip mmu_lock altogether.
		[ "$fast" -ge $((perm * 9 / 10)) ] || fail "fastpath: only $fast of $perm permission faults were fast"
		[ "$R" -lt "$faults" ] || fail "fastpath: $R read acquisitions for $faults faults"
		;;
	hypfast)
		# VHE: the exit fix-up resolves them before any handler runs;
		# what it gives up on goes to fastpath's handler.
		[ "$hyp" -ge $((perm * 9 / 10)) ] || fail "hypfast: only $hyp of $perm permission faults were resolved in the exit fix-up"
		[ "$R" -lt "$faults" ] || fail "hypfast: $R read acquisitions for $faults faults"
		;;
	esac
	case $s in fastpath | hypfast) ;; *)
		[ "$fast" -eq 0 ] || fail "$s: $fast faults took the fast path" ;;
	esac
	[ $s = hypfast ] || [ "$hyp" -eq 0 ] || fail "$s: $hyp faults took the exit fix-up path"
	pass "$s in force"
	age_w[$s]=$(acq W "$d/$s.age.lockstat")
	echo "$s: aging: mmu_lock write acquisitions: ${age_w[$s]}"
done
# rwlock ages under mmu_lock for write, once per page marked idle;
# rcu, fastpath and hypfast age under RCU only.
[ "${age_w[rwlock]}" -ge 4096 ] || fail "rwlock: aging took mmu_lock for write only ${age_w[rwlock]} times"
for s in rcu fastpath hypfast; do
	[ "${age_w[$s]}" -le $((age_w[rwlock] / 4)) ] ||
		fail "$s: aging took mmu_lock for write ${age_w[$s]} times (rwlock: ${age_w[rwlock]})"
done
pass "aging is lockless under rcu, fastpath and hypfast"
