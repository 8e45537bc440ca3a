#!/usr/bin/env bash
# s2bench's readers on the checked-in runs of tests/data/runs (no boot):
# - report: report.txt and report.md equal their goldens, stdout is the
#   report's first section, the plots a run has data for are drawn (SVG and
#   PNG) and the others are named with the reason, the headline's numbers
#   agree with an independent computation (Python, from metrics.csv: the
#   medians, ratios, the exact Wilcoxon p and Holm's p over the table);
#   the header names the run's clock (realtime and icount runs); the
#   summary comes first (findings after Holm, the failed cells, the
#   smallest detectable shift); n=1 rows have their own section; on runs
#   with no planted difference (base's values redrawn from one
#   distribution; and with 30 reps) the corrected headline calls nothing,
#   while a planted 7% shift at 30 reps is found; every plot's key has its
#   n and each strategy its fixed slot (colour, dash, point);
# - compare: a run against itself finds nothing (exit 0); against a copy
#   whose dirty passes are 20% slower finds exactly those rows DIFFERENT,
#   +20% (exit 1; the text equals its golden, the JSON says the same); two
#   plans, a broken metrics.csv, a missing manifest or no common rows: one
#   line on stderr, exit 2;
# - kcidb: KCIDB I/O v4.5 (ids, origins, paths, statuses as the schema
#   has them), one test per metric with number = median;
# - bench/lava: the job fills in to valid YAML; run-nightly.sh refuses a
#   host that cannot run it, with a reason.
# S2PERF_UPDATE_GOLDEN=1 rewrites the goldens (after a deliberate change).
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
# No target is booted here: the test runs outside tests/run as well.
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data/runs

build_s2bench
export S2BENCH_PLOTS=$ROOT/plots

cp -r "$DATA" "$OUT/runs"
cd "$OUT/runs"

# run WANT NAME CMD...: CMD's stdout to NAME.out, stderr to NAME.err; status WANT
run() {
	local want=$1 name=$2 rc=0
	shift 2
	"$@" >"$name.out" 2>"$name.err" || rc=$?
	[ "$rc" -eq "$want" ] || { cat "$name.err"; fail "'$*' exited $rc, expected $want"; }
	pass "'$*' exited $rc"
}

# one_line NAME PATTERN: NAME.err is exactly one line and matches PATTERN
one_line() {
	[ "$(wc -l <"$1.err")" -eq 1 ] || { cat "$1.err"; fail "$1: expected one line on stderr"; }
	grep -Eq -- "$2" "$1.err" || fail "$1: '$(cat "$1.err")' does not match /$2/"
	pass "$1: $(cat "$1.err")"
}

golden() {
	if [ -n "${S2PERF_UPDATE_GOLDEN:-}" ]; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		pass "updated $2"
		return
	fi
	diff -u "$2" "$1" >"$OUT/golden.diff" ||
		{ head -n 60 "$OUT/golden.diff"; fail "$1 differs from its golden $2"; }
	pass "$1 equals its golden"
}

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

### report ##################################################################

# base has a hung and a died cell: reported, and exit 1
run 1 report-base "$S2B" report base
golden base/report.txt "$DATA/base/golden/report.txt"
golden base/report.md "$DATA/base/golden/report.md"
n=$(($(wc -l <report-base.out) - 2))
head -n "$n" report-base.out >report-base.head
head -n "$n" base/report.txt | cmp -s - report-base.head ||
	fail "stdout is not the first $n lines of report.txt"
grep -q '^Tuning advice' report-base.head && fail "stdout goes beyond the headline"
pass "stdout is report.txt's header and headline ($n lines)"
expect_grep 'FAILED 0040: .* hung, killed at the timeout \(status 124\); log cells/0040/output.log' \
	base/report.md "the hung cell"
expect_grep 'FAILED 0212: .* died' base/report.md "the died cell"
expect_grep 'timing metrics .* from timed cells only .* collector metrics only from collected cells' \
	base/report.md "timed vs collected"

for id in fault-latency dirty-pass dirty-vcpus mmu-lock tlbi dirtylog-ioctl profiles; do
	[ -s "base/plots/$id.svg" ] && grep -q '<svg' "base/plots/$id.svg" ||
		fail "base: no plots/$id.svg (see base/plots/gnuplot.log)"
	is_png "base/plots/$id.png" || fail "base: plots/$id.png is not a PNG"
	[ -s "base/plots/$id.dat" ] || fail "base: no plots/$id.dat"
	grep -q "<img src=\"plots/$id.svg\"" base/report.html || fail "report.html does not show $id"
done
pass "base: 7 plots drawn as SVG and PNG, each shown in report.html"
grep -Eq '(src|href)="(https?:)?//' base/report.html && fail "report.html loads something from outside"
pass "report.html has no external resources"

