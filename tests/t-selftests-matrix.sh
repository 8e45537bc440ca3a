#!/usr/bin/env bash
# Correctness matrix: the upstream KVM selftests that exercise the stage-2
# MMU, under every strategy, on the debug kernel (lockdep, PROVE_RCU,
# DEBUG_ATOMIC_SLEEP, DEBUG_LIST). One boot per strategy, so a kernel
# report is pinned on the strategy that caused it (the launcher fails the
# run on any). dirty_log_test under fastpath is the proof that the lock-free
# path loses no dirty page.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

grep -q '^CONFIG_PROVE_LOCKING=y' "$KDIR/config" ||
	echo "note: $KDIR is not the debug flavour; lock checking is off"

# Small sizes and one guest mode (6: 4K pages, 40-bit IPA): the tests
# otherwise loop over every mode and take many minutes under emulation.
# dirty_log_test (1 GiB of guest memory, 50-170 s a log mode on the debug
# kernel) runs under fastpath, whose lock-free path it proves, in every
# log mode: its vCPU keeps writing while the host harvests, which in the
# clear-log mode means between KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG.
# The other strategies' log modes are proven by s2_dirty's per-page check
# (t-workloads-target) at a fraction of the time.
# hypfast resolves the write-protection faults of the bitmap modes in the
# VHE exit fix-up: dirty_log_test's clear-log mode, whose vCPU writes
# between KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG, is its proof in CI
# (146 s; dirty-log, 155 s, is the full matrix's, and the ring mode has no
# write-protection fault to take; t-hypfast runs s2_dirty in all three).
# hwdbm (0008) harvests the hardware's dirty state instead of taking
# write-protection faults: the clear-log mode, where the vCPU writes between
# the two ioctls, is its proof in CI too (the ring mode has no hardware
# dirty state: hd=0).
# S2PERF_MATRIX=full (./run.sh selftests) runs every log mode under every
# strategy.
declare -A log_modes=(
	[exclusive]="" [rwlock]="" [rcu]="" [fastpath]="dirty-log clear-log dirty-ring"
	[hypfast]="clear-log" [hwdbm]="clear-log")
# The CI subset also leaves out what another strategy already runs on the
# same code: aging under exclusive takes mmu_lock for write as under rwlock,
# and rcu maps memory on rwlock's path, which is upstream's; hypfast ages
# as fastpath does.
declare -A skip=(
	[exclusive]=access_tracking_perf_test [rwlock]=set_memory_region_test
	[rcu]=set_memory_region_test [fastpath]=- [hypfast]=access_tracking_perf_test [hwdbm]=-)
if [ "${S2PERF_MATRIX:-ci}" = full ]; then
	for s in exclusive rwlock rcu fastpath hypfast hwdbm; do
		log_modes[$s]="dirty-log clear-log dirty-ring"
		skip[$s]=-
	done
fi

cat >"$OUT/matrix.sh" <<'SH'
run() {
	name=$1; shift
	start=$(cut -d' ' -f1 /proc/uptime)
	"$@" >"$name.log" 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$name $rc $start $end" >>results.txt
	echo "$name: status $rc"
}
echo "$1" >/sys/module/kvm/parameters/stage2_strategy || exit 1
skip=$2
shift 2
: >results.txt
for m in "$@"; do
	run dirty_log_test-$m dirty_log_test -m 6 -M $m -i 3
done
run kvm_page_table_test kvm_page_table_test -m 6 -v 2 -b 16M
[ "$skip" = access_tracking_perf_test ] ||
	run access_tracking_perf_test access_tracking_perf_test -m 6 -v 2 -b 16M
run memslot_modification_stress_test memslot_modification_stress_test -m 6 -v 2 -b 16M -i 50
[ "$skip" = set_memory_region_test ] || run set_memory_region_test set_memory_region_test
run page_fault_test page_fault_test -m 6
SH

# page_fault_test fails on the unpatched 6.12 kernel too under QEMU 7.2
# TCG (an S1PTW test sees 2 userfaults where it expects 1), so it cannot be
# a pass criterion here; it must fail the same way under every strategy.
pft_baseline=

for s in exclusive rwlock rcu fastpath hypfast hwdbm; do
	modes=${log_modes[$s]}
	expect_status 0 launch "$s" -t 1500 -I "$OUT/matrix.sh" -- sh matrix.sh "$s" "${skip[$s]}" $modes
	d=$OUT/$s
	while read -r name rc start end; do
		secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
		if [ "$name" = page_fault_test ]; then
			sig=$(grep -m1 -E 'Assertion|0x[0-9a-f]+ != ' "$d/$name.log" | tr -s ' ' || true)
			sig="status $rc ${sig}"
			if [ -z "$pft_baseline" ]; then
				pft_baseline=$sig
			elif [ "$sig" != "$pft_baseline" ]; then
				fail "$s: page_fault_test ($sig) differs from the first strategy ($pft_baseline)"
			fi
			echo "$s: page_fault_test: $sig (${secs}s, same under every strategy so far)"
			continue
		fi
		[ "$rc" = 0 ] || { tail -n 15 "$d/$name.log"; fail "$s: $name exited $rc"; }
		pass "$s: $name (${secs}s)"
	done <"$d/results.txt"
	want=$((5 + $(wc -w <<<"$modes")))
	[ "${skip[$s]}" = - ] || want=$((want - 1))
	[ "$(wc -l <"$d/results.txt")" -eq $want ] || fail "$s: not every test ran"
	[ "${skip[$s]}" = - ] || echo "$s: ${skip[$s]} left to the full matrix (./run.sh selftests)"
	# The launcher already failed the run on a report; say it for the log.
	pass "$s: no lockdep, RCU, atomic-sleep, list or BUG/WARN report"
done
