#!/usr/bin/env bash
# bpf/s2dirty.bt on this machine's own KVM (the host target's case): around
# the upstream x86_64 dirty_log_perf_test it must count exactly the
# KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG ioctls the test issues (one of
# each per memslot per iteration; no CLEAR with -g), time each of them, and
# with a PID argument see that process only.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (the upstream x86 selftest)"
[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
command -v bpftrace >/dev/null || skip "bpftrace is not installed (target/deps.sh)"
# A fresh machine may not have tracefs mounted although its kernel has
# syscall tracepoints: mount it, as the collector does, and skip only for
# what the kernel really lacks.
ensure_tracefs
[ -d /sys/kernel/tracing/events/syscalls/sys_enter_ioctl ] ||
	skip "this kernel has no syscall tracepoints ($(uname -r): no events/syscalls/sys_enter_ioctl in tracefs)"

bin=$("$ROOT/target/build-selftests.sh" -a x86_64 | tail -n 1)
DLPT=$bin/kvm/dirty_log_perf_test
[ -x "$DLPT" ] || fail "no dirty_log_perf_test in $bin"
"$DLPT" -h >/dev/null 2>&1 || true

# tracer NAME [PID]: start s2dirty.bt in the background, wait until its
# probes are attached (the BEGIN banner), set $tracer to its PID.
tracer() {
	local name=$1; shift
	bpftrace "$ROOT/bpf/s2dirty.bt" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
	tracer=$!
	local i
	for i in $(seq 1 300); do
		grep -q '^Tracing' "$OUT/$name.out" 2>/dev/null && return 0
		kill -0 $tracer 2>/dev/null || { cat "$OUT/$name.err"; fail "bpftrace $name exited early"; }
		sleep 0.1
	done
	kill -INT $tracer; fail "bpftrace $name did not attach within 30 s"
}
# stop: end the tracer like Ctrl-C does, so END runs and the maps print.
stop() {
	sh "$ROOT/tests/bt-stop.sh" s2dirty.bt $tracer || fail "bpftrace did not end on SIGINT"
	wait $tracer || fail "bpftrace exited with status $?"
}
# value NAME MAP OP PID: a map's value for [OP, PID, ...], empty when absent.
value() {
	awk -v m="@$2[$3," -v p=" $4," 'index($0, m) == 1 && index($0, p) { print $NF; exit }' "$OUT/$1.out"
}
# run NAME ARGS...: the selftest in the background; its PID in $runpid.
run() {
	local name=$1; shift
	"$DLPT" "$@" >"$OUT/$name.log" 2>&1 &
	runpid=$!
}

# All processes: two runs with known ioctl counts.
tracer all
run manual -v 1 -b 16M -i 3 -x 2
p1=$runpid
wait $p1 || fail "dirty_log_perf_test -i 3 -x 2 failed (see $OUT/manual.log)"
run legacy -v 2 -b 8M -i 4 -g
p2=$runpid
wait $p2 || fail "dirty_log_perf_test -i 4 -g failed (see $OUT/legacy.log)"
stop
cat "$OUT/all.out"
expect_grep 'Clear dirty log over 3 iterations' "$OUT/manual.log" "the -i 3 run's report"

check() { # check NAME MAP OP PID WANT
	local got
	got=$(value "$1" "$2" "$3" "$4")
	[ "${got:-absent}" = "$5" ] || fail "$1: @$2[$3, $4] is ${got:-absent}, expected $5"
	pass "$1: @$2[$3, $4] = $5"
}
# 3 iterations x 2 memslots, manual protection: 6 GET and 6 CLEAR.
check all calls get $p1 6
check all calls clear $p1 6
check all errors get $p1 0
check all errors clear $p1 0
# -g: no manual protection, so GET re-protects and CLEAR is never called.
check all calls get $p2 4
check all calls clear $p2 absent
for k in "get $p1" "clear $p1" "get $p2"; do
	ns=$(value all total_ns $k)
	[ "${ns:-0}" -gt 0 ] || fail "all: @total_ns[$k] is ${ns:-absent}"
done
pass "every ioctl kind has a time"
# The histogram holds as many samples as there were calls.
hsum=$(awk -v h="@usecs[get, $p1," 'index($0, h) == 1 { on = 1; next }
	on && /^\[/ { sub(/ *\|.*/, ""); s += $NF } on && !/^\[/ { on = 0 } END { print s + 0 }' "$OUT/all.out")
[ "$hsum" -eq 6 ] || fail "all: @usecs[get, $p1] holds $hsum samples, expected 6"
pass "all: @usecs[get, $p1] holds 6 samples"

# PID filter: the traced run starts only once the tracer is attached
# (through a FIFO); another run at the same time must not be counted.
mkfifo "$OUT/gate"
( read -r _ <"$OUT/gate"; exec "$DLPT" -v 1 -b 8M -i 2 ) >"$OUT/filtered.log" 2>&1 &
p3=$!
tracer pid "$p3"
expect_grep "PID $p3" "$OUT/pid.out" "the banner with a PID"
run other -v 1 -b 8M -i 5
p4=$runpid
echo go >"$OUT/gate"
wait $p3 || fail "the filtered run failed (see $OUT/filtered.log)"
wait $p4 || fail "the concurrent run failed (see $OUT/other.log)"
stop
cat "$OUT/pid.out"
check pid calls get $p3 2
check pid calls clear $p3 2
check pid calls get $p4 absent
n=$(grep -c '^@calls\[' "$OUT/pid.out" || true)
[ "$n" -eq 2 ] || fail "pid: $n @calls entries, expected 2 (GET and CLEAR of PID $p3)"
pass "with a PID, only that process is traced"
# END clears the scratch maps: only results print.
if grep -Eq '^@(start|op|[a-z]+_name)\[' "$OUT/all.out" "$OUT/pid.out"; then
	fail "scratch maps printed at exit"
fi
pass "no scratch maps at exit"
