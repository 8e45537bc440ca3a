/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads' command line (s2wl_opts.c): which options a workload
 * takes and what their values must be come from the workload spec
 * (common/s2workloads.def: the shared options -v -b -s -i -w -A -r -c -S
 * -a -o -q -h with long names, and each workload's own), which s2bench's
 * plan check reads too; a workload brings the handler of its own options
 * and its help.
 */
#ifndef S2PERF_S2WL_OPTS_H
#define S2PERF_S2WL_OPTS_H

#include <stdint.h>

#include "s2wl_spec.h"

struct s2wl;

/*
 * Called for each of the workload's own options (its line in
 * s2workloads.def) with the value the spec checked: @v is the number or
 * size, a name's index in the option's names, a list's mask of indexes.
 * Non-zero: the handler does not know it (the spec and the handler
 * disagree, an assertion).
 */
typedef int (*s2wl_opt_fn)(struct s2wl *wl, int opt, const char *arg, uint64_t v);

/* What a workload adds to the common command line. */
struct s2wl_cli {
	const char *name;	/* "s2_dirty": its spec, in messages, the help and the JSON */
	const char *iterations;	/* what -i counts, for the help */
	s2wl_opt_fn opt;	/* called for its own options, or NULL if it has none */
	/* What it does and its own options, printed by -h before the common ones. */
	void (*help)(const struct s2wl_cli *cli);
	const void *ctx;	/* the workload's own, for help and main (dirtylog.c's kind) */
};

/*
 * Read the command line into wl->p (defaults set by the caller). -h prints
 * the help and exits 0; a bad argument exits 2 (s2wl_bad_arg()).
 */
void s2wl_parse_args(struct s2wl *wl, const struct s2wl_cli *cli, int argc, char **argv);

/* Errors in arguments: one line, exit 2. */
void __attribute__((noreturn, format(printf, 2, 3)))
s2wl_bad_arg(const struct s2wl *wl, const char *fmt, ...);

/*
 * Each workload's command line with its own option handler, NAME_cli for
 * each S2WL_WORKLOAD() of the spec, kept external (not static in its main
 * file) so that tests/fuzz/fuzz_s2wl parses every workload's options in
 * process with the real handlers.
 */
#define S2WL_WORKLOAD(name, ...) extern const struct s2wl_cli name##_cli;
#include "s2workloads.def"

#endif
