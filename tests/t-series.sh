#!/usr/bin/env bash
# The kernel series is a real one: every file in series is a git
# format-patch mail, checkpatch --strict reports nothing in any, and each
# prefix of the series compiles arch/arm64/kvm (with virt/kvm) without a
# warning, so that the series bisects.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/target/common.sh"
FLAVOUR=${S2PERF_FLAVOUR:-debug}

mapfile -t patches < <(series_patches)
[ ${#patches[@]} -gt 0 ] || skip "the series is empty"
ksrc=$S2PERF_CACHE/src/$(ksrc_version)/linux

for p in "${patches[@]}"; do
	head -n 1 "$p" | grep -q '^From [0-9a-f]\{40\} ' || fail "$(basename "$p"): not format-patch output"
	grep -q '^Subject: \[PATCH[^]]*\] KVM: ' "$p" || fail "$(basename "$p"): subject is not 'KVM: ...'"
	grep -q '^Signed-off-by: ' "$p" || fail "$(basename "$p"): no Signed-off-by"
	"$ksrc/scripts/checkpatch.pl" --strict --no-tree "$p" >"$OUT/$(basename "$p").checkpatch" 2>&1 || true
	# clean: no error, no warning, no check (--strict)
	grep -q '^total: 0 errors, 0 warnings, 0 checks' "$OUT/$(basename "$p").checkpatch" ||
		{ grep -A3 '^ERROR\|^WARNING\|^CHECK' "$OUT/$(basename "$p").checkpatch"; fail "$(basename "$p"): checkpatch --strict is not clean"; }
	pass "$(basename "$p"): $(grep '^total:' "$OUT/$(basename "$p").checkpatch")"
done

# The cover letter: [PATCH 0/N] for the N patches of series, its shortlog
# names each patch's subject in order, and it is not itself in series.
cover=$PATCH_DIR/0000-cover-letter.patch
[ -f "$cover" ] || fail "no kernel-patches/0000-cover-letter.patch"
grep -q '0000-cover-letter' "$PATCH_DIR/series" && fail "series names the cover letter"
grep -q "^Subject: \[PATCH 0/${#patches[@]}\] KVM: " "$cover" || fail "the cover letter's subject is not [PATCH 0/${#patches[@]}] KVM: ..."
for p in "${patches[@]}"; do
	subj=$(sed -n '/^Subject: /{N;s/\n / /;s/^Subject: \[PATCH [0-9]*\/[0-9]*\] //;p;q}' "$p" | head -n 1)
	grep -qF "  $subj" "$cover" || fail "the cover letter's shortlog lacks '$subj'"
done
grep -q '^ *[0-9]* files\? changed' "$cover" || fail "the cover letter has no diffstat"
pass "cover letter: [PATCH 0/${#patches[@]}], shortlog of every patch, diffstat"

bdir=$S2PERF_CACHE/build/$(ksrc_version)-$FLAVOUR
[ -f "$bdir/.config" ] || skip "no configured $FLAVOUR build directory"

compile_prefix() {
	local n=$1 dir=$OUT/prefix-$1
	mkdir -p "$dir"
	printf '%s\n' "${patches[@]:0:n}" | xargs -n1 basename >"$dir/series"
	cp "${patches[@]:0:n}" "$dir/"
	PATCH_DIR=$dir prepare_tree
	make -C "$KSRC" O="$bdir" ARCH=arm64 CROSS_COMPILE=$CROSS \
		"CC=ccache ${CROSS}gcc" "HOSTCC=ccache gcc" LOCALVERSION= \
		-j"$(nproc)" arch/arm64/kvm/ >"$dir/build.log" 2>&1
}

check_prefixes() {
	local n rc
	export CCACHE_DIR=$S2PERF_CACHE/ccache CCACHE_BASEDIR=$S2PERF_CACHE CCACHE_NOHASHDIR=1
	for ((n = 1; n <= ${#patches[@]}; n++)); do
		rc=0
		compile_prefix "$n" || rc=$?
		if [ $rc -ne 0 ] || grep -q 'warning:' "$OUT/prefix-$n/build.log"; then
			grep -E 'error|warning' "$OUT/prefix-$n/build.log" | head -n 20
			prepare_tree
			fail "the series up to $(basename "${patches[n - 1]}") does not build cleanly"
		fi
		pass "builds up to $(basename "${patches[n - 1]}")"
	done
	# Leave the tree at the whole series for the next kernel build.
	prepare_tree
}
with_cache_lock check_prefixes
