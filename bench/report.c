// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench report RUN: what a run measured, told the way benchstat tells it
 * (median, bootstrap 95% CI, n; strategies against rwlock as paired
 * ratios with a Wilcoxon p), with tuning advice and plots. Written as
 * RUN/report.txt, report.md and report.html; the header and headline go
 * to stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "advice.h"
#include "rdoc.h"
#include "report.h"
#include "rgroup.h"
#include "rplot.h"
#include "s2bench.h"

#define MAX_LISTED_CELLS 20

static const char *const hl_wp[] = { RMETRIC_WP_P50, NULL };

void rfinding_add(struct rfindings *f, const char *fmt, ...)
{
	va_list ap;

	f->v = xrealloc(f->v, (f->n + 1) * sizeof(*f->v));
	va_start(ap, fmt);
	f->v[f->n++] = rvstrf(fmt, ap);
	va_end(ap);
}

void rfindings_free(struct rfindings *f)
{
	while (f->n)
		free(f->v[--f->n]);
	free(f->v);
	f->v = NULL;
}

static const char *manifest_str(const struct rset *s, const char *key)
{
	json_t *v = json_object_get(s->run.manifest, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static long manifest_int(const struct rset *s, const char *key, long dflt)
{
	json_t *v = json_object_get(s->run.manifest, key);

	return json_is_integer(v) ? (long)json_integer_value(v) : dflt;
}

static char *list_join(const char *const *v, size_t n, const char *sep)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + strlen(sep);
	s = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (i)
			strcat(s, sep);
		strcat(s, v[i]);
	}
	return s;
}

/* RUN/unavailable.csv (cell,metric,reason), one entry per metric and reason. */
struct unavail {
	char *metric, *reason, *cell;
	size_t count;
};

static struct unavail *load_unavailable(const struct rset *s, size_t *n)
{
	char path[PATH_MAX], *line = NULL, *f[4];
	struct unavail *u = NULL;
	size_t cap = 0, i;
	FILE *fp;
	int lineno = 0;

	*n = 0;
	snprintf(path, sizeof(path), "%s/unavailable.csv", s->run.dir);
	fp = fopen(path, "r");
	if (!fp)
		return NULL;
	while (getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		if (lineno++ == 0 || csv_split(line, f, 4) != 3)
			continue;
		for (i = 0; i < *n; i++)
			if (!strcmp(u[i].metric, f[1]) && !strcmp(u[i].reason, f[2]))
				break;
		if (i == *n) {
			u = realloc(u, (*n + 1) * sizeof(*u));
			u[i] = (struct unavail){ strdup(f[1]), strdup(f[2]), strdup(f[0]), 0 };
			(*n)++;
		}
		u[i].count++;
	}
	fclose(fp);
	free(line);
	return u;
}

static void free_unavailable(struct unavail *u, size_t n)
{
	while (n--) {
		free(u[n].metric);
		free(u[n].reason);
		free(u[n].cell);
	}
	free(u);
}

static void build_unavailable(struct rdoc *d, const struct unavail *u, size_t n)
{
	static const char *const spec[] = { "metric", "reason", ">cells", "e.g. cell" };
	struct rtable *t;
	size_t i;

	if (!n)
		return;
	rdoc_heading(d, 2, "unavailable", "Unavailable metrics");
	rdoc_para(d, "What the documents said they could not measure, and why (unavailable.csv).");
	t = rdoc_table(d, "unavailable-table", 4, spec);
	for (i = 0; i < n; i++) {
		char c[16];

		snprintf(c, sizeof(c), "%zu", u[i].count);
		rtable_row(t, (const char *[]){ u[i].metric, u[i].reason, c, u[i].cell });
	}
}

/* The reason `table` recorded in cells.csv, else the workload's own document. */
static const char *skip_reason(const struct rset *s, const struct cell *c, char *buf, size_t len)
{
	char path[PATH_MAX], *line = NULL, *f[16];
	size_t cap = 0, nf, col = 0, i;
	FILE *fp;
	int n;

	buf[0] = 0;
	snprintf(path, sizeof(path), "%s/cells.csv", s->run.dir);
	fp = fopen(path, "r");
	while (fp && getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\r\n")] = 0;
		n = csv_split(line, f, 16);
		nf = n < 0 ? 0 : n;
		if (!col) {
			for (i = 0; i < nf && strcmp(f[i], "reason"); i++)
				;
			col = i < nf ? i : (size_t)-1;
			continue;
		}
		if (col < nf && !strcmp(f[0], c->id) && *f[col]) {
			snprintf(buf, len, "%s", f[col]);
			break;
		}
	}
	if (fp)
		fclose(fp);
	free(line);
	if (buf[0])
		return buf;
	if (!doc_reason(s->run.dir, c->id, buf, len))
		snprintf(buf, len, "no reason recorded");
	return buf;
}

/* What the run's clock makes of its times, said once, plainly. */
static void build_clock(struct rdoc *d, const struct rset *s)
{
	const char *target = manifest_str(s, "target") ?: "qemu";

	if (rset_icount(s))
		rdoc_para_id(d, "clock", "Clock: icount (instruction time). The target ran under "
			     "QEMU -icount shift=0,sleep=off: its clock counts the instructions it "
			     "executes, 1 ns for each. Every time in this report is therefore "
			     "instruction time: the length of the code path the target ran, "
			     "deterministic from boot to boot (CV below 0.4%%), and not the speed of "
			     "any CPU. One emulated CPU runs at a time, so a parallel speed-up does "
			     "not show, nor does time spent waiting for a lock held on another CPU; "
			     "spinning on a lock does (each spin is instructions). Times keep their "
			     "units (ns, us, ms, s) and read as instruction time; counts are exact.");
	else if (!strcmp(target, "host"))
		rdoc_para_id(d, "clock", "Clock: realtime. The cells ran on this host's own CPUs "
			     "(target host): times are real time (CLOCK_MONOTONIC), with whatever "
			     "else the host did in them; counts are exact.");
	else
		rdoc_para_id(d, "clock", "Clock: realtime (emulated time). The target read the "
			     "host's clock under QEMU's software emulation: a time is how long the "
			     "emulator took on this host, not what an arm64 CPU would take. It "
			     "varies by 10-50%% from one boot to the next, so only ratios between "
			     "strategies within one boot (one profile of this run) mean anything, "
			     "and even those are noisy; counts are exact. A plan with `clock "
			     "icount` measures deterministic instruction time instead.");
}

