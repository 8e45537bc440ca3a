#!/usr/bin/env bash
# s2bench's statistics are right: every figure of `s2bench stats` agrees
# with numpy/scipy (tests/stats-oracle.py), the whole decision has the
# error rates it promises (`s2bench simulate`: A/A false positives <= 5%,
# a 10% shift at CV 3% found >= 90% of the time; SAME within compare's band,
# the clock's floor or the row's detectable effect), and bad input is one
# line and status 2. Needs no target.
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
# lib.sh wants the target's paths from tests/run; this test boots nothing,
# so it also runs on its own.
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"

# Debian's python3 with scipy, not whatever python3 is first in PATH.
PY=/usr/bin/python3
[ -f /usr/include/gsl/gsl_rng.h ] || skip "libgsl-dev is not installed (target/deps.sh)"
"$PY" -c 'import scipy' 2>/dev/null || skip "python3-scipy is not installed (target/deps.sh)"

# Our own build directory: other work may be rebuilding bench/.output.
build_s2bench

# --- every figure against numpy/scipy ---
"$PY" "$ROOT/tests/stats-oracle.py" "$S2B" >"$OUT/oracle.log" 2>&1 || {
	cat "$OUT/oracle.log"
	fail "stats-oracle.py found a disagreement (above)"
}
grep -c '^ok:' "$OUT/oracle.log" >/dev/null
pass "oracle: $(tail -n 1 "$OUT/oracle.log")"

# The bootstrap is reproducible: the same seed, the same figures.
"$S2B" stats --seed 7 1,2,3,4,5,6,7,8 2,3,4,5,6,7,8,9 >"$OUT/seed7a.json"
"$S2B" stats --seed 7 1,2,3,4,5,6,7,8 2,3,4,5,6,7,8,9 >"$OUT/seed7b.json"
cmp -s "$OUT/seed7a.json" "$OUT/seed7b.json" || fail "the same seed gave different output"
pass "the same seed gives the same output"

# @FILE and a comma list are the same sample.
printf '3\n1.5\n\n2\n' >"$OUT/values.txt"
"$S2B" stats @"$OUT/values.txt" >"$OUT/file.json"
"$S2B" stats 3,1.5,2 >"$OUT/list.json"
cmp -s "$OUT/file.json" "$OUT/list.json" || fail "@FILE and the same list differ"
pass "@FILE reads the same sample as a list"

# --- known answers: the decision's error rates ---
rc=0
"$S2B" simulate -o "$OUT/simulate.json" >"$OUT/simulate.txt" || rc=$?
cat "$OUT/simulate.txt"
[ $rc -eq 0 ] || fail "s2bench simulate: a goal was missed (status $rc)"
"$PY" - "$OUT/simulate.json" <<'EOF' || fail "simulate's rates miss their goals"
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "s2perf.simulate/1", doc["schema"]
rates = {(r["case"], r["verdict"], r["using"]): r for r in doc["rates"]}
aa = rates[("A/A", "DIFFERENT", "raw p")]
shift = rates[("shift +10%", "DIFFERENT", "raw p")]
wrong = rates[("shift +10%", "SAME", "Holm p")]
print(f"A/A flagged DIFFERENT: {aa['count']}/{aa['of']} = {aa['rate']:.1%} (goal <= 5%)")
print(f"10% shift detected: {shift['count']}/{shift['of']} = {shift['rate']:.1%} (goal >= 90%)")
print(f"10% shift called SAME: {wrong['count']}/{wrong['of']}")
ok = aa["rate"] <= 0.05 and shift["rate"] >= 0.90 and wrong["count"] == 0
# Each rate's exact (Clopper-Pearson) 95% CI, against scipy's beta quantiles.
from scipy import stats
for r in doc["rates"]:
    k, n = r["count"], r["of"]
    lo = 0 if k == 0 else stats.beta.ppf(0.025, k, n - k + 1)
    hi = 1 if k == n else stats.beta.ppf(0.975, k + 1, n - k)
    if abs(r["ci_lo"] - lo) > 1e-9 or abs(r["ci_hi"] - hi) > 1e-9:
        print(f"rate CI of {k}/{n}: {r['ci_lo']}, {r['ci_hi']} vs scipy {lo}, {hi}")
        ok = False
sys.exit(0 if ok and doc["ok"] else 1)
EOF
pass "A/A false positives <= 5%, a 10% shift found >= 90%, rate CIs as scipy's"

# A shift far inside the noise cannot be found: the goal is missed, status 1.
expect_status 1 "$S2B" simulate --shift 0.005 --trials 20 -o "$OUT/tiny-shift.json"

