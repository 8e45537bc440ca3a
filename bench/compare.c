// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench compare BASE NEW: two runs of one plan, row by row (profile,
 * config, strategy, mode, metric), the way benchstat tells them: each
 * median with its CI, the delta, the Mann-Whitney p (Holm-corrected within
 * two families, the gated metrics' rows and the others) and n, "~" where not significant; and Pinpoint's
 * verdict, DIFFERENT, SAME or UNKNOWN. Exit 1 on a gated regression beyond
 * the threshold, so CI can gate on it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "s2bench.h"

#define COMPARE_SCHEMA "s2perf.compare/1"

struct crow {
	const struct rgroup *b, *n;
	struct stats_test t;
	double p_adj;
	bool has_dci;
	double delta, dlo, dhi;
	enum stats_verdict verdict;
	int direction;		/* +1 better, -1 worse, 0 no better direction or same */
	bool gated_regression;	/* DIFFERENT, worse, gated, beyond the threshold */
};

static const struct rset *order_set;

static size_t index_of(const char *const *list, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], v))
			return i;
	return n;
}

static size_t metric_rank(const struct metric_def *m)
{
	size_t n, i;
	const struct metric_def *reg = metric_registry(&n);

	for (i = 0; i < n; i++)
		if (!strcmp(reg[i].name, m->name))
			return i;
	return n;
}

static int cmp_crow(const void *a, const void *b)
{
	const struct rgroup *x = ((const struct crow *)a)->b, *y = ((const struct crow *)b)->b;
	const struct rset *s = order_set;
	size_t ix, iy;

#define BY(list, n, field)						\
	ix = index_of(s->list, s->n, x->field);				\
	iy = index_of(s->list, s->n, y->field);				\
	if (ix != iy)							\
		return ix < iy ? -1 : 1;
	BY(profiles, nprofiles, profile)
	BY(configs, nconfigs, config)
#undef BY
	ix = metric_rank(x->def);
	iy = metric_rank(y->def);
	if (ix != iy)
		return ix < iy ? -1 : 1;
	if (strcmp(x->def->name, y->def->name))
		return strcmp(x->def->name, y->def->name);
	ix = index_of(s->strategies, s->nstrategies, x->strategy);
	iy = index_of(s->strategies, s->nstrategies, y->strategy);
	if (ix != iy)
		return ix < iy ? -1 : 1;
	return strcmp(x->mode, y->mode);
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

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench compare [OPTIONS] BASE NEW\n"
		"Compare two runs of one plan row by row (profile, config, strategy, mode, metric):\n"
		"medians with bootstrap 95%% CIs, delta, Mann-Whitney p (Holm-corrected within two\n"
		"families: the gated metrics' rows, which decide the exit status, and the others),\n"
		"n, and a verdict: DIFFERENT (corrected p < alpha), SAME (not different and the\n"
		"delta's 95%% CI within +-threshold), UNKNOWN (neither: run more).\n\n"
		"  -t, --threshold PCT  a gated regression must exceed this to fail, and SAME\n"
		"                       needs the delta's CI inside +-PCT (default 5)\n"
		"  -a, --alpha A        significance level after Holm's correction (default %.2f)\n"
		"  -o, --output FILE    also write the rows as JSON (schema %s); '-' writes\n"
		"                       the JSON to stdout and the table to stderr\n"
		"  --all                also list the rows with too few values to test (n<%d)\n"
		"  -h, --help           this help\n\n"
		"Exit status: 0 no gated regression, 1 a DIFFERENT row of a gated metric is worse by\n"
		"more than the threshold, 2 the runs cannot be compared (one line on stderr).\n",
		STATS_ALPHA, COMPARE_SCHEMA, STATS_MIN_N_TEST);
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

