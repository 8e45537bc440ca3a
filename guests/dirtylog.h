/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dirty-logging run shared by s2_dirty (live-migration style passes)
 * and s2_split (the same on huge-page backing, where the first logged pass
 * splits block mappings).
 */
#ifndef S2PERF_DIRTYLOG_H
#define S2PERF_DIRTYLOG_H

#include <stdbool.h>

#include "s2wl.h"

/* What s2_dirty and s2_split each bring to the run (their cli's ctx). */
struct s2_dirtylog {
	const char *about;		/* what it does: the help's first paragraph */
	struct s2wl_params defaults;
	/*
	 * The first logged pass splits block mappings: report it apart, and
	 * offer -E (KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE).
	 */
	bool split;
};

/* The run of @cli, S2_DIRTYLOG_CLI() of a struct s2_dirtylog. */
int s2_dirtylog_main(int argc, char **argv, const struct s2wl_cli *cli);

/* The command line of @workload (its own options: -l, -e, and -E when it splits). */
#define S2_DIRTYLOG_CLI(workload, kind) {					\
	.name = (workload),							\
	.iterations = "passes over the memory after the first touch",	\
	.opt = s2_dirtylog_opt, .help = s2_dirtylog_help, .ctx = (kind) }
int s2_dirtylog_opt(struct s2wl *wl, int opt, const char *arg, uint64_t v);
void s2_dirtylog_help(const struct s2wl_cli *cli);

#endif
