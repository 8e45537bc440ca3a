// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench stats: the statistics of stats.c on numbers given on the command
 * line, as JSON, so that an independent implementation (scipy, in
 * tests/stats-oracle.py) can check every figure.
 *
 * s2bench simulate: the known-answer benchmark of the whole decision (the
 * Mann-Whitney test, Holm's correction and the verdict that compare uses):
 * how often two samples of one distribution are called DIFFERENT, and how
 * often a planted shift is found.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "rundir.h"
#include "s2bench.h"
#include "stats.h"

/* ---- input ---- */

struct values {
	double *v;
	size_t n, cap;
};

static void values_push(struct values *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			fputs("s2bench: out of memory\n", stderr);
			exit(S2BENCH_EXIT_USAGE);
		}
	}
	s->v[s->n++] = x;
}

/* A whole token as a finite number; surrounding blanks are allowed. */
static bool parse_number(const char *tok, double *x)
{
	char *end;

	while (*tok == ' ' || *tok == '\t')
		tok++;
	errno = 0;
	*x = strtod(tok, &end);
	if (end == tok || errno == ERANGE || !isfinite(*x))
		return false;
	while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')
		end++;
	return *end == '\0';
}

static bool read_value_file(const char *what, const char *path, struct values *s)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	bool ok = true;

	if (!f) {
		s2b_err("%s: cannot read %s: %s", what, path, strerror(errno));
		return false;
	}
	while (ok && getline(&line, &cap, f) >= 0) {
		double x;

		lineno++;
		if (strspn(line, " \t\r\n") == strlen(line))
			continue;	/* blank lines, e.g. a trailing one */
		if (!parse_number(line, &x)) {
			line[strcspn(line, "\r\n")] = '\0';
			s2b_err("%s: %s:%zu: '%s' is not a number", what, path, lineno, line);
			ok = false;
		} else {
			values_push(s, x);
		}
	}
	free(line);
	fclose(f);
	return ok;
}

/* @what names the argument in messages ("A_VALUES"). */
static bool parse_values(const char *what, const char *arg, struct values *s)
{
	if (arg[0] == '@') {
		if (!read_value_file(what, arg + 1, s))
			return false;
	} else {
		char *copy = strdup(arg);

		/* strtok_r would merge ",," into one separator and hide a hole. */
		for (char *tok = copy, *comma; tok; tok = comma) {
			double x;

			comma = strchr(tok, ',');
			if (comma)
				*comma++ = '\0';
			if (!*tok && !comma && s->n == 0)
				break;	/* "": no values, said below */
			if (!*tok) {
				s2b_err("%s: empty value after %zu value(s)", what, s->n);
				free(copy);
				return false;
			}
			if (!parse_number(tok, &x)) {
				s2b_err("%s: '%s' is not a finite number", what, tok);
				free(copy);
				return false;
			}
			values_push(s, x);
		}
		free(copy);
	}
	if (s->n == 0) {
		s2b_err("%s: no values", what);
		return false;
	}
	return true;
}

static bool all_positive(const char *what, const struct values *s, const char *why)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!(s->v[i] > 0)) {
			s2b_err("%s: value %g (number %zu) is not > 0: %s", what, s->v[i],
				i + 1, why);
			return false;
		}
	}
	return true;
}

/* Strict unsigned option value in [min, max]. */
static bool parse_count(const char *opt, const char *arg, unsigned long min,
			unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(arg, &end, 10);
	if (arg[0] == '-' || end == arg || *end || errno || *out < min || *out > max) {
		s2b_err("%s: '%s' is not a whole number in %lu..%lu", opt, arg, min, max);
		return false;
	}
	return true;
}

/* A fraction option (0.03 = 3%) in the open interval (min, max). */
static bool parse_fraction(const char *opt, const char *arg, double min, double max,
			   double *out)
{
	if (!parse_number(arg, out) || *out <= min || *out >= max) {
		s2b_err("%s: '%s' is not a fraction between %g and %g (0.03 = 3%%)", opt,
			arg, min, max);
		return false;
	}
	return true;
}

/*
 * getopt's failure as one line. With a leading ':' in the option string a
 * missing value is ':' and an unknown option '?', optopt naming a short one.
 */
static void option_error(const char *cmd, int c, char **argv, const char *hint)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		s2b_err("%s: option '%s' needs a value", cmd, arg);
	else if (optopt)
		s2b_err("%s: unknown option '-%c'%s", cmd, optopt, hint);
	else
		s2b_err("%s: unknown option '%s'%s", cmd, arg, hint);
}

/* ---- JSON ---- */

static void set_num(json_t *o, const char *key, double x)
{
	/* jansson has no NaN; callers route unavailable figures to a reason. */
	json_object_set_new(o, key, isfinite(x) ? json_real(x) : json_null());
}

