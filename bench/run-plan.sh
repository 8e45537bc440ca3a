#!/usr/bin/env bash
# bench/run-plan.sh: a plan end to end. Expand it into a run directory,
# record the environment, build (or reuse) what the target needs, run every
# cell (in the emulated target, booting again after a hang or a crash, or
# on this machine's /dev/kvm), then the table and the report.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
S2PERF_TOOL=run-plan
. "$ROOT/target/common.sh"
. "$ROOT/target/build-all.sh"
. "$ROOT/bench/lib.sh"

# Boots in a row that finish no cell before a profile is given up.
MAX_STALLED_BOOTS=3
# A target that finishes no cell for the cell timeout plus this long is
# stopped (a cell's own timeout runs inside the target: only a stuck
# kernel gets past it).
STALL_GRACE=180

usage() {
	cat <<USAGE
usage: bench/run-plan.sh [options]      (also: ./run.sh run [options])

Run a plan (bench/README.md): expand it into results/<plan>-<UTC time>/,
write env.json, build or reuse the kernel, workloads and collector, run
every cell (bench/run-cells.sh), then s2bench table and s2bench report.

  --plan NAME|FILE     bench/plans/NAME or a plan file          (default: default)
  --target qemu|host   where the cells run, instead of the plan's target:
                         qemu  the emulated arm64 target (target/launch), one
                               boot per CPU profile, booted again when it
                               hangs or dies, given up after $MAX_STALLED_BOOTS boots
                               in a row that finish no cell
                         host  this machine's /dev/kvm, with natively built
                               workloads (x86_64, or arm64 on the patched kernel)
  --profile LIST       CPU profiles instead of the plan's (max, neoverse-n1)
  --flavour F          kernel flavour instead of the plan's (default, debug, kasan)
  --kernel K           the kernel under test instead of the plan's (qemu only;
                       a plan listing several runs each: bench/run-kernels.sh):
                         series      $KSRC_PKG + kernel-patches/series
                         series:N    its first N patches (series:0 = upstream)
                         upstream    $KSRC_PKG as Debian ships it
                         debian:V    linux-source-V (e.g. 6.1), installed when asked
                         BASE+PATH   BASE plus a directory of patches or an mbox
                         image:DIR   a prebuilt Image and vmlinux
  --clock C            icount | realtime instead of the plan's (qemu only):
                         icount    time is the emulated instruction count:
                                   the same in every boot (decisions), blind
                                   to parallelism and lock waits
                         realtime  the host's time: parallel, noisy
  --resume RUN         finish RUN (an interrupted run): no expansion; cells
                       with a status are not run again
  --out DIR            where run directories go                 (default: results/)
  -h, --help           this help

Exit status: 0 every cell ok or skipped, 1 some cell failed, hung or died
(everything is written all the same), 2 bad arguments or a broken run.
Interrupted (Ctrl-C): the cell that was running is removed; finish with
--resume RUN.
USAGE
}

plan=default target= profiles= flavour= clock= kernel= resume= out=$ROOT/results
declare -A opt_var=([--plan]=plan [--target]=target [--profile]=profiles [--flavour]=flavour
	[--clock]=clock [--kernel]=kernel [--resume]=resume [--out]=out)
orig_args=("$@")
parse_opts "$@"

build_s2bench

if [ -n "$resume" ]; then
	[ -f "$resume/manifest.json" ] && [ -f "$resume/run.env" ] && [ -f "$resume/cells.txt" ] ||
		bad "--resume: $resume is not an expanded run (no manifest.json, run.env, cells.txt)"
	[ "$plan$target$profiles$flavour$clock$kernel" = default ] ||
		bad "--resume: the run's plan, target, profiles, flavour, clock and kernel are fixed; give only --resume"
	run=$(cd "$resume" && pwd)