# modes: no collected reps, one profile, one vCPU count, a skipped workload
run 0 report-modes "$S2B" report modes
golden modes/report.txt "$DATA/modes/golden/report.txt"
golden modes/report.md "$DATA/modes/golden/report.md"
for id in dirty-pass dirtylog-ioctl; do
	is_png "modes/plots/$id.png" || fail "modes: $id not drawn"
done
for id in fault-latency dirty-vcpus mmu-lock tlbi profiles; do
	[ ! -e "modes/plots/$id.svg" ] || fail "modes: $id drawn without data"
done
# the checks read report.md: its paragraphs are not wrapped
expect_grep 'Write-protection fault latency: not drawn: the plan collected no reps \(collect 0\)' \
	modes/report.md "fault latency plot's reason"
expect_grep 'CPU profiles side by side: not drawn: the run has one CPU profile' modes/report.md
expect_grep 'skipped: 12 cells of s2_split .*: no free huge pages' modes/report.md "the skip's reason"
expect_grep '\| collector.fault_latency.permission.p50 \|  \| unavailable \|.*the plan collected no reps' \
	modes/report.md "WP latency unavailable, with its reason"
# 6 reps and Holm over 5 tests: the exact Wilcoxon p of 6 pairs (>= 2/64) cannot
# pass 0.05/5, so the advice must not call one (uncorrected it called ring/4096)
expect_grep 'Holm.s correction over the 6 tests of this question' modes/report.md "log-mode family"
expect_grep 'ring/4096 entries .* = 0\.[0-9]+x, .*\(p=0\.031, Holm p=0\.[0-9]+, n=6\), no significant difference' \
	modes/report.md "log-mode advice: ring/4096 uncorrected p=0.031, corrected not significant"
grep -q 'Best: ring/4096' modes/report.md && fail "modes: a log mode called best after Holm"
expect_grep 'anonymous_thp .* No significant difference from default backing' \
	modes/report.md "THP advice"
expect_grep 'Not measured in this run: no two s2_split configurations differ only in the eager split chunk size' \
	modes/report.md "no eager split advice without -E in the plan"

# eager: s2_split with -E 0,2M; the eager split chunk size answered from
# the split pass, the whole split and the later passes
run 0 report-eager "$S2B" report -q --no-plots eager
golden eager/report.txt "$DATA/eager/golden/report.txt"
golden eager/report.md "$DATA/eager/golden/report.md"
expect_grep 'anonymous_thp -l clear, rwlock \[max\]: split pass against off \([0-9.]+ ms\): chunk 2M [0-9.]+ ms = 0\.[0-9]+x, 95% CI [0-9.-]+ \(p=0\.008, Holm p=0\.047, n=8\)\. Best: chunk 2M' \
	eager/report.md "eager split advice: the split pass"
expect_grep 'rwlock \[max\]: split pass \+ log enabling \(\+ initial clear\) against off .* Best: chunk 2M' \
	eager/report.md "eager split advice: the whole split"
expect_grep 'fastpath \[max\]: later passes \(median\) against off .*, no significant difference\. No significant difference from off\.' \
	eager/report.md "eager split advice: later passes, no significant difference"

# crossover: s2_dirty's write share (-w 1,10,50,100) under rwlock, hypfast
# and hwdbm at two slot sizes (tests/data/runs/make-crossover.py): a plot
# per slot size of pass + harvest against the share written, and the
# advice's crossover, both checked against Python's figures from metrics.csv
run 0 report-crossover "$S2B" report -q crossover
golden crossover/report.txt "$DATA/crossover/golden/report.txt"
golden crossover/report.md "$DATA/crossover/golden/report.md"
for id in dirty-share-1 dirty-share-2; do
	is_png "crossover/plots/$id.png" && grep -q '<svg' "crossover/plots/$id.svg" ||
		fail "crossover: $id not drawn (see crossover/plots/gnuplot.log)"
done
expect_grep 'Cost per pass against share written: not drawn: no two s2_dirty configurations differ only in the share written' \
	modes/report.md "no crossover plot without a -w list"
expect_grep 'Not measured in this run: no two s2_dirty configurations differ only in the share of pages written per pass' \
	modes/report.md "no crossover advice without a -w list"
python3 - crossover <<'PY' || fail "the crossover plot or advice disagrees with metrics.csv"
import collections, csv, re, statistics, sys
run = sys.argv[1]
parts = ("dirty.pass_time", "dirty.get_log_time", "dirty.clear_log_time")
s = collections.defaultdict(lambda: collections.defaultdict(float))
for r in csv.DictReader(open(f"{run}/metrics.csv")):
    if r["metric"] in parts and r["mode"] == "timed":
        s[(r["config"], r["strategy"])][int(r["rep"])] += float(r["value"])
