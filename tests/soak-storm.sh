#!/usr/bin/env bash
# The storm soak (not part of ./run.sh test): guests/s2_storm in the target
# until the vCPUs have made -W guest writes (default 10^6), under every
# strategy, in every log mode, with every disturber the target allows. One
# boot per strategy, so that a kernel report (the launcher fails the boot
# on any) is pinned on the strategy that caused it. Kernel flavour:
# S2PERF_FLAVOUR (default debug, as the test suite; kasan for KASAN).
# Writes results/soak-storm-<flavour>-<time>/ with each run's JSON and
# summary, and summary.txt (one row per run: writes, harvests, misses,
# late by one, invalidations, forks, agings, time). Exit 1 on any miss,
# failed run or kernel report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
	cat <<USAGE
usage: tests/soak-storm.sh [-W WRITES] [-b BYTES] [-H USEC] [-v VCPUS] [-S STRATEGIES] [-l MODES] [-t SECS]

  -W WRITES      guest writes per run (default 1000000)
  -b BYTES       guest memory per vCPU (default 256K)
  -H USEC        mean pause between harvests, s2_storm -H (default 2000)
  -v VCPUS       vCPUs (default 2)
  -S STRATEGIES  comma-separated (default exclusive,rwlock,rcu,fastpath,hypfast,hwdbm)
  -l MODES       comma-separated log modes (default get,clear,ring)
  -t SECS        timeout of one boot (default 14400)
Environment: S2PERF_FLAVOUR (default debug), S2PERF_CACHE.
USAGE
}
writes=1000000 bytes=256K harvest_us=2000 vcpus=2 strategies=exclusive,rwlock,rcu,fastpath,hypfast,hwdbm modes=get,clear,ring tmo=14400
while getopts "W:b:H:v:S:l:t:h" opt; do
	case $opt in
	W) writes=$OPTARG ;;
	b) bytes=$OPTARG ;;
	H) harvest_us=$OPTARG ;;
	v) vcpus=$OPTARG ;;
	S) strategies=$OPTARG ;;
	l) modes=$OPTARG ;;
	t) tmo=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
