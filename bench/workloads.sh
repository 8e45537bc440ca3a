#!/bin/sh
# Run every guests/ workload at its default (small) size REPS times, one
# JSON document per run, in the current directory. POSIX sh: runs in the
# target's busybox and on a host. bench/workloads-report.py summarises.
#   workloads.sh REPS [STRATEGY]
set -u
reps=${1:-5}
sopt=
[ -n "${2:-}" ] && sopt="-S $2"
# The framework needs hugetlb pages for nothing here; split uses THP.
for w in populate dirty access unmap split; do
	r=1
	while [ "$r" -le "$reps" ]; do
		echo "workloads: s2_$w run $r/$reps" >&2
		# shellcheck disable=SC2086
		"s2_$w" -q $sopt -o "$w-$r.json" >"$w-$r.txt" 2>&1
		echo "$w $r $?" >>status.txt
		r=$((r + 1))
	done
done
