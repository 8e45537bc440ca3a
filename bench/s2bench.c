// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench: the benchmark harness's host tool. One binary, one subcommand
 * per step of plan -> cells -> documents -> table -> statistics -> report;
 * each subcommand lives in its own file and answers -h itself.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "s2bench.h"

void s2b_err(const char *fmt, ...)
{
	char msg[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/*
	 * One line, whatever the message quotes: a JSON parser's excerpt of
	 * the input, a file name or an argument can hold a line break.
	 */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "s2bench: %s\n", msg);
}

static const struct subcommand {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *args, *what;
} subcommands[] = {
	{ "plan", cmd_plan, "check PLAN | expand [OPTS] PLAN RUN",
	  "check a plan; expand it into RUN/manifest.json and RUN/cells.txt" },
	{ "env", cmd_env, "FILE KEY=VALUE|KEY:=JSON...",
	  "write a run's env.json (what its figures depend on)" },
	{ "table", cmd_table, "RUN",
	  "the run's documents -> RUN/metrics.csv, cells.csv, unavailable.csv" },
	{ "report", cmd_report, "RUN", "metrics.csv -> report.txt, report.md, report.html, plots/" },
	{ "compare", cmd_compare, "BASE NEW", "two runs side by side; exit 1 on a gated regression" },
	{ "kernels", cmd_kernels, "SET", "one plan on several kernels: each against the one before and the first" },
	{ "kcidb", cmd_kcidb, "RUN", "the run as KernelCI KCIDB JSON (one test per metric)" },
	{ "stats", cmd_stats, "...", "the statistics on samples given on the command line (JSON)" },
	{ "simulate", cmd_simulate, "...", "A/A false-positive and planted-shift detection rates" },
};

#define NSUB (sizeof(subcommands) / sizeof(subcommands[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: s2bench COMMAND [ARGS]   (s2bench COMMAND -h: its options)\n\n"
		   "The s2perf benchmark harness: plan -> cells -> documents -> metrics.csv\n"
		   "-> statistics -> report / compare. Runs on the host, never in the target.\n\n"
		   "commands:\n");
	for (i = 0; i < NSUB; i++)
		fprintf(f, "  %-9s %s\n  %-9s   %s\n", subcommands[i].name, subcommands[i].args,
			"", subcommands[i].what);
	fprintf(f, "\nexit status: 0 ok, 1 a finding (failed cells, a gated regression),\n"
		   "2 bad input (one line on stderr)\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		s2b_err("no command (see s2bench --help)");
		return S2BENCH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return S2BENCH_EXIT_OK;
	}
	for (i = 0; i < NSUB; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			/* The subcommand sees itself as argv[0], as getopt wants. */
			return subcommands[i].fn(argc - 1, argv + 1);
	s2b_err("unknown command '%s' (see s2bench --help)", argv[1]);
	return S2BENCH_EXIT_USAGE;
}
