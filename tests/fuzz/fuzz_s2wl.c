// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' command lines (guests/: s2wl_parse_args in s2wl_opts.c
 * with each workload's own option handler, s2_security_test's
 * s2_security_parse_args; s2_parse_size, s2_parse_uint and s2_parse_names,
 * common/s2parse.h), compiled from the guests' own source and called here.
 * The input is the arguments, one per line; the first line names the
 * program (its name is in the messages and the help) and so chooses whose
 * options are parsed. Each word is also given to the parsers on their own.
 *
 * A rejected command line ends with exit(2) (s2wl_bad_arg, s2_bad_arg):
 * the link wraps exit() so that the call comes back here with its status,
 * which must be 2 with exactly one line on stderr. Nothing that needs KVM
 * runs: the VM is created later, by each program's main(), which the
 * link renames and drops.
 */
#include "fuzz_common.h"

#include <setjmp.h>

#include "s2wl.h"
#include "s2_security_test.h"

#define MAX_ARGS 32

#include "fuzz_inproc.h"

/* The framework's assertions (test_util.c, linked for the backing names) are findings. */
void test_assert(bool exp, const char *exp_str, const char *file, unsigned int line,
		 const char *fmt, ...)
{
	if (!exp)
		fuzz_die("test_assert: %s:%u: %s (%s)\n", file, line, exp_str, fmt);
}

/* Every workload of the spec (common/s2workloads.def), and s2_security_test. */
static const struct {
	const char *name;
	const struct s2wl_cli *cli;		/* NULL: s2_security_parse_args() */
} programs[] = {
#define S2WL_WORKLOAD(name, ...) { #name, &name##_cli },
#include "s2workloads.def"
	{ "s2_security_test", NULL },
};
#define NR_PROGRAMS (sizeof(programs) / sizeof(programs[0]))

static size_t program;		/* the one this input names */

static void check_parsers(const char *w)
{
	uint64_t v = 0, max;

	if (!s2_parse_size(w, &v) && !v)
		fuzz_die("s2_parse_size('%s') accepted a size of 0\n", w);
	for (max = 0; max < 3; max++) {
		static const uint64_t maxes[] = { 100, 512, UINT64_MAX };

		if (!s2_parse_uint(w, maxes[max], &v) && v > maxes[max])
			fuzz_die("s2_parse_uint('%s', %lu) gave %lu\n", w,
				 (unsigned long)maxes[max], (unsigned long)v);
	}
	{
		static const char *const names[] = { "get", "clear", "ring" };
		char bad[8] = "";

		v = 0;
		if (!s2_parse_names(w, names, 3, &v, bad, sizeof(bad))) {
			if (v >> 3)
				fuzz_die("s2_parse_names('%s') gave the mask %#lx\n", w,
					 (unsigned long)v);
		} else if (!*bad || strchr(bad, ',')) {
			fuzz_die("s2_parse_names('%s') rejected it naming '%s'\n", w, bad);
		}
	}
}

static int call_init(int argc, char **argv)
{
	/* Every workload starts from these; the fuzzed options change them. */
	static struct s2wl wl;
	static struct s2_security_args sec;

	wl = (struct s2wl){ .p = S2WL_PARAMS() };
	optind = 0;	/* glibc: a full reset of getopt between calls */
	fuzz_exit_status = -1;
	if (setjmp(fuzz_back))
		return fuzz_exit_status;
	fuzz_in_call = true;
	if (!programs[program].cli) {
		s2_security_parse_args(argc, argv, &sec);
		fuzz_in_call = false;
		if (!sec.npages || !sec.rounds ||
		    (sec.strategy && s2_strategy_index(sec.strategy) < 0))
			fuzz_die("s2_security_parse_args accepted %lu pages, %lu rounds, -S %s\n",
				 (unsigned long)sec.npages, (unsigned long)sec.rounds,
				 sec.strategy ? sec.strategy : "(none)");
		return 0;
	}
	s2wl_parse_args(&wl, programs[program].cli, argc, argv);
	fuzz_in_call = false;
	if (wl.p.vcpus < 1 || wl.p.vcpus > S2WL_MAX_VCPUS || wl.p.iterations < 1 ||
	    wl.p.write_pct < 0 || wl.p.write_pct > 100 || !wl.p.bytes_per_vcpu)
		fuzz_die("s2wl_parse_args accepted vcpus %d, iterations %d, write %d%%, %lu bytes\n",
			 wl.p.vcpus, wl.p.iterations, wl.p.write_pct,
			 (unsigned long)wl.p.bytes_per_vcpu);
	return 0;
}

/*
 * s2wl_opts.c parks stdout until the first s2wl_parse_args() gives it back: make that
 * first call now, then send stdout (the help texts) to /dev/null again.
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *args[] = { "s2_populate", NULL };	/* programs[0], program's start value */
	int null;

	(void)argc;
	(void)argv;
	fuzz_setup("s2wl");
	call_init(1, args);
	null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		fflush(stdout);
		dup2(null, 1);
		close(null);
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *words;
	const char *err;
	int argc = 0, rc;
	size_t i;

	fuzz_setup("s2wl");
	fuzz_clean();
	argc = fuzz_words(data, size, argv, 0, MAX_ARGS + 1, &words);
	for (i = 0; argc && i < NR_PROGRAMS; i++)
		if (!strcmp(argv[0], programs[i].name))
			break;
	program = i;
	if (!argc || i == NR_PROGRAMS) {
		free(words);
		return -1;
	}
	argv[argc] = NULL;
	for (int k = 1; k < argc; k++)
		check_parsers(argv[k]);

	rc = fuzz_call(call_init, argc, argv, &err);
	fuzz_check_status("s2wl_parse_args", rc, err, 0);
	free(words);
	return 0;
}