md = open(f"{run}/report.md").read()
shares, items = (1, 10, 50, 100), 0
for size, plot in (("64M", 1), ("256M", 2)):
    cfg = lambda w: f"s2_dirty -v 1 -b {size} -w {w} -l clear -i 3"
    # the plot's data: a block per strategy, rows "share median low high" in
    # the unit its y label names
    unit = re.search(rf"== dirty-share-{plot}: .*ylabel='pass \+ log harvest \((\w+)",
                     open(f"{run}/plots/gnuplot.log").read()).group(1)
    div = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    for block in filter(str.strip, open(f"{run}/plots/dirty-share-{plot}.dat").read().split("\n\n\n")):
        strat = [l for l in block.splitlines() if re.fullmatch(r"# [a-z]+", l)][0][2:]
        rows = [l.split() for l in block.splitlines() if l[:1].isdigit()]
        assert [int(r[0]) for r in rows] == list(shares), (size, strat, rows)
        for w, row in zip(shares, rows):
            want = statistics.median(s[(cfg(w), strat)].values()) / div
            assert abs(float(row[1]) - want) < 1e-3 * want, (size, strat, w, row, want)
    for other in ("rwlock", "hypfast"):
        ratio = {w: statistics.median(s[(cfg(w), "hwdbm")][k] / s[(cfg(w), other)][k]
                                      for k in s[(cfg(w), other)]) for w in shares}
        # every pair lies on one side here (p = 2/2^10, Holm p 0.031): the
        # crossover is the lowest share from which every ratio is below 1
        frm = min(w for w in shares if all(ratio[x] < 1 for x in shares if x >= w))
        line = (f"- s2_dirty -v 1 -b {size} -l clear -i 3 [max]: from {frm}% written per pass on, "
                f"hwdbm's pass + harvest beats {other} ({ratio[frm]:.3f}x [")
        assert line in md, (line, [l for l in md.splitlines() if size in l and other in l])
        items += 1
        print(f"ok: {size} against {other}: from {frm}% on, {ratio[frm]:.3f}x")
assert items == 4
assert re.search(r"^- Advice: s2_dirty -v 1 -b 64M -l clear -i 3 \[max\]: from 10% written per pass "
                 r"on, hwdbm's pass \+ harvest beats rwlock", md, re.M), "not in the summary"
PY
pass "crossover: a plot per slot size; its medians and the advice's crossover shares equal Python's"

cp -r "$DATA/modes" noplots
run 0 report-noplots "$S2B" report -q --no-plots noplots
[ ! -s report-noplots.out ] || fail "-q printed something"
[ ! -d noplots/plots ] || fail "--no-plots drew plots"
expect_grep 'Not drawn: s2bench report ran with --no-plots' noplots/report.md

# the numbers, computed independently from metrics.csv
python3 - base <<'PY' || fail "the headline disagrees with metrics.csv"
import csv, math, statistics, sys
run = sys.argv[1]
cfg, prof = "s2_dirty -v 2 -b 16M -i 4 -l get", "max"
v = {}
for r in csv.DictReader(open(f"{run}/metrics.csv")):
    if (r["metric"], r["config"], r["profile"], r["mode"]) == ("dirty.pass_time", cfg, prof, "timed"):
        v.setdefault(r["strategy"], {})[int(r["rep"])] = float(r["value"])
def ms(x):  # 4 significant digits, as the report prints
    x /= 1e6
    return f"{x:.{max(0, 3 - math.floor(math.log10(x)))}f} ms"
text = open(f"{run}/report.txt").read().splitlines()
rows = [l for l in text if " ms " in l and ("±" in l or "no CI" in l)]
for s, byrep in v.items():
    med = ms(statistics.median(byrep.values()))
    hit = [l for l in text if f" {s} " in l and med in l and f"  {len(byrep)}  " in l]
    assert hit, f"{s}: median {med}, n={len(byrep)} not in the headline"
    if s != "rwlock":
        ratios = [byrep[k] / v["rwlock"][k] for k in byrep if k in v["rwlock"]]
        r = f"{statistics.median(ratios):.3f}x"
        assert any(r in l for l in hit), f"{s}: ratio {r} not in its row {hit}"
        print(f"ok: {s}: median {med}, n={len(byrep)}, {r} rwlock")
PY
pass "headline medians, n and paired ratios equal Python's"

# The clock, the summary, Holm's p and the n=1 section ------------------------
# report.md: a paragraph a line, a table row a line
expect_grep '^Clock: realtime \(emulated time\)\..* only ratios between strategies within one boot' \
	base/report.md "base (no clock in env.json): the realtime clock and its limits"
