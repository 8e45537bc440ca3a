#!/usr/bin/env bash
# The target boots on both CPU profiles, in VHE and nVHE mode, with KVM
# working inside: /dev/kvm exists, the kernel log names the mode, the CPU
# model is the profile asked for, and a small dirty_log_perf_test completes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Inside: facts written to files in the share, so the host can check them.
# The kvm_s2 TLBI and CMO events are counted per kind by hist triggers.
probe='set -e
[ -c /dev/kvm ] && echo present >dev-kvm
grep -m1 "CPU part" /proc/cpuinfo >cpu-part
dmesg | grep -i "kvm \[" >kvm.log || true
EV=/sys/kernel/tracing/events/kvm_s2
echo "hist:keys=kind:vals=hitcount" >$EV/kvm_s2_tlbi/trigger
echo "hist:keys=kind:vals=hitcount" >$EV/kvm_s2_cmo/trigger
dirty_log_perf_test -m 6 -v 2 -b 16M -i 2 >dirty_log_perf_test.log 2>&1
cat $EV/kvm_s2_tlbi/hist >tlbi.hist
cat $EV/kvm_s2_cmo/hist >cmo.hist'

for profile in max neoverse-n1; do
	for mode in vhe nvhe; do
		name=$profile-$mode
		opts=(-p "$profile")
		[ $mode = nvhe ] && opts+=(-n)
		expect_status 0 launch "$name" "${opts[@]}" -- sh -c "$probe"
		d=$OUT/$name
		expect_grep '^present$' "$d/dev-kvm" "$name: /dev/kvm"
		if [ $mode = vhe ]; then
			expect_grep 'kvm \[[0-9]+\]: VHE mode initialized successfully' "$d/console.log" "$name: kernel log"
		else
			expect_grep 'kvm \[[0-9]+\]: Hyp nVHE mode initialized successfully' "$d/console.log" "$name: kernel log"
		fi
		# The Neoverse-N1 main ID register part number is 0xd0c; QEMU's
		# max CPU reports its own (0x051).
		if [ $profile = neoverse-n1 ]; then
			expect_grep 'CPU part[[:space:]]*: 0xd0c' "$d/cpu-part" "$name: CPU model"
		else
			grep -q '0xd0c' "$d/cpu-part" && fail "$name: max profile reports a Neoverse-N1 part"
			pass "$name: CPU part $(cut -d: -f2 "$d/cpu-part")"
		fi
		log=$d/dirty_log_perf_test.log
		expect_grep 'Iteration 2 dirty memory time: [0-9]+\.[0-9]+s' "$log" "$name: dirty memory time"
		expect_grep 'Iteration 2 get dirty log time: [0-9]+\.[0-9]+s' "$log" "$name: get dirty log time"
		expect_grep 'Populate memory time: [0-9]+\.[0-9]+s' "$log" "$name: populate time"
		# The profiles differ where the design says they do, and the
		# events fire in nVHE too (emitted by the host before the hypercall).
		tlbi() { awk -v k="$1" '/hitcount:/ && $3 == k { print $NF }' "$d/tlbi.hist"; }
		cmo() { awk -v k="$1" '/hitcount:/ && $3 == k { print $NF }' "$d/cmo.hist"; }
		vmid=$(tlbi 0) ipa=$(tlbi 1) range=$(tlbi 3) dc=$(cmo 0)
		echo "$name: TLBI vmid=${vmid:-0} ipa=${ipa:-0} range=${range:-0}; D-cache CMOs ${dc:-0}"
		[ "${vmid:-0}${ipa:-0}${range:-0}" != 000 ] || fail "$name: no kvm_s2_tlbi event"
		if [ $profile = neoverse-n1 ]; then
			[ -z "$range" ] || fail "$name: range TLBI without FEAT_TLBIRANGE"
			[ "${dc:-0}" -ge 8192 ] || fail "$name: ${dc:-0} D-cache cleans for 8192 first-touch faults without S2FWB"
		else
			[ "${range:-0}" -gt 0 ] || fail "$name: no range TLBI on a CPU with FEAT_TLBIRANGE"
			[ -z "$dc" ] || fail "$name: $dc D-cache cleans with S2FWB"
		fi
		pass "$name: TLBI and CMO events match the CPU profile"
		echo "$name: booted, ran, powered off in $(cat "$d/.s2perf/seconds") s"
	done
done
