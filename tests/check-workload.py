#!/usr/bin/env python3
"""Check the facts a guests/ workload document (schema s2perf.workload/1)
must show, and print each one: every figure has a unit, times are positive,
phases are in order, pages touched equal the configured size, every page
written is in the dirty log, ioctl counts equal the passes.

usage: tests/check-workload.py DOC.json [--status ok|skipped|failed]
Exits 0 when every fact holds, 1 otherwise (the first false one is named).
"""
import json
import sys


class Fail(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Fail(what)
    print(f"ok: {what}")


def walk(node, path=""):
    """Yield (path, dict) for every object in the document."""
    if isinstance(node, dict):
        yield path, node
        for k, v in node.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk(v, f"{path}[{i}]")


def generic(doc):
    check(doc.get("schema") == "s2perf.workload/1", "schema is s2perf.workload/1")
    figures = 0
    for path, o in walk(doc):
        if "value" in o or "values" in o or "mean" in o:
            figures += 1
            if not o.get("unit"):
                raise Fail(f"{path} has no unit")
            if o["unit"] == "ns":
                low = o["value"] if "value" in o else o["min"]
                if low <= 0:
                    raise Fail(f"{path}: a time of {low} ns")
            if "values" in o and len(o["values"]) != o["n"]:
                raise Fail(f"{path}: n={o['n']} but {len(o['values'])} values")
        if o.get("available") is False and not o.get("reason"):
            raise Fail(f"{path}: unavailable without a reason")
    check(figures > 0, f"all {figures} figures carry a unit, times are positive")
    end = 0
    if doc["status"] == "ok" and not doc["phases"]:
        raise Fail("a run that completed recorded no phase")
    for ph in doc["phases"]:
        start = ph["start"]["value"]
        if start < end:
            raise Fail(f"phase {ph['name']} starts at {start} ns, before the last one ended at {end}")
        end = start + ph["duration"]["value"]
    check(end <= doc["wall_time"]["value"],
          f"{len(doc['phases'])} phases in order, inside the {doc['wall_time']['value']} ns run")


def value(o):
    return o["value"]


def populate(doc, p):
    w = doc["populate"]
    check(value(w["pages_expected"]) == p["vcpus"] * value(p["pages_per_vcpu"]),
          f"pages expected = {p['vcpus']} vCPUs x {value(p['pages_per_vcpu'])} pages")
    check(value(w["pages_touched"]) == value(w["pages_expected"]),
          f"pages touched {value(w['pages_touched'])} = pages expected")
    check(w["time"]["n"] == p["iterations"], f"{p['iterations']} populate times")


def dirty(doc, p):
    d = doc["dirty"]
    k = p["iterations"]
    total = p["vcpus"] * value(p["pages_per_vcpu"])
    check(value(d["pages_missed"]) == 0, "no written page missed in the dirty log")
    check(value(d["content_errors"]) == 0, "every written page holds the guest's stamp")
    check(d["pass_time"]["n"] == k, f"{k} pass times")
    written = d["pages_written"]["values"]
    if p["write_percent"] == 100:
        check(all(w == total for w in written), f"each pass wrote all {total} pages")
    else:
        check(all(0 < w < total for w in written) or p["write_percent"] == 0,
              f"each pass wrote some pages ({written}) at {p['write_percent']}%")
    dirt = d["pages_dirty"]["values"]
    check(len(written) == len(dirt) == k, f"pages written and dirty for each of the {k} passes")
    check(all(x >= w for x, w in zip(dirt, written)),
          f"pages in the log {dirt} >= pages written {written}")
    io = d["ioctls"]
    initial = 1 if "value" in d["initial_clear_time"] else 0
    if d["log_mode"] == "ring":
        check(value(io["reset_dirty_rings"]) == k, f"{k} KVM_RESET_DIRTY_RINGS")
        check(value(io["get_dirty_log"]) == 0, "no KVM_GET_DIRTY_LOG with the ring")
    else:
        check(value(io["get_dirty_log"]) == k, f"{k} KVM_GET_DIRTY_LOG")
        want = k + initial if d["log_mode"] == "clear" else 0
        check(value(io["clear_dirty_log"]) == want, f"{want} KVM_CLEAR_DIRTY_LOG")
    if doc["workload"] == "split":
        huge = d["huge_backing_after_populate"]
        if p["backing"] != "anonymous":
            check("value" in huge and value(huge) > 0,
                  f"huge pages backed guest memory after populate ({huge})")


def access(doc, p):
    a = doc["access"]
    check(value(a["pages_tracked"]) == value(a["pages_expected"]),
          f"every page present after populate ({value(a['pages_tracked'])})")
    check(a["pages_seen_accessed"]["min"] > 0,
          f"aging saw accesses in every iteration (min {a['pages_seen_accessed']['min']})")
    check(a["mark_idle_time"]["n"] == p["iterations"], f"{p['iterations']} idle markings")


def unmap(doc, p):
    u = doc["unmap"]
    check(value(u["vcpu_passes"]) >= p["vcpus"] * p["iterations"],
          f"{value(u['vcpu_passes'])} vCPU passes >= {p['vcpus']} x {p['iterations']}")
    check(u["invalidate_time"]["n"] > 0, f"{u['invalidate_time']['n']} invalidations")
    check(value(u["page_rate"]) > 0, f"page rate {value(u['page_rate'])} pages/s")


def main():
    args = sys.argv[1:]
    want = "ok"
    if "--status" in args:
        i = args.index("--status")
        want = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(args[0]) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        print(f"FAIL: {args[0]}: {e}")
        return 1
    try:
        check(doc.get("status") == want,
              f"status {doc.get('status')} (wanted {want}; reason: {doc.get('reason')})")
        generic(doc)
        if want != "ok":
            return 0
        p = doc["params"]
        {"populate": populate, "dirty": dirty, "split": dirty,
         "access": access, "unmap": unmap}[doc["workload"]](doc, p)
    except Fail as e:
        print(f"FAIL: {args[0]}: {e}")
        return 1
    except (KeyError, TypeError) as e:
        print(f"FAIL: {args[0]}: malformed document ({e!r})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
