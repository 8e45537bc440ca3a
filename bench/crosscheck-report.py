#!/usr/bin/env python3
"""Compare the s2_dirty workload with the upstream dirty_log_perf_test run
with the same parameters on the same kernel (bench/crosscheck.sh output).

usage: bench/crosscheck-report.py RUN_DIR [LABEL] [--factor F]

For each strategy: both tools' per-pass dirty time (mean, min-max, number
of passes) and get-dirty-log time, and the ratio of the means. Exits 1 when
a ratio is outside [1/F, F] (default F = 2: the two guests differ in code
and page order, not in what they make KVM do), or when a run is missing or
failed; 0 otherwise.
"""
import glob
import json
import os
import re
import statistics
import sys

from s2report import args, fmt


def upstream(path):
    text = open(path).read()
    dirty = [float(s) * 1e9 for s in
             re.findall(r"Iteration \d+ dirty memory time: ([0-9.]+)s", text)]
    get = [float(s) * 1e9 for s in
           re.findall(r"Iteration \d+ get dirty log time: ([0-9.]+)s", text)]
    mode = re.search(r"guest mode: (.*)", text)
    return dirty, get, mode.group(1).strip() if mode else "?"


def main():
    run, label, flags = args(__doc__, ("--factor",))
    factor = float(flags["--factor"]) if flags["--factor"] else 2.0
    print(f"{label}: s2_dirty against dirty_log_perf_test, same parameters, same kernel")
    docs = sorted(glob.glob(os.path.join(run, "s2_dirty-*-*.json")))
    if not docs:
        print(f"crosscheck: no s2_dirty-*.json in {run}")
        return 1
    bad = 0
    strategies = sorted({os.path.basename(d)[len("s2_dirty-"):].rsplit("-", 1)[0] for d in docs})
    print(f"{'strategy':<10} {'tool':<22} {'dirty pass':>42} {'get dirty log':>40}")
    for strat in strategies:
        ours, ours_get, up, up_get, mode = [], [], [], [], "?"
        for path in sorted(glob.glob(os.path.join(run, f"s2_dirty-{strat}-*.json"))):
            doc = json.load(open(path))
            if doc.get("status") != "ok":
                print(f"{strat:<10} s2_dirty failed: {doc.get('reason')}")
                bad += 1
                continue
            ours += doc["dirty"]["pass_time"]["values"]
            ours_get += doc["dirty"]["get_log_time"]["values"]
            up_log = path.replace("s2_dirty-", "upstream-").replace(".json", ".log")
            if not os.path.exists(up_log):
                print(f"{strat:<10} no {up_log}")
                bad += 1
                continue
            u, ug, mode = upstream(up_log)
            if len(u) != len(doc["dirty"]["pass_time"]["values"]):
                print(f"{strat:<10} upstream reported {len(u)} passes, s2_dirty "
                      f"{len(doc['dirty']['pass_time']['values'])} ({up_log})")
                bad += 1
                continue
            up += u
            up_get += ug
        if not ours or not up:
            bad += 1
            continue
        print(f"{strat:<10} {'s2_dirty':<22} {fmt(ours, 1e6, 'ms'):>42} {fmt(ours_get, 1e3, 'us'):>40}")
        print(f"{'':<10} {'dirty_log_perf_test':<22} {fmt(up, 1e6, 'ms'):>42} {fmt(up_get, 1e3, 'us'):>40}")
        ratio = statistics.mean(ours) / statistics.mean(up)
        ours_mode = " ".join(doc["params"]["guest_mode"].split())
        same_mode = ours_mode == " ".join(mode.split())
        ok = 1 / factor <= ratio <= factor and same_mode
        bad += not ok
        print(f"{'':<10} ratio of mean pass times s2_dirty/upstream = {ratio:.2f} "
              f"({'within' if 1 / factor <= ratio <= factor else 'OUTSIDE'} the stated factor {factor:g}); "
              f"guest modes: {ours_mode} / {mode}{'' if same_mode else ' DIFFER'}")
    p = json.load(open(docs[0]))["params"]
    print(f"parameters: {p['vcpus']} vCPUs x {p['bytes_per_vcpu']['value'] >> 20} MiB, "
          f"{p['iterations']} passes per run, two runs of each tool alternating, "
          f"KVM_GET_DIRTY_LOG (-l get / -g), 100% writes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