static void set_int(json_t *o, const char *key, size_t x)
{
	json_object_set_new(o, key, json_integer((json_int_t)x));
}

static void set_str(json_t *o, const char *key, const char *s)
{
	json_object_set_new(o, key, json_string(s));
}

static json_t *summary_json(const double *v, size_t n, unsigned long seed,
			    size_t resamples)
{
	struct stats_summary s;
	json_t *o = json_object();

	stats_summarise(v, n, seed, &s);
	/* stats_summarise uses the default resample count; honour --resamples. */
	if (resamples != STATS_BOOT_RESAMPLES)
		s.has_ci = stats_boot_median_ci(v, n, seed, resamples, &s.ci_lo, &s.ci_hi);
	set_int(o, "n", s.n);
	set_num(o, "median", s.median);
	set_num(o, "p10", s.p10);
	set_num(o, "p90", s.p90);
	set_num(o, "min", s.min);
	set_num(o, "max", s.max);
	set_num(o, "mean", s.mean);
	if (isfinite(s.sd))
		set_num(o, "sd", s.sd);
	else
		set_str(o, "sd_unavailable", "one value has no spread");
	if (isfinite(s.cv)) {
		set_num(o, "cv", s.cv);
		json_object_set_new(o, "cv_high", json_boolean(s.cv_high));
	} else {
		set_str(o, "cv_unavailable", n < 2 ? "one value has no spread"
						   : "mean is not > 0");
	}
	if (s.has_ci) {
		set_num(o, "ci_lo", s.ci_lo);
		set_num(o, "ci_hi", s.ci_hi);
	} else {
		set_str(o, "ci_unavailable", "fewer than 6 values");
	}
	return o;
}

static json_t *mann_whitney_json(const struct values *a, const struct values *b)
{
	struct stats_test t;
	json_t *o = json_object();

	stats_mann_whitney(a->v, a->n, b->v, b->n, &t);
	json_object_set_new(o, "tested", json_boolean(t.tested));
	if (!t.tested) {
		set_str(o, "reason", t.reason);
		return o;
	}
	set_num(o, "u", t.statistic);
	set_num(o, "u_b", t.statistic_other);
	set_num(o, "p", t.p);
	json_object_set_new(o, "exact", json_boolean(t.exact));
	return o;
}

static json_t *delta_json(const struct values *a, const struct values *b,
			  unsigned long seed, size_t resamples)
{
	double delta, lo, hi;
	json_t *o = json_object();
	bool has_ci = stats_boot_delta_ci(a->v, a->n, b->v, b->n, seed, resamples,
					  &delta, &lo, &hi);

	set_num(o, "value", delta);
	if (has_ci) {
		set_num(o, "ci_lo", lo);
		set_num(o, "ci_hi", hi);
	} else {
		set_str(o, "ci_unavailable", "fewer than 6 values in a sample, or a value of A "
			"not > 0");
	}
	return o;
}

/* The Hodges-Lehmann shift of B against A and its 95% CI, as compare gives it. */
static json_t *shift_json(const struct values *a, const struct values *b)
{
	struct stats_shift d;
	json_t *o = json_object();

	stats_shift(a->v, a->n, b->v, b->n, STATS_SHIFT_LEVEL, &d);
	json_object_set_new(o, "relative", json_boolean(d.relative));
	set_num(o, "estimate", d.est);
	if (d.has_ci) {
		set_num(o, "ci_lo", d.lo);
		set_num(o, "ci_hi", d.hi);
	} else {
		set_str(o, "ci_unavailable", "fewer than 4 values in a sample");
	}
	set_num(o, "min_p", stats_mann_whitney_min_p(a->n, b->n));
	return o;
}

/* Paired: Wilcoxon on the log ratios, and the median ratio with its CI. */
static void paired_json(json_t *root, const struct values *a, const struct values *b,
			unsigned long seed, size_t resamples)
{
	double *ratio = xcalloc(a->n, sizeof(double)), *logr = xcalloc(a->n, sizeof(double));
	struct stats_test t;
	json_t *w = json_object(), *r = json_object();
	double lo, hi;

	for (size_t i = 0; i < a->n; i++) {
		ratio[i] = b->v[i] / a->v[i];
		logr[i] = log(ratio[i]);
	}
	stats_wilcoxon(logr, a->n, &t);
	json_object_set_new(w, "tested", json_boolean(t.tested));
	set_int(w, "n", t.n_used);
	if (t.tested) {
		set_num(w, "w_plus", t.statistic);
		set_num(w, "w_minus", t.statistic_other);
		set_num(w, "p", t.p);
		json_object_set_new(w, "exact", json_boolean(t.exact));
	} else {
		set_str(w, "reason", t.reason);
	}
	json_object_set_new(root, "wilcoxon", w);

	set_int(r, "n", a->n);
	set_num(r, "median", stats_quantile(ratio, a->n, 0.5));
	if (stats_boot_median_ci(ratio, a->n, seed, resamples, &lo, &hi)) {
		set_num(r, "ci_lo", lo);
		set_num(r, "ci_hi", hi);
	} else {
		set_str(r, "ci_unavailable", "fewer than 6 pairs");
	}
	json_object_set_new(root, "ratio", r);
	free(logr);
	free(ratio);
}

