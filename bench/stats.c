// SPDX-License-Identifier: GPL-2.0
/*
 * The statistics of s2bench (see stats.h). The definitions follow the ones
 * people check results against: quantiles are numpy's default (type 7), the
 * tests are scipy.stats.mannwhitneyu and scipy.stats.wilcoxon, and
 * tests/stats-oracle.py holds this file to them.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "s2bench.h"
#include "stats.h"

static double *sorted_copy(const double *v, size_t n)
{
	double *s = xcalloc(n, sizeof(*s));

	memcpy(s, v, n * sizeof(*s));
	gsl_sort(s, 1, n);
	return s;
}

double stats_quantile(const double *v, size_t n, double q)
{
	if (n == 0)
		return NAN;	/* outside the contract; no figure rather than a crash */
	double *s = sorted_copy(v, n);
	/* GSL's definition is type 7: (n-1)q, then linear interpolation. */
	double x = gsl_stats_quantile_from_sorted_data(s, 1, n, q);

	free(s);
	return x;
}

/* ---- bootstrap ---- */

static gsl_rng *seeded_rng(unsigned long seed)
{
	gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);

	if (!r) {
		fputs("s2bench: out of memory\n", stderr);
		/* 1 is a finding to compare's callers: this is no answer */
		exit(S2BENCH_EXIT_USAGE);
	}
	gsl_rng_set(r, seed);
	return r;
}

/* Median of n values drawn with replacement from v, in @scratch (n slots). */
static double resampled_median(const gsl_rng *r, const double *v, size_t n,
			       double *scratch)
{
	for (size_t i = 0; i < n; i++)
		scratch[i] = v[gsl_rng_uniform_int(r, n)];
	/* Quickselect; the even-n median is the mean of the middle two, as numpy's. */
	return gsl_stats_median(scratch, 1, n);
}

/* Percentile interval: the 2.5% and 97.5% points of the bootstrap replicates. */
static void percentile_interval(double *theta, size_t resamples, double *lo, double *hi)
{
	gsl_sort(theta, 1, resamples);
	*lo = gsl_stats_quantile_from_sorted_data(theta, 1, resamples, 0.025);
	*hi = gsl_stats_quantile_from_sorted_data(theta, 1, resamples, 0.975);
}

bool stats_boot_median_ci(const double *v, size_t n, unsigned long seed,
			  size_t resamples, double *lo, double *hi)
{
	if (n < STATS_MIN_N_CI || resamples < 2) {
		*lo = *hi = NAN;
		return false;
	}
	gsl_rng *r = seeded_rng(seed);
	double *scratch = xcalloc(n, sizeof(double));
	double *theta = xcalloc(resamples, sizeof(double));

	for (size_t b = 0; b < resamples; b++)
		theta[b] = resampled_median(r, v, n, scratch);
	percentile_interval(theta, resamples, lo, hi);
	free(theta);
	free(scratch);
	gsl_rng_free(r);
	return true;
}

static double median_of(const double *v, size_t n)
{
	double *s = sorted_copy(v, n);
	double m = gsl_stats_median_from_sorted_data(s, 1, n);

	free(s);
	return m;
}

bool stats_boot_delta_ci(const double *base, size_t nb, const double *new_, size_t nn,
			 unsigned long seed, size_t resamples, double *delta,
			 double *lo, double *hi)
{
	bool base_positive = true;

	*delta = *lo = *hi = NAN;
	if (nb == 0 || nn == 0)
		return false;
	double mb = median_of(base, nb);

	if (mb > 0)
		*delta = median_of(new_, nn) / mb - 1;
	for (size_t i = 0; i < nb; i++)
		base_positive &= base[i] > 0;
	if (!base_positive || nb < STATS_MIN_N_CI || nn < STATS_MIN_N_CI || resamples < 2)
		return false;

	gsl_rng *r = seeded_rng(seed);
	double *sb = xcalloc(nb, sizeof(double)), *sn = xcalloc(nn, sizeof(double));
	double *theta = xcalloc(resamples, sizeof(double));

	for (size_t b = 0; b < resamples; b++) {
		/* Independent samples: each is resampled on its own. */
		double m_base = resampled_median(r, base, nb, sb);
		double m_new = resampled_median(r, new_, nn, sn);

		theta[b] = m_new / m_base - 1;
	}
	percentile_interval(theta, resamples, lo, hi);
	free(theta);
	free(sn);
	free(sb);
	gsl_rng_free(r);
	return true;
}

