// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect's command line (bpf/s2collect.c parse_args, static), in
 * process: the collector's source is included here, so that its static
 * option state can be reset between inputs, with its main() renamed. The
 * input is the arguments, one per line.
 *
 * main() parses, then calls libbpf_set_print() before anything that needs
 * root or BPF: the link wraps that call (and exit(), which bad_args()
 * ends with) back into the harness. A rejected command line must be
 * status 2 and one line; an accepted one must name exactly one of -p, -a,
 * -- COMMAND. Needs the skeleton of an x86_64 build (BPF_OBJ, see the
 * Makefile).
 */
#define main s2collect_main
#include "s2collect.c"
#undef main

#include "fuzz_common.h"
#define FUZZ_WRAP_LIBBPF
#include "fuzz_inproc.h"

static void accepted(void)
{
	if (!!env.pid + env.all + !!env.cmd != 1 || env.interval < 0 || env.duration < 0)
		fuzz_die("s2collect accepted pid %d, all %d, command %s, interval %g, "
			 "duration %g\n", env.pid, env.all, env.cmd ? env.cmd[0] : "none",
			 env.interval, env.duration);
}

static int call_main(int argc, char **argv)
{
	memset(&env, 0, sizeof(env));
	optind = 0;
	return fuzz_until_libbpf("s2collect", s2collect_main, accepted, argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_args_input("s2collect", call_main, data, size);
}
