#!/usr/bin/env bash
# Fuzzed inputs (tests/fuzz/, README there), the short run for CI, on
# s2bench's harnesses (fuzz_plan, fuzz_table, fuzz_report, fuzz_compare,
# fuzz_stats, fuzz_s2bench):
#  - each builds with ASan and UBSan, replays its checked-in corpus (the
#    seeds and every past finding) and then fuzzes for S2FUZZ_SECS (default
#    10) seconds at nice 19, as many harnesses at once as there are CPUs
#    (the build too): any crash, sanitizer report, leak, hang, or
#    rejected input that is not exit status 2 with exactly one line on
#    stderr fails the test; executions are printed per harness;
#  - the real s2bench on every checked-in input of its harnesses and a
#    sample of what the run just found: the status the harness saw, and
#    for a rejected input status 2 and exactly one line on stderr.
# The guests' and the collector's harnesses need the native builds of
# ./run.sh host (a kernel source tree): t-fuzz-host.sh. The long campaign
# (10^6 executions per harness, all of them) is ./run.sh fuzz.
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
# No target is booted here: the test also runs outside tests/run.
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"
SECS=${S2FUZZ_SECS:-10}
FUZZ=$ROOT/tests/fuzz

command -v clang >/dev/null || skip "clang is not installed (target/deps.sh)"
[ -f /usr/include/gsl/gsl_rng.h ] || skip "libgsl-dev is not installed (target/deps.sh)"
ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
	skip "no libFuzzer runtime (libclang-rt-14-dev, target/deps.sh)"

# s2bench's harnesses only: no native build (t-fuzz-host.sh has those);
# one build for the replay and the run
args=(-B -b "$OUT/build" -j "$(nproc)")

# --- build, replay, fuzz ---
"$FUZZ/run.sh" "${args[@]}" -r -o "$OUT/replay" | tee "$OUT/replay.txt" ||
	fail "a checked-in input fails again (above; logs in $OUT/replay)"
pass "every checked-in input replays cleanly"
"$FUZZ/run.sh" "${args[@]}" -t "$SECS" -o "$OUT/run" 2>&1 | tee "$OUT/run.txt" ||
	fail "fuzzing found something (above; inputs in $OUT/run/HARNESS/findings)"
while read -r h execs _; do
	case $h in fuzz_*) [ "$execs" -gt 0 ] || fail "$h made no executions" ;; esac
done <"$OUT/run.txt"
pass "$(grep -c '^fuzz_' "$OUT/run.txt") harnesses fuzzed ${SECS} s each: $(awk '/^fuzz_/ { n += $2 } END { print n }' "$OUT/run.txt") executions, nothing found"

# --- the real tool on the inputs: what the harness saw, one line when rejected ---
build_s2bench
mkdir -p "$OUT/real"
for h in fuzz_plan fuzz_table fuzz_report fuzz_compare fuzz_stats fuzz_s2bench; do
	n=0 rejected=0 i=0
	inputs=("$FUZZ/corpus/$h"/*)
	# and a sample of this run's own corpus: every 20th, at most 25
	mapfile -t found < <(find "$OUT/run/$h/corpus" -type f 2>/dev/null | sort | awk 'NR % 20 == 1' | head -n 25)
	all=("${inputs[@]}" "${found[@]}")
	# The harness on every input, one process: it leaves the Nth input's
	# files and the calls it made in real/HARNESS/N. Each input runs once:
	# no second run to look for a leak (the replay and the fuzzing above
	# did), which would take a directory of its own.
	log=$OUT/real/$h.harness.log
	S2FUZZ_DIRS=$OUT/real/$h "$OUT/build/$h" -detect_leaks=0 "${all[@]}" >"$log" 2>&1 ||
		{ tail -n 20 "$log"; fail "$h on $(sed -n 's/^Running: //p' "$log" | tail -n 1)"; }
	[ "$(grep -c '^Executed ' "$log")" -eq ${#all[@]} ] && [ "$(ls "$OUT/real/$h" | wc -l)" -eq ${#all[@]} ] ||
		fail "$h: $(grep -c '^Executed ' "$log") inputs run, $(ls "$OUT/real/$h" | wc -l) directories, for ${#all[@]} inputs (log: $log)"
	for input in "${all[@]}"; do
		i=$((i + 1))
		dir=$OUT/real/$h/$i
		# an input the harness skips (it returns -1) made no call
		[ -d "$dir/.calls" ] || continue
		if [ $h = fuzz_s2bench ]; then
			# its command lines work on the fixtures: as they were before the call
			find "$dir" -mindepth 1 -maxdepth 1 ! -name .calls -exec rm -rf {} +
			cp -r "$FUZZ/fixtures/." "$dir/"
		fi
		for call in $(cd "$dir/.calls" && ls | grep -v status | sort -n); do
			mapfile -d '' -t args <"$dir/.calls/$call"
			# fuzz_s2bench records main()'s argv, the others a subcommand's
			[ $h = fuzz_s2bench ] && args=("${args[@]:1}")
			want=$(cat "$dir/.calls/$call.status")
			rc=0
			(cd "$dir" && exec "$S2B" "${args[@]}") >"$dir/real.out" 2>"$dir/real.err" || rc=$?
			[ "$rc" -eq "$want" ] ||
				{ cat "$dir/real.err"; fail "s2bench ${args[*]} ($input): status $rc, the harness saw $want"; }
			if [ "$rc" -eq 2 ]; then
				# exactly one newline, and it ends the text
				[ "$(wc -l <"$dir/real.err")" -eq 1 ] && [ "$(tail -c 1 "$dir/real.err" | od -An -tx1)" = " 0a" ] ||
					{ cat "$dir/real.err"; fail "s2bench ${args[*]} ($input): status 2, but not one line on stderr"; }
				rejected=$((rejected + 1))
			fi
			n=$((n + 1))
		done
	done
	[ "$rejected" -gt 0 ] || fail "$h: no input of the sample was rejected (the check checked nothing)"
	pass "$h: the real s2bench on ${#inputs[@]} checked-in and ${#found[@]} new inputs: $n calls as the harness saw them, $rejected rejected with status 2 and one line"
done