static void build_header(struct rdoc *d, const struct rset *s)
{
	const char *rel = rundir_env(&s->run, ENV_KERNEL_RELEASE);
	const char *ser = rundir_env(&s->run, ENV_KERNEL_SERIES);
	char *profiles = list_join(s->profiles, s->nprofiles, ", ");
	char *strategies = list_join(s->strategies, s->nstrategies, " ");
	char *base = strdup(s->run.dir);

	rdoc_heading(d, 1, "top", "s2perf report: %s", basename(base));
	rdoc_para(d, "Plan %s (seed %ld), target %s (flavour %s, KVM %s), profile%s %s; "
		  "strategies %s.", s->run.plan, manifest_int(s, "seed", 0),
		  manifest_str(s, "target") ?: "?", manifest_str(s, "flavour") ?: "?",
		  manifest_str(s, "kvm") ?: "?", s->nprofiles > 1 ? "s" : "", profiles, strategies);
	build_clock(d, s);
	if (s->run.env)
		rdoc_para(d, "Kernel %s, patch series %s (env.json).", rel ?: "release not recorded",
			  ser ?: "not recorded");
	else
		rdoc_para(d, "Kernel: unknown (the run has no env.json).");
	free(profiles);
	free(strategies);
	free(base);
}

static bool cell_bad(const struct cell *c)
{
	return c->status && !rcell_ok(c) && !rcell_skipped(c);
}

static void build_cells(struct rdoc *d, const struct rset *s, bool *failed)
{
	size_t ok = 0, bad = 0, skipped = 0, notrun = 0, listed = 0, i, j;
	size_t timed_reps = 0, coll_reps = 0;
	char st[128];

	for (i = 0; i < s->run.ncells; i++) {
		const struct cell *c = &s->run.cells[i];

		if (!c->status)
			notrun++;
		else if (rcell_ok(c))
			ok++;
		else if (rcell_skipped(c))
			skipped++;
		else
			bad++;
	}
	*failed = bad > 0;
	rdoc_heading(d, 2, "cells", "Cells");
	rdoc_para(d, "Cells: %zu ok, %zu failed, %zu skipped, %zu not run (%zu in the plan).",
		  ok, bad, skipped, notrun, s->run.ncells);
	for (i = 0; i < s->run.ncells; i++) {
		const struct cell *c = &s->run.cells[i];

		if (!cell_bad(c))
			continue;
		if (listed++ == MAX_LISTED_CELLS) {
			rdoc_item(d, "... and %zu more failed cells: see cells.csv", bad - MAX_LISTED_CELLS);
			break;
		}
		rdoc_item(d, "FAILED %s: %s, %s, %s rep %d (%s): %s; log cells/%s/output.log",
			  c->id, c->config, c->strategy, c->profile, c->rep, c->mode,
			  rcell_status_text(c, st, sizeof(st)), c->id);
	}
	/* skips come in whole configurations (the host lacks something): one line each */
	for (i = 0; i < s->nconfigs; i++) {
		size_t n = 0;
		const struct cell *first = NULL;
		char why[256];

		for (j = 0; j < s->run.ncells; j++) {
			const struct cell *c = &s->run.cells[j];

			if (rcell_skipped(c) && !strcmp(c->config, s->configs[i])) {
				n++;
				first = first ? first : c;
			}
		}
		if (n)
			rdoc_item(d, "skipped: %zu cell%s of %s (e.g. %s): %s", n, n > 1 ? "s" : "",
				  s->configs[i], first->id, skip_reason(s, first, why, sizeof(why)));
	}
	if (notrun)
		rdoc_item(d, "%zu cells have not run: bench/run-cells.sh on this run directory "
			  "runs them", notrun);

	for (i = 0; i < s->ng; i++) {
		if (!strcmp(s->g[i].mode, "timed") && s->g[i].n > timed_reps)
			timed_reps = s->g[i].n;
		if (mode_collected(s->g[i].mode) && s->g[i].n > coll_reps)
			coll_reps = s->g[i].n;
	}
	rdoc_para(d, "Timed and collected reps are told apart: timing metrics (the workload's "
		  "documents) come from timed cells only (plan: %ld reps, up to %zu values per "
		  "group here), collector metrics only from collected cells (plan: %ld, up to %zu "
		  "here); %zu workload rows of collected cells are left out because the probes "
		  "slow the workload.", manifest_int(s, "reps", 0), timed_reps,
		  manifest_int(s, "collect", 0), coll_reps, s->rows_left_out);
}

/*
 * What the headline tested, for the summary: Holm's family and, per
 * tested row, the pairs and the noise the smallest detectable shift comes from.
 */
struct hl_tests {
	size_t m, nsingle, cap, n;
	size_t *pairs;
	double *sd_log;
};

static void hl_tests_add(struct hl_tests *h, size_t pairs, double sd_log)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 32;
		h->pairs = realloc(h->pairs, h->cap * sizeof(*h->pairs));
		h->sd_log = realloc(h->sd_log, h->cap * sizeof(*h->sd_log));
		if (!h->pairs || !h->sd_log)
			abort();
	}
	h->pairs[h->n] = pairs;
	h->sd_log[h->n++] = sd_log;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* "10" or "9-10": the range of the pairs the rows had */
static const char *pairs_range(const struct hl_tests *h, char *buf, size_t len)
{
	size_t lo = SIZE_MAX, hi = 0;

	for (size_t i = 0; i < h->n; i++) {
		lo = h->pairs[i] < lo ? h->pairs[i] : lo;
		hi = h->pairs[i] > hi ? h->pairs[i] : hi;
	}
	if (lo == hi)
		snprintf(buf, len, "%zu", lo);
	else
		snprintf(buf, len, "%zu-%zu", lo, hi);
	return buf;
}

