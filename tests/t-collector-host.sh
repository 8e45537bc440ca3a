#!/usr/bin/env bash
# bpf/s2collect on this machine's own KVM (the host target's case), around
# the x86_64 s2_dirty workload in each log mode. Checked against the
# workload's own JSON:
#  - KVM_GET_DIRTY_LOG / KVM_CLEAR_DIRTY_LOG calls: equal (tolerance 0:
#    the command is held until every probe is attached);
#  - the collector's summed GET_DIRTY_LOG time is at most the workload's
#    (the kernel's syscall entry/exit lie inside the workload's
#    clock_gettime pair) and at least half the workload's minus 50 us per
#    call (syscall entry and exit, our probes, and preemption between the
#    workload's clock read and the syscall, which only the workload sees:
#    measured 1.70 ms of 2.17 ms over 4 calls with a kernel build and an
#    emulated target sharing this 2-core machine);
#  - userspace exits (kvm:kvm_userspace_exit, and KVM_RUN returns seen at
#    sys_exit_ioctl) equal the workload's kvm_run_returns (tolerance 0:
#    KVM traces every return of KVM_RUN, and the workload counts each,
#    -EINTR ones too);
#  - fault metrics: on a host whose KVM emits no in-kernel exit events
#    (nested), unavailable with the measured reason, never 0; where it
#    does, counted (> 0);
#  - the document names its overhead per program and exits with the
#    workload's status;
#  - the tier is reported: on a kernel without the stage-2 binary stats
#    (any x86_64 host), the default tier falls back to the probes and the
#    document and the summary say so; --faults (the detail tier, used for
#    the clear mode) is named as such.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(uname -m)" = x86_64 ] || skip "needs an x86_64 host (the x86_64 s2_dirty workload)"
[ -c /dev/kvm ] || skip "no /dev/kvm on this host"
[ -r /sys/kernel/btf/vmlinux ] || skip "this kernel has no BTF (/sys/kernel/btf/vmlinux)"

make -C "$ROOT/bpf" ARCH=x86_64 OUT="$OUT/bpf" >"$OUT/make.log" 2>&1 ||
	{ cat "$OUT/make.log"; fail "the collector does not build"; }
COLL=$OUT/bpf/s2collect
pass "built $COLL"

# The workload: S2_DIRTY if given, else built like the suite builds it.
if [ -z "${S2_DIRTY:-}" ]; then
	bin=$("$ROOT/target/build-selftests.sh" -a x86_64 | tail -n 1)
	gdir=$("$ROOT/target/build-guests.sh" -a x86_64 -s "$bin" | tail -n 1)
	S2_DIRTY=$gdir/guests/s2_dirty
fi
[ -x "$S2_DIRTY" ] || fail "no s2_dirty workload at $S2_DIRTY"

# Bad arguments: one line, status 2.
expect_status 2 "$COLL" -p
expect_status 2 "$COLL" -a -p 1
expect_status 2 "$COLL" --tlbi -a
expect_status 2 "$COLL" --no-such-option -a
expect_status 2 "$COLL" -i 1 -a
for args in "-p" "--tlbi -a" "--no-such-option -a" "-i 1 -a"; do
	# shellcheck disable=SC2086
	n=$({ "$COLL" $args 2>&1 >/dev/null || true; } | wc -l)
	[ "$n" -eq 1 ] || fail "'s2collect $args' printed $n lines on stderr, not one"
done
{ "$COLL" -i 1 -a 2>&1 || true; } | grep -q -- '-i is --interval' || fail "s2collect -i does not name --interval"
pass "bad arguments (and -i, which is --interval): one line on stderr each"
"$COLL" -h | grep -- '--interval' >/dev/null || fail "-h does not list every option"
"$COLL" -h | grep -- '--faults' >/dev/null || fail "-h does not list --faults"

# check.py WORKLOAD.json COLLECTOR.json MODE: prints ok/FAIL lines.
cat >"$OUT/check.py" <<'PY'
import json, sys
wl, co, mode = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
summary = open(sys.argv[4]).read()
detail = mode == "clear"
bad = 0
def ok(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + mode + ": " + what)
    bad += not cond
def unavailable(m):
    return isinstance(m, dict) and m.get("available") is False and m.get("reason")

ok(co["schema"] == "s2perf.collector/1", "schema " + co["schema"])
ok(co["target"].get("exit_status") == 0, "the workload's exit status is in the document")
tier = co["tier"]
ok(tier["name"] == ("detail" if detail else "default"), "tier %s" % json.dumps(tier))
if not tier["kvm_stats"]:
    ok(unavailable(co["kvm_stats"]) and "binary stats" in co["kvm_stats"]["reason"],
       "no kernel stats, and why: %s" % co["kvm_stats"].get("reason"))
    if not detail:
        ok("stats" in tier.get("fallback", "") and
           "fault probes instead of the kernel's stats" in summary,
           "the fallback to probes is said: %s" % tier.get("fallback"))

wio, cio = wl["dirty"]["ioctls"], co["dirty"]["ioctls"]
for name in ("get_dirty_log", "clear_dirty_log"):
    w, c = wio[name]["value"], cio[name]["calls"]["value"]
    ok(w == c, "%s: workload %d calls, collector %d" % (name, w, c))

if mode != "ring":
    series = wl["dirty"]["get_log_time"]
    wsum = sum(series["values"])
    csum = cio["get_dirty_log"]["total_time"]["value"]
    n = len(series["values"])
    floor = wsum * 0.5 - 50000 * n
    ok(floor <= csum <= wsum, "GET_DIRTY_LOG time: collector %d ns, workload %d ns "
       "(allowed %d..%d over %d calls)" % (csum, wsum, max(floor, 0), wsum, n))
