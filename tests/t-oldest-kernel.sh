#!/usr/bin/env bash
# The oldest kernel the suite is tested on: Debian's linux-source-6.1
# (kernel spec debian:6.1, default flavour), one run of
# tests/data/kernel-oldest/plan. The workloads link the 6.12 selftests
# framework, which needs KVM_SET_USER_MEMORY_REGION2 (v6.8): on 6.1 they
# and upstream's dirty_log_perf_test run through guests/s2compat.c, and
# every document says so. arm64's dirty ring came with v6.2: the ring
# cells skip with the reason. The kernel has no series: "upstream" cells run
# with its own locking, rwlock's are skipped with the reason, the
# series' stats are unavailable with a reason (never 0), and env.json
# names the kernel and the fragment options the tree lacks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rc=0
"$ROOT/bench/run-plan.sh" --plan "$ROOT/tests/data/kernel-oldest/plan" --kernel debian:6.1 \
	--flavour default --out "$OUT" >"$OUT/run.out" 2>"$OUT/run.err" || rc=$?
tail -n 20 "$OUT/run.err"
[ $rc -eq 0 ] || fail "run-plan on debian:6.1 exited $rc"
run=$(ls -d "$OUT"/plan-*)
pass "ran on debian:6.1: $run"

python3 - "$run" <<'PY'
import csv, glob, json, os, sys
run = sys.argv[1]
env = json.load(open(os.path.join(run, "env.json")))
k = env["kernel"]
assert k["spec"] == "debian:6.1" and k["release"].startswith("6.1."), k
assert k["source"].startswith("linux-source-6.1 "), k["source"]
assert "CONFIG_ARM_PMUV3" in k["config_missing"], k["config_missing"]
print("ok: env.json: kernel %s from %s; options the tree lacks: %s"
      % (k["release"], k["source"], k["config_missing"]))

cells = list(csv.DictReader(open(os.path.join(run, "cells.csv"))))
ring = [c for c in cells if "-l ring" in c["config"]]
up = [c for c in cells if c["strategy"] == "upstream" and c not in ring]
rw = [c for c in cells if c["strategy"] == "rwlock" and c not in ring]
assert up and all(c["outcome"] == "ok" for c in up), [(c["cell"], c["outcome"], c["reason"]) for c in up]
# arm64's dirty ring came with v6.2: on 6.1 the ring cells skip, saying so.
assert ring and all(c["outcome"] == "skipped" and "no dirty ring" in c["reason"] for c in ring), \
    [(c["cell"], c["outcome"], c["reason"]) for c in ring]
print("ok: %d ring cells skipped: %s" % (len(ring), ring[0]["reason"]))
assert rw and all(c["outcome"] == "skipped" and "strategy" in c["reason"] for c in rw), \
    [(c["cell"], c["outcome"], c["reason"]) for c in rw]
print("ok: %d upstream cells ok, %d rwlock cells skipped: %s" % (len(up), len(rw), rw[0]["reason"]))

docs = [json.load(open(f)) for f in glob.glob(os.path.join(run, "cells", "*", "workload.json"))]
ok = [d for d in docs if d["status"] == "ok"]
assert len(ok) == len(up), (len(ok), len(up))
for d in ok:
    why = d.get("system", {}).get("kvm_compat", "")
    assert "KVM_SET_USER_MEMORY_REGION" in why, (d["workload"], d.get("system"))
print("ok: every document says its memslots went through s2compat:", ok[0]["system"]["kvm_compat"])
dl = [d for d in ok if d["workload"] == "upstream"]
assert dl and all(d["upstream"]["figures"].get("dirty_memory_time") for d in dl), dl
print("ok: dirty_log_perf_test printed its figures on 6.1 (%d series)" % len(dl[0]["upstream"]["figures"]))

un = list(csv.DictReader(open(os.path.join(run, "unavailable.csv"))))
ks = [u for u in un if u["metric"].startswith("kstat.")]
assert ks and all(u["reason"] for u in ks), ks[:3]
rows = list(csv.DictReader(open(os.path.join(run, "metrics.csv"))))
assert not any(r["metric"].startswith("kstat.") for r in rows), "series stats read as numbers on 6.1"
print("ok: %d series stats unavailable with a reason (e.g. %s: %s), none read as a number"
      % (len(ks), ks[0]["metric"], ks[0]["reason"]))
PY