/* ---- summary ---- */

void stats_summarise(const double *v, size_t n, unsigned long seed,
		     struct stats_summary *s)
{
	memset(s, 0, sizeof(*s));
	if (n == 0) {		/* outside the contract; every figure unavailable */
		s->median = s->p10 = s->p90 = s->min = s->max = NAN;
		s->mean = s->sd = s->cv = s->ci_lo = s->ci_hi = NAN;
		return;
	}
	double *sorted = sorted_copy(v, n);

	s->n = n;
	s->median = gsl_stats_median_from_sorted_data(sorted, 1, n);
	s->p10 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.10);
	s->p90 = gsl_stats_quantile_from_sorted_data(sorted, 1, n, 0.90);
	s->min = sorted[0];
	s->max = sorted[n - 1];
	s->mean = gsl_stats_mean(sorted, 1, n);
	/* One value has no spread: NAN says "unavailable", 0 would claim "none". */
	s->sd = n > 1 ? gsl_stats_sd_m(sorted, 1, n, s->mean) : NAN;
	/* A relative spread means nothing around a zero or negative mean. */
	s->cv = n > 1 && s->mean > 0 ? s->sd / s->mean : NAN;
	s->cv_high = s->cv > STATS_CV_HIGH;
	s->has_ci = stats_boot_median_ci(sorted, n, seed, STATS_BOOT_RESAMPLES,
					 &s->ci_lo, &s->ci_hi);
	free(sorted);
}

/* ---- ranks ---- */

/*
 * Ranks 1..n of v, tied values sharing the mean of their ranks (scipy's
 * rankdata 'average'). *tie_term gets sum(t^3 - t) over the groups of t
 * tied values, the quantity both tests' variance corrections need.
 */
static double *average_ranks(const double *v, size_t n, double *tie_term)
{
	size_t *order = xcalloc(n, sizeof(*order));
	double *rank = xcalloc(n, sizeof(*rank));

	*tie_term = 0;
	gsl_sort_index(order, v, 1, n);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;

		while (j < n && v[order[j]] == v[order[i]])
			j++;
		/* Positions i..j-1 hold ranks i+1..j; their mean: */
		double r = (double)(i + 1 + j) / 2;
		double t = j - i;

		for (size_t k = i; k < j; k++)
			rank[order[k]] = r;
		*tie_term += t * t * t - t;
		i = j;
	}
	free(order);
	return rank;
}

static void not_tested(struct stats_test *t, const char *reason)
{
	t->tested = false;
	t->statistic = t->statistic_other = t->p = NAN;
	t->reason = reason;
}

/* ---- Mann-Whitney U ---- */

/*
 * The null distribution of U for samples of m and n values without ties:
 * counts of the C(m+n, m) orderings by U, in @f (m*n + 1 slots).
 * f(i, j, k), the number of orderings of i + j values giving U = k, obeys
 * f(i, j, k) = f(i-1, j, k-j) + f(i, j-1, k): the largest value comes from
 * the first sample (and beats all j of the second) or from the second.
 * Additions only, so the counts (up to C(100, 50) ~ 1e29) keep full
 * relative precision in doubles. Two layers in i of (n+1) x (mn+1).
 */
