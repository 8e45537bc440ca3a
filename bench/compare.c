// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench compare BASE NEW: two runs of one plan, row by row (profile,
 * config, strategy, mode, metric), the way benchstat tells them: each
 * median with its CI, the shift of new against base with its CI, the
 * Mann-Whitney p (Holm-corrected within two families, the gated metrics'
 * rows and the others) and n; and Pinpoint's verdict, DIFFERENT, SAME or
 * UNKNOWN, where SAME is an equivalence test (the shift's CI inside a band:
 * the clock's floor or the row's detectable effect, whichever is wider),
 * not "not significant". Exit 1 on a gated
 * regression beyond the threshold, 3 when the gate could not have found
 * one (too few reps), so CI can gate on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rdoc.h"
#include "rgroup.h"
#include "s2bench.h"

#define COMPARE_SCHEMA "s2perf.compare/1"
/* No gated row could reach significance: neither OK nor FAIL. */
#define COMPARE_EXIT_UNDECIDED 3

/*
 * The SAME band's floor per clock, and why. icount's times are counts of
 * emulated instructions: between boots they vary by under 0.4% (CV), so
 * 1% (2.5 times that, STATS_BAND_ICOUNT) is a band the clock can show.
 * realtime's vary by 10-50% between boots: no band tighter than the gate's
 * threshold could be shown SAME by two runs of the same code, so the floor
 * is the threshold. Each row's band is the floor or the row's minimum
 * detectable effect, whichever is wider (stats_same_band()): some metrics
 * vary by several % from rep to rep even in instruction time (thread
 * interleavings), and a 1% band could never be shown for them.
 */

struct crow {
	const struct rgroup *b, *n;
	struct stats_test t;
	double p_adj;
	struct stats_shift d;	/* Hodges-Lehmann shift and its 95% CI */
	double rel, rlo, rhi;	/* the shift as a fraction of base (NAN: base median 0) */
	double cv, mde;		/* pooled CV; minimum detectable effect (fraction) */
	double band;		/* the SAME band: max(floor, mde), or --same-within */
	bool reachable;		/* the test can give p < alpha/m at this n */
	bool too_noisy;		/* even base against itself would not fit the SAME band */
	enum stats_verdict verdict;
	int direction;		/* +1 better, -1 worse, 0 no better direction or same */
	bool gated_regression;	/* DIFFERENT, worse, gated, beyond the threshold */
};

static const struct rset *order_set;

static int cmp_crow(const void *a, const void *b)
{
	return rgroup_order(order_set, ((const struct crow *)a)->b, ((const struct crow *)b)->b);
}

static const char *median_ci(char *buf, size_t len, const struct rgroup *g, struct rscale sc)
{
	char m[48], ci[32];

	rfmt(m, sizeof(m), g->s.median, sc, true);
	if (g->s.has_ci)
		snprintf(buf, len, "%s %s", m, rfmt_ci_pct(ci, sizeof(ci), &g->s));
	else
		snprintf(buf, len, "%s (no CI)", m);
	return buf;
}

static json_t *side_json(const struct rgroup *g)
{
	json_t *o = json_pack("{s:I, s:o, s:o, s:o, s:o}", "n", (json_int_t)g->n,
			      "median", rjson_num(g->s.median), "p10", rjson_num(g->s.p10),
			      "p90", rjson_num(g->s.p90), "cv", rjson_num(g->s.cv));

	json_object_set_new(o, "ci95", g->s.has_ci ? json_pack("[o, o]", rjson_num(g->s.ci_lo),
			    rjson_num(g->s.ci_hi)) : json_null());
	return o;
}

