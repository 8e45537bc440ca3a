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
 * non-zero differences) up to this many values, the normal approximation
 * past it. Mann-Whitney is exact with ties too (a permutation count over
 * the mid-ranks); Wilcoxon only without them. At 50 the exact tables take
 * a few milliseconds (25 ms with ties at 50 + 50), and it is
 * scipy.stats.wilcoxon's own limit.
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
 * The smallest two-sided p stats_mann_whitney() can give for samples of
 * @na and @nb values (2 / C(na + nb, na) when exact; 0 when normal; 1 below
 * STATS_MIN_N_TEST), and the fewest values a side for that to be < @level.
 */
double stats_mann_whitney_min_p(size_t na, size_t nb);
size_t stats_mann_whitney_n_needed(double level);

/*
 * The shift of new against base: the Hodges-Lehmann estimate (median of
 * the pairwise differences new[j] - base[i]) and the distribution-free CI
 * at @level that inverts the Mann-Whitney test. On data all > 0 it is
 * taken on the logs and given as a relative change (0.10 = +10%);
 * otherwise in the data's unit (relative false).
 */
struct stats_shift {
	bool relative;
	bool has_ci;		/* false below STATS_MIN_N_TEST values a side */
	double est, lo, hi;
};
bool stats_shift(const double *base, size_t nb, const double *new_, size_t nn, double level,
		 struct stats_shift *d);
/*
 * Minimum detectable effect: the relative shift a two-sided Mann-Whitney
 * test at @level finds with probability @power in samples of @na and @nb
 * values of coefficient of variation @cv (normal theory, the test's
 * efficiency 3/pi); INFINITY when no p below @level is possible at that n.
 */
double stats_mde(double cv, size_t na, size_t nb, double level, double power);
/* The power the minimum detectable effect is quoted at (compare, simulate). */
#define STATS_MDE_POWER 0.80
/* Coefficient of variation sd/mean (sd over n - 1), as stats_summarise(); NAN: n < 2, mean <= 0. */
double stats_cv(const double *v, size_t n);
/* A row's CV from its two sides' (root mean square); a side without one leaves the other's. */
double stats_pooled_cv(double cv_a, double cv_b);

/*
 * The SAME band. Each clock has a floor, the narrowest band its own noise
 * between boots allows: icount 1% (instruction counts vary by under 0.4%
 * (CV) between boots: 2.5 times that), realtime the gate's threshold (wall
 * time varies by 10-50% between boots). By default a row's band is the
 * floor or the row's minimum detectable effect, whichever is wider: SAME
 * then means "no change as large as this row could have detected", and a
 * row whose own spread is several % is not UNKNOWN for ever. A row that
 * cannot detect anything (mde infinite or unknown) keeps the floor: SAME
 * within an unbounded band would say nothing.
 */
#define STATS_BAND_ICOUNT 0.01
double stats_same_band(double floor, double mde);
/*
 * Paired differences d[i] (zeros dropped, as scipy's default "wilcox").
 * statistic is W+; scipy's two-sided statistic is min(W+, W-). The normal
 * approximation uses the tie correction and a continuity correction
 * (scipy's correction=True).
 */
void stats_wilcoxon(const double *d, size_t n, struct stats_test *t);
/*
 * One-sample Student t on @x: the test of a paired design whose pairs are
 * blocks (s2bench kernels with --blocks: the log of each block's ratio of
 * medians). mean, sd (over n - 1), the two-sided p of "mean = 0" (GSL's t
 * distribution, n - 1 degrees of freedom) and the CI of the mean at @level
 * (0.95). Not tested below STATS_MIN_N_T values (tested false; mean set
 * from one). With every value equal (sd 0) the CI is that value and p is 1
 * for 0, else 0.
 */
#define STATS_MIN_N_T 2
struct stats_tmean {
	bool tested;
	size_t n;
	double mean, sd, se, t, df, p, lo, hi;
};
void stats_t_mean(const double *x, size_t n, double level, struct stats_tmean *r);
/*
 * The shift of the mean the one-sample t test at two-sided @level finds
 * with probability @power at @n values of standard deviation @sd:
 * (t_{1-level/2} + t_{power}) sd / sqrt(n), n - 1 degrees of freedom;
 * NAN below STATS_MIN_N_T.
 */
double stats_t_mde(double sd, size_t n, double level, double power);
/* Holm-Bonferroni: adjusted p-values (monotone, capped at 1), in place order kept. */
void stats_holm(const double *p, size_t n, double *adjusted);
/*
 * Holm within families: @family[i] names the family of p[i] (0, 1, ...;
 * below 0: not tested, adjusted NAN); each family is corrected on its own
 * (compare and kernels: the gated rows, the others).
 */
void stats_holm_families(const double *p, const int *family, size_t n, double *adjusted);

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
 * the shift's CI lies inside +-band (an equivalence test: relative, or in
 * the unit as +-band * |base_median|). UNKNOWN: otherwise.
 */
enum stats_verdict stats_verdict(const struct stats_test *t, double p_adjusted, double alpha,
				 const struct stats_shift *d, double base_median, double band);
/* Level of the shift CI that decides SAME (and compare prints). */
#define STATS_SHIFT_LEVEL 0.95

/* Exact (Clopper-Pearson) 95% CI of a rate of k successes in n trials. */
void stats_rate_ci(size_t k, size_t n, double *lo, double *hi);

#endif
