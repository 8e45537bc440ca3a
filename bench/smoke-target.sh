# Runs inside the s2perf target (busybox sh): the upstream
# dirty_log_perf_test under each stage-2 strategy in one boot, with the
# kvm_s2 fault tracepoint counted per path by an in-kernel hist trigger.
# Usage: sh smoke-target.sh VCPUS BYTES_PER_VCPU ITERATIONS
set -e
vcpus=${1:-2} bytes=${2:-64M} iters=${3:-4}
EV=/sys/kernel/tracing/events/kvm_s2/kvm_s2_fault_exit
for s in exclusive rwlock rcu fastpath; do
	echo $s >/sys/module/kvm/parameters/stage2_strategy
	echo 'hist:keys=kind,path:vals=hitcount' >$EV/trigger
	echo "== $s: dirty_log_perf_test -m 6 -v $vcpus -b $bytes -i $iters"
	dirty_log_perf_test -m 6 -v "$vcpus" -b "$bytes" -i "$iters" >$s.log 2>&1
	cat $EV/hist >$s.hist
	echo '!hist:keys=kind,path:vals=hitcount' >$EV/trigger
done
kvm_page_table_test -m 6 -v "$vcpus" -b "$bytes" >kvm_page_table_test.log 2>&1
