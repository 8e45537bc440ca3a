#!/usr/bin/env bash
# bench/run-kernels.sh: one plan on several kernels. Each kernel is built
# (or taken from the cache) first, then the plan runs once per kernel
# (bench/run-plan.sh --kernel), each run its own boots; then every kernel is
# compared with the one before it (what a patch of a series costs) and with
# the first (s2bench compare), and s2bench kernels writes the report.
# With --blocks N the kernels alternate: N blocks, every kernel once in each
# (its own boot, a plan of ceil(reps/N) reps), the order of each block
# seeded and recorded in blocks.tsv, and s2bench kernels pairs them by block.
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
series costs. Kernels cannot share a boot, so they are compared across
boots: one run each in the deterministic clock (icount, README.md
"Clocks"), or alternated block by block (--blocks N), which also allows
real time.

  --plan NAME|FILE   the plan (bench/plans/NAME or a file)     (default: kernels)
  --kernel LIST      the kernels, in order (commas or spaces), instead of the
                     plan's: series, series:N, upstream, debian:V, BASE+PATH, image:DIR,
                     tree:DIR[@REV]
                     (target/build-kernel.sh -h)
  --series [DIR]     every prefix of a series, 0..N patches: of
                     kernel-patches/series (series:0 .. series:N), or of the
                     patches in DIR (a 'series' file or *.patch) on upstream
  --flavour F        kernel flavour (default, debug, kasan)
  --profile LIST     CPU profiles instead of the plan's
  --threshold PCT    a change reported as a regression must exceed this (default 5;
                     with --blocks also the SAME band)
  --blocks N         alternate the kernels block by block (default 1: one run
                     per kernel): N blocks, every kernel once in each, its own
                     boot, with ceil(reps/N) of the plan's reps and a seed of
                     its own; block 1 in the listed order, every later one in
                     an order seeded by the plan's seed; compared paired by
                     block (per block the ratio of medians, a t CI over the
                     blocks). N boots per kernel (about 20 s each)
  --clock C          icount | realtime instead of the plan's; realtime needs
                     --blocks 3 or more (fewer block pairs cannot carry the
                     10-50% between-boot variance of real time into the CI)
  --resume SET       finish SET (an interrupted run of this command)
  --out DIR          where the set goes                          (default: results/)
  -h, --help         this help

Writes SET = OUT/<plan>-kernels-<UTC time>/: kernels.tsv (index, spec,
run directory, label), runs/<index>-*/ (one run directory per kernel),
compare/ (s2bench compare -o of each pair) and kernels.txt / kernels.json
(s2bench kernels SET). With --blocks: blocks.tsv (block, position, kernel,
spec, run directory, start and end UTC: which boot ran which kernel),
plans/block-<b>/<plan> (each block's plan), runs/b<b>-k<index>/<run>/, and
kernels.txt / kernels.json paired by block (no compare/).
Exit status: 0 every run and comparison done, 1 some cell failed (the
report is written all the same), 2 bad arguments or a kernel that does
not build or boot (one line saying which, and its log).
USAGE
}

plan=kernels kernels= series=0 series_dir= flavour= profiles= resume= threshold=5
blocks= clock= out=$ROOT/results
declare -A opt_var=([--plan]=plan [--kernel]=kernels [--flavour]=flavour [--profile]=profiles
	[--resume]=resume [--out]=out [--threshold]=threshold [--blocks]=blocks [--clock]=clock)
opt_other() {
	case $1 in
	--series)
		series=1 took=1
		if [ $# -ge 2 ] && [ "${2#-}" = "$2" ]; then series_dir=$2 took=2; fi ;;
	--target | --target=*)
		bad "$1: kernels are compared on the emulated target only (a host runs its own kernel)" ;;
	*) return 1 ;;
	esac
}

# clock_ok CLOCK BLOCKS WHERE: refuse a clock in which BLOCKS blocks cannot
# tell a kernel from a boot (WHERE: where the clock came from, for the message).
clock_ok() {
	[ "$1" = realtime ] || return 0
	[ "$2" -ge 2 ] || bad "$3 realtime: one run per kernel cannot tell a kernel from a boot (two boots of one kernel differ by 10-50% in real time): --blocks 3 or more pairs them by block, or clock icount"
	[ "$2" -ge 3 ] || bad "$3 realtime with --blocks $2: fewer than 3 block pairs cannot carry the between-boot variance (10-50% in real time) into the CI: --blocks 3 or more"
}

