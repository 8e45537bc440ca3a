#!/usr/bin/env bash
# The benchmark harness end to end in the emulated target, on the test
# suite's kernel flavour (--flavour; the plans' own is default):
#  - bench/run-plan.sh on a small plan shaped like `quick` (dirty logging
#    and population under every strategy, 2 timed repetitions and 1
#    collected; `quick` itself takes about 15 minutes, too long for the
#    suite): every cell ok; metrics.csv has 2 timed rows of dirty.pass_time
#    (populate.time) per configuration and strategy; every collected cell has the collector's metrics (faults,
#    write-protection faults and TLBIs for dirty logging, fault latency
#    quantiles, mmu_lock waits, dirty-log ioctl calls equal to the
#    workload's), fastpath's dirty cells have fast-path hits; every dirty
#    cell, timed ones too, has the kernel's binary-stats counts (kstat.*),
#    with fast-path hits only under fastpath; the runner's
#    lines reached the terminal; env.json names kernel and QEMU;
#  - a collected cell that hangs in the target: busybox's timeout kills
#    s2collect, and the workload it started is killed with the cell's
#    session (none left when the next cell runs);
#  - compare on a real run of 12 reps (one hypfast dirty-logging cell)
#    against a +20% copy: p, Holm p and verdicts as scipy's, exit status
#    as the gated verdicts;
#  - resume: a run whose qemu is killed mid-way boots again by itself (the
#    running cell is marked died, not rerun); interrupted, then
#    --resume, it completes; no finished cell ran twice or had its files
#    touched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FLAVOUR=${S2PERF_FLAVOUR:-debug}
RP=$ROOT/bench/run-plan.sh

# ---- a small plan shaped like quick ----
cat >"$OUT/small" <<'EOF'
# the suite's end-to-end plan: quick, smaller
target     qemu
profile    max
strategies exclusive rwlock rcu fastpath
reps       2
collect    1
seed       1
timeout    300
workload   s2_dirty -v 2 -b 8M -i 2 -l get
workload   s2_populate -v 2 -b 8M -i 2
EOF
rc=0
"$RP" --plan "$OUT/small" --flavour "$FLAVOUR" --out "$OUT" >"$OUT/small.log" 2>&1 || rc=$?
run=$(sed -n 's/^run-plan: run directory: //p' "$OUT/small.log" | head -n 1)
[ -n "$run" ] && [ -d "$run" ] || { tail -n 30 "$OUT/small.log"; fail "run-plan made no run directory"; }
[ $rc -eq 0 ] || { tail -n 40 "$OUT/small.log"; fail "run-plan --plan small exited $rc"; }
grep -q '^\[24/24\] ' "$OUT/small.log" || fail "the runner's progress lines did not reach the terminal"
pass "small plan: 24 cells in $(awk -F'\t' '{ n++ } END { print n }' "$run/boots.txt") boot(s): $(grep -c 'run-cells: done' "$OUT/small.log") runner end line(s)"
python3 - "$run" <<'PY' || fail "the small run's tables are not what they should be"
import collections, csv, json, sys
run = sys.argv[1]
m = json.load(open(run + "/manifest.json"))
cells = list(csv.DictReader(open(run + "/cells.csv")))
assert len(cells) == 24 and all(c["outcome"] == "ok" for c in cells), \
    [(c["cell"], c["outcome"], c["reason"]) for c in cells if c["outcome"] != "ok"]
rows = list(csv.DictReader(open(run + "/metrics.csv")))
n = collections.Counter((r["config"], r["strategy"], r["metric"]) for r in rows if r["mode"] == "timed")
for cfg in m["configs"]:
    metric = "dirty.pass_time" if cfg.startswith("s2_dirty") else "populate.time"
    for s in ("exclusive", "rwlock", "rcu", "fastpath"):
        assert n[(cfg, s, metric)] == 2, (cfg, s, metric, n[(cfg, s, metric)])
