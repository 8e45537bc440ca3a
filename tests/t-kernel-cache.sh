#!/usr/bin/env bash
# The kernel cache: nothing changed means no rebuild; a changed patch series
# means a new cache entry built incrementally in the same output directory;
# the debug flavour is selectable and carries the lock and RCU checkers.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$ROOT/target/common.sh"
FLAVOUR=${S2PERF_FLAVOUR:-debug}

# 1. Unchanged inputs: the cached kernel comes back untouched.
before=$(stat -c %Y "$KDIR/Image")
"$ROOT/target/build-kernel.sh" -f "$FLAVOUR" >"$OUT/again.out" 2>"$OUT/again.err"
cat "$OUT/again.err"
[ "$(tail -n 1 "$OUT/again.out")" = "$KDIR" ] || fail "unchanged inputs gave another kernel: $(cat "$OUT/again.out")"
expect_grep '^build-kernel: cached: ' "$OUT/again.err" "second build"
[ "$(stat -c %Y "$KDIR/Image")" = "$before" ] || fail "the cached Image was rewritten"
pass "no rebuild with nothing changed"

# 1b. A commit message edited (a figure added, the subject's numbering
# changed): what the patch changes is the same, so is the kernel.
msgdir=$OUT/patches-msg
cp -r "$ROOT/kernel-patches" "$msgdir"
p1=$(grep -v '^#' "$msgdir/series" | head -n 1)
sed -i -e 's/^\(Subject: \[PATCH\) [0-9]*\/[0-9]*\]/\1 1\/99]/' \
	-e '0,/^Signed-off-by:/s//Measured: a line only this test adds.\n\n&/' "$msgdir/$p1"
cmp -s "$msgdir/$p1" "$ROOT/kernel-patches/$p1" && fail "the test did not change $p1's message"
grep -q '^Measured: a line only this test adds' "$msgdir/$p1" || fail "the test's message line is missing"
S2PERF_PATCH_DIR=$msgdir "$ROOT/target/build-kernel.sh" -f "$FLAVOUR" >"$OUT/msg.out" 2>"$OUT/msg.err"
[ "$(tail -n 1 "$OUT/msg.out")" = "$KDIR" ] || fail "a message-only edit gave another kernel: $(tail -n 1 "$OUT/msg.out")"
expect_grep '^build-kernel: cached: ' "$OUT/msg.err" "build after a message edit"
pass "a commit message edit rebuilds nothing"

# 2. One more patch (a comment in arch/arm64/kvm/mmu.c) on top of the real
# series: a new key, and only a handful of objects recompiled.
series=$OUT/patches
cp -r "$ROOT/kernel-patches" "$series"
ksrc=$S2PERF_CACHE/src/$(ksrc_version)/linux
f=arch/arm64/kvm/mmu.c
mkdir -p "$OUT/a/$(dirname $f)" "$OUT/b/$(dirname $f)"
git -C "$ksrc" show "HEAD:$f" >"$OUT/a/$f"
cp "$OUT/a/$f" "$OUT/b/$f"
blog=$S2PERF_CACHE/build/$(ksrc_version)-$FLAVOUR/s2perf-build.log
# The build directory is shared by every series of this flavour, so it holds
# whatever was built last (another series, a bisect). A first build with the
# test patch brings it to "the real series plus one comment"; when that took
# more than a handful of objects, the directory held something else and a
# second comment is what measures the incremental rebuild.
build_with_comment() {
	cp "$OUT/a/$f" "$OUT/b/$f"
	echo "/* s2perf cache test $1 $(date +%s%N) */" >>"$OUT/b/$f"
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "From: s2perf test <s2perf@localhost>"
		echo "Date: $(date -R)"
		echo "Subject: [PATCH] KVM: arm64: s2perf cache test"
		echo
		echo "Throw-away patch for the incremental rebuild test."
		echo "---"
		(cd "$OUT" && diff -u "a/$f" "b/$f" || true)
		echo "-- "
		echo "2.39.5"
	} >"$series/9999-cache-test.patch"
	grep -qx 9999-cache-test.patch "$series/series" || echo 9999-cache-test.patch >>"$series/series"
	S2PERF_PATCH_DIR=$series "$ROOT/target/build-kernel.sh" -f "$FLAVOUR" >"$OUT/patched.out" 2>"$OUT/patched.err"
	cat "$OUT/patched.err"
	newk=$(tail -n 1 "$OUT/patched.out")
	[ "$newk" != "$KDIR" ] || fail "a changed series reused the old kernel"
	[ -f "$newk/Image" ] || fail "no Image after the incremental build"
	ncc=$(grep -c '^  CC ' "$blog" || true)
}
build_with_comment 1
if [ "$ncc" -gt 30 ]; then
	echo "first build recompiled $ncc objects: the build directory held another series; measuring again"
	rm -rf "$newk"
	build_with_comment 2
fi
echo "objects recompiled: $ncc"
grep '^  CC ' "$blog" | head -n 20
grep -q "^  CC .*arch/arm64/kvm/mmu.o" "$blog" || fail "mmu.o was not rebuilt"
[ "$ncc" -le 30 ] || fail "$ncc objects recompiled for a one-line change: not incremental"
pass "incremental rebuild: $ncc objects"
rm -rf "$newk"

# 3. Back to the real series: the original entry is still there.
"$ROOT/target/build-kernel.sh" -f "$FLAVOUR" >"$OUT/back.out" 2>"$OUT/back.err"
[ "$(tail -n 1 "$OUT/back.out")" = "$KDIR" ] || fail "the original kernel was not reused"
pass "original entry reused"

# 4. Flavours: the debug one carries the lock, RCU and atomic-sleep
# checkers, the default one does not (the other is only configured here).
debug_syms="PROVE_LOCKING PROVE_RCU DEBUG_ATOMIC_SLEEP DEBUG_LIST LOCK_STAT"
if [ "$FLAVOUR" = debug ]; then
	debug_cfg=$KDIR/config
	default_cfg=$("$ROOT/target/build-kernel.sh" -f default -C 2>"$OUT/other.err" | tail -n 1)
else
	default_cfg=$KDIR/config
	debug_cfg=$("$ROOT/target/build-kernel.sh" -f debug -C 2>"$OUT/other.err" | tail -n 1)
fi
for sym in $debug_syms KVM DEBUG_INFO_BTF; do
	expect_grep "^CONFIG_$sym=y" "$debug_cfg" "debug .config"
done
for sym in $debug_syms; do
	grep -q "^CONFIG_$sym=y" "$default_cfg" && fail "the default flavour has $sym"
done
expect_grep '^CONFIG_KVM=y' "$default_cfg" "default .config"
pass "flavours differ as intended"
