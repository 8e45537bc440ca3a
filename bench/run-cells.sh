#!/bin/sh
# bench/run-cells.sh RUN [PROFILE]: run the cells of RUN/cells.txt (from
# `s2bench plan expand`) that have no status yet, one after another, each in
# RUN/cells/<id>/, and go on whatever a cell does.
#
# POSIX sh: the same script runs in the target's busybox sh (where RUN is
# /results, shared with the host) and on a host under dash or bash.
#
# Per cell: cells/<id>/started (written before it starts), output.log (its
# output), workload.json (and collector.json for collected cells), reason
# (only for a cell the runner could not run as the plan asks), status
# (its exit status: 0 ok, 4 skipped, 124/137 killed at the timeout, or
# "died") and elapsed (seconds). A cell with `started` but no `status` when
# the runner starts was running when the target died: it gets "died" and is
# not run again (the next cell might be the one that kills the target).
#
# Exit status: 0 every cell of PROFILE ok or skipped, 1 some failed, hung
# or died, 2 bad arguments; 130 when interrupted (the interrupted cell is
# removed and runs again on the next start).
set -u
set -f	# cells' words are split on spaces, never globbed

usage() {
	cat <<'USAGE'
usage: run-cells.sh RUN [PROFILE]

Run the cells of RUN/cells.txt that have no RUN/cells/<id>/status, in
order; only PROFILE's cells if given. Prints one line per cell:
  [i/n] id workload strategy rep N mode: ok|skipped|FAILED (status)  secs, ETA
and appends it to RUN/runner.log.
USAGE
}

case ${1:-} in
-h | --help) usage; exit 0 ;;
'') usage >&2; exit 2 ;;
esac
run=$1
profile=${2:-}
cd "$run" 2>/dev/null || { echo "run-cells: cannot enter $run" >&2; exit 2; }
[ -f cells.txt ] || { echo "run-cells: $run has no cells.txt (see s2bench plan expand)" >&2; exit 2; }
command -v timeout >/dev/null 2>&1 || { echo "run-cells: no timeout command" >&2; exit 2; }
# Each cell in its own session, so that whatever it leaves behind (a
# workload orphaned when its collector was killed: busybox's timeout kills
# one process, not a group) is killed with it.
setsid=
command -v setsid >/dev/null 2>&1 && setsid=setsid

tab=$(printf '\t')
mkdir -p cells
# The collector's tier for cells of mode "collected" (plan key "collector"
# with one s2collect tier); modes collected-default, collected-detail and
# bpftrace name theirs.
collector_tier=$(sed -n 's/^S2B_COLLECTOR=//p' run.env 2>/dev/null)
case $collector_tier in
detail) collector_opts=-F ;;
default | bpftrace | '') collector_opts= ;;
*) echo "run-cells: run.env: unknown collector tier '$collector_tier'" >&2; exit 2 ;;
esac
# KVM module parameters the plan sets for its cells: written before the
# first cell, and what they were put back when the runner ends (on a host
# they outlive the run; in the target, the boot).
restore=
restore_params() {
	[ -n "$restore" ] && eval "$restore"
	restore=
}
trap restore_params EXIT
# set_param NAME Y|N: 0 when kvm.NAME is (now) the value, 1 when there is
# no such parameter, 2 when it cannot be written.
set_param() {
	f=/sys/module/kvm/parameters/$1
	[ -e "$f" ] || return 1
	old=$(cat "$f" 2>/dev/null)
	[ "$old" = "$2" ] && return 0
	echo "$2" >"$f" 2>/dev/null || return 2
	restore="echo $old >$f 2>/dev/null; $restore"
	return 0
}
onoff() {
	case $2 in
	on | '') echo Y ;;
	off) echo N ;;
	*) echo "run-cells: run.env: $1 '$2' is not on or off" >&2; return 1 ;;
	esac
}
# The kernel's fault timing (plan key fault_timing, default on): the
# s2_fault_time_ns and s2_fault_hist stats, off by default in the kernel
# (kvm.stage2_fault_timing). A kernel without the series has no parameter,
# and nothing to time.
ft_value=$(onoff fault_timing "$(sed -n 's/^S2B_FAULT_TIMING=//p' run.env 2>/dev/null)") || exit 2
set_param stage2_fault_timing "$ft_value"
[ $? -eq 2 ] && { echo "run-cells: could not set kvm.stage2_fault_timing to $ft_value" >&2; exit 2; }
# Hardware access-flag updates for new VMs (plan key hw_access, default on;
# kvm.stage2_hw_access, patch 0008): off clears VTCR_EL2.HA, so that aging's
# cost shows as access-flag faults. On is what every kernel does: a kernel
# without the parameter runs such cells as they are; one that cannot turn
# it off fails every cell with the reason.
hw_access=$(sed -n 's/^S2B_HW_ACCESS=//p' run.env 2>/dev/null)
ha_value=$(onoff hw_access "$hw_access") || exit 2
ha_refused=
set_param stage2_hw_access "$ha_value"
case $?,$ha_value in
0,* | 1,Y) ;;
1,N) ha_refused="hw_access off: this kernel has no kvm.stage2_hw_access (patch 0008), so hardware access-flag updates cannot be turned off" ;;
*) ha_refused="hw_access $hw_access: could not write $ha_value to /sys/module/kvm/parameters/stage2_hw_access" ;;
esac
# bpftrace: in the emulated target from the Debian root file system
# (launch -r; s2chroot), on a host its own. The script sits in the run
# directory (run-plan.sh puts it there).
bpftrace=bpftrace
command -v s2chroot >/dev/null 2>&1 && [ -d /rootfs/usr ] && bpftrace="s2chroot bpftrace"

say() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>runner.log
}
# Seconds since boot (1/100 s), the same clock in the target and on a host.
now() {
	read -r up _ </proc/uptime
	printf '%s\n' "$up"
}
secs_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# 3725 -> 1h02m, 125 -> 2m05s
duration() {
	awk -v s="$1" 'BEGIN { s = int(s + 0.5)
		if (s >= 3600) printf "%dh%02dm", s / 3600, (s % 3600) / 60
		else if (s >= 60) printf "%dm%02ds", s / 60, s % 60
		else printf "%ds", s }'
}
# The reason a workload gave in its document (for skipped cells).
doc_reason() {
	sed -n 's/^  "reason": "\(.*\)",*$/\1/p' "$1" 2>/dev/null | head -n 1
}

# First pass: how many cells, which are done, which died with the target.
n=0 todo=0 died=
while IFS=$tab read -r id prof rep mode tmo argv; do
	[ -n "$id" ] || continue
	[ -z "$profile" ] || [ "$prof" = "$profile" ] || continue
	n=$((n + 1))
	[ -f "cells/$id/status" ] && continue
	if [ -f "cells/$id/started" ]; then
		echo died >"cells/$id/status"
		died="$died $id"
		continue
	fi
	todo=$((todo + 1))
done <cells.txt
[ $n -gt 0 ] || { echo "run-cells: no cells${profile:+ for profile $profile} in cells.txt" >&2; exit 2; }
say "run-cells: $n cells${profile:+ (profile $profile)}, $((n - todo)) done, $todo to run ($(uname -r))"
for id in $died; do
	say "run-cells: cell $id: died (it was running when the target stopped; not run again)"
done

pid=
interrupted() {
	[ -n "$pid" ] && [ -n "$setsid" ] && kill -KILL -"$pid" 2>/dev/null
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	# Not the cell's fault: it runs again next time.
	[ -n "${cur:-}" ] && rm -rf "cells/$cur"
	say "run-cells: interrupted${cur:+ during cell $cur (removed; it runs again on resume)}"
	exit 130
}
trap interrupted INT TERM HUP

