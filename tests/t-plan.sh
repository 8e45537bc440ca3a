#!/usr/bin/env bash
# The benchmark harness without booting the target:
#  - s2bench plan: each bad plan in tests/data/plans/ is refused with one
#    line PLAN:LINE: what is wrong and status 2 (the line and message it
#    must give are in its first line, "# expect LINE: REGEX"); every shipped
#    plan passes `plan check`;
#  - expansion: the same seed gives the same cells, another seed another
#    order; cells are rep-major (every configuration x strategy once per
#    repetition, collected repetitions after the timed ones); manifest.json
#    and cells.txt agree (Python reads both);
#  - bench/run-cells.sh under dash, bash and busybox sh: a crashed cell
#    (139) and a hung one (137, killed at its 2 s timeout) are recorded and
#    the runner goes on; a cell that was running when the target died is
#    marked died and not run again; a second start runs only what is left
#    and leaves finished cells' files untouched; an interrupted runner
#    removes the cell it was in and kills its process group;
#  (the part that needs this machine's /dev/kvm is t-plan-host.sh)
# tier: offline
set -euo pipefail
. "$(dirname "$0")/lib.sh"

build_s2bench

# ---- bad plans ----
n=0
for f in "$ROOT"/tests/data/plans/*; do
	exp=$(sed -n '1s/^# expect //p' "$f")
	[ -n "$exp" ] || fail "$f has no '# expect LINE: REGEX' first line"
	line=${exp%%:*} re=${exp#*: } rc=0
	"$S2B" plan check "$f" >"$OUT/bad.out" 2>"$OUT/bad.err" || rc=$?
	[ "$rc" -eq 2 ] || fail "$(basename "$f"): plan check exited $rc, expected 2"
	[ "$(wc -l <"$OUT/bad.err")" -eq 1 ] || { cat "$OUT/bad.err"; fail "$(basename "$f"): not one line"; }
	grep -Eq "^$f:$line: .*$re" "$OUT/bad.err" ||
		fail "$(basename "$f"): '$(cat "$OUT/bad.err")' is not '$f:$line: ...$re'"
	[ ! -s "$OUT/bad.out" ] || fail "$(basename "$f"): wrote to stdout"
	n=$((n + 1))
done
pass "$n bad plans refused, each with one line FILE:LINE: and status 2"

for f in "$ROOT"/bench/plans/*; do
	"$S2B" plan check "$f" >"$OUT/check.out" 2>&1 || { cat "$OUT/check.out"; fail "shipped plan $(basename "$f") does not pass"; }
	pass "$(cat "$OUT/check.out")"
done
expect_status 2 "$S2B" plan check "$OUT/no-such-plan"
expect_status 2 "$S2B" plan expand "$ROOT/bench/plans/quick"
expect_status 2 "$S2B" plan expand --target cloud "$ROOT/bench/plans/quick" "$OUT/x"
# A bad --profile after the plan's own list was freed: one line, status 2
# (it once printed its line and then crashed on the freed list, status 139).
rc=0
"$S2B" plan expand --profile 'bad!' "$ROOT/bench/plans/quick" "$OUT/xp" >"$OUT/xp.out" 2>"$OUT/xp.err" || rc=$?
[ "$rc" -eq 2 ] || { cat "$OUT/xp.err"; fail "plan expand --profile 'bad!' exited $rc, expected 2"; }
[ "$(wc -l <"$OUT/xp.err")" -eq 1 ] || { cat "$OUT/xp.err"; fail "plan expand --profile 'bad!': not one line"; }
pass "plan expand --profile 'bad!': $(cat "$OUT/xp.err")"
"$S2B" --help | grep 'table' >/dev/null || fail "s2bench --help does not list table"
"$S2B" plan -h | grep -- '--profile' >/dev/null || fail "s2bench plan -h does not list --profile"

# ---- expansion ----
cat >"$OUT/exp" <<'EOF'
# two workloads, lists in both; 3 timed + 2 collected repetitions, 2 profiles
profile max,neoverse-n1
strategies exclusive rwlock rcu fastpath
reps 3
collect 2
seed 7
workload s2_dirty -v 1,2 -b 8M,16M -l get
workload s2_populate -v 2 -i 2
EOF
sed 's/^seed 7/seed 8/' "$OUT/exp" >"$OUT/exp8"
"$S2B" plan expand "$OUT/exp" "$OUT/e1" >/dev/null
"$S2B" plan expand "$OUT/exp" "$OUT/e2" >/dev/null
"$S2B" plan expand "$OUT/exp8" "$OUT/e3" >/dev/null
cmp -s "$OUT/e1/cells.txt" "$OUT/e2/cells.txt" || fail "the same plan and seed gave different cells"
cmp -s "$OUT/e1/cells.txt" "$OUT/e3/cells.txt" && fail "seeds 7 and 8 gave the same order"
pass "expansion is deterministic for a seed and differs for another"
expect_status 2 "$S2B" plan expand "$OUT/exp" "$OUT/e1"
cmp -s "$OUT/exp" "$OUT/e1/plan" || fail "RUN/plan is not a copy of the plan"
python3 - "$OUT/e1" <<'PY' || fail "the expansion is not what the plan says"
import collections, json, sys
run = sys.argv[1]
m = json.load(open(run + "/manifest.json"))
lines = [l.rstrip("\n").split("\t") for l in open(run + "/cells.txt")]
cells = m["cells"]
assert m["schema"] == "s2perf.manifest/1" and m["plan"] == "exp" and m["seed"] == 7
assert len(cells) == len(lines) == 2 * (4 + 1) * 4 * 5, len(cells)
configs = set(m["configs"])
assert configs == {"s2_dirty -v %s -b %s -l get" % (v, b) for v in "12" for b in ("8M", "16M")} | \
    {"s2_populate -v 2 -i 2"}, configs
order = []
for i, (c, l) in enumerate(zip(cells, lines)):
    assert c["index"] == i + 1 and c["id"] == "%04d" % (i + 1)
    assert l[0] == c["id"] and l[1] == c["profile"] and int(l[2]) == c["rep"] and l[3] == c["mode"]
    assert l[4] == "300" and l[5] == " ".join(c["argv"]), (l, c["argv"])
    assert c["argv"][:3] == [c["workload"], "-S", c["strategy"]]
    assert " ".join([c["workload"]] + c["argv"][3:]) == c["config"]
    assert c["mode"] == ("timed" if c["rep"] <= 3 else "collected")
    if c["workload"] == "s2_dirty":
        assert c["params"] == {"vcpus": c["argv"][4], "bytes_per_vcpu": c["argv"][6], "log": "get"}
    order.append((["max", "neoverse-n1"].index(c["profile"]), c["rep"]))
assert order == sorted(order), "not profile-major then rep-major"
per = collections.Counter((c["profile"], c["rep"], c["config"], c["strategy"]) for c in cells)
assert set(per.values()) == {1} and len(per) == len(cells)
# shuffled within a repetition: not the same order in every rep
seqs = {tuple((c["config"], c["strategy"]) for c in cells if (c["profile"], c["rep"]) == k)
        for k in set((c["profile"], c["rep"]) for c in cells)}
assert len(seqs) > 1
print("ok: %d cells, rep-major, every configuration x strategy once per repetition" % len(cells))
PY
pass "manifest.json and cells.txt agree, rep-major, each pair once per repetition"
expect_grep "^S2B_PROFILES='max neoverse-n1'$" "$OUT/e1/run.env"

# ---- the runner ----
R=$OUT/runner
mkdir -p "$R/bin"
# Tiny commands for the runner's own cases (no fake workload: these only
# exit, crash or hang; a cell's "-o workload.json" lands in their "$@").
cat >"$R/bin/ok.sh" <<'EOF'
echo "$PWD $*" >>"$RUNLOG"
EOF
cat >"$R/bin/crash.sh" <<'EOF'
echo "$PWD" >>"$RUNLOG"
kill -SEGV $$
EOF
cat >"$R/bin/hang.sh" <<'EOF'
echo "$PWD" >>"$RUNLOG"
# a child that outlives its parent, as a workload under a killed collector
sleep 100 &
echo $! >orphan.pid
sleep 100
EOF
cat >"$R/bin/slow.sh" <<'EOF'
echo "$PWD" >>"$RUNLOG"
sleep 30 &
echo $! >child.pid
wait
EOF
mkcells() {
	local d=$1 i=0
	mkdir -p "$d"
	for c in "ok.sh 30" "crash.sh 30" "hang.sh 2" "ok.sh 30" "ok.sh 30" "ok.sh 30"; do
		i=$((i + 1))
		set -- $c
		printf '%04d\thost\t1\ttimed\t%s\tsh %s -S rwlock -v 1\n' "$i" "$2" "$R/bin/$1"
	done >"$d/cells.txt"
}
shells=("dash" "bash")
if command -v qemu-aarch64-static >/dev/null && file -L /usr/bin/busybox 2>/dev/null | grep -q aarch64; then
	shells+=("qemu-aarch64-static /usr/bin/busybox sh")
elif command -v busybox >/dev/null; then
	shells+=("busybox sh")
fi
for sh in "${shells[@]}"; do
	name=${sh##*/}; name=${name// /-}
	d=$R/$name
	mkcells "$d"
	export RUNLOG=$d/ran.log
	rc=0
	$sh "$ROOT/bench/run-cells.sh" "$d" >"$d/out1" 2>&1 || rc=$?
	[ $rc -eq 1 ] || { cat "$d/out1"; fail "$sh: runner exited $rc with a crashed and a hung cell, expected 1"; }
	got=$(for i in 1 2 3 4 5 6; do cat "$d/cells/000$i/status"; done | tr '\n' ' ')
	[ "$got" = "0 139 137 0 0 0 " ] || { cat "$d/out1"; fail "$sh: statuses '$got', expected 0 139 137 0 0 0"; }
	grep -q '^\[3/6\] 0003 sh rwlock rep 1 timed: FAILED (137: hung, killed after 2 s)' "$d/out1" ||
		{ cat "$d/out1"; fail "$sh: no hung line for cell 3"; }
	grep -q '^\[2/6\] 0002 .*FAILED (139)' "$d/out1" || fail "$sh: no failed line for cell 2"
	grep -q '^\[6/6\] 0006 .*: ok ' "$d/out1" || fail "$sh: the runner did not go on to cell 6"
	cmp -s "$d/out1" "$d/runner.log" || fail "$sh: runner.log differs from what was printed"
	grep -q -- '-S rwlock -v 1 -o workload.json$' "$RUNLOG" || fail "$sh: the cell's words were not passed"
	sleep 0.5
	st=$(ps -o stat= -p "$(cat "$d/cells/0003/orphan.pid")" 2>/dev/null || true)
	case $st in '' | Z*) ;; *) fail "$sh: the hung cell's child survived its timeout ($st)" ;; esac
	pass "$sh: crash 139 and hang 137 recorded, the runner went on to the last cell, no leftover process"

	# The target died during cell 5: started, no status. Cell 6 never ran.
	rm -rf "$d/cells/0005" "$d/cells/0006"
	mkdir "$d/cells/0005" && echo 1 >"$d/cells/0005/started"
	before=$(cd "$d/cells" && stat -c '%n %y' 000[1-4]/*)
	$sh "$ROOT/bench/run-cells.sh" "$d" >"$d/out2" 2>&1 || true
	[ "$(cat "$d/cells/0005/status")" = died ] || fail "$sh: cell 5 not marked died"
	[ "$(cat "$d/cells/0006/status")" = 0 ] || fail "$sh: cell 6 did not run on the second start"
	[ "$(grep -c "/cells/0005" "$RUNLOG")" -eq 1 ] || fail "$sh: cell 5 ran again"
	[ "$(grep -c "/cells/0001" "$RUNLOG")" -eq 1 ] || fail "$sh: cell 1 ran again"
	[ "$before" = "$(cd "$d/cells" && stat -c '%n %y' 000[1-4]/*)" ] || fail "$sh: finished cells' files changed"
	grep -q 'cell 0005: died' "$d/out2" || fail "$sh: the died cell was not reported"
	pass "$sh: second start: cell 5 died (not rerun), cell 6 ran, cells 1-4 untouched"
done

# Interrupted in the middle of a cell: the cell is removed (it runs again
# next time) and its process group is gone.
d=$R/interrupt
mkdir -p "$d"
printf '0001\thost\t1\ttimed\t60\tsh %s\n0002\thost\t1\ttimed\t60\tsh %s\n' "$R/bin/ok.sh" "$R/bin/slow.sh" >"$d/cells.txt"
export RUNLOG=$d/ran.log
bash "$ROOT/bench/run-cells.sh" "$d" >"$d/out" 2>&1 &
rpid=$!
for _ in $(seq 50); do [ -f "$d/cells/0002/child.pid" ] && break; sleep 0.1; done
child=$(cat "$d/cells/0002/child.pid")
kill -TERM $rpid
rc=0
wait $rpid || rc=$?
[ $rc -eq 130 ] || fail "interrupted runner exited $rc, expected 130"
[ ! -e "$d/cells/0002" ] || fail "the interrupted cell's directory is still there"
[ "$(cat "$d/cells/0001/status")" = 0 ] || fail "cell 1 lost its status"
sleep 0.5
st=$(ps -o stat= -p "$child" 2>/dev/null || true)
case $st in '' | Z*) ;; *) fail "the interrupted cell's child survived ($st)" ;; esac
pass "interrupted runner: exit 130, cell removed, its processes gone"

# hw_access off on a kernel without kvm.stage2_hw_access (this host, and
# any kernel before patch 0008): no cell runs, each fails with the reason,
# which s2bench table puts in cells.csv; on is every kernel's default.
if [ -e /sys/module/kvm/parameters/stage2_hw_access ]; then
	echo "note: this kernel has kvm.stage2_hw_access: the refusal is not checked here"
else
	for v in off on; do
		d=$R/ha-$v
		printf 'hw_access %s\nreps 1\nstrategies rwlock\nworkload s2_access -v 1 -b 1M\n' $v >"$OUT/ha-$v"
		"$S2B" plan expand "$OUT/ha-$v" "$d" >/dev/null
		expect_grep "^S2B_HW_ACCESS=$v\$" "$d/run.env" "run.env: hw_access $v"
		rc=0
		PATH=$R/nowhere:/usr/bin:/bin dash "$ROOT/bench/run-cells.sh" "$d" >"$d/out" 2>&1 || rc=$?
		[ $rc -eq 1 ] || { cat "$d/out"; fail "hw_access $v: the runner exited $rc, expected 1"; }
		[ "$(cat "$d/cells/0001/status")" != 0 ] || fail "hw_access $v: the cell passed"
	done
	expect_grep '^\[1/1\] 0001 s2_access rwlock rep 1 timed: FAILED \(hw_access off: this kernel has no kvm.stage2_hw_access' \
		"$R/ha-off/out" "hw_access off: the cell's line says why"
	[ ! -e "$R/ha-off/cells/0001/output.log" ] || ! grep -q 's2_access: ' "$R/ha-off/cells/0001/output.log" ||
		fail "hw_access off: the workload ran"
	grep -q 'hw_access off' "$R/ha-on/out" && fail "hw_access on: refused"
	"$S2B" table "$R/ha-off" >/dev/null 2>&1 || true
	expect_grep '^0001,.*,failed,[0-9.]*,"?hw_access off: this kernel has no kvm.stage2_hw_access \(patch 0008\)' \
		"$R/ha-off/cells.csv" "hw_access off: the reason in cells.csv"
	pass "hw_access off without the kernel's parameter: the cell fails with the reason; on runs"
fi

# ---- the table's reductions on documents made here ----
# Known series and log2 histograms (the collector's layout), so that every
# reduction has an answer worked out by hand.
S=$OUT/synthetic
printf 'reps 1\ncollect 1\nstrategies rwlock\nworkload s2_populate -v 2\n' >"$OUT/syn"
"$S2B" plan expand "$OUT/syn" "$S" >/dev/null
python3 - "$S" <<'PY'
import json, os, sys
run = sys.argv[1]
def h(buckets):
    return {"unit": "ns", "count": sum(c for _, c in buckets), "sum": 12345,
            "buckets": [{"le": le, "count": c} for le, c in buckets]}
empty = h([])
wl = {"schema": "s2perf.workload/1", "workload": "populate", "status": "ok", "reason": None,
      "populate": {"time": {"unit": "ns", "n": 4, "values": [40, 10, 30, 20]},
                   "rate": {"unit": "pages/s", "n": 3, "values": [5, 1, 3]}},
      "exits": {"kvm_run_returns": {"value": 77, "unit": "exits"}},
      "wall_time": {"value": 123456789012, "unit": "ns"}}
co = {"schema": "s2perf.collector/1",
      "faults": {"latency": {"translation": {"slow": h([(1023, 10), (2047, 80), (4095, 9), (8191, 1)]),
                                             "fast": empty, "retry": empty},
                             "permission": {"slow": empty, "fast": h([(511, 100)]), "retry": empty},
                             "access": {"slow": empty, "fast": empty, "retry": empty},
                             "mmio": {"slow": empty, "fast": empty, "retry": empty}},
                 "count": {"translation": {"value": 100, "unit": "faults"},
                           "permission": {"value": 100, "unit": "faults"},
                           "access": {"value": 0, "unit": "faults"},
                           "mmio": {"value": 0, "unit": "faults"}}},
      "mmu_lock": {"read_wait": h([(0, 3)]), "write_wait": h([(255, 1), ("+Inf", 1)])},
      "tlbi": {"vmid": {"count": {"value": 5, "unit": "tlbi"}},
               "ipa": {"count": {"value": 7, "unit": "tlbi"}},
               "time": {"available": False, "reason": "no time"}},
      "cmo": {"available": False, "reason": "no tracepoint kvm_s2:kvm_s2_cmo on this kernel"},
      "dirty": {"wp_faults": {"value": 100, "unit": "faults"}}}
for cell in ("0001", "0002"):
    os.makedirs("%s/cells/%s" % (run, cell))
    open("%s/cells/%s/status" % (run, cell), "w").write("0\n")
    json.dump(wl, open("%s/cells/%s/workload.json" % (run, cell), "w"))
json.dump(co, open(run + "/cells/0002/collector.json", "w"))
PY
"$S2B" table "$S" >"$OUT/syn.out" 2>&1 || { cat "$OUT/syn.out"; fail "table on the synthetic run failed"; }
python3 - "$S" <<'PY' || fail "the table's reductions are wrong"
import csv, sys
run = sys.argv[1]
rows = {(r["cell"], r["metric"]): r for r in csv.DictReader(open(run + "/metrics.csv"))}
una = {(u["cell"], u["metric"]): u["reason"] for u in csv.DictReader(open(run + "/unavailable.csv"))}
c = "0002" if rows[("0001", "populate.time")]["mode"] == "timed" else "0001"
def val(cell, k):
    r = rows[(cell, k)]
    return float(r["value"]), r["unit"]
want = {"populate.time": (25, "ns"), "populate.rate": (3, "pages/s"),
        "exits.kvm_run_returns": (77, "exits"), "wall_time": (123456789012, "ns")}
for k, w in want.items():
    assert val("0001", k) == w and val("0002", k) == w, (k, val("0001", k), w)
assert rows[("0001", "wall_time")]["value"] == "123456789012"   # no exponent, no rounding
cw = {"collector.fault_latency.p50": 511, "collector.fault_latency.p99": 4095,
      "collector.fault_latency.translation.p50": 2047, "collector.fault_latency.translation.p99": 4095,
      "collector.fault_latency.permission.p99": 511, "collector.tlbi.all": 12,
      "collector.tlbi.vmid": 5, "collector.faults.translation": 100, "collector.wp_faults": 100,
      "collector.mmu_lock.read_waits": 3, "collector.mmu_lock.write_waits": 2,
      "collector.mmu_lock.write_wait_time": 12345}
for k, w in cw.items():
    assert val(c, k)[0] == w, (k, val(c, k), w)
assert "no events" in una[(c, "collector.fault_latency.access.p50")]
assert "open last bucket" in una[(c, "collector.mmu_lock.write_wait.p99")]
assert una[(c, "collector.cmo.dcache_bytes")] == "no tracepoint kvm_s2:kvm_s2_cmo on this kernel"
other = "0001" if c == "0002" else "0002"
assert not [k for k in rows if k[0] == other and k[1].startswith("collector.")]
assert not [k for k in una if k[0] == other]
assert ("0001", "dirty.pass_time") not in rows and ("0001", "dirty.pass_time") not in una
print("ok: medians, sums, merged log2 quantiles (bucket upper bounds), unavailable reasons")
PY
pass "table reductions on hand-made documents: medians, merged log2 quantiles, sums, reasons"
# A figure in the wrong unit is a malformed document.
sed -i 's/"pages\/s"/"pages\/min"/' "$S/cells/0001/workload.json"
rc=0
"$S2B" table "$S" >/dev/null 2>"$OUT/syn.err" || rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$OUT/syn.err")" -eq 1 ] && grep -q 'cells/0001/workload.json: populate.rate' "$OUT/syn.err" ||
	{ cat "$OUT/syn.err"; fail "a figure in the wrong unit did not fail the table (exit $rc)"; }
pass "wrong unit: $(cat "$OUT/syn.err")"

# ---- several instruments in one plan: the rounds, and what each costs ----
# Every round holds one bare rep and one rep under each tier of every
# (configuration, strategy), shuffled; reps are numbered tier after tier.
I=$OUT/instr
cat >"$OUT/instr.plan" <<'EOF'
reps 8
collect 8
collector default detail bpftrace
order interleaved
seed 5
strategies rwlock fastpath
workload s2_dirty -v 1 -i 3
EOF
"$S2B" plan expand "$OUT/instr.plan" "$I" >"$OUT/instr.out" || fail "the instruments plan does not expand"
"$S2B" plan expand "$OUT/instr.plan" "$OUT/instr2" >/dev/null
cmp -s "$I/cells.txt" "$OUT/instr2/cells.txt" || fail "the same plan and seed expanded to other cells"
grep -q '^S2B_ROOTFS=1$' "$I/run.env" || fail "a plan with bpftrace does not ask for the root file system"
printf 'reps 2\ncollect 2\ncollector detail\nworkload s2_dirty -v 1\n' >"$OUT/one.plan"
"$S2B" plan expand "$OUT/one.plan" "$OUT/one" >/dev/null
[ "$(cut -f4 "$OUT/one/cells.txt" | sort -u | tr '\n' ' ')" = "collected timed " ] ||
	fail "a plan of one s2collect tier has modes other than timed and collected"
grep -q S2B_ROOTFS "$OUT/one/run.env" && fail "a plan without bpftrace asks for the root file system"
python3 - "$I" <<'PY' || fail "the instruments plan's cells are wrong"
import collections, sys
cells = [l.rstrip("\n").split("\t") for l in open(sys.argv[1] + "/cells.txt")]
assert len(cells) == 64, len(cells)
first = {"timed": 1, "collected-default": 9, "collected-detail": 17, "bpftrace": 25}
for r in range(8):
    block = cells[r * 8:(r + 1) * 8]
    keys = collections.Counter((c[3], c[5].split()[2]) for c in block)
    assert len(keys) == 8 and set(k[0] for k in keys) == set(first), (r, keys)
    for c in block:
        assert int(c[2]) == first[c[3]] + r, (r, c)
orders = set(tuple(c[3] for c in cells[r * 8:(r + 1) * 8]) for r in range(8))
assert len(orders) > 1, "every round in the same order: not shuffled"
print("ok: 8 rounds of 8 cells, one of each (mode, strategy) a round, reps numbered tier by tier")
PY
pass "several instruments: rounds hold one rep of each, shuffled, reproducible"

# Documents with known costs: under s2collect 1.02x the bare rep of its
# round, under --faults 1.10x, under bpftrace 1.30x, over a drift that
# the pairing must take out.
python3 - "$I" <<'PY'
import json, os, sys
run = sys.argv[1]
cost = {"timed": 1.0, "collected-default": 1.02, "collected-detail": 1.10, "bpftrace": 1.30}
first = {"timed": 1, "collected-default": 9, "collected-detail": 17, "bpftrace": 25}
for l in open(run + "/cells.txt"):
    cid, _, rep, mode, _, argv = l.rstrip("\n").split("\t")
    rnd = int(rep) - first[mode] + 1
    base = 100e6 * (1 + 0.3 * rnd) * (1.5 if "fastpath" in argv else 1)
    v = base * cost[mode]
    wl = {"schema": "s2perf.workload/1", "workload": "dirty", "status": "ok", "reason": None,
          "dirty": {"pass_time": {"unit": "ns", "n": 3, "values": [v, v, v]}}}
    d = "%s/cells/%s" % (run, cid)
    os.makedirs(d)
    open(d + "/status", "w").write("0\n")
    json.dump(wl, open(d + "/workload.json", "w"))
    if mode.startswith("collected"):
        share = {"collected-default": (0.0012, 0.0005), "collected-detail": (0.15, 0.002)}[mode]
        json.dump({"schema": "s2perf.collector/1",
                   "overhead": {"cpu_share": {"value": share[0], "unit": "cpus"},
                                "own_cpu_share": {"value": share[1], "unit": "cpus"}}},
                  open(d + "/collector.json", "w"))
PY
"$S2B" table "$I" >"$OUT/instr-table.out" 2>&1 && "$S2B" report -q --no-plots "$I" >"$OUT/instr-report.out" 2>&1 || { cat "$OUT/instr-report.out"; fail "report on the instruments run failed"; }
python3 - "$I/report.txt" <<'PY' || { sed -n '/What the instruments cost/,/^$/p' "$I/report.txt" | head -40; fail "the instruments' cost is wrong"; }
import re, sys
text = open(sys.argv[1]).read()
sec = text[text.index("What the instruments cost"):]
want = {"s2collect": "1.020x", "s2collect --faults": "1.100x", "bpftrace s2faults.bt": "1.300x"}
cpu = {"s2collect": "0.12% + 0.05%", "s2collect --faults": "15.00% + 0.20%",
       "bpftrace s2faults.bt": "not measured"}
for strat in ("rwlock", "fastpath"):
    for under, ratio in want.items():
        row = [l for l in sec.splitlines() if " dirty.pass_time " in l and " %s " % strat in l
               and re.search(r"\s%s\s{2,}\d" % re.escape(under), l)]
        assert len(row) == 1, (strat, under, row)
        assert ratio in row[0] and " 8 " in row[0], row[0]
        assert "slower by %.1f%%" % ((float(ratio[:-1]) - 1) * 100) in row[0], row[0]
        tok = row[0].split()
        p = float(tok[tok.index(ratio) + 2])
        assert p < 0.01, row[0]
        assert row[0].rstrip().endswith(cpu[under]), (row[0], cpu[under])
    line = [l for l in sec.split("  - ") if l.startswith("dirty.pass_time") and strat in l.split(":")[0]]
    assert line and "0.846x" in line[0] and "the detail tier's slowdown is 0.33x bpftrace's" in line[0], line
print("ok: paired ratios 1.020x, 1.100x, 1.300x per strategy (8 pairs, p < 0.01), the collector's own CPU; detail 0.33 of bpftrace")
PY
pass "what the instruments cost: the paired ratios of the documents, the drift taken out"

# Plans made from another keep its workloads: default-kernels is the
# default plan on two kernels, kernels-6.1-rt is kernels-6.1 in real time.
for pair in default:default-kernels kernels-6.1:kernels-6.1-rt; do
	a=${pair%%:*} b=${pair#*:}
	diff <(grep '^workload' "$ROOT/bench/plans/$a") <(grep '^workload' "$ROOT/bench/plans/$b") \
		>"$OUT/plan-$b.diff" || fail "bench/plans/$b's workloads differ from $a's: $(cat "$OUT/plan-$b.diff")"
	pass "bench/plans/$b: the workloads of $a ($(grep -c '^workload' "$ROOT/bench/plans/$b"))"
done
