// SPDX-License-Identifier: GPL-2.0
/*
 * s2top's command line (bpf/s2top.c parse_args, static), in process: the
 * tool's source is included here with its main() renamed, so that its
 * static option state can be reset between inputs. The input is the
 * arguments, one per line.
 *
 * main() parses, then calls libbpf_set_print() before anything that needs
 * root, BPF or a terminal: the link wraps that call (and exit(), which
 * bad_args() ends with) back into the harness. A rejected command line
 * must be status 2 and one line; an accepted one must hold what the usage
 * promises (an interval of 0.1 to 3600 s, a frame count >= 0, a column to
 * sort by, not both -p and -a, and -b when there is no terminal, as here).
 * Needs the skeleton of an x86_64 build (BPF_OBJ, see the Makefile).
 */
#define main s2top_main
#include "s2top.c"
#undef main

#include "fuzz_common.h"
#define FUZZ_WRAP_LIBBPF
#include "fuzz_inproc.h"

static void accepted(void)
{
	if (!(opt.interval >= 0.1 && opt.interval <= 3600) || opt.count < 0 ||
	    opt.sort < 0 || opt.sort >= NR_COLS || opt.sort == K_VM || opt.pid < 0 ||
	    !opt.batch)
		fuzz_die("s2top accepted interval %g, count %ld, sort %d, pid %d, batch %d\n",
			 opt.interval, opt.count, opt.sort, opt.pid, opt.batch);
}

static int call_main(int argc, char **argv)
{
	static __typeof__(opt) defaults;
	static bool saved;

	if (!saved) {
		defaults = opt;
		saved = true;
	}
	opt = defaults;
	optind = 0;
	return fuzz_until_libbpf("s2top", s2top_main, accepted, argc, argv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_args_input("s2top", call_main, data, size);
}