# mix31 V: a 31-bit hash of V (Thomas Mueller's 32-bit integer finaliser,
# reduced mod 2^31: every product stays below 2^58) into $mixed
mix31() {
	mixed=$(((($1 >> 16) ^ $1) * 73244475 % 2147483648))
	mixed=$((((mixed >> 16) ^ mixed) * 73244475 % 2147483648))
	mixed=$(((mixed >> 16) ^ mixed))
}

# block_order NK BLOCK SEED: the kernels 0..NK-1 in the order BLOCK runs
# them: block 1 as listed, every later block a permutation (Fisher-Yates),
# each swap drawn from the hash of SEED, the block and the step (the same
# numbers give the same order on every machine; a plain LCG seeded by
# neighbouring blocks put two kernels in one order five blocks in a row).
block_order() {
	local nk=$1 b=$2 i j t mixed
	local -a o
	for ((i = 0; i < nk; i++)); do o[i]=$i; done
	if [ "$b" -gt 1 ]; then
		for ((i = nk - 1; i > 0; i--)); do
			mix31 $((${3} % 2147483647))
			mix31 $(((mixed + b) % 2147483648))
			mix31 $(((mixed + i) % 2147483648))
			j=$((mixed % (i + 1)))
			t=${o[i]} o[i]=${o[j]} o[j]=$t
		done
	fi
	echo "${o[*]}"
}

# write_blocks NK REPS SEED: each block's plan (the set's plan with reps
# ceil(REPS/blocks) and seed SEED + block - 1, by rewriting or adding those
# two lines: every kernel of a block runs the same cells in the same
# order) and blocks.tsv, every run to do in the order it will run.
write_blocks() {
	local nk=$1 reps=$2 seed=$3 b pos i name breps spec
	name=$(basename "$planfile")
	breps=$(((reps + blocks - 1) / blocks))
	{
		echo "# written by bench/run-kernels.sh --blocks $blocks: every kernel once a block, each run its own boot"
		echo "# order: block 1 as kernels.tsv lists them, then each block's seeded by the plan's seed $seed (block_order)"
		echo "# plans/block-<b>/$name: the plan with reps $breps (ceil($reps/$blocks)) and seed $seed + b - 1"
		printf '# block\tposition\tkernel\tspec\trun\tstart\tend\n'
	} >"$set/blocks.tsv"
	for ((b = 1; b <= blocks; b++)); do
		mkdir -p "$set/plans/block-$b"
		awk -v reps="$breps" -v seed=$((seed + b - 1)) -v why="run-kernels.sh --blocks $blocks, block $b" '
			function key(l) { sub(/#.*/, "", l); split(l, w, " "); return w[1] }
			key($0) == "reps" { print "reps " reps "   # " why; r = 1; next }
			key($0) == "seed" { print "seed " seed "   # " why; s = 1; next }
			{ print }
			END {
				if (!r) print "reps " reps "   # " why
				if (!s) print "seed " seed "   # " why
			}' "$planfile" >"$set/plans/block-$b/$name"
		pos=0
		for i in $(block_order "$nk" "$b" "$seed"); do
			pos=$((pos + 1))
			IFS=$'\t' read -r _ spec _ <<<"$(sed -n "$((i + 1))p" "$set/kernels.tsv")"
			printf '%s\t%s\t%s\t%s\t-\t-\t-\n' "$b" "$pos" "$i" "$spec" >>"$set/blocks.tsv"
		done
	done
}

# set_block_row BLOCK KERNEL RUN START END: those fields of blocks.tsv
set_block_row() {
	awk -F'\t' -v OFS='\t' -v b="$1" -v k="$2" -v d="$3" -v s="$4" -v e="$5" \
		'!/^#/ && $1 == b && $3 == k { $5 = d; $6 = s; $7 = e } { print }' \
		"$set/blocks.tsv" >"$set/blocks.tsv.tmp"
	mv "$set/blocks.tsv.tmp" "$set/blocks.tsv"
}

# Every check that needs nothing built comes before the build.
parse_opts "$@"
[[ $threshold =~ ^[0-9]+([.][0-9]+)?$ ]] && ! [[ $threshold =~ ^0+([.]0+)?$ ]] ||
	bad "--threshold '$threshold': a percentage above 0"
[ $series -eq 0 ] || [ -z "$kernels" ] || bad "--series and --kernel: give one"
[ -z "$blocks" ] || { [[ $blocks =~ ^[0-9]+$ ]] && [ "$blocks" -ge 1 ] && [ "$blocks" -le 1000 ]; } ||
	bad "--blocks '$blocks': a whole number of blocks from 1 to 1000 (1: one run per kernel)"
case $clock in
'' | icount | realtime) ;;
*) bad "--clock '$clock': icount or realtime" ;;
esac
[ -z "$clock" ] || clock_ok "$clock" "${blocks:-1}" "--clock"

