# Shared by the target/ scripts: where the build cache lives, how cache keys
# are made, and how the kernel source tree is brought to the patch series.
# Sourced, never run.

S2PERF_ROOT=${S2PERF_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
# Outside the clone, so a fresh clone on the same machine reuses it.
S2PERF_CACHE=${S2PERF_CACHE:-/var/cache/s2perf}
KSRC_TARBALL=${KSRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
KSRC_PKG=linux-source-6.12
CROSS=aarch64-linux-gnu-
# Overridable so a test can build a throw-away series in the same cache.
PATCH_DIR=${S2PERF_PATCH_DIR:-$S2PERF_ROOT/kernel-patches}

say() { printf '%s: %s\n' "${S2PERF_TOOL:-s2perf}" "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ksrc_version [PACKAGE]: the installed version of a kernel source package
# ($KSRC_PKG by default).
ksrc_version() {
	local pkg=${1:-$KSRC_PKG}
	dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null ||
		die "$pkg is not installed (run target/deps.sh)"
}

# ksrc_install PACKAGE: install another Debian kernel source package the
# first time a kernel spec (debian:V) asks for it; never by default.
ksrc_install() {
	local pkg=$1
	[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] && return 0
	apt-cache show "$pkg" >/dev/null 2>&1 || {
		say "kernel debian:${pkg#linux-source-}: Debian's archive has no package $pkg (apt-cache search linux-source)"
		exit 2
	}
	say "installing $pkg (asked for by the kernel spec; about 140 MB)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >&2 ||
		die "could not install $pkg"
}

# The patches named in kernel-patches/series, in order, one path a line.
# Blank lines and '#' comments are skipped, as quilt does.
series_patches() {
	local line
	[ -f "$PATCH_DIR/series" ] || die "kernel-patches/series is missing"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=$(printf '%s' "$line" | tr -d '[:space:]')
		[ -n "$line" ] || continue
		[ -f "$PATCH_DIR/$line" ] || die "series names $line, which is not in kernel-patches/"
		printf '%s\n' "$PATCH_DIR/$line"
	done <"$PATCH_DIR/series"
}

# patch_sum FILE: sha256 of what a patch file changes, without its commit
# messages: a message edit (a figure, a typo) rebuilds nothing, any change
# of code does. A message runs from a mailbox "From <sha>" line to the
# "---" separator or the first diff line; a file with no "From <sha>" line
# (a plain diff) is hashed whole.
patch_sum() {
	awk '/^From [0-9a-f][0-9a-f]* / { msg = 1; next }
		msg && /^---$/ { msg = 0; next }
		msg && (/^diff / || /^--- / || /^Index: /) { msg = 0 }
		!msg' "$1" | sha256sum | cut -c1-64
}

# Hash of the source package version and the patch series (names and what
# each patch changes: patch_sum).
series_key() {
	{
		echo "src $(ksrc_version)"
		local p
		series_patches | while IFS= read -r p; do
			echo "patch $(basename "$p") $(patch_sum "$p")"
		done
	} | sha256sum | cut -c1-16
}

# make_fresh OUT_DIR SRC_DIR...: set MAKE_FRESH to the flag that a build of
# SRC_DIR (with the other SRC_DIRs it compiles, e.g. common/) into OUT_DIR
# needs. Builds share OUT_DIR across checkouts (a
# clone, a worktree), and make compares mtimes only: sources older than
# objects made from other sources would leave those objects in place. So
# the content hash of SRC_DIR is kept beside the objects; when it differs,
# everything is rebuilt (-B). mark_fresh OUT_DIR after a successful build.
make_fresh() {
	local out=$1 d
	shift
	SRC_HASH=$(for d in "$@"; do
		(cd "$d" && find . -type f ! -name '*.md' -print0 | LC_ALL=C sort -z |
			xargs -0 sha256sum)
	done | sha256sum | cut -c1-16)
	MAKE_FRESH=
	[ "$(cat "$out/src.hash" 2>/dev/null)" = "$SRC_HASH" ] || MAKE_FRESH=-B
}
mark_fresh() {
	echo "$SRC_HASH" >"$1/src.hash"
}

# ---- the kernel under test: a spec (build-kernel.sh -k, the plan key 'kernel') ----
#   series        the shipped series on $KSRC_PKG (the default)
#   series:N      its first N patches (series:0 is upstream)
#   upstream      $KSRC_PKG as Debian ships it, no patch
#   debian:V      another Debian kernel source package, linux-source-V
#                 (e.g. debian:6.1), as Debian ships it; installed the
#                 first time a spec asks for it, never by default
#   BASE+PATH     BASE (one of the above) plus the patches in PATH: a
#                 directory (the names in its 'series' file, else every
#                 *.patch in name order) or an mbox (git format-patch
#                 --stdout, git send-email's file)
#   image:DIR     a prebuilt kernel: DIR/Image, DIR/vmlinux (with BTF);
#                 DIR/headers (UAPI) if the workloads are to be built on it
#   tree:DIR[@REV] a git checkout at commit REV (default HEAD), any
#                 version: its committed state (git archive), built in a
#                 source and build directory of its own (a cold build)
# spec_error prints why SPEC is not one of these (nothing when it is).
spec_error() {
	local spec=$1 base extra n
	case $spec in
	image:?* | tree:?*) return 0 ;;
	image:) echo "image: wants a directory (image:DIR)"; return 0 ;;
	tree:) echo "tree: wants a git checkout (tree:DIR or tree:DIR@REV)"; return 0 ;;
	esac
	base=${spec%%+*}
	extra=
	[ "$base" != "$spec" ] && extra=${spec#*+}
	case $base in
	series | upstream) ;;
	series:*)
		n=${base#series:}
		[[ $n =~ ^[0-9]+$ ]] || { echo "'$base': series:N wants a patch count, not '$n'"; return 0; } ;;
	debian:*)
		n=${base#debian:}
		[[ $n =~ ^[0-9]+\.[0-9]+$ ]] ||
			{ echo "'$base': debian:V wants a kernel version such as 6.1 (the package linux-source-V), not '$n'"; return 0; } ;;
	*) echo "'$spec' is not a kernel (series, series:N, upstream, debian:V, BASE+PATCHES, image:DIR, tree:DIR[@REV])"; return 0 ;;
	esac
	if [ "$base" != "$spec" ] && [ -z "$extra" ]; then
		echo "'$spec': nothing after '+' (a directory of patches or an mbox)"
	fi
	return 0
}