else
	planfile=$(plan_file "$plan") || exit 2
	mkdir -p "$out"
	run=$(cd "$out" && pwd)/$(basename "$planfile")-$(date -u +%Y%m%dT%H%M%SZ)
	args=()
	[ -n "$target" ] && args+=(--target "$target")
	[ -n "$profiles" ] && args+=(--profile "$profiles")
	[ -n "$flavour" ] && args+=(--flavour "$flavour")
	[ -n "$clock" ] && args+=(--clock "$clock")
	[ -n "$kernel" ] && args+=(--kernel "$kernel")
	"$S2BENCH" plan expand "${args[@]}" "$planfile" "$run" >&2 || exit 2
	# Several kernels: one run each, then compared (bench/run-kernels.sh).
	nk=$(. "$run/run.env"; set -- $S2B_KERNELS; echo $#)
	if [ "$nk" -gt 1 ]; then
		rm -rf "$run"
		say "the plan lists $nk kernels: one run each (bench/run-kernels.sh)"
		exec "$ROOT/bench/run-kernels.sh" "${orig_args[@]}"
	fi
fi
# S2B_PLAN S2B_TARGET S2B_FLAVOUR S2B_KVM S2B_PROFILES S2B_CPUS S2B_MEMORY S2B_TIMEOUT S2B_CELLS
# S2B_CLOCK (runs expanded before it: realtime)
. "$run/run.env"
S2B_CLOCK=${S2B_CLOCK:-realtime}
# Runs expanded before the kernel key: the shipped series.
S2B_KERNELS=${S2B_KERNELS:-series}
S2B_FAULT_TIMING=${S2B_FAULT_TIMING:-on}
S2B_HW_ACCESS=${S2B_HW_ACCESS:-on}
say "run directory: $run"
mkdir -p "$run/cells" "$run/boots"

# Cells of profile $1 that have no status yet.
remaining() {
	local id n=0
	while IFS=$'\t' read -r id prof _; do
		[ "$prof" = "$1" ] && [ ! -f "$run/cells/$id/status" ] && n=$((n + 1))
	done <"$run/cells.txt"
	echo "$n"
}

# Cells of profile $1 that started and have no status: what was running
# when the target or the runner stopped.
unfinished() {
	local id
	while IFS=$'\t' read -r id prof _; do
		[ "$prof" = "$1" ] && [ -f "$run/cells/$id/started" ] &&
			[ ! -f "$run/cells/$id/status" ] && echo "$id"
	done <"$run/cells.txt"
	return 0
}

statuses() { find "$run/cells" -mindepth 2 -maxdepth 2 -name status | wc -l; }

# ---- env.json: what the numbers depend on ----

git_commit=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
git_dirty=false
[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && git_dirty=true
host_cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)

write_env() {
	local file=$1
	shift
	"$S2BENCH" env "$file" "date=$(date -u +%FT%TZ)" "plan=$S2B_PLAN" \
		"target=$S2B_TARGET" "clock=$S2B_CLOCK" "s2perf.commit=$git_commit" "s2perf.dirty:=$git_dirty" \
		"host.cpu_model=${host_cpu:-unknown}" "host.cpus:=$(nproc)" \
		"host.arch=$(uname -m)" "host.kernel=$(uname -r)" "$@"
}

# What a kernel directory's info file says about KEY (unavailable: why).
kinfo() {
	local v
	if [ -f "$RUN_KDIR/info" ]; then
		v=$(sed -n "s/^$1: //p" "$RUN_KDIR/info" | head -n 1)
		echo "${v:-unavailable: not in $RUN_KDIR/info}"
	else
		echo "unavailable: a prebuilt kernel ($S2B_KERNELS) has no s2perf info file"
	fi
}

env_qemu() {
	local file=$1 qv rel cfg patches
	qv=$(qemu-system-aarch64 --version | head -n 1)
	rel=$(kinfo release)
	if [ ! -f "$RUN_KDIR/info" ]; then
		rel=$(strings -n 16 "$RUN_KDIR/Image" 2>/dev/null | sed -n 's/^Linux version \([^ ]*\).*/\1/p' | head -n 1)
		rel=${rel:-unavailable: no version string in $RUN_KDIR/Image}
	fi
	cfg="unavailable: no $RUN_KDIR/config"
	[ -f "$RUN_KDIR/config" ] && cfg=$(sha256sum <"$RUN_KDIR/config" | cut -c1-64)
	# The patches applied, in order: "name sha256-prefix" each.
	patches=$( (sed -n 's/^patch: //p' "$RUN_KDIR/info" 2>/dev/null || true) |
		sed 's/[\\"]/\\&/g; s/.*/"&"/' | paste -sd, | sed 's/^/[/; s/$/]/')
	# A prebuilt kernel's patches are not known: say so, not [].
	[ -f "$RUN_KDIR/info" ] || patches="\"$(kinfo patches)\""
	write_env "$file" "kernel.release=$rel" "kernel.spec=$S2B_KERNELS" \
		"kernel.flavour=$S2B_FLAVOUR" "kernel.series=$(kinfo series)" \
		"kernel.patches=$(kinfo patches)" "kernel.patch_count=$(kinfo patch_count)" \
		"kernel.patch_list:=$patches" "kernel.config_missing=$(kinfo config_missing)" \
		"kernel.source=$(kinfo source)" \
		"kernel.config_sha256=$cfg" "fault_timing=$S2B_FAULT_TIMING" "hw_access=$S2B_HW_ACCESS" \
		"kernel.dir=$RUN_KDIR" "initramfs=$INITRD" "qemu.version=$qv" \
		"qemu.profiles=$S2B_PROFILES" "qemu.kvm_mode=$S2B_KVM" \
		"qemu.cpus:=$S2B_CPUS" "qemu.memory=$S2B_MEMORY"
}

env_host() {
	local file=$1 cfg=unavailable: patched=false
	if [ -f "/boot/config-$(uname -r)" ]; then
		cfg=$(sha256sum <"/boot/config-$(uname -r)" | cut -c1-64)
	elif [ -r /proc/config.gz ]; then
		cfg=$(zcat /proc/config.gz | sha256sum | cut -c1-64)
	else
		cfg="unavailable: no /boot/config-$(uname -r) or /proc/config.gz"
	fi
	[ -e /sys/module/kvm/parameters/stage2_strategy ] && patched=true
	write_env "$file" "kernel.release=$(uname -r)" "kernel.config_sha256=$cfg" \
		"kernel.s2perf_patches:=$patched" "fault_timing=$S2B_FAULT_TIMING" "hw_access=$S2B_HW_ACCESS" \
		"kernel.series=$(series_key 2>/dev/null || echo "unavailable: no $KSRC_PKG to hash it against")" \
		"kernel.series_note=the checkout's series; whether the running kernel carries it is not known"
}

# A resumed run keeps its first env.json; what the later starts ran on is
# kept beside it, and a different kernel is said loudly.
record_env() {
	local kind=$1 f=$run/env.json
	if [ -f "$f" ]; then
		f=$run/env-resume-$(date -u +%Y%m%dT%H%M%SZ).json
		"env_$kind" "$f"
		local a b
		a=$(grep -E '"(release|config_sha256|series|patches)"' "$run/env.json" | tr -d ' ')
		b=$(grep -E '"(release|config_sha256|series|patches)"' "$f" | tr -d ' ')
		[ "$a" = "$b" ] || say "warning: the kernel differs from the run's start (see $f): this run mixes two kernels"
	else
		"env_$kind" "$f"
	fi
}

# ---- the emulated target ----

launch_pid=
# The qemu of a launch runs under timeout(1), a child of launch: stopping
# that ends the target (launch then reports it and exits 125). A launch
# still waiting for another target to power off (its child is flock) is
# simply ended, with that child.
stop_target() {
	[ -n "$launch_pid" ] || return 0
	local c kids running=0
	kids=$(ps -o pid= --ppid "$launch_pid" 2>/dev/null || true)
	for c in $kids; do
		if [ "$(ps -o comm= -p "$c" 2>/dev/null)" = timeout ]; then
			kill -TERM "$c" 2>/dev/null || true
			running=1
		fi
	done
	if [ $running -eq 0 ]; then
		kill -TERM "$launch_pid" $kids 2>/dev/null || true
	fi
	return 0
}

runner_pid=
on_interrupt() {
	trap - INT TERM
	stop_target
	if [ -n "$launch_pid" ]; then
		wait "$launch_pid" 2>/dev/null || true
	fi
	if [ -n "$runner_pid" ]; then
		kill -TERM "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
	fi
	# Not the cells' fault: the ones that were running run again on resume.
	local p id
	for p in $S2B_PROFILES; do
		for id in $(unfinished "$p"); do rm -rf "$run/cells/$id"; done
	done
	say "interrupted; finish with: bench/run-plan.sh --resume $run"
	exit 130
}

# Boot, run the cells of profile $1, and watch that cells keep finishing.
boot_once() {
	local p=$1 left=$2 out=$3 nv=() last since n rc=0 seen follower slow=1
	[ "$S2B_KVM" = nvhe ] && nv=(-n)
	# Under icount a cell's timeout is counted in instructions (1 ns each)
	# and TCG retires a few hundred million a second: the host's watchdogs,
	# in real seconds, allow for a guest clock up to 3x slower than theirs.
	[ "$S2B_CLOCK" = icount ] && slow=3
	seen=$(cat "$run/runner.log" 2>/dev/null | wc -l)
	# bpftrace cells: the Debian root file system and the script
	[ "${S2B_ROOTFS:-}" = 1 ] && nv+=(-r "$ROOTFS" -I "$ROOT/bpf/s2faults.bt")
	"$ROOT/target/launch" -k "$RUN_KDIR" -i "$INITRD" -o "$run" -p "$p" "${nv[@]}" \
		-c "$S2B_CPUS" -C "$S2B_CLOCK" -m "$S2B_MEMORY" -t $((slow * left * S2B_TIMEOUT + 600)) \
		-I "$ROOT/bench/run-cells.sh" -- sh run-cells.sh . "$p" >"$out" &
	launch_pid=$!
	# Progress from the runner's log, which the target writes straight
	# into the shared run directory: launch's copy of the console arrives
	# in blocks (awk reading a pipe), minutes late in a long cell.
	tail -n +$((seen + 1)) --pid="$launch_pid" -F "$run/runner.log" 2>/dev/null &
	follower=$!
	last=$(statuses)
	since=$SECONDS
	while kill -0 "$launch_pid" 2>/dev/null; do
		sleep 5
		n=$(statuses)
		# The clock starts when qemu does (launch may wait for another
		# target to power off first): its console is empty until then.
		if [ "$n" != "$last" ] || [ ! -s "$run/console.log" ]; then
			last=$n
			since=$SECONDS
		elif [ $((SECONDS - since)) -gt $((slow * S2B_TIMEOUT + STALL_GRACE)) ]; then
			say "no cell finished for $((SECONDS - since)) s (cell timeout $S2B_TIMEOUT s): stopping the target"
			stop_target
			since=$SECONDS
		fi
	done
	wait "$launch_pid" || rc=$?
	launch_pid=
	wait "$follower" 2>/dev/null || true
	# What the runner said outside its log (it could not start, say).
	if [ $rc -ne 0 ] && [ $rc -ne 1 ]; then
		grep -v '^\[[0-9]*/[0-9]*\] \|^run-cells: ' "$out" | tail -n 5 >&2 || true
	fi
	return $rc
}

run_qemu() {
	build_all "$S2B_FLAVOUR"
	# The workloads, selftests and collector are built against the
	# series' headers (its UAPI and stats); the kernel booted is the run's.
	RUN_KDIR=$KDIR
	if [ "$S2B_KERNELS" != series ]; then
		say "kernel under test: $S2B_KERNELS"
		RUN_KDIR=$("$ROOT/target/build-kernel.sh" -k "$S2B_KERNELS" -f "$S2B_FLAVOUR" | tail -n 1) &&
			[ -f "$RUN_KDIR/Image" ] ||
			bad "kernel $S2B_KERNELS: not built (the lines above say which step; the log is in $S2PERF_CACHE/build/)"
	fi
	ROOTFS=
	[ "${S2B_ROOTFS:-}" = 1 ] && ROOTFS=$("$ROOT/target/build-rootfs.sh" | tail -n 1)
	record_env qemu
	local p left after rc stalled boot nboot
	nboot=$(find "$run/boots" -name '*.console.log' | wc -l)
	for p in $S2B_PROFILES; do
		stalled=0 boot=0
		while :; do
			left=$(remaining "$p")
			[ "$left" -gt 0 ] || break
			if [ $stalled -ge $MAX_STALLED_BOOTS ]; then
				say "giving up on profile $p: $MAX_STALLED_BOOTS boots in a row finished no cell ($left cells not run; see $run/boots/)"
				break
			fi
			boot=$((boot + 1))
			nboot=$((nboot + 1))
			say "profile $p: boot $boot, $left cells to run"
			rc=0
			boot_once "$p" "$left" "$run/boots/$nboot-$p.stdout" || rc=$?
			cp "$run/console.log" "$run/boots/$nboot-$p.console.log" 2>/dev/null || true
			cp "$run/.s2perf/output.log" "$run/boots/$nboot-$p.output.log" 2>/dev/null || true
			printf '%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$p" "$rc" "$left" >>"$run/boots.txt"
			case $rc in
			0 | 1) ;;
			124 | 125)
				local id
				for id in $(unfinished "$p"); do
					echo died >"$run/cells/$id/status"
					say "cell $id: died (running when the target stopped; not run again)"
				done
				say "the target $([ "$rc" = 124 ] && echo hung || echo failed) (launch status $rc; console: boots/$nboot-$p.console.log)"
				;;
			*) bad "launch or the runner failed with status $rc (see $run/boots/$nboot-$p.output.log)" ;;
			esac
			after=$(remaining "$p")
			if [ "$after" -lt "$left" ]; then stalled=0; else stalled=$((stalled + 1)); fi
		done
	done
}

