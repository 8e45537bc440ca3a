#!/usr/bin/env bash
# bpf/s2top, the live view, used as a person uses it: in a terminal (tmux:
# send-keys, capture-pane) beside a running workload, its rows checked
# against the workload's own counts. Facts:
#
# This host (x86_64, no stage-2 stats), when it has /dev/kvm:
#  - bad arguments: one line on stderr, status 2; no terminal without -b:
#    the same; -h lists the options and keys, status 0;
#  - batch mode (-b -c) beside s2_dirty: the workload's row (its pid, 2
#    vCPUs); the fault, latency, TLBI and CMO columns are "-" and a line
#    says they are unavailable and why (never 0); the dirty-log calls
#    summed over the frames equal the workload's GET + CLEAR calls;
#  - in tmux: the row is on screen, a sort key changes the sort, q quits
#    with status 0 and the session ends.
# The arm64 target (patched debug kernel, its default tier: the kernel's
# stage-2 stats, BPF only for mmu_lock waits and the dirty-log ioctls), one
# boot, in the root file system's tmux:
#  - live: s2top in tmux, s2_dirty -S fastpath started beside it; the
#    captured screens show the VM's row (the workload's pid, fastpath, 2
#    vCPUs) with plausible rates: write-protection faults/s > 0 and at
#    most 10x the workload's own mean rate over its dirty passes (emulated
#    time is uneven) and never more than its total,
#    >= 98% of them lock-free under fastpath, p50 <= p99, dirty-log
#    calls/s > 0; a sort key re-sorts; q ends s2top with status 0 and the
#    tmux session with it;
#  - batch (-b -c, counts per frame) beside another s2_dirty run: faults,
#    write-protection faults, fast-path hits, TLBIs and dirty-log calls
#    summed over the frames equal the workload's kvm_stats and ioctl counts
#    (within 1%: s2top starts before the VM and reads it once more after
#    it ends, so they should be exact);
#  - its own cost: s2top's CPU share and its BPF programs' runs and time
#    over the batch run (printed, from its exit line).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# frames.py (imported by the checks below; FILE PID on its own): the rows
# of PID in every frame of an s2top batch output or tmux capture, as
# {column: cell} (named by the header line).
cat >"$OUT/frames.py" <<'PY'
import json, sys
def rows(path, pid):
    hdr, out = None, []
    for line in open(path, errors="replace"):
        t = line.split()
        if t and t[0] == "PID":
            hdr = t
            continue
        if not t:
            hdr = None
            continue
        if hdr and t[0] == str(pid) and len(t) == len(hdr):
            out.append(dict(zip(hdr, t)))
    return out
if __name__ == "__main__":
    for r in rows(sys.argv[1], sys.argv[2]):
        print(json.dumps(r))
PY

