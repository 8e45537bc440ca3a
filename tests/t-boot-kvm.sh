#!/usr/bin/env bash
# The target boots on both CPU profiles, in VHE and nVHE mode, with KVM
# working inside: /dev/kvm exists, the kernel log names the mode, the CPU
# model is the profile asked for, and a small dirty_log_perf_test completes.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# Inside: facts written to files in the share, so the host can check them.
probe='set -e
[ -c /dev/kvm ] && echo present >dev-kvm
grep -m1 "CPU part" /proc/cpuinfo >cpu-part
dmesg | grep -i "kvm \[" >kvm.log || true
dirty_log_perf_test -m 6 -v 2 -b 16M -i 2 >dirty_log_perf_test.log 2>&1'

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
		echo "$name: booted, ran, powered off in $(cat "$d/.s2perf/seconds") s"
	done
done
