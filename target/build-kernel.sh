#!/usr/bin/env bash
# Cross-build the patched arm64 kernel (Image, vmlinux with BTF, UAPI headers)
# and cache it outside the clone, keyed by everything that went into it.
set -euo pipefail
S2PERF_TOOL=build-kernel
. "$(dirname "$0")/common.sh"

usage() {
	cat <<USAGE
usage: target/build-kernel.sh [-k KERNEL] [-f FLAVOUR] [-j N] [-C] [-h]

Build (or reuse from the cache) an arm64 kernel for s2perf and print the
directory holding Image, vmlinux, config, info and headers/.

  -k KERNEL   the kernel under test                         (default: series)
              series       $KSRC_PKG + kernel-patches/series
              series:N     its first N patches (series:0 = upstream)
              upstream     $KSRC_PKG with no patch
              debian:V     another Debian kernel source package,
                           linux-source-V (e.g. debian:6.1), with no
                           patch; installed the first time it is asked for
              BASE+PATH    BASE plus a directory of git format-patch
                           files (its 'series' file, else *.patch) or an mbox
              image:DIR    prebuilt: DIR/Image and DIR/vmlinux, not built
              tree:DIR[@REV]  a git checkout at REV (default HEAD), any
                           version: built cold in its own directories
  -f FLAVOUR  default | debug | kasan                      (default: default)
              debug adds PROVE_LOCKING, PROVE_RCU, DEBUG_ATOMIC_SLEEP,
              DEBUG_LIST; kasan adds generic KASAN on top of debug
  -j N        parallel jobs                                 (default: nproc)
  -C          configure only: print the path of the merged .config
  -h          this help

Cache: \$S2PERF_CACHE (default /var/cache/s2perf). The key hashes the
$KSRC_PKG version, the names and contents of the patches applied, the config
fragments, the cross compiler and this script; nothing changed means no
rebuild, a changed patch means an incremental rebuild in the same tree.
A fragment option the tree lacks is listed in info (config_missing:);
one the suite cannot work without (KVM, BPF, BTF, 9p, the console) fails.
USAGE
}

flavour=default
jobs=$(nproc)
config_only=0
spec=series
while getopts "k:f:j:Ch" opt; do
	case $opt in
	k) spec=$OPTARG ;;
	f) flavour=$OPTARG ;;
	j) jobs=$OPTARG ;;
	C) config_only=1 ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
