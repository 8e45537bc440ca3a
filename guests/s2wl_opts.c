// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' command line: the options and their checks from the
 * workload spec (common/s2workloads.def, s2wl_spec.c), the shared options'
 * values, each workload's own through its struct s2wl_cli (handler, help),
 * and stdout, which is parked until the command line is read.
 */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#include "s2common.h"
#include "s2strategy.h"
#include "s2wl.h"

/*
 * The framework's constructor prints its guest random seed on stdout, where
 * it would spoil the JSON document; s2perf workloads do not use that seed.
 * Ours runs first and parks stdout on /dev/null until s2wl_parse_args() runs.
 */
static int s2wl_saved_stdout = -1;

static void __attribute__((constructor(101))) s2wl_early(void)
{
	int null = open("/dev/null", O_WRONLY);

	/*
	 * The framework loads the guest code from the file named by
	 * program_invocation_name, which is not a path when started from PATH.
	 */
	program_invocation_name = "/proc/self/exe";

	if (null < 0)
		return;
	s2wl_saved_stdout = dup(STDOUT_FILENO);
	dup2(null, STDOUT_FILENO);
	close(null);
}

static void s2wl_restore_stdout(void)
{
	if (s2wl_saved_stdout < 0)
		return;
	fflush(stdout);
	dup2(s2wl_saved_stdout, STDOUT_FILENO);
	close(s2wl_saved_stdout);
	s2wl_saved_stdout = -1;
}

void s2wl_bad_arg(const struct s2wl *wl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s2_vbad_arg(wl->name, fmt, ap);
}

/* @text from column @col on, in words wrapped at 80 columns, @indent deep. */
static void print_wrapped(const char *text, int col, int indent)
{
	const char *w = text;
	int len;

	while (*w) {
		len = strcspn(w, " ");
		if (col > indent && col + 1 + len > 80) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, w);
		col += len;
		w += len + strspn(w + len, " ");
	}
	putchar('\n');
}

static void usage(const struct s2wl *wl, const struct s2wl_cli *cli)
{
	const struct s2wl_params *p = &wl->p;
	char size[32], names[128], strategy[256];

	if (p->bytes_per_vcpu % (1ull << 20) == 0)
		snprintf(size, sizeof(size), "%" PRIu64 "M", p->bytes_per_vcpu >> 20);
	else
		snprintf(size, sizeof(size), "%" PRIu64, p->bytes_per_vcpu);
	printf("usage: %s [options]\n\n", cli->name);
	if (cli->help)
		cli->help(cli);
	printf("common options:\n"
	       "  -v, --vcpus N        vCPUs, each with its own share of memory (default %d)\n"
	       "  -b, --bytes SIZE     guest memory per vCPU, e.g. 512M, 2G (default %s)\n"
	       "  -s, --backing TYPE   backing memory: anonymous, anonymous_thp,\n"
	       "                       anonymous_hugetlb, shmem, shared_hugetlb, or a sized\n"
	       "                       anonymous_hugetlb_2mb ... (default %s)\n"
	       "  -i, --iterations N   %s (default %d)\n"
	       "  -w, --write PCT      share of page accesses that write, 0-100 (default %d)\n"
	       "  -A, --access MODE    sequential or random page order (default %s)\n"
	       "  -r, --seed N         seed for random choices (default %" PRIu64 ", fixed)\n"
	       "  -c, --cpus LIST      pin vCPU i to the i-th CPU of LIST, e.g. 0,1 (default: no pinning)\n",
	       p->vcpus, size, s2wl_backing_name(p->backing), cli->iterations,
	       p->iterations, p->write_pct,
	       p->access == S2WL_RANDOM ? "random" : "sequential", p->seed);
	snprintf(strategy, sizeof(strategy), "stage-2 locking strategy for this VM: %s (needs "
		 "the s2perf kernel), or " S2_STRATEGY_UPSTREAM " (select none: the kernel's own "
		 "locking, on any kernel; the default)",
		 s2_strategy_list(names, sizeof(names), NULL));
	printf("  -S, --strategy NAME  ");
	print_wrapped(strategy, 23, 23);
	printf("  -a, --hw-access on|off  hardware access-flag updates for this VM\n"
	       "                       (kvm.stage2_hw_access, VTCR_EL2.HA; off: aging's cost\n"
	       "                       shows as access-flag faults; needs a kernel with the\n"
	       "                       parameter) (default: the kernel's setting)\n");
	printf("  -o, --output FILE    write the JSON document to FILE and the summary to\n"
	       "                       stdout (default: JSON on stdout, summary on stderr)\n"
	       "  -q, --quiet          no progress lines\n"
	       "  -h, --help           this help\n"
	       "exit status: 0 ok, 1 the run failed a check, 2 bad arguments, 4 skipped\n"
	       "(this host cannot run it; the reason is printed and in the JSON)\n");
}