i=0 ran=0 spent=0 cur=
while IFS=$tab read -r id prof rep mode tmo argv; do
	[ -n "$id" ] || continue
	[ -z "$profile" ] || [ "$prof" = "$profile" ] || continue
	i=$((i + 1))
	[ -f "cells/$id/status" ] && continue
	d=cells/$id
	mkdir -p "$d"
	t0=$(now)
	echo "$t0" >"$d/started"
	cur=$id
	# shellcheck disable=SC2086 # the cell's words, split on spaces
	set -- $argv
	workload=$1 strategy=?
	while [ $# -gt 1 ]; do
		[ "$1" = -S ] && { strategy=$2; break; }
		shift
	done
	# What the plan asked of the kernel and it cannot do: the cell fails,
	# saying why (s2bench table reads the reason file).
	if [ -n "$ha_refused" ]; then
		printf '%s\n' "$ha_refused" | tee "$d/reason" >"$d/output.log"
		echo 0 >"$d/elapsed"
		echo 1 >"$d/status.tmp" && mv "$d/status.tmp" "$d/status"
		cur=
		ran=$((ran + 1))
		say "[$i/$n] $id $workload $strategy rep $rep $mode: FAILED ($ha_refused)"
		continue
	fi
	# shellcheck disable=SC2086 # the cell's words
	set -- $argv -o workload.json
	case $mode in
	timed) ;;
	# shellcheck disable=SC2086 # empty or one word
	collected) set -- s2collect $collector_opts -o collector.json -- "$@" ;;
	collected-default) set -- s2collect -o collector.json -- "$@" ;;
	collected-detail) set -- s2collect -F -o collector.json -- "$@" ;;
	bpftrace)
		# bpftrace -c starts the command once every probe is attached
		# (its LLVM compile is not in the workload's figures) and takes
		# one word list, no shell: a script runs the workload and keeps
		# its status, which bpftrace's own does not carry.
		printf '%s\necho $? >workload.status\n' "$*" >"$d/workload.sh"
		# shellcheck disable=SC2086 # one or two words
		set -- $bpftrace -q -c "/bin/sh $PWD/$d/workload.sh" "$PWD/s2faults.bt" ;;
	*) echo "run-cells: cell $id: unknown mode '$mode'" >&2; exit 2 ;;
	esac
	(cd "$d" && exec $setsid timeout -s KILL "$tmo" "$@") \
		</dev/null >"$d/output.log" 2>&1 &
	pid=$!
	st=0
	# (bash reports a killed job on the shell's stderr: the status says it)
	wait "$pid" 2>/dev/null || st=$?
	[ -n "$setsid" ] && kill -KILL -"$pid" 2>/dev/null
	# under bpftrace: the workload's own status, when it ran
	[ "$mode" = bpftrace ] && [ "$st" -eq 0 ] && st=$(cat "$d/workload.status" 2>/dev/null || echo 1)
	pid=
	t1=$(now)
	el=$(secs_between "$t0" "$t1")
	echo "$el" >"$d/elapsed"
	echo "$st" >"$d/status.tmp" && mv "$d/status.tmp" "$d/status"
	cur=
	ran=$((ran + 1))
	spent=$(awk -v a="$spent" -v b="$el" 'BEGIN { print a + b }')
	case $st in
	0) what=ok ;;
	4) r=$(doc_reason "$d/workload.json"); what="skipped${r:+ ($r)}" ;;
	124 | 137)
		if awk -v e="$el" -v t="$tmo" 'BEGIN { exit !(e >= t - 1) }'; then
			what="FAILED ($st: hung, killed after $tmo s)"
		else
			what="FAILED ($st)"
		fi ;;
	*) what="FAILED ($st)" ;;
	esac
	left=$((todo - ran))
	eta=
	[ $left -gt 0 ] && eta=", ETA $(duration "$(awk -v s="$spent" -v r="$ran" -v l="$left" \
		'BEGIN { print s / r * l }')")"
	say "[$i/$n] $id $workload $strategy rep $rep $mode: $what  ${el} s$eta"
done <cells.txt

ok=0 skipped=0 bad=0
while IFS=$tab read -r id prof rest; do
	[ -n "$id" ] || continue
	[ -z "$profile" ] || [ "$prof" = "$profile" ] || continue
	st=$(cat "cells/$id/status" 2>/dev/null)
	case $st in
	0) ok=$((ok + 1)) ;;
	4) skipped=$((skipped + 1)) ;;
	*) bad=$((bad + 1)) ;;
	esac
done <cells.txt
say "run-cells: done${profile:+ (profile $profile)}: $ok ok, $skipped skipped, $bad failed/hung/died of $n; this start ran $ran in $(duration "$spent")"
[ $bad -eq 0 ]