/* Whether row @g is among those --metric, --strategy and --config keep. */
static bool selected(const struct rgroup *g, const char *metric, const char *strategy,
		     const char *config)
{
	return (!metric || !strcmp(g->def->name, metric)) &&
	       (!strategy || !strcmp(g->strategy, strategy)) &&
	       (!config || strstr(g->config, config));
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench compare [OPTIONS] BASE NEW\n"
		"Compare two runs of one plan and one clock row by row (profile, config, strategy,\n"
		"mode, metric): medians with bootstrap 95%% CIs; the shift of new against base\n"
		"(Hodges-Lehmann: the median of the pairwise differences, on the logs so that it\n"
		"reads as a ratio; in the metric's unit where a value is 0 or below) with its\n"
		"distribution-free 95%% CI (the one that inverts the Mann-Whitney test); the\n"
		"two-sided Mann-Whitney p (exact up to %d values a side, ties included; normal\n"
		"approximation beyond), Holm-corrected within two families: the gated metrics'\n"
		"rows, which decide the exit status, and the others; n; and a verdict:\n"
		"  DIFFERENT  corrected p < alpha\n"
		"  SAME       not different, and the shift's 95%% CI inside +-band (an\n"
		"             equivalence test: two one-sided tests at 2.5%%)\n"
		"  UNKNOWN    neither: too few or too noisy values, run more\n"
		"band: the clock's floor (icount %g%%: 2.5x its between-boot CV) or the row's\n"
		"detectable effect, whichever is wider. The floor follows the clock that made\n"
		"the runs (env.json / metrics.csv):\n"
		"  icount     %g%%: instruction time (1 ns = 1 emulated instruction) varies by\n"
		"             under 0.4%% (CV) between boots; 1%% is 2.5 times that\n"
		"  realtime   the threshold: wall time varies by 10-50%% between boots, so\n"
		"             no tighter band could be shown SAME by two runs of one code\n"
		"The row's detectable effect is its minimum detectable effect (80%% power at\n"
		"Holm's strictest level alpha/m of its family; normal theory from the row's CV\n"
		"and n, over the Mann-Whitney test's efficiency 3/pi): SAME then says no change\n"
		"as large as this row could detect. A row whose band is wider than the floor\n"
		"shows it after its verdict (SAME ±12.3%%); a row that cannot reach alpha/m\n"
		"keeps the floor. Also printed: what the run can detect, the minimum detectable\n"
		"effect of the gated rows.\n\n"
		"  -t, --threshold PCT    a gated regression must exceed this to fail (default 5)\n"
		"  -s, --same-within PCT  one fixed SAME band for every row, no per-row widening\n"
		"                         (default: the clock's floor or the row's detectable\n"
		"                         effect, above)\n"
		"  -a, --alpha A          significance level after Holm's correction (default %.2f)\n"
		"  -o, --output FILE      also write the rows as JSON (schema %s); '-' writes\n"
		"                         the JSON to stdout and the table to stderr\n"
		"  --all                  also list the rows with too few values to test (n<%d)\n"
		"  -m, --metric NAME      only the rows of this metric (the gate then is its rows)\n"
		"  -S, --strategy NAME    only the rows of this strategy\n"
		"  -C, --config TEXT      only the rows whose configuration contains TEXT\n"
		"  -h, --help             this help\n\n"
		"Exit status:\n"
		"  0  no gated regression beyond the threshold, and the gate could have found one\n"
		"  1  a DIFFERENT row of a gated metric is worse by more than the threshold (from\n"
		"     a base median of 0, any significant worsening)\n"
		"  2  the runs cannot be compared: different plans or clocks, bad input (one line\n"
		"     on stderr)\n"
		"  3  cannot decide: no gated row has enough values for its p to get below\n"
		"     alpha/m (m tested gated rows), and not every gated row is SAME within a band\n"
		"     no wider than the threshold; the message says how many reps a side are needed\n",
		STATS_EXACT_MAX_N, 100 * STATS_BAND_ICOUNT, 100 * STATS_BAND_ICOUNT, STATS_ALPHA,
		COMPARE_SCHEMA,
		STATS_MIN_N_TEST);
}

static bool parse_num(const char *arg, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(arg, &end);
	if (end == arg)
		return false;
	if (*end == '%' && end[1] == 0)
		end++;
	return !*end && !errno && *out > lo && *out < hi;
}

/* A signed figure in the row's unit: "+1.700 ms". */
static const char *signed_abs(char *buf, size_t len, double v, struct rscale sc)
{
	char m[32];

	rfmt(m, sizeof(m), fabs(v), sc, true);
	snprintf(buf, len, "%s%s", v < 0 ? "-" : v > 0 ? "+" : "", m);
	return buf;
}

/*
 * The delta column: always the estimate and its CI, whatever the verdict
 * (the verdict column carries the decision). A ratio where the data are
 * positive, else a fraction of a non-zero base median, else the shift in
 * the unit: from a base of 0 only the absolute change means anything.
 */
