/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The statistics s2bench tells results with: order statistics, bootstrap
 * confidence intervals of the median, the Mann-Whitney U test, the Wilcoxon
 * signed-rank test and Holm's correction. Pure functions over arrays of
 * doubles; random numbers come from GSL with a caller-given seed, so every
 * figure is reproducible.
 */
#ifndef S2BENCH_STATS_H
#define S2BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

/* Below these, no CI / no test is given (benchstat's limits). */
#define STATS_MIN_N_CI 6
#define STATS_MIN_N_TEST 4
/* Bootstrap resamples per CI; the fuzz harnesses build with fewer (a loop bound, not a path). */
#ifndef STATS_BOOT_RESAMPLES
#define STATS_BOOT_RESAMPLES 10000
#endif
#define STATS_DEFAULT_SEED 1
#define STATS_ALPHA 0.05
#define STATS_CV_HIGH 0.10
/*
 * Exact null distributions (Mann-Whitney: each sample; Wilcoxon: the
 * non-zero differences) up to this many values when there are no ties, the
 * normal approximation otherwise. At 50 the exact tables take a few
 * milliseconds, and it is scipy.stats.wilcoxon's own limit.
 */
#define STATS_EXACT_MAX_N 50

struct stats_summary {
	size_t n;
	double median, p10, p90, min, max, mean, sd, cv;
	bool has_ci;		/* false when n < STATS_MIN_N_CI */
	double ci_lo, ci_hi;	/* bootstrap 95% CI of the median */
	bool cv_high;		/* cv > STATS_CV_HIGH */
};

/* Quantile q in [0,1] of @v (n >= 1), linear interpolation (type 7). */
double stats_quantile(const double *v, size_t n, double q);
/* Fill @s from @v (n >= 1; input is not modified). */
void stats_summarise(const double *v, size_t n, unsigned long seed,
		     struct stats_summary *s);
/* Percentile bootstrap 95% CI of the median; false when n < STATS_MIN_N_CI. */
bool stats_boot_median_ci(const double *v, size_t n, unsigned long seed,
			  size_t resamples, double *lo, double *hi);

struct stats_test {
	bool tested;		/* false: too few samples (n < STATS_MIN_N_TEST) */
	double statistic;	/* U (of the first sample) or W+ */
	double p;		/* two-sided */
	bool exact;		/* exact distribution, not the normal approximation */
	double statistic_other;	/* U of the second sample, or W- */
	size_t n_used;		/* values the test used (Wilcoxon: zeros dropped) */
	const char *reason;	/* static text: why not tested; NULL when tested */
};

/* Two independent samples, two-sided. */
void stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct stats_test *t);
/*
 * Paired differences d[i] (zeros dropped, as scipy's default "wilcox").
 * statistic is W+; scipy's two-sided statistic is min(W+, W-). The normal
 * approximation uses the tie correction and a continuity correction
 * (scipy's correction=True).
 */
void stats_wilcoxon(const double *d, size_t n, struct stats_test *t);
/* Holm-Bonferroni: adjusted p-values (monotone, capped at 1), in place order kept. */
void stats_holm(const double *p, size_t n, double *adjusted);

/*
 * Relative difference of medians, new vs base, as a fraction (0.10 = +10%),
 * with a bootstrap 95% CI (each sample resampled independently).
 * *delta is set whenever median(base) > 0 (NAN otherwise); the return is
 * true, and *lo, *hi set, only when both n >= STATS_MIN_N_CI and every base
 * value is > 0 (so that no resampled base median is zero or negative).
 */
bool stats_boot_delta_ci(const double *base, size_t nb, const double *new_, size_t nn,
			 unsigned long seed, size_t resamples, double *delta,
			 double *lo, double *hi);

enum stats_verdict { VERDICT_UNKNOWN, VERDICT_SAME, VERDICT_DIFFERENT };
const char *stats_verdict_name(enum stats_verdict v);
/*
 * DIFFERENT: tested and p_adjusted < alpha. SAME: tested, not different, and
 * the delta's CI lies within +-threshold. UNKNOWN: otherwise.
 */
enum stats_verdict stats_verdict(const struct stats_test *t, double p_adjusted,
				 bool has_delta_ci, double delta_lo, double delta_hi,
				 double threshold);

/* Exact (Clopper-Pearson) 95% CI of a rate of k successes in n trials. */
void stats_rate_ci(size_t k, size_t n, double *lo, double *hi);

#endif
