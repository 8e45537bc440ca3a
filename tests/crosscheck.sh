#!/bin/sh
# Run the s2_dirty workload and the upstream dirty_log_perf_test with the
# same parameters, one after the other on the same kernel (in the target:
# in one boot), for tests/crosscheck-report.py. Both in KVM_GET_DIRTY_LOG
# mode, so that every logged pass of both starts write-protected.
#   crosscheck.sh VCPUS BYTES PASSES [STRATEGY...]
# Writes s2_dirty-<strategy>-<round>.json and upstream-<strategy>-<round>.log
# in the current directory, and count-{s2_dirty,upstream}-<strategy>.json
# from one more run of each under s2collect when it is on PATH. POSIX sh:
# it runs under the target's busybox too.
set -e
[ $# -ge 3 ] || { echo "usage: crosscheck.sh VCPUS BYTES PASSES [STRATEGY...]" >&2; exit 2; }
vcpus=$1 bytes=$2 passes=$3
shift 3
# aarch64's default guest mode is 4K pages, 40-bit IPA: mode 6 upstream.
mode=
[ "$(uname -m)" = aarch64 ] && mode="-m 6"
[ $# -gt 0 ] || set -- default
# Two rounds, the tools alternating, so that a transient load on the
# machine falls on both rather than on one.
for s in "$@"; do
	sopt=
	if [ "$s" != default ]; then
		sopt="-S $s"
		echo "$s" >/sys/module/kvm/parameters/stage2_strategy
	fi
	for round in 1 2; do
		echo "crosscheck: $s, round $round: s2_dirty -l get -v $vcpus -b $bytes -i $passes" >&2
		s2_dirty -q -l get -v "$vcpus" -b "$bytes" -i "$passes" $sopt \
			-o "s2_dirty-$s-$round.json" >/dev/null
		echo "crosscheck: $s, round $round: dirty_log_perf_test -g $mode -v $vcpus -b $bytes -i $passes" >&2
		# The selftests load their guest code from argv[0]: give a path.
		"$(command -v dirty_log_perf_test)" -g $mode -v "$vcpus" -b "$bytes" -i "$passes" \
			>"upstream-$s-$round.log" 2>&1
	done
	# Then each once more under the collector (not timed): what the two
	# made KVM do, event by event (faults, TLBIs, dirty-log calls, exits).
	if command -v s2collect >/dev/null; then
		echo "crosscheck: $s: both again under s2collect" >&2
		s2collect -o "count-s2_dirty-$s.json" -- \
			s2_dirty -q -l get -v "$vcpus" -b "$bytes" -i "$passes" $sopt \
			>"count-s2_dirty-$s.log" 2>&1
		s2collect -o "count-upstream-$s.json" -- \
			"$(command -v dirty_log_perf_test)" -g $mode -v "$vcpus" -b "$bytes" -i "$passes" \
			>"count-upstream-$s.log" 2>&1
	fi
done