# ---- this machine ----

run_host() {
	local bins rc=0
	[ -c /dev/kvm ] || bad "target host: this machine has no /dev/kvm"
	case $(uname -m) in
	x86_64)
		build_host
		bins=$HOST_GDIR/guests:$HOST_STDIR/kvm:$HOST_BDIR/bpf ;;
	aarch64)
		# An arm64 host: the target's static binaries are native here.
		# Only their kernel headers and BTF come from the built kernel;
		# s2collect's CO-RE relocations follow the running kernel.
		build_all default
		bins=$GDIR/guests:$STDIR/kvm:$BDIR/bpf ;;
	*) bad "target host: no native build for $(uname -m)" ;;
	esac
	RUN_KDIR=
	record_env host
	cp "$ROOT/bench/run-cells.sh" "$run/"
	if [ "${S2B_ROOTFS:-}" = 1 ]; then
		command -v bpftrace >/dev/null || bad "the plan runs bpftrace and this machine has none (target/deps.sh)"
		cp "$ROOT/bpf/s2faults.bt" "$run/"
	fi
	# In the background (so that SIGINT reaches only this script, which
	# passes it on as TERM): the runner removes the cell it was running.
	PATH=$bins:$PATH sh "$run/run-cells.sh" "$run" host &
	runner_pid=$!
	wait "$runner_pid" || rc=$?
	runner_pid=
	case $rc in
	0 | 1) ;;
	130) say "interrupted; finish with: bench/run-plan.sh --resume $run"; exit 130 ;;
	*) bad "the runner failed with status $rc" ;;
	esac
}

trap on_interrupt INT TERM
case $S2B_TARGET in
qemu) run_qemu ;;
host) run_host ;;
*) bad "run.env: unknown target '$S2B_TARGET'" ;;
esac
trap - INT TERM

rc=0
"$S2BENCH" table "$run" || rc=$?
[ $rc -eq 2 ] && bad "s2bench table failed: the run's documents are not readable"
rrc=0
"$S2BENCH" report "$run" || rrc=$?
if [ $rrc -ne 0 ]; then
	say "s2bench report exited $rrc"
	[ $rrc -eq 1 ] || rc=2
fi
say "results: $run"
exit $rc