/* The smallest shift the headline's tests could have found, and how that is known. */
static void summary_mde(struct rdoc *d, const struct hl_tests *h)
{
	double alpha = h->m ? STATS_ALPHA / h->m : STATS_ALPHA, *mde;
	size_t i, nf = 0, ninf = 0, need = rmin_pairs(alpha);
	char pr[32];

	if (!h->m) {
		rdoc_item(d, "Smallest detectable shift: none, nothing was tested (the Wilcoxon "
			  "test needs %d pairs, and %zu before its p can fall below %.2f: a plan "
			  "with reps >= %zu).", STATS_MIN_N_TEST, rmin_pairs(STATS_ALPHA),
			  STATS_ALPHA, rmin_pairs(STATS_ALPHA));
		return;
	}
	mde = calloc(h->n + 1, sizeof(*mde));
	for (i = 0; i < h->n; i++) {
		double x = rmde_wilcoxon(h->pairs[i], h->sd_log[i], alpha);

		if (isinf(x))
			ninf++;
		else if (isfinite(x))
			mde[nf++] = x;
	}
	qsort(mde, nf, sizeof(*mde), cmp_double);
	pairs_range(h, pr, sizeof(pr));
	if (nf)
		rdoc_item(d, "Smallest shift the headline could have found: %.1f%% (median over "
			  "%zu tested rows; %.1f%% to %.1f%%), with 80%% power at Holm's strictest "
			  "level %.2f/%zu = %.2g, for the paired Wilcoxon signed-rank test at each "
			  "row's pairs (%s): (z(1-a/2) + z(0.8)) x sd / sqrt(n x 3/pi) on the log "
			  "ratio, its sd taken as sqrt(CV^2 + CV(rwlock)^2) from the two groups' CVs, "
			  "3/pi the test's efficiency relative to the paired t-test.",
			  stats_quantile(mde, nf, 0.5) * 100, nf, mde[0] * 100, mde[nf - 1] * 100,
			  STATS_ALPHA, h->m, alpha, pr);
	if (ninf)
		rdoc_item(d, "%s%zu of the %zu tested rows could find no shift at all: at %s pairs "
			  "the exact Wilcoxon p is at least 2/2^n (every pair of one sign), which "
			  "is not below Holm's strictest level %.2f/%zu = %.2g; %zu pairs could "
			  "(a plan with reps >= %zu, or fewer rows to test).", nf ? "" :
			  "Smallest detectable shift: none. ", ninf, h->m, pr, STATS_ALPHA, h->m,
			  alpha, need, need);
	free(mde);
}

#define MAX_LISTED_FINDINGS 12

static void build_summary(struct rdoc *d, const struct rset *s, const struct rfindings *fh,
			  const struct rfindings *fa, const struct hl_tests *h)
{
	size_t i, bad = 0, ok = 0, hung = 0, died = 0, listed = 0;
	char *ids = strdup(""), *x;

	rdoc_heading(d, 2, "summary", "Summary");
	if (!h->m)
		rdoc_item(d, "Headline: nothing tested (no row has the %d pairs a test needs).",
			  STATS_MIN_N_TEST);
	else if (!fh->n)
		rdoc_item(d, "Headline: no significant difference from rwlock after Holm's "
			  "correction over its %zu test%s.", h->m, h->m == 1 ? "" : "s");
	else
		rdoc_item(d, "Headline: %zu significant difference%s from rwlock after Holm's "
			  "correction over its %zu tests:", fh->n, fh->n > 1 ? "s" : "", h->m);
	for (i = 0; i < fh->n && listed < MAX_LISTED_FINDINGS; i++, listed++)
		rdoc_item(d, "%s", fh->v[i]);
	for (i = 0; i < fa->n && listed < MAX_LISTED_FINDINGS; i++, listed++)
		rdoc_item(d, "%s", fa->v[i]);
	if (fh->n + fa->n > listed)
		rdoc_item(d, "... and %zu more: see the headline and the tuning advice.",
			  fh->n + fa->n - listed);
	if (!fa->n)
		rdoc_item(d, "Tuning advice: no recommendation beyond the defaults survives Holm's "
			  "correction (per question).");

	for (i = 0; i < s->run.ncells; i++) {
		const struct cell *c = &s->run.cells[i];
		const char *o = cell_outcome(c->status);

		if (!cell_bad(c)) {
			ok += c->status != NULL;
			continue;
		}
		bad++;
		hung += !strcmp(o, "hung");
		died += !strcmp(o, "died");
		if (bad <= MAX_LISTED_CELLS) {
			x = rstrf("%s%s%s %s", ids, *ids ? ", " : "", c->id, o);
			free(ids);
			ids = x;
		}
	}
	if (bad)
		rdoc_item(d, "Cells that failed, hung or died: %zu of %zu (%zu failed, %zu hung, "
			  "%zu died): %s%s.", bad, s->run.ncells, bad - hung - died, hung, died, ids,
			  bad > MAX_LISTED_CELLS ? ", ..." : "");
	else
		rdoc_item(d, "Cells that failed, hung or died: none (%zu of %zu ran or were "
			  "skipped).", ok, s->run.ncells);
	free(ids);
	summary_mde(d, h);
	if (h->nsingle)
		rdoc_item(d, "%zu headline group%s of a single observation (n=1) %s no test and "
			  "no finding: see \"Single observations\".", h->nsingle,
			  h->nsingle > 1 ? "s" : "", h->nsingle > 1 ? "have" : "has");
}

static const struct rgroup *first_group(const struct rset *s, const char *profile,
					const char *config, const char *const *names,
					const char **name)
{
	size_t i, k;

	for (k = 0; names[k]; k++)
		for (i = 0; i < s->ng; i++)
			if (!strcmp(s->g[i].def->name, names[k]) && !strcmp(s->g[i].profile, profile) &&
			    !strcmp(s->g[i].config, config)) {
				*name = names[k];
				return &s->g[i];
			}
	return NULL;
}

static bool is_logging(const char *workload)
{
	return !strcmp(workload, "s2_dirty") || !strcmp(workload, "s2_split");
}

