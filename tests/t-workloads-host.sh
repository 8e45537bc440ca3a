#!/usr/bin/env bash
# The guests/ workloads, built natively, on this machine's own /dev/kvm:
# every workload at a small size, every dirty-log mode, checked from its
# JSON by tests/check-workload.py (pages touched = configured size, every
# page written is in the dirty log, ioctl counts = passes, times positive,
# phases in order). Also: a dropped log entry is caught, what the host
# cannot do is skipped with its reason, bad arguments exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(uname -m)" = x86_64 ] || skip "native workloads are built for x86_64 hosts"
[ -c /dev/kvm ] || skip "no /dev/kvm on this host"

eval "$("$ROOT/run.sh" host 2>"$OUT/build.log" | sed -n 's/^guests: /G=/p')"
[ -x "${G:-}/s2_dirty" ] || { cat "$OUT/build.log"; fail "native build failed"; }
pass "built the native workloads: $G"
CHECK=$ROOT/tests/check-workload.py

# run NAME WANT_STATUS WORKLOAD ARGS...: run, then check its document.
run() {
	local name=$1 want=$2 rc=0
	shift 2
	"$G/$1" -q "${@:2}" -o "$OUT/$name.json" >"$OUT/$name.txt" 2>&1 || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$OUT/$name.txt"; fail "$name: exit $rc, expected $want"; }
	local st=ok
	[ "$want" -eq 4 ] && st=skipped
	[ "$want" -eq 1 ] && st=failed
	"$CHECK" "$OUT/$name.json" --status $st >"$OUT/$name.check" ||
		{ cat "$OUT/$name.check"; fail "$name: $(tail -n 1 "$OUT/$name.check")"; }
	pass "$name: exit $rc, $(grep -c '^ok' "$OUT/$name.check") facts hold"
}

run populate 0 s2_populate -v 2 -b 8M -i 3
run dirty-get 0 s2_dirty -v 2 -b 8M -i 3 -l get
run dirty-clear 0 s2_dirty -v 2 -b 8M -i 3 -l clear
run dirty-ring 0 s2_dirty -v 2 -b 8M -i 3 -l ring
run dirty-random 0 s2_dirty -v 3 -b 4M -i 3 -A random -w 40 -r 7
# A ring far smaller than a pass: the vCPUs stop on a full ring and the
# workload must empty it without losing a page.
run dirty-ring-small 0 s2_dirty -v 2 -b 8M -i 2 -l ring -e 256
full=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["exits"]["dirty_ring_full"]["value"])' "$OUT/dirty-ring-small.json")
[ "$full" -gt 0 ] || fail "a 256-entry ring never filled over 2048-page passes"
pass "the 256-entry ring filled $full times and no page was missed"
run unmap 0 s2_unmap -v 2 -b 8M -i 2
run unmap-mprotect 0 s2_unmap -v 2 -b 8M -i 2 -m mprotect -w 0
if grep -q '\[never\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
	run split 4 s2_split -v 2 -b 8M
else
	run split 0 s2_split -v 2 -b 8M
fi
# -E sets KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, an arm64 capability: here a
# skip that says why (before the backing is looked at).
run split-eager 4 s2_split -v 2 -b 8M -E 2M
expect_grep '"reason": "-E: KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE is an arm64' "$OUT/split-eager.json" "the skip reason"
if [ -e /sys/kernel/mm/page_idle/bitmap ]; then
	run access 0 s2_access -v 2 -b 8M -i 2
else
	run access 4 s2_access -v 2 -b 8M -i 2
	expect_grep 'page_idle/bitmap' "$OUT/access.json" "the skip reason"
fi

# The floor: null hypercall and MMIO round trips; x86 has no fix-up kind,
# so asking for it alone is a skip that says why.
run exit 0 s2_exit -v 2 -i 3 -n 2000
run exit-fixup 4 s2_exit -k fixup -i 1 -n 10
expect_grep '"reason": "fixup: ' "$OUT/exit-fixup.json" "the skip reason"

# The check is real: forget three logged pages, the run must fail.
S2PERF_TEST_DROP_DIRTY=3 run dropped 1 s2_dirty -v 2 -b 4M -i 2 -l get
missed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["dirty"]["pages_missed"]["value"])' "$OUT/dropped.json")
[ "$missed" -eq 3 ] || fail "3 pages dropped from the log, $missed reported missed"
pass "3 pages dropped from the log: run failed, 3 reported missed"

# No s2perf kernel here: asking for a strategy is a skip that says why.
if [ ! -e /sys/module/kvm/parameters/stage2_strategy ]; then
	run strategy 4 s2_dirty -S rwlock
	expect_grep 'stage2_strategy' "$OUT/strategy.json" "the skip reason"
fi

# Without -o the document is on stdout, alone, and parses.
"$G/s2_populate" -q -v 1 -b 4M -i 1 >"$OUT/stdout.json" 2>"$OUT/stdout.err"
"$CHECK" "$OUT/stdout.json" >/dev/null || fail "the JSON on stdout does not check"
pass "without -o the JSON document is alone on stdout"

expect_bad_args "$G/s2_dirty" "-v 0" "-b 12Q" "-S bogus" "-s nope" "-w 101" "-A sideways" "-x" \
	"-l nope" "-e 100"
expect_bad_args "$G/s2_split" "-E 3M" "-E x" "-E -2M" "-E 00" "-E"
expect_bad_args "$G/s2_exit" "-n 0" "-n x" "-k bogus" "-k ," "-i 0"
# (into files first: grep -q leaves at its match, and a workload still
# writing its help would die of SIGPIPE, which pipefail reports as a miss)
for w in s2_exit s2_unmap s2_dirty; do "$G/$w" -h >"$OUT/$w.help" || fail "$w -h exited $?"; done
grep -q -- '-k LIST' "$OUT/s2_exit.help" || fail "s2_exit -h does not list -k"
grep -q -- '-p USEC' "$OUT/s2_unmap.help" || fail "s2_unmap -h does not list -p"
grep -q 'default 4)' "$OUT/s2_dirty.help" || fail "s2_dirty -h does not give its defaults"
if "$G/s2_dirty" -h | grep -- '-E BYTES' >/dev/null; then fail "s2_dirty -h offers -E"; fi
"$G/s2_split" -h | grep -- '-E BYTES' >/dev/null || fail "s2_split -h does not list -E"
pass "-h lists workload options and defaults"