# ---- this host ----
host_check() {
	[ "$(uname -m)" = x86_64 ] || { echo "info: host part skipped: not x86_64"; return 0; }
	[ -c /dev/kvm ] || { echo "info: host part skipped: no /dev/kvm"; return 0; }
	[ -r /sys/kernel/btf/vmlinux ] || { echo "info: host part skipped: no BTF"; return 0; }
	make -C "$ROOT/bpf" ARCH=x86_64 OUT="$OUT/bpf" >"$OUT/make.log" 2>&1 ||
		{ cat "$OUT/make.log"; fail "s2top does not build natively"; }
	local top=$OUT/bpf/s2top s2_dirty args n
	[ -x "$top" ] || fail "make built no $top"
	if [ -z "${S2_DIRTY:-}" ]; then
		local bin gdir
		bin=$("$ROOT/target/build-selftests.sh" -a x86_64 | tail -n 1)
		gdir=$("$ROOT/target/build-guests.sh" -a x86_64 -s "$bin" | tail -n 1)
		S2_DIRTY=$gdir/guests/s2_dirty
	fi
	s2_dirty=$S2_DIRTY

	for args in "--interval x --batch" "-p 1 -a --batch" "--no-such-option" "--batch extra" "-s NOPE --batch" \
		"-n -1 --batch" "-i 1 --batch" "-b"; do
		# shellcheck disable=SC2086
		expect_status 2 "$top" $args
		# shellcheck disable=SC2086
		n=$({ "$top" $args 2>&1 >/dev/null || true; } | wc -l)
		[ "$n" -eq 1 ] || fail "'s2top $args' printed $n lines on stderr, not one"
	done
	expect_status 2 "$top" </dev/null
	# the old spellings: one line naming the long option
	{ "$top" -i 1 --batch 2>&1 || true; } | grep -q -- '-i is --interval' || fail "s2top -i does not name --interval"
	{ "$top" -b 2>&1 || true; } | grep -q -- '-b is --batch' || fail "s2top -b does not name --batch"
	"$top" -h >"$OUT/help.txt"
	for w in --interval --pid --all --batch --count --counts --sort "q quits"; do
		grep -q -- "$w" "$OUT/help.txt" || fail "-h does not mention $w"
	done
	pass "bad arguments, -i and -b (--interval, --batch) and no terminal: one line, status 2; -h lists options and keys"

	# s2top finds a VMM at its first look after the VM's fd appears: the
	# workload must outlive a few looks (CI's quiet machine ran 4 passes
	# of 16M in under 0.5 s, between two looks, and no row was seen)
	"$top" --batch -c --interval 0.25 >"$OUT/host-batch.txt" 2>"$OUT/host-batch.err" &
	local tpid=$! wpid
	# attached once it prints the legend: then start the workload
	for n in $(seq 100); do
		grep -q '^FLT faults' "$OUT/host-batch.txt" && break
		sleep 0.1
	done
	"$s2_dirty" -q -v 2 -b 16M -i 24 -l clear -o "$OUT/host-wl.json" >"$OUT/host-wl.txt" 2>&1 &
	wpid=$!
	wait "$wpid" || fail "the host workload failed: $(tail -n 5 "$OUT/host-wl.txt")"
	sleep 1.2
	kill -INT "$tpid"
	wait "$tpid" || fail "s2top --batch exited $? on SIGINT"
	cat "$OUT/host-batch.err"
	PYTHONPATH=$OUT python3 - "$OUT/frames.py" "$OUT/host-batch.txt" "$wpid" "$OUT/host-wl.json" <<'PY' ||
import json, sys
import frames
rows, wl = frames.rows(sys.argv[2], sys.argv[3]), json.load(open(sys.argv[4]))
text = open(sys.argv[2]).read()
assert rows, "no row for the workload's pid %s" % sys.argv[3]
assert all(r["VCPU"] == "2" for r in rows), rows
for c in ("FLT", "WP", "P50us", "P99us", "TLBI", "CMO-B"):
    assert all(r[c] == "-" for r in rows), (c, rows)
assert "columns unavailable: this kernel keeps no stage-2 binary stats" in text, text[:600]
io = wl["dirty"]["ioctls"]
want = io["get_dirty_log"]["value"] + io["clear_dirty_log"]["value"]
got = sum(int(r["DLOG"]) for r in rows if r["DLOG"] != "-")
assert got == want, "dirty-log calls: s2top %d, workload %d" % (got, want)
print("ok: host: %d frames of pid %s, fault columns '-' with the reason; dirty-log calls "
      "%d = the workload's %d" % (len(rows), sys.argv[3], got, want))
PY
		fail "host batch: s2top's rows disagree with the workload"

	# In a terminal: tmux, as a person would.
	local sock=s2top-$$ tm
	export TERM=${TERM:-xterm}
	tm() { tmux -L "$sock" "$@"; }
	tm new-session -d -s top -x 240 -y 30 \
		"'$top' -i 0.5; echo \$? >'$OUT/host-tmux.status'"
	# a workload that outlives the captures: stopped below
	"$s2_dirty" -q -v 2 -b 16M -i 2000 -l get -o /dev/null >"$OUT/host-wl2.txt" 2>&1 &
	wpid=$!
	for n in $(seq 50); do
		ls -l "/proc/$wpid/fd" 2>/dev/null | grep -q kvm-vm && break
		sleep 0.2
	done
	sleep 2
	tm capture-pane -p -t top >"$OUT/host-cap1.txt"
	tm send-keys -t top n
	sleep 1
	tm capture-pane -p -t top >"$OUT/host-cap2.txt"
	tm send-keys -t top q
	sleep 1.5
	kill "$wpid" 2>/dev/null || true
	wait "$wpid" || true
	tm kill-server 2>/dev/null || true
	grep -q "^ *$wpid " "$OUT/host-cap1.txt" || { cat "$OUT/host-cap1.txt"; fail "tmux: no row for $wpid"; }
	grep -q "sort PID" "$OUT/host-cap2.txt" || { cat "$OUT/host-cap2.txt"; fail "tmux: key n did not sort by PID"; }
	[ "$(cat "$OUT/host-tmux.status" 2>/dev/null)" = 0 ] || fail "tmux: q did not end s2top with status 0"
	pass "host tmux: the workload's row on screen, n sorts by PID, q quits with status 0"
}
if [ "$(id -u)" = 0 ]; then
	host_check