static void print_rows(FILE *f, struct crow *rows, size_t n, bool profiles, bool all)
{
	static const char *const spec[] = { "metric", "config", "profile", "strategy", ">base",
					    ">new", ">delta", "(p, n)", "verdict" };
	/* one profile: its column would only repeat it */
	static const char *const spec1[] = { "metric", "config", "strategy", ">base", ">new",
					     ">delta", "(p, n)", "verdict" };
	struct rdoc d = { 0 };
	struct rtable *t = rdoc_table(&d, "compare", profiles ? 9 : 8, profiles ? spec : spec1);
	size_t i;

	for (i = 0; i < n; i++) {
		const struct crow *r = &rows[i];
		struct rscale sc = rscale_for(r->b->s.median, r->b->unit);
		char base[64], new_[64], delta[32], p[96], pa[16], pb[16];
		const char *cells[9];
		size_t k = 0;

		if (!all && !r->t.tested)
			continue;

		median_ci(base, sizeof(base), r->b, sc);
		median_ci(new_, sizeof(new_), r->n, sc);
		if (!r->t.tested)
			snprintf(delta, sizeof(delta), "?");
		else if (r->verdict != VERDICT_DIFFERENT)
			snprintf(delta, sizeof(delta), "~");
		else
			snprintf(delta, sizeof(delta), "%+.2f%%", r->delta * 100);
		if (r->t.tested)
			snprintf(p, sizeof(p), "(p%s%s holm%s%s n=%zu+%zu)", r->t.p < 0.001 ? "" : "=",
				 rfmt_p(pa, sizeof(pa), r->t.p), r->p_adj < 0.001 ? "" : "=",
				 rfmt_p(pb, sizeof(pb), r->p_adj), r->b->n, r->n->n);
		else
			snprintf(p, sizeof(p), "(n=%zu+%zu: too few to test)", r->b->n, r->n->n);
		cells[k++] = r->b->def->name;
		cells[k++] = r->b->config;
		if (profiles)
			cells[k++] = r->b->profile;
		cells[k++] = r->b->strategy;
		cells[k++] = base;
		cells[k++] = new_;
		cells[k++] = delta;
		cells[k++] = p;
		cells[k++] = stats_verdict_name(r->verdict);
		rtable_row(t, cells);
	}
	rdoc_text(&d, 0, d.n, f);
	rdoc_free(&d);
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double threshold = 0.05, alpha = STATS_ALPHA, x;
	const char *out = NULL;
	struct rset base, new_;
	struct crow *rows = NULL;
	size_t nrows = 0, ntested = 0, ntested_gated = 0, only_base = 0, only_new = 0, i, k;
	size_t nsame = 0, nunknown = 0, nreg = 0, nimp = 0, nchg = 0, ngated = 0;
	double *p = NULL, *adj = NULL;
	char err[1024];
	FILE *hf = stdout;
	bool all = false;
	int c, rc, fam;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":t:a:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			if (!parse_num(optarg, 0, 1000, &x)) {
				s2b_err("compare: --threshold '%s': a percentage above 0 and below 1000",
					optarg);
				return S2BENCH_EXIT_USAGE;
			}
			threshold = x / 100;
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
		case 'h':
			usage(stdout);
			return S2BENCH_EXIT_OK;
		case ':':
			s2b_err("compare: %s needs a value", argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		default:
			s2b_err("compare: unknown option '%s' (s2bench compare -h)", argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		}
	}
	if (argc - optind != 2) {
		s2b_err("compare: needs two run directories, BASE and NEW (s2bench compare -h)");
		return S2BENCH_EXIT_USAGE;
	}
	if (!rset_load(argv[optind], &base, err, sizeof(err))) {
		s2b_err("cannot compare: %s", err);
		return S2BENCH_EXIT_USAGE;
	}
	if (!rset_load(argv[optind + 1], &new_, err, sizeof(err))) {
		s2b_err("cannot compare: %s", err);
		rset_free(&base);
		return S2BENCH_EXIT_USAGE;
	}
	rc = S2BENCH_EXIT_USAGE;
	if (strcmp(base.run.plan, new_.run.plan)) {
		s2b_err("cannot compare: different plans: %s is plan '%s', %s is plan '%s'",
			base.run.dir, base.run.plan, new_.run.dir, new_.run.plan);
		goto out;
	}

	rows = calloc(base.ng + 1, sizeof(*rows));
	for (i = 0; i < base.ng; i++) {
		const struct rgroup *n = rset_match(&new_, &base.g[i]);

		if (n)
			rows[nrows++] = (struct crow){ .b = &base.g[i], .n = n };
		else
			only_base++;
	}
	for (i = 0; i < new_.ng; i++)
		only_new += !rset_match(&base, &new_.g[i]);
	if (!nrows) {
		s2b_err("cannot compare: no common rows (profile, config, strategy, mode, metric) "
			"between %s and %s", base.run.dir, new_.run.dir);
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
	for (i = 0; i < nrows; i++) {
		struct crow *r = &rows[i];

		stats_mann_whitney(r->b->v, r->b->n, r->n->v, r->n->n, &r->t);
		r->has_dci = stats_boot_delta_ci(r->b->v, r->b->n, r->n->v, r->n->n,
						 STATS_DEFAULT_SEED, STATS_BOOT_RESAMPLES,
						 &r->delta, &r->dlo, &r->dhi);
		ntested += r->t.tested;
		ntested_gated += r->t.tested && r->b->def->gated;
	}
	for (fam = 0; fam < 2; fam++) {
		for (i = 0, k = 0; i < nrows; i++)
			if (rows[i].t.tested && rows[i].b->def->gated == !fam)
				p[k++] = rows[i].t.p;
		stats_holm(p, k, adj);
		for (i = 0, k = 0; i < nrows; i++)
			if (rows[i].t.tested && rows[i].b->def->gated == !fam)
				rows[i].p_adj = adj[k++];
	}
	for (i = 0; i < nrows; i++) {
		struct crow *r = &rows[i];
		struct stats_test never = r->t;
		enum better b = r->b->def->better;

		if (!r->t.tested)
			r->p_adj = NAN;
		/* --alpha decides DIFFERENT; stats_verdict tells SAME from UNKNOWN */
		if (r->t.tested && r->p_adj < alpha) {
			r->verdict = VERDICT_DIFFERENT;
		} else {
			r->verdict = stats_verdict(&never, 1.0, r->has_dci, r->dlo, r->dhi, threshold);
			if (r->verdict == VERDICT_DIFFERENT)
				r->verdict = VERDICT_UNKNOWN;
		}
		if (r->verdict == VERDICT_DIFFERENT && isfinite(r->delta) && b != BETTER_NONE)
			r->direction = (b == BETTER_LOWER) == (r->delta < 0) ? 1 : -1;
		r->gated_regression = r->verdict == VERDICT_DIFFERENT && r->direction < 0 &&
				      r->b->def->gated && fabs(r->delta) > threshold;
		nsame += r->verdict == VERDICT_SAME;
		nunknown += r->verdict == VERDICT_UNKNOWN;
		nreg += r->direction < 0;
		nimp += r->direction > 0;
		nchg += r->verdict == VERDICT_DIFFERENT && !r->direction;
		ngated += r->gated_regression;
	}
	rc = ngated ? S2BENCH_EXIT_FINDING : S2BENCH_EXIT_OK;

	if (out && !strcmp(out, "-"))
		hf = stderr;
	fprintf(hf, "s2bench compare: base %s vs new %s (plan %s)\n", base.run.dir, new_.run.dir,
		base.run.plan);
	fprintf(hf, "Mann-Whitney U (two-sided), Holm-corrected in two families: the %zu tested "
		"rows of gated metrics (the gate) and the %zu others; DIFFERENT: corrected p < %g; "
		"SAME: not different and the delta's 95%% CI within +-%g%%; UNKNOWN: neither (too "
		"few or too noisy: run more). \"~\": not significant.\n\n",
		ntested_gated, ntested - ntested_gated, alpha, threshold * 100);
	{
		/* numbers from two machines differ for reasons no test can see */
		json_t *hb = json_object_get(json_object_get(base.run.env, "host"), "cpu_model");
		json_t *hn = json_object_get(json_object_get(new_.run.env, "host"), "cpu_model");

		if (json_is_string(hb) && json_is_string(hn) &&
		    strcmp(json_string_value(hb), json_string_value(hn)))
			fprintf(hf, "Note: the runs come from different hosts (%s, %s): a difference "
				"may be the machine's.\n\n", json_string_value(hb), json_string_value(hn));
	}
	print_rows(hf, rows, nrows, base.nprofiles > 1 || new_.nprofiles > 1, all);
	if (!all && nrows > ntested)
		fprintf(hf, "(%zu rows with too few values to test, n<%d on a side, are not listed: "
			"--all lists them, -o writes them all)\n", nrows - ntested, STATS_MIN_N_TEST);

	fprintf(hf, "\n%zu rows: %zu DIFFERENT (%zu regressions, %zu improvements, %zu without a "
		"better direction), %zu SAME, %zu UNKNOWN", nrows, nreg + nimp + nchg, nreg, nimp,
		nchg, nsame, nunknown);
	if (only_base || only_new)
		fprintf(hf, "; %zu rows only in base, %zu only in new (not compared)", only_base,
			only_new);
	fputs(".\n", hf);
	for (i = 0; i < nrows; i++) {
		const struct crow *r = &rows[i];

		if (!r->direction)
			continue;
		fprintf(hf, "  %s %s: %s, %s [%s], %+.2f%% (95%% CI %+.2f%% to %+.2f%%)%s\n",
			r->direction < 0 ? "regression " : "improvement", r->b->def->name,
			r->b->config, r->b->strategy, r->b->profile, r->delta * 100,
			r->has_dci ? r->dlo * 100 : NAN, r->has_dci ? r->dhi * 100 : NAN,
			r->gated_regression ? "  GATED" : "");
	}
	if (ngated)
		fprintf(hf, "FAIL: %zu gated regression%s beyond %g%%.\n", ngated, ngated > 1 ? "s" : "",
			threshold * 100);
	else
		fprintf(hf, "OK: no gated regression beyond %g%%.\n", threshold * 100);

	if (out) {
		json_t *doc = json_pack("{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:f, s:f, s:s}",
			"schema", COMPARE_SCHEMA,
			"base", "dir", base.run.dir, "plan", base.run.plan,
			"new", "dir", new_.run.dir, "plan", new_.run.plan,
			"threshold", threshold, "alpha", alpha,
			"test", "Mann-Whitney U two-sided, Holm within each family: gated rows, other rows");
		json_t *arr = json_array();
		FILE *jf;

		for (i = 0; i < nrows; i++) {
			const struct crow *r = &rows[i];
			json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:o}",
				"profile", r->b->profile, "config", r->b->config,
				"strategy", r->b->strategy, "mode", r->b->mode,
				"metric", r->b->def->name, "unit", r->b->unit,
				"better", r->b->def->better == BETTER_LOWER ? "lower" :
					  r->b->def->better == BETTER_HIGHER ? "higher" : "none",
				"gated", r->b->def->gated,
				"base", side_json(r->b), "new", side_json(r->n),
				"delta", rjson_num(r->delta));

			if (!o) {
				s2b_err("compare: out of memory");
				abort();
			}
			json_object_set_new(o, "delta_ci95", r->has_dci ?
				json_pack("[o, o]", rjson_num(r->dlo), rjson_num(r->dhi)) : json_null());
			json_object_set_new(o, "tested", json_boolean(r->t.tested));
			json_object_set_new(o, "p", r->t.tested ? rjson_num(r->t.p) : json_null());
			json_object_set_new(o, "p_holm", r->t.tested ? rjson_num(r->p_adj) : json_null());
			json_object_set_new(o, "family", json_string(r->b->def->gated ? "gated" : "other"));
			json_object_set_new(o, "exact", json_boolean(r->t.exact));
			json_object_set_new(o, "verdict", json_string(stats_verdict_name(r->verdict)));
			json_object_set_new(o, "change", json_string(r->direction < 0 ? "regression" :
				r->direction > 0 ? "improvement" :
				r->verdict == VERDICT_DIFFERENT ? "changed" : "none"));
			json_object_set_new(o, "gated_regression", json_boolean(r->gated_regression));
			json_array_append_new(arr, o);
		}
		json_object_set_new(doc, "rows", arr);
		json_object_set_new(doc, "summary", json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"rows", (json_int_t)nrows, "tested", (json_int_t)ntested,
			"tested_gated", (json_int_t)ntested_gated,
			"regressions", (json_int_t)nreg, "improvements", (json_int_t)nimp,
			"changed", (json_int_t)nchg, "same", (json_int_t)nsame,
			"unknown", (json_int_t)nunknown, "gated_regressions", (json_int_t)ngated,
			"only_base", (json_int_t)only_base, "only_new", (json_int_t)only_new));
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
	free(p);
	free(adj);
	free(rows);
	rset_free(&base);
	rset_free(&new_);
	return rc;
}