# SAME's band is compare's: the floor (icount 1%) or the row's detectable
# effect, whichever is wider; -b one fixed band.
"$S2B" simulate -k icount -c 0.002 -S 0.01 -T 0.005 -g 40 -o "$OUT/band-quiet.json" >/dev/null ||
	fail "simulate -k icount at CV 0.2%: a goal was missed"
"$S2B" simulate -k icount -c 0.10 -S 0.5 -g 100 -o "$OUT/band-noisy.json" >/dev/null ||
	fail "simulate -k icount at CV 10%: a goal was missed"
"$S2B" simulate -k icount -c 0.10 -S 0.5 -g 100 -b 0.01 -o "$OUT/band-fixed.json" >/dev/null ||
	fail "simulate -b 0.01 at CV 10%: a goal was missed"
"$PY" - "$OUT"/band-{quiet,noisy,fixed}.json <<'EOF' || fail "simulate's SAME band is not compare's"
import json, sys
q, n, f = (json.load(open(p)) for p in sys.argv[1:])
rate = lambda d, c, v: next(r for r in d["rates"] if r["case"].startswith(c) and r["verdict"] == v and r["using"] == "Holm p")
assert q["params"]["band_floor"] == 0.01 and q["band_wider_than_floor"] == 0 and abs(q["band_mean"] - 0.01) < 1e-12, q
assert rate(q, "A/A", "SAME")["rate"] == 1 and rate(q, "shift", "gated")["rate"] >= 0.9, q["rates"]
assert n["band_wider_than_floor"] == n["params"]["trials"] and n["band_mean"] > 0.1, n
assert rate(n, "A/A", "SAME")["rate"] >= 0.9, n["rates"]
assert f["band_wider_than_floor"] == 0 and abs(f["band_mean"] - 0.01) < 1e-12 and rate(f, "A/A", "SAME")["count"] == 0, f
print(f"ok: icount floor 1% at CV 0.2% (A/A all SAME); CV 10%: band {n['band_mean']:.1%}, "
      f"A/A SAME {rate(n, 'A/A', 'SAME')['rate']:.0%}; -b 0.01: none SAME")
EOF
pass "simulate's SAME band: the floor or the row's detectable effect; -b fixes it"

# --- bad input: one line on stderr, nothing on stdout, status 2 ---
bad() {
	local rc=0
	"$S2B" "$@" >"$OUT/bad.out" 2>"$OUT/bad.err" || rc=$?
	[ $rc -eq 2 ] || fail "'s2bench $*' exited $rc, expected 2"
	[ "$(wc -l <"$OUT/bad.err")" -eq 1 ] ||
		fail "'s2bench $*': stderr is not one line: $(cat "$OUT/bad.err")"
	[ ! -s "$OUT/bad.out" ] || fail "'s2bench $*' wrote to stdout"
	pass "'s2bench $*' -> 2: $(cat "$OUT/bad.err")"
}
bad stats 1,x
bad stats ''
bad stats 1,,2
bad stats 1,nan
bad stats 1,inf
bad stats 1e999
bad stats @/nonexistent/values
bad stats --paired 1,2,3 1,2
bad stats --paired 1,0,3 1,2,3
bad stats 1,2 3,4 5,6
bad stats --seed x 1,2
bad stats --resamples 5 1,2
bad stats --bogus 1,2
bad stats -3,1
bad stats --holm 0.5,2
bad stats --holm 0.1 0.2
bad simulate --n 2
bad simulate --cv 0
bad simulate --same-within 0
bad simulate --clock bogus
bad simulate --trials 0
bad simulate --seed
bad simulate --bogus
bad simulate extra

# Values <= 0 are counts and differences: the shift is then in their unit.
"$S2B" stats -- -1,0,0,2 0,1,3,4 >"$OUT/signed.json" || fail "stats refused values <= 0"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["shift"]["relative"] is False and d["delta"]["value"] is None, d' "$OUT/signed.json" ||
	fail "values <= 0: the shift is not absolute, or delta is not null"
pass "values <= 0: an absolute shift, no ratio of medians"

# The exact permutation p with ties (the normal law said 0.0131).
"$S2B" stats 5,5,5,5 6,6,6,6 >"$OUT/ties.json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1]))["mann_whitney"]; assert d["exact"] and abs(d["p"] - 2/70) < 1e-12, d' "$OUT/ties.json" ||
	fail "5,5,5,5 vs 6,6,6,6: p is not 2/70"
pass "5,5,5,5 vs 6,6,6,6: exact p = 2/70 = 0.0286"

expect_status 0 "$S2B" stats --help
expect_status 0 "$S2B" simulate --help