static void mann_whitney_counts(size_t m, size_t n, double *f)
{
	size_t kmax = m * n, width = kmax + 1;
	double *prev = xcalloc((n + 1) * width, sizeof(double));
	double *cur = xcalloc((n + 1) * width, sizeof(double));

	for (size_t j = 0; j <= n; j++)
		prev[j * width] = 1;		/* i = 0: U is 0 */
	for (size_t i = 1; i <= m; i++) {
		memset(cur, 0, (n + 1) * width * sizeof(double));
		cur[0] = 1;			/* j = 0: U is 0 */
		for (size_t j = 1; j <= n; j++) {
			double *c = cur + j * width, *left = cur + (j - 1) * width;
			const double *up = prev + j * width;

			for (size_t k = 0; k <= i * j; k++)
				c[k] = left[k] + (k >= j ? up[k - j] : 0);
		}
		double *swap = prev;

		prev = cur;
		cur = swap;
	}
	memcpy(f, prev + n * width, width * sizeof(double));
	free(cur);
	free(prev);
}

/* P(U >= u) under the null, no ties. */
static double mann_whitney_upper_tail(size_t m, size_t n, size_t u)
{
	size_t kmax = m * n;
	double *f = xcalloc(kmax + 1, sizeof(double)), total = 0, tail = 0;

	mann_whitney_counts(m, n, f);
	for (size_t k = 0; k <= kmax; k++) {
		total += f[k];
		if (k >= u)
			tail += f[k];
	}
	free(f);
	return tail / total;
}

/*
 * With ties the null distribution is not the table above: a permutation
 * test assigns the first sample @na of the pooled values, every one of the
 * C(N, na) splits equally likely, and the statistic is the first sample's
 * sum of mid-ranks. Mid-ranks are halves, so doubled they are integers:
 * count the splits by doubled rank sum, one tie group (t values of doubled
 * rank r2) at a time, taking j of its t values in C(t, j) ways. Counted
 * from the largest k down, f[k - j] still holds the previous groups only.
 * N * na * (2 na N) steps: 25 million at 50 + 50.
 * *lower = P(R2 <= r2obs), *upper = P(R2 >= r2obs).
 */
static void mann_whitney_tied_tails(const double *rank, size_t n, size_t na, long r2obs,
				    double *lower, double *upper)
{
	size_t width = 2 * na * n + 1;
	double *f = xcalloc((na + 1) * width, sizeof(double));
	double *sorted = sorted_copy(rank, n), total = 0;

	f[0] = 1;
	for (size_t i = 0; i < n;) {
		size_t t = 1;

		while (i + t < n && sorted[i + t] == sorted[i])
			t++;
		size_t r2 = (size_t)llround(2 * sorted[i]);

		for (size_t k = na; k >= 1; k--) {
			double *dst = f + k * width;

			for (size_t j = 1; j <= t && j <= k; j++) {
				const double *src = f + (k - j) * width;
				double c = gsl_sf_choose(t, j);
				size_t off = j * r2;

				for (size_t s = width - 1; s >= off; s--) {
					if (src[s - off])
						dst[s] += c * src[s - off];
					if (s == off)
						break;
				}
			}
		}
		i += t;
	}
	*lower = *upper = 0;
	for (size_t s = 0; s < width; s++) {
		const double c = f[na * width + s];

		total += c;
		if ((long)s <= r2obs)
			*lower += c;
		if ((long)s >= r2obs)
			*upper += c;
	}
	*lower /= total;
	*upper /= total;
	free(sorted);
	free(f);
}

void stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
			struct stats_test *t)
{
	memset(t, 0, sizeof(*t));
	t->n_used = na + nb;
	if (na < STATS_MIN_N_TEST || nb < STATS_MIN_N_TEST) {
		not_tested(t, "fewer than 4 values in a sample");
		return;
	}
	size_t n = na + nb;
	double *pooled = xcalloc(n, sizeof(double)), tie_term, rank_sum = 0;

