#!/usr/bin/env bash
# s2_upstream: upstream's own performance tests as s2perf workloads (issue
# 19), in the target on the test kernel. dirty_log_perf_test,
# kvm_page_table_test and access_tracking_perf_test each give a workload
# document whose figures are the ones the test printed (each series as
# long as the test repeats it: one value per dirty-logging iteration), in
# ns, with the strategy asked for; a test that fails (a bad option) is a
# failed document with the reason and the test's last lines, exit 1; an
# unknown test is one line and exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cat >"$OUT/u.sh" <<'SH'
s2_upstream -q -S rwlock -t dirty_log_perf_test -v 1 -b 4M -i 2 -o d.json; echo "d $?" >>st
s2_upstream -q -S upstream -t kvm_page_table_test -v 1 -b 4M -o k.json; echo "k $?" >>st
s2_upstream -q -S fastpath -t access_tracking_perf_test -v 1 -b 4M -o a.json; echo "a $?" >>st
s2_upstream -q -t dirty_log_perf_test -b notasize -o bad.json; echo "bad $?" >>st
s2_upstream -t nosuch_test >nosuch.out 2>&1; echo "nosuch $?" >>st
cat /sys/module/kvm/parameters/stage2_strategy >param.after
SH
expect_status 0 launch u -C icount -t 1200 -I "$OUT/u.sh" -- sh u.sh
d=$OUT/u
cat "$d/st"
python3 - "$d" <<'PY'
import json, os, re, sys
d = sys.argv[1]
st = dict(l.split() for l in open(os.path.join(d, "st")))
assert st == {"d": "0", "k": "0", "a": "0", "bad": "1", "nosuch": "2"}, st
def doc(n):
    return json.load(open(os.path.join(d, n + ".json")))
x = doc("d")
u = x["upstream"]
f = u["figures"]
assert x["schema"] == "s2perf.workload/1" and x["status"] == "ok" and x["clock"] == "icount", x["status"]
assert x["strategy"]["requested"] == "rwlock", x["strategy"]
assert f["populate_memory_time"]["n"] == 1 and f["dirty_memory_time"]["n"] == 2, \
    {k: v["n"] for k, v in f.items()}
assert all(v > 0 for s in f.values() for v in s["values"]), f
assert all(s["unit"] == "ns" for s in f.values())
# the figures are the printed ones: the last lines the test printed
for line in u["output_tail"]:
    m = re.match(r"Disabling dirty logging time: (\d+)\.(\d{9})s", line)
    if m:
        assert f["disabling_dirty_logging_time"]["values"][-1] == int(m.group(1)) * 10**9 + int(m.group(2))
        print("ok: 'Disabling dirty logging time' read as printed:", line)
        break
else:
    raise SystemExit("FAIL: no 'Disabling dirty logging time' line in the output tail")
assert "-m" in x["params"]["args"], x["params"]
print("ok: dirty_log_perf_test: %s" % {k: v["n"] for k, v in f.items()})
k = doc("k")["upstream"]["figures"]
assert {"kvm_create_mappings_total_execution_time", "kvm_update_mappings_total_execution_time",
        "kvm_adjust_mappings_total_execution_time"} <= set(k), sorted(k)
print("ok: kvm_page_table_test: %s" % sorted(k))
a = doc("a")
assert a["status"] == "ok" and a["strategy"]["requested"] == "fastpath", a["reason"]
assert a["upstream"]["figures"]["mark_memory_idle_time"]["n"] == 2, a["upstream"]["figures"]
print("ok: access_tracking_perf_test under fastpath: %s" % sorted(a["upstream"]["figures"]))
b = doc("bad")
assert b["status"] == "failed" and "exited" in b["reason"] and b["upstream"]["output_tail"], b
print("ok: a failing test: %s" % b["reason"])
# the selftests framework's constructor prints its seed first
n = [l for l in open(os.path.join(d, "nosuch.out")).read().strip().splitlines()
     if not l.startswith("Random seed:")]
assert len(n) == 1 and "nosuch_test" in n[0], n
print("ok: unknown test: %s" % n[0])
PY
p=$(cat "$d/param.after")
[ "$p" = rwlock ] || fail "kvm.stage2_strategy is '$p' after the runs, not restored to rwlock"
pass "the strategy parameter is restored ($p)"
pass "all checks"
