#!/usr/bin/env bash
# The benchmark harness on this machine's /dev/kvm (target host), the part
# of t-plan.sh that needs KVM:
#  - bench/run-plan.sh on this machine (target host): interrupted, then
#    --resume finishes the run without redoing a finished cell; then
#    s2bench table: every median and histogram quantile recomputed here
#    from the documents; a malformed document is one line naming the file
#    and status 2; a failed cell makes the table exit 1 and has no rows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(uname -m)" = x86_64 ] && [ -c /dev/kvm ] || skip "needs an x86_64 host with /dev/kvm (this CPU offers no VMX, or kvm is not loaded)"
build_s2bench
# ---- run-plan.sh on this machine, interrupted and resumed; then the table ----
ensure_tracefs
cat >"$OUT/hostplan" <<'EOF'
target host
strategies rwlock fastpath
reps 2
collect 1
seed 3
timeout 120
workload s2_dirty -v 1 -b 4M -i 3 -l get,ring
workload s2_populate -v 1 -b 4M -i 2
EOF
"$S2B" plan expand "$OUT/hostplan" "$OUT/host" >/dev/null
H=$OUT/host
# This host's kernel has no s2perf patches: with -S every cell would skip.
# Without it the cells run (the manifest keeps its strategies as labels).
sed -i 's/ -S [a-z]*//' "$H/cells.txt"
four_done() { [ "$(find "$H/cells" -name status 2>/dev/null | wc -l)" -ge 4 ]; }
"$ROOT/bench/run-plan.sh" --resume "$H" >"$OUT/host-run1.log" 2>&1 &
interrupt_when $! 600 "$OUT/host-run1.log" four_done
done1=$(find "$H/cells" -name status | wc -l)
[ "$done1" -ge 4 ] && [ "$done1" -lt 18 ] || fail "interrupted after $done1 of 18 cells (expected between)"
grep -q -- "--resume $H" "$OUT/host-run1.log" || fail "the interrupted run does not say how to resume"
before=$(cd "$H/cells" && for s in */status; do stat -c '%n %y' "${s%/status}"/*; done)
pass "run-plan interrupted after $done1 cells (exit 130)"

rc=0
"$ROOT/bench/run-plan.sh" --resume "$H" >"$OUT/host-run2.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 30 "$OUT/host-run2.log"; fail "run-plan --resume exited $rc"; }
[ "$(find "$H/cells" -name status | wc -l)" -eq 18 ] || fail "not every cell has a status after --resume"
after=$(cd "$H/cells" && echo "$before" | while read -r f _; do stat -c '%n %y' "$f"; done)
[ "$before" = "$after" ] || fail "--resume touched a finished cell's files"
grep -Eq "run-cells: 18 cells \(profile host\), $done1 done, $((18 - done1)) to run" "$OUT/host-run2.log" ||
	fail "the resumed runner did not start from $done1 done"
for f in env.json metrics.csv cells.csv unavailable.csv; do [ -s "$H/$f" ] || fail "no $f"; done
python3 - "$H" <<'PY' || fail "env.json lacks what the run depends on"
import json, sys
e = json.load(open(sys.argv[1] + "/env.json"))
assert e["schema"] == "s2perf.env/1" and e["target"] == "host"
for k in ("release", "config_sha256", "series"):
    assert e["kernel"][k], k
assert e["s2perf"]["commit"] and isinstance(e["s2perf"]["dirty"], bool)
assert e["host"]["cpu_model"] and e["date"]
print("ok: env.json", e["kernel"]["release"], e["s2perf"]["commit"][:12])
PY
pass "--resume finished the run: 18 cells, the $done1 finished ones untouched, env.json, tables"

# The table, recomputed from the documents (the oracle: Python's statistics).
python3 - "$H" <<'PY' || fail "metrics.csv disagrees with the documents"
import csv, json, math, statistics, sys
run = sys.argv[1]
m = json.load(open(run + "/manifest.json"))
rows = list(csv.DictReader(open(run + "/metrics.csv")))
una = list(csv.DictReader(open(run + "/unavailable.csv")))
cells = {r["cell"]: r for r in csv.DictReader(open(run + "/cells.csv"))}
got = {(r["cell"], r["metric"]): float(r["value"]) for r in rows}
n = 0
def hist_q(hists, q):
    b = {}
    total = 0
    for h in hists:
        total += h["count"]
        for e in h["buckets"]:
            le = math.inf if e["le"] == "+Inf" else e["le"]
            b[le] = b.get(le, 0) + e["count"]
    if total == 0:
        return None
    rank, cum = math.ceil(q * total), 0
    for le in sorted(b):
        cum += b[le]
        if cum >= rank:
            return le
for c in m["cells"]:
    assert cells[c["id"]]["outcome"] == "ok", c["id"]
    wl = json.load(open("%s/cells/%s/workload.json" % (run, c["id"])))
    if c["workload"] == "s2_dirty":
        want = statistics.median(wl["dirty"]["pass_time"]["values"])
        assert got[(c["id"], "dirty.pass_time")] == want, (c["id"], want)
        if "ring" in c["config"]:
            assert (c["id"], "dirty.get_log_time") not in got
            assert any(u["cell"] == c["id"] and u["metric"] == "dirty.get_log_time" and
                       "ring" in u["reason"] for u in una)
        else:
            assert got[(c["id"], "dirty.get_log_time")] == statistics.median(wl["dirty"]["get_log_time"]["values"])
        assert got[(c["id"], "dirty.pages_missed")] == 0
        n += 1
    else:
        assert got[(c["id"], "populate.time")] == statistics.median(wl["populate"]["time"]["values"])
        assert (c["id"], "dirty.pass_time") not in got
        n += 1
    assert got[(c["id"], "wall_time")] == wl["wall_time"]["value"]
    coll = [k for k in got if k[0] == c["id"] and k[1].startswith("collector.")]
    cun = [u for u in una if u["cell"] == c["id"] and u["metric"].startswith("collector.")]
    if c["mode"] == "timed":
        assert not coll and not cun, c["id"]
        continue
    co = json.load(open("%s/cells/%s/collector.json" % (run, c["id"])))
    assert coll or cun, "collected cell %s has no collector metric at all" % c["id"]
    io = co["dirty"]["ioctls"]
    if "calls" in io.get("get_dirty_log", {}):
        assert got[(c["id"], "collector.dirty.get_dirty_log_calls")] == io["get_dirty_log"]["calls"]["value"]
    lat = co["faults"]["latency"]
    if lat.get("available", True):
        hs = [h for byp in lat.values() for h in byp.values()]
        for q, name in ((0.5, "p50"), (0.99, "p99")):
            want = hist_q(hs, q)
            key = (c["id"], "collector.fault_latency." + name)
            assert (want is None and key not in got) or got[key] == want, (key, want)
    else:
        assert any(u["cell"] == c["id"] and u["metric"] == "collector.fault_latency.p50"
                   and u["reason"] == lat["reason"] for u in una)
    n += 1
print("ok: %d cells' figures recomputed from their documents" % n)
PY
pass "metrics.csv: medians and quantiles match the documents; unavailable figures say why"

# A malformed document: one line naming it, status 2, the tables kept as they were.
B=$OUT/broken
cp -r "$H" "$B"
victim=$(sed -n '2p' "$B/cells.txt" | cut -f1)
head -c 100 "$H/cells/$victim/workload.json" >"$B/cells/$victim/workload.json"
cp "$B/metrics.csv" "$OUT/metrics.before"
rc=0
"$S2B" table "$B" >"$OUT/t.out" 2>"$OUT/t.err" || rc=$?
[ $rc -eq 2 ] || fail "table on a truncated document exited $rc, expected 2"
[ "$(wc -l <"$OUT/t.err")" -eq 1 ] && grep -q "cells/$victim/workload.json" "$OUT/t.err" ||
	{ cat "$OUT/t.err"; fail "the error is not one line naming the document"; }
cmp -s "$B/metrics.csv" "$OUT/metrics.before" || fail "a failed table changed metrics.csv"
pass "truncated document: $(cat "$OUT/t.err")"
# A failed cell: no rows, counted, status 1.
cp "$H/cells/$victim/workload.json" "$B/cells/$victim/workload.json"
echo 1 >"$B/cells/$victim/status"
rc=0
"$S2B" table "$B" >"$OUT/t.out" 2>"$OUT/t.err" || rc=$?
[ $rc -eq 1 ] || fail "table with a failed cell exited $rc, expected 1"
grep -q "^$victim," "$B/metrics.csv" && fail "the failed cell has rows in metrics.csv"
grep -q "^$victim,.*,1,failed," "$B/cells.csv" || fail "cells.csv does not say the cell failed"
pass "failed cell: table exit 1, no rows, cells.csv says failed"
