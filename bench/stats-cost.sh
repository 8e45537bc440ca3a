#!/usr/bin/env bash
# bench/stats-cost.sh: what the stage-2 binary stats' clock reads cost per
# fault (series patch 6), measured in one boot of the target: s2_dirty's
# dirty passes with kvm.stage2_fault_timing on and off, alternating, paired
# by repetition. The counters themselves cannot be switched off; the two
# clock reads per fault (and the histogram update) can, by a static key.
#
# usage: bench/stats-cost.sh [-f FLAVOUR] [-n REPS] [-o DIR]
#   -f FLAVOUR  kernel flavour (default: default)
#   -n REPS     repetitions of each setting (default 10)
#   -o DIR      where the run goes (default: results/stats-cost-<time>)
# Prints the paired ratio (off/on) of the dirty pass with its bootstrap CI
# and Wilcoxon p, and the cost per write-protection fault it implies, as an
# interval; a difference is claimed only when the ratio's CI excludes 1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
flavour=default reps=10 out=
while getopts ":f:n:o:h" opt; do
	case $opt in
	f) flavour=$OPTARG ;;
	n) reps=$OPTARG ;;
	o) out=$OPTARG ;;
	h) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "stats-cost: bad option (see -h)" >&2; exit 2 ;;
	esac
done
case $reps in '' | *[!0-9]*) echo "stats-cost: -n: '$reps' is not a count" >&2; exit 2 ;; esac
[ "$reps" -ge 4 ] || { echo "stats-cost: -n: at least 4 repetitions" >&2; exit 2; }
out=${out:-$ROOT/results/stats-cost-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"

eval "$("$ROOT/run.sh" image --flavour "$flavour" | sed -n 's/^kernel: /KDIR=/p; s/^initramfs: /INITRD=/p')"
[ -n "${KDIR:-}" ] && [ -n "${INITRD:-}" ] || { echo "stats-cost: no target image" >&2; exit 1; }
make -s -C "$ROOT/bench" >/dev/null
S2B=$ROOT/bench/.output/s2bench

cat >"$out/cost.sh" <<SH
REPS=$reps
SH
cat >>"$out/cost.sh" <<'SH'
P=/sys/module/kvm/parameters
echo rwlock >$P/stage2_strategy
: >status.txt
for r in $(seq $REPS); do
	# alternate which setting goes first
	if [ $((r % 2)) -eq 1 ]; then set -- Y N; else set -- N Y; fi
	for t in "$@"; do
		echo $t >$P/stage2_fault_timing
		s2_dirty -q -v 2 -b 16M -i 4 -l get -o d-$t-$r.json >d-$t-$r.txt 2>&1
		echo "d-$t-$r $?" >>status.txt
	done
done
echo Y >$P/stage2_fault_timing
SH
"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$out/run" -t 3000 -I "$out/cost.sh" -- sh cost.sh
grep -v ' 0$' "$out/run/status.txt" && { echo "stats-cost: a run failed (above)" >&2; exit 1; }

# Per repetition: the median dirty pass (ns) and the WP faults per pass.
python3 - "$out/run" "$reps" "$out" <<'PY'
import json, statistics, sys
d, reps, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
for t in "YN":
    with open("%s/%s.txt" % (out, t), "w") as f:
        for r in range(1, reps + 1):
            doc = json.load(open("%s/d-%s-%d.json" % (d, t, r)))
            f.write("%d\n" % statistics.median(doc["dirty"]["pass_time"]["values"]))
doc = json.load(open("%s/d-Y-1.json" % d))
k = doc["kvm_stats"]["vcpu"]
passes = doc["params"]["iterations"]
with open(out + "/wp_per_pass.txt", "w") as f:
    f.write("%d\n" % (k["s2_fault_wp"]["value"] / passes))
PY
"$S2B" stats --paired @"$out/Y.txt" @"$out/N.txt" >"$out/stats.json"
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
s = json.load(open(out + "/stats.json"))
wp = int(open(out + "/wp_per_pass.txt").read())
on, off = s["a"]["median"], s["b"]["median"]
r = s["ratio"]
print("dirty pass, timing on: median %.1f ms (n=%d), off: %.1f ms" % (on / 1e6, s["a"]["n"], off / 1e6))
print("off/on ratio %.4f [%.4f, %.4f] (bootstrap 95%%), Wilcoxon p=%.3g, n=%d pairs"
      % (r["median"], r["ci_lo"], r["ci_hi"], s["wilcoxon"]["p"], s["a"]["n"]))
# cost per WP fault from the ratio's CI: on x (1 - off/on) / faults a pass
lo, hi = on * (1 - r["ci_hi"]) / wp / 1000, on * (1 - r["ci_lo"]) / wp / 1000
if r["ci_lo"] <= 1 <= r["ci_hi"]:
    print("no difference shown at this n (the ratio's CI holds 1): the clock reads cost "
          "between %.2f and %.2f us per write-protection fault (%d a pass)" % (lo, hi, wp))
else:
    print("the clock reads cost %.2f us [%.2f, %.2f] per write-protection fault (%d a pass)"
          % (on * (1 - r["median"]) / wp / 1000, lo, hi, wp))
PY
