#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Synthetic kernel sets for tests/t-kernels-blocks.sh, and an independent
check of s2bench kernels' block pairing (numpy/scipy).

usage: kernels-blocks.py run DIR PLAN SPEC BLOCK REPS   one run of SPEC in BLOCK
       kernels-blocks.py set SET PLAN REPS              a whole set, as run-kernels.sh
                                                        --blocks writes it
       kernels-blocks.py pooled DIR PLAN SPEC REPS      every block's values of SPEC
                                                        as one run (the unpaired view)
       kernels-blocks.py check SET KERNELS.JSON         s2bench kernels' figures against
                                                        scipy's

The data: three kernels, six blocks. Every block has a level of its own
(BLOCK_LEVEL: 0.80 to 1.20, a boot's real time), shared by every kernel of
the block, and each value a +-1% rep-to-rep noise. dirty.pass_time of
series:6 and series is 1.10 times upstream's (the planted change);
populate.time and dirty.enable_logging_time do not move; dirty.get_log_time
has a +-15% noise of its own per run (nothing planted, a noisy row);
dirty.pages_missed is 0 everywhere.
"""
import json
import math
import os
import random
import sys

KERNELS = ["upstream", "series:6", "series"]
BLOCK_LEVEL = [0.80, 1.20, 0.84, 1.16, 0.92, 1.08]
PLANTED = {"upstream": 1.0, "series:6": 1.10, "series": 1.10}
STRATEGIES = ["upstream", "rwlock"]
CONFIGS = [
    ("s2_dirty", "s2_dirty -v 2 -b 4M -i 3 -l get",
     {"vcpus": "2", "bytes_per_vcpu": "4M", "iterations": "3", "log": "get"}),
    ("s2_populate", "s2_populate -v 2 -b 8M -i 2",
     {"vcpus": "2", "bytes_per_vcpu": "8M", "iterations": "2"}),
]
METRICS = {  # workload -> (metric, unit, base value)
    "s2_dirty": [("dirty.pass_time", "ns", 8.0e6), ("dirty.get_log_time", "ns", 2.0e5),
                 ("dirty.enable_logging_time", "ns", 1.0e6), ("dirty.pages_missed", "pages", 0)],
    "s2_populate": [("populate.time", "ns", 3.0e7)],
}
# run-kernels.sh's order for the set made here: block 1 as listed, then shuffled
ORDER = [[0, 1, 2], [2, 0, 1], [1, 2, 0], [0, 2, 1], [2, 1, 0], [1, 0, 2]]


def value(spec, block, rep, config, strategy, metric, base):
    if base == 0:
        return 0
    r = random.Random("%s/%d/%d/%s/%s/%s" % (spec, block, rep, config, strategy, metric))
    v = base * BLOCK_LEVEL[block - 1] * (1 + r.uniform(-0.01, 0.01))
    if metric == "dirty.pass_time":
        v *= PLANTED[spec]
    if metric == "dirty.get_log_time":
        # noise of the run's own, not shared by the block
        v *= 1 + random.Random("%s/%d/%s" % (spec, block, strategy)).uniform(-0.15, 0.15)
    return v


def write_run(d, plan, spec, reps_values):
    """reps_values: a list of (rep, block, rep in block) to draw."""
    os.makedirs(os.path.join(d, "cells"))
    cells, lines = [], []
    for rep, block, brep in reps_values:
        for wl, cfg, params in CONFIGS:
            for st in STRATEGIES:
                i = len(cells) + 1
                cid = "%04d" % i
                cells.append({"id": cid, "index": i, "profile": "max", "rep": rep,
                              "mode": "timed", "strategy": st, "workload": wl,
                              "config": cfg, "params": params,
                              "argv": [wl, "-S", st] + cfg.split()[1:]})
                os.makedirs(os.path.join(d, "cells", cid))
                with open(os.path.join(d, "cells", cid, "status"), "w") as f:
                    f.write("0\n")
                for m, unit, base in METRICS[wl]:
                    v = value(spec, block, brep, cfg, st, m, base)
                    lines.append("%s,max,%d,timed,%s,%s,%s,%s,%s,%r,realtime" %
                                 (cid, rep, st, wl, cfg, m, unit, v))
    manifest = {"schema": "s2perf.manifest/1", "plan": plan, "seed": 1, "target": "qemu",
                "flavour": "default", "kvm": "vhe", "profiles": ["max"],
                "strategies": STRATEGIES, "cpus": 2, "memory": "2G",
                "reps": len(reps_values), "collect": 0, "timeout": 300, "clock": "realtime",
                "kernels": [spec], "configs": [c[1] for c in CONFIGS], "cells": cells}
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    env = {"schema": "s2perf.env/1", "plan": plan, "target": "qemu", "clock": "realtime",
           "kernel": {"spec": spec, "release": "6.12.0-" + spec.replace(":", "-")}}
    with open(os.path.join(d, "env.json"), "w") as f:
        json.dump(env, f, indent=1)
    with open(os.path.join(d, "metrics.csv"), "w") as f:
        f.write("cell,profile,rep,mode,strategy,workload,config,metric,unit,value,clock\n")
        f.write("".join(l + "\n" for l in lines))


def make_set(s, plan, reps):
    with open(os.path.join(s, "kernels.tsv"), "w") as f:
        for i, k in enumerate(KERNELS):
            f.write("%d\t%s\tblocks.tsv\t%s\n" % (i, k, k))
    with open(os.path.join(s, "blocks.tsv"), "w") as f:
        f.write("# block\tposition\tkernel\tspec\trun\tstart\tend\n")
        for b, order in enumerate(ORDER, 1):
            for pos, k in enumerate(order, 1):
                run = "runs/b%d-k%d/%s-2026" % (b, k, plan)
                write_run(os.path.join(s, run), plan, KERNELS[k],
                          [(r, b, r) for r in range(1, reps + 1)])
                f.write("%d\t%d\t%d\t%s\t%s\t2026-12-07T00:%02d:00Z\t2026-12-07T00:%02d:20Z\n" %
                        (b, pos, k, KERNELS[k], run, b * 3 + pos, b * 3 + pos))


def read_runs(s):
    """(block, kernel) -> {(profile, config, strategy, mode, metric): [values]}"""
    runs = {}
    for line in open(os.path.join(s, "blocks.tsv")):
        if line.startswith("#"):
            continue
        b, _, k, _, run, _, _ = line.rstrip("\n").split("\t")
        rows = {}
        with open(os.path.join(s, run, "metrics.csv")) as f:
            next(f)
            for l in f:
                c = l.rstrip("\n").split(",")
                rows.setdefault((c[1], c[6], c[4], c[3], c[7]), []).append(float(c[9]))
        runs[(int(b), int(k))] = rows
    return runs


def holm(ps):
    import numpy as np
    order = np.argsort(ps, kind="stable")
    adj, running = [0.0] * len(ps), 0.0
    for i, j in enumerate(order):
        running = max(running, min(1.0, (len(ps) - i) * ps[j]))
        adj[j] = running
    return adj


def check(s, kj):
    import numpy as np
    from scipy import stats
    runs = read_runs(s)
    doc = json.load(open(kj))
    nb = doc["blocks"]
    checked = 0
    for kn, k in enumerate(doc["kernels"]):
        for what, kb in (("step", kn - 1), ("total", 0)):
            if what not in k:
                continue
            pair = k[what]
            assert pair["against"] == kb, (what, pair["against"], kb)
            fam = {"gated": [], "other": []}
            for r in pair["rows"]:
                key = (r["profile"], r["config"], r["strategy"], r["mode"], r["metric"])
                lr = []
                for b in range(1, nb + 1):
                    mb = float(np.median(runs[(b, kb)][key]))
                    mn = float(np.median(runs[(b, kn)][key]))
                    jb = r["blocks"][b - 1]
                    assert math.isclose(jb["base_median"], mb, rel_tol=1e-12) and \
                        math.isclose(jb["new_median"], mn, rel_tol=1e-12), (key, b, jb, mb, mn)
                    lr.append(0.0 if mb == 0 and mn == 0 else math.log(mn / mb))
                lr = np.array(lr)
                assert r["tested"] and r["n_blocks"] == nb, r
                ratio = math.exp(lr.mean())
                if lr.std() == 0:
                    lo = hi = ratio
                    p = 1.0 if lr.mean() == 0 else 0.0
                else:
                    se = lr.std(ddof=1) / math.sqrt(nb)
                    q = stats.t.ppf(0.975, nb - 1)
                    lo, hi = math.exp(lr.mean() - q * se), math.exp(lr.mean() + q * se)
                    p = float(stats.ttest_1samp(lr, 0.0).pvalue)
                for name, want, got in (("ratio", ratio, r["ratio"]), ("ci lo", lo, r["ci95"][0]),
                                        ("ci hi", hi, r["ci95"][1]), ("p", p, r["p"])):
                    assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-12), \
                        (what, kn, key, name, got, want)
                assert r["blocks_up"] == int((lr > 0).sum()) and \
                    r["blocks_down"] == int((lr < 0).sum()), r
                fam[r["family"]].append((r, p))
                checked += 1
            for rows in fam.values():
                for (r, _), a in zip(rows, holm([p for _, p in rows])):
                    assert math.isclose(r["p_holm"], a, rel_tol=1e-6, abs_tol=1e-12), \
                        (r["metric"], r["p_holm"], a)
    print("ok: %d rows of %d pairs: block medians, geometric-mean ratio, t CI, t p and Holm "
          "as scipy computes them" % (checked, sum(("step" in k) + ("total" in k)
                                                   for k in doc["kernels"])))


def main():
    cmd = sys.argv[1]
    if cmd == "run":
        d, plan, spec, block, reps = sys.argv[2:7]
        write_run(d, plan, spec, [(r, int(block), r) for r in range(1, int(reps) + 1)])
    elif cmd == "set":
        make_set(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif cmd == "pooled":
        d, plan, spec, reps = sys.argv[2:6]
        reps = int(reps)
        write_run(d, plan, spec, [((b - 1) * reps + r, b, r)
                                  for b in range(1, len(BLOCK_LEVEL) + 1)
                                  for r in range(1, reps + 1)])
    elif cmd == "check":
        check(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