static const char *verdict_text(const struct rgroup *g, const struct rratio *r, char *buf,
				size_t len)
{
	double pct = (r->median - 1) * 100;
	bool lower = g->def->better == BETTER_LOWER, higher = g->def->better == BETTER_HIGHER;

	if (!r->n)
		snprintf(buf, len, "no paired reps");
	else if (!r->t.tested)
		snprintf(buf, len, "n=%zu: too few pairs to test", r->n);
	else if (!rratio_significant(r))
		snprintf(buf, len, "~ no significant difference");
	else if ((lower && pct < 0) || (higher && pct > 0))
		snprintf(buf, len, "better: %+.1f%%", pct);
	else if (lower || higher)
		snprintf(buf, len, "worse: %+.1f%%", pct);
	else
		snprintf(buf, len, "differs: %+.1f%%", pct);
	return buf;
}

/* Why a configuration has no write-protection fault latency. */
static const char *wp_unavailable(const struct rset *s, const char *profile, const char *config,
				  const struct unavail *u, size_t nu)
{
	size_t i;

	if (manifest_int(s, "collect", 0) == 0)
		return "the plan collected no reps (collect 0): a plan with collect >= 1 gives it";
	for (i = 0; i < nu; i++) {
		const struct cell *c = rundir_cell(&s->run, u[i].cell);

		if (!strcmp(u[i].metric, RMETRIC_WP_P50) && c && !strcmp(c->config, config) &&
		    !strcmp(c->profile, profile))
			return u[i].reason;
	}
	/* The list keeps one cell per reason: the reason another configuration gave. */
	for (i = 0; i < nu; i++)
		if (!strcmp(u[i].metric, RMETRIC_WP_P50))
			return u[i].reason;
	return "no collected cell of this configuration ran to completion";
}

/* A paired ratio's table cells: "1.234x", its CI (or why none), its p. */
static void ratio_cells(const struct rratio *r, char *ratio, size_t rlen, char *rci, size_t clen,
			char *p, size_t plen)
{
	ratio[0] = rci[0] = p[0] = 0;
	if (r->n)
		snprintf(ratio, rlen, "%.3fx", r->median);
	if (r->has_ci)
		snprintf(rci, clen, "%.3f-%.3f", r->lo, r->hi);
	else if (r->n)
		snprintf(rci, clen, "n<%d: no CI", STATS_MIN_N_CI);
	if (r->t.tested)
		rfmt_p(p, plen, r->t.p);
}

/* One pass over the headline (see struct rholm): where its rows go. */
struct hl_pass {
	const struct rset *s;
	struct rholm *h;
	struct rtable *t;
	struct rdoc *sd;		/* the single observations' section */
	struct rtable *single;		/* made at its first row */
	struct rfindings *f;		/* the second pass only */
	struct hl_tests *tests;		/* the second pass only */
	bool all_ns;
};

static struct rtable *single_table(struct hl_pass *c)
{
	static const char *const spec[] = { "profile", "config", "metric", "strategy", ">value",
					    ">vs rwlock (one pair)" };

	if (c->single)
		return c->single;
	rdoc_heading(c->sd, 2, "single", "Single observations (n=1)");
	rdoc_para(c->sd, "Groups of the headline's metrics with one value each: one run, so no "
		  "spread, no confidence interval and no test. They are not findings and are "
		  "kept out of the headline; a ratio here is one pair, as likely noise as not. A "
		  "plan with more reps (or collect >= %d for the collector's figures) tests them.",
		  STATS_MIN_N_CI);
	c->single = rdoc_table(c->sd, "single-table", 6, spec);
	return c->single;
}

static void headline_rows(struct hl_pass *c, const char *profile, const char *config,
			  const struct rgroup *any, bool *first)
{
	const struct rset *s = c->s;
	const char *metric = any->def->name;
	const struct rgroup *base = rset_find(s, profile, config, "rwlock", metric);
	bool labelled = false;
	size_t k;

	for (k = 0; k < s->nstrategies; k++) {
		const struct rgroup *g = rset_find(s, profile, config, s->strategies[k], metric);
		char med[64], ci[32], n[16], ratio[32], rci[48], p[16], ph[16], verdict[96];
		struct rratio r = { 0 };
		struct rscale sc;

		if (!g)
			continue;
		sc = rscale_for(g->s.median, g->unit);
		rfmt(med, sizeof(med), g->s.median, sc, true);
		ratio[0] = rci[0] = p[0] = ph[0] = 0;
		if (g != base && base) {
			rholm_groups(c->h, g, base, &r);
			ratio_cells(&r, ratio, sizeof(ratio), rci, sizeof(rci), p, sizeof(p));
			if (r.adjusted)
				rfmt_p(ph, sizeof(ph), r.p_adj);
		}
		if (g->n == 1) {
			rtable_row(single_table(c), (const char *[]){ profile, config, metric,
				   g->strategy, med, g == base ? "baseline" : ratio });
			if (c->tests)
				c->tests->nsingle++;
			continue;
		}
		c->all_ns &= !strcmp(g->unit, "ns");
		snprintf(ci, sizeof(ci), "%s", g->s.has_ci ? "" : "no CI");
		if (g->s.has_ci)
			rfmt_ci_pct(ci, sizeof(ci), &g->s);
		snprintf(n, sizeof(n), "%zu", g->n);
		if (g == base)
			snprintf(verdict, sizeof(verdict), "baseline");
		else if (!base)
			snprintf(verdict, sizeof(verdict), "no rwlock cells to pair with");
		else
			verdict_text(g, &r, verdict, sizeof(verdict));
		rtable_row(c->t, (const char *[]){ *first ? profile : "", *first ? config : "",
			   labelled ? "" : metric, g->strategy, med, ci, n, ratio, rci, p, ph,
			   verdict });
		*first = false;
		labelled = true;
		if (!c->tests || !r.t.tested)
			continue;
		hl_tests_add(c->tests, r.n, sqrt(g->s.cv * g->s.cv + base->s.cv * base->s.cv));
		if (rratio_significant(&r))
			rfinding_add(c->f, "%s [%s], %s: %s %.3fx rwlock (%s; 95%% CI %s, Holm p=%s, "
				     "n=%zu).", config, profile, metric, g->strategy, r.median,
				     verdict, r.has_ci ? rci : "none, n<6", ph, r.n);
	}
}

