#!/usr/bin/env bash
# Build the upstream KVM selftests s2perf runs, from the same patched tree as
# the kernel, out of tree: static for arm64 (the target), or native x86_64
# (this machine's /dev/kvm, against the tree's own x86 UAPI headers).
set -euo pipefail
S2PERF_TOOL=build-selftests
. "$(dirname "$0")/common.sh"

# The upstream tests the suite uses: correctness matrix and cross-checks.
ARM64_TESTS=(dirty_log_perf_test dirty_log_test kvm_page_table_test
	access_tracking_perf_test memslot_modification_stress_test
	set_memory_region_test demand_paging_test memslot_perf_test
	aarch64/page_fault_test)
# On x86_64 only the cross-checks of the guests/ workloads.
X86_TESTS=(dirty_log_perf_test dirty_log_test)

usage() {
	cat <<USAGE
usage: target/build-selftests.sh [-a arm64] -k KERNEL_DIR [-h]
       target/build-selftests.sh -a x86_64

Build upstream KVM selftests, cache them, and print the directory that
holds the binaries (bin/, with the framework's objects in obj/ beside it).
  -a arm64    static, against KERNEL_DIR/headers (target/build-kernel.sh):
              ${ARM64_TESTS[*]}
  -a x86_64   native, against the tree's x86 UAPI headers: ${X86_TESTS[*]}
USAGE
}
build_opts "a:k:h" "$@"
case $arch in
arm64)
	need_kdir -d headers/include headers/
	TESTS=("${ARM64_TESTS[@]}") cross=$CROSS ;;
x86_64)
	[ "$(uname -m)" = x86_64 ] || { say "-a x86_64: this machine is $(uname -m)"; exit 2; }
	TESTS=("${X86_TESTS[@]}") cross= ;;
*) say "-a: '$arch' is not arm64 or x86_64"; exit 2 ;;
esac

build() {
	local key out
	key=$({
		echo "series $(series_key)"
		echo "cc $(${cross}gcc --version | head -n1)"
		echo "tests ${TESTS[*]}"
		cat "$0" "$S2PERF_ROOT/target/common.sh"
	} | sha256sum | cut -c1-16)
	out=$S2PERF_CACHE/selftests/$arch-$key
	if [ -f "$out/.done" ]; then
		say "cached: $out/bin"
		echo "$out/bin"
		return 0
	fi
	prepare_tree
	local start obj=$out/obj hdr
	start=$(date +%s.%N)
	mkdir -p "$obj/tools"
	if [ "$arch" = x86_64 ]; then
		# The host's own linux-libc-dev is older than the framework.
		hdr=$out/headers
		make -C "$KSRC" O="$out/hdrbuild" ARCH=x86 INSTALL_HDR_PATH="$hdr" \
			headers_install >"$out/headers.log" 2>&1 ||
			{ tail -n 20 "$out/headers.log" >&2; die "x86 headers_install failed"; }
		hdr=$hdr/include
	else
		hdr=$kdir/headers/include
	fi
	local targets=() t
	for t in "${TESTS[@]}"; do targets+=("$obj/$t"); done
	say "building ${#TESTS[@]} KVM selftests for $arch (log: $out/build.log)"
	export CCACHE_DIR=$S2PERF_CACHE/ccache CCACHE_BASEDIR=$S2PERF_CACHE CCACHE_NOHASHDIR=1
	# abs_objdir keeps the generated sysreg headers out of the source tree.
	if ! make -C "$KSRC/tools/testing/selftests/kvm" -j"$(nproc)" \
		ARCH="$arch" CROSS_COMPILE="$cross" "CC=ccache ${cross}gcc" \
		OUTPUT="$obj" abs_objdir="$obj" \
		KHDR_INCLUDES="-isystem $hdr" \
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