else:
    w, c = wio["reset_dirty_rings"]["value"], cio["reset_dirty_rings"]["calls"]["value"]
    # vCPU threads also reset a full ring on their own: at least the passes'
    ok(c >= w, "reset_dirty_rings: workload %d calls in passes, collector %d" % (w, c))
    rp = co["dirty"]["ring_pushes"]
    ok(unavailable(rp) or rp["value"] > 0, "ring pushes: %s" % json.dumps(rp))

# The workload counts every return of KVM_RUN, -EINTR ones too.
ex = co["exits"]
runs = wl["exits"]["kvm_run_returns"]["value"]
weintr = wl["exits"]["kvm_run_eintr"]["value"]
ue = ex["userspace"]["value"]
rr = ex["kvm_run_returns"]["value"]
ok(ue == runs and rr == runs, "userspace exits: workload %d KVM_RUN returns (%d -EINTR), "
   "collector %d kvm_userspace_exit, %d KVM_RUN returns (%d -EINTR)"
   % (runs, weintr, ue, rr, ex["kvm_run_eintr"]["value"]))

canary = co["canary"]["kvm_exit"]
lat, cnt = co["faults"]["latency"], co["faults"]["count"]
if isinstance(canary, dict) and canary.get("value") == 0 and ue > 0:
    for what, m in (("latency", lat), ("count", cnt), ("wp_faults", co["dirty"]["wp_faults"])):
        ok(unavailable(m) and "kvm:kvm_exit fired 0 times" in m["reason"],
           "fault %s unavailable with the measured reason: %s" % (what, m.get("reason")))
else:
    ok(not unavailable(cnt) and sum(v["value"] for v in cnt.values()
       if isinstance(v, dict) and "value" in v) > 0, "faults counted: %s" % json.dumps(cnt))

ov = co["overhead"]
ok(isinstance(ov.get("programs"), list) and ov["events"]["value"] > 0,
   "overhead: %d events, %.0f ns/event" % (ov["events"]["value"], ov["per_event"]["value"]))
# its own process's CPU while it watched: some (it wakes every 100 ms), less than all of one CPU
wall = wl["wall_time"]["value"]
ok(ov["own_cpu"]["unit"] == "ns" and 0 < ov["own_cpu"]["value"] < wall * 1.5 and
   0 < ov["own_cpu_share"]["value"] < 1,
   "own CPU while watching: %.2f ms, %.4f CPUs (the workload ran %.2f s)" % (
       ov["own_cpu"]["value"] / 1e6, ov["own_cpu_share"]["value"], wall / 1e9))
sys.exit(1 if bad else 0)
PY

for mode in get clear ring; do
	rc=0
	tier=
	[ $mode = clear ] && tier=--faults
	# shellcheck disable=SC2086
	"$COLL" $tier -o "$OUT/collector-$mode.json" -- \
		"$S2_DIRTY" -v 2 -b 64M -i 4 -l $mode -o "$OUT/workload-$mode.json" \
		>"$OUT/$mode.log" 2>&1 || rc=$?
	if [ $rc -eq 4 ] && [ $mode = ring ]; then
		echo "ring: skipped by the workload: $(grep -i skip "$OUT/$mode.log" | tail -n 1)"
		continue
	fi
	[ $rc -eq 0 ] || { tail -n 30 "$OUT/$mode.log"; fail "$mode: s2collect -- s2_dirty exited $rc"; }
	python3 "$OUT/check.py" "$OUT/workload-$mode.json" "$OUT/collector-$mode.json" $mode "$OUT/$mode.log" ||
		{ sed -n '/^== s2collect/,$p' "$OUT/$mode.log"; fail "$mode: the collector disagrees with the workload"; }
done

# -p on a process that ends: the collector stops with it, and a command's
# status is passed through.
expect_status 3 "$COLL" -- sh -c 'exit 3'
sleep 2 & p=$!
t0=$(date +%s.%N)
timeout 20 "$COLL" -p $p >"$OUT/pid.log" 2>&1 || fail "-p: the collector did not end with the process"
# It must have watched until the process ended, not given up at once.
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
awk -v s="$secs" 'BEGIN { exit !(s >= 1.5) }' || fail "-p: the collector returned after ${secs}s, before the process ended"
kill -0 $p 2>/dev/null && fail "-p: the collector ended while the process still ran"
pass "-p: watched for ${secs}s and ended with the process"

# More passes than the per-pass slots: the first MAX_PASSES are listed, the
# document says how many are not, the totals count them all.
rc=0
"$COLL" -o "$OUT/collector-long.json" -- \
	"$S2_DIRTY" -v 1 -b 1M -i 300 -l get -o "$OUT/workload-long.json" >"$OUT/long.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { tail -n 30 "$OUT/long.log"; fail "300 passes: s2collect -- s2_dirty exited $rc"; }
python3 - "$OUT/workload-long.json" "$OUT/collector-long.json" <<'PY' || fail "300 passes: the per-pass list is wrong"
import json, sys
wl, co = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
d = co["dirty"]
gets = wl["dirty"]["ioctls"]["get_dirty_log"]["value"]
calls = d["ioctls"]["get_dirty_log"]["calls"]["value"]
listed, extra = len(d["passes"]), d.get("passes_not_listed", {})
print(f"{gets} GET_DIRTY_LOG by the workload, {calls} counted; {listed} passes listed, "
      f"{extra.get('value')} not: {extra.get('reason')}")
# pass 0 runs until the first GET: GETs + 1 passes in all
assert calls == gets and listed == 256 and extra.get("value") == gets + 1 - 256, "mismatch"
PY
grep -q "per-pass figures.*the first 256 of $((300 + 1)) passes" "$OUT/long.log" || fail "300 passes: the summary does not say that passes are not listed"
pass "300 passes: 256 listed, the rest counted and said"
