#!/usr/bin/env bash
# s2bench compare decides what it says it decides, on runs made here from
# tests/data/runs/base by editing metrics.csv and env.json (no target):
# - a run against itself: every tested row SAME, or marked too noisy for the
#   band (its own spread is wider), exit 0; counts equal on both sides (0
#   pages missed, 4096 pages written) SAME;
# - an icount run (CV ~0.2%) against itself: every tested row SAME; against
#   a copy with one gated metric 1% worse: exactly those rows DIFFERENT,
#   exit 1 at --threshold 0.5 (and simulate at that CV and n agrees);
# - the SAME band is the clock's floor or the row's detectable effect: two
#   icount runs of one code ("two boots": the same medians, other noise)
#   with one metric at CV ~10% are SAME on >= 95% of tested rows, nothing
#   DIFFERENT, the noisy rows SAME with their band (> 1%) after the
#   verdict and in the JSON; with --same-within 1 those rows are UNKNOWN;
#   the quiet gated row 1% worse in the second boot: DIFFERENT, exit 1;
#   simulate at that CV says SAME as often as compare does;
# - two clocks: one line naming both, exit 2;
# - 4 reps a side with 40 gated rows: "cannot decide", exit 3, never OK;
# - a zero base median: an absolute delta with its unit, the regression gated;
# - UNKNOWN rows show their delta and CI, never "~";
# - metrics.csv with a duplicate row, a NUL, a negative time, hex, padding,
#   nan, or a row of a cell that did not finish: FILE:LINE, exit 2;
# - --metric/--strategy keep only those rows (the gate is theirs);
# - s2bench kernels: a set of "kernels" made of the fixture runs lists the
#   DIFFERENT rows of each step with compare's own shift and CI, gated
#   first; a set with a run not made yet, or a missing comparison, says so.
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
DATA=$ROOT/tests/data/runs

build_s2bench
cd "$OUT"

# edit DIR PYTHON: rewrite DIR/metrics.csv; the code sees rows (lists of
# fields, header first) and may change them in place.
edit() {
	"$PY" - "$1/metrics.csv" "$2" <<'EOF'
import csv, sys, hashlib, statistics
path, code = sys.argv[1], sys.argv[2]
rows = list(csv.reader(open(path, newline="")))
exec(code)
with open(path, "w", newline="") as f:
    csv.writer(f, lineterminator="\n").writerows(rows)
EOF
}

### a run against itself ####################################################

cp -r "$DATA/base" base
expect_exit self 0 "$S2B" compare -o self.json base base
"$PY" - self.json <<'EOF' || fail "self-compare: a tested row is neither SAME nor too noisy"
import json, sys
d = json.load(open(sys.argv[1]))
tested = [r for r in d["rows"] if r["tested"]]
bad = [r for r in tested if r["verdict"] != "SAME" and not r["too_noisy_for_band"]]
assert not bad, bad[:3]
assert not [r for r in d["rows"] if r["verdict"] == "DIFFERENT"]
for m, v in (("dirty.pages_missed", (0,)), ("dirty.pages_written", (4096, 8192))):
    rows = [r for r in tested if r["metric"] == m]
    assert rows and all(r["verdict"] == "SAME" and r["base"]["median"] in v for r in rows), m
same = sum(r["verdict"] == "SAME" for r in tested)
print(f"ok: {len(tested)} tested rows: {same} SAME, {len(tested) - same} too noisy for "
      f"+-{d['same_within']:.0%} at their n; 0 and 4096 pages SAME")
EOF
expect_grep '^clock realtime: real time' self.out "the header names the clock"
expect_grep '^OK: no gated regression' self.out

### icount: small CV, 1% worse ###############################################

