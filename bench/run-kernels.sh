#!/usr/bin/env bash
# bench/run-kernels.sh: one plan on several kernels. Each kernel is built
# (or taken from the cache) first, then the plan runs once per kernel
# (bench/run-plan.sh --kernel), each run its own boots; then every kernel is
# compared with the one before it (what a patch of a series costs) and with
# the first (s2bench compare), and s2bench kernels writes the report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S2PERF_TOOL=run-kernels
. "$ROOT/target/common.sh"
. "$ROOT/bench/lib.sh"

usage() {
	cat <<USAGE
usage: bench/run-kernels.sh [options]          (also: ./run.sh kernels [options])

Run one plan on several kernels and report each kernel against the one
before it and against the first: with --series, what each patch of a
series costs. Kernels are compared across boots, which only the
deterministic clock allows (README.md, "Clocks"): icount is required.

  --plan NAME|FILE   the plan (bench/plans/NAME or a file)     (default: kernels)
  --kernel LIST      the kernels, in order (commas or spaces), instead of the
                     plan's: series, series:N, upstream, BASE+PATH, image:DIR
                     (target/build-kernel.sh -h)
  --series [DIR]     every prefix of a series, 0..N patches: of
                     kernel-patches/series (series:0 .. series:N), or of the
                     patches in DIR (a 'series' file or *.patch) on upstream
  --flavour F        kernel flavour (default, debug, kasan)
  --profile LIST     CPU profiles instead of the plan's
  --threshold PCT    a change reported as a regression must exceed this (default 5)
  --resume SET       finish SET (an interrupted run of this command)
  --out DIR          where the set goes                          (default: results/)
  -h, --help         this help

Writes SET = OUT/<plan>-kernels-<UTC time>/: kernels.tsv (index, spec,
run directory, label), runs/<index>-*/ (one run directory per kernel),
compare/ (s2bench compare -o of each pair) and kernels.txt / kernels.json
(s2bench kernels SET).
Exit status: 0 every run and comparison done, 1 some cell failed (the
report is written all the same), 2 bad arguments or a kernel that does
not build or boot (one line saying which, and its log).
USAGE
}

plan=kernels kernels= series=0 series_dir= flavour= profiles= resume= threshold=5
out=$ROOT/results
declare -A opt_var=([--plan]=plan [--kernel]=kernels [--flavour]=flavour [--profile]=profiles
	[--resume]=resume [--out]=out [--threshold]=threshold)
opt_other() {
	case $1 in
	--series)
		series=1 took=1
		if [ $# -ge 2 ] && [ "${2#-}" = "$2" ]; then series_dir=$2 took=2; fi ;;
	--target | --target=* | --clock | --clock=*)
		bad "$1: kernels are compared on the emulated target in the icount clock only" ;;
	*) return 1 ;;
	esac
}
parse_opts "$@"
[[ $threshold =~ ^[0-9]+([.][0-9]+)?$ ]] || bad "--threshold '$threshold': a percentage"
[ $series -eq 0 ] || [ -z "$kernels" ] || bad "--series and --kernel: give one"

build_s2bench

if [ -n "$resume" ]; then
	[ -f "$resume/kernels.tsv" ] && [ -f "$resume/set.env" ] ||
		bad "--resume: $resume is not a set of kernel runs (no kernels.tsv, set.env)"
	[ -z "$kernels$series_dir$flavour$profiles" ] && [ $series -eq 0 ] && [ "$plan" = kernels ] ||
		bad "--resume: the set's plan and kernels are fixed; give only --resume"
	set=$(cd "$resume" && pwd)
	# shellcheck disable=SC1091
	. "$set/set.env"
