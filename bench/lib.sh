# SPDX-License-Identifier: GPL-2.0
# bench/lib.sh: what the drivers of runs (run-plan.sh, run-kernels.sh,
# bisect.sh) share. Sourced after target/common.sh (say).

bad() { say "$*"; exit 2; }

# take_value ARGS...: if $1 is one of the caller's options that take a value
# (the associative array opt_var: option -> the variable it sets), as
# "--name VALUE" or "--name=VALUE", set that variable and took (how many
# arguments it used: shift them) and return 0; else return 1.
take_value() {
	local name=${1%%=*}
	[ -n "$name" ] && [ -n "${opt_var[$name]:-}" ] || return 1
	if [ "$name" != "$1" ]; then
		printf -v "${opt_var[$name]}" %s "${1#*=}"
		took=1
	else
		[ $# -ge 2 ] || bad "$1 needs a value (see -h)"
		printf -v "${opt_var[$name]}" %s "$2"
		took=2
	fi
}

# parse_opts ARGS...: a driver's command line. Options that take a value
# are the caller's opt_var (take_value); any other of its own, a function
# opt_other ARGS... if it has one (it sets took, or returns 1: not its
# own); -h and --help call its usage and exit 0; anything else exits 2.
parse_opts() {
	while [ $# -gt 0 ]; do
		if take_value "$@" || { declare -F opt_other >/dev/null && opt_other "$@"; }; then
			shift "$took"
			continue
		fi
		case $1 in
		-h | --help) usage; exit 0 ;;
		*) bad "unknown argument '$1' (see -h)" ;;
		esac
	done
}

# build_s2bench: the packages first (s2bench needs jansson and GSL, and a
# fresh machine has neither: tests/t-entry-order.sh), then s2bench;
# S2BENCH is the binary.
build_s2bench() {
	"$ROOT/target/deps.sh" || bad "could not install the packages s2perf needs (target/deps.sh)"
	say "building s2bench"
	make -s -C "$ROOT/bench" >&2 || bad "could not build s2bench (make -C bench)"
	S2BENCH=$ROOT/bench/.output/s2bench
}

# plan_file PLAN: the file of PLAN (a path as given, or a name in
# bench/plans/) once s2bench plan check passed it, on stdout; its errors
# on stderr and exit 2 otherwise (call it as planfile=$(plan_file P) || exit 2).
plan_file() {
	local f=$1
	[ -f "$f" ] || f=$ROOT/bench/plans/$1
	[ -f "$f" ] || bad "--plan: no plan '$1' (a file, or one of: $(ls "$ROOT/bench/plans" | tr '\n' ' '))"
	"$S2BENCH" plan check "$f" >/dev/null || exit 2
	printf '%s\n' "$f"
}