static int print_json(json_t *root, FILE *f)
{
	/* 17 digits: every double reads back as itself (the oracle compares to 1e-9). */
	int rc = json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17));

	json_decref(root);
	if (rc || fputc('\n', f) == EOF || fflush(f)) {
		s2b_err("writing JSON: %s", strerror(errno));
		return S2BENCH_EXIT_FINDING;
	}
	return S2BENCH_EXIT_OK;
}

/* ---- s2bench stats ---- */

static const char stats_usage[] =
"usage: s2bench stats [OPTIONS] A_VALUES [B_VALUES]\n"
"       s2bench stats --holm P_VALUES\n"
"The statistics s2bench reports, on numbers given here, as JSON on stdout.\n"
"VALUES: comma-separated numbers (1.5,2,3e4) or @FILE (one number a line);\n"
"put -- before a list that starts with '-'.\n"
"\n"
"One sample: its summary: n, median, p10, p90 (linear interpolation, numpy's\n"
"  default), min, max, mean, sd (n-1), cv = sd/mean, and the percentile\n"
"  bootstrap 95% CI of the median (ci_lo, ci_hi; none below 6 values).\n"
"Two samples (A the base, B the new): both summaries, and\n"
"  mann_whitney: two-sided Mann-Whitney U test: u (of A, as scipy), u_b, p,\n"
"    exact (true: exact distribution when both n <= 50: the table of U without\n"
"    ties, a count of all C(N, nA) splits over the mid-ranks with ties, p =\n"
"    2 min(P(U <= u), P(U >= u)) as scipy's permutation_test; false: normal\n"
"    approximation, tie and continuity corrected); not tested below 4 values\n"
"    in a sample;\n"
"  delta: median(B)/median(A) - 1 with a bootstrap 95% CI, each sample\n"
"    resampled on its own (null unless median(A) > 0; no CI unless every\n"
"    value of A is > 0);\n"
"  shift: what compare prints: the Hodges-Lehmann estimate (median of the\n"
"    pairwise B[j] - A[i]; of log B[j] - log A[i], as exp() - 1, when every\n"
"    value is > 0: relative true) and its distribution-free 95% CI [D(k),\n"
"    D(mn+1-k)] from the no-ties law of U (normal past 50); min_p: the\n"
"    smallest p the test can give at these n.\n"
"With --paired (A and B the same length, every value > 0): both summaries, and\n"
"  wilcoxon: signed-rank test on d[i] = log(B[i]/A[i]), zero differences\n"
"    dropped: n (non-zero pairs), w_plus, w_minus, p, exact (no ties and\n"
"    n <= 50; else normal, tie and continuity corrected; scipy's two-sided\n"
"    statistic is min(w_plus, w_minus));\n"
"  ratio: the median of B[i]/A[i] and its bootstrap 95% CI.\n"
"\n"
"  -s, --seed N        seed of the bootstrap's generator (mt19937) (default 1)\n"
"  -r, --resamples N   bootstrap resamples (default 10000)\n"
"  -p, --paired        the samples are pairs, see above\n"
"  -H, --holm          the one argument is p-values: print them Holm-adjusted\n"
"  -h, --help          this text\n"
"Exit status: 0, or 2 on bad input (one line on stderr).\n";