build_s2bench

if [ -n "$resume" ]; then
	[ -f "$resume/kernels.tsv" ] && [ -f "$resume/set.env" ] ||
		bad "--resume: $resume is not a set of kernel runs (no kernels.tsv, set.env)"
	[ -z "$kernels$series_dir$flavour$profiles$blocks$clock" ] && [ $series -eq 0 ] &&
		[ "$plan" = kernels ] ||
		bad "--resume: the set's plan, kernels, blocks and clock are fixed; give only --resume"
	set=$(cd "$resume" && pwd)
	# sets made before --blocks and --clock: one run per kernel, the plan's clock
	blocks=1 clock=
	# shellcheck disable=SC1091
	. "$set/set.env"
else
	blocks=${blocks:-1}
	planfile=$(plan_file "$plan") || exit 2
	planfile=$(cd "$(dirname "$planfile")" && pwd)/$(basename "$planfile")
	mkdir -p "$out"
	set=$(cd "$out" && pwd)/$(basename "$planfile")-kernels-$(date -u +%Y%m%dT%H%M%SZ)
	mkdir -p "$set/runs"
	[ "$blocks" -gt 1 ] || mkdir -p "$set/compare"
	# What the plan itself says, from a throw-away expansion.
	tmp=$set/.expand
	args=()
	[ -n "$flavour" ] && args+=(--flavour "$flavour")
	[ -n "$profiles" ] && args+=(--profile "$profiles")
	[ -n "$clock" ] && args+=(--clock "$clock")
	"$S2BENCH" plan expand "${args[@]}" "$planfile" "$tmp" >/dev/null || { rm -rf "$set"; exit 2; }
	pclock=$(. "$tmp/run.env"; echo "$S2B_CLOCK")
	target=$(. "$tmp/run.env"; echo "$S2B_TARGET")
	plan_kernels=$(. "$tmp/run.env"; echo "$S2B_KERNELS")
	pflavour=$(. "$tmp/run.env"; echo "$S2B_FLAVOUR")
	# reps and seed, which each block's plan replaces (the manifest has the
	# plan's defaults where it says nothing)
	read -r preps pseed < <(python3 -c 'import json, sys
m = json.load(open(sys.argv[1])); print(m["reps"], m["seed"])' "$tmp/manifest.json")
	rm -rf "$tmp"
	if [ "$target" != qemu ]; then
		rm -rf "$set"
		bad "plan $plan: target $target: kernels are compared on the emulated target only (a host runs its own kernel)"
	fi
	(clock_ok "$pclock" "$blocks" "plan $(basename "$planfile"): clock") || { rm -rf "$set"; exit 2; }
	if [ "$blocks" -gt 1 ] && [ ${#pseed} -gt 18 ]; then
		rm -rf "$set"
		bad "plan $plan: seed $pseed: --blocks derives a seed per block from it; give one below 10^18"
	fi
	: >"$set/kernels.tsv"
	n=0
	# index, spec, run directory ('-' until it runs: read's IFS would
	# merge two tabs; with blocks, blocks.tsv has the runs), label
	krun=-
	[ "$blocks" -eq 1 ] || krun=blocks.tsv
	add() { # spec label
		printf '%s\t%s\t%s\t%s\n' "$n" "$1" "$krun" "$2" >>"$set/kernels.tsv"
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
		[ -z "$clock" ] || printf 'clock=%q\n' "$clock"
		[ "$blocks" -eq 1 ] || printf 'blocks=%q\n' "$blocks"
	} >"$set/set.env"
	cp "$planfile" "$set/plan"
	[ "$blocks" -eq 1 ] || write_blocks "$n" "$preps" "$pseed"
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

# run_status R SPEC RDIR: what run-plan's status R means for the set
run_status() {
	case $1 in
	0) ;;
	1) rc=1; say "kernel $2: some cells failed (see $set/$3/cells.csv)" ;;
	*) bad "kernel $2: the run failed with status $1 (see $set/$3/boots/)" ;;
	esac
	[ -f "$set/$3/metrics.csv" ] || bad "kernel $2: no metrics.csv in $set/$3 (did it boot? see its boots/)"
}