case $flavour in
default) frags=(s2perf.config) ;;
debug) frags=(s2perf.config s2perf-debug.config) ;;
kasan) frags=(s2perf.config s2perf-debug.config s2perf-kasan.config) ;;
*) say "unknown flavour '$flavour' (default, debug, kasan)"; exit 2 ;;
esac
[[ $jobs =~ ^[1-9][0-9]*$ ]] || { say "-j wants a positive number, not '$jobs'"; exit 2; }
kernel_spec "$spec"
# A tree older than the shipped source: the options its Kconfig needs for
# the same fragments (kernel-patches/s2perf-compat.config).
kspec_older() {
	local mk v p
	if [ -n "$KSPEC_TREE" ]; then
		mk=$(git -C "$KSPEC_TREE" show "$KSPEC_REV:Makefile" 2>/dev/null | head -n 5)
	elif [ "$KSPEC_PKG" != "$KSRC_PKG" ]; then
		v=${KSPEC_PKG#linux-source-}
		[ "${v%%.*}" -lt 6 ] || { [ "${v%%.*}" -eq 6 ] && [ "${v#*.}" -lt 12 ]; }
		return
	else
		return 1
	fi
	v=$(sed -n 's/^VERSION = //p' <<<"$mk")
	p=$(sed -n 's/^PATCHLEVEL = //p' <<<"$mk")
	[[ $v =~ ^[0-9]+$ && $p =~ ^[0-9]+$ ]] || return 1
	[ "$v" -lt 6 ] || { [ "$v" -eq 6 ] && [ "$p" -lt 12 ]; }
}
if [ -z "$KSPEC_IMAGE" ] && kspec_older; then
	frags=(s2perf-compat.config "${frags[@]}")
fi
if [ -n "$KSPEC_IMAGE" ]; then
	# Prebuilt: nothing to build or cache; its own directory is the answer.
	[ $config_only -eq 0 ] || { say "-C: image:DIR is prebuilt, there is nothing to configure"; exit 2; }
	(cd "$KSPEC_IMAGE" && pwd)
	exit 0
fi

kernel_key() {
	{
		echo "patches $KSPEC_KEY"
		echo "flavour $flavour"
		local f
		for f in "${frags[@]}"; do
			echo "frag $f $(sha256sum <"$PATCH_DIR/$f" | cut -c1-64)"
		done
		echo "cc $(${CROSS}gcc --version | head -n1)"
		echo "script $(sha256sum <"$0" | cut -c1-64)"
	} | sha256sum | cut -c1-16
}

build() {
	local key out bdir start
	key=$(kernel_key)
	out=$S2PERF_CACHE/kernel/$flavour-$key
	if [ $config_only -eq 0 ] && [ -f "$out/Image" ] && [ -f "$out/vmlinux" ] &&
		[ -d "$out/headers/include" ]; then
		say "cached: $out"
		echo "$out"
		return 0
	fi
	start=$(date +%s.%N)
	if [ -n "$KSPEC_TREE" ]; then
		# A tree of its own: its own build directory.
		prepare_user_tree
		bdir=$S2PERF_CACHE/build/tree-${KSPEC_REV:0:12}-$flavour
	else
		prepare_tree
		# One output directory per flavour and source version: a new
		# patch series rebuilds only what it touched.
		bdir=$S2PERF_CACHE/build/$(ksrc_version "$KSPEC_PKG")-$flavour
	fi
	mkdir -p "$bdir"

	export CCACHE_DIR=$S2PERF_CACHE/ccache
	export CCACHE_BASEDIR=$S2PERF_CACHE CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=8G
	# The kernel source is a git tree; LOCALVERSION= stops setlocalversion
	# from appending '+', which would change the release string.
	local mk=(make -C "$KSRC" O="$bdir" ARCH=arm64 CROSS_COMPILE=$CROSS
		"CC=ccache ${CROSS}gcc" "HOSTCC=ccache gcc" LOCALVERSION= -j"$jobs")

	say "configuring ($flavour: allnoconfig + ${frags[*]})"
	local fpaths=()
	for f in "${frags[@]}"; do fpaths+=("$PATCH_DIR/$f"); done
	"${mk[@]}" allnoconfig >"$bdir/s2perf-config.log" 2>&1 ||
		{ tail -n 20 "$bdir/s2perf-config.log" >&2; die "allnoconfig failed"; }
	(cd "$bdir" && ARCH=arm64 CROSS_COMPILE=$CROSS \
		"$KSRC/scripts/kconfig/merge_config.sh" -m -O "$bdir" .config "${fpaths[@]}") \
		>>"$bdir/s2perf-config.log" 2>&1 ||
		{ tail -n 20 "$bdir/s2perf-config.log" >&2; die "merge_config failed"; }
	"${mk[@]}" olddefconfig >>"$bdir/s2perf-config.log" 2>&1 ||
		{ tail -n 20 "$bdir/s2perf-config.log" >&2; die "olddefconfig failed"; }
	check_config "$bdir/.config" "${fpaths[@]}"
	if [ $config_only -eq 1 ]; then
		echo "$bdir/.config"
		return 0
	fi

	say "building Image in $bdir (cold: ~12 min on 2 cores; log: $bdir/s2perf-build.log)"
	"${mk[@]}" Image >"$bdir/s2perf-build.log" 2>&1 &
	local pid=$! rc=0 last=0
	while kill -0 "$pid" 2>/dev/null; do
		sleep 5
		local now
		now=$(date +%s)
		if [ $((now - last)) -ge 60 ]; then
			last=$now
			say "  ... $(grep -c '^  CC' "$bdir/s2perf-build.log" || true) objects compiled, $(elapsed "$start") s"
		fi
	done
	wait "$pid" || rc=$?
	if [ $rc -ne 0 ]; then
		grep -E 'error|Error' "$bdir/s2perf-build.log" | head -n 20 >&2 || true
		tail -n 10 "$bdir/s2perf-build.log" >&2
		die "kernel build failed (log: $bdir/s2perf-build.log)"
	fi
	"${mk[@]}" INSTALL_HDR_PATH="$bdir/s2perf-headers" headers_install \
		>>"$bdir/s2perf-build.log" 2>&1 || die "headers_install failed"

	local tmp=$out.tmp.$$
	rm -rf "$tmp"; mkdir -p "$tmp"
	cp "$bdir/arch/arm64/boot/Image" "$bdir/vmlinux" "$bdir/System.map" "$tmp/"
	cp "$bdir/.config" "$tmp/config"
	cp -r "$bdir/s2perf-headers" "$tmp/headers"
	{
		if [ -n "$KSPEC_TREE" ]; then
			echo "source: git $KSPEC_TREE $KSPEC_REV"
		else
			echo "source: $KSPEC_PKG $(ksrc_version "$KSPEC_PKG")"
		fi
		echo "series: $(series_key)"
		echo "kernel: $KSPEC"
		echo "patches: $KSPEC_KEY"
		if [ -n "$KSPEC_TREE" ]; then
			echo "patch_count: unavailable: a git tree's commits are its own ($KSPEC)"
		else
			echo "patch_count: ${#KSPEC_PATCHES[@]}"
		fi
		local p
		for p in "${KSPEC_PATCHES[@]}"; do
			echo "patch: $(basename "$p") $(sha256sum <"$p" | cut -c1-16)"
		done
		echo "config_missing: ${CONFIG_MISSING:-none}"
		echo "flavour: $flavour"
		echo "release: $(cat "$bdir/include/config/kernel.release")"
		echo "built: $(date -u +%FT%TZ) in $(elapsed "$start") s"
	} >"$tmp/info"
	rm -rf "$out"; mv "$tmp" "$out"
	say "built $(cat "$bdir/include/config/kernel.release") in $(elapsed "$start") s: $out"
	echo "$out"
}

# merge_config warns but carries on when a symbol is dropped (an unmet
# dependency, or a tree that lacks it). A kernel without one of these is
# useless here, so fail; any other is listed (CONFIG_MISSING, then info).
ESSENTIAL_CONFIG=" CONFIG_KVM CONFIG_BPF_SYSCALL CONFIG_DEBUG_INFO_BTF CONFIG_BPF_EVENTS \
CONFIG_BLK_DEV_INITRD CONFIG_9P_FS CONFIG_NET_9P_VIRTIO CONFIG_VIRTIO_PCI \
CONFIG_SERIAL_AMBA_PL011_CONSOLE CONFIG_DEVTMPFS "
check_config() {
	local cfg=$1; shift
	local bad=0 line sym
	CONFIG_MISSING=
	while IFS= read -r line; do
		case $line in CONFIG_*=y) ;; *) continue ;; esac
		sym=${line%%=*}
		if ! grep -qx "$sym=y" "$cfg"; then
			say "config: $sym=y was asked for but is not set (missing dependency, or the tree lacks it)"
			CONFIG_MISSING="${CONFIG_MISSING:+$CONFIG_MISSING }$sym"
			case $ESSENTIAL_CONFIG in *" $sym "*) bad=1 ;; esac
		fi
	done < <(cat "$@")
	[ $bad -eq 0 ] || die "config fragment not applied: s2perf cannot work without$(for sym in $CONFIG_MISSING; do
		case $ESSENTIAL_CONFIG in *" $sym "*) printf ' %s' "$sym" ;; esac
	done) (the lines above say which options are missing)"
}

with_cache_lock build