# kernel_spec SPEC: resolve SPEC into KSPEC (the spec), KSPEC_IMAGE (the
# prebuilt directory, or empty), KSPEC_PATCHES (the patch files, in order)
# and KSPEC_KEY (a hash of the source version and the patches' names and
# contents). A bad spec exits 2 with one line.
kernel_spec() {
	local spec=${1:-series} err base extra n all=() p
	err=$(spec_error "$spec")
	[ -z "$err" ] || { say "kernel: $err"; exit 2; }
	KSPEC=$spec KSPEC_IMAGE= KSPEC_TREE= KSPEC_REV= KSPEC_PATCHES=() KSPEC_KEY= KSPEC_PKG=$KSRC_PKG
	if [ "${spec#tree:}" != "$spec" ]; then
		local t=${spec#tree:} rev=HEAD
		case $t in *@*) rev=${t##*@} t=${t%@*} ;; esac
		[ -d "$t" ] && git -C "$t" rev-parse --git-dir >/dev/null 2>&1 ||
			{ say "kernel $spec: $t is not a git checkout"; exit 2; }
		KSPEC_TREE=$(cd "$t" && pwd)
		KSPEC_REV=$(git -C "$t" rev-parse --verify -q "$rev^{commit}") ||
			{ say "kernel $spec: no commit '$rev' in $t"; exit 2; }
		[ -f "$KSPEC_TREE/Makefile" ] && git -C "$t" cat-file -e "$KSPEC_REV:arch/arm64/kvm" 2>/dev/null ||
			{ say "kernel $spec: $rev of $t is not a Linux tree with arch/arm64/kvm"; exit 2; }
		KSPEC_KEY=$(echo "tree $KSPEC_REV" | sha256sum | cut -c1-16)
		return 0
	fi
	if [ "${spec#image:}" != "$spec" ]; then
		KSPEC_IMAGE=${spec#image:}
		[ -f "$KSPEC_IMAGE/Image" ] || { say "kernel $spec: no $KSPEC_IMAGE/Image"; exit 2; }
		[ -f "$KSPEC_IMAGE/vmlinux" ] ||
			{ say "kernel $spec: no $KSPEC_IMAGE/vmlinux (its BTF is what the collector reads)"; exit 2; }
		KSPEC_KEY=$(sha256sum <"$KSPEC_IMAGE/Image" | cut -c1-16)
		return 0
	fi
	base=${spec%%+*}
	extra=
	[ "$base" != "$spec" ] && extra=${spec#*+}
	mapfile -t all < <(series_patches)
	case $base in
	series) KSPEC_PATCHES=("${all[@]}") ;;
	upstream) ;;
	debian:*)
		KSPEC_PKG=linux-source-${base#debian:}
		ksrc_install "$KSPEC_PKG" ;;
	series:*)
		n=$((10#${base#series:}))
		[ "$n" -le ${#all[@]} ] ||
			{ say "kernel $spec: the series has ${#all[@]} patches, not $n"; exit 2; }
		KSPEC_PATCHES=("${all[@]:0:n}") ;;
	esac
	if [ -n "$extra" ]; then
		local more=() list
		list=$(extra_patches "$extra") || exit 2
		[ -n "$list" ] && mapfile -t more <<<"$list"
		[ ${#more[@]} -gt 0 ] || { say "kernel $spec: no patches in $extra"; exit 2; }
		KSPEC_PATCHES+=("${more[@]}")
	fi
	KSPEC_KEY=$({
		# The shipped source's key has no package name (keys made before
		# debian:V stay valid); another package's has.
		if [ "$KSPEC_PKG" = "$KSRC_PKG" ]; then
			echo "src $(ksrc_version)"
		else
			echo "src $KSPEC_PKG $(ksrc_version "$KSPEC_PKG")"
		fi
		for p in "${KSPEC_PATCHES[@]}"; do
			echo "patch $(basename "$p") $(patch_sum "$p")"
		done
	} | sha256sum | cut -c1-16)
}

# extra_patches PATH: the patch files of a directory or an mbox, in order.
extra_patches() {
	local path=$1 line d
	if [ -d "$path" ]; then
		path=$(cd "$path" && pwd)
		if [ -f "$path/series" ]; then
			while IFS= read -r line || [ -n "$line" ]; do
				line=${line%%#*}
				line=$(printf '%s' "$line" | tr -d '[:space:]')
				[ -n "$line" ] || continue
				[ -f "$path/$line" ] || { say "kernel: $path/series names $line, which is not there"; exit 2; }
				printf '%s\n' "$path/$line"
			done <"$path/series"
		else
			find "$path" -maxdepth 1 -name '*.patch' -type f | LC_ALL=C sort
		fi
	elif [ -f "$path" ]; then
		# An mbox: one file per mail, kept by content so the key is stable.
		d=$S2PERF_CACHE/mbox/$(sha256sum <"$path" | cut -c1-16)
		if [ ! -d "$d" ]; then
			mkdir -p "$d.tmp.$$"
			git mailsplit -o"$d.tmp.$$" "$path" >/dev/null ||
				{ rm -rf "$d.tmp.$$"; say "kernel: $path is not an mbox of patches"; exit 2; }
			mv "$d.tmp.$$" "$d" 2>/dev/null || rm -rf "$d.tmp.$$"
		fi
		find "$d" -maxdepth 1 -type f | LC_ALL=C sort
	else
		say "kernel: no patches at $path (a directory or an mbox)"
		exit 2
	fi
}

# The subject of a format-patch mail, without its [PATCH n/m] tag.
patch_subject() {
	awk '/^Subject: / { s = substr($0, 10); on = 1; next }
	     on && /^[ \t]/ { s = s $0; next }
	     on { exit }
	     END { sub(/^ *\[[^]]*\] */, "", s); gsub(/[ \t]+/, " ", s); print s }' "$1"
}

# series_prefix K PATCH...: a directory holding links to the first K of
# the PATCHes and a 'series' file naming them, for the spec upstream+DIR
# (the kernel key hashes names and contents, not paths: the prefix of the
# shipped series made this way is the same cache entry as series:K).
series_prefix() {
	local k=$1 d i
	shift
	d=$S2PERF_CACHE/prefix/$(printf '%s\n' "$@" | xargs sha256sum | sha256sum | cut -c1-16)/$k
	if [ ! -f "$d/series" ]; then
		mkdir -p "$d"
		for ((i = 1; i <= k; i++)); do
			ln -sf "${!i}" "$d/$(basename "${!i}")"
			basename "${!i}"
		done >"$d/series.tmp"
		mv "$d/series.tmp" "$d/series"
	fi
	echo "$d"
}

# Bring $S2PERF_CACHE/src/<version>/linux to pristine source plus the
# patches of the kernel spec (kernel_spec; the shipped series by default).
# The tree is a git repository whose first commit is the extracted tarball;
# switching series resets only the files that differ, so their mtimes, and
# thus the incremental rebuild, stay small. Caller holds the tree lock.
prepare_tree() {
	local ver tree want pkg tarball
	[ -n "${KSPEC_KEY:-}" ] || kernel_spec series
	pkg=${KSPEC_PKG:-$KSRC_PKG}
	tarball=/usr/src/$pkg.tar.xz
	[ "$pkg" = "$KSRC_PKG" ] && tarball=$KSRC_TARBALL
	ver=$(ksrc_version "$pkg")
	tree=$S2PERF_CACHE/src/$ver/linux
	KSRC=$tree
	want=$KSPEC_KEY
	if [ ! -d "$tree/.git" ]; then
		say "extracting $pkg $ver (about a minute)"
		rm -rf "$S2PERF_CACHE/src/$ver"
		mkdir -p "$S2PERF_CACHE/src/$ver"
		tar -C "$S2PERF_CACHE/src/$ver" -xf "$tarball" ||
			die "could not extract $tarball"
		mv "$S2PERF_CACHE/src/$ver/$pkg" "$tree"
		say "recording pristine tree in git"
		git -C "$tree" init -q
		git -C "$tree" add -A -f
		git -C "$tree" -c user.name=s2perf -c user.email=s2perf@localhost \
			-c gc.auto=0 commit -q -m "$pkg $ver (pristine)"
		git -C "$tree" tag pristine
	fi
	# No background "git gc --auto" in this tree: it would inherit the cache
	# lock's descriptor and hold every later build for minutes.
	git -C "$tree" config gc.auto 0
	if [ "$(cat "$tree/.git/s2perf-series" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	say "applying kernel $KSPEC: ${#KSPEC_PATCHES[@]} patch(es) ($want)"
	# Build the patched tree as a commit on a scratch index, as git am
	# would, then check it out: only files whose content changes are
	# rewritten, so an unchanged file keeps its mtime and is not rebuilt.
	local idx=$tree/.git/s2perf-index head p n=0 msg=$S2PERF_CACHE/am.msg
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$tree" read-tree pristine
	head=$(git -C "$tree" rev-parse pristine)
	while IFS= read -r p; do
		local info
		if ! info=$(git -C "$tree" mailinfo "$msg" "$S2PERF_CACHE/am.patch" <"$p") ||
			! grep -q '^Subject: ' <<<"$info" || [ ! -s "$S2PERF_CACHE/am.patch" ]; then
			die "$(basename "$p") is not a git format-patch mail"
		fi
		if ! GIT_INDEX_FILE=$idx git -C "$tree" apply --cached "$S2PERF_CACHE/am.patch" \
			2>"$S2PERF_CACHE/am.log"; then
			cat "$S2PERF_CACHE/am.log" >&2
			rm -f "$idx"
			die "patch $(basename "$p") does not apply to $pkg $ver"
		fi
		head=$({ sed -n 's/^Subject: //p' <<<"$info"; echo; cat "$msg"; } |
			GIT_INDEX_FILE=$idx git -C "$tree" -c user.name=s2perf \
				-c user.email=s2perf@localhost commit-tree \
				"$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)" -p "$head")
		n=$((n + 1))
	done < <(printf '%s\n' "${KSPEC_PATCHES[@]}" | grep -v '^$')
	rm -f "$idx" "$msg" "$S2PERF_CACHE/am.patch"
	git -C "$tree" checkout -q -f --detach "$head"
	git -C "$tree" clean -q -fdx
	rm -f "$tree/.git/s2perf-series"
	say "applied $n patch(es)"
	echo "$want" >"$tree/.git/s2perf-series"
}

# The committed state of a tree spec (tree:DIR@REV) in
# $S2PERF_CACHE/src/tree-<rev>/linux (git archive: no checkout of the
# user's tree is touched). Sets KSRC. Caller holds the cache lock.
prepare_user_tree() {
	local d=$S2PERF_CACHE/src/tree-${KSPEC_REV:0:12}
	KSRC=$d/linux
	[ -f "$d/.extracted" ] && return 0
	say "extracting $KSPEC_TREE at ${KSPEC_REV:0:12} (git archive; a cold build follows)"
	rm -rf "$d"
	mkdir -p "$KSRC"
	git -C "$KSPEC_TREE" archive "$KSPEC_REV" | tar -x -C "$KSRC" ||
		die "git archive of $KSPEC_TREE at $KSPEC_REV failed"
	touch "$d/.extracted"
}

# Run "$@" while holding an exclusive lock on the cache (one build at a time:
# the machine has 2 cores and the source tree is shared).
with_cache_lock() {
	mkdir -p "$S2PERF_CACHE"
	exec 9>"$S2PERF_CACHE/.lock"
	if ! flock -n 9; then
		say "waiting for another s2perf build to finish"
		flock 9
	fi
	"$@"
}

# Print elapsed seconds since $1 (from date +%s.%N) with one decimal.
elapsed() { awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'; }

# build_opts OPTSTRING ARGS...: the options of build-selftests.sh,
# build-guests.sh and build-bpf.sh, as many of these as OPTSTRING (getopts'
# syntax) lists: -a ARCH into arch (default arm64), -k KERNEL_DIR into kdir,
# -s SELFTESTS_BIN_DIR into stdir; -h prints the caller's usage and exits 0,
# any other option prints it on stderr and exits 2. Whether the values make
# sense for the architecture is the caller's to check.
build_opts() {
	local optstring=$1 opt OPTIND=1
	shift
	arch=arm64 kdir= stdir=
	while getopts "$optstring" opt; do
		case $opt in
		a) arch=$OPTARG ;;
		k) kdir=$OPTARG ;;
		s) stdir=$OPTARG ;;
		h) usage; exit 0 ;;
		*) usage >&2; exit 2 ;;
		esac
	done
}

# need_kdir TEST PATH WHAT: -k's directory (kdir, from build_opts) must
# pass "test TEST kdir/PATH" (a kernel built by target/build-kernel.sh),
# else "-k: 'KDIR' has no WHAT" and exit 2.
need_kdir() {
	[ -n "$kdir" ] && [ "$1" "$kdir/$2" ] ||
		{ say "-k: '${kdir:-}' has no $3 (run target/build-kernel.sh)"; exit 2; }
}
