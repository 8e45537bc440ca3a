#!/usr/bin/env bash
# bench/lava/run-nightly.sh: what the LAVA test (s2perf-test.yaml) runs on
# the device, and what a lab without LAVA can run by hand: a plan on this
# host's /dev/kvm, its report and KCIDB JSON, the run directory uploaded,
# and the gate: s2bench compare against the last good run of this device
# type. Results go to LAVA as test cases when lava-test-case exists, to
# stdout otherwise.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

usage() {
	cat <<USAGE
usage: bench/lava/run-nightly.sh [options]

  --plan NAME           bench/plans/NAME                          (default: full)
  --device-type NAME    names the baseline and the upload         (default: uname -n)
  --artifact-url URL    PUT the run there as URL/DEVICE/RUN.tar.gz (default: keep it local)
  --baseline-url URL    a run directory tarball to compare with   (default: no gate)
  --threshold PCT       s2bench compare --threshold               (default: 5)
  --work DIR            where the run and the baseline go         (default: /var/tmp/s2perf-lava)
  -h, --help            this help

Exit status: 0 the run is complete and no gated metric regressed, 1 a
regression (or failed cells), 2 the run or the comparison could not be made,
3 the gate could not decide (too few reps per side for the gated rows).
USAGE
}

plan=full device=$(uname -n) artifact= baseline= threshold=5 work=/var/tmp/s2perf-lava
while [ $# -gt 0 ]; do
	case $1 in
	--plan | --device-type | --artifact-url | --baseline-url | --threshold | --work)
		[ $# -ge 2 ] || { echo "run-nightly: $1 needs a value" >&2; exit 2; }
		case $1 in
		--plan) plan=$2 ;;
		--device-type) device=$2 ;;
		--artifact-url) artifact=$2 ;;
		--baseline-url) baseline=$2 ;;
		--threshold) threshold=$2 ;;
		--work) work=$2 ;;
		esac
		shift 2 ;;
	-h | --help) usage; exit 0 ;;
	*) echo "run-nightly: unknown argument '$1' (see -h)" >&2; exit 2 ;;
	esac
done

say() { printf 'run-nightly: %s\n' "$*" >&2; }

# case NAME pass|fail|skip [MEASUREMENT UNITS]
case_() {
	if command -v lava-test-case >/dev/null; then
		if [ $# -ge 4 ]; then
			lava-test-case "$1" --result "$2" --measurement "$3" --units "$4"
		else
			lava-test-case "$1" --result "$2"
		fi
	else
		echo "CASE $*"
	fi
}

# A broken setup is not a regression: LAVA marks the job incomplete.
raise() {
	say "$*"
	command -v lava-test-raise >/dev/null && lava-test-raise "$*"
	exit 2
}

reference() {
	command -v lava-test-reference >/dev/null &&
		lava-test-reference "$1" --result pass --reference "$2"
	say "$1: $2"
}

[ "$(uname -m)" = aarch64 ] || raise "not an arm64 host ($(uname -m))"
[ -c /dev/kvm ] || raise "no /dev/kvm: boot the kernel at EL2 (VHE) with KVM"
[ -e /sys/module/kvm/parameters/stage2_strategy ] ||
	raise "the kernel $(uname -r) has no s2perf patches (no kvm.stage2_strategy)"

cd "$ROOT" || exit 2
"$ROOT/target/deps.sh" || raise "target/deps.sh failed"
make -C "$ROOT/bench" -s || raise "cannot build s2bench"
S2BENCH=$ROOT/bench/.output/s2bench

rm -rf "$work/results" "$work/baseline"
mkdir -p "$work/results" "$work/baseline" || raise "cannot create $work"

# 0 every cell ok or skipped, 1 some cell failed (the run is still told), 2 broken
"$ROOT/run.sh" run --plan "$plan" --target host --out "$work/results"
rc=$?
[ "$rc" -le 1 ] || raise "./run.sh run --plan $plan --target host failed (status $rc)"
run=$(find "$work/results" -mindepth 1 -maxdepth 1 -type d | head -n 1)
[ -n "$run" ] && [ -f "$run/metrics.csv" ] || raise "no run directory with metrics.csv in $work/results"
name=$(basename "$run")
case_ s2perf-cells "$([ "$rc" -eq 0 ] && echo pass || echo fail)"

# The report is written by run.sh already; again here so its status is ours.
"$S2BENCH" report -q "$run"
rrc=$?
case_ s2perf-report "$([ "$rrc" -le 1 ] && echo pass || echo fail)"
"$S2BENCH" kcidb "$run" -o "$run/kcidb.json" --origin s2perf ||
	say "s2bench kcidb failed: no KCIDB JSON"

if [ -n "$artifact" ]; then
	tar -C "$work/results" -czf "$work/$name.tar.gz" "$name" &&
		curl -fsS --retry 3 -T "$work/$name.tar.gz" "$artifact/$device/$name.tar.gz" &&
		reference s2perf-run "$artifact/$device/$name.tar.gz" ||
		say "upload to $artifact failed: the run stays in $run"
else
	say "no --artifact-url: the run stays in $run"
fi

gate=0
if [ -z "$baseline" ]; then
	say "no --baseline-url: no gate"
	case_ s2perf-gate skip
elif ! curl -fsS --retry 3 "$baseline" | tar -C "$work/baseline" -xzf -; then
	say "cannot fetch the baseline $baseline"
	case_ s2perf-gate skip
	gate=2
else
	base=$(find "$work/baseline" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	"$S2BENCH" compare --threshold "$threshold" -o "$run/compare.json" "$base" "$run" \
		>"$run/compare.txt" 2>"$run/compare.err"
	gate=$?
	cat "$run/compare.txt" "$run/compare.err"
	case $gate in
	0) case_ s2perf-gate pass ;;
	1) case_ s2perf-gate fail ;;
	# Not "pass": too few reps for the gate to find anything is no verdict.
	3) say "the gate cannot decide: $(grep -m1 'cannot decide' "$run/compare.txt")"; case_ s2perf-gate skip ;;
	*) say "the runs cannot be compared: $(cat "$run/compare.err")"; case_ s2perf-gate skip ;;
	esac
fi
[ "$gate" -eq 1 ] && exit 1
[ "$gate" -eq 2 ] && exit 2
[ "$gate" -eq 3 ] && exit 3
exit "$rc"