/* The round of an instrumented cell's rep: reps + t * collect + round. */
static int *rounds_of(const struct rset *s, const struct rgroup *g)
{
	long reps = manifest_int(s, "reps", 0), collect = manifest_int(s, "collect", 0);
	int *r = calloc(g->n + 1, sizeof(*r));

	for (size_t k = 0; k < g->n; k++)
		r[k] = collect > 0 && g->rep[k] > reps ? (int)((g->rep[k] - reps - 1) % collect + 1) :
			-g->rep[k];
	return r;
}

static const struct rgroup *ig_find(const struct rset *s, const struct rgroup *like,
				    const char *mode)
{
	for (size_t i = 0; i < s->nig; i++) {
		const struct rgroup *g = &s->ig[i];

		if (g->def == like->def && !strcmp(g->mode, mode) &&
		    !strcmp(g->profile, like->profile) && !strcmp(g->config, like->config) &&
		    !strcmp(g->strategy, like->strategy))
			return g;
	}
	return NULL;
}

/* The group of collector figure @metric of @g's profile, config, strategy and mode. */
static const struct rgroup *mode_group(const struct rset *s, const struct rgroup *g,
				       const char *metric)
{
	for (size_t i = 0; i < s->ng; i++) {
		const struct rgroup *h = &s->g[i];

		if (!strcmp(h->def->name, metric) && !strcmp(h->mode, g->mode) &&
		    !strcmp(h->profile, g->profile) && !strcmp(h->config, g->config) &&
		    !strcmp(h->strategy, g->strategy))
			return h;
	}
	return NULL;
}

static const char *mode_what(const char *mode)
{
	if (!strcmp(mode, "bpftrace"))
		return "bpftrace s2faults.bt";
	if (!strcmp(mode, "collected-detail"))
		return "s2collect --faults";
	if (!strcmp(mode, "collected-default"))
		return "s2collect";
	return "s2collect (the plan's tier)";
}

/*
 * What the instruments cost: each gated workload figure measured under a
 * collector or bpftrace, over the same figure of the timed rep of the same
 * round (order interleaved: run side by side), as paired ratios.
 */