	memcpy(pooled, a, na * sizeof(double));
	memcpy(pooled + na, b, nb * sizeof(double));
	double *rank = average_ranks(pooled, n, &tie_term);

	for (size_t i = 0; i < na; i++)
		rank_sum += rank[i];
	free(pooled);

	double mn = (double)na * nb;
	double u1 = rank_sum - (double)na * (na + 1) / 2;
	/* Two-sided: the tail beyond the larger of U1 and U2, doubled. */
	double u = fmax(u1, mn - u1);

	t->tested = true;
	t->statistic = u1;
	t->statistic_other = mn - u1;
	/*
	 * Small samples get their exact distribution, ties or not: the normal
	 * approximation is poor exactly where the gate lives (4 to 10 reps),
	 * e.g. 5,5,5,5 against 6,6,6,6 is 0.013 by the normal law and
	 * 2/70 = 0.029 by counting the 70 splits.
	 */
	t->exact = na <= STATS_EXACT_MAX_N && nb <= STATS_EXACT_MAX_N;
	if (t->exact && tie_term == 0) {
		t->p = 2 * mann_whitney_upper_tail(na, nb, (size_t)llround(u));
	} else if (t->exact) {
		double lower, upper;

		/* The tie structure need not be symmetric: both tails, as scipy's permutation_test. */
		mann_whitney_tied_tails(rank, n, na, lround(2 * rank_sum), &lower, &upper);
		t->p = 2 * fmin(lower, upper);
	} else {
		double sd = sqrt(mn / 12 * ((n + 1) - tie_term / ((double)n * (n - 1))));

		/* sd 0: every value tied, the samples cannot differ. */
		t->p = sd > 0 ? 2 * gsl_cdf_ugaussian_Q((u - mn / 2 - 0.5) / sd) : 1;
	}
	free(rank);
	t->p = fmin(t->p, 1);
}

double stats_mann_whitney_min_p(size_t na, size_t nb)
{
	if (na < STATS_MIN_N_TEST || nb < STATS_MIN_N_TEST)
		return 1;
	/* The normal approximation (past 50) reaches any p; that far, so does the exact law. */
	if (na > STATS_EXACT_MAX_N || nb > STATS_EXACT_MAX_N)
		return 0;
	/* Both extreme orderings, one of C(N, na) each; ties only make it larger. */
	return fmin(1, 2 * exp(-gsl_sf_lnchoose(na + nb, na)));
}

size_t stats_mann_whitney_n_needed(double level)
{
	size_t n;

	for (n = STATS_MIN_N_TEST; n < 1000; n++)
		if (stats_mann_whitney_min_p(n, n) < level)
			break;
	return n;
}

/* ---- shift: Hodges-Lehmann with its distribution-free CI ---- */

/*
 * The CI is the one that inverts the Mann-Whitney test (Bauer 1972,
 * Hollander & Wolfe 4.3): among the m*n pairwise differences, sorted,
 * [D_(k), D_(mn+1-k)] where k - 1 is the largest c with P(U <= c) <=
 * (1 - level) / 2 under the no-ties law; normal law past 50 a side.
 * It exists from 4 values a side at 95% (P(U = 0) = 1/70 at 4 + 4), where
 * a bootstrap of two medians has no coverage to speak of, and it is the
 * interval of the same test that decides DIFFERENT.
 */
static size_t shift_ci_rank(size_t m, size_t n, double level)
{
	double tail = (1 - level) / 2, mn = (double)m * n;

	if (m <= STATS_EXACT_MAX_N && n <= STATS_EXACT_MAX_N) {
		size_t kmax = m * n, c;
		double *f = xcalloc(kmax + 1, sizeof(double)), total = 0, cum = 0;

		mann_whitney_counts(m, n, f);
		for (c = 0; c <= kmax; c++)
			total += f[c];
		for (c = 0; c <= kmax; c++) {
			cum += f[c];
			if (cum / total > tail)
				break;
		}
		free(f);
		return c;	/* 0: no c qualifies, no CI at this level */
	}
	double k = floor(mn / 2 - gsl_cdf_ugaussian_Qinv(tail) * sqrt(mn * (m + n + 1) / 12));

	return k < 1 ? 0 : (size_t)k;
}

