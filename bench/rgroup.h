/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rgroup.c: what the readers of a run (report, compare, kcidb, advice,
 * the plots) share, on top of rundir.h: the run's values grouped the way
 * the statistics need them, paired ratios with Holm's correction, and
 * numbers scaled for people.
 */
#ifndef S2BENCH_RGROUP_H
#define S2BENCH_RGROUP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "rundir.h"
#include "stats.h"

/*
 * Values of one metric for one (profile, config, strategy, mode), in rep
 * order. A workload metric is only taken from timed cells and a collector
 * metric only from collected ones: the probes slow the workload, and a
 * timed cell has no collector document.
 */
struct rgroup {
	const char *profile, *config, *workload, *strategy, *mode;
	const struct metric_def *def;	/* never NULL */
	const char *unit;
	size_t n;
	int *rep;
	double *v;
	const struct cell **cells;
	struct stats_summary s;		/* of v, STATS_DEFAULT_SEED */
};

struct rset {
	struct rundir run;
	struct rgroup *g;
	size_t ng;
	/* in the manifest's order of first appearance */
	const char **configs, **profiles, **strategies;
	size_t nconfigs, nprofiles, nstrategies;
	size_t rows_left_out;	/* workload rows of collected cells, ... */
	/*
	 * The workload's figures from the cells run under an instrument
	 * (collected and bpftrace modes), grouped as g is: they tell the
	 * instrument's cost against the timed groups, and nothing else.
	 */
	struct rgroup *ig;
	size_t nig;
};

/* rundir_load() plus the groups and their summaries. */
bool rset_load(const char *dir, struct rset *s, char *err, size_t errlen);
/*
 * The run directories a reader of runs takes after its options (from
 * optind): exactly @n of them (@what names them in the usage error), each
 * loaded into @sets[i]. False: one line on stderr (@errpfx before what
 * loading found) and nothing to free.
 */
bool rset_load_args(const char *cmd, int argc, char **argv, size_t n, const char *what,
		    const char *errpfx, struct rset *sets);
void rset_free(struct rset *s);
struct rgroup *rset_find(const struct rset *s, const char *profile, const char *config,
			 const char *strategy, const char *metric);
/* The group of @s with @g's profile, config, strategy, mode and metric. */
struct rgroup *rset_match(const struct rset *s, const struct rgroup *g);
/*
 * The order rows of @s are told in (compare, kernels): the run's profiles
 * and configurations as listed in @s, the metric's rank in the registry
 * and its name, the strategies' order, the mode.
 */
int rgroup_order(const struct rset *s, const struct rgroup *x, const struct rgroup *y);
/*
 * The cells that name @g's row in a table of rows (compare, kernels):
 * metric, config, profile (only with @profiles: a table of one profile
 * would only repeat it), strategy. Returns how many it filled.
 */
size_t rgroup_key_cells(const struct rgroup *g, bool profiles, const char **cells);
/* The manifest's params object of the first cell of @config. */
json_t *rconfig_params(const struct rset *s, const char *config);
const char *rconfig_workload(const struct rset *s, const char *config);
/*
 * The workload and every parameter of @cfg except @vary (NULL-terminated):
 * configurations with the same key differ only in @vary.
 */
char *rconfig_family(const struct rset *s, const char *cfg, const char *const *vary);
/* @cfg without the options of @letters ("-v", ...; NULL-terminated) and their values. */
char *rconfig_without(const char *cfg, const char *const *letters);
/*
 * Per rep, the sum of @metrics of one group (the first is required, the
 * others added where the configuration has them); a rep missing from one
 * of them is dropped, so every value sums the same parts. False: no values.
 */
#define RSERIES_MAX 512
struct rseries {
	size_t n;
	int rep[RSERIES_MAX];
	double v[RSERIES_MAX];
};
bool rseries_sum(const struct rset *s, const char *prof, const char *cfg, const char *strat,
		 const char *const *metrics, struct rseries *out);
/* pass + log harvest of a dirty-log pass: dirty.pass_time, get, clear, ring */
extern const char *const rpass_harvest[];

/*
 * s2_dirty configurations that differ only in the share of pages written
 * per pass (-w; 100 without it), two shares or more, in increasing share:
 * where hwdbm's harvest (a scan of every leaf) against write-protection
 * faults (one per page written) turns over.
 */
#define RSHARE_MAX 32
struct rshare_point {
	int share;		/* percent */
	const char *config;
};
struct rshare_family {
	char *key;		/* rconfig_family() without write_pct */
	char *label;		/* the first configuration without its -w */
	struct rshare_point p[RSHARE_MAX];
	size_t n;
};
size_t rshare_families(const struct rset *s, struct rshare_family **out);
void rshare_families_free(struct rshare_family *f, size_t n);
/* A cell ran to completion (0) or was skipped (4). */
bool rcell_ok(const struct cell *c);
bool rcell_skipped(const struct cell *c);
/* "hung (killed at the timeout)", "exit status 1", ... */
const char *rcell_status_text(const struct cell *c, char *buf, size_t len);

