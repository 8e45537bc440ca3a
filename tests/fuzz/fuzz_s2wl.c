// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' common command line (guests/: s2wl_parse_args in
 * s2wl_opts.c; s2_parse_size and s2_parse_uint, common/s2parse.h), compiled
 * from the guests' own source and called here.
 * The input is the arguments, one per line; the first line names the
 * workload (its name is in the messages and the help). Each word is also
 * given to the two parsers on their own.
 *
 * s2wl_parse_args ends a rejected command line with exit(2) (s2wl_bad_arg): the
 * link wraps exit() so that the call comes back here with its status,
 * which must be 2 with exactly one line on stderr. Nothing that needs KVM
 * runs: the VM is created later, by each workload's main().
 *
 * Each workload's own options (-l, -e, -m, ...) are parsed in its main
 * file, next to its VM code: fuzz_argv_workloads runs the real binaries
 * for those.
 */
#include "fuzz_common.h"

#include <setjmp.h>

#include "s2wl.h"

#define MAX_ARGS 32

#include "fuzz_inproc.h"

/* The framework's assertions (test_util.c, linked for the backing names) are findings. */
void test_assert(bool exp, const char *exp_str, const char *file, unsigned int line,
		 const char *fmt, ...)
{
	if (!exp)
		fuzz_die("test_assert: %s:%u: %s (%s)\n", file, line, exp_str, fmt);
}

static const char *const names[] = {
	"s2_populate", "s2_dirty", "s2_access", "s2_unmap", "s2_split", "s2_exit", "s2_storm",
};

/* The workloads' own letters reach this; the real handlers are in their mains. */
static int extra_opt(struct s2wl *wl, int opt, const char *arg)
{
	uint64_t v;

	(void)wl;
	switch (opt) {
	case 'e':
	case 'n':
	case 'p':
		return s2_parse_uint(arg, 1u << 30, &v);
	case 'u':
		return s2_parse_size(arg, &v);
	case 'l':
	case 'm':
	case 'k':
		return !*arg;
	}
	return 1;
}

static void extra_help(void)
{
	printf("  -l, -e, -m, -u, -p, -n, -k: the workload's own\n");
}

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
}

static int call_init(int argc, char **argv)
{
	/* Every workload starts from these; the fuzzed options change them. */
	static struct s2wl wl;
	/* A workload with every one's own letters. */
	const struct s2wl_cli cli = {
		.name = argv[0],
		.iterations = "passes",
		.opts = "l:e:m:u:p:n:k:",
		.opt = extra_opt,
		.help = extra_help,
	};

	wl = (struct s2wl){ .p = S2WL_PARAMS() };
	optind = 0;	/* glibc: a full reset of getopt between calls */
	fuzz_exit_status = -1;
	if (setjmp(fuzz_back))
		return fuzz_exit_status;
	fuzz_in_call = true;
	s2wl_parse_args(&wl, &cli, argc, argv);
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
	char *args[] = { "s2_dirty", NULL };
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
	char *argv[MAX_ARGS + 2], *words, *w, *nl;
	const char *err;
	int argc = 0, rc;
	size_t i;

	fuzz_setup("s2wl");
	fuzz_clean();
	words = strndup((const char *)data, size);
	for (w = words; w && argc < MAX_ARGS + 1; w = nl) {
		nl = strchr(w, '\n');
		if (nl)
			*nl++ = 0;
		else if (!*w)
			break;
		argv[argc++] = w;
	}
	for (i = 0; argc && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(argv[0], names[i]))
			break;
	if (!argc || i == sizeof(names) / sizeof(names[0])) {
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