static void build_overhead(struct rdoc *d, const struct rset *s, struct rholm *h)
{
	static const char *const spec[] = { "profile", "config", "metric", "strategy", "under",
					    ">bare", ">under it", ">ratio", ">CI of ratio", ">p",
					    ">Holm p", ">pairs", "verdict", ">its CPU" };
	static const char *const modes[] = { "collected", "collected-default", "collected-detail",
					     "bpftrace" };
	const char *order = manifest_str(s, "order");
	struct rtable *t = NULL;
	size_t i, k, nsorted = 0, untested = 0;
	const struct rgroup **sorted = calloc(s->nig + 1, sizeof(*sorted));

	/* in the report's order: profile, config, strategy, then the tiers as planned */
	for (size_t pi = 0; pi < s->nprofiles; pi++)
		for (size_t ci = 0; ci < s->nconfigs; ci++)
			for (size_t si = 0; si < s->nstrategies; si++)
				for (size_t mi = 0; mi < sizeof(modes) / sizeof(modes[0]); mi++)
					for (k = 0; k < s->nig; k++)
						if (!strcmp(s->ig[k].profile, s->profiles[pi]) &&
						    !strcmp(s->ig[k].config, s->configs[ci]) &&
						    !strcmp(s->ig[k].strategy, s->strategies[si]) &&
						    !strcmp(s->ig[k].mode, modes[mi]))
							sorted[nsorted++] = &s->ig[k];

	for (i = 0; i < nsorted; i++) {
		const struct rgroup *g = sorted[i];
		const struct rgroup *base = g->def->gated ?
			rset_find(s, g->profile, g->config, g->strategy, g->def->name) : NULL;
		char bare[48], under[48], ratio[32], rci[48], p[16], ph[16], n[16], verdict[96];
		char cpu[64];
		const struct rgroup *bpf, *own;
		struct rscale sc;
		struct rratio r;
		int *rr;

		if (!base)
			continue;
		rr = rounds_of(s, g);
		rholm_ratio(h, rr, g->v, g->n, base->rep, base->v, base->n, &r);
		free(rr);
		if (!r.t.tested) {
			untested++;
			continue;
		}
		if (!t) {
			rdoc_heading(d, 2, "overhead", "What the instruments cost");
			rdoc_para(d, "Each gated figure of the workload measured under an instrument "
				  "over the same figure of the bare (timed) rep of the same round: the "
				  "median of the paired ratios, its bootstrap 95%% CI, the Wilcoxon "
				  "signed-rank p (two-sided) and that p corrected by Holm's method over "
				  "the %zu rows of this table (Holm p), on which the verdict rests. "
				  "Above 1: the instrument slows the workload. Its CPU: the medians "
				  "of what s2collect's BPF programs ran and what its own process used "
				  "while it watched, in %% of one CPU (the collector's document; "
				  "bpftrace reports neither). %s", h->m, order && !strcmp(order, "interleaved") ?
				  "The plan interleaves them (order interleaved): each pair ran side "
				  "by side in one shuffle." : "The plan runs them in sequence (order "
				  "sequential): drift between the timed and the collected reps lands "
				  "in the ratio; order interleaved pairs them properly.");
			t = rdoc_table(d, "overhead-table", 14, spec);
		}
		sc = rscale_for(base->s.median, base->unit);
		rfmt(bare, sizeof(bare), base->s.median, sc, true);
		rfmt(under, sizeof(under), g->s.median, sc, true);
		snprintf(n, sizeof(n), "%zu", r.n);
		ratio_cells(&r, ratio, sizeof(ratio), rci, sizeof(rci), p, sizeof(p));
		ph[0] = 0;
		if (r.adjusted)
			rfmt_p(ph, sizeof(ph), r.p_adj);
		if (rratio_significant(&r))
			snprintf(verdict, sizeof(verdict), "%s by %.1f%%", r.median > 1 ? "slower" :
				 "faster", fabs(r.median - 1) * 100);
		else
			snprintf(verdict, sizeof(verdict), "~ no significant difference");
		/* what the collector itself used: its BPF programs and its process */
		bpf = mode_group(s, g, "collector.overhead.cpu_share");
		own = mode_group(s, g, "collector.overhead.own_cpu_share");
		if (!strcmp(g->mode, "bpftrace"))
			snprintf(cpu, sizeof(cpu), "not measured");
		else if (bpf && own)
			snprintf(cpu, sizeof(cpu), "%.2f%% + %.2f%%", bpf->s.median * 100,
				 own->s.median * 100);
		else if (bpf)
			snprintf(cpu, sizeof(cpu), "%.2f%% (BPF only)", bpf->s.median * 100);
		else
			snprintf(cpu, sizeof(cpu), "not in the documents");
		rtable_row(t, (const char *[]){ g->profile, g->config, g->def->name, g->strategy,
			   mode_what(g->mode), bare, under, ratio, rci, p, ph, n, verdict, cpu });
	}
	if (!t) {
		if (untested)
			rdoc_para(d, "What the instruments cost: %zu figure%s measured under an "
				  "instrument, none with the %d pairs with a bare rep of the same "
				  "round a test needs (a plan with collect >= %d and order "
				  "interleaved tells it).", untested, untested > 1 ? "s" : "",
				  STATS_MIN_N_TEST, STATS_MIN_N_CI);
		free(sorted);
		return;
	}
	if (untested)
		rdoc_para(d, "%zu more figure%s under an instrument with too few pairs to test "
			  "(n<%d) are not listed.", untested, untested > 1 ? "s" : "", STATS_MIN_N_TEST);

	/* detail against bpftrace, pair by pair: the "at most half" */
	for (i = 0; i < nsorted; i++) {
		const struct rgroup *g = sorted[i], *b, *base;
		char ci[48], p[32], share[128];
		struct rratio rd, rb, rx;
		int *r1, *r2;

		if (strcmp(g->mode, "collected-detail") || !g->def->gated ||
		    !(b = ig_find(s, g, "bpftrace")) ||
		    !(base = rset_find(s, g->profile, g->config, g->strategy, g->def->name)))
			continue;
		r1 = rounds_of(s, g);
		r2 = rounds_of(s, b);
		rratio_of(r1, g->v, g->n, r2, b->v, b->n, &rx);
		rratio_of(r1, g->v, g->n, base->rep, base->v, base->n, &rd);
		rratio_of(r2, b->v, b->n, base->rep, base->v, base->n, &rb);
		free(r1);
		free(r2);
		if (!rx.n || !rd.n || !rb.n)
			continue;
		snprintf(ci, sizeof(ci), rx.has_ci ? "%.3f-%.3f" : "none", rx.lo, rx.hi);
		snprintf(p, sizeof(p), rx.t.tested ? "%.3g" : "untested", rx.t.p);
		/* a share of bpftrace's cost only where bpftrace has a cost to share */
		if (!rratio_significant(&rb) || rb.median <= 1)
			snprintf(share, sizeof(share), "no share of what bpftrace costs: bpftrace's "
				 "own slowdown is not significant");
		else if (rd.median >= 1)
			snprintf(share, sizeof(share), "the detail tier's slowdown is %.2fx "
				 "bpftrace's", (rd.median - 1) / (rb.median - 1));
		else
			snprintf(share, sizeof(share), "the detail tier costs nothing measurable");
		rdoc_item(d, "%s, %s [%s], %s: s2collect --faults over bpftrace %.3fx "
			  "(95%% CI %s, p %s, %zu pairs); slowdowns %+.1f%% and %+.1f%% (medians "
			  "of the paired ratios): %s.",
			  g->def->name, g->config, g->profile, g->strategy, rx.median, ci, p, rx.n,
			  (rd.median - 1) * 100, (rb.median - 1) * 100, share);
	}
	free(sorted);
}

/* The instruments' cost with Holm's correction over its rows (see struct rholm). */
static void build_overhead_holm(struct rdoc *d, const struct rset *s)
{
	struct rdoc scratch = { 0 };
	struct rholm h = { 0 };

	build_overhead(&scratch, s, &h);
	rdoc_free(&scratch);
	rholm_adjust(&h);
	build_overhead(d, s, &h);
	rholm_free(&h);
}

static void note_metric(const struct metric_def **used, size_t *n, const struct metric_def *m)
{
	size_t i;

	for (i = 0; m && i < *n && used[i] != m; i++)
		;
	if (m && i == *n && *n < 16)
		used[(*n)++] = m;
}

