#!/usr/bin/env bash
# Cross-build (static, arm64) the upstream KVM selftests s2perf runs in the
# target, from the same patched tree as the kernel, out of tree.
set -euo pipefail
S2PERF_TOOL=build-selftests
. "$(dirname "$0")/common.sh"

# The upstream tests the suite uses: correctness matrix and cross-checks.
TESTS=(dirty_log_perf_test dirty_log_test kvm_page_table_test
	access_tracking_perf_test memslot_modification_stress_test
	set_memory_region_test demand_paging_test memslot_perf_test
	aarch64/page_fault_test)

usage() {
	cat <<USAGE
usage: target/build-selftests.sh -k KERNEL_DIR [-h]

Build the upstream KVM selftests (${TESTS[*]})
static for arm64 against KERNEL_DIR/headers (from target/build-kernel.sh),
cache them, and print the directory that holds the binaries.
USAGE
}
kdir=
while getopts "k:h" opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$kdir" ] && [ -d "$kdir/headers/include" ] ||
	{ say "-k: '${kdir:-}' has no headers/ (run target/build-kernel.sh)"; exit 2; }

build() {
	local key out
	key=$({
		echo "series $(series_key)"
		echo "cc $(${CROSS}gcc --version | head -n1)"
		echo "tests ${TESTS[*]}"
		cat "$0" "$S2PERF_ROOT/target/common.sh"
	} | sha256sum | cut -c1-16)
	out=$S2PERF_CACHE/selftests/arm64-$key
	if [ -f "$out/.done" ]; then
		say "cached: $out/bin"
		echo "$out/bin"
		return 0
	fi
	prepare_tree
	local start obj=$out/obj
	start=$(date +%s.%N)
	mkdir -p "$obj/tools"
	local targets=() t
	for t in "${TESTS[@]}"; do targets+=("$obj/$t"); done
	say "building ${#TESTS[@]} KVM selftests for arm64 (log: $out/build.log)"
	export CCACHE_DIR=$S2PERF_CACHE/ccache CCACHE_BASEDIR=$S2PERF_CACHE CCACHE_NOHASHDIR=1
	# abs_objdir keeps the generated sysreg headers out of the source tree.
	if ! make -C "$KSRC/tools/testing/selftests/kvm" -j"$(nproc)" \
		ARCH=arm64 CROSS_COMPILE=$CROSS "CC=ccache ${CROSS}gcc" \
		OUTPUT="$obj" abs_objdir="$obj" \
		KHDR_INCLUDES="-isystem $kdir/headers/include" \
		EXTRA_CFLAGS=-static "${targets[@]}" >"$out/build.log" 2>&1; then
		grep -E 'error' "$out/build.log" | head -n 20 >&2 || true
		die "selftests build failed (log: $out/build.log)"
	fi
	rm -rf "$out/bin"
	mkdir -p "$out/bin/kvm"
	for t in "${TESTS[@]}"; do
		file "$obj/$t" | grep -q 'statically linked' || die "$t is not static"
		cp "$obj/$t" "$out/bin/kvm/$(basename "$t")"
	done
	touch "$out/.done"
	say "built ${#TESTS[@]} tests in $(elapsed "$start") s: $out/bin"
	echo "$out/bin"
}
with_cache_lock build
