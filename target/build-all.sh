# Sourced (after target/common.sh) by run.sh and bench/run-plan.sh: build,
# or reuse from the cache, everything a run needs, the same way for both.

# Sets KDIR, STDIR, GDIR, BDIR and INITRD for flavour $1, building what is missing.
build_all() {
	local flavour=${1:-${S2PERF_FLAVOUR:-default}}
	"$S2PERF_ROOT/target/deps.sh"
	KDIR=$("$S2PERF_ROOT/target/build-kernel.sh" -f "$flavour" | tail -n 1)
	STDIR=$("$S2PERF_ROOT/target/build-selftests.sh" -k "$KDIR" | tail -n 1)
	GDIR=$("$S2PERF_ROOT/target/build-guests.sh" -k "$KDIR" -s "$STDIR" | tail -n 1)
	BDIR=$("$S2PERF_ROOT/target/build-bpf.sh" -k "$KDIR" | tail -n 1)
	INITRD=$("$S2PERF_ROOT/target/build-image.sh" "$STDIR" "$GDIR" "$BDIR" | tail -n 1)
	export KDIR STDIR GDIR BDIR INITRD
}

# Sets HOST_STDIR, HOST_GDIR and HOST_BDIR: the native builds for this
# (x86_64) machine.
build_host() {
	"$S2PERF_ROOT/target/deps.sh"
	HOST_STDIR=$("$S2PERF_ROOT/target/build-selftests.sh" -a x86_64 | tail -n 1)
	HOST_GDIR=$("$S2PERF_ROOT/target/build-guests.sh" -a x86_64 -s "$HOST_STDIR" | tail -n 1)
	HOST_BDIR=$("$S2PERF_ROOT/target/build-bpf.sh" -a x86_64 | tail -n 1)
	export HOST_STDIR HOST_GDIR HOST_BDIR
}
