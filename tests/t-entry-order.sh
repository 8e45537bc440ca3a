#!/usr/bin/env bash
# Every entry point installs what it needs before it builds anything: on a
# fresh Debian machine `./run.sh` once failed in 0.15 s because
# bench/run-plan.sh built s2bench before target/deps.sh had installed
# jansson. Here, in a copy of the checkout, target/deps.sh is replaced by
# one that records its call and fails (packages that cannot be installed),
# and make, gcc, cc, clang and the cross compiler by ones that record
# theirs: every run.sh command must call deps.sh first and build nothing
# after it failed.
# tier: offline (needs no kernel, no target, no /dev/kvm: tests/run --offline)
set -euo pipefail
: "${KDIR:=none}" "${INITRD:=none}"
. "$(dirname "$0")/lib.sh"

C=$OUT/checkout
mkdir -p "$C" "$OUT/bin"
git -C "$ROOT" ls-files -z | (cd "$ROOT" && xargs -0 cp --parents -t "$C")
# The driver reaches the tests through tests/run; the suite must not recurse.
printf '#!/bin/sh\necho "tests/run $*" >>"$S2PERF_ORDER_LOG"\nexit 1\n' >"$C/tests/run"
chmod +x "$C/tests/run"
cat >"$C/target/deps.sh" <<'SH'
#!/bin/sh
echo deps >>"$S2PERF_ORDER_LOG"
echo "s2perf-deps: (test) cannot install" >&2
exit 1
SH
chmod +x "$C/target/deps.sh"
for b in make gcc cc clang aarch64-linux-gnu-gcc ld qemu-system-aarch64 debootstrap; do
	printf '#!/bin/sh\necho "build %s $*" >>"$S2PERF_ORDER_LOG"\nexit 1\n' "$b" >"$OUT/bin/$b"
	chmod +x "$OUT/bin/$b"
done

# Every command of run.sh's case, with arguments it would accept.
cmds=("" "run" "run --plan quick" "report $ROOT/tests/data/runs/base"
	"compare $ROOT/tests/data/runs/base $ROOT/tests/data/runs/shifted"
	"kcidb $ROOT/tests/data/runs/base" "s2bench stats 1,2,3" "test" "selftests"
	"soak" "fuzz" "kernel" "image" "rootfs" "host" "target -- true" "shell"
	"kernels --series" "bisect --good 0 --bad 1")
# Every case label of run.sh is in the list above (or needs no package).
labels=$(sed -n '/^case \$cmd in/,/^esac/p' "$ROOT/run.sh" | grep -oE '^[a-z"|][a-z| "]*\)' |
	tr -d ')" ' | tr '|' '\n' | grep -v '^$' | sort -u)
for l in $labels; do
	case $l in deps | help | -h | --help | smoke | workloads | overhead | crosscheck | matrix) continue ;; esac
	printf '%s\n' "${cmds[@]}" | grep -q "^$l\b" || fail "run.sh command '$l' is not checked here"
done
pass "every run.sh command that may build is checked ($(echo "$labels" | wc -l) labels)"

for c in "${cmds[@]}"; do
	log=$OUT/order-${c%% *}.log
	: >"$log"
	rc=0
	# shellcheck disable=SC2086
	S2PERF_ORDER_LOG=$log S2PERF_CACHE=$OUT/cache PATH=$OUT/bin:$PATH \
		timeout 60 "$C/run.sh" $c >"$log.out" 2>&1 </dev/null || rc=$?
	first=$(head -n 1 "$log")
	[ "$first" = deps ] || fail "./run.sh $c: the first thing it did was '${first:-nothing}', not target/deps.sh (log $log)"
	[ "$(wc -l <"$log")" -eq 1 ] || fail "./run.sh $c: went on after deps.sh failed: $(sed -n 2p "$log")"
	[ $rc -ne 0 ] || fail "./run.sh $c: exit 0 although deps.sh failed"
	# compare's 1 means "a gated regression": a tool that could not run says 2.
	case $c in compare* | report* | kcidb* | s2bench*)
		[ $rc -eq 2 ] || fail "./run.sh $c: exit $rc when it could not run, not 2" ;;
	esac
	pass "./run.sh ${c:-(no command)}: deps.sh first, nothing built after it failed (exit $rc)"
done