/* The value given for -@letter (s2wl_spec_needs()), NULL if none was. */
static const char *given_value(char letter, void *ctx)
{
	const char *const *given = ctx;

	return given[(unsigned char)letter];
}

/* The shared options' values into wl->p (the spec checked them: @v is the value). */
static void set_common(struct s2wl *wl, const struct s2wl_cli *cli, int opt, const char *arg,
		       uint64_t v)
{
	int t;

	switch (opt) {
	case 'v':
		wl->p.vcpus = v;
		break;
	case 'b':
		wl->p.bytes_per_vcpu = v;
		break;
	case 's':
		/* the spec's names are the framework's */
		for (t = 0; t < NUM_SRC_TYPES; t++)
			if (!strcmp(arg, s2wl_backing_name(t)))
				break;
		if (t == NUM_SRC_TYPES)
			s2wl_bad_arg(wl, "-s: '%s' is not a backing of this build's selftests "
				     "framework", arg);
		wl->p.backing = t;
		break;
	case 'i':
		wl->p.iterations = v;
		break;
	case 'w':
		wl->p.write_pct = v;
		break;
	case 'A':
		wl->p.access = strcmp(arg, "random") ? S2WL_SEQUENTIAL : S2WL_RANDOM;
		break;
	case 'r':
		wl->p.seed = v;
		break;
	case 'c':
		wl->p.pin = arg;
		break;
	case 'S':
		wl->p.strategy = strcmp(arg, S2_STRATEGY_UPSTREAM) ? arg : NULL;
		break;
	case 'a':
		wl->p.hw_access = !strcmp(arg, "on");
		break;
	case 'o':
		wl->p.output = arg;
		break;
	case 'q':
		wl->p.quiet = true;
		break;
	case 'h':
		usage(wl, cli);
		exit(0);
	default:
		TEST_ASSERT(false, "-%c is a shared option in s2workloads.def that s2wl_opts.c "
			    "does not set", opt);
	}
}

void s2wl_parse_args(struct s2wl *wl, const struct s2wl_cli *cli, int argc, char **argv)
{
	const struct s2wl_spec *spec = s2wl_spec_find(cli->name);
	struct option longopts[32];
	const char *given[256] = { 0 };
	const struct s2wl_opt *o;
	char optstr[128] = ":", err[512];
	size_t i, nlong = 0, n = 1;
	uint64_t v;
	int opt;

	s2wl_restore_stdout();
	wl->name = cli->name;
	TEST_ASSERT(spec && (spec->flags & S2WL_LIB), "%s is no S2WL_WORKLOAD() of "
		    "common/s2workloads.def", cli->name);
	for (i = 0; (o = s2wl_spec_nth(spec, i)); i++) {
		TEST_ASSERT(n + 3 <= sizeof(optstr) && nlong + 2 <= 32, "too many options");
		optstr[n++] = o->letter;
		if (o->kind != S2WL_FLAG)
			optstr[n++] = ':';
		if (o->name)
			longopts[nlong++] = (struct option){ o->name, o->kind == S2WL_FLAG ?
				no_argument : required_argument, NULL, o->letter };
	}
	optstr[n] = '\0';
	longopts[nlong] = (struct option){ 0 };
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		if (opt == ':' || opt == '?')
			s2_bad_option(wl->name, opt, argv);
		o = s2wl_spec_opt(spec, opt);
		v = 0;
		if (o->kind != S2WL_FLAG && s2wl_opt_check(o, optarg, &v, err, sizeof(err)))
			s2wl_bad_arg(wl, "%s", err);
		given[(unsigned char)opt] = optarg ? optarg : "";
		if (o->scope == S2WL_OWN)
			TEST_ASSERT(cli->opt && !cli->opt(wl, opt, optarg, v), "%s: -%c is in "
				    "common/s2workloads.def but its handler does not take it",
				    cli->name, opt);
		else
			set_common(wl, cli, opt, optarg, v);
	}
	if (optind < argc)
		s2wl_bad_arg(wl, "unexpected argument '%s'", argv[optind]);
	if (s2wl_spec_needs(spec, given_value, given, err, sizeof(err)))
		s2wl_bad_arg(wl, "%s", err);
}