else
	echo "info: host part skipped: not root"
fi

# ---- the arm64 target ----
need_stage2_stats
rootfs_with tmux

cat >"$OUT/t.sh" <<'SH'
export TERM=xterm
# The latency columns read the kernel's fault clock: off by default.
echo Y >/sys/module/kvm/parameters/stage2_fault_timing
W="s2_dirty -q -S fastpath -v 2 -b 16M -i 10 -l clear"
# The root file system's tmux needs a pty: devpts where s2chroot's /dev is.
s2chroot true
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=0666 devpts /rootfs/dev/pts || echo "devpts mount failed"
tm() { s2chroot tmux -L s2top "$@"; }

# Live: s2top in a terminal, the workload started beside it.
tm new-session -d -s top -x 240 -y 30 "s2top --interval 1; echo \$? >/results/tmux.status"
sleep 3
$W -o wl-live.json >wl-live.txt 2>&1 &
wpid=$!
echo $wpid >wl-live.pid
i=0
# Every second: the dirty-log calls come two at a time at the end of each
# ~2.4 s pass, so a 1-s frame shows them only now and then (in one run all
# 6 captures taken every 2 s missed them).
while kill -0 $wpid 2>/dev/null; do
	sleep 1
	i=$((i + 1))
	tm capture-pane -p -t top >cap-$i.txt
done
wait $wpid
echo "wl-live $?" >>status.txt
tm send-keys -t top w
sleep 2
tm capture-pane -p -t top >cap-sorted.txt
tm send-keys -t top q
sleep 2
tm has-session -t top 2>/dev/null && echo "tmux session still there" >>status.txt
echo "tmux $(cat tmux.status 2>/dev/null)" >>status.txt

# Batch: counts per frame, summed against the workload's own.
s2top --batch -c --interval 1 >batch.txt 2>batch.err &
tpid=$!
sleep 3
$W -o wl-batch.json >wl-batch.txt 2>&1 &
wpid=$!
echo $wpid >wl-batch.pid
wait $wpid
echo "wl-batch $?" >>status.txt
sleep 3
kill -INT $tpid
wait $tpid
echo "batch $?" >>status.txt
SH
expect_status 0 launch t -r "$ROOTFS" -t 450 -I "$OUT/t.sh" -- sh t.sh
d=$OUT/t
cat "$d/status.txt"
for s in "wl-live 0" "tmux 0" "wl-batch 0" "batch 0"; do
	grep -qx "$s" "$d/status.txt" || fail "in the target: expected '$s' in status.txt"
done
grep -q "still there" "$d/status.txt" && fail "q ended s2top but the tmux session stayed"
pass "q quit s2top with status 0 and its tmux session ended; the workloads passed"
cat "$d/batch.err"

PYTHONPATH=$OUT python3 - "$OUT/frames.py" "$d" <<'PY' || fail "the live view disagrees with the workload"
import glob, json, re, sys
import frames
d = sys.argv[2]
pid = open(d + "/wl-live.pid").read().strip()
wl = json.load(open(d + "/wl-live.json"))
caps = sorted(glob.glob(d + "/cap-[0-9]*.txt"), key=lambda p: int(re.findall(r"\d+", p)[-1]))
bad = 0
def ok(cond, what):
    global bad
    print(("ok: " if cond else "FAIL: ") + "live: " + what)
    bad += not cond
rows = [r for c in caps for r in frames.rows(c, pid)]
ok(len(caps) >= 3 and rows, "%d captures, %d with the workload's row (pid %s)"
   % (len(caps), len(rows), pid))