static void headline_pass(struct rdoc *d, struct hl_pass *c, const struct unavail *u,
			  size_t nu)
{
	static const char *const spec[] = { "profile", "config", "metric", "strategy", ">median",
					    ">95% CI", ">n", ">vs rwlock", ">CI of ratio", ">p",
					    ">Holm p", "verdict" };
	const struct rset *s = c->s;
	const struct metric_def *used[16];
	struct rtable *t;
	size_t pi, ci, i, nused = 0;

	rdoc_heading(d, 2, "headline", "Headline: each strategy against rwlock");
	rdoc_para(d, "Per configuration: the median with its bootstrap 95%% CI (n<%d: no CI), "
		  "and each strategy's value divided by rwlock's of the same profile, "
		  "configuration and rep: the median ratio, its bootstrap 95%% CI, the Wilcoxon "
		  "signed-rank p on the log ratios (two-sided) and that p corrected by Holm's "
		  "method over the %zu test%s of this table (Holm p), on which the verdict rests. "
		  "For times, a ratio below 1 is less time than rwlock. \"~\": Holm p >= %.2f, no "
		  "significant difference. Groups of one value are not here: see \"Single "
		  "observations\".", STATS_MIN_N_CI, c->h->m, c->h->m == 1 ? "" : "s", STATS_ALPHA);
	t = c->t = rdoc_table(d, "headline-table", 12, spec);
	c->all_ns = true;
	for (pi = 0; pi < s->nprofiles; pi++)
		for (ci = 0; ci < s->nconfigs; ci++) {
			const char *prof = s->profiles[pi], *cfg = s->configs[ci], *name;
			const char *wl = rconfig_workload(s, cfg);
			const struct rgroup *g;
			bool first = true, any = false;

			if ((g = first_group(s, prof, cfg, rhl_pass, &name))) {
				headline_rows(c, prof, cfg, g, &first);
				note_metric(used, &nused, g->def);
				any = true;
			}
			if ((g = first_group(s, prof, cfg, hl_wp, &name))) {
				headline_rows(c, prof, cfg, g, &first);
				note_metric(used, &nused, g->def);
			} else if (is_logging(wl) && any) {
				rtable_row(t, (const char *[]){ "", "", RMETRIC_WP_P50, "", "unavailable",
					   "", "", "", "", "", "", wp_unavailable(s, prof, cfg, u, nu) });
				note_metric(used, &nused, metric_find(RMETRIC_WP_P50));
			}
			if ((g = first_group(s, prof, cfg, rhl_populate, &name))) {
				headline_rows(c, prof, cfg, g, &first);
				note_metric(used, &nused, g->def);
				any = true;
			}
			/* a workload with none of them: its first gated metric */
			for (i = 0; !any && i < s->ng; i++)
				if (s->g[i].def->gated && !strcmp(s->g[i].profile, prof) &&
				    !strcmp(s->g[i].config, cfg)) {
					headline_rows(c, prof, cfg, &s->g[i], &first);
					note_metric(used, &nused, s->g[i].def);
					any = true;
				}
		}
	/* every median a time of an icount run: the column says what kind of time */
	if (rset_icount(s) && c->all_ns && t->nrows) {
		free(t->head[4]);
		t->head[4] = strdup("median (instruction time)");
	}
	for (i = 0; i < nused; i++)
		rdoc_item(d, "%s: %s", used[i]->name, used[i]->label ?: used[i]->name);
	if (!t->nrows) {
		/* the items, then the table */
		for (i = 0; i < nused; i++)
			rdoc_pop(d);
		rdoc_pop(d);
		rdoc_para(d, "Nothing to tell%s: the run has no values of more than one run "
			  "(every cell failed or was skipped, or ran once).", c->single ?
			  " here" : "");
	}
}

/*
 * The headline, with Holm's correction over its tests: built once to
 * gather them, then for real. Rows of a single observation go to @sd.
 */
static void build_headline(struct rdoc *d, struct rdoc *sd, const struct rset *s,
			   const struct unavail *u, size_t nu, struct rfindings *f,
			   struct hl_tests *tests)
{
	struct rdoc scratch = { 0 }, scratch_single = { 0 };
	struct rholm h = { 0 };
	struct hl_pass c = { .s = s, .h = &h, .sd = &scratch_single };

	headline_pass(&scratch, &c, u, nu);
	rdoc_free(&scratch);
	rdoc_free(&scratch_single);
	rholm_adjust(&h);
	c = (struct hl_pass){ .s = s, .h = &h, .sd = sd, .f = f, .tests = tests };
	headline_pass(d, &c, u, nu);
	tests->m = h.m;
	rholm_free(&h);
}

static int cmp_metric(const void *a, const void *b)
{
	const struct metric_def *x = *(const struct metric_def *const *)a;
	const struct metric_def *y = *(const struct metric_def *const *)b;
	size_t rx = metric_rank(x), ry = metric_rank(y);

	return rx != ry ? (rx < ry ? -1 : 1) : strcmp(x->name, y->name);
}

/* The distinct metrics of one (profile, config), in registry order. */
static size_t config_metrics(const struct rset *s, const char *prof, const char *cfg,
			     const struct metric_def **out)
{
	size_t i, j, n = 0;

	for (i = 0; i < s->ng; i++) {
		if (strcmp(s->g[i].profile, prof) || strcmp(s->g[i].config, cfg))
			continue;
		for (j = 0; j < n && out[j] != s->g[i].def; j++)
			;
		if (j == n)
			out[n++] = s->g[i].def;
	}
	qsort(out, n, sizeof(*out), cmp_metric);
	return n;
}

static void build_tables(struct rdoc *d, const struct rset *s)
{
	static const char *const spec[] = { "metric", "strategy", ">n", ">median", ">95% CI",
					    ">p10", ">p90", ">CV" };
	const struct metric_def **defs = calloc(s->ng + 1, sizeof(*defs));
	size_t pi, ci, k, j, nm, tab = 0;

	rdoc_heading(d, 2, "configs", "Per configuration");
	rdoc_para(d, "Each metric per strategy: n, median, bootstrap 95%% CI of the median "
		  "(as %% of the median; n<%d: no CI), p10/p90 and the coefficient of variation "
		  "(\"high\" above %.0f%%: noisy, more reps or a quieter host needed).%s",
		  STATS_MIN_N_CI, STATS_CV_HIGH * 100, rset_icount(s) ? " Times (ns, us, ms, s) "
		  "are instruction time (clock icount): 1 ns is one emulated instruction." : "");
	for (pi = 0; pi < s->nprofiles; pi++)
		for (ci = 0; ci < s->nconfigs; ci++) {
			const char *prof = s->profiles[pi], *cfg = s->configs[ci];
			struct rtable *t;
			char id[32];

			nm = config_metrics(s, prof, cfg, defs);
			if (!nm)
				continue;
			rdoc_heading(d, 3, NULL, "%s [%s]", cfg, prof);
			snprintf(id, sizeof(id), "config-%zu", ++tab);
			t = rdoc_table(d, id, 8, spec);
			for (k = 0; k < nm; k++) {
				bool first = true;

				for (j = 0; j < s->nstrategies; j++) {
					const struct rgroup *g = rset_find(s, prof, cfg, s->strategies[j],
									   defs[k]->name);
					char n[16], med[48], ci_s[32], p10[32], p90[32], cv[32];
					struct rscale sc;

					if (!g)
						continue;
					sc = rscale_for(g->s.median, g->unit);
					snprintf(n, sizeof(n), "%zu", g->n);
					rfmt(med, sizeof(med), g->s.median, sc, true);
					if (g->s.has_ci)
						rfmt_ci_pct(ci_s, sizeof(ci_s), &g->s);
					else
						snprintf(ci_s, sizeof(ci_s), "n<%d: no CI", STATS_MIN_N_CI);
					rfmt(p10, sizeof(p10), g->s.p10, sc, false);
					rfmt(p90, sizeof(p90), g->s.p90, sc, false);
					if (g->n < 2 || !isfinite(g->s.cv))
						snprintf(cv, sizeof(cv), "n/a");
					else
						snprintf(cv, sizeof(cv), "%.1f%%%s", g->s.cv * 100,
							 g->s.cv_high ? " high" : "");
					rtable_row(t, (const char *[]){ first ? defs[k]->name : "",
						   g->strategy, n, med, ci_s, p10, p90, cv });
					first = false;
				}
			}
		}
	free(defs);
}

