#!/bin/sh
# perf beside the collector, on the same workload run (in the target, with
# the Debian root file system: launch -r, s2chroot): perf record of the
# lock contention events (what perf lock contention reads; perf lock record
# would take lockdep's events instead on a debug kernel) and perf stat on
# the kvm_s2 tracepoints wrap s2collect, which wraps s2_dirty.
# tests/perfcmp-report.py compares the counts.
#   perfcmp.sh STRATEGY [S2_DIRTY ARGS...]
set -u
s=${1:?usage: perfcmp.sh STRATEGY [S2_DIRTY ARGS...]}
shift
s2chroot perf record -q -e lock:contention_begin -e lock:contention_end -o "lock-$s.data" -- \
	perf stat -x, -o "perf-$s.csv" \
	-e kvm_s2:kvm_s2_fault_exit -e kvm_s2:kvm_s2_tlbi -e kvm_s2:kvm_s2_cmo -- \
	s2collect -o "coll-$s.json" -- \
	s2_dirty -q -S "$s" -o "wl-$s.json" "$@" >"run-$s.txt" 2>&1
echo "$s $?" >>status.txt
s2chroot perf lock contention -i "lock-$s.data" -E 100000 \
	-F contended,wait_total,wait_max,wait_min,avg_wait >"lock-$s.txt" 2>&1
