#!/usr/bin/env bash
# s2perf: the one driver. Installs what is missing, builds (or reuses) the
# patched arm64 kernel, the target image and the workloads, and runs them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
S2PERF_TOOL=s2perf
. "$ROOT/target/common.sh"

usage() {
	cat <<USAGE
usage: ./run.sh [COMMAND] [ARGS]

Commands:
  smoke [-p PROFILE] [-n] [-v VCPUS] [-b BYTES] [-i ITERATIONS]
                            (default) build everything, boot the emulated
                            arm64 target, run the upstream dirty_log_perf_test
                            (default -v 2 -b 64M -i 4) under each stage-2
                            strategy in one boot, then kvm_page_table_test;
                            prints a per-strategy summary; everything is
                            kept in results/smoke-<profile>-<time>/
  workloads [-p PROFILE] [-r REPS] [-S STRATEGY] [-H|-T]
                            benchmark: every guests/ workload at its default
                            size REPS times (default 5) on this host's
                            /dev/kvm and in the target; run time and page
                            rate with their spread
  crosscheck [-p PROFILE] [-v VCPUS] [-b BYTES] [-i PASSES] [-H|-T] [STRATEGY...]
                            s2_dirty against the upstream dirty_log_perf_test
                            with the same parameters (default -v 1 -b 32M
                            -i 4), on the host and in one target boot; exits
                            1 when the mean pass times differ by more than 2x
  overhead [-p PROFILE] [-r REPS] [-S STRATEGY] [-H|-T]
                            benchmark: s2_dirty's pass time without and under
                            the s2collect collector, alternating (default 3
                            runs each), and the collector's own cost
  test [TEST...]            run the test suite (all of tests/t-*.sh, or the
                            named ones); ends with "N passed, N failed"
  matrix                    the full correctness matrix: every upstream stage-2
                            selftest and every dirty_log_test log mode under
                            every strategy on the debug kernel (~30 min; the
                            test suite runs a rotating subset)
  deps                      install the Debian packages (root)
  kernel [-f FLAVOUR]       build or reuse the kernel; print its directory
  image [-f FLAVOUR]        build kernel, selftests and initramfs; print paths
  rootfs                    build or reuse the Debian arm64 root file system
                            with bpftrace and perf; print its directory (for
                            target -r DIR, entered with s2chroot)
  host [COMMAND...]         build the native (x86_64) workloads, collector and
                            upstream cross-check tests for this machine's /dev/kvm and
                            run COMMAND with them on PATH (no COMMAND: print
                            where they are)
  target [LAUNCH-OPTS] -- COMMAND...
                            boot the target and run COMMAND there
                            (see target/launch -h for LAUNCH-OPTS)
  help                      this text

Environment: S2PERF_CACHE (build cache, default /var/cache/s2perf),
S2PERF_FLAVOUR (kernel flavour for smoke/target/test: default, debug, kasan).
USAGE
}

# Sets KDIR, STDIR, GDIR and INITRD for flavour $1, building what is missing.
build_all() {
	local flavour=${1:-${S2PERF_FLAVOUR:-default}}
	"$ROOT/target/deps.sh"
	KDIR=$("$ROOT/target/build-kernel.sh" -f "$flavour" | tail -n 1)
	STDIR=$("$ROOT/target/build-selftests.sh" -k "$KDIR" | tail -n 1)
	GDIR=$("$ROOT/target/build-guests.sh" -k "$KDIR" -s "$STDIR" | tail -n 1)
	BDIR=$("$ROOT/target/build-bpf.sh" -k "$KDIR" | tail -n 1)
	INITRD=$("$ROOT/target/build-image.sh" "$STDIR" "$GDIR" "$BDIR" | tail -n 1)
	export KDIR STDIR GDIR BDIR INITRD
}

# Sets HOST_STDIR and HOST_GDIR: the native builds for this machine.
build_host() {
	"$ROOT/target/deps.sh"
	HOST_STDIR=$("$ROOT/target/build-selftests.sh" -a x86_64 | tail -n 1)
	HOST_GDIR=$("$ROOT/target/build-guests.sh" -a x86_64 -s "$HOST_STDIR" | tail -n 1)
	HOST_BDIR=$("$ROOT/target/build-bpf.sh" -a x86_64 | tail -n 1)
	export HOST_STDIR HOST_GDIR HOST_BDIR
}

cmd_host() {
	[ "$(uname -m)" = x86_64 ] || die "host: native builds are for x86_64 (on arm64, use the target's binaries)"
	build_host
	if [ $# -eq 0 ]; then
		printf 'selftests: %s\nguests: %s\nbpf: %s\n' "$HOST_STDIR/kvm" \
			"$HOST_GDIR/guests" "$HOST_BDIR/bpf"
		return 0
	fi
	PATH=$HOST_GDIR/guests:$HOST_STDIR/kvm:$HOST_BDIR/bpf:$PATH exec "$@"
}

new_run_dir() {
	local id
	id=$1-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$ROOT/results/$id"
	echo "$ROOT/results/$id"
}

cmd_smoke() {
	local profile=max nvhe=() vcpus=2 bytes=64M iters=4
	while getopts "p:nv:b:i:h" opt; do
		case $opt in
		p) profile=$OPTARG ;;
		n) nvhe=(-n) ;;
		v) vcpus=$OPTARG ;;
		b) bytes=$OPTARG ;;
		i) iters=$OPTARG ;;
		h) usage; exit 0 ;;
		*) exit 2 ;;
		esac
	done
	[[ $vcpus =~ ^[1-8]$ ]] || { say "-v: vCPUs must be 1..8"; exit 2; }
	[[ $bytes =~ ^[1-9][0-9]*[KMG]$ ]] || { say "-b: size like 64M or 1G"; exit 2; }
	[[ $iters =~ ^[2-9]$|^[1-9][0-9]+$ ]] || { say "-i: at least 2 iterations"; exit 2; }
	build_all
	local run
	run=$(new_run_dir "smoke-$profile")
	say "run directory: $run"
	"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$run" -p "$profile" "${nvhe[@]}" \
		-I "$ROOT/bench/smoke-target.sh" -- sh smoke-target.sh "$vcpus" "$bytes" "$iters"
	"$ROOT/bench/smoke-report.sh" "$run" | tee "$run/summary.txt"
	say "results: $run"
}

