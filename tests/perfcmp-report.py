#!/usr/bin/env python3
"""Compare s2collect with perf on the same workload run (tests/perfcmp.sh):
perf stat's counts of the kvm_s2 fault, TLBI and CMO tracepoints against
the collector's (they must agree within 1%), and perf lock contention's
rwlock write-wait line against the collector's mmu_lock write waits (perf
cannot tell which lock it was; the collector counts this VM's mmu_lock
only, so its count must not exceed perf's count of all contentions).

usage: tests/perfcmp-report.py RUN_DIR [LABEL]
"""
import glob
import json
import os
import re
import sys

from s2report import args, failed_runs

UNITS = {"ms": 1e6, "us": 1e3, "ns": 1, "s": 1e9}


def perf_counts(path):
    c = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 2 and f[2].startswith("kvm_s2:"):
            c[f[2].split(":")[1]] = int(f[0]) if f[0].isdigit() else None
    return c


def perf_lock(path):
    """perf lock contention's lines: (rwlock:W contended, its total wait ns,
    contended over every lock type). perf 6.1 names types from its own copy
    of the kernel's flag bits, which a debug kernel's lockdep paths do not
    match: the all-types total is the bound that holds everywhere."""
    w, wt, total = 0, 0.0, 0
    for line in open(path):
        m = re.match(r"\s*(\d+)\s+([\d.]+) (\w+)\s+.*\s(\S+)\s+\S+$", line)
        if not m:
            continue
        total += int(m.group(1))
        if m.group(4) == "rwlock:W":	# one line per caller: add them up
            w += int(m.group(1))
            wt += float(m.group(2)) * UNITS[m.group(3)]
    return w, wt, total


def main():
    run, label, _ = args(__doc__)
    bad = 0
    for _, msg in failed_runs(run, lambda f: f"run-{f[0]}.txt" if f else "status.txt"):
        print(f"FAILED: {msg}")
        bad += 1
    print(f"{label}: s2collect and perf on the same s2_dirty runs")
    print(f"{'strategy':<10} {'figure':<26} {'s2collect':>12} {'perf':>12}  agreement")
    for path in sorted(glob.glob(os.path.join(run, "coll-*.json"))):
        s = os.path.basename(path)[5:-5]
        co = json.load(open(path))
        pc = perf_counts(os.path.join(run, f"perf-{s}.csv"))
        ours = {
            "kvm_s2_fault_exit": sum(v["value"] for v in co["faults"]["count"].values()
                                     if isinstance(v, dict) and "value" in v),
            "kvm_s2_tlbi": sum(v["count"]["value"] for v in co["tlbi"].values()
                               if isinstance(v, dict) and "count" in v),
            "kvm_s2_cmo": sum(v["count"]["value"] for v in co["cmo"].values()
                              if isinstance(v, dict) and "count" in v),
        }
        for ev, n in ours.items():
            p = pc.get(ev)
            # Faults and TLBIs must have happened: 0 = 0 proves nothing.
            ok = (p is not None and abs(n - p) <= 0.01 * max(p, 1) and
                  (p > 0 or ev == "kvm_s2_cmo"))
            bad += not ok
            print(f"{s:<10} {ev + ' (events)':<26} {n:>12} {p if p is not None else 'n/a':>12}  "
                  f"{'within 1%' if ok else 'DISAGREE'}")
        ww = co["mmu_lock"].get("write_wait")
        pn, pt, pall = perf_lock(os.path.join(run, f"lock-{s}.txt"))
        if ww is None:
            print(f"{s:<10} {'mmu_lock write waits':<26} {'unavailable':>12} {pn:>12}  "
                  f"{co['mmu_lock'].get('reason')}")
            continue
        ok = ww["count"] <= pall
        bad += not ok
        print(f"{s:<10} {'mmu_lock write waits':<26} {ww['count']:>12} {pn:>12}  "
              f"perf: rwlock:W line; {pall} contentions of any lock "
              f"({'collector <= that' if ok else 'COLLECTOR COUNTS MORE'})")
        print(f"{s:<10} {'  total wait (ms)':<26} {ww['sum'] / 1e6:>12.2f} {pt / 1e6:>12.2f}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
