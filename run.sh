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
  smoke [-p PROFILE] [-n]   (default) build everything, boot the emulated
                            arm64 target and run the small upstream KVM
                            checks (dirty_log_perf_test, kvm_page_table_test);
                            results go to results/<run-id>/
  test [TEST...]            run the test suite (all of tests/t-*.sh, or the
                            named ones); ends with "N passed, N failed"
  deps                      install the Debian packages (root)
  kernel [-f FLAVOUR]       build or reuse the kernel; print its directory
  image [-f FLAVOUR]        build kernel, selftests and initramfs; print paths
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
	INITRD=$("$ROOT/target/build-image.sh" "$STDIR" "$GDIR" | tail -n 1)
	export KDIR STDIR GDIR INITRD
}

new_run_dir() {
	local id
	id=$1-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$ROOT/results/$id"
	echo "$ROOT/results/$id"
}

cmd_smoke() {
	local profile=max nvhe=()
	while getopts "p:nh" opt; do
		case $opt in
		p) profile=$OPTARG ;;
		n) nvhe=(-n) ;;
		h) usage; exit 0 ;;
		*) exit 2 ;;
		esac
	done
	build_all
	local run
	run=$(new_run_dir "smoke-$profile")
	say "run directory: $run"
	# Guest mode 6 is 4K pages with a 40-bit IPA; the tests otherwise loop
	# over every mode and take minutes under emulation.
	"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$run" -p "$profile" "${nvhe[@]}" -- \
		sh -c 'set -e
		echo "== dirty_log_perf_test -m 6 -v 2 -b 64M -i 3"
		dirty_log_perf_test -m 6 -v 2 -b 64M -i 3 | tee dirty_log_perf_test.log
		echo "== kvm_page_table_test -m 6 -v 2 -b 64M"
		kvm_page_table_test -m 6 -v 2 -b 64M | tee kvm_page_table_test.log'
	say "results: $run"
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
deps) exec "$ROOT/target/deps.sh" ;;
kernel) "$ROOT/target/deps.sh"; exec "$ROOT/target/build-kernel.sh" "$@" ;;
image)
	flavour=
	while getopts "f:" opt; do case $opt in f) flavour=$OPTARG ;; *) exit 2 ;; esac; done
	build_all "$flavour"
	printf 'kernel: %s\nselftests: %s\ninitramfs: %s\n' "$KDIR" "$STDIR" "$INITRD"
	;;
target) cmd_target "$@" ;;
help | -h | --help) usage ;;
*) say "unknown command '$cmd'"; usage >&2; exit 2 ;;
esac