static const char *delta_text(char *buf, size_t len, const struct crow *r)
{
	if (isfinite(r->rel)) {
		if (r->d.has_ci && isfinite(r->rlo))
			snprintf(buf, len, "%+.2f%% [%+.2f%%, %+.2f%%]", 100 * r->rel, 100 * r->rlo,
				 100 * r->rhi);
		else
			snprintf(buf, len, "%+.2f%% (no CI)", 100 * r->rel);
	} else if (isfinite(r->d.est)) {
		struct rscale sc = rscale_for(fmax(fabs(r->d.lo), fabs(r->d.hi)) > 0 ?
					      fmax(fabs(r->d.lo), fabs(r->d.hi)) : fabs(r->d.est),
					      r->b->unit);
		char e[40], lo[40], hi[40];

		signed_abs(e, sizeof(e), r->d.est, sc);
		if (r->d.has_ci)
			snprintf(buf, len, "%s [%s, %s]", e, signed_abs(lo, sizeof(lo), r->d.lo, sc),
				 signed_abs(hi, sizeof(hi), r->d.hi, sc));
		else
			snprintf(buf, len, "%s (no CI)", e);
	} else {
		snprintf(buf, len, "n/a");
	}
	return buf;
}

/* A band wider than the floor, as the verdict column shows it: "±12.3%". */
static const char *band_text(char *buf, size_t len, double band)
{
	snprintf(buf, len, band < 0.1 ? "±%.2f%%" : band < 1 ? "±%.1f%%" : "±%.0f%%",
		 100 * band);
	return buf;
}

/* The band is shown where it is not the floor, and where it decided (SAME, UNKNOWN). */
static bool band_shown(const struct crow *r, double floor)
{
	return r->verdict != VERDICT_DIFFERENT && r->band > floor * (1 + 1e-9);
}