bool stats_shift(const double *base, size_t nb, const double *new_, size_t nn, double level,
		 struct stats_shift *d)
{
	bool positive = true;
	size_t m = nb * nn, k, i, j;

	memset(d, 0, sizeof(*d));
	d->est = d->lo = d->hi = NAN;
	if (nb == 0 || nn == 0)
		return false;
	for (i = 0; i < nb; i++)
		positive &= base[i] > 0;
	for (j = 0; j < nn; j++)
		positive &= new_[j] > 0;
	/*
	 * Times and counts change by factors: on positive data the shift is
	 * taken on the logs, so +20% and -17% are the same size and the
	 * estimate is a ratio. Otherwise (a zero, a negative value) it is in
	 * the metric's unit.
	 */
	d->relative = positive;
	double *diff = xcalloc(m, sizeof(double));

	for (i = 0; i < nb; i++)
		for (j = 0; j < nn; j++)
			diff[i * nn + j] = positive ? log(new_[j]) - log(base[i]) : new_[j] - base[i];
	gsl_sort(diff, 1, m);
	d->est = gsl_stats_median_from_sorted_data(diff, 1, m);
	k = nb >= STATS_MIN_N_TEST && nn >= STATS_MIN_N_TEST ? shift_ci_rank(nb, nn, level) : 0;
	d->has_ci = k >= 1 && k <= m;
	if (d->has_ci) {
		d->lo = diff[k - 1];
		d->hi = diff[m - k];
	}
	free(diff);
	if (positive) {
		d->est = expm1(d->est);
		d->lo = expm1(d->lo);
		d->hi = expm1(d->hi);
	}
	return d->has_ci;
}

double stats_mde(double cv, size_t na, size_t nb, double level, double power)
{
	if (stats_mann_whitney_min_p(na, nb) >= level)
		return INFINITY;
	if (!isfinite(cv))
		return NAN;
	/*
	 * Normal theory: a two-sided test at @level finds a shift of
	 * (z_{1-level/2} + z_{power}) * sd * sqrt(1/na + 1/nb) with probability
	 * @power; the Mann-Whitney test needs pi/3 times the t-test's values
	 * on normal data (its asymptotic relative efficiency, 3/pi).
	 */
	return (gsl_cdf_ugaussian_Qinv(level / 2) + gsl_cdf_ugaussian_Pinv(power)) * cv *
	       sqrt((1.0 / na + 1.0 / nb) * M_PI / 3);
}

double stats_cv(const double *v, size_t n)
{
	double mean;

	if (n < 2)
		return NAN;
	mean = gsl_stats_mean(v, 1, n);
	return mean > 0 ? gsl_stats_sd_m(v, 1, n, mean) / mean : NAN;
}

double stats_pooled_cv(double cv_a, double cv_b)
{
	if (isfinite(cv_a) && isfinite(cv_b))
		return sqrt((cv_a * cv_a + cv_b * cv_b) / 2);
	return isfinite(cv_a) ? cv_a : cv_b;
}

double stats_same_band(double floor, double mde)
{
	return isfinite(mde) && mde > floor ? mde : floor;
}

/* ---- one-sample t (paired blocks) ---- */

