#!/usr/bin/env bash
# Build the eBPF tools (bpf/s2collect, bpf/s2top): static for arm64 against the
# BTF of a patched kernel from target/build-kernel.sh, or native x86_64
# against the running kernel's BTF.
set -euo pipefail
S2PERF_TOOL=build-bpf
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: target/build-bpf.sh [-a arm64] -k KERNEL_DIR
       target/build-bpf.sh -a x86_64

Build bpf/ (vmlinux.h from the kernel's BTF, BPF objects, skeletons,
loaders) and print the directory that holds the binaries (under bpf/ in
it, as the initramfs wants them). Intermediates stay beside it in obj/.
USAGE
}
build_opts "a:k:h" "$@"
case $arch in
arm64)
	need_kdir -f vmlinux vmlinux
	out=$S2PERF_CACHE/bpf/arm64-$(basename "$kdir")
	vm=(VMLINUX="$kdir/vmlinux") ;;
x86_64)
	[ -r /sys/kernel/btf/vmlinux ] || { say "this kernel has no BTF (/sys/kernel/btf/vmlinux)"; exit 2; }
	# The running kernel's BTF: one build per host kernel.
	out=$S2PERF_CACHE/bpf/x86_64-$(uname -r)
	vm=() ;;
*) say "-a: '$arch' is not arm64 or x86_64"; exit 2 ;;
esac

build() {
	mkdir -p "$out/obj" "$out/bin/bpf"
	make_fresh "$out" "$S2PERF_ROOT/bpf" "$S2PERF_ROOT/common"
	# shellcheck disable=SC2086
	if ! make $MAKE_FRESH -C "$S2PERF_ROOT/bpf" ARCH="$arch" "${vm[@]}" OUT="$out/obj" \
		>"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "collector build failed"
	fi
	mark_fresh "$out"
	grep -E '^  [A-Z-]+ ' "$out/build.log" >&2 || true
	# A copy and a rename: cp over a binary that is running (an s2top left
	# open, a fuzz driver) fails with ETXTBSY; the rename leaves it its file.
	local tool
	for tool in s2collect s2top; do
		cp -p "$out/obj/$tool" "$out/bin/bpf/.$tool.new" &&
			mv -f "$out/bin/bpf/.$tool.new" "$out/bin/bpf/$tool" ||
			die "could not install $tool in $out/bin/bpf"
	done
	echo "$out/bin"
}
with_cache_lock build