if not rows:
    print(open(caps[-1]).read() if caps else "no capture")
    sys.exit(1)
# (a frame may catch the VM before its vCPUs are made: only busy rows count)
busy = [r for r in rows if r["FLT"] not in ("-", "0")]
ok(busy and all(r["STRATEGY"] == "fastpath" and r["VCPU"] == "2" for r in busy),
   "the row names the strategy and vCPUs: %s" % sorted({(r["STRATEGY"], r["VCPU"]) for r in rows}))
text = open(caps[0]).read()
ok("the kernel's stage-2 stats" in text, "the screen names the tier")
def num(s):
    m = {"k": 1e3, "M": 1e6, "G": 1e9}
    return float(s[:-1]) * m[s[-1]] if s[-1] in m else float(s)
wp = [num(r["WP"]) for r in rows if r["WP"] != "-"]
ks = wl["kvm_stats"]["vcpu"]
wp_total = ks["s2_fault_wp"]["value"]
passes = sum(wl["dirty"]["pass_time"]["values"]) / 1e9
mean_rate = wp_total / passes
ok(max(wp) > 0, "write-protection faults/s seen: max %.0f/s" % max(wp))
# a frame is one second of a pass or of the time between passes
# Emulated time is uneven (a vCPU stalls, then catches up): a second of a
# pass may run several times the pass's mean, never beyond the whole run.
ok(max(wp) <= min(10 * mean_rate, wp_total), "max %.0f/s within 10x the workload's own "
   "mean over its passes (%d WP faults in %.2f s: %.0f/s)" % (max(wp), wp_total, passes, mean_rate))
# a frame may fall between a fault's path and WP counts: one per vCPU
busy = [r for r in rows if r["WP"] != "-" and num(r["WP"]) >= 200]
ok(busy and all(float(r["LKFREE%"]) >= 98 for r in busy),
   "lock-free share under fastpath: %s" % [r["LKFREE%"] for r in busy])
lat = [(num(r["P50us"]), num(r["P99us"])) for r in rows if r["P50us"] != "-"]
ok(lat and all(0 < a <= b for a, b in lat), "p50 <= p99 (us): %s" % lat[:4])
ok(any(r["DLOG"] != "-" and num(r["DLOG"]) > 0 for r in rows), "dirty-log calls/s > 0")
ok(any(r["TLBI"] != "-" and num(r["TLBI"]) > 0 for r in rows), "TLBIs/s > 0")
ok("sort WP" in open(d + "/cap-sorted.txt").read(), "key w sorts by WP")
print("info: a screen while the workload ran:")
print(open(caps[min(2, len(caps) - 1)]).read().rstrip())
sys.exit(1 if bad else 0)
PY
pass "live: the workload's row, its strategy, vCPUs and plausible rates on screen"

PYTHONPATH=$OUT python3 - "$OUT/frames.py" "$d" <<'PY' || fail "batch: the frames' counts disagree with the workload's"
import json, sys
import frames
d = sys.argv[2]
pid = open(d + "/wl-batch.pid").read().strip()
wl = json.load(open(d + "/wl-batch.json"))
rows = frames.rows(d + "/batch.txt", pid)
assert rows, "no row for pid %s in batch.txt" % pid
def total(c):
    return sum(int(r[c]) for r in rows if r[c] != "-")
ks, km = wl["kvm_stats"]["vcpu"], wl["kvm_stats"]["vm"]
io = wl["dirty"]["ioctls"]
want = {
    "FLT": sum(ks["s2_fault_" + k]["value"] for k in ("translation", "permission", "access")),
    "WP": ks["s2_fault_wp"]["value"],
    "FAST": ks["s2_fault_fast"]["value"],
    "TLBI": sum(km["s2_tlbi_" + k]["value"] for k in ("vmid", "ipa", "ipa_local", "range")),
    "DLOG": io["get_dirty_log"]["value"] + io["clear_dirty_log"]["value"],
}
bad = 0
for c, w in want.items():
    g = total(c)
    good = abs(g - w) <= 0.01 * max(g, w)
    bad += not good
    print("%s: batch: %s summed over %d frames %d, the workload's %d" %
          ("ok" if good else "FAIL", c, len(rows), g, w))
sys.exit(1 if bad else 0)
PY
pass "batch: per-frame counts sum to the workload's own"