/* The scripts sit in plots/ beside bench/ in the source tree s2bench is built in. */
static char *default_plots_dir(void)
{
	char exe[PATH_MAX], try[PATH_MAX + 32];
	const char *env = getenv("S2BENCH_PLOTS");
	ssize_t n;
	static const char *const rel[] = { "/../../plots", "/../plots", "/plots" };
	size_t i;

	if (env && *env)
		return strdup(env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return strdup("plots");
	exe[n] = 0;
	dirname(exe);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(try, sizeof(try), "%s%s/common.gp", exe, rel[i]);
		if (!access(try, R_OK)) {
			snprintf(try, sizeof(try), "%s%s", exe, rel[i]);
			return realpath(try, NULL) ?: strdup(try);
		}
	}
	return strdup("plots");
}

static bool write_file(const struct rset *s, const char *name, const struct rdoc *d, int kind,
		       const char *title)
{
	char tmp[PATH_MAX + 8];
	FILE *f = run_file_open(s->run.dir, name, tmp, sizeof(tmp), "");

	if (!f)
		return false;
	if (kind == 0)
		rdoc_text(d, 0, d->n, f);
	else if (kind == 1)
		rdoc_markdown(d, f);
	else
		rdoc_html(d, title, f);
	/* written whole or not at all: a reader never sees half a report */
	return run_file_commit(f, tmp, "");
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench report [OPTIONS] RUN\n"
		"Tell a run's results: writes RUN/report.txt, RUN/report.md, RUN/report.html and\n"
		"RUN/plots/*.svg, *.png (with the data each plot was drawn from, *.dat), and\n"
		"prints the header and the headline on stdout.\n\n"
		"  --no-plots        do not run gnuplot (the report says so)\n"
		"  --plots-dir DIR   the gnuplot scripts (default: $S2BENCH_PLOTS, else the\n"
		"                    plots/ directory of the source tree s2bench was built in)\n"
		"  -q, --quiet       print nothing on stdout\n"
		"  -h, --help        this help\n\n"
		"Exit status: 0 ok, 1 the run has failed cells (the report lists them), 2 bad\n"
		"input (one line on stderr).\n");
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-plots", no_argument, NULL, 'P' },
		{ "plots-dir", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct rplot_opts po = { .draw = true };
	char *title, *pdir = NULL;
	const char *plots_arg = NULL;
	struct rdoc d = { 0 }, hl = { 0 }, single = { 0 }, adv = { 0 };
	struct rfindings fh = { 0 }, fa = { 0 };
	struct hl_tests tests = { 0 };
	struct unavail *unav;
	struct rset s;
	size_t head_end, nunav;
	bool failed, quiet = false, ok, interleaved;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			po.draw = false;
			break;
		case 'D':
			plots_arg = optarg;	/* copied once the options are good */
			break;
		case 'q':
			quiet = true;
			break;
		default:
			return s2b_opt_end("report", c, argv, usage);
		}
	}
	if (!rset_load_args("report", argc, argv, 1, "one run directory", "", &s))
		return S2BENCH_EXIT_USAGE;
	po.plots_dir = pdir = plots_arg ? strdup(plots_arg) : default_plots_dir();

	unav = load_unavailable(&s, &nunav);
	/* the summary at the top tells what the sections below found: they come first */
	build_headline(&hl, &single, &s, unav, nunav, &fh, &tests);
	advice_build(&adv, &s, &fa);
	build_header(&d, &s);
	build_summary(&d, &s, &fh, &fa, &tests);
	build_cells(&d, &s, &failed);
	rdoc_move(&d, &hl);
	/* a plan made to measure it (order interleaved) has it in its headline */
	interleaved = manifest_str(&s, "order") && !strcmp(manifest_str(&s, "order"), "interleaved");
	if (interleaved)
		build_overhead_holm(&d, &s);
	head_end = d.n;
	rdoc_move(&d, &single);
	rdoc_move(&d, &adv);
	rplot_all(&d, &s, &po);
	build_tables(&d, &s);
	if (!interleaved)
		build_overhead_holm(&d, &s);
	build_unavailable(&d, unav, nunav);
	free_unavailable(unav, nunav);
	rfindings_free(&fh);
	rfindings_free(&fa);
	free(tests.pairs);
	free(tests.sd_log);

	title = rstrf("s2perf report: %s (plan %s)", s.run.dir, s.run.plan);
	ok = write_file(&s, "report.txt", &d, 0, title) && write_file(&s, "report.md", &d, 1, title) &&
	     write_file(&s, "report.html", &d, 2, title);
	if (ok && !quiet) {
		rdoc_text(&d, 0, head_end, stdout);
		printf("\nThe whole report: %s/report.txt, report.md, report.html\n", s.run.dir);
	}
	free(title);
	free(pdir);
	rdoc_free(&d);
	rset_free(&s);
	if (!ok)
		return S2BENCH_EXIT_USAGE;
	return failed ? S2BENCH_EXIT_FINDING : S2BENCH_EXIT_OK;
}
