#!/usr/bin/env python3
"""The collector's overhead (bench/overhead.sh): the s2_dirty workload's
dirty-pass time without probes and under s2collect, on one kernel, and the
collector's own account (events handled, per-event cost from
kernel.bpf_stats_enabled).

usage: bench/overhead-report.py RUN_DIR [LABEL]
"""
import glob
import json
import os
import statistics
import sys

from s2report import args, failed_runs, fmt


def passes(run, kind):
    v = []
    for p in sorted(glob.glob(os.path.join(run, f"{kind}-*.json"))):
        d = json.load(open(p))
        if d.get("status") != "ok":
            print(f"FAILED: {p}: {d.get('reason')}")
            sys.exit(1)
        v += d["dirty"]["pass_time"]["values"]
    return v


def show(name, v, unit, scale, what="passes"):
    print(f"  {name:<22} {fmt(v, scale, unit, what, prec=2)}")


def main():
    run, label, _ = args(__doc__)
    # A run that failed before writing its document shows only here.
    bad = failed_runs(run, lambda f: "-".join(f) + ".txt")
    for _, msg in bad:
        print(f"FAILED: {msg}")
    if bad:
        return 1
    bare, probed = passes(run, "bare"), passes(run, "probed")
    if not bare or not probed:
        print(f"overhead: no runs in {run}")
        return 1
    print(f"{label}: s2_dirty dirty-pass time without and with s2collect attached")
    show("without probes", bare, "ms", 1e6)
    show("under s2collect", probed, "ms", 1e6)
    slow = statistics.mean(probed) / statistics.mean(bare) - 1
    print(f"  {'slowdown':<22} {slow * 100:+10.1f} % of the mean pass time")
    ev, rate, cost = [], [], []
    for p in sorted(glob.glob(os.path.join(run, "coll-*.json"))):
        o = json.load(open(p))["overhead"]
        if "events" not in o or "value" not in o["per_event"]:
            print(f"  collector cost         unavailable in {os.path.basename(p)}: "
                  f"{o.get('programs', o['per_event']).get('reason')}")
            continue
        ev.append(o["events"]["value"])
        cost.append(o["per_event"]["value"])
        if "event_rate" in o:
            rate.append(o["event_rate"]["value"])
    if ev:
        show("events per run", ev, "events", 1, "runs")
        if rate:
            show("events per second", rate, "events/s", 1, "runs")
        show("cost per event", cost, "ns", 1, "runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