print("ok: 2 timed rows per configuration and strategy")
v = collections.defaultdict(dict)
for r in rows:
    v[r["cell"]][r["metric"]] = float(r["value"])
una = collections.defaultdict(dict)
for u in csv.DictReader(open(run + "/unavailable.csv")):
    una[u["cell"]][u["metric"]] = u["reason"]
for c in m["cells"]:
    got = v[c["id"]]
    if c["workload"] == "s2_dirty":
        # The kernel's own counts, in every cell: timed ones too.
        assert got["kstat.wp_faults"] > 0, (c["id"], una[c["id"]].get("kstat.wp_faults"))
        assert (got["kstat.fast_path_hits"] > 0) == (c["strategy"] == "fastpath"), \
            (c["id"], c["strategy"], got["kstat.fast_path_hits"])
    if c["mode"] == "timed":
        assert not any(k.startswith("collector.") for k in got), c["id"]
        continue
    wl = json.load(open("%s/cells/%s/workload.json" % (run, c["id"])))
    need = ["collector.faults.translation", "collector.fault_latency.p50",
            "collector.fault_latency.p99", "collector.mmu_lock.write_waits",
            "collector.mmu_lock.read_waits", "collector.tlbi.all"]
    for k in need:
        assert k in got, (c["id"], k, una[c["id"]].get(k))
    assert got["collector.faults.translation"] > 0
    assert got["collector.fault_latency.p50"] <= got["collector.fault_latency.p99"]
    if c["workload"] == "s2_dirty":
        assert got["collector.wp_faults"] > 0 and got["collector.tlbi.all"] > 0, c["id"]
        assert got["collector.dirty.get_dirty_log_calls"] == \
            wl["dirty"]["ioctls"]["get_dirty_log"]["value"], c["id"]
        hits = got["collector.fast_path_hits"]
        assert (hits > 0) == (c["strategy"] == "fastpath"), (c["id"], c["strategy"], hits)
    print("ok: %s %s %s: %d collector metrics, %d unavailable" % (
        c["id"], c["config"], c["strategy"],
        sum(k.startswith("collector.") for k in got), len(una[c["id"]])))
e = json.load(open(run + "/env.json"))
assert e["kernel"]["release"] and e["kernel"]["series"] and e["qemu"]["version"].startswith("QEMU")
assert e["kernel"]["flavour"]
print("ok: env.json: %s, %s" % (e["kernel"]["release"], e["qemu"]["version"]))
PY
pass "small plan: 2 timed rows per configuration and strategy, collector metrics in every collected cell"

# compare on this real run: with itself nothing differs, but at n = 2 + 2
# no gated row can be tested, so compare cannot decide (exit 3, never "OK");
# against a copy whose dirty passes are all 20% slower every such row must
# say UNKNOWN (run more), never SAME or DIFFERENT, and nothing gates
# (exit 3 again). (Detection itself, at n = 10, is t-report's
# and t-stats' on known data: on a real emulated default run a planted +20%
# stays UNKNOWN too, its CV being up to 80%.)
S2B=$ROOT/bench/.output/s2bench
rc=0
"$S2B" compare "$run" "$run" >"$OUT/cmp-self.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$OUT/cmp-self.txt"; fail "compare of a 2-rep run with itself exited $rc, not 3 (cannot decide)"; }
grep -q '^cannot decide: ' "$OUT/cmp-self.txt" || { tail -n 3 "$OUT/cmp-self.txt"; fail "compare exited 3 without saying it cannot decide"; }
grep -q ' 0 DIFFERENT' "$OUT/cmp-self.txt" || { tail -n 3 "$OUT/cmp-self.txt"; fail "compare found a difference between a run and itself"; }
cp -r "$run" "$OUT/shifted"
awk -F, 'BEGIN { OFS = "," } NR > 1 && $8 == "dirty.pass_time" { $10 = $10 * 1.2 } { print }' \
	"$run/metrics.csv" >"$OUT/shifted/metrics.csv"