awk '/^## /{print $0}' base/report.md >base.sections
[ "$(sed -n 1p base.sections)" = "## Summary" ] || fail "the report does not open with its summary"
grep -n '^Clock: \|^## Summary\|^## Headline' base/report.md | cut -d: -f1 | sort -n -c ||
	fail "base: the clock line, the summary and the headline are not in that order"
pass "base: the clock line, then the summary, then the headline"
expect_grep '^- Cells that failed, hung or died: 2 of 264 \(0 failed, 1 hung, 1 died\): 0040 hung, 0212 died\.' \
	base/report.md "summary: the failed cells, counted and named"
expect_grep '^- Headline: no significant difference from rwlock after Holm.s correction over its 30 tests\.' \
	base/report.md "summary: nothing survives Holm at n=10 over 30 tests"
# n=10 pairs: the exact Wilcoxon p is >= 2/2^10 = 0.00195 > 0.05/30
expect_grep '^- Smallest detectable shift: none\. 30 of the 30 tested rows .* 0\.05/30 = 0\.0017; 11 pairs could' \
	base/report.md "summary: why base could find no shift, and what would"
expect_grep '^\| profile \| config \| metric \| strategy \| median \| 95% CI \| n \| vs rwlock \| CI of ratio \| p \| Holm p \| verdict \|$' \
	base/report.md "the headline has Holm's p"
expect_grep '^## Single observations \(n=1\)' base/report.md "the n=1 section"
expect_grep '^\| max \| s2_dirty -v 2 -b 16M -i 4 -l get \| collector.fault_latency.permission.p50 \| fastpath \| 32.77 us \| 0.500x \|' \
	base/report.md "a collector row of one value, in the n=1 section"

# the headline's p and Holm p, computed here (exact Wilcoxon signed-rank, Holm by hand)
python3 - base/report.md base/metrics.csv <<'PY' || fail "the headline's p or Holm p disagree with Python's"
import csv, itertools, math, sys
md, rows = open(sys.argv[1]).read().split("\n## "), list(csv.DictReader(open(sys.argv[2])))
head = [s for s in md if s.startswith("Headline")][0].splitlines()
table = [[c.strip() for c in l.strip("|").split(" | ")] for l in head if l.startswith("| ")][2:]
v = {}
for r in rows:
    if r["mode"] == "timed":
        v.setdefault((r["profile"], r["config"], r["metric"], r["strategy"]), {})[int(r["rep"])] = float(r["value"])
