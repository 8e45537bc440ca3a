#!/usr/bin/env bash
# Build the s2perf guest programs (guests/), static, for arm64 (the target)
# or x86_64 (this machine), against the KVM selftests framework objects of
# target/build-selftests.sh for the same architecture.
set -euo pipefail
S2PERF_TOOL=build-guests
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: target/build-guests.sh [-a arm64] -k KERNEL_DIR -s SELFTESTS_BIN_DIR
       target/build-guests.sh -a x86_64 -s SELFTESTS_BIN_DIR

Build guests/ and print the directory that holds the binaries (under
guests/ in it, as the initramfs wants them). SELFTESTS_BIN_DIR comes from
target/build-selftests.sh for the same -a; arm64 also needs the kernel's
UAPI headers (KERNEL_DIR from target/build-kernel.sh).
USAGE
}
build_opts "a:k:s:h" "$@"
[ -n "$stdir" ] && [ -d "$stdir/../obj/lib" ] ||
	{ say "-s: '${stdir:-}' is not a selftests bin directory (run target/build-selftests.sh)"; exit 2; }
case $arch in
arm64)
	need_kdir -d headers/include headers/
	khdr=$kdir/headers/include ;;
x86_64)
	khdr=$stdir/../headers/include
	[ -d "$khdr" ] || { say "-s: '$stdir' is not an x86_64 selftests build"; exit 2; } ;;
*) say "-a: '$arch' is not arm64 or x86_64"; exit 2 ;;
esac

build() {
	prepare_tree
	local out=$S2PERF_CACHE/guests/$arch-$(series_key)
	mkdir -p "$out/bin/guests"
	make_fresh "$out" "$S2PERF_ROOT/guests" "$S2PERF_ROOT/common"
	# shellcheck disable=SC2086
	if ! make $MAKE_FRESH -C "$S2PERF_ROOT/guests" ARCH="$arch" KSRC="$KSRC" \
		KHDR="$(cd "$khdr" && pwd)" STOBJ="$(cd "$stdir/../obj" && pwd)" \
		OUT="$out/bin/guests" >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "guests build failed"
	fi
	mark_fresh "$out"
	grep -E '^  (CC|LD) ' "$out/build.log" >&2 || true
	echo "$out/bin"
}
with_cache_lock build