# 2. With blocks: every line of blocks.tsv in its order, one run (one
# boot) each into runs/b<block>-k<kernel>/. A line without a run directory
# whose runs/b-k/ has one was interrupted before the line was written: it
# is resumed like one with a run and no metrics.csv.
run_blocks() {
	local total b pos i spec rdir start end d r j=0 row
	local -a args brows
	mapfile -t brows < <(grep -v '^#' "$set/blocks.tsv")
	total=${#brows[@]}
	for row in "${brows[@]}"; do
		IFS=$'\t' read -r b pos i spec rdir start end <<<"$row"
		j=$((j + 1))
		r=0
		if [ "$rdir" != - ] && [ -f "$set/$rdir/metrics.csv" ]; then
			say "run $j/$total: block $b/$blocks, kernel $i ($spec): done ($rdir)"
			continue
		fi
		d=runs/b$b-k$i
		if [ "$rdir" = - ] && [ -d "$set/$d" ]; then
			rdir=$(cd "$set" && find "$d" -mindepth 1 -maxdepth 1 -type d | head -n 1)
			# expanded only in part: nothing in it ran
			if [ -n "$rdir" ] && [ ! -f "$set/$rdir/manifest.json" ]; then
				rm -rf "${set:?}/$rdir"
				rdir=
			fi
			rdir=${rdir:--}
		fi
		[ "$start" != - ] || start=$(date -u +%FT%TZ)
		set_block_row "$b" "$i" "$rdir" "$start" -
		say "run $j/$total: block $b/$blocks, position $pos, kernel $i ($spec)"
		if [ "$rdir" != - ]; then
			"$ROOT/bench/run-plan.sh" --resume "$set/$rdir" >&2 || r=$?
		else
			args=(--plan "$set/plans/block-$b/$(basename "$planfile")" --kernel "$spec" --out "$set/$d")
			[ -n "$flavour" ] && args+=(--flavour "$flavour")
			[ -n "$profiles" ] && args+=(--profile "$profiles")
			[ -n "$clock" ] && args+=(--clock "$clock")
			"$ROOT/bench/run-plan.sh" "${args[@]}" >&2 || r=$?
			rdir=$(cd "$set" && find "$d" -mindepth 1 -maxdepth 1 -type d 2>/dev/null | head -n 1)
			[ -n "$rdir" ] || bad "kernel $spec, block $b: run-plan made no run directory (status $r)"
		fi
		set_block_row "$b" "$i" "$rdir" "$start" "$(date -u +%FT%TZ)"
		run_status "$r" "$spec" "$rdir"
	done
}

rc=0
if [ "$blocks" -gt 1 ]; then
	run_blocks
	"$S2BENCH" kernels --threshold "$threshold" -o "$set/kernels.json" "$set" | tee "$set/kernels.txt"
	say "report: $set/kernels.txt"
	exit $rc
fi

# 2. Without blocks: one run per kernel.
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
		[ -n "$clock" ] && args+=(--clock "$clock")
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
	run_status "$r" "$spec" "$rdir"
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
