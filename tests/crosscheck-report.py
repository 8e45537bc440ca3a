#!/usr/bin/env python3
"""Compare the s2_dirty workload with the upstream dirty_log_perf_test run
with the same parameters on the same kernel (tests/crosscheck.sh output).

usage: tests/crosscheck-report.py RUN_DIR [LABEL] [--factor F]

For each strategy: both tools' per-pass dirty time (mean, sd, min-max,
number of passes) and get-dirty-log time, and the ratio of the medians
(and of the means); and, when tests/crosscheck.sh ran each once more under
s2collect, what the two made KVM do (faults by kind, write-protection faults, fast-path hits, TLBIs by
kind, GET_DIRTY_LOG calls, userspace exits). Exits 1 when a ratio is
outside [1/F, F] (default F = 2: the two guests differ in code and page
order, not in what they make KVM do), when those counts differ, or when a
run is missing or failed; 0 otherwise.
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


def figures(doc):
    """What a collector document counted that both tools must make KVM do
    alike: {name: count}, or {name: None} where it is unavailable."""
    out = {}
    count = doc["faults"]["count"]
    if count.get("available") is False:
        out["faults"] = None
    else:
        for kind, v in count.items():
            out[f"{kind} faults"] = v.get("value") if isinstance(v, dict) else None
    for key in ("wp_faults", "fast_path_hits"):
        out[key.replace("_", " ")] = doc["dirty"][key].get("value")
    if doc["tlbi"].get("available") is False:
        out["TLBIs"] = None
    for kind, v in doc["tlbi"].items():
        if isinstance(v, dict) and "count" in v:
            out[f"tlbi {kind}"] = v["count"]["value"]
    io = doc["dirty"]["ioctls"]
    out["GET_DIRTY_LOG calls"] = io["get_dirty_log"]["calls"]["value"] if "get_dirty_log" in io else None
    out["userspace exits"] = doc["exits"]["userspace"].get("value")
    return out


def counts(run, strat):
    """Compare the one run of each tool under s2collect: write-protection
    faults exactly (both write every page once per pass), the rest within
    1% or 2 (the programs' own code and data pages differ). Returns the
    number of disagreements, or None when the runs are not there."""
    paths = [os.path.join(run, f"count-{t}-{strat}.json") for t in ("s2_dirty", "upstream")]
    if not all(os.path.exists(p) for p in paths):
        return None
    docs = []
    for p in paths:
        try:
            docs.append(json.load(open(p)))
        except ValueError:
            print(f"{'':<10} {p}: not a collector document (see its .log)")
            return 1
    if any(d["target"].get("exit_status") != 0 for d in docs):
        print(f"{'':<10} a counted run failed: exit status "
              f"{[d['target'].get('exit_status') for d in docs]} (count-*-{strat}.log)")
        return 1
    ours, up = figures(docs[0]), figures(docs[1])
    bad, shown = 0, []
    for name in ours:
        a, b = ours[name], up.get(name)
        if a is None or b is None:
            shown.append(f"{name} unavailable")
            continue
        tol = 0 if name == "wp faults" else max(2, 0.01 * max(a, b))
        ok = abs(a - b) <= tol
        bad += not ok
        shown.append(f"{name} {a}/{b}{'' if ok else ' DIFFER'}")
    print(f"{'':<10} under s2collect, s2_dirty/upstream: " + "; ".join(shown))
    return bad


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
        # Medians: one pass stalled by the emulator must not decide alone.
        ratio = statistics.median(ours) / statistics.median(up)
        mean_ratio = statistics.mean(ours) / statistics.mean(up)
        ours_mode = " ".join(doc["params"]["guest_mode"].split())
        same_mode = ours_mode == " ".join(mode.split())
        ok = 1 / factor <= ratio <= factor and same_mode
        bad += not ok
        print(f"{'':<10} ratio of median pass times s2_dirty/upstream = {ratio:.2f} "
              f"({'within' if 1 / factor <= ratio <= factor else 'OUTSIDE'} the stated factor {factor:g}; "
              f"of the means {mean_ratio:.2f}); "
              f"guest modes: {ours_mode} / {mode}{'' if same_mode else ' DIFFER'}")
        c = counts(run, strat)
        if c is not None:
            bad += c
            print(f"{'':<10} what KVM did: {'the same' if not c else f'{c} figures DIFFER'} "
                  f"(write-protection faults exactly, the rest within 1% or 2)")
    p = json.load(open(docs[0]))["params"]
    print(f"parameters: {p['vcpus']} vCPUs x {p['bytes_per_vcpu']['value'] >> 20} MiB, "
          f"{p['iterations']} passes per run, two runs of each tool alternating, "
          f"KVM_GET_DIRTY_LOG (-l get / -g), 100% writes")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