# mkic DIR SALT [NOISY]: an icount run from base: every value becomes its
# group's median times 1 + 0.2% z, z a fixed pseudo-random number of the
# salt, cell and metric: CV ~0.2%, as icount's; metric NOISY gets CV 10%
# (thread interleavings: several % even in instruction time). Another salt
# is another boot of the same code.
mkic() {
	cp -r "$DATA/base" "$1"
	sed -i 's/^{/{\n  "clock": "icount",/' "$1/env.json"
	edit "$1" "salt, noisy = '$2', '${3:-}'
groups = {}
for r in rows[1:]:
    groups.setdefault((r[1], r[3], r[4], r[6], r[7]), []).append(float(r[9]))
for r in rows[1:]:
    med = statistics.median(groups[(r[1], r[3], r[4], r[6], r[7])])
    h = int(hashlib.sha256((salt + r[0] + r[7]).encode()).hexdigest()[:8], 16) / 2**32
    z = statistics.NormalDist().inv_cdf(min(max(h, 1e-6), 1 - 1e-6))
    v = med * (1 + (0.10 if r[7] == noisy else 0.002) * z)
    r[9] = repr(round(v)) if med == int(med) and med > 1000 else repr(v)
    if med == 0 or r[8] in ('pages', 'faults', 'tlbi', 'exits', 'calls', 'events', 'waits', 'operations', 'cpus', 'bytes'):
        r[9] = repr(med)
"
}
mkic ic ""
cp -r ic ic1
edit ic1 '
for r in rows[1:]:
    if r[7] == "dirty.pass_time":
        r[9] = repr(float(r[9]) * 1.01)
'
expect_exit ic-self 0 "$S2B" compare -o ic-self.json ic ic
"$PY" - ic-self.json <<'EOF' || fail "icount self-compare: a tested row is not SAME"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["clock"] == "icount" and abs(d["same_within"] - 0.01) < 1e-12, d["same_within"]
tested = [r for r in d["rows"] if r["tested"]]
assert tested and all(r["verdict"] == "SAME" for r in tested), \
    [(r["metric"], r["delta_ci95"]) for r in tested if r["verdict"] != "SAME"][:5]
print(f"ok: icount against itself: all {len(tested)} tested rows SAME within 1%")
EOF
expect_grep '^clock icount: instruction time' ic-self.out "the header says instruction time"
expect_grep 'icount 1%: 2.5x its between-boot CV' ic-self.out "the header says how the band was chosen"
expect_exit ic-1pct 1 "$S2B" compare --threshold 0.5 -o ic-1pct.json ic ic1
"$PY" - ic-1pct.json <<'EOF' || fail "icount 1% worse: not exactly the pass times DIFFERENT"
import json, sys
d = json.load(open(sys.argv[1]))
diff = [r for r in d["rows"] if r["verdict"] == "DIFFERENT"]
pt = [r for r in d["rows"] if r["metric"] == "dirty.pass_time" and r["tested"]]
assert pt and all(r["verdict"] == "DIFFERENT" and r["gated_regression"] for r in pt)
assert all(r["metric"] == "dirty.pass_time" and abs(r["delta"] - 0.01) < 1e-3 for r in diff)
assert d["exit"] == 1
print(f"ok: {len(diff)} rows DIFFERENT, all dirty.pass_time +1%, gated at 0.5%")
EOF
expect_grep '^FAIL: [0-9]+ gated regressions beyond 0.5%' ic-1pct.out
cv=$("$PY" -c 'import json,sys,statistics; d=json.load(open(sys.argv[1])); print(round(statistics.median(r["cv"] for r in d["rows"] if r["metric"]=="dirty.pass_time" and r["cv"]), 4))' ic-1pct.json)
m=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["tested_gated"])' ic-1pct.json)
expect_exit sim-1pct 0 "$S2B" simulate -n 10 -c "$cv" -S 0.01 -T 0.005 -k icount -g "$m" -o sim-1pct.json
"$PY" - sim-1pct.json <<'EOF' || fail "simulate does not find a 1% shift at icount's CV"
import json, sys
d = json.load(open(sys.argv[1]))
r = {(x["case"], x["verdict"], x["using"]): x for x in d["rates"]}
g = r[("shift +1%", "gated", "Holm p")]
assert g["rate"] >= 0.9, g
print(f"ok: simulate at CV {d['params']['cv']:.2%}, n 10, {d['params']['group']} rows: "
      f"1% found by the gate {g['rate']:.0%}")
EOF

### icount: the SAME band widens to a noisy row's detectable effect ##########

NOISY=dirty.enable_logging_time
mkic boot1 "" $NOISY
mkic boot2 "boot 2 " $NOISY
expect_exit ic-aa 0 "$S2B" compare -o ic-aa.json boot1 boot2
"$PY" - ic-aa.json "$NOISY" <<'EOF' || fail "icount A/A with a noisy metric: not SAME within its band"
import json, sys
d, noisy = json.load(open(sys.argv[1])), sys.argv[2]
assert abs(d["same_within"] - 0.01) < 1e-12 and d["same_band_rule"].startswith("max("), d
tested = [r for r in d["rows"] if r["tested"]]
same = [r for r in tested if r["verdict"] == "SAME"]
assert not [r for r in tested if r["verdict"] == "DIFFERENT"]
assert len(same) >= 0.95 * len(tested), (len(same), len(tested))
nr = [r for r in tested if r["metric"] == noisy]
assert nr and all(0.05 < r["cv"] < 0.2 for r in nr), [r["cv"] for r in nr]
# SAME: no change as large as the row could detect; the band is its mde
assert all(r["verdict"] == "SAME" and r["same_band"] > 0.01 and
           abs(r["same_band"] - max(0.01, r["mde"])) < 1e-12 for r in nr), \
    [(r["verdict"], r["same_band"], r["delta_ci95"]) for r in nr]
