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

/* What s2_dirty and s2_split each bring to the run. */
struct s2_dirtylog {
	const char *name;
	const char *about;		/* what it does: the help's first paragraph */
	struct s2wl_params defaults;
	/*
	 * The first logged pass splits block mappings: report it apart, and
	 * offer -E (KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE).
	 */
	bool split;
};

int s2_dirtylog_main(int argc, char **argv, const struct s2_dirtylog *kind);

/* The command line of @kind (its own options: -l, -e, and -E when it splits). */
void s2_dirtylog_cli(const struct s2_dirtylog *kind, struct s2wl_cli *cli);

/* s2_dirty.c's and s2_split.c's (external for tests/fuzz/fuzz_s2wl). */
extern const struct s2_dirtylog s2_dirty_kind, s2_split_kind;

#endif
