#!/usr/bin/env bash
# A kernel as a plan dimension (issue 19): the plan tests/data/kernel-planted/planted
# runs on upstream 6.12 (no patch), on the shipped series and on the series plus one planted patch
# (tests/data/kernel-planted: a 1024-iteration loop at the top of
# user_mem_abort(), about 4096 instructions per fault that takes the slow
# path), one run each in the instruction clock (./run.sh kernels). The
# per-kernel report must find the planted patch where it acts and nowhere
# else, with its size:
#  - populate.time (every first touch is a slow-path fault) DIFFERENT and
#    worse under rwlock and hypfast, by about 4096 instructions x 1024
#    faults of the run's base (within a factor 2: the loop's instruction
#    count is the compiler's);
#  - dirty.pass_time DIFFERENT and worse under rwlock (its write-protection
#    faults take user_mem_abort()); under hypfast (resolved in the exit
#    fast path, which never calls it) a quarter of that at most;
#  - env.json names each run's kernel and its patches; compare says the
#    kernels differ;
#  - upstream: its -S upstream cells run and pair with the series' (the
#    step is compared), its rwlock and hypfast cells skip with the reason.
# Also: bad kernel specs are one line and exit 2.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
FLAVOUR=${S2PERF_FLAVOUR:-debug}

# Bad input first: cheap, and no build.
for k in bogus series:x 'series+' 'upstream+/nonexistent' image:/nonexistent tree:/nonexistent debian:6 debian:9.99 \
	"tree:$ROOT@HEAD"; do
	rc=0
	"$ROOT/target/build-kernel.sh" -k "$k" -f "$FLAVOUR" >"$OUT/bad.out" 2>"$OUT/bad.err" || rc=$?
	[ $rc -eq 2 ] || fail "build-kernel -k '$k' exited $rc, not 2"
	[ "$(wc -l <"$OUT/bad.err")" -eq 1 ] || fail "build-kernel -k '$k': not one line: $(cat "$OUT/bad.err")"
	pass "build-kernel -k '$k': exit 2, $(cat "$OUT/bad.err")"
done

rc=0
"$ROOT/bench/run-kernels.sh" --plan "$ROOT/tests/data/kernel-planted/planted" --flavour "$FLAVOUR" \
	--kernel "upstream series series+$ROOT/tests/data/kernel-planted" --out "$OUT" >"$OUT/kernels.out" 2>"$OUT/kernels.err" || rc=$?
tail -n 30 "$OUT/kernels.err"
cat "$OUT/kernels.out"
[ $rc -eq 0 ] || fail "run-kernels exited $rc"
set_dir=$(ls -d "$OUT"/planted-kernels-*)
pass "two kernels run: $set_dir"

python3 - "$set_dir" <<'PY'
import json, os, sys
s = sys.argv[1]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(s, "kernels.tsv"))]
envs = [json.load(open(os.path.join(s, r[2], "env.json"))) for r in rows]
up = envs[0]["kernel"]
assert up["spec"] == "upstream" and int(up["patch_count"]) == 0, up
cells = open(os.path.join(s, rows[0][2], "cells.csv")).read().splitlines()
skipped = [l for l in cells if ",rwlock," in l or ",hypfast," in l]
assert skipped and all("cannot select stage-2 strategy" in l for l in skipped), skipped[:2]
assert any(",upstream," in l and ",ok," in l for l in cells), cells[:3]
c01 = json.load(open(os.path.join(s, "compare", "1-vs-0.json")))
assert c01["summary"]["tested"] > 0 and all(r["strategy"] == "upstream" for r in c01["rows"]), c01["summary"]
print("ok: upstream: rwlock and hypfast cells skipped (%d, with the reason), upstream cells compared "
      "with the series' (%d rows tested)" % (len(skipped), c01["summary"]["tested"]))
k0, k1 = envs[1]["kernel"], envs[2]["kernel"]
assert k0["spec"] == "series" and k1["spec"].startswith("series+"), (k0["spec"], k1["spec"])
assert k0["patches"] != k1["patches"], "the two kernels have the same patches key"
assert int(k1["patch_count"]) == int(k0["patch_count"]) + 1, (k0["patch_count"], k1["patch_count"])
assert any("planted" in p for p in k1["patch_list"]), k1["patch_list"]
assert envs[1]["fault_timing"] == "off", envs[1].get("fault_timing")
print("ok: env.json: %s (%s patches) and %s (%s patches)" % (k0["spec"], k0["patch_count"],
      k1["spec"], k1["patch_count"]))

c = json.load(open(os.path.join(s, "compare", "2-vs-1.json")))
assert c["kernels"]["same"] is False, c["kernels"]
print("ok: compare says the kernels differ:", c["kernels"]["new"])
def row(metric, strategy, cfg):
    for r in c["rows"]:
        if r["metric"] == metric and r["strategy"] == strategy and cfg in r["config"] \
           and r["mode"] == "timed":
            return r
    raise SystemExit("FAIL: no row %s %s %s" % (metric, strategy, cfg))

PLANTED = 1024 * 4         # nop; add; cmp; b.ne: instructions a fault
FAULTS = 4 * 1024 * 1024 // 4096
for st in ("rwlock", "hypfast"):
    r = row("populate.time", st, "s2_populate")
    est = r["shift"]["estimate"]
    want = PLANTED * FAULTS / r["base"]["median"]
    assert r["verdict"] == "DIFFERENT" and r["change"] == "regression", (st, r["verdict"], r["change"])
    assert want / 2 <= est <= want * 2, "populate %s: %+.2f%%, the planted loop predicts %+.2f%%" % (
        st, 100 * est, 100 * want)
    print("ok: populate.time %s: %+.2f%% [%+.2f%%, %+.2f%%] (p_holm %.2g), planted loop predicts %+.2f%%"
          % (st, 100 * est, 100 * r["shift"]["ci95"][0], 100 * r["shift"]["ci95"][1], r["p_holm"], 100 * want))
r = row("dirty.pass_time", "rwlock", "s2_dirty")
assert r["verdict"] == "DIFFERENT" and r["change"] == "regression", (r["verdict"], r["change"])
print("ok: dirty.pass_time rwlock: %+.2f%% DIFFERENT" % (100 * r["shift"]["estimate"]))
rw = r["shift"]["estimate"]
r = row("dirty.pass_time", "hypfast", "s2_dirty")
assert abs(r["shift"]["estimate"]) < rw / 4, ("hypfast's dirty pass moved", r["shift"], rw)
print("ok: dirty.pass_time hypfast: %+.2f%% %s, under a quarter of rwlock's %+.2f%% (its faults "
      "never reach user_mem_abort)" % (100 * r["shift"]["estimate"], r["verdict"], 100 * rw))
PY
expect_grep '^kernel 2 .*series\+' "$set_dir/kernels.txt" "the report"
expect_grep 'gated +populate\.time +s2_populate.* rwlock .*regression' "$set_dir/kernels.txt" "the report"
pass "all checks"
