// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' command line: the options every workload shares, each
 * workload's own (its struct s2wl_cli: letters, their handler, its help),
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
		cli->help();
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

void s2wl_parse_args(struct s2wl *wl, const struct s2wl_cli *cli, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'v' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "backing", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "access", required_argument, NULL, 'A' },
		{ "seed", required_argument, NULL, 'r' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "hw-access", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char optstr[128], names[128];
	uint64_t v;
	int opt, t;

	s2wl_restore_stdout();
	wl->name = cli->name;
	snprintf(optstr, sizeof(optstr), ":v:b:s:i:w:A:r:c:S:a:o:qh%s", cli->opts ? cli->opts : "");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			if (s2_parse_uint(optarg, S2WL_MAX_VCPUS, &v) || !v)
				s2wl_bad_arg(wl, "-v: '%s' is not a vCPU count (1-%d)", optarg, S2WL_MAX_VCPUS);
			wl->p.vcpus = v;
			break;
		case 'b':
			if (s2_parse_size(optarg, &wl->p.bytes_per_vcpu))
				s2wl_bad_arg(wl, "-b: '%s' is not a size (e.g. 64M, 2G)", optarg);
			break;
		case 's':
			for (t = 0; t < NUM_SRC_TYPES; t++)
				if (!strcmp(optarg, s2wl_backing_name(t)))
					break;
			if (t == NUM_SRC_TYPES)
				s2wl_bad_arg(wl, "-s: unknown backing '%s'", optarg);
			wl->p.backing = t;
			break;
		case 'i':
			if (s2_parse_uint(optarg, S2WL_MAX_ITERATIONS, &v) || !v)
				s2wl_bad_arg(wl, "-i: '%s' is not a positive count", optarg);
			wl->p.iterations = v;
			break;
		case 'w':
			if (s2_parse_uint(optarg, S2WL_MAX_PERCENT, &v))
				s2wl_bad_arg(wl, "-w: '%s' is not a percentage (0-100)", optarg);
			wl->p.write_pct = v;
			break;
		case 'A':
			if (!strcmp(optarg, "sequential") || !strcmp(optarg, "seq"))
				wl->p.access = S2WL_SEQUENTIAL;
			else if (!strcmp(optarg, "random"))
				wl->p.access = S2WL_RANDOM;
			else
				s2wl_bad_arg(wl, "-A: '%s' is not sequential or random", optarg);
			break;
		case 'r':
			if (s2_parse_uint(optarg, UINT64_MAX, &wl->p.seed))
				s2wl_bad_arg(wl, "-r: '%s' is not a number", optarg);
			break;
		case 'c':
			wl->p.pin = optarg;
			break;
		case 'S':
			if (!strcmp(optarg, S2_STRATEGY_UPSTREAM)) {
				wl->p.strategy = NULL;
				break;
			}
			if (s2_strategy_index(optarg) < 0)
				s2wl_bad_arg(wl, "-S: '%s' is not %s or " S2_STRATEGY_UPSTREAM, optarg,
					     s2_strategy_list(names, sizeof(names), NULL));
			wl->p.strategy = optarg;
			break;
		case 'a':
			if (strcmp(optarg, "on") && strcmp(optarg, "off"))
				s2wl_bad_arg(wl, "-a: '%s' is not on or off", optarg);
			wl->p.hw_access = !strcmp(optarg, "on");
			break;
		case 'o':
			wl->p.output = optarg;
			break;
		case 'q':
			wl->p.quiet = true;
			break;
		case 'h':
			usage(wl, cli);
			exit(0);
		case ':':
		case '?':
			s2_bad_option(wl->name, opt, argv);
		default:
			if (!cli->opt || cli->opt(wl, opt, optarg))
				s2wl_bad_arg(wl, "unknown option -%c", opt);
		}
	}
	if (optind < argc)
		s2wl_bad_arg(wl, "unexpected argument '%s'", argv[optind]);
}