static int holm_command(const char *arg)
{
	struct values p = { 0 };
	json_t *root = json_object(), *raw = json_array(), *adj = json_array();

	if (!parse_values("stats --holm: P_VALUES", arg, &p)) {
		free(p.v);	/* the values before the bad one */
		json_decref(root);
		json_decref(raw);
		json_decref(adj);
		return S2BENCH_EXIT_USAGE;
	}
	for (size_t i = 0; i < p.n; i++) {
		if (p.v[i] < 0 || p.v[i] > 1) {
			s2b_err("stats --holm: P_VALUES: %g (number %zu) is not a probability", p.v[i], i + 1);
			free(p.v);
			json_decref(root);
			json_decref(raw);
			json_decref(adj);
			return S2BENCH_EXIT_USAGE;
		}
	}
	double *a = xcalloc(p.n, sizeof(double));

	stats_holm(p.v, p.n, a);
	for (size_t i = 0; i < p.n; i++) {
		json_array_append_new(raw, json_real(p.v[i]));
		json_array_append_new(adj, json_real(a[i]));
	}
	set_str(root, "schema", "s2perf.stats/1");
	json_object_set_new(root, "p", raw);
	json_object_set_new(root, "holm", adj);
	free(a);
	free(p.v);
	return print_json(root, stdout);
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "resamples", required_argument, NULL, 'r' },
		{ "paired", no_argument, NULL, 'p' },
		{ "holm", no_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	unsigned long seed = STATS_DEFAULT_SEED, resamples = STATS_BOOT_RESAMPLES;
	bool paired = false, holm = false;
	int c;

	optind = 0;	/* glibc: a full reset, main() may have used getopt */
	opterr = 0;	/* our own one-line messages */
	while ((c = getopt_long(argc, argv, "+:s:r:pHh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!parse_count("stats --seed", optarg, 0, 4294967295UL, &seed))
				return S2BENCH_EXIT_USAGE;
			break;
		case 'r':
			if (!parse_count("stats --resamples", optarg, 100, 10000000, &resamples))
				return S2BENCH_EXIT_USAGE;
			break;
		case 'p':
			paired = true;
			break;
		case 'H':
			holm = true;
			break;
		case 'h':
			fputs(stats_usage, stdout);
			return S2BENCH_EXIT_OK;
		default:
			option_error("stats", c, argv,
				     " (see --help; a list starting with '-' goes after --)");
			return S2BENCH_EXIT_USAGE;
		}
	}
	int nargs = argc - optind;

	if (holm) {
		if (nargs != 1 || paired) {
			s2b_err("stats --holm: one list of p-values expected");
			return S2BENCH_EXIT_USAGE;
		}
		return holm_command(argv[optind]);
	}
	if (nargs < 1 || nargs > 2 || (paired && nargs != 2)) {
		s2b_err("stats: expected %s (see --help)",
			paired ? "A_VALUES B_VALUES" : "A_VALUES [B_VALUES]");
		return S2BENCH_EXIT_USAGE;
	}

	struct values a = { 0 }, b = { 0 };
	int rc = S2BENCH_EXIT_USAGE;

	if (!parse_values("stats: A_VALUES", argv[optind], &a))
		goto out;
	if (nargs == 2) {
		if (!parse_values("stats: B_VALUES", argv[optind + 1], &b))
			goto out;
		if (paired && a.n != b.n) {
			s2b_err("stats --paired: A_VALUES has %zu values, B_VALUES %zu", a.n, b.n);
			goto out;
		}
		if (paired && (!all_positive("stats: A_VALUES", &a, "pairs are compared as log ratios") ||
			       !all_positive("stats: B_VALUES", &b, "pairs are compared as log ratios")))
			goto out;
	}

	json_t *root = json_object();

	set_str(root, "schema", "s2perf.stats/1");
	set_int(root, "seed", seed);
	set_int(root, "resamples", resamples);
	json_object_set_new(root, "a", summary_json(a.v, a.n, seed, resamples));
	if (nargs == 2)
		json_object_set_new(root, "b", summary_json(b.v, b.n, seed, resamples));
	if (nargs == 2 && paired) {
		paired_json(root, &a, &b, seed, resamples);
	} else if (nargs == 2) {
		json_object_set_new(root, "mann_whitney", mann_whitney_json(&a, &b));
		json_object_set_new(root, "delta", delta_json(&a, &b, seed, resamples));
		json_object_set_new(root, "shift", shift_json(&a, &b));
	}
	rc = print_json(root, stdout);
out:
	free(a.v);
	free(b.v);
	return rc;
}

/* ---- s2bench simulate ---- */

struct sim_params {
	unsigned long n, trials, seed, group;
	double cv, shift, threshold;
	const char *clock;	/* "icount" or "realtime": the SAME band's floor, as compare's */
	double floor;		/* that floor (icount 1%, realtime the threshold) */
	double band;		/* --same-within: one fixed band; NAN: max(floor, the row's mde) */
};

/* One line of the result: a rate, its exact CI, and the goal if it has one. */
struct sim_rate {
	const char *scenario;	/* "A/A", "shift" */
	const char *what;	/* "DIFFERENT", ... */
	const char *basis;	/* "raw p", "Holm p", "Holm, groups" */
	size_t k, n;
	char goal_op;		/* '<', '>' (meaning <=, >=) or 0: no goal */
	double goal;
};

static bool rate_met(const struct sim_rate *r)
{
	double rate = (double)r->k / r->n;

	/* The tolerance keeps 0.05 vs 10/200 from failing on rounding. */
	if (r->goal_op == '<')
		return rate <= r->goal + 1e-12;
	if (r->goal_op == '>')
		return rate >= r->goal - 1e-12;
	return true;
}

/* Tally of one scenario over every trial. */
struct sim_tally {
	size_t diff_raw, diff_holm, same_holm, gate_holm, groups, groups_flagged;
	size_t wide;		/* rows whose SAME band was their mde, wider than the floor */
	double band_sum;	/* of every row's SAME band, for the mean */
};

/*
 * Samples are normal around 100 with the given CV; the second is scaled by
 * 1 + shift, so a planted change is multiplicative like a real slowdown.
 */
static void draw_sample(gsl_rng *r, double *v, size_t n, double cv, double scale)
{
	for (size_t i = 0; i < n; i++)
		v[i] = 100 * scale * (1 + gsl_ran_gaussian(r, cv));
}

/*
 * The rows of one report, as compare treats them: each row a Mann-Whitney
 * test and a Hodges-Lehmann shift with its CI, Holm over the rows (the
 * gated family), then compare's verdict with compare's SAME band (the
 * floor or the row's minimum detectable effect at alpha/rows from its two
 * samples' CV and n, whichever is wider; or the fixed --same-within) and
 * gate: a lower-is-better metric (a time), so a positive shift is a
 * regression.
 */
static void simulate_group(const struct sim_params *sp, gsl_rng *data, double shift,
			   size_t rows, struct sim_tally *tally)
{
	double *base = xcalloc(sp->n, sizeof(double)), *new_ = xcalloc(sp->n, sizeof(double));
	struct stats_test *t = xcalloc(rows, sizeof(*t));
	struct stats_shift *d = xcalloc(rows, sizeof(*d));
	double *p = xcalloc(rows, sizeof(double)), *adj = xcalloc(rows, sizeof(double));
	double *mb = xcalloc(rows, sizeof(double)), *band = xcalloc(rows, sizeof(double));
	double level = STATS_ALPHA / rows;
	bool flagged = false;

	for (size_t i = 0; i < rows; i++) {
		draw_sample(data, base, sp->n, sp->cv, 1);
		draw_sample(data, new_, sp->n, sp->cv, 1 + shift);
		stats_mann_whitney(base, sp->n, new_, sp->n, &t[i]);
		/* --n >= 4 keeps every row tested; an untested one could not be flagged. */
		p[i] = t[i].tested ? t[i].p : 1;
		stats_shift(base, sp->n, new_, sp->n, STATS_SHIFT_LEVEL, &d[i]);
		mb[i] = stats_quantile(base, sp->n, 0.5);
		if (isfinite(sp->band)) {
			band[i] = sp->band;
		} else {
			double cv = stats_pooled_cv(stats_cv(base, sp->n), stats_cv(new_, sp->n));

			band[i] = stats_same_band(sp->floor, stats_mde(cv, sp->n, sp->n, level,
								       STATS_MDE_POWER));
		}
		tally->wide += band[i] > sp->floor * (1 + 1e-9);
		tally->band_sum += band[i];
	}
	stats_holm(p, rows, adj);
	for (size_t i = 0; i < rows; i++) {
		enum stats_verdict raw = stats_verdict(&t[i], p[i], STATS_ALPHA, &d[i], mb[i],
						       band[i]);
		enum stats_verdict holm = stats_verdict(&t[i], adj[i], STATS_ALPHA, &d[i], mb[i],
							band[i]);
		double rel = d[i].relative ? d[i].est : d[i].est / fabs(mb[i]);

		tally->diff_raw += raw == VERDICT_DIFFERENT;
		tally->diff_holm += holm == VERDICT_DIFFERENT;
		tally->same_holm += holm == VERDICT_SAME;
		tally->gate_holm += holm == VERDICT_DIFFERENT && rel > sp->threshold;
		flagged |= holm == VERDICT_DIFFERENT;
	}
	tally->groups++;
	tally->groups_flagged += flagged;
	free(band);
	free(mb);
	free(adj);
	free(p);
	free(d);
	free(t);
	free(new_);
	free(base);
}

static void simulate_scenario(const struct sim_params *sp, double shift,
			      struct sim_tally *tally)
{
	gsl_rng *data = gsl_rng_alloc(gsl_rng_mt19937);

	if (!data) {
		fputs("s2bench: out of memory\n", stderr);
		/* 1 is a finding to compare's callers: this is no answer */
		exit(S2BENCH_EXIT_USAGE);
	}
	/* Both scenarios draw the same noise: only the shift differs. */
	gsl_rng_set(data, sp->seed);
	memset(tally, 0, sizeof(*tally));
	for (size_t done = 0; done < sp->trials; done += sp->group) {
		size_t rows = sp->trials - done < sp->group ? sp->trials - done : sp->group;

		simulate_group(sp, data, shift, rows, tally);
	}
	gsl_rng_free(data);
}

/* How the SAME band was chosen, one phrase (table and JSON). */
static const char *band_rule(const struct sim_params *sp, char *buf, size_t len)
{
	if (isfinite(sp->band))
		snprintf(buf, len, "+-%.2f%% on every row (--same-within)", 100 * sp->band);
	else
		snprintf(buf, len, "+-band, band: the clock's floor (%s %.2f%%) or the row's "
			 "detectable effect, whichever is wider", sp->clock, 100 * sp->floor);
	return buf;
}

static void print_table(const struct sim_params *sp, const struct sim_tally *aa,
			const struct sim_rate *r, size_t nr, bool ok)
{
	double level = STATS_ALPHA / sp->group;
	double mde = stats_mde(sp->cv, sp->n, sp->n, level, STATS_MDE_POWER);
	char rule[160];

	printf("s2bench simulate: normal samples of n = %lu, CV %.2f%%, %lu trials, seed %lu\n",
	       sp->n, 100 * sp->cv, sp->trials, sp->seed);
	printf("verdict: Mann-Whitney (alpha %.2f), Holm over groups of %lu rows, SAME: shift's "
	       "95%% CI within %s, gate: DIFFERENT and worse by more than %.2f%%\n",
	       STATS_ALPHA, sp->group, band_rule(sp, rule, sizeof(rule)), 100 * sp->threshold);
	if (!isfinite(sp->band))
		printf("SAME band in the A/A case: mean %.2f%%, wider than the floor on %zu of %lu "
		       "rows\n", 100 * aa->band_sum / sp->trials, aa->wide, sp->trials);
	if (isfinite(mde))
		printf("minimum detectable effect at alpha/%lu, 80%% power: %.2f%% (normal theory, "
		       "Mann-Whitney efficiency 3/pi)\n\n", sp->group, 100 * mde);
	else
		printf("minimum detectable effect: none: at n = %lu no p gets below alpha/%lu "
		       "(%zu values a side needed)\n\n", sp->n, sp->group,
		       stats_mann_whitney_n_needed(level));
	printf("%-12s %-10s %-13s %9s %7s  %-16s  %s\n", "case", "verdict", "using", "count",
	       "rate", "95% CI", "goal");
	for (size_t i = 0; i < nr; i++) {
		double lo, hi;
		char count[32], ci[40], goal[32] = "";

		stats_rate_ci(r[i].k, r[i].n, &lo, &hi);
		snprintf(count, sizeof(count), "%zu/%zu", r[i].k, r[i].n);
		snprintf(ci, sizeof(ci), "[%5.1f%%, %5.1f%%]", 100 * lo, 100 * hi);
		if (r[i].goal_op)
			snprintf(goal, sizeof(goal), "  %s %.0f%%  %s",
				 r[i].goal_op == '<' ? "<=" : ">=", 100 * r[i].goal,
				 rate_met(&r[i]) ? "ok" : "MISSED");
		printf("%-12s %-10s %-13s %9s %6.1f%%  %-16s%s\n", r[i].scenario, r[i].what,
		       r[i].basis, count, 100.0 * r[i].k / r[i].n, ci, goal);
	}
	printf("\n%s\n", ok ? "all goals met" : "a goal was MISSED");
}

static json_t *rates_json(const struct sim_params *sp, const struct sim_tally *aa,
			  const struct sim_rate *r, size_t nr, bool ok)
{
	json_t *root = json_object(), *params = json_object(), *rows = json_array();
	double mde = stats_mde(sp->cv, sp->n, sp->n, STATS_ALPHA / sp->group, STATS_MDE_POWER);
	char rule[160];

	set_str(root, "schema", "s2perf.simulate/1");
	set_int(params, "n", sp->n);
	set_num(params, "cv", sp->cv);
	set_num(params, "shift", sp->shift);
	set_int(params, "trials", sp->trials);
	set_int(params, "seed", sp->seed);
	set_num(params, "threshold", sp->threshold);
	set_str(params, "clock", sp->clock);
	set_num(params, "band_floor", sp->floor);
	/* null: no fixed band, each row's is max(band_floor, its mde) */
	set_num(params, "same_within", sp->band);
	set_str(params, "band_rule", band_rule(sp, rule, sizeof(rule)));
	set_int(params, "group", sp->group);
	set_num(params, "alpha", STATS_ALPHA);
	json_object_set_new(root, "params", params);
	/* null: no p at this n can get below alpha/group */
	set_num(root, "mde", mde);
	/* the A/A case's rows: their mean SAME band, and how many were wider than the floor */
	set_num(root, "band_mean", aa->band_sum / sp->trials);
	set_int(root, "band_wider_than_floor", aa->wide);
	for (size_t i = 0; i < nr; i++) {
		json_t *o = json_object();
		double lo, hi;

		stats_rate_ci(r[i].k, r[i].n, &lo, &hi);
		set_str(o, "case", r[i].scenario);
		set_str(o, "verdict", r[i].what);
		set_str(o, "using", r[i].basis);
		set_int(o, "count", r[i].k);
		set_int(o, "of", r[i].n);	/* trials, or groups of them */
		set_num(o, "rate", (double)r[i].k / r[i].n);
		set_num(o, "ci_lo", lo);
		set_num(o, "ci_hi", hi);
		if (r[i].goal_op) {
			set_str(o, "goal", r[i].goal_op == '<' ? "<=" : ">=");
			set_num(o, "goal_rate", r[i].goal);
			json_object_set_new(o, "met", json_boolean(rate_met(&r[i])));
		}
		json_array_append_new(rows, o);
	}
	json_object_set_new(root, "rates", rows);
	json_object_set_new(root, "ok", json_boolean(ok));
	return root;
}

static const char simulate_usage[] =
"usage: s2bench simulate [OPTIONS]\n"
"The known-answer benchmark of compare's decision. Each trial draws two\n"
"samples of N values, normal with the given CV (the second scaled by\n"
"1 + SHIFT in the shift case), and decides as compare does: two-sided\n"
"Mann-Whitney, Hodges-Lehmann shift with its 95% CI, Holm over a report's\n"
"gated rows (here consecutive groups of trials), verdict DIFFERENT / SAME /\n"
"UNKNOWN, and the gate (DIFFERENT and worse by more than the threshold).\n"
"Rates carry their exact 95% CI; goals are on the measured rate:\n"
"  A/A   (no difference)  DIFFERENT with raw p  <= 5%   (false positives)\n"
"  shift (+SHIFT)         DIFFERENT with raw p  >= 90%  (detection)\n"
"Also shown: both with Holm, the A/A groups with any DIFFERENT row after Holm\n"
"(the family-wise rate), the gate's rate (A/A: false alarms; shift: what\n"
"compare --threshold would fail on), SAME rates (for a shift beyond the band,\n"
"SAME is a wrong answer), and the minimum detectable effect compare prints.\n"
"SAME's band is compare's: the clock's floor (icount 1%: 2.5x its between-boot\n"
"CV; realtime the threshold) or the row's detectable effect (its minimum\n"
"detectable effect at alpha/rows, 80% power, from its two samples' CV and n),\n"
"whichever is wider; -b fixes one band for every row, as compare --same-within.\n"
"To ask what a run can detect, give its CV, reps and gated rows:\n"
"  s2bench simulate -n 10 -c 0.004 -S 0.01 -T 0.005 -k icount -g 40\n"
"A table for people on stdout; -o for JSON (schema s2perf.simulate/1).\n"
"\n"
"  -n, --n N             values per sample (default 10)\n"
"  -c, --cv F            coefficient of variation, a fraction (default 0.03)\n"
"  -S, --shift F         planted relative shift (default 0.10)\n"
"  -t, --trials N        comparisons per case (default 200)\n"
"  -s, --seed N          seed of the data's generator (mt19937) (default 1)\n"
"  -T, --threshold F     the gate: a regression must exceed F (default 0.05)\n"
"  -k, --clock C         icount or realtime: the SAME band's floor, as compare's\n"
"                        (icount 1%, realtime the threshold; default realtime)\n"
"  -b, --same-within F   one fixed SAME band +-F for every row, no per-row\n"
"                        widening (default: the floor or the row's detectable\n"
"                        effect, whichever is wider)\n"
"  -g, --group N         rows per report for Holm: compare's tested gated rows\n"
"                        (default 10)\n"
"  -o, --output FILE     write JSON to FILE ('-': stdout, instead of the table)\n"
"  -h, --help            this text\n"
"Exit status: 0 all goals met, 1 a goal missed, 2 bad input.\n";

static bool simulate_options(int argc, char **argv, struct sim_params *sp,
			     const char **out, int *rc)
{
	static const struct option opts[] = {
		{ "n", required_argument, NULL, 'n' },
		{ "cv", required_argument, NULL, 'c' },
		{ "shift", required_argument, NULL, 'S' },
		{ "trials", required_argument, NULL, 't' },
		{ "seed", required_argument, NULL, 's' },
		{ "threshold", required_argument, NULL, 'T' },
		{ "same-within", required_argument, NULL, 'b' },
		{ "clock", required_argument, NULL, 'k' },
		{ "group", required_argument, NULL, 'g' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool ok = true;
	int c;

	*rc = S2BENCH_EXIT_USAGE;
	optind = 0;
	opterr = 0;
	while (ok && (c = getopt_long(argc, argv, "+:n:c:S:t:s:T:b:k:g:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			ok = parse_count("simulate --n", optarg, STATS_MIN_N_TEST, 1000, &sp->n);
			break;
		case 'c':
			/* Past ~30% normal samples go negative, not a timing. */
			ok = parse_fraction("simulate --cv", optarg, 0, 0.3, &sp->cv);
			break;
		case 'S':
			ok = parse_fraction("simulate --shift", optarg, -1, 10, &sp->shift);
			break;
		case 't':
			ok = parse_count("simulate --trials", optarg, 1, 1000000, &sp->trials);
			break;
		case 's':
			ok = parse_count("simulate --seed", optarg, 0, 4294967295UL, &sp->seed);
			break;
		case 'T':
			ok = parse_fraction("simulate --threshold", optarg, 0, 1, &sp->threshold);
			break;
		case 'g':
			ok = parse_count("simulate --group", optarg, 1, 100000, &sp->group);
			break;
		case 'b':
			ok = parse_fraction("simulate --same-within", optarg, 0, 1, &sp->band);
			break;
		case 'k':
			if (!clock_known(optarg)) {
				s2b_err("simulate --clock '%s': icount or realtime", optarg);
				ok = false;
			}
			sp->clock = optarg;
			break;
		case 'o':
			*out = optarg;
			break;
		case 'h':
			fputs(simulate_usage, stdout);
			*rc = S2BENCH_EXIT_OK;
			return false;
		default:
			option_error("simulate", c, argv, " (see --help)");
			return false;
		}
	}
	if (ok && optind < argc) {
		s2b_err("simulate: unexpected argument '%s'", argv[optind]);
		return false;
	}
	return ok;
}

int cmd_simulate(int argc, char **argv)
{
	struct sim_params sp = {
		.n = 10, .trials = 200, .seed = STATS_DEFAULT_SEED, .group = 10,
		.cv = 0.03, .shift = 0.10, .threshold = 0.05, .band = NAN, .clock = "realtime",
	};
	const char *out = NULL;
	struct sim_tally aa, sh;
	char shift_name[32];
	int rc;

	if (!simulate_options(argc, argv, &sp, &out, &rc))
		return rc;
	/* compare's floor: icount's own noise, realtime's the threshold */
	sp.floor = !strcmp(sp.clock, "icount") ? STATS_BAND_ICOUNT : sp.threshold;
	if (isfinite(sp.band))
		sp.floor = sp.band;
	simulate_scenario(&sp, 0, &aa);
	simulate_scenario(&sp, sp.shift, &sh);
	snprintf(shift_name, sizeof(shift_name), "shift %+g%%", 100 * sp.shift);

	const struct sim_rate rates[] = {
		{ "A/A", "DIFFERENT", "raw p", aa.diff_raw, sp.trials, '<', 0.05 },
		{ "A/A", "DIFFERENT", "Holm p", aa.diff_holm, sp.trials, 0, 0 },
		{ "A/A", "any DIFF.", "Holm, groups", aa.groups_flagged, aa.groups, 0, 0 },
		{ "A/A", "SAME", "Holm p", aa.same_holm, sp.trials, 0, 0 },
		{ "A/A", "gated", "Holm p", aa.gate_holm, sp.trials, 0, 0 },
		{ shift_name, "DIFFERENT", "raw p", sh.diff_raw, sp.trials, '>', 0.90 },
		{ shift_name, "DIFFERENT", "Holm p", sh.diff_holm, sp.trials, 0, 0 },
		{ shift_name, "gated", "Holm p", sh.gate_holm, sp.trials, 0, 0 },
		{ shift_name, "SAME", "Holm p", sh.same_holm, sp.trials, 0, 0 },
	};
	size_t nr = sizeof(rates) / sizeof(rates[0]);
	bool ok = true;

	for (size_t i = 0; i < nr; i++)
		ok &= rate_met(&rates[i]);
	if (!out || strcmp(out, "-"))
		print_table(&sp, &aa, rates, nr, ok);
	if (out) {
		FILE *f = strcmp(out, "-") ? fopen(out, "w") : stdout;

		if (!f) {
			s2b_err("simulate: cannot write %s: %s", out, strerror(errno));
			return S2BENCH_EXIT_USAGE;
		}
		print_json(rates_json(&sp, &aa, rates, nr, ok), f);
		if (f != stdout && fclose(f)) {
			s2b_err("simulate: writing %s: %s", out, strerror(errno));
			return S2BENCH_EXIT_USAGE;
		}
	}
	return ok ? S2BENCH_EXIT_OK : S2BENCH_EXIT_FINDING;
}