# the quiet rows keep the floor
assert all(r["same_band"] == 0.01 for r in tested if r["metric"] != noisy and (r["cv"] or 0) < 0.005)
assert d["summary"]["band_wider_than_floor"] == len(nr), d["summary"]
print(f"ok: icount A/A: {len(same)}/{len(tested)} tested rows SAME; the {len(nr)} {noisy} "
      f"rows (CV ~{nr[0]['cv']:.0%}) SAME within +-{min(r['same_band'] for r in nr):.1%}.."
      f"{max(r['same_band'] for r in nr):.1%}")
EOF
expect_grep "^$NOISY .* SAME +±[0-9.]+%\$" ic-aa.out "a noisy SAME row shows its band"
grep -E "^dirty.pass_time .*±[0-9.]+%\$" ic-aa.out && fail "a quiet row shows a band"
expect_grep 'band: the clock.s floor \(icount 1%: 2.5x its between-boot CV\) or the row.s detectable effect' \
	ic-aa.out "the header says how the band is chosen"
expect_exit ic-aa-fixed 0 "$S2B" compare --same-within 1 -o ic-aa-fixed.json boot1 boot2
"$PY" - ic-aa-fixed.json "$NOISY" <<'EOF' || fail "--same-within 1: a noisy row is not UNKNOWN"
import json, sys
d, noisy = json.load(open(sys.argv[1])), sys.argv[2]
tested = [r for r in d["rows"] if r["tested"]]
assert all(r["same_band"] == 0.01 for r in tested)
nr = [r for r in tested if r["metric"] == noisy]
assert nr and all(r["verdict"] == "UNKNOWN" and r["too_noisy_for_band"] for r in nr), \
    [(r["verdict"], r["delta_ci95"]) for r in nr]
print(f"ok: --same-within 1: the {len(nr)} {noisy} rows UNKNOWN, too noisy for +-1%")
EOF
grep -E '±[0-9.]+%$' ic-aa-fixed.out && fail "--same-within: a row shows a band of its own"
expect_grep "^$NOISY .* UNKNOWN\$" ic-aa-fixed.out
# a planted 1% on the quiet gated row, on top of another boot's noise: DIFFERENT, gated
cp -r boot2 boot2-1pct
edit boot2-1pct '
for r in rows[1:]:
    if r[7] == "dirty.pass_time":
        r[9] = repr(float(r[9]) * 1.01)
'
expect_exit ic-aa-1pct 1 "$S2B" compare --threshold 0.5 -o ic-aa-1pct.json boot1 boot2-1pct
"$PY" - ic-aa-1pct.json <<'EOF' || fail "another boot, 1% worse: not exactly the pass times DIFFERENT"
import json, sys
d = json.load(open(sys.argv[1]))
diff = [r for r in d["rows"] if r["verdict"] == "DIFFERENT"]
pt = [r for r in d["rows"] if r["metric"] == "dirty.pass_time" and r["tested"]]
assert pt and all(r["verdict"] == "DIFFERENT" and r["gated_regression"] and r["cv"] < 0.005 and
                  r["same_band"] == 0.01 for r in pt), pt[:2]
