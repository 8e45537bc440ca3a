#!/usr/bin/env bash
# bench/bisect.sh: the first patch of a series that moves a gated metric.
# Given a good and a bad prefix of a series, run the plan on the middle
# prefix and compare it with the good one (s2bench compare, filtered to
# the metric asked about), halving until one patch is left. Each step
# prints its evidence: the compare rows that decided it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S2PERF_TOOL=bisect
. "$ROOT/target/common.sh"
. "$ROOT/bench/lib.sh"

usage() {
	cat <<USAGE
usage: bench/bisect.sh --good N --bad M [options]       (also: ./run.sh bisect ...)

Find the first patch between prefix N (good) and prefix M (bad) of a
series whose kernel makes a gated metric worse than the good kernel's by
more than the threshold (s2bench compare exits 1: DIFFERENT after Holm,
worse, beyond the threshold). One run of the plan per kernel tried, in the
instruction clock (runs are compared across boots). Runs are kept and
reused: a second bisect of the same plan and kernels runs nothing again.

  --good N           prefix with N patches (0: upstream) that is good
  --bad M            prefix with M > N patches that is bad
  --series DIR       a directory of patches on upstream (its 'series' file,
                     else *.patch) instead of kernel-patches/series
  --plan NAME|FILE   the plan                                 (default: kernels)
  --metric NAME      only this metric decides (default: any gated metric)
  --strategy NAME    only rows of this strategy
  --config TEXT      only rows whose configuration contains TEXT
  --threshold PCT    how much worse counts as bad              (default: 2)
  --out DIR          where the runs go                         (default: results/)
  -h, --help         this help

Exit status: 0 found (the last line names the patch), 1 the bad kernel is
not bad against the good one (nothing to bisect) or a step could not
decide (compare exit 3: more reps), 2 bad arguments or a failed run.
USAGE
}

good= badk= series_dir= plan=kernels metric= strategy= config= threshold=2 out=$ROOT/results
declare -A opt_var=([--good]=good [--bad]=badk [--series]=series_dir [--plan]=plan
	[--metric]=metric [--strategy]=strategy [--config]=config [--threshold]=threshold [--out]=out)
parse_opts "$@"
[[ $good =~ ^[0-9]+$ ]] || bad "--good wants a prefix length (0 = upstream), not '${good:-nothing}'"
[[ $badk =~ ^[0-9]+$ ]] || bad "--bad wants a prefix length, not '${badk:-nothing}'"
[ "$badk" -gt "$good" ] || bad "--bad ($badk) must have more patches than --good ($good)"
[[ $threshold =~ ^[0-9]+([.][0-9]+)?$ ]] || bad "--threshold '$threshold': a percentage"

build_s2bench

planfile=$(plan_file "$plan") || exit 2
planfile=$(cd "$(dirname "$planfile")" && pwd)/$(basename "$planfile")

# The patches, and the kernel spec of prefix k.
if [ -n "$series_dir" ]; then
	[ -d "$series_dir" ] || bad "--series: $series_dir is not a directory"
	list=$(extra_patches "$series_dir") || exit 2
	mapfile -t ps <<<"$list"
else
	mapfile -t ps < <(series_patches)
fi
[ "$badk" -le ${#ps[@]} ] || bad "--bad $badk: the series has ${#ps[@]} patches"
spec_of() {
	local k=$1
	if [ -z "$series_dir" ]; then
		echo "series:$k"
	elif [ "$k" -eq 0 ]; then
		echo upstream
	else
		echo "upstream+$(series_prefix "$k" "${ps[@]}")"
	fi
}

# One run per kernel, kept under OUT/bisect-<plan>-<key>/<k>: a run of the
# same plan file and kernel is reused.
key=$( { sha256sum <"$planfile"; printf '%s\n' "${ps[@]}" | xargs sha256sum; } | sha256sum | cut -c1-12)
bdir=$(mkdir -p "$out" && cd "$out" && pwd)/bisect-$(basename "$planfile")-$key
mkdir -p "$bdir"
run_of() { # k -> run directory
	local k=$1 spec before d r=0
	if [ -f "$bdir/$k/done" ]; then cat "$bdir/$k/done"; return 0; fi
	spec=$(spec_of "$k")
	mkdir -p "$bdir/$k"
	say "prefix $k ($spec): running plan $(basename "$planfile")"
	before=$(ls "$bdir/$k")
	"$ROOT/bench/run-plan.sh" --plan "$planfile" --kernel "$spec" --out "$bdir/$k" >&2 || r=$?
	[ "$r" -le 1 ] || bad "prefix $k ($spec): the run failed ($r)"
	d=$(comm -13 <(echo "$before") <(ls "$bdir/$k") | grep -v '^done$' | head -n 1)
	[ -n "$d" ] && [ -f "$bdir/$k/$d/metrics.csv" ] || bad "prefix $k: no run directory with metrics.csv"
	echo "$bdir/$k/$d" >"$bdir/$k/done"
	echo "$bdir/$k/$d"
}
filters=(--threshold "$threshold")
[ -n "$metric" ] && filters+=(--metric "$metric")
[ -n "$strategy" ] && filters+=(--strategy "$strategy")
[ -n "$config" ] && filters+=(--config "$config")
# Is prefix k bad against the good one? Prints the evidence; 0 bad, 1 good, 3 undecided.
is_bad() {
	local k=$1 g r=0 f
	g=$(run_of "$good")
	f=$bdir/compare-$good-vs-$k.txt
	"$S2BENCH" compare "${filters[@]}" "$g" "$(run_of "$k")" >"$f" 2>&1 || r=$?
	# The evidence: the rows (each with its shift and CI) and the verdict.
	{ grep -E '\[[-+][0-9.]+%, [-+][0-9.]+%\]' "$f" | head -n 8
	  grep -E '^(OK|FAIL|Cannot decide|cannot decide)' "$f" | tail -n 1; } | sed 's/^/    /' >&2
	case $r in
	1) return 0 ;;
	0) return 1 ;;
	3) tail -n 3 "$f" | sed 's/^/    /' >&2; return 3 ;;
	*) tail -n 3 "$f" >&2; bad "s2bench compare failed ($r): $f" ;;
	esac
}

say "bisect: prefixes $good (good) .. $badk (bad) of ${#ps[@]} patches; plan $(basename "$planfile"); worse than ${threshold}%${metric:+ on $metric}${strategy:+ under $strategy}; runs in $bdir"
r=0
say "step: is prefix $badk bad against $good?"
is_bad "$badk" || r=$?
case $r in
0) ;;
1) say "prefix $badk is not worse than prefix $good beyond ${threshold}%: nothing to bisect"; exit 1 ;;
3) say "cannot decide prefix $badk against $good (more reps in the plan)"; exit 1 ;;
esac
lo=$good hi=$badk
while [ $((hi - lo)) -gt 1 ]; do
	mid=$(((lo + hi) / 2))
	say "step: prefix $mid (patches $((lo + 1))..$hi left)"
	r=0
	is_bad "$mid" || r=$?
	case $r in
	0) say "  prefix $mid: bad"; hi=$mid ;;
	1) say "  prefix $mid: good"; lo=$mid ;;
	3) say "  prefix $mid: cannot decide (more reps in the plan)"; exit 1 ;;
	esac
done
say "first bad: patch $hi/${#ps[@]}: $(patch_subject "${ps[$((hi - 1))]}") ($(basename "${ps[$((hi - 1))]}"))"
echo "patch $hi $(basename "${ps[$((hi - 1))]}")"