void stats_t_mean(const double *x, size_t n, double level, struct stats_tmean *r)
{
	double q;

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->mean = r->sd = r->se = r->t = r->p = r->lo = r->hi = NAN;
	if (n >= 1)
		r->mean = gsl_stats_mean(x, 1, n);
	if (n < STATS_MIN_N_T)
		return;
	r->tested = true;
	r->df = n - 1;
	r->sd = gsl_stats_sd_m(x, 1, n, r->mean);
	r->se = r->sd / sqrt(n);
	if (!(r->se > 0)) {
		/*
		 * Every value the same: no spread to scale by. The CI is that
		 * value; a mean of 0 is no evidence of a shift, any other is
		 * all the evidence there is (the limit of t as sd goes to 0).
		 */
		r->se = 0;
		r->lo = r->hi = r->mean;
		r->t = r->mean == 0 ? 0 : copysign(INFINITY, r->mean);
		r->p = r->mean == 0 ? 1 : 0;
		return;
	}
	r->t = r->mean / r->se;
	r->p = fmin(1, 2 * gsl_cdf_tdist_Q(fabs(r->t), r->df));
	q = gsl_cdf_tdist_Pinv(1 - (1 - level) / 2, r->df);
	r->lo = r->mean - q * r->se;
	r->hi = r->mean + q * r->se;
}

double stats_t_mde(double sd, size_t n, double level, double power)
{
	double df = (double)n - 1;

	if (n < STATS_MIN_N_T || !isfinite(sd))
		return NAN;
	/* the one-sample t test's: (t_{1-level/2} + t_{power}) sd / sqrt(n), df n - 1 */
	return (gsl_cdf_tdist_Pinv(1 - level / 2, df) + gsl_cdf_tdist_Pinv(power, df)) * sd /
	       sqrt(n);
}

/* ---- Wilcoxon signed-rank ---- */

/*
 * P(W+ <= w) and P(W+ >= w) under the null for n values without ties: W+
 * is the sum of a uniformly random subset of the ranks 1..n, so count the
 * subsets by sum (additions only; at most 2^50, exact in doubles).
 */
static void wilcoxon_tails(size_t n, size_t w, double *lower, double *upper)
{
	size_t kmax = n * (n + 1) / 2;
	double *count = xcalloc(kmax + 1, sizeof(double));
	double total = ldexp(1, (int)n);

	count[0] = 1;
	for (size_t r = 1; r <= n; r++)
		for (size_t k = kmax; k >= r; k--)
			count[k] += count[k - r];
	*lower = *upper = 0;
	for (size_t k = 0; k <= kmax; k++) {
		if (k <= w)
			*lower += count[k];
		if (k >= w)
			*upper += count[k];
	}
	*lower /= total;
	*upper /= total;
	free(count);
}

void stats_wilcoxon(const double *d, size_t n, struct stats_test *t)
{
	double *mag = xcalloc(n, sizeof(double)), *sign = xcalloc(n, sizeof(double));
	size_t m = 0;

	memset(t, 0, sizeof(*t));
	/* Zero differences carry no sign: dropped, as scipy's "wilcox". */
	for (size_t i = 0; i < n; i++) {
		if (d[i] == 0)
			continue;
		mag[m] = fabs(d[i]);
		sign[m++] = d[i] > 0 ? 1 : -1;
	}
	t->n_used = m;
	if (m < STATS_MIN_N_TEST) {
		free(sign);
		free(mag);
		not_tested(t, "fewer than 4 non-zero differences");
		return;
	}
	double tie_term, w_plus = 0;
	double *rank = average_ranks(mag, m, &tie_term);

	for (size_t i = 0; i < m; i++)
		if (sign[i] > 0)
			w_plus += rank[i];
	free(rank);
	free(sign);
	free(mag);

	double total = (double)m * (m + 1) / 2;

	t->tested = true;
	t->statistic = w_plus;
	t->statistic_other = total - w_plus;
	t->exact = tie_term == 0 && m <= STATS_EXACT_MAX_N;
	if (t->exact) {
		double lower, upper;

		wilcoxon_tails(m, (size_t)llround(w_plus), &lower, &upper);
		t->p = 2 * fmin(lower, upper);
	} else {
		double mean = total / 2;
		double var = ((double)m * (m + 1) * (2 * m + 1) - tie_term / 2) / 24;
		/* Continuity correction: half a step towards the mean. */
		double cc = w_plus > mean ? 0.5 : w_plus < mean ? -0.5 : 0;
		double z = (w_plus - mean - cc) / sqrt(var);

		t->p = 2 * gsl_cdf_ugaussian_Q(fabs(z));
	}
	t->p = fmin(t->p, 1);
}

