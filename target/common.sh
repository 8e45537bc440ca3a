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

ksrc_version() {
	dpkg-query -W -f='${Version}' "$KSRC_PKG" 2>/dev/null ||
		die "$KSRC_PKG is not installed (run target/deps.sh)"
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

# Hash of the source package version and the patch series (names and contents).
series_key() {
	{
		echo "src $(ksrc_version)"
		local p
		series_patches | while IFS= read -r p; do
			echo "patch $(basename "$p") $(sha256sum <"$p" | cut -c1-64)"
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

# Bring $S2PERF_CACHE/src/<version>/linux to pristine source plus the series.
# The tree is a git repository whose first commit is the extracted tarball;
# switching series resets only the files that differ, so their mtimes, and
# thus the incremental rebuild, stay small. Caller holds the tree lock.
prepare_tree() {
	local ver tree want
	ver=$(ksrc_version)
	tree=$S2PERF_CACHE/src/$ver/linux
	KSRC=$tree
	want=$(series_key)
	if [ ! -d "$tree/.git" ]; then
		say "extracting $KSRC_PKG $ver (about a minute)"
		rm -rf "$S2PERF_CACHE/src/$ver"
		mkdir -p "$S2PERF_CACHE/src/$ver"
		tar -C "$S2PERF_CACHE/src/$ver" -xf "$KSRC_TARBALL" ||
			die "could not extract $KSRC_TARBALL"
		mv "$S2PERF_CACHE/src/$ver/linux-source-6.12" "$tree"
		say "recording pristine tree in git"
		git -C "$tree" init -q
		git -C "$tree" add -A -f
		git -C "$tree" -c user.name=s2perf -c user.email=s2perf@localhost \
			-c gc.auto=0 commit -q -m "$KSRC_PKG $ver (pristine)"
		git -C "$tree" tag pristine
	fi
	# No background "git gc --auto" in this tree: it would inherit the cache
	# lock's descriptor and hold every later build for minutes.
	git -C "$tree" config gc.auto 0
	if [ "$(cat "$tree/.git/s2perf-series" 2>/dev/null)" = "$want" ]; then
		return 0
	fi
	say "applying kernel-patches/series ($want)"
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
			die "patch $(basename "$p") does not apply to $KSRC_PKG $ver"
		fi
		head=$({ sed -n 's/^Subject: //p' <<<"$info"; echo; cat "$msg"; } |
			GIT_INDEX_FILE=$idx git -C "$tree" -c user.name=s2perf \
				-c user.email=s2perf@localhost commit-tree \
				"$(GIT_INDEX_FILE=$idx git -C "$tree" write-tree)" -p "$head")
		n=$((n + 1))
	done < <(series_patches)
	rm -f "$idx" "$msg" "$S2PERF_CACHE/am.patch"
	git -C "$tree" checkout -q -f --detach "$head"
	git -C "$tree" clean -q -fdx
	rm -f "$tree/.git/s2perf-series"
	say "applied $n patch(es)"
	echo "$want" >"$tree/.git/s2perf-series"
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
