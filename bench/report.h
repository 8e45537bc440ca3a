/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the readers of a run (report, compare, kcidb, advice) share, on top
 * of rundir.h: the run's values grouped the way the statistics need them,
 * paired ratios, numbers scaled for people, and a small document model that
 * report renders as text, Markdown and HTML from one source, so the three
 * never disagree.
 */
#ifndef S2BENCH_REPORT_H
#define S2BENCH_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#include "rundir.h"
#include "stats.h"

/* rgroup.c ------------------------------------------------------------ */

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
void rset_free(struct rset *s);
struct rgroup *rset_find(const struct rset *s, const char *profile, const char *config,
			 const char *strategy, const char *metric);
/* The group of @s with @g's profile, config, strategy, mode and metric. */
struct rgroup *rset_match(const struct rset *s, const struct rgroup *g);
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

/* The headline's write-protection fault latency (the collector's histograms). */
#define RMETRIC_WP_P50 "collector.fault_latency.permission.p50"

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

/* Findings the summary at the top of the report lists. */
struct rfindings {
	char **v;
	size_t n;
};
void rfinding_add(struct rfindings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rfindings_free(struct rfindings *f);

/* Numbers for people --------------------------------------------------- */

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

/*
 * The run's clock (rundir_clock()): under icount a time in ns is a count of
 * emulated instructions. rtime_unit(): " (instruction time)" after a time
 * unit of such a run, else "".
 */
bool rset_icount(const struct rset *s);
const char *rtime_unit(const struct rset *s, const char *unit);

/* rdoc.c: one document, three renderings ------------------------------ */

enum rblock_kind { RB_HEADING, RB_PARA, RB_ITEM, RB_TABLE, RB_PLOT };

struct rtable {
	char *id;
	size_t ncols, nrows, cap;
	char **head;
	bool *num;		/* right-aligned column */
	char **cell;		/* nrows x ncols */
};

struct rblock {
	enum rblock_kind kind;
	int level;		/* heading */
	char *id;		/* heading, table, plot */
	char *text;		/* heading, para, item, plot caption */
	char *img;		/* plot: path relative to the run, without extension */
	struct rtable *t;
};

struct rdoc {
	struct rblock *b;
	size_t n, cap;
};

void rdoc_heading(struct rdoc *d, int level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void rdoc_para(struct rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A paragraph with an element id in report.html (the clock line). */
void rdoc_para_id(struct rdoc *d, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rdoc_item(struct rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rdoc_plot(struct rdoc *d, const char *id, const char *img, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* @spec: column names, a leading '>' marks a right-aligned column. */
struct rtable *rdoc_table(struct rdoc *d, const char *id, size_t ncols, const char *const *spec);
/* Append a row of ncols strings (copied; NULL = empty). */
void rtable_row(struct rtable *t, const char *const *cells);
/* Drop the last block (a table that got no rows). */
void rdoc_pop(struct rdoc *d);
/* Move every block of @src to the end of @dst (@src is left empty). */
void rdoc_move(struct rdoc *dst, struct rdoc *src);
void rdoc_free(struct rdoc *d);

void rdoc_text(const struct rdoc *d, size_t from, size_t to, FILE *f);
void rdoc_markdown(const struct rdoc *d, FILE *f);
void rdoc_html(const struct rdoc *d, const char *title, FILE *f);

/* A JSON number, or null for NaN and infinities (which JSON cannot hold). */
json_t *rjson_num(double v);
/* A JSON string made from (and freeing) @s. */
json_t *rjson_take(char *s);

/* printf into a fresh string (never NULL: out of memory aborts). */
char *rstrf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *rvstrf(const char *fmt, va_list ap);

/* advice.c ------------------------------------------------------------- */
/* The headline's metrics: per configuration the first of each list it has. */
extern const char *const rhl_pass[];
extern const char *const rhl_populate[];
/* The tuning advice; its significant answers (after Holm) also go to @f. */
void advice_build(struct rdoc *d, const struct rset *s, struct rfindings *f);

/* rplot.c: the plots report draws ------------------------------------- */
struct rplot_opts {
	bool draw;		/* false: --no-plots */
	const char *plots_dir;	/* where the gnuplot scripts are */
};
void rplot_all(struct rdoc *d, const struct rset *s, const struct rplot_opts *o);

/* The s2_dirty-like configuration the headline plots use (most timed cells). */
const char *rheadline_dirty_config(const struct rset *s, const char *profile);
/* The configuration with the most collected cells that ran to completion. */
const char *rcollector_config(const struct rset *s, const char **profile);
/* Short labels that tell @n configurations apart ("v=2 log=get"). */
char **rconfig_labels(const struct rset *s, const char *const *configs, size_t n);

#endif