/* ---- Holm ---- */

void stats_holm(const double *p, size_t n, double *adjusted)
{
	size_t *order = xcalloc(n, sizeof(*order));
	double running = 0;

	gsl_sort_index(order, p, 1, n);
	/*
	 * The i-th smallest p (from 0) is multiplied by n - i; the running
	 * maximum keeps the adjusted values in the order of the raw ones, so
	 * a row is never rejected while a smaller p is not.
	 */
	for (size_t i = 0; i < n; i++) {
		double a = fmin(1, (double)(n - i) * p[order[i]]);

		running = fmax(running, a);
		adjusted[order[i]] = running;
	}
	free(order);
}

void stats_holm_families(const double *p, const int *family, size_t n, double *adjusted)
{
	double *fp = xcalloc(n + 1, sizeof(*fp)), *fa = xcalloc(n + 1, sizeof(*fa));
	int f, last = -1;
	size_t i, k;

	for (i = 0; i < n; i++) {
		adjusted[i] = NAN;
		last = family[i] > last ? family[i] : last;
	}
	for (f = 0; f <= last; f++) {
		for (i = 0, k = 0; i < n; i++)
			if (family[i] == f)
				fp[k++] = p[i];
		stats_holm(fp, k, fa);
		for (i = 0, k = 0; i < n; i++)
			if (family[i] == f)
				adjusted[i] = fa[k++];
	}
	free(fp);
	free(fa);
}

/* ---- verdict ---- */

const char *stats_verdict_name(enum stats_verdict v)
{
	switch (v) {
	case VERDICT_SAME:
		return "SAME";
	case VERDICT_DIFFERENT:
		return "DIFFERENT";
	case VERDICT_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

enum stats_verdict stats_verdict(const struct stats_test *t, double p_adjusted, double alpha,
				 const struct stats_shift *d, double base_median, double band)
{
	double margin;

	if (!t->tested)
		return VERDICT_UNKNOWN;
	if (p_adjusted < alpha)
		return VERDICT_DIFFERENT;
	/*
	 * "Not significant" is not "the same": the CI must rule out a change
	 * larger than the band on either side (two one-sided tests at 2.5%).
	 * Equal values on both sides give a CI of [0, 0]: SAME at any band,
	 * a zero base included.
	 */
	if (!d->has_ci)
		return VERDICT_UNKNOWN;
	margin = d->relative ? band : band * fabs(base_median);
	if (d->lo >= -margin && d->hi <= margin)
		return VERDICT_SAME;
	return VERDICT_UNKNOWN;
}

/* ---- rates ---- */

/*
 * The p at which the Beta(a, b) CDF reaches @target, by bisection:
 * gsl_cdf_beta_Pinv fails to converge (and aborts through GSL's error
 * handler) for parameters such as Beta(1, 2000); the CDF itself is
 * monotone and well behaved, and 60 halvings are below a double's step.
 */
static double beta_quantile(double target, double a, double b)
{
	double lo = 0, hi = 1;

	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;

		if (gsl_cdf_beta_P(mid, a, b) < target)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

void stats_rate_ci(size_t k, size_t n, double *lo, double *hi)
{
	if (n == 0) {
		*lo = *hi = NAN;
		return;
	}
	*lo = k == 0 ? 0 : beta_quantile(0.025, k, n - k + 1);
	*hi = k == n ? 1 : beta_quantile(0.975, k + 1, n - k);
}
