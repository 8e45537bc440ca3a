#!/usr/bin/env python3
"""Summarise bench/workloads.sh runs: per workload, the run time (the
document's wall_time) and the page rate of its main phase, each as mean,
sample standard deviation, min-max and the number of runs.

usage: bench/workloads-report.py RUN_DIR [LABEL]

Page rates count guest pages touched per second in the phase that makes
stage-2 faults: with 4 KiB backing each page is one fault (first touch:
translation; dirty and split passes: write-protection; access: access
flag where aging cleared it; unmap: translation after the invalidation).
Skipped runs are listed with their reason, never averaged as zeros.
"""
import glob
import json
import os
import statistics
import sys

from s2report import args, failed_runs, spread


def rate(doc):
    w = doc["workload"]
    p = doc["params"]
    pages = p["vcpus"] * p["pages_per_vcpu"]["value"]
    if w == "populate":
        return doc["populate"]["rate"]["mean"], "first touch"
    if w == "dirty":
        d = doc["dirty"]
        return statistics.mean(d["pages_written"]["values"]) / (d["pass_time"]["mean"] / 1e9), "dirty pass"
    if w == "split":
        d = doc["dirty"]
        return d["pages_written"]["values"][0] / (d["split_pass_time"]["value"] / 1e9), "split pass"
    if w == "access":
        return pages / (doc["access"]["access_pass_time"]["mean"] / 1e9), "access pass"
    if w == "unmap":
        return doc["unmap"]["page_rate"]["value"], "while invalidating"
    raise KeyError(w)


def main():
    run, label, _ = args(__doc__)
    rows, skipped, failed = {}, {}, []
    for path in sorted(glob.glob(os.path.join(run, "*-*.json"))):
        try:
            doc = json.load(open(path))
        except ValueError:
            failed.append(os.path.basename(path))
            continue
        if doc.get("schema") != "s2perf.workload/1":
            continue
        w = doc["workload"]
        if doc["status"] == "skipped":
            skipped[w] = doc["reason"]
            continue
        if doc["status"] != "ok":
            failed.append(f"{os.path.basename(path)}: {doc.get('reason')}")
            continue
        r, phase = rate(doc)
        rows.setdefault(w, {"wall": [], "rate": [], "phase": phase, "doc": doc})
        rows[w]["wall"].append(doc["wall_time"]["value"] / 1e6)
        rows[w]["rate"].append(r)
    print(f"{label}: guests/ workloads at their default sizes")
    print(f"{'workload':<9} {'size':<18} {'run time ms':>34} {'pages/s':>36}  phase")
    for w in ("populate", "dirty", "access", "unmap", "split"):
        if w in skipped:
            print(f"{w:<9} skipped: {skipped[w]}")
            continue
        if w not in rows:
            continue
        x = rows[w]
        p = x["doc"]["params"]
        size = f"{p['vcpus']}x{p['bytes_per_vcpu']['value'] >> 20}M {p['backing']}"
        m, sd, lo, hi, n = spread(x["wall"])
        t = f"{m:9.1f} sd {sd:7.1f} ({lo:.0f}-{hi:.0f}, n={n})"
        m, sd, lo, hi, n = spread(x["rate"])
        r = f"{m:9.0f} sd {sd:7.0f} ({lo:.0f}-{hi:.0f}, n={n})"
        print(f"{w:<9} {size:<18} {t:>34} {r:>36}  {x['phase']}")
    # A run that ended without a document (a crash, a kill) shows only in
    # status.txt; one that wrote a failed document is listed already.
    for name, msg in failed_runs(run, lambda f: "-".join(f) + ".txt"):
        stem = "-".join(name)
        if not stem or not any(f.startswith(stem + ".json") for f in failed):
            failed.append(msg)
    for f in failed:
        print(f"FAILED: {f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
