# Helpers for tests/t-*.sh. Each check prints what it found; the first
# failing one ends the test with a message that says what was expected.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${KDIR:?run through tests/run}" "${INITRD:?run through tests/run}"
OUT=${S2PERF_TEST_OUT:-/tmp}/$(basename "$0" .sh)
rm -rf "$OUT"; mkdir -p "$OUT"

fail() { echo "FAIL: $*"; exit 1; }
pass() { echo "ok: $*"; }
skip() { echo "$*"; exit 77; }

# build_s2bench: s2bench for this test (S2B is the binary, "built" its
# pass line). Under tests/run the tests share one build per suite run
# ($S2PERF_TEST_OUT/s2bench: make only checks it after the first); alone,
# a test builds its own in $OUT.
build_s2bench() {
	local dir=$OUT/s2bench
	[ -z "${S2PERF_TEST_OUT:-}" ] || dir=$S2PERF_TEST_OUT/s2bench
	make -s -C "$ROOT/bench" O="$dir" >"$OUT/s2bench-build.log" 2>&1 ||
		{ tail -n 20 "$OUT/s2bench-build.log"; fail "s2bench does not build (make -C bench)"; }
	S2B=$dir/s2bench
	pass "built $S2B"
}

# expect_status WANT CMD...: run CMD, its status must be WANT.
expect_status() {
	local want=$1; shift
	local rc=0
	"$@" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want"
	pass "'$*' exited $rc"
}

# expect_exit NAME WANT CMD...: run CMD in the current directory, stdout
# to NAME.out and stderr to NAME.err; its status must be WANT (else the
# end of NAME.err and the command).
expect_exit() {
	local name=$1 want=$2 rc=0
	shift 2
	"$@" >"$name.out" 2>"$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || { tail -n 20 "$name.err"; fail "$name: '$*' exited $rc, expected $want"; }
	pass "$name: exit $rc"
}

# need_stage2_stats: skip on a kernel without the series' binary stats.
need_stage2_stats() {
	grep -q 's2_fault_hist' "$KDIR/vmlinux" 2>/dev/null ||
		skip "the kernel has no stage-2 binary stats (series without them)"
}

# rootfs_with TOOL: ROOTFS, the root file system (target/build-rootfs.sh),
# which must have /usr/bin/TOOL.
rootfs_with() {
	ROOTFS=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
	[ -x "$ROOTFS/usr/bin/$1" ] || fail "no $1 in $ROOTFS (target/build-rootfs.sh PKGS)"
}

# expect_bad_args PROG ARGS...: each ARGS (words split on spaces) makes
# PROG exit 2 with one line on stderr and nothing on stdout, the promise
# of every s2perf program for bad arguments.
expect_bad_args() {
	local prog=$1 bad rc
	shift
	for bad in "$@"; do
		rc=0
		# shellcheck disable=SC2086
		"$prog" $bad >"$OUT/bad.out" 2>"$OUT/bad.err" || rc=$?
		[ "$rc" -eq 2 ] || fail "${prog##*/} $bad: exit $rc, expected 2"
		[ "$(wc -l <"$OUT/bad.err")" -eq 1 ] || fail "${prog##*/} $bad: not a one-line error"
		[ ! -s "$OUT/bad.out" ] || fail "${prog##*/} $bad: wrote to stdout"
		pass "${prog##*/} $bad: exit 2, $(cat "$OUT/bad.err")"
	done
}

# interrupt_when PID TRIES LOG CMD...: run CMD every 0.5 s, at most TRIES
# times, until it succeeds or PID (a driver started in the background) has
# ended; then interrupt PID (SIGTERM) and wait for it: it must exit 130,
# else the end of LOG (its output) and a failure.
interrupt_when() {
	local pid=$1 tries=$2 log=$3 rc=0
	shift 3
	for _ in $(seq "$tries"); do
		"$@" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" || rc=$?
	[ $rc -eq 130 ] || { tail -n 20 "$log"; fail "interrupted run-plan exited $rc, expected 130 (did it finish before the interrupt?)"; }
}

# expect_grep PATTERN FILE [WHAT]
expect_grep() {
	grep -Eq -- "$1" "$2" || fail "${3:-$2} does not match /$1/"
	pass "${3:-$2} matches /$1/"
}

# launch NAME [LAUNCH-OPTS] -- CMD: boot the target, run dir $OUT/NAME.
launch() {
	local name=$1; shift
	"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$OUT/$name" "$@"
}

# ensure_tracefs: mount tracefs at /sys/kernel/tracing if the kernel has it
# and nothing is mounted there yet (a fresh machine, or a container without
# systemd's mounts). Fails only if the kernel offers tracefs and the mount
# does not work.
ensure_tracefs() {
	[ -e /sys/kernel/tracing/events ] && return 0
	grep -qw tracefs /proc/filesystems || return 0
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
		fail "the kernel has tracefs but mounting it at /sys/kernel/tracing failed"
	pass "mounted tracefs at /sys/kernel/tracing"
}

# fault_hist_sh: the head of a script for the target (launch -I) that
# counts the kvm_s2_fault_exit events by path and kind in the kernel (a hist
# trigger, which hits and hist_dropped read): T (tracefs, mounted if need
# be), EV (the kvm_s2 events), P (the strategy parameter); hist_on starts a
# count, hist_off NAME saves it in NAME.hist and removes the trigger;
# hist_run NAME CMD... runs CMD between the two (its output in NAME.txt,
# "NAME STATUS" appended to status.txt). The test's own lines follow:
# { fault_hist_sh; cat <<'SH' ... SH } >"$OUT/x.sh".
fault_hist_sh() {
	cat <<'SH'
T=/sys/kernel/tracing
EV=$T/events/kvm_s2
P=/sys/module/kvm/parameters/stage2_strategy
[ -e $T/events ] || mount -t tracefs nodev $T
hist_on() {
	echo 'hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
}
hist_off() {
	cat $EV/kvm_s2_fault_exit/hist >$1.hist
	echo '!hist:keys=path,kind:vals=hitcount' >$EV/kvm_s2_fault_exit/trigger
}
hist_run() {
	name=$1; shift
	hist_on
	"$@" >$name.txt 2>&1
	echo "$name $?" >>status.txt
	hist_off $name
}
SH
}

# hits PATH KIND HIST: the kvm_s2_fault_exit count of a hist trigger dump
# (keys path,kind) for that path and kind, -1 meaning any.
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

# Events a hist dump (FILE) did not count ("Dropped: N"): the kernel's
# tracing_map drops an event when CPUs race to insert the same new key,
# so a hist's counts are exact only when this is 0.
hist_dropped() {
	awk '/Dropped:/ { n += $2 } END { print n + 0 }' "$1"
}
