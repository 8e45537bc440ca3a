#!/usr/bin/env bash
# Summarise a smoke run directory (bench/smoke-target.sh output): per
# strategy, dirty-memory and get-dirty-log time per logged pass (mean,
# min-max, n) and the share of write-protection faults that took the
# fast path. Absolute times are emulated: compare strategies, not hosts.
set -euo pipefail
dir=${1:?usage: bench/smoke-report.sh RUN_DIR}

# mean, min, max and count of the values (seconds) on stdin, times $1
# (1000: ms, 1000000: us).
stats() {
	awk -v scale="$1" '{ v = $1 * scale; s += v; n++; if (n == 1 || v < lo) lo = v; if (n == 1 || v > hi) hi = v }
	     END { if (n) printf "%9.1f %9.1f-%-9.1f %3d", s / n, lo, hi, n; else printf "%9s %19s %3d", "n/a", "", 0 }'
}

printf '%-10s %9s %19s %3s   %9s %19s %3s   %s\n' strategy "dirty ms" "min-max" n "getlog us" "min-max" n "fast WP faults"
for s in exclusive rwlock rcu fastpath; do
	log=$dir/$s.log
	[ -f "$log" ] || continue
	# Iteration 1 only re-dirties what populate left writable; the logged
	# passes start at iteration 2.
	dirty=$(sed -n 's/^Iteration \([0-9]*\) dirty memory time: \([0-9.]*\)s$/\1 \2/p' "$log" |
		awk '$1 >= 2 { print $2 }' | stats 1000)
	getlog=$(sed -n 's/^Iteration \([0-9]*\) get dirty log time: \([0-9.]*\)s$/\1 \2/p' "$log" |
		awk '$1 >= 2 { print $2 }' | stats 1000000)
	fast=n/a
	if [ -f "$dir/$s.hist" ]; then
		fast=$(awk '/hitcount:/ { gsub(/[{},]/, " ")
			for (i = 1; i <= NF; i++) { if ($i == "kind:") k = $(i + 1); if ($i == "path:") p = $(i + 1); if ($i == "hitcount:") n = $(i + 1) }
			if (k == 1) { perm += n; if (p == 1) f += n } }
			END { if (perm) printf "%.1f%% of %d", 100 * f / perm, perm; else print "n/a (no permission faults)" }' "$dir/$s.hist")
	fi
	printf '%-10s %s   %s   %s\n' "$s" "$dirty" "$getlog" "$fast"
done
echo "(dirty: emulated ms per logged pass; getlog: emulated us of KVM_GET_DIRTY_LOG per pass; n = passes;"
echo " fast WP faults: share of write-protection faults resolved without mmu_lock)"
