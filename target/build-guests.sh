#!/usr/bin/env bash
# Build the s2perf guest programs (guests/) static for arm64, against the
# KVM selftests framework objects of target/build-selftests.sh.
set -euo pipefail
S2PERF_TOOL=build-guests
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: target/build-guests.sh -k KERNEL_DIR -s SELFTESTS_BIN_DIR [-h]

Build guests/ for arm64 and print the directory that holds the binaries
(under guests/ in it, as the initramfs wants them).
USAGE
}
kdir= stdir=
while getopts "k:s:h" opt; do
	case $opt in
	k) kdir=$OPTARG ;;
	s) stdir=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ -n "$kdir" ] && [ -d "$kdir/headers/include" ] ||
	{ say "-k: '${kdir:-}' has no headers/ (run target/build-kernel.sh)"; exit 2; }
[ -n "$stdir" ] && [ -d "$stdir/../obj/lib" ] ||
	{ say "-s: '${stdir:-}' is not a selftests bin directory (run target/build-selftests.sh)"; exit 2; }

build() {
	prepare_tree
	local out=$S2PERF_CACHE/guests/arm64-$(series_key)
	mkdir -p "$out/bin/guests"
	if ! make -C "$S2PERF_ROOT/guests" ARCH=arm64 KSRC="$KSRC" \
		KHDR="$kdir/headers/include" STOBJ="$(cd "$stdir/../obj" && pwd)" \
		OUT="$out/bin/guests" >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "guests build failed"
	fi
	grep -E '^  (CC|LD) ' "$out/build.log" >&2 || true
	echo "$out/bin"
}
with_cache_lock build
