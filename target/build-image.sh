#!/usr/bin/env bash
# Pack the target's initramfs: static busybox, target/init and the suite's
# static arm64 binaries. Cached by a hash of its contents.
set -euo pipefail
S2PERF_TOOL=build-image
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: target/build-image.sh [-h] [DIR...]

Pack an initramfs (newc cpio, uncompressed) holding busybox, the s2perf
init and every executable found in each DIR: the binary goes to
/s2perf/libexec/<path in DIR>, and /s2perf/bin/<name> (on PATH) starts it
by its full path. Prints the path of the cached archive.
USAGE
}
while getopts "h" opt; do
	case $opt in
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

BUSYBOX=${BUSYBOX:-/bin/busybox}
file -L "$BUSYBOX" | grep -q 'ARM aarch64.*statically linked' ||
	die "$BUSYBOX is not a static arm64 busybox (install busybox-static:arm64)"
for d in "$@"; do [ -d "$d" ] || die "no such directory: $d"; done

build() {
	local gen=$S2PERF_CACHE/tools/gen_init_cpio
	if [ ! -x "$gen" ]; then
		prepare_tree
		mkdir -p "$(dirname "$gen")"
		gcc -O2 -o "$gen" "$KSRC/usr/gen_init_cpio.c" || die "cannot build gen_init_cpio"
	fi

	local list=$S2PERF_CACHE/image/list.$$ wrappers=$S2PERF_CACHE/image/wrappers.$$
	rm -rf "$wrappers"
	mkdir -p "$wrappers"
	{
		echo "dir /dev 0755 0 0"
		echo "nod /dev/console 0600 0 0 c 5 1"
		for d in bin sbin proc sys tmp run results s2perf s2perf/bin s2perf/libexec; do
			echo "dir /$d 0755 0 0"
		done
		echo "file /bin/busybox $BUSYBOX 0755 0 0"
		echo "slink /bin/sh busybox 0777 0 0"
		echo "file /init $S2PERF_ROOT/target/init 0755 0 0"
		echo "file /s2perf/bin/s2chroot $S2PERF_ROOT/target/s2chroot 0755 0 0"
		# Binaries live in /s2perf/libexec and are started through
		# /s2perf/bin wrappers with their full path: the KVM selftests
		# framework opens its own ELF file through argv[0].
		local d f rel w
		for d in "$@"; do
			d=$(cd "$d" && pwd)
			while IFS= read -r f; do
				rel=${f#"$d"/}
				echo "dir /s2perf/libexec/$(dirname "$rel") 0755 0 0"
			done < <(find "$d" -type f -perm -u+x | sort)
			while IFS= read -r f; do
				rel=${f#"$d"/}
				w=$wrappers/$(basename "$rel")
				printf '#!/bin/sh\nexec /s2perf/libexec/%s "$@"\n' "$rel" >"$w"
				echo "file /s2perf/libexec/$rel $f 0755 0 0"
				echo "file /s2perf/bin/$(basename "$rel") $w 0755 0 0"
			done < <(find "$d" -type f -perm -u+x | sort)
		done
	} | awk '!seen[$0]++' >"$list"

	# Key: the list plus the content of every file in it.
	local key
	key=$({ cat "$list"; awk '$1 == "file" { print $3 }' "$list" | xargs sha256sum; } |
		sha256sum | cut -c1-16)
	local out=$S2PERF_CACHE/image/initramfs-$key.cpio
	if [ ! -f "$out" ]; then
		mkdir -p "$(dirname "$out")"
		"$gen" "$list" >"$out.tmp" || die "gen_init_cpio failed"
		mv "$out.tmp" "$out"
		say "packed $(awk '$1 == "file"' "$list" | wc -l) files, $(du -m "$out" | cut -f1) MiB: $out"
	fi
	rm -rf "$list" "$wrappers"
	echo "$out"
}
with_cache_lock build "$@"