def wilcoxon(d):  # two-sided exact p, no ties, zeros dropped (scipy's default)
    d = [x for x in d if x != 0]
    n, ranks = len(d), sorted(range(len(d)), key=lambda i: abs(d[i]))
    wp = sum(k + 1 for k, i in enumerate(ranks) if d[i] > 0)
    t = min(wp, n * (n + 1) // 2 - wp)
    counts = [1] + [0] * (n * (n + 1) // 2)
    for k in range(1, n + 1):
        for s in range(len(counts) - 1, k - 1, -1):
            counts[s] += counts[s - k]
    return min(1.0, 2 * sum(counts[: t + 1]) / 2 ** n)
tested, prof, cfg, met = [], None, None, None
for c in table:
    prof, cfg, met = c[0] or prof, c[1] or cfg, c[2] or met
    assert c[6] != "1", f"a row of n=1 in the headline: {c}"
    if c[9] == "":
        continue
    a, b = v[(prof, cfg, met, c[3])], v[(prof, cfg, met, "rwlock")]
    p = wilcoxon([math.log(a[k] / b[k]) for k in a if k in b])
    assert abs(float(c[9].replace("<", "")) - p) < 0.0006 or (c[9] == "<0.001" and p < 0.001), (c, p)
    tested.append((p, c))
m, run, holm = len(tested), 0.0, {}
for rank, (p, c) in enumerate(sorted(tested, key=lambda x: x[0])):
    run = max(run, min(1.0, (m - rank) * p))
    holm[id(c)] = run
for p, c in tested:
    assert abs(float(c[10]) - holm[id(c)]) < 0.0006, (c, holm[id(c)])
    assert (holm[id(c)] < 0.05) == (c[11].startswith(("better", "worse", "differs"))), c
print(f"ok: {m} tested rows: p exact as computed here, Holm p over the {m}, the verdicts on Holm p")
PY
pass "headline: the Wilcoxon p and Holm's p equal Python's, and the verdicts rest on Holm's"

# icount: the same run under the deterministic clock says so, and labels its times
cp -r "$DATA/base" icount
python3 - icount/env.json <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); e["clock"] = "icount"; json.dump(e, open(sys.argv[1], "w"), indent=2)
PY
run 1 report-icount "$S2B" report icount
expect_grep '^Clock: icount \(instruction time\)\..*the length of the code path.*deterministic.*not the speed of any CPU.*parallel speed-up does not show, nor does time spent waiting for a lock held on another CPU; spinning on a lock does' \
	icount/report.md "icount: what instruction time is"
expect_grep '^\| profile \| config \| metric \| strategy \| median \(instruction time\) \|' icount/report.md \
	"icount: the headline's times labelled"
grep -q 'instruction time' icount/plots/dirty-pass.svg || fail "icount: the dirty pass plot's axis does not say instruction time"
grep -q 'Clock: icount' report-icount.out || fail "icount: stdout does not name the clock"
grep 'instruction time' base/report.md | grep -v '^Clock: realtime' | grep -q . &&
	fail "realtime: something labelled instruction time"
pass "icount: clock line, headline header and plot axis say instruction time"

# Plots: every key has its n; each strategy its fixed slot in every plot
python3 - "$ROOT/common/s2strategy.h" base/plots/gnuplot.log modes/plots/gnuplot.log <<'PY' || fail "a plot's key or colour is wrong"
import re, shlex, sys
names = re.findall(r'"([a-z]+)"', re.search(r"#define S2_STRATEGY_NAMES (.*)", open(sys.argv[1]).read()).group(1))
plots = 0
for log in sys.argv[2:]:
    for line in open(log):
        m = re.match(r'== ([a-z-]+): gnuplot -e "(.*)" \S+$', line)
        if not m:
            continue
        var = dict(re.findall(r"(\w+)='((?:[^']|'')*)'", m.group(2)))
        keys, slots = shlex.split(var["names"]), var["slots"].split()
        assert len(keys) == len(slots), (m.group(1), keys, slots)
        for k, sl in zip(keys, slots):
            km = re.fullmatch(r"(\S+) \(n=(\d+)(-\d+)?\)", k)
            assert km, f"{log} {m.group(1)}: key '{k}' has no n"
            assert names.index(km.group(1)) + 1 == int(sl), f"{m.group(1)}: {k} in slot {sl}"
        plots += 1
assert plots >= 9, plots
print(f"ok: {plots} plots: every key with its n, every strategy in its slot of {names}")
PY
pass "plots: n in every key, one slot (colour, dash, point) per strategy across runs"
# the keys' n against the data: dirty-pass from metrics.csv, fault-latency from the collected cells
python3 - base <<'PY' || fail "a plot's n disagrees with its data"
import csv, re, shlex, sys
run = sys.argv[1]
log = open(f"{run}/plots/gnuplot.log").read()
def keys(plot):
    var = re.search(rf"== {plot}: .*?names='([^']*)'", log).group(1)
    return {k.split()[0]: k.split("(n=")[1].rstrip(")") for k in shlex.split(var)}
ns = {}
for r in csv.DictReader(open(f"{run}/metrics.csv")):
    if r["metric"] == "dirty.pass_time" and r["mode"] == "timed":
        ns.setdefault(r["strategy"], {}).setdefault((r["profile"], r["config"]), 0)
        ns[r["strategy"]][(r["profile"], r["config"])] += 1
for s, k in keys("dirty-pass").items():
    lo, hi = min(ns[s].values()), max(ns[s].values())
    assert k == (f"{lo}" if lo == hi else f"{lo}-{hi}"), (s, k, lo, hi)
coll = {}
for r in csv.DictReader(open(f"{run}/cells.csv")):
    if r["mode"] == "collected" and r["status"] == "0" and r["profile"] == "max" \
       and r["config"] == "s2_dirty -v 2 -b 16M -i 4 -l get":
        coll[r["strategy"]] = coll.get(r["strategy"], 0) + 1
assert keys("fault-latency") == {s: str(n) for s, n in coll.items()}, (keys("fault-latency"), coll)
print(f"ok: dirty-pass keys {keys('dirty-pass')}, fault-latency keys {keys('fault-latency')}")
PY
pass "plots: the keys' n are the data's"

# Runs with no planted difference: base's values drawn again from one
# distribution per (profile, config, metric); then the same with 30 reps
# (reps 11-30 added), where Holm's correction can call something; and that
# run with fastpath's dirty passes 7% shorter, which it must find.
python3 - base null "$DATA/base" <<'PY' || fail "cannot make the null runs"
import csv, json, os, random, shutil, statistics, sys
src, dst = sys.argv[1], sys.argv[2]
def redraw(rows, seed, shift=None):
    rnd, ref = random.Random(seed), {}
    for r in rows:
        ref.setdefault((r["profile"], r["config"], r["metric"]), []).append(float(r["value"]))
    for r in rows:
        if r["unit"] == "ns" and r["mode"] == "timed":
            med = statistics.median(ref[(r["profile"], r["config"], r["metric"])])
            x = med * rnd.lognormvariate(0, 0.03)
            if shift and r["metric"] == "dirty.pass_time" and r["strategy"] == "fastpath":
                x *= shift
            r["value"] = repr(x)
    return rows
def write(run, rows, fields):
    with open(f"{run}/metrics.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        w.writeheader(); w.writerows(rows)
fields = next(csv.reader(open(f"{src}/metrics.csv")))
shutil.copytree(sys.argv[3], dst)
write(dst, redraw(list(csv.DictReader(open(f"{src}/metrics.csv"))), 18), fields)
# 30 reps: copies of every timed cell of reps 1-10 as reps 11-30 (new ids), statuses in cells.csv
for name, shift in (("null30", None), ("planted30", 0.93)):
    shutil.copytree(sys.argv[3], name)
    shutil.rmtree(f"{name}/cells")
    man = json.load(open(f"{name}/manifest.json"))
    cells, rows = man["cells"], list(csv.DictReader(open(f"{src}/metrics.csv")))
    ccsv = list(csv.DictReader(open(f"{src}/cells.csv")))
    status = {c["cell"]: c for c in ccsv}
    extra, extra_rows, extra_csv, nxt = [], [], [], len(cells) + 1
    for k in (1, 2):
        for c in cells:
            if c["mode"] != "timed" or status[c["id"]]["status"] != "0":
                continue
            d = dict(c, id=f"{nxt:04d}", index=nxt, rep=c["rep"] + 10 * k)
            extra.append(d)
            extra_csv.append(dict(status[c["id"]], cell=d["id"], index=str(nxt), rep=str(d["rep"])))
            extra_rows += [dict(r, cell=d["id"], rep=str(d["rep"])) for r in rows if r["cell"] == c["id"]]
            nxt += 1
    man["cells"] += extra
    man["reps"] = 30
    json.dump(man, open(f"{name}/manifest.json", "w"))
    with open(f"{name}/cells.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(ccsv[0]), lineterminator="\n")
        w.writeheader(); w.writerows(ccsv + extra_csv)
    write(name, redraw(rows + extra_rows, 35, shift), fields)
PY
run 1 report-null "$S2B" report -q --no-plots null
run 1 report-null30 "$S2B" report -q --no-plots null30
run 1 report-planted30 "$S2B" report -q --no-plots planted30
python3 - null/report.md null30/report.md planted30/report.md <<'PY' || fail "the corrected headline is wrong on the null or planted runs"
import re, sys
def headline(path):
    md = open(path).read()
    sec = [s for s in md.split("\n## ") if s.startswith("Headline")][0]
    rows = [[c.strip() for c in l.strip("|").split(" | ")] for l in sec.splitlines() if l.startswith("| ")][2:]
    for prev, r in zip(rows, rows[1:]):  # profile, config and metric are said once
        r[:3] = [c or p for c, p in zip(r[:3], prev[:3])]
    return md, [r for r in rows if r[9]]
for path in sys.argv[1:3]:
    md, rows = headline(path)
    raw = sum(float(r[9].replace("<", "")) < 0.05 for r in rows)
    called = [r for r in rows if r[11].startswith(("better", "worse", "differs"))]
    assert not called, f"{path}: a difference called with none planted: {called}"
    assert re.search(r"^- Headline: no significant difference from rwlock after Holm", md, re.M), path
    assert raw >= 1, f"{path}: no raw p below 0.05 here: pick another seed to make the check bite"
    print(f"ok: {path}: {len(rows)} tests, {raw} with p < 0.05 uncorrected, none called after Holm")
md, rows = headline(sys.argv[3])
called = {(r[0], r[1], r[2], r[3]) for r in rows if r[11].startswith("better")}
assert not [r for r in rows if r[11].startswith(("worse", "differs"))], "a false positive"
want = [r for r in rows if r[2] == "dirty.pass_time" and r[3] == "fastpath"]
assert len(called) == len(want) == 4, (called, len(want))
assert re.search(r"^- Headline: 4 significant differences from rwlock after Holm.s correction over its 30 tests:", md, re.M)
assert len(re.findall(r"^- s2_dirty .*dirty.pass_time: fastpath 0\.9[0-9]+x rwlock \(better: .*Holm p=", md, re.M)) == 4
mde = re.search(r"^- Smallest shift the headline could have found: ([0-9.]+)% ", md, re.M)
assert mde and 2 < float(mde.group(1)) < 7, mde
print(f"ok: planted 7%: found in all {len(want)} rows, nothing else; smallest detectable shift {mde.group(1)}%")
PY
pass "no planted difference: nothing called after Holm (n=10 and n=30); a planted 7% shift: found"

### compare #################################################################

run 0 cmp-same "$S2B" compare base base
grep -q ' DIFFERENT$' cmp-same.out && fail "a run differs from itself"
expect_grep '^OK: no gated regression' cmp-same.out
expect_grep ' SAME$' cmp-same.out "rows tell SAME"

run 1 cmp-shift "$S2B" compare base shifted -o cmp-shift.json
golden cmp-shift.out "$DATA/shifted/golden/compare-base.txt"
grep ' DIFFERENT$' cmp-shift.out >cmp-shift.diff || fail "no DIFFERENT row"
grep -v '^dirty.pass_time .* +20.00% ' cmp-shift.diff && fail "a DIFFERENT row is not dirty.pass_time +20%"
pass "$(wc -l <cmp-shift.diff) DIFFERENT rows, all dirty.pass_time +20.00%"
expect_grep '^FAIL: [0-9]+ gated regressions beyond 5%' cmp-shift.out
python3 - cmp-shift.json <<'PY' || fail "compare's JSON is wrong"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "s2perf.compare/1", d["schema"]
rows = d["rows"]
diff = [r for r in rows if r["verdict"] == "DIFFERENT"]
assert diff and all(r["metric"] == "dirty.pass_time" and abs(r["delta"] - 0.2) < 1e-9
                    and r["change"] == "regression" and r["gated_regression"] for r in diff)
assert all(r["verdict"] != "DIFFERENT" for r in rows if r["metric"] != "dirty.pass_time")
assert d["summary"]["gated_regressions"] == len(diff) and d["exit"] == 1
assert all(r["verdict"] == "UNKNOWN" for r in rows if not r["tested"])
tested = [r for r in rows if r["tested"]]
assert all(r["p_holm"] >= r["p"] for r in tested)
# Holm by hand, within each family (gated rows; the others)
for fam in ("gated", "other"):
    f = [r for r in tested if r["family"] == fam]
    assert all((r["family"] == "gated") == r["gated"] for r in f)
    order = sorted(range(len(f)), key=lambda i: f[i]["p"])
    run = 0.0
    for rank, i in enumerate(order):
        run = max(run, min(1.0, (len(f) - rank) * f[i]["p"]))
        assert abs(f[i]["p_holm"] - run) <= 1e-9 * max(1.0, run), (fam, f[i], run)
ng = sum(r["gated"] for r in tested)
assert d["summary"]["tested_gated"] == ng and 0 < ng < len(tested), d["summary"]
print(f"ok: {len(rows)} rows, {len(tested)} tested ({ng} gated), {len(diff)} DIFFERENT; "
      "Holm within each family as computed here")
PY
pass "compare's JSON: only dirty.pass_time differs, by +20%, gated"

run 0 cmp-thr "$S2B" compare --threshold 25 base shifted
expect_grep '^OK: no gated regression beyond 25%' cmp-thr.out "a 20% regression under a 25% threshold"
run 0 cmp-better "$S2B" compare shifted base
expect_grep 'improvement +dirty.pass_time' cmp-better.out "the other way round: improvements"
run 1 cmp-json "$S2B" compare -o - base shifted
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' cmp-json.out || fail "-o - is not JSON"
expect_grep '^FAIL:' cmp-json.err "-o -: the table on stderr"

run 2 cmp-plans "$S2B" compare base modes
one_line cmp-plans "different plans: .*'ci-small'.*'logmodes'"
cp -r shifted broken
sed -i '10s/,[^,]*$/,12x/' broken/metrics.csv
run 2 cmp-broken "$S2B" compare base broken
one_line cmp-broken 'broken/metrics.csv:10'
cp -r shifted nomanifest
rm nomanifest/manifest.json
run 2 cmp-nomanifest "$S2B" compare base nomanifest
one_line cmp-nomanifest 'nomanifest/manifest.json'
cp -r shifted nometrics
rm nometrics/metrics.csv
run 2 cmp-nometrics "$S2B" compare base nometrics
one_line cmp-nometrics 'nometrics/metrics.csv'
cp -r "$DATA/modes" other
sed -i 's/"plan": "logmodes"/"plan": "ci-small"/; s/-b 16M/-b 32M/g' other/manifest.json other/metrics.csv
run 2 cmp-nocommon "$S2B" compare base other
one_line cmp-nocommon 'no common rows'
run 2 cmp-args "$S2B" compare base
one_line cmp-args 'needs two run directories'
run 2 cmp-alpha "$S2B" compare --alpha 2 base shifted
one_line cmp-alpha 'alpha'
run 2 report-missing "$S2B" report nomanifest
one_line report-missing 'manifest.json'
run 2 report-opt "$S2B" report --bogus base
one_line report-opt 'unknown option'

### kcidb ###################################################################

run 0 kcidb "$S2B" kcidb base -o base.kcidb.json
run 0 kcidb-modes "$S2B" kcidb modes
python3 - base.kcidb.json kcidb-modes.out base/metrics.csv <<'PY' || fail "kcidb output is not KCIDB v4.5"
import csv, json, re, statistics, sys
ORIGIN, ID = re.compile(r"^[a-z0-9_]+$"), re.compile(r"^[a-z0-9_]+:.*$")
PATH = re.compile(r"^[.a-zA-Z0-9_-]*$")
STATUS = {"FAIL", "ERROR", "MISS", "PASS", "DONE", "SKIP"}
def check(d):
    assert d["version"] == {"major": 4, "minor": 5}
    assert set(d) <= {"version", "checkouts", "builds", "tests", "issues", "incidents"}
    ck = {c["id"] for c in d["checkouts"]}
    bd = {b["id"] for b in d["builds"]}
    for o in d["checkouts"] + d["builds"] + d["tests"]:
        assert ID.match(o["id"]) and ORIGIN.match(o["origin"]), o["id"]
        assert None not in o.values()
    assert all(b["checkout_id"] in ck for b in d["builds"])
    ids = [t["id"] for t in d["tests"]]
    assert len(ids) == len(set(ids)), "test ids repeat"
    for t in d["tests"]:
        assert t["build_id"] in bd and PATH.match(t["path"]) and t["status"] in STATUS, t
        if t["status"] == "DONE":
            assert isinstance(t["number"]["value"], float) and set(t["number"]) <= {"value", "unit", "prefix"}
    return d
base, modes = check(json.load(open(sys.argv[1]))), check(json.load(open(sys.argv[2])))
v = [float(r["value"]) for r in csv.DictReader(open(sys.argv[3]))
     if (r["metric"], r["config"], r["profile"], r["strategy"], r["mode"]) ==
        ("dirty.pass_time", "s2_dirty -v 2 -b 16M -i 4 -l get", "max", "rwlock", "timed")]
t = [t for t in base["tests"] if t["path"] == "s2perf.max.s2_dirty.v2_b16M_i4_lget.rwlock.dirty.pass_time"]
assert len(t) == 1 and t[0]["number"]["unit"] == "s"
assert abs(t[0]["number"]["value"] - statistics.median(v) / 1e9) < 1e-12, (t, statistics.median(v))
assert sum(t["status"] == "ERROR" for t in base["tests"]) == 2
assert sum(t["status"] == "SKIP" for t in modes["tests"]) == 12
print(f"ok: {len(base['tests'])} + {len(modes['tests'])} tests; rwlock dirty pass {t[0]['number']['value']:.6f} s")
PY
pass "kcidb: valid KCIDB v4.5, number = the median, failed and skipped cells as ERROR and SKIP"

### bench/lava ##############################################################

if python3 -c 'import yaml' 2>/dev/null && command -v envsubst >/dev/null; then
	DEVICE_TYPE=ampere-mtjade KERNEL_URL=https://x/Image MODULES_URL=https://x/m.tar.xz \
	ROOTFS_URL=https://x/r.tar.xz KERNEL_DESCRIBE=v6.12 KERNEL_SERIES=abc \
	S2PERF_GIT_URL=https://x/s2perf.git S2PERF_COMMIT=0123abc ARTIFACT_URL=https://x/a \
	BASELINE_URL=https://x/b.tar.gz envsubst <"$ROOT/bench/lava/s2perf-nightly.yaml" >job.yaml
	python3 - job.yaml "$ROOT/bench/lava/s2perf-test.yaml" <<'PY' || fail "the LAVA job is not valid"
import sys, yaml
job, test = yaml.safe_load(open(sys.argv[1])), yaml.safe_load(open(sys.argv[2]))
assert "${" not in yaml.safe_dump(job), "a ${...} is left"  # comments aside
kinds = [list(a)[0] for a in job["actions"]]
assert kinds == ["deploy", "boot", "test"], kinds
d = job["actions"][2]["test"]["definitions"][0]
assert d["path"] == "bench/lava/s2perf-test.yaml" and d["parameters"]["PLAN"] == "full"
assert test["metadata"]["format"] == "Lava-Test Test Definition 1.0"
assert "run-nightly.sh" in test["run"]["steps"][0]
print("ok: job", job["job_name"])
PY
	pass "bench/lava: the job and the test definition are valid YAML"
else
	echo "note: no python3-yaml or envsubst: the LAVA YAML is not checked"
fi
run 0 lava-help "$ROOT/bench/lava/run-nightly.sh" -h
if [ "$(uname -m)" != aarch64 ]; then
	run 2 lava-x86 "$ROOT/bench/lava/run-nightly.sh" --work "$OUT/lava"
	expect_grep 'not an arm64 host' lava-x86.err
fi
pass "all checks"