# bench_run NAME SCRIPT REPORT [launch opts] -- SCRIPT-ARGS: run a bench/
# script on this host (-H only), in the target (-T only) or both, one run
# directory, a summary from REPORT over each side.
bench_run() {
	local name=$1 script=$2 report=$3 where=$4 profile=$5
	shift 5
	local run rc=0
	run=$(new_run_dir "$name")
	say "run directory: $run"
	if [ "$where" != target ]; then
		if [ "$(uname -m)" = x86_64 ] && [ -c /dev/kvm ]; then
			build_host
			mkdir -p "$run/host"
			(cd "$run/host" && PATH=$HOST_GDIR/guests:$HOST_STDIR/kvm:$HOST_BDIR/bpf:$PATH \
				sh "$ROOT/bench/$script" "$@") || rc=1
		else
			say "no x86_64 /dev/kvm here: host side skipped"
		fi
	fi
	if [ "$where" != host ]; then
		build_all
		"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$run/target-$profile" -p "$profile" \
			-t 3600 -I "$ROOT/bench/$script" -- sh "$script" "$@" || rc=1
	fi
	{
		[ -d "$run/host" ] && { "$ROOT/bench/$report" "$run/host" "host $(uname -m) $(uname -r)" || rc=1; }
		[ -d "$run/target-$profile" ] && { "$ROOT/bench/$report" "$run/target-$profile" \
			"target arm64 $profile (emulated)" || rc=1; }
	} | tee "$run/summary.txt"
	say "results: $run"
	return $rc
}

# Options shared by the benchmarks: -p PROFILE -r REPS -S STRATEGY -H -T.
cmd_bench() {
	local name=$1 script=$2 report=$3 reps=$4
	shift 4
	local profile=max where=both strategy=
	OPTIND=1
	while getopts "p:r:S:HTh" opt; do
		case $opt in
		p) profile=$OPTARG ;;
		r) reps=$OPTARG ;;
		S) strategy=$OPTARG ;;
		H) where=host ;;
		T) where=target ;;
		h) usage; exit 0 ;;
		*) exit 2 ;;
		esac
	done
	[[ $reps =~ ^[1-9][0-9]*$ ]] || die "-r: '$reps' is not a positive count"
	bench_run "$name" "$script" "$report" "$where" "$profile" "$reps" $strategy
}

cmd_crosscheck() {
	local profile=max where=both vcpus=1 bytes=32M passes=4
	OPTIND=1
	while getopts "p:v:b:i:HTh" opt; do
		case $opt in
		p) profile=$OPTARG ;;
		v) vcpus=$OPTARG ;;
		b) bytes=$OPTARG ;;
		i) passes=$OPTARG ;;
		H) where=host ;;
		T) where=target ;;
		h) usage; exit 0 ;;
		*) exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	bench_run crosscheck crosscheck.sh crosscheck-report.py "$where" "$profile" \
		"$vcpus" "$bytes" "$passes" "$@"
}

cmd_test() {
	"$ROOT/target/deps.sh"
	exec "$ROOT/tests/run" "$@"
}

cmd_target() {
	build_all
	exec "$ROOT/target/launch" -k "$KDIR" -i "$INITRD" "$@"
}

cmd=${1:-smoke}
[ $# -gt 0 ] && shift
case $cmd in
smoke) cmd_smoke "$@" ;;
test) cmd_test "$@" ;;
matrix) export S2PERF_MATRIX=full; cmd_test t-selftests-matrix ;;
deps) exec "$ROOT/target/deps.sh" ;;
kernel) "$ROOT/target/deps.sh"; exec "$ROOT/target/build-kernel.sh" "$@" ;;
image)
	flavour=
	while getopts "f:" opt; do case $opt in f) flavour=$OPTARG ;; *) exit 2 ;; esac; done
	build_all "$flavour"
	printf 'kernel: %s\nselftests: %s\ninitramfs: %s\n' "$KDIR" "$STDIR" "$INITRD"
	;;
rootfs) "$ROOT/target/deps.sh"; exec "$ROOT/target/build-rootfs.sh" "$@" ;;
host) cmd_host "$@" ;;
workloads) cmd_bench workloads workloads.sh workloads-report.py 5 "$@" ;;
overhead) cmd_bench overhead overhead.sh overhead-report.py 3 "$@" ;;
crosscheck) cmd_crosscheck "$@" ;;
target) cmd_target "$@" ;;
help | -h | --help) usage ;;
*) say "unknown command '$cmd'"; usage >&2; exit 2 ;;
esac
