#!/usr/bin/env bash
# Upstream dirty_log_test in every log mode under hypfast (debug kernel,
# VHE, one boot): its vCPU writes while the host harvests; it fails on any
# page written and not reported. The path=hyp count shows the fix-up took
# the faults. Each mode is capped at 190 s so the boot stays under 10 min.
set -euo pipefail
. "$(dirname "$0")/../../../tests/lib.sh"

cat >"$OUT/dlt.sh" <<'SH'
T=/sys/kernel/tracing
EV=$T/events/kvm_s2
[ -e $T/events ] || mount -t tracefs nodev $T
echo hypfast >/sys/module/kvm/parameters/stage2_strategy || exit 1
: >results.txt
for m in dirty-log clear-log dirty-ring; do
	echo 'hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
	start=$(cut -d' ' -f1 /proc/uptime)
	timeout 190 dirty_log_test -m 6 -M $m -i 3 >dlt-$m.log 2>&1
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	cat $EV/kvm_s2_fault_exit/hist >dlt-$m.hist
	echo '!hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
	echo "$m $rc $start $end" >>results.txt
done
SH
expect_status 0 launch dlt -t 600 -I "$OUT/dlt.sh" -- sh dlt.sh
d=$OUT/dlt
hits() {
	awk -v p="$1" -v k="$2" '
		/hitcount:/ { gsub(/[{},]/, " ")
			  for (i = 1; i <= NF; i++) {
				  if ($i == "path:") pp = $(i + 1)
				  if ($i == "kind:") kk = $(i + 1)
				  if ($i == "hitcount:") n = $(i + 1) }
			  if ((p < 0 || pp == p) && (k < 0 || kk == k)) s += n }
		END { print s + 0 }' "$3"
}
while read -r m rc start end; do
	secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
	echo "$m: status $rc, ${secs}s; permission faults $(hits -1 1 "$d/dlt-$m.hist"): hyp $(hits 4 1 "$d/dlt-$m.hist"), fast $(hits 1 1 "$d/dlt-$m.hist"), slow $(hits 0 1 "$d/dlt-$m.hist")"
	[ "$rc" -eq 0 ] || { tail -n 20 "$d/dlt-$m.log"; fail "dirty_log_test -M $m under hypfast: status $rc"; }
	pass "dirty_log_test -M $m under hypfast"
done <"$d/results.txt"
