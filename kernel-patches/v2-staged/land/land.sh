#!/bin/sh
# land.sh v2|v2s: put kernel series v2 (findings 1-10; v2s: plus the binary
# stats patch) into /work/main with the files that depend on its tracepoint
# fields. Run only once the tests passed with S2PERF_PATCH_DIR=the dir.
set -eu
M=/work/main K=/work/kwork
case ${1:-} in
v2) P=$K/patches ;;
v2s) P=$K/patches-stats ;;
*) echo "usage: land.sh v2|v2s" >&2; exit 2 ;;
esac
rm -f $M/kernel-patches/0*.patch
cp $P/0*.patch $P/series $M/kernel-patches/
cp $K/land/bpf/s2tlbi.bt $K/land/bpf/s2faults.bt $M/bpf/
cp $K/land/tests/t-tracepoints.sh $M/tests/
if [ "$1" = v2s ]; then
	cp $K/land/tests/t-stats-target.sh $K/land/tests/s2stats.c $M/tests/
fi
git -C $M apply $K/land/README.diff
git -C $M status --short kernel-patches bpf tests README.md