rc=0
"$S2B" compare --all "$run" "$OUT/shifted" --threshold 5 >"$OUT/cmp-shift.txt" 2>&1 || rc=$?
[ $rc -eq 3 ] || { cat "$OUT/cmp-shift.txt"; fail "compare on n = 2 + 2 exited $rc, not 3 (cannot decide)"; }
rows=$(grep -c '^dirty.pass_time ' "$OUT/cmp-shift.txt" || true)
unknown=$(grep '^dirty.pass_time ' "$OUT/cmp-shift.txt" | grep -c 'UNKNOWN$' || true)
[ "$rows" -gt 0 ] && [ "$rows" -eq "$unknown" ] ||
	{ grep '^dirty.pass_time ' "$OUT/cmp-shift.txt"; fail "compare: $unknown of $rows shifted rows UNKNOWN"; }
pass "compare on the real run: itself 0 DIFFERENT, cannot decide (exit 3); +20% dirty passes at n = 2 + 2: all $rows rows UNKNOWN, exit 3"

# compare as a CI gate on real emulated data: 12 reps of one dirty-logging
# cell under hypfast (its dirty pass varies least) against a copy whose
# dirty passes are 20% slower. Every tested row's p, Holm p (within the
# gated metrics' family and the others') and verdict must be what scipy's
# Mann-Whitney and Holm by hand make of the same values, and the exit
# status must follow the gated verdicts; whether +20% was detected at this
# run's noise is printed (detection on known data is t-report's).
cat >"$OUT/gate" <<'EOF'
# the suite's gate plan: one dirty-logging cell under hypfast, 12 reps
target     qemu
profile    max
strategies hypfast
reps       12
collect    0
seed       3
timeout    300
workload   s2_dirty -v 2 -b 16M -i 4 -l get
EOF
rc=0
"$RP" --plan "$OUT/gate" --flavour "$FLAVOUR" --out "$OUT/g" >"$OUT/gate.log" 2>&1 || rc=$?
grun=$(sed -n 's/^run-plan: run directory: //p' "$OUT/gate.log" | head -n 1)
[ $rc -eq 0 ] && [ -d "$grun" ] || { tail -n 30 "$OUT/gate.log"; fail "run-plan --plan gate exited $rc"; }
cp -r "$grun" "$OUT/gshift"
awk -F, 'BEGIN { OFS = "," } NR > 1 && $8 == "dirty.pass_time" { $10 = $10 * 1.2 } { print }' \
	"$grun/metrics.csv" >"$OUT/gshift/metrics.csv"
rc=0
"$S2B" compare "$grun" "$grun" >/dev/null 2>&1 || rc=$?
[ $rc -eq 0 ] || fail "compare of the gate run with itself exited $rc"
grc=0
"$S2B" compare -o "$OUT/gate-cmp.json" "$grun" "$OUT/gshift" >"$OUT/gate-cmp.txt" 2>&1 || grc=$?
[ $grc -eq 0 ] || [ $grc -eq 1 ] || { cat "$OUT/gate-cmp.txt"; fail "compare of the gate run and its shifted copy exited $grc"; }
/usr/bin/python3 - "$OUT/gate-cmp.json" "$grun/metrics.csv" "$OUT/gshift/metrics.csv" "$grc" <<'PY' ||
import collections, csv, json, sys
from scipy import stats
d = json.load(open(sys.argv[1]))
def vals(path):
    v = collections.defaultdict(list)
    for r in csv.DictReader(open(path)):
        if r["mode"] == "timed":
            v[(r["config"], r["strategy"], r["metric"])].append(float(r["value"]))
    return v
b, n = vals(sys.argv[2]), vals(sys.argv[3])
def holm(ps):
    order = sorted(range(len(ps)), key=lambda i: ps[i])
    out, run = [0.0] * len(ps), 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (len(ps) - rank) * ps[i]))
        out[i] = run
    return out
