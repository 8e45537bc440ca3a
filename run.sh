#!/usr/bin/env bash
# s2perf: the one driver. Installs what is missing, builds (or reuses) the
# patched arm64 kernel, the target image and the workloads, runs a plan and
# reports it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")" && pwd)
S2PERF_TOOL=s2perf
. "$ROOT/target/common.sh"
. "$ROOT/target/build-all.sh"
. "$ROOT/bench/lib.sh"

usage() {
	cat <<USAGE
usage: ./run.sh [COMMAND] [ARGS]

With no command: install, build (cached), run the default plan on the
emulated arm64 target, write the report, print its headline table and
where the run directory is (= ./run.sh run --plan default).

Benchmarks (bench/README.md):
  run [--plan NAME|FILE] [--target qemu|host] [--profile P] [--flavour F]
      [--kernel K] [--clock C] [--resume RUN] [--out DIR]
                            run a plan (bench/plans/: quick, default,
                            scaling, profiles, full) into
                            results/<plan>-<time>/: cells interleaved by
                            repetition, resumable, then metrics.csv and
                            report.{txt,md,html} (bench/run-plan.sh -h)
  kernels [--plan P] [--kernel LIST | --series [DIR]] [--blocks N]
                            one plan on several kernels (upstream, series:N,
                            your tree's patches, a prebuilt image), each
                            against the one before and the first; --series:
                            what each patch of a series costs; --blocks N:
                            alternated block by block, paired by block
                            (real time needs N >= 3) (bench/run-kernels.sh -h)
  bisect --good N --bad M [--metric NAME] [--series DIR]
                            the first patch of a series that makes a gated
                            metric worse (bench/bisect.sh -h)
  report RUN [OPTS]         (re)write RUN's table and report from its
                            documents (s2bench report -h)
  compare BASE NEW [--threshold PCT] [OPTS]
                            two runs, benchstat-style, DIFFERENT/SAME/UNKNOWN
                            per row; exit 1 on a significant regression of a
                            gated metric beyond PCT (default 5)
  kcidb RUN [-o FILE]       the run as KernelCI KCIDB JSON
  s2bench ARGS...           any s2bench command (plan check, stats, simulate, ...)

Correctness:
  test [--offline] [TEST...]
                            the test suite (all of tests/t-*.sh, or the
                            named ones): the offline tier first (no kernel,
                            no target; --offline: only that, also
                            \`make check\`), then the rest on the debug
                            kernel; ends with "N passed, N failed, N skipped"
  selftests                 the full correctness matrix: every upstream
                            stage-2 selftest and every dirty_log_test log
                            mode under every strategy (~25 min; the test
                            suite runs a subset)
  soak [ARGS]               s2_storm: >= 10^6 guest writes per strategy in
                            every log mode with everything that changes a
                            stage-2 leaf at once (tests/soak-storm.sh -h)
  fuzz [ARGS]               the long fuzz campaign over every parser
                            (tests/fuzz/run.sh -h; CI runs a short one)

Building and poking:
  deps                      install the Debian packages (root)
  kernel [--kernel K] [--flavour F] [--jobs N] [--config-only]
                            build or reuse a kernel (default: the series on
                            6.12); print its directory
  image [--flavour F]       build kernel, selftests and initramfs; print paths
  rootfs                    build or reuse the Debian arm64 root file system
                            with bpftrace and perf (for target -r DIR)
  host [COMMAND...]         native builds for this machine's /dev/kvm; run
                            COMMAND with them on PATH (none: print where)
  target [LAUNCH-OPTS] -- COMMAND...
                            boot the target and run COMMAND there
                            (target/launch -h)
  shell [LAUNCH-OPTS]       an interactive shell in the target (Ctrl-A X
                            quits QEMU)
  help                      this text

Environment: S2PERF_CACHE (build cache, default /var/cache/s2perf),
S2PERF_FLAVOUR (kernel flavour for target/shell/test: default, debug, kasan).
USAGE
}

cmd_host() {
	case $(uname -m) in
	x86_64) ;;
	*) die "host: native builds are made for x86_64 here (on an arm64 host, ./run.sh run --target host builds natively)" ;;
	esac
	build_host
	if [ $# -eq 0 ]; then
		printf 'selftests: %s\nguests: %s\nbpf: %s\n' "$HOST_STDIR/kvm" \
			"$HOST_GDIR/guests" "$HOST_BDIR/bpf"
		return 0
	fi
	PATH=$HOST_GDIR/guests:$HOST_STDIR/kvm:$HOST_BDIR/bpf:$PATH exec "$@"
}

# The s2bench binary, built (quietly, incrementally) from bench/.
s2bench() {
	# 1 means "a gated regression" to compare: a missing package is 2.
	"$ROOT/target/deps.sh" >/dev/null || { say "could not install the packages s2bench needs (target/deps.sh)"; exit 2; }
	make -C "$ROOT/bench" -s >&2 || { say "could not build s2bench (make -C bench)"; exit 2; }
	"$ROOT/bench/.output/s2bench" "$@"
}

cmd_test() {
	"$ROOT/target/deps.sh"
	exec "$ROOT/tests/run" "$@"
}

cmd_target() {
	build_all
	exec "$ROOT/target/launch" -k "$KDIR" -i "$INITRD" "$@"
}

cmd_shell() {
	build_all
	exec "$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -s -t 86400 -w "$@" -- sh
}

# old_letter COMMAND ARG LETTER LONG: refuse a letter that is now a long
# option, naming it (./run.sh's commands take long options, as run does);
# else return 1.
old_letter() {
	[ "$2" = "$3" ] || [ "${2#"$3"}" != "$2" ] || return 1
	bad "$1 $3 is $4 now (./run.sh takes long options, as run does)"
}

# kernel_opts ARGS...: ./run.sh kernel's options into kargs, build-kernel.sh's.
kernel_opts() {
	local spec='' flavour='' jobs='' config_only=''
	# shellcheck disable=SC2034  # set through opt_var
	declare -A opt_var=([--kernel]=spec [--flavour]=flavour [--jobs]=jobs)
	opt_other() {
		case $1 in
		--config-only) config_only=1; took=1 ;;
		-k*) old_letter kernel "$1" -k --kernel ;;
		-f*) old_letter kernel "$1" -f --flavour ;;
		-j*) old_letter kernel "$1" -j --jobs ;;
		-C) bad "kernel -C is --config-only now (./run.sh takes long options, as run does)" ;;
		*) return 1 ;;
		esac
	}
	parse_opts "$@"
	kargs=()
	[ -z "$spec" ] || kargs+=(-k "$spec")
	[ -z "$flavour" ] || kargs+=(-f "$flavour")
	[ -z "$jobs" ] || kargs+=(-j "$jobs")
	[ -z "$config_only" ] || kargs+=(-C)
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
"") exec "$ROOT/bench/run-plan.sh" --plan default ;;
run) exec "$ROOT/bench/run-plan.sh" "$@" ;;
kernels) exec "$ROOT/bench/run-kernels.sh" "$@" ;;
bisect) exec "$ROOT/bench/bisect.sh" "$@" ;;
report) s2bench report "$@" ;;
compare) s2bench compare "$@" ;;
kcidb) s2bench kcidb "$@" ;;
s2bench) s2bench "$@" ;;
test) cmd_test "$@" ;;
selftests) export S2PERF_MATRIX=full; cmd_test t-selftests-matrix ;;
soak) "$ROOT/target/deps.sh"; exec "$ROOT/tests/soak-storm.sh" "$@" ;;
fuzz) "$ROOT/target/deps.sh"; exec "$ROOT/tests/fuzz/run.sh" "$@" ;;
deps) exec "$ROOT/target/deps.sh" ;;
kernel)
	# long options, as run-plan.sh's; build-kernel.sh's own letters are refused
	kernel_opts "$@"
	"$ROOT/target/deps.sh"
	exec "$ROOT/target/build-kernel.sh" "${kargs[@]}" ;;
image)
	flavour=
	# shellcheck disable=SC2034  # set through opt_var
	declare -A opt_var=([--flavour]=flavour)
	opt_other() { old_letter image "$1" -f --flavour; }
	parse_opts "$@"
	build_all "$flavour"
	printf 'kernel: %s\nselftests: %s\ninitramfs: %s\n' "$KDIR" "$STDIR" "$INITRD"
	;;
rootfs) "$ROOT/target/deps.sh"; exec "$ROOT/target/build-rootfs.sh" "$@" ;;
host) cmd_host "$@" ;;
target) cmd_target "$@" ;;
shell) cmd_shell "$@" ;;
help | -h | --help) usage ;;
smoke | workloads | overhead | crosscheck | matrix)
	say "'$cmd' is gone: benchmarks are plans now (./run.sh run --plan quick|default|scaling|profiles; 'matrix' is ./run.sh selftests)"
	exit 2 ;;
*) say "unknown command '$cmd' (./run.sh help)"; exit 2 ;;
esac
