#!/usr/bin/env bash
# Install everything s2perf needs from Debian's archive. Idempotent: packages
# already present are not fetched again, and apt is only refreshed when
# something is missing.
set -euo pipefail

# Host side: kernel cross-build, emulated target, BPF tooling, plots.
HOST_PKGS=(
	linux-source-6.12 gcc-aarch64-linux-gnu qemu-system-arm
	flex bison bc libssl-dev libelf-dev dwarves ccache cpio xz-utils rsync
	make gcc perl python3 git file diffutils util-linux
	clang llvm libclang-rt-14-dev bpftool libbpf-dev libjansson-dev zlib1g-dev
	bpftrace gnuplot-nox libgsl-dev python3-scipy chromium tmux
	debootstrap qemu-user-static binfmt-support
)
# Target side (arm64, static, through multiarch).
ARM64_PKGS=(
	busybox-static:arm64 libjansson-dev:arm64 libbpf-dev:arm64
	libelf-dev:arm64 zlib1g-dev:arm64
)

say() { printf 's2perf-deps: %s\n' "$*" >&2; }


# A bare name means the native architecture (or "all"); name:arm64 the
# foreign one.
installed() {
	local name=${1%%:*} arch=${1#*:}
	[ "$arch" != "$1" ] || arch=$(dpkg --print-architecture)
	dpkg-query -W -f='${db:Status-Status} ${Architecture}\n' "$name" 2>/dev/null |
		grep -Eq "^installed ($arch|all)\$"
}

missing=()
for p in "${HOST_PKGS[@]}" "${ARM64_PKGS[@]}"; do
	installed "$p" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	say "all ${#HOST_PKGS[@]} host and ${#ARM64_PKGS[@]} arm64 packages present"
	exit 0
fi

# Only installing needs root: with everything present any user may go on.
if [ "$(id -u)" -ne 0 ]; then
	say "missing ${#missing[@]} package(s) (${missing[*]}); installing them needs root: rerun with sudo"
	exit 1
fi

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	say "enabling arm64 multiarch"
	dpkg --add-architecture arm64
	need_update=1
fi

say "installing ${#missing[@]} package(s): ${missing[*]}"
if [ -n "${need_update:-}" ] || [ ! -d /var/lib/apt/lists ] ||
   [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -360 2>/dev/null | head -n1)" ]; then
	say "refreshing package lists"
	apt-get update -qq || { say "apt-get update failed"; exit 1; }
fi

for p in "${missing[@]}"; do
	name=${p%%:*}
	if ! apt-cache show "$p" >/dev/null 2>&1 && ! apt-cache show "$name" >/dev/null 2>&1; then
		say "package '$p' is not available from the configured Debian archive"
		exit 1
	fi
done

export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/s2perf-apt.log 2>&1; then
	tail -n 20 /tmp/s2perf-apt.log >&2
	say "apt-get install failed (full log: /tmp/s2perf-apt.log)"
	exit 1
fi
say "done"
