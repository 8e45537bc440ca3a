#!/usr/bin/env bash
# Build a Debian arm64 root file system holding bpftrace, perf, trace-cmd and tmux, for the
# target to enter with chroot (target/launch -r, s2chroot in the target).
# The initramfs stays small and static; these tools need glibc, LLVM and
# Python, which only a real distribution tree provides.
set -euo pipefail
S2PERF_TOOL=build-rootfs
. "$(dirname "$0")/common.sh"

SUITE=bookworm
# linux-perf is bookworm's perf 6.1; its tracepoint support reads the
# event formats from tracefs, so it handles the 6.12 kernel's events.
# trace-cmd decodes events with libtraceevent straight from the ring
# buffer: on arm64 every perf sample taken while a vCPU is loaded (the
# stage-2 fault handler's events) is attributed to the guest, and perf
# script drops guest samples. tmux gives a test a terminal to run a
# full-screen tool in (bpf/s2top: send-keys, capture-pane).
PKGS=(bpftrace linux-perf trace-cmd tmux)

usage() {
	cat <<USAGE
usage: target/build-rootfs.sh [-m MIRROR] [-h]

Build (once per machine) a Debian $SUITE arm64 root file system with
${PKGS[*]} using debootstrap and qemu-user-static, cache it under
\$S2PERF_CACHE/rootfs/arm64-<key> and print its directory. About 4 minutes
and 700 MB the first time; the key hashes the package list, the suite and
this script.

  -m MIRROR   Debian mirror (default: the one apt uses on this host,
              from /etc/apt/sources.list*)
  -h          this help

Needs root, debootstrap, qemu-user-static and binfmt-support (target/deps.sh).
USAGE
}
mirror=
while getopts "m:h" opt; do
	case $opt in
	m) mirror=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

# The first Debian archive apt on this host uses for the main suite, from
# either the deb822 (.sources) or the one-line (.list) format. The mirror
# is not part of the key: every mirror serves the same packages.
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^[[:space:]]*$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = ""; next }
		     $1 == "URIs:" { uri = $2 }
		     $1 == "Suites:" { for (i = 2; i <= NF; i++) if ($i ~ /^(bookworm|stable)$/) ok = 1 }
		     END { if (ok && uri != "") print uri }' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
		                   if ($(i + 1) ~ /^(bookworm|stable)$/) print $i }'
}
if [ -z "$mirror" ]; then
	mirror=$( (host_mirror || true) | awk '!/security/ && NF { print; exit }')
	mirror=${mirror:-http://deb.debian.org/debian}
fi

[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
command -v debootstrap >/dev/null || die "debootstrap not found (run target/deps.sh)"
[ -x /usr/libexec/qemu-binfmt/aarch64-binfmt-P ] || [ -x /usr/bin/qemu-aarch64-static ] ||
	die "qemu-user-static not found (run target/deps.sh)"

# debootstrap's second stage runs arm64 programs: the kernel must hand them
# to qemu-aarch64 through binfmt_misc. Containers and fresh machines often
# have it unmounted or the entry disabled.
ensure_binfmt() {
	local bm=/proc/sys/fs/binfmt_misc
	if [ ! -f $bm/register ]; then
		mount -t binfmt_misc binfmt_misc $bm 2>/dev/null ||
			die "cannot mount binfmt_misc on $bm (needed to run arm64 programs)"
	fi
	if ! grep -qx enabled $bm/qemu-aarch64 2>/dev/null; then
		update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 ||
			die "cannot enable the qemu-aarch64 binfmt handler (update-binfmts --enable qemu-aarch64)"
	fi
}

# Unmount whatever debootstrap (or an interrupted run) left mounted under
# $1, deepest first, then remove it without crossing into other file systems.
remove_tree() {
	local d=$1 m
	[ -e "$d" ] || return 0
	findmnt -rn -o TARGET | awk -v d="$d" 'index($0, d "/") == 1' | sort -r |
		while IFS= read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$d"
}

build() {
	local key out tmp log start
	key=$({
		echo "suite $SUITE"
		echo "packages ${PKGS[*]}"
		cat "$0"
	} | sha256sum | cut -c1-16)
	out=$S2PERF_CACHE/rootfs/arm64-$key
	if [ -f "$out/.done" ]; then
		say "cached: $out"
		echo "$out"
		return 0
	fi
	mkdir -p "$S2PERF_CACHE/rootfs"
	# We hold the cache lock: any temporary tree left here was abandoned
	# by an interrupted build.
	for tmp in "$S2PERF_CACHE"/rootfs/.tmp-*; do
		[ -e "$tmp" ] || continue
		say "removing an interrupted build: $tmp"
		remove_tree "$tmp"
	done
	remove_tree "$out"
	ensure_binfmt
	tmp=$S2PERF_CACHE/rootfs/.tmp-arm64-$key.$$
	log=$S2PERF_CACHE/rootfs/arm64-$key.log
	trap 'remove_tree "$tmp"' EXIT
	trap 'exit 130' INT TERM
	start=$(date +%s.%N)
	say "debootstrap $SUITE arm64 minbase + ${PKGS[*]} from $mirror (about 4 minutes; log: $log)"
	# Progress: one line each time debootstrap enters a new phase.
	if ! debootstrap --arch=arm64 --variant=minbase \
		--include="$(IFS=,; echo "${PKGS[*]}")" \
		"$SUITE" "$tmp" "$mirror" 2>&1 |
		tee "$log" |
		awk '/^I: / && !seen[$2]++ { print "build-rootfs:   " $0; fflush() }' >&2; then
		tail -n 15 "$log" >&2
		die "debootstrap failed (log: $log)"
	fi

	# Only programs are needed: drop the package cache, the archive lists
	# and documentation (about 100 MB), keeping the copyright files.
	rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/cache/apt/*.bin \
		"$tmp"/var/lib/apt/lists/* "$tmp"/usr/share/man "$tmp"/usr/share/info
	find "$tmp/usr/share/doc" -type f ! -name copyright -delete 2>/dev/null || true
	find "$tmp/usr/share/locale" -mindepth 1 -maxdepth 1 -type d ! -name 'en*' \
		-exec rm -rf {} + 2>/dev/null || true
	# Mount points for s2chroot (the share may be read-only in the target).
	mkdir -p "$tmp/results" "$tmp/s2perf" "$tmp/sys/kernel/tracing" "$tmp/sys/kernel/debug"
	echo s2perf-target >"$tmp/etc/hostname"

	# Check that the tools start (under qemu-user here; arm64 in the target).
	local v
	for v in "bpftrace --version" "perf --version"; do
		chroot "$tmp" $v >>"$log" 2>&1 || die "'$v' fails in the new root (log: $log)"
	done
	# (trace-cmd --version prints its version and exits 255)
	chroot "$tmp" sh -c 'trace-cmd --version | grep "^trace-cmd version"' >>"$log" 2>&1 ||
		die "'trace-cmd --version' fails in the new root (log: $log)"
	{
		echo "suite: $SUITE"
		echo "key: $key"
		echo "mirror: $mirror"
		dpkg-query --admindir="$tmp/var/lib/dpkg" -W -f='package: ${Package} ${Version}\n' "${PKGS[@]}"
	} >"$tmp/etc/s2perf-rootfs"
	touch "$tmp/.done"
	mv "$tmp" "$out"
	trap - EXIT
	say "built in $(elapsed "$start") s, $(du -sm "$out" | cut -f1) MB: $(sed -n 's/^package: //p' "$out/etc/s2perf-rootfs" | paste -sd, | sed 's/,/, /g')"
	echo "$out"
}
with_cache_lock build