assert all(r["metric"] == "dirty.pass_time" and abs(r["delta"] - 0.01) < 3e-3 for r in diff)
assert d["exit"] == 1
print(f"ok: another boot with dirty.pass_time 1% worse: its {len(pt)} rows DIFFERENT, gated at 0.5%")
EOF
expect_grep '^FAIL: [0-9]+ gated regressions beyond 0.5%' ic-aa-1pct.out
# simulate decides as compare: at the noisy rows' CV, n and family, A/A SAME as often
cv=$("$PY" -c 'import json,sys,statistics; d=json.load(open(sys.argv[1])); print(round(statistics.median(r["cv"] for r in d["rows"] if r["metric"]==sys.argv[2] and r["tested"]), 4))' ic-aa.json "$NOISY")
m=$("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; print(s["tested"] - s["tested_gated"])' ic-aa.json)
expect_exit sim-aa 0 "$S2B" simulate -n 10 -c "$cv" -S 0.5 -k icount -g "$m" -t 2000 -o sim-aa.json
"$PY" - sim-aa.json ic-aa.json "$NOISY" <<'EOF' || fail "simulate: A/A at the noisy rows' CV is not SAME as compare's"
import json, sys, statistics
d, c, noisy = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
r = {(x["case"], x["verdict"], x["using"]): x for x in d["rates"]}
s = r[("A/A", "SAME", "Holm p")]
# normal theory: the CI (+-1.96 se) inside the mde (+-(z(alpha/2m) + 0.84) se) ~96% of the time
assert s["rate"] >= 0.90 and d["band_wider_than_floor"] == s["of"], (s, d["band_mean"])
cb = statistics.mean(x["same_band"] for x in c["rows"] if x["metric"] == noisy and x["tested"])
assert 0.75 < d["band_mean"] / cb < 1.33, (d["band_mean"], cb)
print(f"ok: simulate at CV {d['params']['cv']:.1%}, n 10, {d['params']['group']} rows, icount: "
      f"A/A SAME {s['rate']:.1%} within a mean band of {d['band_mean']:.1%} (compare's rows: {cb:.1%})")
EOF

### two clocks ###############################################################

expect_exit clocks 2 "$S2B" compare base ic
[ "$(wc -l <clocks.err)" -eq 1 ] || fail "two clocks: stderr is not one line"
expect_grep "clock 'realtime'.*clock 'icount'" clocks.err "the line names both clocks"

### too few reps: cannot decide ##############################################

for r in base shifted; do
	cp -r "$DATA/$r" few-$r
	edit few-$r 'rows[1:] = [r for r in rows[1:] if int(r[2]) <= 4]'
done
expect_exit few 3 "$S2B" compare -o few.json few-base few-shifted
expect_grep '^cannot decide: 4 reps per side, at least [0-9]+ needed' few.out
grep -q '^OK:' few.out && fail "4 reps a side said OK"
pass "4 reps a side: cannot decide, exit 3"

### a zero base median ########################################################

cp -r ic zero0
cp -r ic zero1
edit zero0 '
for r in rows[1:]:
    if r[7] == "dirty.get_log_time" and r[4] == "rwlock":
        r[9] = "0"
'
edit zero1 '
for r in rows[1:]:
    if r[7] == "dirty.get_log_time" and r[4] == "rwlock":
        r[9] = repr(1700000 + 1000 * int(r[2]))
'
expect_exit zero 1 "$S2B" compare zero0 zero1
expect_grep '^dirty.get_log_time .* rwlock .* \+1\.70[0-9] ms \[\+' zero.out "from 0: an absolute delta in ms"
grep -q 'nan' zero.out && fail "a nan in the output"
expect_grep 'regression  dirty.get_log_time.*rwlock.*GATED' zero.out "the regression from 0 is gated"

### the delta column ##########################################################

cp -r "$DATA/shifted" shifted
expect_exit shift 1 "$S2B" compare base shifted
grep -E ' ~ ' shift.out && fail "a row shows ~ instead of its delta"
expect_grep '^dirty.pass_time .* rcu .* \+20\.00% \[\+[0-9.]+%, \+[0-9.]+%\] .*UNKNOWN +±[0-9.]+%$' shift.out \
	"the noisy UNKNOWN row shows its delta and CI, and its band"

### bad metrics.csv ###########################################################

# bad NAME PATTERN CMD: a copy of base with metrics.csv edited by CMD (run
# in the copy); compare refuses it with one line matching PATTERN, exit 2.
bad() {
	local name=$1 pattern=$2
	shift 2
	rm -rf "bad-$name"
	cp -r "$DATA/base" "bad-$name"
	(cd "bad-$name" && eval "$*")
	expect_exit "bad-$name" 2 "$S2B" compare base "bad-$name"
	[ "$(wc -l <"bad-$name.err")" -eq 1 ] || fail "bad-$name: stderr is not one line"
	expect_grep "$pattern" "bad-$name.err"
}
bad dup 'metrics.csv:3083: cell 0001.s dirty.pass_time again \(first on line 2\)' \
	'sed -n 2p metrics.csv >>metrics.csv'
bad nul 'metrics.csv:5: a NUL byte' \
	"$PY -c 'import sys; p=\"metrics.csv\"; l=open(p,\"rb\").read().split(b\"\\n\"); l[4]=l[4]+b\"\\x007\"; open(p,\"wb\").write(b\"\\n\".join(l))'"
bad negative 'metrics.csv:5: dirty.disable_logging_time is -823313 ns' \
	"sed -i '5s/,823313\$/,-823313/' metrics.csv"
bad hex "metrics.csv:5: value '0x10' is not a finite decimal" "sed -i '5s/,823313\$/,0x10/' metrics.csv"
bad lead "metrics.csv:5: value ' 5' is not a finite decimal" "sed -i '5s/,823313\$/, 5/' metrics.csv"
bad trail "metrics.csv:5: value '5 ' is not a finite decimal" "sed -i '5s/,823313\$/,5 /' metrics.csv"
bad nan "metrics.csv:5: value 'nan' is not a finite decimal" "sed -i '5s/,823313\$/,nan/' metrics.csv"
bad hung 'metrics.csv:3083: cell 0040 is hung \(status 124\)' \
	"echo '0040,max,4,timed,fastpath,s2_dirty,s2_dirty -v 2 -b 16M -i 4 -l get,dirty.pass_time,ns,1' >>metrics.csv"
expect_exit same-within-bad 2 "$S2B" compare --same-within 0 base base
expect_grep 'same-within' same-within-bad.err

# --metric, --strategy: only those rows; the gate is theirs.
expect_exit only 1 "$S2B" compare --metric dirty.pass_time --strategy rwlock "$DATA/base" "$DATA/shifted"
rows=$(grep -c '^dirty.pass_time ' only.out || true)
[ "$rows" -ge 1 ] && ! grep -qE '^(populate|access|unmap|exit)\.' only.out ||
	fail "--metric dirty.pass_time --strategy rwlock listed other rows: $(head -n 12 only.out)"
grep -E '^dirty.pass_time ' only.out | grep -qv ' rwlock ' && fail "--strategy rwlock listed another strategy"
pass "--metric/--strategy: $rows dirty.pass_time rwlock rows, nothing else"
expect_exit only-bad 2 "$S2B" compare --metric no.such.metric "$DATA/base" "$DATA/shifted"
expect_grep "not a metric" only-bad.err

# s2bench kernels: the fixture runs as two kernels.
K=$OUT/kset
mkdir -p "$K/compare"
printf '0\tupstream\t%s\tbase run\n1\tseries\t%s\tshifted run\n' "$DATA/base" "$DATA/shifted" >"$K/kernels.tsv"
"$S2B" compare -o "$K/compare/1-vs-0.json" "$DATA/base" "$DATA/shifted" >/dev/null 2>&1 || true
expect_exit kernels 0 "$S2B" kernels -o "$K/kernels.json" "$K"
expect_grep '^kernel 1  series  shifted run' kernels.out
expect_grep '^    gated +dirty.pass_time ' kernels.out "the step's gated rows"
"$PY" - "$K" <<'PY'
import json, sys
k = json.load(open(sys.argv[1] + "/kernels.json"))
c = json.load(open(sys.argv[1] + "/compare/1-vs-0.json"))
step = k["kernels"][1]["step"]
diff = [r for r in c["rows"] if r["verdict"] == "DIFFERENT"]
assert step["different"] == len(diff) and step["different_gated"] == sum(r["gated"] for r in diff), step
assert [r["shift"] for r in step["changed"]] == [r["shift"] for r in diff if r["gated"]] + \
       [r["shift"] for r in diff if not r["gated"]], "not compare's rows, gated first"
print("ok: kernels.json: %d DIFFERENT rows (%d gated), compare's own shifts, gated first"
      % (step["different"], step["different_gated"]))
PY
printf '0\tupstream\t%s\tbase\n1\tseries\t-\tnot run\n' "$DATA/base" >"$K/kernels.tsv"
expect_exit kernels-unfinished 2 "$S2B" kernels "$K"
expect_grep 'not finished' kernels-unfinished.err
printf '0\tupstream\t%s\tbase\n1\tseries\t%s\tx\n2\tother\t%s\ty\n' "$DATA/base" "$DATA/shifted" "$DATA/shifted" >"$K/kernels.tsv"
expect_exit kernels-missing 0 "$S2B" kernels "$K"
expect_grep 'step: not compared' kernels-missing.out "a missing comparison"

expect_exit help 0 "$S2B" compare --help
expect_grep 'same-within' help.out
expect_grep '^  3  cannot decide' help.out "--help documents exit 3"
pass "all checks"