bad() { echo "soak-storm: $*" >&2; exit 2; }
[[ $writes =~ ^[1-9][0-9]*$ ]] || bad "-W: '$writes' is not a number of writes"
[[ $bytes =~ ^[1-9][0-9]*[KMG]$ ]] || bad "-b: '$bytes' is not a size like 16M"
[[ $harvest_us =~ ^[0-9]+$ ]] || bad "-H: '$harvest_us' is not a number of microseconds"
[[ $vcpus =~ ^[1-8]$ ]] || bad "-v: vCPUs must be 1..8"
[[ $tmo =~ ^[1-9][0-9]*$ ]] || bad "-t: '$tmo' is not a number of seconds"
for s in ${strategies//,/ }; do
	[[ $s =~ ^(exclusive|rwlock|rcu|fastpath|hypfast|hwdbm)$ ]] || bad "-S: unknown strategy '$s'"
done
for m in ${modes//,/ }; do
	[[ $m =~ ^(get|clear|ring)$ ]] || bad "-l: unknown log mode '$m'"
done

export S2PERF_FLAVOUR=${S2PERF_FLAVOUR:-debug}
cd "$ROOT"
eval "$(./run.sh image | sed -n 's/^kernel: /KDIR=/p; s/^initramfs: /INITRD=/p')"
[ -n "${KDIR:-}" ] && [ -n "${INITRD:-}" ] || { echo "soak-storm: could not build the target" >&2; exit 1; }
run=$ROOT/results/soak-storm-$S2PERF_FLAVOUR-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$run"
echo "soak-storm: $S2PERF_FLAVOUR kernel, $writes writes per run; results in $run" >&2

# In the target: one run per log mode. Small memory and short, random
# windows (0-2x -H between harvests): a vCPU's first write to a page in a
# window faults (0.1-1 ms under emulation) and races the next harvest's
# write-protect, its later writes to it in the window do not fault, and
# the disturbers (16K chunks) keep unmapping, aging and CoW-sharing pages
# under it. Measured on the debug kernel (DEBUG_VM, lockdep), 2 x 256K,
# 10^6 writes a run, -H 2000: 828-4207 harvests and 1724-18736 writes seen
# one harvest late per run, 25-142 s a run, 15 runs in 20 min. With
# -H 300000 (the old default) the guest writes 200k times a second between
# harvests: 10^6 writes saw about 20 harvests and raced almost nothing.
# The ring does not fill here (64 pages a vCPU: at most 64 entries a
# window); t-storm fills it.
cat >"$run/soak.sh" <<'SH'
s=$1 writes=$2 bytes=$3 vcpus=$4 hus=$5
shift 5
for m in "$@"; do
	start=$(cut -d' ' -f1 /proc/uptime)
	s2_storm -v "$vcpus" -b "$bytes" -u 16K -H "$hus" -i 1000000 -W "$writes" -S "$s" -l "$m" \
		-o "$s-$m.json" >"$s-$m.txt" 2>"$s-$m.progress"
	rc=$?
	end=$(cut -d' ' -f1 /proc/uptime)
	echo "$s-$m $rc $start $end" >>status.txt
done
SH

status=0
for s in ${strategies//,/ }; do
	rc=0
	# shellcheck disable=SC2086
	"$ROOT/target/launch" -k "$KDIR" -i "$INITRD" -o "$run/$s" -m 2G -t "$tmo" \
		-I "$run/soak.sh" -- sh soak.sh "$s" "$writes" "$bytes" "$vcpus" "$harvest_us" ${modes//,/ } || rc=$?
	if [ $rc -ne 0 ]; then
		echo "soak-storm: $s: the boot failed (status $rc; kernel report or hang: $run/$s/console.log)" >&2
		status=1
	fi
done

python3 - "$run" "$writes" >"$run/summary.txt" <<'PY' || status=1
import json, os, sys
run, target = sys.argv[1], int(sys.argv[2])
rows, bad = [], 0
for s in sorted(os.listdir(run)):
    st = os.path.join(run, s, "status.txt")
    if not os.path.isfile(st):
        continue
    for line in open(st):
        name, rc, start, end = line.split()
        try:
            d = json.load(open(os.path.join(run, s, name + ".json")))
            g = d["storm"]
            v = lambda o: o["value"] if "value" in o else "n/a"
            row = (name, d["status"], v(g["writes"]), v(g["harvests"]), v(g["misses"]["count"]),
                   v(g["late_by_one"]), v(g["content"]["stamp_errors"]),
                   v(g["invalidations"]["calls"]) if "calls" in g["invalidations"] else "n/a",
                   round(g["invalidations"]["bytes"]["value"] / 2**20) if "bytes" in g["invalidations"] else "n/a",
                   v(g["forks"]["calls"]) if "calls" in g["forks"] else "n/a",
                   v(g["aging"]["calls"]) if "calls" in g["aging"] else "n/a",
                   v(d["exits"]["dirty_ring_full"]), "%.0f" % (float(end) - float(start)))
            if rc != "0" or d["status"] != "ok" or g["misses"]["count"]["value"] or \
               g["writes"]["value"] < target:
                bad += 1
        except (OSError, ValueError, KeyError) as e:
            row = (name, "exit " + rc + " (" + repr(e) + ")") + ("",) * 11
            bad += 1
        rows.append(row)
head = ("run", "status", "writes", "harvests", "missed", "late-by-1", "stamp-err",
        "dontneed", "dontneed-MiB", "forks", "agings", "ring-full", "secs")
w = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
for r in [head] + rows:
    print("  ".join(str(x).rjust(w[i]) for i, x in enumerate(r)))
print(f"{len(rows)} runs, {bad} failed or short of {target} writes")
sys.exit(1 if bad or not rows else 0)
PY
cat "$run/summary.txt"
[ $status -eq 0 ] && echo "soak-storm: no page lost, no kernel report ($run)" >&2
exit $status