static void print_rows(FILE *f, struct crow *rows, size_t n, bool profiles, bool all,
		       double floor)
{
	static const char *const spec[] = { "metric", "config", "profile", "strategy", ">base",
					    ">new", ">delta [95% CI]", "(p, n)", "verdict" };
	/* one profile: its column would only repeat it */
	static const char *const spec1[] = { "metric", "config", "strategy", ">base", ">new",
					     ">delta [95% CI]", "(p, n)", "verdict" };
	struct rdoc d = { 0 };
	struct rtable *t = rdoc_table(&d, "compare", profiles ? 9 : 8, profiles ? spec : spec1);
	size_t i;

	for (i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		/* one scale for both sides; from a base of 0 the new side's */
		struct rscale sc = rscale_for(r->b->s.median ? r->b->s.median : r->n->s.median,
					      r->b->unit);
		char base[64], new_[64], delta[160], p[96], ph[48], verdict[48], bt[24];
		const char *cells[9];
		size_t k;

		if (!all && !r->t.tested)
			continue;

		median_ci(base, sizeof(base), r->b, sc);
		median_ci(new_, sizeof(new_), r->n, sc);
		delta_text(delta, sizeof(delta), r);
		if (r->t.tested)
			snprintf(p, sizeof(p), "(%s n=%zu+%zu)",
				 rfmt_p_holm(ph, sizeof(ph), r->t.p, r->p_adj), r->b->n, r->n->n);
		else
			snprintf(p, sizeof(p), "(n=%zu+%zu: too few to test)", r->b->n, r->n->n);
		k = rgroup_key_cells(r->b, profiles, cells);
		cells[k++] = base;
		cells[k++] = new_;
		cells[k++] = delta;
		cells[k++] = p;
		/* the band after the verdict, aligned: "SAME      ±12.3%" */
		if (band_shown(r, floor))
			snprintf(verdict, sizeof(verdict), "%-9s %s", stats_verdict_name(r->verdict),
				 band_text(bt, sizeof(bt), r->band));
		else
			snprintf(verdict, sizeof(verdict), "%s", stats_verdict_name(r->verdict));
		cells[k++] = verdict;
		rtable_row(t, cells);
	}
	rdoc_text(&d, 0, d.n, f);
	rdoc_free(&d);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void compute_row(struct crow *r)
{
	double mb = r->b->s.median, cvb = r->b->s.cv, cvn = r->n->s.cv;

	stats_mann_whitney(r->b->v, r->b->n, r->n->v, r->n->n, &r->t);
	stats_shift(r->b->v, r->b->n, r->n->v, r->n->n, STATS_SHIFT_LEVEL, &r->d);
	if (r->d.relative) {
		r->rel = r->d.est;
		r->rlo = r->d.lo;
		r->rhi = r->d.hi;
	} else if (mb != 0 && isfinite(mb)) {
		r->rel = r->d.est / fabs(mb);
		r->rlo = r->d.lo / fabs(mb);
		r->rhi = r->d.hi / fabs(mb);
	} else {
		r->rel = r->rlo = r->rhi = NAN;
	}
	/* One side without spread (a constant) leaves the other's. */
	r->cv = stats_pooled_cv(cvb, cvn);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "same-within", required_argument, NULL, 's' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'A' },
		{ "metric", required_argument, NULL, 'm' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "config", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double threshold = 0.05, alpha = STATS_ALPHA, band = NAN, x;	/* band: the floor */
	const char *out = NULL, *clock, *band_why;
	/* --metric, --strategy, --config: only these rows (a bisect's question) */
	const char *only_metric = NULL, *only_strategy = NULL, *only_config = NULL;
	size_t filtered = 0;
	struct rset runs[2], base, new_;
	struct crow *rows = NULL;
	size_t nrows = 0, ntested = 0, ntested_gated = 0, only_base = 0, only_new = 0, i;
	size_t nsame = 0, nunknown = 0, nreg = 0, nimp = 0, nchg = 0, ngated = 0;
	size_t ngated_rows = 0, nreachable = 0, nsame_gated = 0, most_reps = 0, reps_needed = 0;
	size_t nmde = 0, nnoisy = 0, nwide = 0;
	double *p = NULL, *adj = NULL, *mdes = NULL, gate_level = alpha;
	char band_buf[320];
	FILE *hf = stdout;
	bool all = false, undecided = false, fixed;
	int c, rc, *fams = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:s:a:o:m:S:C:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (!metric_find(optarg)) {
				s2b_err("compare: --metric '%s' is not a metric (s2bench report -h lists "
					"them)", optarg);
				return S2BENCH_EXIT_USAGE;
			}
			only_metric = optarg;
			break;
		case 'S':
			only_strategy = optarg;
			break;
		case 'C':
			only_config = optarg;
			break;
		case 't':
		case 's':
			if (!parse_num(optarg, 0, 1000, &x)) {
				s2b_err("compare: %s '%s': a percentage above 0 and below 1000",
					c == 't' ? "--threshold" : "--same-within", optarg);
				return S2BENCH_EXIT_USAGE;
			}
			*(c == 't' ? &threshold : &band) = x / 100;
			break;
		case 'a':
			if (!parse_num(optarg, 0, 1, &x)) {
				s2b_err("compare: --alpha '%s': a number above 0 and below 1", optarg);
				return S2BENCH_EXIT_USAGE;
			}
			alpha = x;
			break;
		case 'o':
			out = optarg;
			break;
		case 'A':
			all = true;
			break;
		default:
			return s2b_opt_end("compare", c, argv, usage);
		}
	}
	if (!rset_load_args("compare", argc, argv, 2, "two run directories, BASE and NEW",
			    "cannot compare: ", runs))
		return S2BENCH_EXIT_USAGE;
	base = runs[0];
	new_ = runs[1];
	rc = S2BENCH_EXIT_USAGE;
	if (strcmp(base.run.plan, new_.run.plan)) {
		s2b_err("cannot compare: different plans: %s is plan '%s', %s is plan '%s'",
			base.run.dir, base.run.plan, new_.run.dir, new_.run.plan);
		goto out;
	}
	/* Instruction counts and wall time are different quantities: no ratio of them means anything. */
	clock = rundir_clock(&base.run);
	if (strcmp(clock, rundir_clock(&new_.run))) {
		s2b_err("cannot compare: different clocks: %s is clock '%s', %s is clock '%s'",
			base.run.dir, clock, new_.run.dir, rundir_clock(&new_.run));
		goto out;
	}
	fixed = isfinite(band);
	if (fixed) {
		band_why = "--same-within";
		snprintf(band_buf, sizeof(band_buf), "+-%g%% on every row (--same-within)", 100 * band);
	} else {
		if (!strcmp(clock, "icount")) {
			band = STATS_BAND_ICOUNT;
			band_why = "icount's floor: 2.5x its under-0.4% CV between boots";
		} else {
			band = threshold;
			band_why = "realtime's floor, the threshold: its CV between boots is 10-50%";
		}
		snprintf(band_buf, sizeof(band_buf), "+-band, band: the clock's floor (%s %g%%: %s) "
			 "or the row's detectable effect, whichever is wider (shown after the verdict "
			 "when wider)", clock, 100 * band, !strcmp(clock, "icount") ?
			 "2.5x its between-boot CV" : "the threshold, its CV between boots is 10-50%");
	}

	rows = calloc(base.ng + 1, sizeof(*rows));
	for (i = 0; i < base.ng; i++) {
		const struct rgroup *n = rset_match(&new_, &base.g[i]);

		if (!selected(&base.g[i], only_metric, only_strategy, only_config)) {
			filtered++;
			continue;
		}
		if (n)
			rows[nrows++] = (struct crow){ .b = &base.g[i], .n = n };
		else
			only_base++;
	}
	for (i = 0; i < new_.ng; i++)
		only_new += selected(&new_.g[i], only_metric, only_strategy, only_config) &&
			    !rset_match(&base, &new_.g[i]);
	if (!nrows) {
		s2b_err("cannot compare: no common rows (profile, config, strategy, mode, metric) "
			"between %s and %s%s", base.run.dir, new_.run.dir,
			filtered ? " among those --metric, --strategy and --config select" : "");
		goto out;
	}
	order_set = &base;
	qsort(rows, nrows, sizeof(*rows), cmp_crow);

	/*
	 * Two families, each Holm-corrected on its own: the gated metrics'
	 * rows (the gate, fixed by the metric table before any data: what
	 * decides the exit status) and every other row (exploration). One
	 * family of all rows would make the gate's power depend on how many
	 * ungated figures a plan happens to produce (1707 rows in a default
	 * run, of which the gate is a tenth).
	 */
	p = calloc(nrows, sizeof(*p));
	adj = calloc(nrows, sizeof(*adj));
	mdes = calloc(nrows, sizeof(*mdes));
	fams = xcalloc(nrows, sizeof(*fams));
	for (i = 0; i < nrows; i++) {
		struct crow *r = &rows[i];

		compute_row(r);
		ntested += r->t.tested;
		ntested_gated += r->t.tested && r->b->def->gated;
		p[i] = r->t.p;
		fams[i] = r->t.tested ? !r->b->def->gated : -1;
	}
	stats_holm_families(p, fams, nrows, adj);
	for (i = 0; i < nrows; i++)
		rows[i].p_adj = adj[i];
	/*
	 * Holm's first step compares the smallest p with alpha/m: a row whose
	 * smallest possible p (its n's) is not below that can never be found
	 * DIFFERENT, however large its change.
	 */
	gate_level = alpha / (ntested_gated ? ntested_gated : 1);
	for (i = 0; i < nrows; i++) {
		struct crow *r = &rows[i];
		enum better b = r->b->def->better;
		size_t fam_m = r->b->def->gated ? ntested_gated : ntested - ntested_gated;
		double level = alpha / (fam_m ? fam_m : 1);

		if (!r->t.tested)
			r->p_adj = NAN;
		r->reachable = r->t.tested && stats_mann_whitney_min_p(r->b->n, r->n->n) < level;
		r->mde = r->t.tested ? stats_mde(r->cv, r->b->n, r->n->n, level, STATS_MDE_POWER)
				     : INFINITY;
		r->band = fixed ? band : stats_same_band(band, r->mde);
		r->verdict = stats_verdict(&r->t, r->t.tested ? r->p_adj : 1, alpha, &r->d,
					   r->b->s.median, r->band);
		if (r->verdict == VERDICT_DIFFERENT && isfinite(r->d.est) && r->d.est != 0 &&
		    b != BETTER_NONE)
			r->direction = (b == BETTER_LOWER) == (r->d.est < 0) ? 1 : -1;
		/* From a base of 0 a relative threshold has no meaning: any worsening exceeds it. */
		r->gated_regression = r->verdict == VERDICT_DIFFERENT && r->direction < 0 &&
				      r->b->def->gated && (!isfinite(r->rel) || fabs(r->rel) > threshold);
		if (r->verdict == VERDICT_UNKNOWN && r->t.tested) {
			/*
			 * Tell "run more" from "changed, but not enough to be sure":
			 * base against itself has no shift at all, so its CI is the
			 * narrowest this row's spread and n allow.
			 */
			struct stats_test self_t = r->t;
			struct stats_shift self;

			stats_shift(r->b->v, r->b->n, r->b->v, r->b->n, STATS_SHIFT_LEVEL, &self);
			r->too_noisy = stats_verdict(&self_t, 1, alpha, &self, r->b->s.median,
						     r->band) != VERDICT_SAME;
			nnoisy += r->too_noisy;
		}
		nsame += r->verdict == VERDICT_SAME;
		nwide += r->t.tested && r->band > band * (1 + 1e-9);
		nunknown += r->verdict == VERDICT_UNKNOWN;
		nreg += r->direction < 0;
		nimp += r->direction > 0;
		nchg += r->verdict == VERDICT_DIFFERENT && !r->direction;
		ngated += r->gated_regression;
		if (r->b->def->gated) {
			size_t reps = r->b->n < r->n->n ? r->b->n : r->n->n;

			ngated_rows++;
			most_reps = reps > most_reps ? reps : most_reps;
			nreachable += r->reachable;
			/* SAME within a band no wider than the threshold rules a regression out */
			nsame_gated += r->t.tested && r->verdict == VERDICT_SAME &&
				       r->band <= threshold;
			if (r->t.tested && isfinite(r->mde))
				mdes[nmde++] = r->mde;
		}
	}
	/*
	 * "OK" must mean the gate could have fired. When no gated row can reach
	 * significance the answer is "cannot decide", unless every gated row
	 * was shown SAME within a band no wider than the threshold: that rules
	 * out a regression beyond it without any significance.
	 */
	undecided = !ngated && !nreachable && !(ntested_gated && nsame_gated == ntested_gated);
	reps_needed = stats_mann_whitney_n_needed(gate_level);
	rc = ngated ? S2BENCH_EXIT_FINDING : undecided ? COMPARE_EXIT_UNDECIDED : S2BENCH_EXIT_OK;

	if (out && !strcmp(out, "-"))
		hf = stderr;
	fprintf(hf, "s2bench compare: base %s vs new %s (plan %s)\n", base.run.dir, new_.run.dir,
		base.run.plan);
	fprintf(hf, "clock %s: %s.\n", clock, clock_meaning(clock));
	fprintf(hf, "Mann-Whitney U (two-sided, exact up to %d a side with ties), Holm-corrected in "
		"two families: the %zu tested rows of gated metrics (the gate) and the %zu others. "
		"delta: the Hodges-Lehmann shift of new against base (a ratio, on the logs; in the "
		"unit where a value is 0 or below) with its 95%% CI, distribution-free. DIFFERENT: "
		"corrected p < %g; SAME: not different and the CI inside %s; UNKNOWN: neither (too "
		"few or too noisy: run more).\n\n", STATS_EXACT_MAX_N, ntested_gated,
		ntested - ntested_gated, alpha, band_buf);
	{
		char kb[512], kn[512];

		rundir_kernel(&base.run, kb, sizeof(kb));
		rundir_kernel(&new_.run, kn, sizeof(kn));
		if (strcmp(kb, kn))
			fprintf(hf, "Kernels differ: base %s; new %s. A difference may be the "
				"kernel's (that is what a kernel comparison is for).\n\n", kb, kn);
		else
			fprintf(hf, "Kernel: %s, both runs.\n\n", kb);
	}
	{
		/* numbers from two machines differ for reasons no test can see */
		const char *hb = doc_str(base.run.env, "host.cpu_model");
		const char *hn = doc_str(new_.run.env, "host.cpu_model");

		if (hb && hn && strcmp(hb, hn))
			fprintf(hf, "Note: the runs come from different hosts (%s, %s): a difference "
				"may be the machine's.\n\n", hb, hn);
	}
	/* a fixed band is the header's: no row shows one */
	print_rows(hf, rows, nrows, base.nprofiles > 1 || new_.nprofiles > 1, all,
		   fixed ? INFINITY : band);
	if (!all && nrows > ntested)
		fprintf(hf, "(%zu rows with too few values to test, n<%d on a side, are not listed: "
			"--all lists them, -o writes them all)\n", nrows - ntested, STATS_MIN_N_TEST);

	fprintf(hf, "\n%zu rows: %zu DIFFERENT (%zu regressions, %zu improvements, %zu without a "
		"better direction), %zu SAME, %zu UNKNOWN (%zu of them too few to test)", nrows,
		nreg + nimp + nchg, nreg, nimp, nchg, nsame, nunknown, nrows - ntested);
	if (only_base || only_new)
		fprintf(hf, "; %zu rows only in base, %zu only in new (not compared)", only_base,
			only_new);
	fputs(".\n", hf);
	if (nnoisy)
		fprintf(hf, "%zu of the UNKNOWN rows are too noisy to be shown SAME within %s at "
			"their n (base against itself would not be): more reps, or a wider "
			"--same-within.\n", nnoisy, fixed ? "the fixed band" : "their band");
	if (nwide)
		fprintf(hf, "%zu tested rows have a SAME band wider than the floor of %g%% (their "
			"detectable effect; shown on their SAME and UNKNOWN rows): --same-within "
			"fixes one band for every row.\n", nwide, 100 * band);
	qsort(mdes, nmde, sizeof(*mdes), cmp_double);
	if (nmde)
		fprintf(hf, "Detectable: the %zu tested gated rows find a shift of %.2f%% (median "
			"row; worst %.2f%%) with 80%% power at alpha/m = %.2g (normal theory from "
			"each row's CV and n, Mann-Whitney efficiency 3/pi).\n", nmde,
			100 * stats_quantile(mdes, nmde, 0.5), 100 * mdes[nmde - 1], gate_level);
	if (ntested_gated > nreachable && nreachable)
		fprintf(hf, "Note: %zu of %zu tested gated rows have too few values to reach p < "
			"%.2g at all (%zu reps a side needed).\n", ntested_gated - nreachable,
			ntested_gated, gate_level, reps_needed);
	for (i = 0; i < nrows; i++) {
		const struct crow *r = &rows[i];
		char d[160];

		if (!r->direction)
			continue;
		fprintf(hf, "  %s %s: %s, %s [%s], %s%s\n",
			r->direction < 0 ? "regression " : "improvement", r->b->def->name,
			r->b->config, r->b->strategy, r->b->profile, delta_text(d, sizeof(d), r),
			r->gated_regression ? "  GATED" : "");
	}
	if (ngated)
		fprintf(hf, "FAIL: %zu gated regression%s beyond %g%%.\n", ngated, ngated > 1 ? "s" : "",
			threshold * 100);
	else if (undecided)
		fprintf(hf, "cannot decide: %zu reps per side, at least %zu needed (for a p below "
			"alpha/m = %.2g over the %zu gated rows).\n", most_reps, reps_needed,
			gate_level, ntested_gated ? ntested_gated : ngated_rows);
	else
		fprintf(hf, "OK: no gated regression beyond %g%%.\n", threshold * 100);

	if (out) {
		json_t *doc = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:s, s:f, s:f, s:f, s:s, s:s, "
					"s:s}",
			"schema", COMPARE_SCHEMA,
			"base", "dir", base.run.dir, "plan", base.run.plan,
			"new", "dir", new_.run.dir, "plan", new_.run.plan,
			"clock", clock,
			"threshold", threshold, "alpha", alpha, "same_within", band,
			"same_within_source", band_why,
			"same_band_rule", fixed ? "same_within on every row" :
				"max(same_within, mde): the clock's floor or the row's minimum detectable "
				"effect, whichever is wider (the floor where mde is not finite)",
			"test", "Mann-Whitney U two-sided (exact up to 50 a side, ties included), Holm "
				"within each family: gated rows, other rows; shift: Hodges-Lehmann with "
				"its distribution-free 95% CI; SAME: that CI inside +-same_band");
		json_t *arr = json_array();
		FILE *jf;

		for (i = 0; i < nrows; i++) {
			const struct crow *r = &rows[i];
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
				"profile", r->b->profile, "config", r->b->config,
				"strategy", r->b->strategy, "mode", r->b->mode,
				"metric", r->b->def->name, "unit", r->b->unit,
				"better", metric_better_name(r->b->def),
				"gated", r->b->def->gated,
				"base", side_json(r->b), "new", side_json(r->n),
				"delta", rjson_num(r->rel));

			if (!o) {
				s2b_err("compare: out of memory");
				abort();
			}
			json_object_set_new(o, "delta_ci95", r->d.has_ci && isfinite(r->rlo) ?
				json_pack("[o, o]", rjson_num(r->rlo), rjson_num(r->rhi)) : json_null());
			json_object_set_new(o, "shift", json_pack("{s:s, s:o, s:o}",
				"unit", r->d.relative ? "ratio - 1" : r->b->unit,
				"estimate", rjson_num(r->d.est),
				"ci95", r->d.has_ci ? json_pack("[o, o]", rjson_num(r->d.lo),
								 rjson_num(r->d.hi)) : json_null()));
			json_object_set_new(o, "tested", json_boolean(r->t.tested));
			json_object_set_new(o, "p", r->t.tested ? rjson_num(r->t.p) : json_null());
			json_object_set_new(o, "p_holm", r->t.tested ? rjson_num(r->p_adj) : json_null());
			json_object_set_new(o, "family", json_string(r->b->def->gated ? "gated" : "other"));
			json_object_set_new(o, "exact", json_boolean(r->t.exact));
			json_object_set_new(o, "can_reach_alpha", json_boolean(r->reachable));
			json_object_set_new(o, "cv", rjson_num(r->cv));
			json_object_set_new(o, "mde", r->t.tested ? rjson_num(r->mde) : json_null());
			json_object_set_new(o, "same_band", rjson_num(r->band));
			json_object_set_new(o, "too_noisy_for_band", json_boolean(r->too_noisy));
			rjson_verdict(o, r->verdict, r->direction, r->gated_regression);
			json_array_append_new(arr, o);
		}
		{
			char kb[512], kn[512];

			rundir_kernel(&base.run, kb, sizeof(kb));
			rundir_kernel(&new_.run, kn, sizeof(kn));
			json_object_set_new(doc, "kernels", json_pack("{s:s, s:s, s:b}", "base", kb,
								      "new", kn, "same", !strcmp(kb, kn)));
		}
		json_object_set_new(doc, "rows", arr);
		json_object_set_new(doc, "summary", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"rows", (json_int_t)nrows, "tested", (json_int_t)ntested,
			"tested_gated", (json_int_t)ntested_gated,
			"regressions", (json_int_t)nreg, "improvements", (json_int_t)nimp,
			"changed", (json_int_t)nchg, "same", (json_int_t)nsame,
			"unknown", (json_int_t)nunknown, "gated_regressions", (json_int_t)ngated,
			"only_base", (json_int_t)only_base, "only_new", (json_int_t)only_new));
		json_object_set_new(json_object_get(doc, "summary"), "too_noisy_for_band",
				    json_integer((json_int_t)nnoisy));
		/* rows whose SAME band is their detectable effect, wider than the floor */
		json_object_set_new(json_object_get(doc, "summary"), "band_wider_than_floor",
				    json_integer((json_int_t)nwide));
		json_object_set_new(json_object_get(doc, "summary"), "gate",
			json_pack("{s:b, s:I, s:I, s:I, s:f, s:o, s:o}", "decided", !undecided,
				  "reachable_rows", (json_int_t)nreachable,
				  "reps_per_side", (json_int_t)most_reps,
				  "reps_needed", (json_int_t)reps_needed, "level", gate_level,
				  "mde_median", nmde ? rjson_num(stats_quantile(mdes, nmde, 0.5)) : json_null(),
				  "mde_worst", nmde ? rjson_num(mdes[nmde - 1]) : json_null()));
		json_object_set_new(doc, "exit", json_integer(rc));
		jf = strcmp(out, "-") ? fopen(out, "w") : stdout;
		if (!jf || json_dumpf(doc, jf, JSON_INDENT(1) | JSON_PRESERVE_ORDER) ||
		    fputc('\n', jf) == EOF || (jf != stdout && fclose(jf))) {
			s2b_err("compare: cannot write %s: %s", out, strerror(errno));
			rc = S2BENCH_EXIT_USAGE;
		}
		json_decref(doc);
	}
out:
	free(mdes);
	free(fams);
	free(p);
	free(adj);
	free(rows);
	rset_free(&base);
	rset_free(&new_);
	return rc;
}