tested = [r for r in d["rows"] if r["tested"]]
assert tested, "no tested row"
tied = 0
for r in tested:
    a, c = b[(r["config"], r["strategy"], r["metric"])], n[(r["config"], r["strategy"], r["metric"])]
    # scipy's exact method assumes no ties; compare's counts the tied
    # mid-ranks exactly (checked against a permutation count in t-stats).
    if r["exact"] and len(set(a + c)) < len(a + c):
        tied += 1
        continue
    ref = stats.mannwhitneyu(a, c, alternative="two-sided", use_continuity=True,
                             method="exact" if r["exact"] else "asymptotic")
    assert abs(r["p"] - ref.pvalue) <= 1e-6 * max(1.0, ref.pvalue), (r["metric"], r["p"], ref.pvalue)
for fam in ("gated", "other"):
    f = [r for r in tested if r["family"] == fam]
    for r, h in zip(f, holm([r["p"] for r in f])):
        assert abs(r["p_holm"] - h) <= 1e-9, (r["metric"], r["p_holm"], h)
        assert (r["verdict"] == "DIFFERENT") == (h < 0.05), (r["metric"], r["verdict"], h)
gated = [r for r in tested if r["gated_regression"]]
assert all(r["gated"] and r["change"] == "regression" and r["delta"] > 0.05 for r in gated), gated
assert int(sys.argv[4]) == (1 if gated else 0), (sys.argv[4], len(gated))
pt = [r for r in tested if r["metric"] == "dirty.pass_time"][0]
print("ok: %d tested rows (%d gated; %d with ties, exact p left to t-stats) agree with scipy and Holm by hand; dirty.pass_time +20%% at "
      "n = %d + %d, CV %.1f%%: p %.3g, Holm p %.3g, %s, exit %s" % (
      len(tested), sum(r["gated"] for r in tested), tied, pt["base"]["n"], pt["new"]["n"],
      pt["base"]["cv"] * 100, pt["p"], pt["p_holm"], pt["verdict"], sys.argv[4]))
PY
	{ cat "$OUT/gate-cmp.txt"; fail "compare on the real gate run disagrees with scipy"; }
pass "compare as a gate on a real run: itself exit 0; +20% copy: p, Holm p per family and verdicts as scipy's, exit $grc"

# ---- a hung collected cell: nothing of it survives ----
H=$OUT/hung
mkdir -p "$H"
cat >"$H/left.sh" <<'EOF'
# what is left of the previous cell: no workload process may be
if pidof s2_dirty >/dev/null; then ps; exit 1; fi
exit 0
EOF
printf '0001\tmax\t1\tcollected\t10\ts2_dirty -v 1 -b 4M -i 1000000 -l get\n0002\tmax\t1\ttimed\t60\tsh ../../left.sh\n' >"$H/cells.txt"
rc=0
launch hung -t 600 -I "$ROOT/bench/run-cells.sh" -- sh run-cells.sh . >"$OUT/hung.log" 2>&1 || rc=$?
[ "$(cat "$H/cells/0001/status" 2>/dev/null)" = 137 ] || { cat "$OUT/hung.log"; fail "the hung collected cell's status is not 137"; }
[ "$(cat "$H/cells/0002/status" 2>/dev/null)" = 0 ] ||
	{ cat "$H/cells/0002/output.log"; fail "the hung cell's workload outlived it"; }
[ $rc -eq 1 ] || fail "the runner exited $rc in the target with a hung cell, expected 1"
grep -q 'FAILED (137: hung, killed after 10 s)' "$OUT/hung.log" || fail "no hung line"
pass "hung collected cell in the target: 137 after 10 s, its workload killed with it"

