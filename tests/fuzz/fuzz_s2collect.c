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

#define MAX_ARGS 32

static int call_main(int argc, char **argv)
{
	memset(&env, 0, sizeof(env));
	optind = 0;
	if (setjmp(fuzz_back)) {
		if (fuzz_exit_status != -1)
			return fuzz_exit_status;
		if (!!env.pid + env.all + !!env.cmd != 1 || env.interval < 0 || env.duration < 0)
			fuzz_die("s2collect accepted pid %d, all %d, command %s, interval %g, "
				 "duration %g\n", env.pid, env.all, env.cmd ? env.cmd[0] : "none",
				 env.interval, env.duration);
		return 0;
	}
	fuzz_in_call = true;
	s2collect_main(argc, argv);
	fuzz_in_call = false;
	fuzz_die("s2collect's main() returned before libbpf_set_print()\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2] = { "s2collect" }, *words;
	const char *err;
	int argc, rc;

	fuzz_setup("s2collect");
	fuzz_clean();
	argc = fuzz_words(data, size, argv, 1, MAX_ARGS + 1, &words);
	rc = fuzz_call(call_main, argc, argv, &err);
	fuzz_check_status("s2collect", rc, err, 0);
	free(words);
	return 0;
}