else
	planfile=$(plan_file "$plan") || exit 2
	planfile=$(cd "$(dirname "$planfile")" && pwd)/$(basename "$planfile")
	mkdir -p "$out"
	set=$(cd "$out" && pwd)/$(basename "$planfile")-kernels-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$set/runs" "$set/compare"
	# What the plan itself says, from a throw-away expansion.
	tmp=$set/.expand
	args=()
	[ -n "$flavour" ] && args+=(--flavour "$flavour")
	[ -n "$profiles" ] && args+=(--profile "$profiles")
	"$S2BENCH" plan expand "${args[@]}" "$planfile" "$tmp" >/dev/null || { rm -rf "$set"; exit 2; }
	clock=$(. "$tmp/run.env"; echo "$S2B_CLOCK")
	target=$(. "$tmp/run.env"; echo "$S2B_TARGET")
	plan_kernels=$(. "$tmp/run.env"; echo "$S2B_KERNELS")
	pflavour=$(. "$tmp/run.env"; echo "$S2B_FLAVOUR")
	rm -rf "$tmp"
	if [ "$target" != qemu ] || [ "$clock" != icount ]; then
		rm -rf "$set"
		bad "plan $plan: target $target, clock $clock: kernels are compared across boots, which only the emulated target's icount clock allows (two boots of one kernel differ by 10-50% in real time)"
	fi
	: >"$set/kernels.tsv"
	n=0
	# index, spec, run directory ('-' until it runs: read's IFS would
	# merge two tabs), label
	add() { # spec label
		printf '%s\t%s\t%s\t%s\n' "$n" "$1" - "$2" >>"$set/kernels.tsv"
		n=$((n + 1))
	}
	if [ $series -eq 1 ] && [ -z "$series_dir" ]; then
		mapfile -t ps < <(series_patches)
		add series:0 "upstream ($KSRC_PKG)"
		for i in "${!ps[@]}"; do
			add "series:$((i + 1))" "patch $((i + 1))/${#ps[@]}: $(patch_subject "${ps[$i]}")"
		done
	elif [ $series -eq 1 ]; then
		# A user's series: prefix k is a directory of links to its first
		# k patches (the kernel key hashes names and contents, not paths).
		[ -d "$series_dir" ] || bad "--series: $series_dir is not a directory of patches"
		list=$(extra_patches "$series_dir") || exit 2
		[ -n "$list" ] || bad "--series: no patches in $series_dir"
		mapfile -t ps <<<"$list"
		add upstream "upstream ($KSRC_PKG)"
		for i in "${!ps[@]}"; do
			add "upstream+$(series_prefix $((i + 1)) "${ps[@]}")" \
				"patch $((i + 1))/${#ps[@]}: $(patch_subject "${ps[$i]}")"
		done
	else
		[ -n "$kernels" ] || kernels=$plan_kernels
		for k in ${kernels//,/ }; do add "$k" "$k"; done
	fi
	[ "$n" -ge 2 ] || { rm -rf "$set"; bad "one kernel ($kernels): nothing to compare; bench/run-plan.sh runs one"; }
	{
		echo "# written by bench/run-kernels.sh; sourced by --resume"
		printf 'planfile=%q\nflavour=%q\nprofiles=%q\nthreshold=%q\n' "$planfile" \
			"${flavour:-$pflavour}" "$profiles" "$threshold"
	} >"$set/set.env"
	cp "$planfile" "$set/plan"
	# shellcheck disable=SC1091
	. "$set/set.env"
fi
say "set: $set"

mapfile -t rows <"$set/kernels.tsv"
nk=${#rows[@]}

# 1. Every kernel built before any run: a kernel that does not build is
# found in minutes, not after hours of runs.
for row in "${rows[@]}"; do
	IFS=$'\t' read -r i spec _ label <<<"$row"
	say "kernel $((i + 1))/$nk: $spec ($label): building or reusing"
	"$ROOT/target/build-kernel.sh" -k "$spec" -f "$flavour" >"$set/build-$i.out" 2>"$set/build-$i.err" || {
		tail -n 15 "$set/build-$i.err" >&2
		bad "kernel $spec did not build (its output: $set/build-$i.err)"
	}
	say "  $(tail -n 1 "$set/build-$i.out")"
done

# 2. One run per kernel.
rc=0
for idx in "${!rows[@]}"; do
	IFS=$'\t' read -r i spec rdir label <<<"${rows[$idx]}"
	r=0
	[ "$rdir" != - ] || rdir=
	if [ -n "$rdir" ] && [ -f "$set/$rdir/metrics.csv" ]; then
		say "kernel $((i + 1))/$nk: $spec: done ($rdir)"
		continue
	fi
	say "kernel $((i + 1))/$nk: $spec ($label)"
	if [ -n "$rdir" ] && [ -d "$set/$rdir" ]; then
		"$ROOT/bench/run-plan.sh" --resume "$set/$rdir" >&2 || r=$?
	else
		args=(--plan "$planfile" --kernel "$spec" --out "$set/runs")
		[ -n "$flavour" ] && args+=(--flavour "$flavour")
		[ -n "$profiles" ] && args+=(--profile "$profiles")
		before=$(ls "$set/runs")
		"$ROOT/bench/run-plan.sh" "${args[@]}" >&2 || r=$?
		rdir=$(comm -13 <(echo "$before") <(ls "$set/runs") | head -n 1)
		[ -n "$rdir" ] || bad "kernel $spec: run-plan made no run directory (status $r)"
		mv "$set/runs/$rdir" "$set/runs/$i-$rdir"
		rdir=runs/$i-$rdir
		awk -F'\t' -v OFS='\t' -v i="$i" -v d="$rdir" '$1 == i { $3 = d } { print }' \
			"$set/kernels.tsv" >"$set/kernels.tsv.tmp"
		mv "$set/kernels.tsv.tmp" "$set/kernels.tsv"
	fi
	case $r in
	0) ;;
	1) rc=1; say "kernel $spec: some cells failed (see $set/$rdir/cells.csv)" ;;
	*) bad "kernel $spec: the run failed with status $r (see $set/$rdir/boots/)" ;;
	esac
	[ -f "$set/$rdir/metrics.csv" ] || bad "kernel $spec: no metrics.csv in $set/$rdir (did it boot? see its boots/)"
done

# 3. Each kernel against the one before it and against the first.
mapfile -t rows <"$set/kernels.tsv"
run_of() { IFS=$'\t' read -r _ _ d _ <<<"${rows[$1]}"; echo "$set/$d"; }
for ((k = 1; k < nk; k++)); do
	bases=$((k - 1))
	[ "$k" -gt 1 ] && bases="$bases 0"
	for b in $bases; do
		f=$set/compare/$k-vs-$b.json
		[ -f "$f" ] && continue
		cr=0
		"$S2BENCH" compare --threshold "$threshold" -o "$f.tmp" "$(run_of "$b")" "$(run_of "$k")" \
			>"$set/compare/$k-vs-$b.txt" 2>&1 || cr=$?
		[ "$cr" -le 3 ] || bad "s2bench compare of kernel $k against $b failed ($cr): $set/compare/$k-vs-$b.txt"
		[ "$cr" -ne 2 ] || { tail -n 3 "$set/compare/$k-vs-$b.txt" >&2; bad "kernel $k and $b cannot be compared"; }
		mv "$f.tmp" "$f"
	done
done
"$S2BENCH" kernels -o "$set/kernels.json" "$set" | tee "$set/kernels.txt"
say "report: $set/kernels.txt"
exit $rc
