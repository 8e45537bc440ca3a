#!/bin/sh
# The collector's cost on the workload: s2_dirty alone and under
# s2collect, alternating, REPS times each, on one kernel (in the target: in
# one boot), for bench/overhead-report.py.
#   overhead.sh REPS [STRATEGY]
set -u
reps=${1:-3}
sopt=
[ -n "${2:-}" ] && sopt="-S $2"
r=1
while [ "$r" -le "$reps" ]; do
	echo "overhead: run $r/$reps without probes" >&2
	# shellcheck disable=SC2086
	s2_dirty -q $sopt -o "bare-$r.json" >"bare-$r.txt" 2>&1
	echo "bare $r $?" >>status.txt
	echo "overhead: run $r/$reps under s2collect" >&2
	# shellcheck disable=SC2086
	s2collect -o "coll-$r.json" -- s2_dirty -q $sopt -o "probed-$r.json" >"probed-$r.txt" 2>&1
	echo "probed $r $?" >>status.txt
	r=$((r + 1))
done
