#!/usr/bin/env bash
# The fuzz campaign: every harness of tests/fuzz/, one after another at
# nice 19 (a kernel build may share the machine), each for -n executions
# or -t seconds, whichever comes first. A harness fails on any crash,
# sanitizer report, leak, hang (-T) or broken promise of the tools (a
# rejected input that is not exit status 2 with one line). Prints one line
# per harness: executions, rate, corpus growth and what was found.
#
#   tests/fuzz/run.sh                     # the long run: 10^6 executions each
#   tests/fuzz/run.sh -t 30               # 30 s each
#   tests/fuzz/run.sh -n 20000 fuzz_plan  # one harness
#   tests/fuzz/run.sh -r                  # replay the checked-in corpora only
#   tests/fuzz/run.sh -B -j 2 -t 10       # s2bench's, two at a time (tests/t-fuzz.sh)
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

usage() {
	cat <<USAGE
usage: tests/fuzz/run.sh [-t SECONDS] [-n RUNS] [-T SECONDS] [-o DIR] [-b DIR] [-j JOBS] [-r] [-B|-N] [HARNESS...]

Run the libFuzzer harnesses of tests/fuzz/ one at a time (or -j at a time) under nice -n 19.
  -t SECONDS  stop each harness after this long (default: no limit)
  -n RUNS     stop each harness after this many executions (default 1000000;
              with -t only: no limit)
  -T SECONDS  an input running longer is a hang (default 30)
  -o DIR      corpora, findings and logs (default results/fuzz-<UTC time>)
  -b DIR      build the harnesses there, or reuse what is built (default: -o's build/)
  -j JOBS     run that many harnesses at once (default 1; a line each as it ends)
  -r          only replay the checked-in corpora (tests/fuzz/corpus/HARNESS)
  -B          s2bench's harnesses only: no native build (./run.sh host) for the
              guests' and the collector's (on x86_64 they are built by default)
  -N          the guests' and the collector's harnesses only (the native build)
  HARNESS     fuzz_plan fuzz_table fuzz_report fuzz_compare fuzz_stats fuzz_s2bench
              fuzz_s2wl fuzz_s2collect fuzz_s2top
              fuzz_argv_s2collect fuzz_argv_security fuzz_argv_workloads fuzz_argv_s2top
              (default: every one that is built; see tests/fuzz/README.md)
fuzz_s2wl and fuzz_s2collect compile the guests' and the collector's option
parsers against the native build of ./run.sh host (KSRC, KHDR, BPF_OBJ);
fuzz_argv_* run its binaries (S2FUZZ_BIN) as nobody, so they need root.
Set those variables to use other builds.
Exit status: 0 nothing found, 1 a finding (see the line and DIR/HARNESS/),
2 bad arguments or a build failure.
USAGE
}

secs= runs= hang=30 out= build= replay= native=1 native_only= jobs=1
while getopts "t:n:T:o:b:j:rBNh" opt; do
	case $opt in
	t) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	T) hang=$OPTARG ;;
	o) out=$OPTARG ;;
	b) build=$OPTARG ;;
	j) jobs=$OPTARG ;;
	r) replay=1 ;;
	B) native= ;;
	N) native_only=1 ;;
	h) usage; exit 0 ;;
	*) echo "run.sh: bad option (see -h)" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
