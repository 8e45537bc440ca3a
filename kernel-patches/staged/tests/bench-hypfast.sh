#!/usr/bin/env bash
# Measurement, one boot: s2_dirty dirty passes (2 vCPUs x 32M, -l get,
# 3 passes a run) under rwlock, fastpath and hypfast, interleaved, 10
# repetitions with the order rotated each repetition; s2_exit's round trips
# (null hypercall, fix-up, MMIO, vector) before and after, in the same boot.
# Usage: KDIR=... INITRD=... bench-hypfast.sh [LAUNCH-OPTS]
set -euo pipefail
. "$(dirname "$0")/../../../tests/lib.sh"

cat >"$OUT/b.sh" <<'SH'
P=/sys/module/kvm/parameters/stage2_strategy
T=/sys/kernel/tracing
[ -e $T/events ] || mount -t tracefs nodev $T
: >status.txt
echo rwlock >$P
s2_exit -v 2 -i 5 -n 1000 -q -o exit-0.json >exit-0.txt 2>&1; echo "exit-0 $?" >>status.txt
set -- rwlock fastpath hypfast
for r in 1 2 3 4 5 6 7 8 9 10; do
	for s in "$@"; do
		echo $s >$P || exit 1
		s2_dirty -v 2 -b 32M -i 3 -l get -q -o d-$s-$r.json >d-$s-$r.txt 2>&1
		echo "d-$s-$r $?" >>status.txt
	done
	# rotate the order for the next repetition
	set -- "$2" "$3" "$1"
done
echo hypfast >$P
s2_exit -v 2 -i 5 -n 1000 -q -o exit-1.json >exit-1.txt 2>&1; echo "exit-1 $?" >>status.txt
SH
expect_status 0 launch b -t 600 "$@" -I "$OUT/b.sh" -- sh b.sh
cat "$OUT/b/status.txt"
