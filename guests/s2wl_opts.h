/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads' command line (s2wl_opts.c): the options every workload
 * shares (-v -b -s -i -w -A -r -c -S -o -q -h, with long names), and each
 * workload's own, which it passes in with its help.
 */
#ifndef S2PERF_S2WL_OPTS_H
#define S2PERF_S2WL_OPTS_H

struct s2wl;

/* Called for each of the workload's own options; non-zero: not one of them. */
typedef int (*s2wl_opt_fn)(struct s2wl *wl, int opt, const char *arg);

/* What a workload adds to the common command line. */
struct s2wl_cli {
	const char *name;	/* "s2_dirty": in messages, the help and the JSON */
	const char *iterations;	/* what -i counts, for the help */
	const char *opts;	/* its own getopt letters ("l:e:"), or NULL */
	s2wl_opt_fn opt;	/* called for those */
	/* What it does and its own options, printed by -h before the common ones. */
	void (*help)(void);
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
 * Each workload's command line with its own option handler, kept external
 * (not static in its main file) so that tests/fuzz/fuzz_s2wl parses every
 * workload's options in process with the real handlers. s2_dirty and
 * s2_split build theirs with s2_dirtylog_cli() (dirtylog.h).
 */
extern const struct s2wl_cli s2_populate_cli, s2_access_cli, s2_unmap_cli,
	s2_exit_cli, s2_storm_cli;

#endif