# ---- kill the target mid-way, then interrupt, then --resume ----
cat >"$OUT/resume" <<'EOF'
# small cells for the kill-and-resume case
target     qemu
strategies exclusive rwlock rcu fastpath
reps       4
seed       5
timeout    120
workload   s2_populate -v 2 -b 8M -i 1
EOF
# qemu-system-aarch64 under the process tree of $1 (comm is cut at 15)
find_qemu() {
	local p c
	for p in $(ps -o pid= --ppid "$1"); do
		if [ "$(ps -o comm= -p "$p")" = qemu-system-aar ]; then echo "$p"; return 0; fi
		c=$(find_qemu "$p") && [ -n "$c" ] && { echo "$c"; return 0; }
	done
	return 1
}
statuses() { find "$1/cells" -name status 2>/dev/null | wc -l; }
"$RP" --plan "$OUT/resume" --flavour "$FLAVOUR" --out "$OUT/r" >"$OUT/resume1.log" 2>&1 &
rp=$!
# A failing check below must not leave the run (and its target) behind.
trap 'kill -TERM $rp 2>/dev/null || true' EXIT
R=
for _ in $(seq 3600); do
	R=$(find "$OUT/r" -maxdepth 1 -name 'resume-*' 2>/dev/null | head -n 1 || true)
	[ -n "$R" ] && [ "$(statuses "$R")" -ge 3 ] && break
	kill -0 $rp 2>/dev/null || { tail -n 20 "$OUT/resume1.log"; fail "run-plan ended early"; }
	sleep 0.5
done
q=$(find_qemu $rp) || fail "no qemu under run-plan"
kill -KILL "$q"
pass "killed the target (qemu $q) after $(statuses "$R") cells"
# It boots again by itself; interrupt it once it has finished 2 more cells.
rebooted() { [ -f "$R/boots.txt" ] && [ "$(statuses "$R")" -ge 6 ]; }
interrupt_when $rp 3600 "$OUT/resume1.log" rebooted
trap - EXIT
[ "$(cut -f3 "$R/boots.txt" | head -n 1)" = 124 ] || fail "the killed boot is not recorded as launch status 124"
grep -q 'profile max: boot 2' "$OUT/resume1.log" || fail "run-plan did not boot again after the target died"
done1=$(statuses "$R")
# (no died cell is fine: grep's status 1 must not end the test)
died=$( (grep -l '^died$' "$R"/cells/*/status 2>/dev/null || true) | wc -l)
before=$(cd "$R/cells" && for s in */status; do stat -c '%n %y' "${s%/status}"/*; done)
pass "target killed: booted again; interrupted after $done1 of 16 cells ($died died)"

rc=0
"$RP" --resume "$R" >"$OUT/resume2.log" 2>&1 || rc=$?
want=0
[ "$died" -gt 0 ] && want=1
[ $rc -eq $want ] || { tail -n 30 "$OUT/resume2.log"; fail "--resume exited $rc, expected $want ($died died)"; }
[ "$(statuses "$R")" -eq 16 ] || fail "not every cell has a status after --resume"
after=$(cd "$R/cells" && echo "$before" | while read -r f _; do stat -c '%n %y' "$f"; done)
[ "$before" = "$after" ] || fail "--resume touched a finished cell's files"
# Every cell ran once: one progress line per cell over all boots.
for id in $(cut -f1 "$R/cells.txt"); do
	n=$(grep -c "^\[[0-9]*/16\] $id " "$R/runner.log" || true)
	st=$(cat "$R/cells/$id/status")
	if [ "$st" = died ]; then
		[ "$n" -eq 0 ] || fail "died cell $id has a finished line"
	elif [ "$n" -eq 0 ]; then
		# Finished as the target was stopped: its status was written, its
		# progress line not yet. It must then be a cell --resume left alone.
		echo "$before" | grep -q "^$id/status " ||
			fail "cell $id has a status but never ran in any boot's log"
		echo "cell $id finished as its boot was stopped (status, no progress line); not run again"
	else
		[ "$n" -eq 1 ] || fail "cell $id ran $n times"
	fi
done
pass "--resume: all 16 cells done, $done1 finished before untouched, each cell ran once (exit $rc)"