/*
 * value(num)/value(den) paired by rep (the groups share profile and, for a
 * strategy against rwlock, config): median ratio, bootstrap CI of the
 * median, Wilcoxon signed-rank test on the log ratios.
 */
struct rratio {
	size_t n;
	double median;
	bool has_ci;
	double lo, hi;
	struct stats_test t;
	/* set by rholm: Holm's p over the m tests of the ratio's report section */
	bool adjusted;
	double p_adj;
	size_t m;
};
bool rratio_of(const int *rep_a, const double *a, size_t na,
	       const int *rep_b, const double *b, size_t nb, struct rratio *r);
bool rratio_groups(const struct rgroup *num, const struct rgroup *den, struct rratio *r);
/* Tested and p < STATS_ALPHA: Holm's p where the ratio has one. */
bool rratio_significant(const struct rratio *r);
/* The p the verdict rests on: Holm's where adjusted, else the test's. */
double rratio_p(const struct rratio *r);

/*
 * Holm's correction over the paired ratios one section of the report tests
 * (the headline, each question of the advice). A section is built twice by
 * the same code: the first pass (into a scratch rdoc) computes each ratio
 * and keeps it; rholm_adjust() corrects the p of the tested ones; the
 * second pass gets the same ratios back, in the same order, adjusted. With
 * @h NULL a ratio is computed and left unadjusted.
 */
struct rholm {
	bool apply;		/* second pass */
	size_t n, cap, next, m;	/* m: the tested ratios, Holm's family */
	struct rratio *r;
};
void rholm_ratio(struct rholm *h, const int *rep_a, const double *a, size_t na,
		 const int *rep_b, const double *b, size_t nb, struct rratio *out);
void rholm_groups(struct rholm *h, const struct rgroup *num, const struct rgroup *den,
		  struct rratio *out);
void rholm_adjust(struct rholm *h);
void rholm_free(struct rholm *h);

/*
 * The smallest shift of the median ratio (a fraction: 0.05 = 5%) that the
 * paired Wilcoxon signed-rank test at @n pairs finds with 80% power at
 * two-sided level @alpha, when the log ratio has standard deviation @sd_log:
 * the paired t-test's (z(1 - alpha/2) + z(0.8)) sd / sqrt(n), over the
 * square root of the signed-rank test's efficiency relative to it for
 * normal data (3/pi). INFINITY where n pairs cannot reach p < alpha at all
 * (the exact test's smallest p is 2/2^n), NAN below STATS_MIN_N_TEST.
 */
double rmde_wilcoxon(size_t n, double sd_log, double alpha);
/* The fewest pairs whose smallest exact Wilcoxon p is below @alpha. */
size_t rmin_pairs(double alpha);

/* Numbers for people. */

/* A scale chosen once for a row, so its median, p10 and p90 share a unit. */
struct rscale {
	double div;
	char unit[32];
};
struct rscale rscale_for(double ref, const char *unit);
/* 4 significant digits in @sc's unit, "587.0 ms" (with_unit) or "587.0". */
const char *rfmt(char *buf, size_t len, double v, struct rscale sc, bool with_unit);
/* rfmt with the scale chosen from v itself. */
const char *rfmt_auto(char *buf, size_t len, double v, const char *unit);
/* "±2.1%" of the median, or "" without a CI */
const char *rfmt_ci_pct(char *buf, size_t len, const struct stats_summary *s);
const char *rfmt_p(char *buf, size_t len, double p);
/* "p=0.012 holm=0.036", "p<0.001 holm=0.002": a test's p and its Holm-adjusted p */
const char *rfmt_p_holm(char *buf, size_t len, double p, double p_holm);

/*
 * The run's clock (rundir_clock()): under icount a time in ns is a count of
 * emulated instructions. rtime_unit(): " (instruction time)" after a time
 * unit of such a run, else "".
 */
bool rset_icount(const struct rset *s);
const char *rtime_unit(const struct rset *s, const char *unit);

/* A JSON number, or null for NaN and infinities (which JSON cannot hold). */
json_t *rjson_num(double v);
/* A JSON string made from (and freeing) @s. */
json_t *rjson_take(char *s);
/*
 * A compared row's decision into its JSON object @o (compare, kernels):
 * "verdict"; "change": regression or improvement (DIFFERENT, by the
 * metric's better direction), changed (DIFFERENT without one) or none;
 * "gated_regression".
 */
void rjson_verdict(json_t *o, enum stats_verdict v, int direction, bool gated_regression);

#endif