for v in "$secs" "$runs" "$hang" "$jobs"; do
	[[ -z $v || $v =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: '$v' is not a positive number" >&2; exit 2; }
done
[ -n "$secs" ] || [ -n "$runs" ] || runs=1000000
[ -z "$native_only" ] || [ -n "$native" ] || { echo "run.sh: -B and -N: give one" >&2; exit 2; }
out=${out:-$ROOT/results/fuzz-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out" || exit 2
BUILD=${build:-$out/build}

# The native builds the guests' and the collector's harnesses use.
[ "$(uname -m)" = x86_64 ] || native=
if [ -n "$native" ] && [ -z "${KSRC:-}${BPF_OBJ:-}${S2FUZZ_BIN:-}" ]; then
	eval "$("$ROOT/run.sh" host 2>"$out/host-build.log" |
		sed -n 's/^selftests: /hst=/p; s/^guests: /hg=/p; s/^bpf: /hb=/p')"
	if [ ! -x "${hg:-}/s2_dirty" ] || [ ! -x "${hb:-}/s2collect" ]; then
		tail -n 20 "$out/host-build.log" >&2
		echo "run.sh: the native build (./run.sh host) failed; -B runs without it" >&2
		exit 2
	fi
	# shellcheck source=/dev/null
	. "$ROOT/target/common.sh"
	KSRC=$S2PERF_CACHE/src/$(ksrc_version)/linux
	KHDR=$(cd "$(dirname "$hst")/../headers/include" && pwd)
	BPF_OBJ=$(cd "$hb/../../obj" && pwd)
	S2FUZZ_BIN=$out/bin
	mkdir -p "$S2FUZZ_BIN"
	for f in "$hb/s2collect" "$hb/s2top" "$hg"/s2_*; do
		[ -x "$f" ] && [ "${f%.o}" = "$f" ] && ln -sf "$f" "$S2FUZZ_BIN/"
	done
	export KSRC KHDR BPF_OBJ S2FUZZ_BIN
fi
# The drivers drop to nobody: the binaries must get to their options then
# (on some hosts the selftests framework needs KVM before main()).
argv_ok=
if [ -n "${S2FUZZ_BIN:-}" ] && [ "$(id -u)" -eq 0 ]; then
	rc=0
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$S2FUZZ_BIN/s2_dirty" --no-such-option >/dev/null 2>&1 || rc=$?
	if [ $rc -eq 2 ]; then
		argv_ok=1
	else
		echo "run.sh: s2_dirty exits $rc as nobody before it reads its options: fuzz_argv_* skipped" >&2
	fi
fi

# The harnesses' scratch directories (tmpfs: each input writes files), all
# under one that goes away with the campaign, even after a crash.
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
	TMPDIR=$(mktemp -d /dev/shm/s2fuzz-run.XXXXXX) || exit 2
	chmod 755 "$TMPDIR"	# fuzz_argv_*'s children run as nobody in there
	trap 'rm -rf "$TMPDIR"' EXIT
	export TMPDIR
fi

# The build is part of the campaign's cost: nice as well (one job per CPU).
mk=(make -s -j"$(nproc)" -C "$HERE" O="$BUILD")
[ -n "${KSRC:-}" ] && [ -n "${KHDR:-}" ] && mk+=(KSRC="$KSRC" KHDR="$KHDR")
[ -n "${BPF_OBJ:-}" ] && mk+=(BPF_OBJ="$BPF_OBJ")
# -B with no harness named: only s2bench's are built
[ -z "$native" ] && [ $# -eq 0 ] && mk+=(bench)
nice -n 19 "${mk[@]}" >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; echo "run.sh: build failed" >&2; exit 2; }

all=()
for f in "$BUILD"/fuzz_*; do
	[ -x "$f" ] && all+=("$(basename "$f")")
done
if [ $# -gt 0 ]; then
	harnesses=("$@")
else
	harnesses=()
	for h in "${all[@]}"; do
		case $h in
		fuzz_plan | fuzz_table | fuzz_report | fuzz_compare | fuzz_stats | fuzz_s2bench)
			[ -z "$native_only" ] || continue ;;
		*)
			[ -n "$native" ] || continue ;;
		esac
		# the drivers run real binaries: only where asked for and safe
		case $h in
		fuzz_argv_*)
			if [ -z "$argv_ok" ]; then
				echo "run.sh: $h skipped (needs the native binaries and root)" >&2
				continue
			fi ;;
		esac
		harnesses+=("$h")
	done
fi

# Per harness: the longest input worth trying, and its arguments.
max_len() {
	case $1 in
	fuzz_report | fuzz_compare) echo 65536 ;;
	fuzz_table) echo 16384 ;;
	*) echo 4096 ;;
	esac
}

for h in "${harnesses[@]}"; do
	[ -x "$BUILD/$h" ] || { echo "run.sh: no harness $h (built: ${all[*]})" >&2; exit 2; }
done

# one_harness H: fuzz (or replay) H; its line on stdout and in $out/H/result
one_harness() {
	local h=$1 bin=$BUILD/$1 seeds work args dirs log start rc files lim took execs ncorp nseed found result rate
	seeds=$HERE/corpus/$h
	work=$out/$h/corpus
	mkdir -p "$work" "$out/$h/findings"
	args=(-timeout="$hang" -rss_limit_mb=2048 -max_len="$(max_len "$h")" -print_final_stats=1
		-artifact_prefix="$out/$h/findings/")
	[ -f "$HERE/$h.dict" ] && args+=(-dict="$HERE/$h.dict")
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	log=$out/$h/log
	start=$(date +%s)
	if [ -n "$replay" ]; then
		# every checked-in input once, nothing new
		files=()
		[ -d "$seeds" ] && files=("$seeds"/*)
		nice -n 19 "$bin" "${args[@]}" -runs=1 "${files[@]}" >"$log" 2>&1
		rc=$?
	else
		lim=()
		[ -n "$secs" ] && lim+=(-max_total_time="$secs")
		[ -n "$runs" ] && lim+=(-runs="$runs")
		nice -n 19 "$bin" "${args[@]}" "${lim[@]}" "${dirs[@]}" >"$log" 2>&1
		rc=$?
	fi
	took=$(( $(date +%s) - start ))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$replay" ] && execs=$(grep -c '^Executed ' "$log")
	execs=${execs:-0}
	ncorp=$(find "$work" -type f | wc -l)
	nseed=0
	[ -d "$seeds" ] && nseed=$(find "$seeds" -type f | wc -l)
	found=$(cd "$out/$h/findings" && ls 2>/dev/null | grep -v '^slow-unit-' | tr '\n' ' ')
	if [ $rc -ne 0 ] || [ -n "$found" ]; then
		result="FAILED (status $rc${found:+: $found}; log $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*: status [0-9]+ with|.*: status -?[0-9]+ \(want)' "$log" |
			head -n 5 | sed 's/^/    /' >&2
	else
		result=ok
	fi
	rate=0
	[ "$took" -gt 0 ] && rate=$((execs / took))
	printf '%-22s %11s %8s %9s %8s  %s\n' "$h" "$execs" "$took" "$rate" "$nseed+$ncorp" "$result" |
		tee "$out/$h/result"
}

printf '%-22s %11s %8s %9s %8s  %s\n' harness executions seconds "exec/s" corpus result
for h in "${harnesses[@]}"; do
	if [ "$jobs" -gt 1 ]; then
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
		one_harness "$h" &
	else
		one_harness "$h"
	fi
done
wait
failed=0
for h in "${harnesses[@]}"; do
	grep -q '  ok$' "$out/$h/result" 2>/dev/null || failed=1
done
echo "logs, corpora and findings: $out"
exit $failed
