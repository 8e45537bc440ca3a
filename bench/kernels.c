// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench kernels SET: the report of one plan run on several kernels
 * (bench/run-kernels.sh): each kernel against the one before it (with
 * --series, what one patch changed) and against the first.
 *
 * One run per kernel: the statistics are s2bench compare's, read from its
 * JSON (SET/compare/K-vs-B.json); this part decides nothing, it lists what
 * compare found DIFFERENT, gated metrics first, with the shift, its 95% CI
 * and the Holm-corrected p.
 *
 * Blocks (run-kernels.sh --blocks N, SET/blocks.tsv): every kernel ran once
 * in each block, each in its own boot; the kernels are paired by block
 * (kernels_blocks(): ratios of medians per block, a Student t CI over the
 * blocks), the way the report pairs each strategy with rwlock by rep.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rdoc.h"
#include "rgroup.h"
#include "s2bench.h"

#define KERNELS_SCHEMA "s2perf.kernels/1"
#define KERNELS_BLOCKS_SCHEMA "s2perf.kernels-blocks/1"
#define MAX_KERNELS 256

struct kernel {
	char *index, *spec, *dir, *label;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench kernels [-o FILE] [-t PCT] [-a A] SET\n"
		"The report of one plan run on several kernels (bench/run-kernels.sh; ./run.sh\n"
		"kernels): for each kernel, what changed against the one before it (with\n"
		"--series: what that patch costs) and against the first.\n\n"
		"A set of one run per kernel: as s2bench compare found it\n"
		"(SET/compare/K-vs-B.json): the DIFFERENT rows, gated metrics first, with the\n"
		"shift (Hodges-Lehmann, as a ratio), its 95%% CI and the Holm-corrected p; and\n"
		"how many rows were SAME or UNKNOWN.\n\n"
		"A set of blocks (run-kernels.sh --blocks N, SET/blocks.tsv: every kernel once\n"
		"in each of N blocks, each run its own boot): paired by block. Per row\n"
		"(compare's rows) and block, the ratio of the two kernels' medians; over the\n"
		"blocks the geometric mean ratio, its 95%% CI (Student t on the log ratios,\n"
		"N-1 degrees of freedom), the one-sample t test's two-sided p, how many blocks\n"
		"went each way; Holm within the gated rows and within the others of a pair:\n"
		"  DIFFERENT  Holm p < alpha and the change beyond the threshold\n"
		"  SAME       the CI inside +-threshold\n"
		"  UNKNOWN    neither (with the change the row could detect: more blocks)\n"
		"A table per pair, every tested row.\n\n"
		"  -o, --output FILE    also write the report as JSON (schema %s; with blocks\n"
		"                       %s, each row with its block ratios)\n"
		"  -t, --threshold PCT  blocks: the change a DIFFERENT row exceeds and the SAME\n"
		"                       band (default 5; run-kernels.sh passes its own)\n"
		"  -a, --alpha A        blocks: the level after Holm's correction (default %.2f)\n"
		"  -h, --help           this help\n\n"
		"Exit status: 0 written, 2 SET is not a finished set (one line saying why).\n",
		KERNELS_SCHEMA, KERNELS_BLOCKS_SCHEMA, STATS_ALPHA);
}

/* SET/kernels.tsv: index, spec, run directory, label; tab-separated. */
static size_t load_kernels(const char *set, struct kernel *k, char *err, size_t errlen)
{
	char path[4096], *line = NULL;
	size_t cap = 0, n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kernels.tsv", set);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s (not a set made by bench/run-kernels.sh)", path,
			 strerror(errno));
		return 0;
	}
	while (getline(&line, &cap, f) > 0) {
		char *field[4], *p = line;
		int nf = 0;

		line[strcspn(line, "\n")] = 0;
		for (nf = 0; nf < 4; nf++) {
			field[nf] = strsep(&p, "\t");
			if (!field[nf])
				break;
		}
		if (nf < 4 || p || !*field[2] || !strcmp(field[2], "-")) {
			snprintf(err, errlen, "%s:%zu: %s", path, n + 1, nf < 4 || p ?
				 "not 4 tab-separated fields (index, spec, run, label)" :
				 "no run directory: the set is not finished (run-kernels.sh --resume)");
			n = 0;
			break;
		}
		if (n == MAX_KERNELS) {
			snprintf(err, errlen, "%s: more than %d kernels", path, MAX_KERNELS);
			n = 0;
			break;
		}
		k[n].index = xstrdup(field[0]);
		k[n].spec = xstrdup(field[1]);
		k[n].dir = xstrdup(field[2]);
		k[n].label = xstrdup(field[3]);
		n++;
	}
	free(line);
	fclose(f);
	if (n == 1) {
		snprintf(err, errlen, "%s: one kernel, nothing compared", path);
		n = 0;
	} else if (!n && !*err) {
		snprintf(err, errlen, "%s: empty", path);
	}
	return n;
}

static double num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "?";
}

static void pct(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%+.2f%%", 100 * v);
}

/*
 * One comparison: its changed rows into @out (an array of row objects kept
 * from compare's JSON) and its counts, printed under @title.
 */
static json_t *one(FILE *f, const char *set, size_t k, size_t b, const char *title)
{
	char path[4096], e[4400], a[32], lo[32], hi[32];
	json_error_t je;
	json_t *doc, *rows, *row, *sum, *res, *changed;
	size_t i, ndiff = 0, ngdiff = 0;

	snprintf(path, sizeof(path), "%s/compare/%zu-vs-%zu.json", set, k, b);
	doc = json_load_file(path, 0, &je);
	if (!doc) {
		snprintf(e, sizeof(e), "%s: %s", path, je.text);
		fprintf(f, "  %s: not compared (%s)\n", title, e);
		return json_pack("{s:s}", "unavailable", e);
	}
	rows = json_object_get(doc, "rows");
	sum = json_object_get(doc, "summary");
	changed = json_array();
	/* gated rows first, then the others; each in compare's order */
	for (int pass = 0; pass < 2; pass++)
		json_array_foreach(rows, i, row) {
			bool gated = json_is_true(json_object_get(row, "gated"));
			json_t *shift = json_object_get(row, "shift"), *ci;

			if (gated != !pass || strcmp(str(row, "verdict"), "DIFFERENT"))
				continue;
			ci = json_object_get(shift, "ci95");
			pct(a, sizeof(a), num(shift, "estimate"));
			pct(lo, sizeof(lo), json_number_value(json_array_get(ci, 0)));
			pct(hi, sizeof(hi), json_number_value(json_array_get(ci, 1)));
			if (!ndiff)
				fprintf(f, "  %s:\n", title);
			fprintf(f, "    %-7s %-28s %-36s %-10s %9s [%s, %s]  holm p %.3g  n %d+%d  %s\n",
				gated ? "gated" : "", str(row, "metric"), str(row, "config"),
				str(row, "strategy"), a, lo, hi, num(row, "p_holm"),
				(int)num(json_object_get(row, "base"), "n"),
				(int)num(json_object_get(row, "new"), "n"), str(row, "change"));
			json_array_append(changed, row);
			ndiff++;
			ngdiff += gated;
		}
	if (!ndiff)
		fprintf(f, "  %s: nothing DIFFERENT", title);
	else
		fprintf(f, "   ");
	fprintf(f, " (%d rows tested, %d gated; %d SAME, %d UNKNOWN; %d rows only before, %d only "
		"after)\n", (int)num(sum, "tested"), (int)num(sum, "tested_gated"),
		(int)num(sum, "same"), (int)(num(sum, "tested") - num(sum, "same") - ndiff),
		(int)num(sum, "only_base"), (int)num(sum, "only_new"));
	res = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "compare", path,
			"tested", (json_int_t)num(sum, "tested"),
			"tested_gated", (json_int_t)num(sum, "tested_gated"),
			"same", (json_int_t)num(sum, "same"), "different", (json_int_t)ndiff,
			"different_gated", (json_int_t)ngdiff,
			"gated_regressions", (json_int_t)num(sum, "gated_regressions"),
			"changed", changed);
	json_decref(doc);
	return res;
}

/* ---- Blocks: kernels alternated block by block (run-kernels.sh --blocks N) ---- */

/*
 * With --blocks N, run-kernels.sh runs every kernel once in each of N
 * blocks, in an order that changes from block to block, each run its own
 * boot (SET/blocks.tsv). A boot's level (real time drifts by 10-50% from
 * boot to boot) is shared by the kernels of one block only as far as the
 * block is short; the pairs are the blocks: per block the ratio of the two
 * kernels' medians, then over the blocks the geometric mean with a Student
 * t CI on the log ratios. The between-boot variance is in the spread of
 * those ratios, so it is in the CI, in either clock.
 */
#define KB_MAX_BLOCKS 1000

struct kbrun {			/* one line of blocks.tsv */
	long block, pos, kernel;
	char *run, *start, *end;
	struct rset set;
	bool loaded;
};

struct kbset {
	size_t nb, nk;
	struct kbrun *line;
	size_t nline;
	struct kbrun **at;	/* at[b * nk + k]: block b + 1, kernel k */
};

struct kbrow;
struct kbpair {
	struct kbrow *rows;
	size_t n, only_new;
	/* the rows' per-block arrays, n x nb each */
	double *lr, *bmed, *nmed;
	size_t *bn, *nn;
};

struct kbrow {
	const struct rgroup *g;	/* the base's group in the first block: the row's key */
	size_t nused;		/* blocks with a ratio */
	double *lr;		/* per block, log(new / base median); NAN: no ratio */
	double *bmed, *nmed;	/* per block, the medians; NAN: the row missing */
	size_t *bn, *nn;	/* per block, the values under each median */
	size_t bn_min, nn_min;	/* reps per block, fewest over the blocks used */
	struct stats_tmean t;
	double p_adj;
	double ratio, lo, hi;	/* the geometric mean of the block ratios, its 95% CI */
	double base_med, new_med, base_cv, new_cv;	/* over the block medians */
	double mde;		/* the smallest change this row finds (fraction) */
	int up, down;		/* blocks where new is above / below base */
	enum stats_verdict verdict;
	int direction;		/* +1 better, -1 worse, 0 none */
	bool gated_regression;
};

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s && !*end && !errno && *out >= lo && *out <= hi;
}

static void kbset_free(struct kbset *s)
{
	size_t i;

	for (i = 0; i < s->nline; i++) {
		if (s->line[i].loaded)
			rset_free(&s->line[i].set);
		free(s->line[i].run);
		free(s->line[i].start);
		free(s->line[i].end);
	}
	free(s->line);
	free(s->at);
	memset(s, 0, sizeof(*s));
}

/*
 * SET/blocks.tsv: block, position in the block, kernel index, spec, run
 * directory, start and end (UTC); tab-separated, '#' comments. Every
 * kernel of kernels.tsv once in every block 1..N, N >= 2, every run done.
 */
static bool load_blocks(const char *set, const struct kernel *k, size_t nk, struct kbset *s,
			char *err, size_t errlen)
{
	char path[4096], *line = NULL;
	size_t cap = 0, ln = 0, i;
	long maxb = 0;
	FILE *f;

	memset(s, 0, sizeof(*s));
	s->nk = nk;
	snprintf(path, sizeof(path), "%s/blocks.tsv", set);
	f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	while (getline(&line, &cap, f) > 0) {
		char *field[7], *p = line;
		struct kbrun r = { 0 };
		int nf;

		ln++;
		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		for (nf = 0; nf < 7; nf++)
			if (!(field[nf] = strsep(&p, "\t")))
				break;
		if (nf < 7 || p) {
			snprintf(err, errlen, "%s:%zu: not 7 tab-separated fields (block, position, "
				 "kernel, spec, run, start, end)", path, ln);
			goto fail;
		}
		if (!parse_long(field[0], 1, KB_MAX_BLOCKS, &r.block) ||
		    !parse_long(field[1], 1, (long)nk, &r.pos) ||
		    !parse_long(field[2], 0, (long)nk - 1, &r.kernel)) {
			snprintf(err, errlen, "%s:%zu: block '%s', position '%s' or kernel '%s' out of "
				 "range (blocks 1-%d, %zu kernels in kernels.tsv)", path, ln, field[0],
				 field[1], field[2], KB_MAX_BLOCKS, nk);
			goto fail;
		}
		if (strcmp(field[3], k[r.kernel].spec)) {
			snprintf(err, errlen, "%s:%zu: kernel %ld is '%s' here and '%s' in kernels.tsv",
				 path, ln, r.kernel, field[3], k[r.kernel].spec);
			goto fail;
		}
		if (!*field[4] || !strcmp(field[4], "-")) {
			snprintf(err, errlen, "%s:%zu: block %ld, kernel %ld has no run directory: the "
				 "set is not finished (run-kernels.sh --resume %s)", path, ln, r.block,
				 r.kernel, set);
			goto fail;
		}
		r.run = xstrdup(field[4]);
		r.start = xstrdup(field[5]);
		r.end = xstrdup(field[6]);
		s->line = xrealloc(s->line, (s->nline + 1) * sizeof(*s->line));
		s->line[s->nline++] = r;
		maxb = r.block > maxb ? r.block : maxb;
	}
	if (maxb < 2) {
		snprintf(err, errlen, "%s: %s", path, maxb ? "one block: nothing to pair (a set of one "
			 "block compares its runs with s2bench compare)" : "no runs");
		goto fail;
	}
	s->nb = maxb;
	s->at = xcalloc(s->nb * nk, sizeof(*s->at));
	for (i = 0; i < s->nline; i++) {
		struct kbrun **slot = &s->at[(s->line[i].block - 1) * nk + s->line[i].kernel];
		size_t j;

		for (j = 0; j < i; j++)
			if (s->line[j].block == s->line[i].block && s->line[j].pos == s->line[i].pos)
				break;
		if (*slot || j < i) {
			snprintf(err, errlen, "%s: block %ld has kernel %ld or position %ld twice",
				 path, s->line[i].block, s->line[i].kernel, s->line[i].pos);
			goto fail;
		}
		*slot = &s->line[i];
	}
	for (i = 0; i < s->nb * nk; i++)
		if (!s->at[i]) {
			snprintf(err, errlen, "%s: block %zu has no run of kernel %zu (every kernel "
				 "runs once in every block)", path, i / nk + 1, i % nk);
			goto fail;
		}
	free(line);
	fclose(f);
	return true;
fail:
	free(line);
	fclose(f);
	kbset_free(s);
	return false;
}

/* Every run of the set, checked to be of one plan and one clock. */
static bool load_block_runs(const char *set, struct kbset *s, char *err, size_t errlen)
{
	const struct rundir *first = NULL;
	char path[4096], e[1024];
	size_t i;

	for (i = 0; i < s->nline; i++) {
		struct kbrun *r = &s->line[i];

		if (r->run[0] == '/')
			snprintf(path, sizeof(path), "%s", r->run);
		else
			snprintf(path, sizeof(path), "%s/%s", set, r->run);
		if (!rset_load(path, &r->set, e, sizeof(e))) {
			snprintf(err, errlen, "block %ld, kernel %ld: %s", r->block, r->kernel, e);
			return false;
		}
		r->loaded = true;
		if (!first) {
			first = &r->set.run;
		} else if (strcmp(first->plan, r->set.run.plan) ||
			   strcmp(rundir_clock(first), rundir_clock(&r->set.run))) {
			snprintf(err, errlen, "%s is plan %s, clock %s; %s is plan %s, clock %s: one "
				 "plan in one clock is paired", first->dir, first->plan,
				 rundir_clock(first), r->set.run.dir, r->set.run.plan,
				 rundir_clock(&r->set.run));
			return false;
		}
	}
	return true;
}

static const struct rset *kb_order_set;

static int cmp_kbrow(const void *a, const void *b)
{
	return rgroup_order(kb_order_set, ((const struct kbrow *)a)->g,
			    ((const struct kbrow *)b)->g);
}

/* Median and CV over the blocks of the medians in @v (NAN: missing). */
static void over_blocks(const double *v, size_t nb, double *median, double *cv)
{
	double *x = xcalloc(nb ? nb : 1, sizeof(*x));
	size_t i, n = 0;

	for (i = 0; i < nb; i++)
		if (isfinite(v[i]))
			x[n++] = v[i];
	*median = n ? stats_quantile(x, n, 0.5) : NAN;
	*cv = stats_cv(x, n);
	free(x);
}

/*
 * Kernel @kn against kernel @kb, paired by block: one row per group of
 * @kb's first run (compare's rows: profile, config, strategy, mode,
 * metric), Holm within the gated rows and within the others, in
 * compare's order.
 */
static void pair_rows(const struct kbset *s, size_t kb, size_t kn, double alpha,
		      double threshold, struct kbpair *pr)
{
	const struct rset *base1 = &s->at[kb]->set, *new1 = &s->at[kn]->set;
	size_t nb = s->nb, n = base1->ng, i, b;
	struct kbrow *rows = xcalloc(n + 1, sizeof(*rows));
	double *x = xcalloc(nb, sizeof(*x));
	double *p = xcalloc(n + 1, sizeof(*p)), *adj = xcalloc(n + 1, sizeof(*adj));
	int *fams = xcalloc(n + 1, sizeof(*fams));
	size_t m[2] = { 0, 0 };

	memset(pr, 0, sizeof(*pr));
	pr->rows = rows;
	pr->n = n;
	pr->lr = xcalloc(n * nb + 1, sizeof(*pr->lr));
	pr->bmed = xcalloc(n * nb + 1, sizeof(*pr->bmed));
	pr->nmed = xcalloc(n * nb + 1, sizeof(*pr->nmed));
	pr->bn = xcalloc(n * nb + 1, sizeof(*pr->bn));
	pr->nn = xcalloc(n * nb + 1, sizeof(*pr->nn));
	for (i = 0; i < new1->ng; i++)
		pr->only_new += !rset_match(base1, &new1->g[i]);
	for (i = 0; i < n; i++) {
		struct kbrow *r = &rows[i];
		size_t k = 0;

		r->g = &base1->g[i];
		r->lr = pr->lr + i * nb;
		r->bmed = pr->bmed + i * nb;
		r->nmed = pr->nmed + i * nb;
		r->bn = pr->bn + i * nb;
		r->nn = pr->nn + i * nb;
		r->bn_min = r->nn_min = SIZE_MAX;
		for (b = 0; b < nb; b++) {
			const struct rgroup *gb = rset_match(&s->at[b * s->nk + kb]->set, r->g);
			const struct rgroup *gn = rset_match(&s->at[b * s->nk + kn]->set, r->g);
			double mb = gb ? gb->s.median : NAN, mn = gn ? gn->s.median : NAN;

			r->bmed[b] = mb;
			r->nmed[b] = mn;
			r->bn[b] = gb ? gb->n : 0;
			r->nn[b] = gn ? gn->n : 0;
			/* a ratio of positive medians; two zeros are equal (a ratio of 1) */
			if (mb > 0 && mn > 0)
				r->lr[b] = log(mn / mb);
			else if (mb == 0 && mn == 0)
				r->lr[b] = 0;
			else
				r->lr[b] = NAN;
			if (isnan(r->lr[b]))
				continue;
			x[k++] = r->lr[b];
			r->up += r->lr[b] > 0;
			r->down += r->lr[b] < 0;
			r->bn_min = gb->n < r->bn_min ? gb->n : r->bn_min;
			r->nn_min = gn->n < r->nn_min ? gn->n : r->nn_min;
		}
		r->nused = k;
		if (!k)
			r->bn_min = r->nn_min = 0;
		stats_t_mean(x, k, STATS_SHIFT_LEVEL, &r->t);
		r->ratio = exp(r->t.mean);
		r->lo = exp(r->t.lo);
		r->hi = exp(r->t.hi);
		over_blocks(r->bmed, nb, &r->base_med, &r->base_cv);
		over_blocks(r->nmed, nb, &r->new_med, &r->new_cv);
		m[!r->g->def->gated] += r->t.tested;
	}
	/* Holm within the gated rows and within the others, as compare does */
	for (i = 0; i < n; i++) {
		p[i] = rows[i].t.p;
		fams[i] = rows[i].t.tested ? !rows[i].g->def->gated : -1;
	}
	stats_holm_families(p, fams, n, adj);
	for (i = 0; i < n; i++)
		rows[i].p_adj = adj[i];
	for (i = 0; i < n; i++) {
		struct kbrow *r = &rows[i];
		size_t fm = m[!r->g->def->gated];
		enum better better = r->g->def->better;

		r->verdict = VERDICT_UNKNOWN;
		r->mde = INFINITY;
		if (!r->t.tested) {
			r->p_adj = NAN;
			continue;
		}
		r->mde = expm1(stats_t_mde(r->t.sd, r->nused, alpha / (fm ? fm : 1),
					   STATS_MDE_POWER));
		if (r->p_adj < alpha && fabs(r->ratio - 1) > threshold)
			r->verdict = VERDICT_DIFFERENT;
		else if (r->lo >= 1 - threshold && r->hi <= 1 + threshold)
			r->verdict = VERDICT_SAME;
		if (r->verdict == VERDICT_DIFFERENT && better != BETTER_NONE)
			r->direction = (better == BETTER_LOWER) == (r->ratio < 1) ? 1 : -1;
		r->gated_regression = r->direction < 0 && r->g->def->gated;
	}
	kb_order_set = base1;
	qsort(rows, n, sizeof(*rows), cmp_kbrow);
	free(x);
	free(p);
	free(adj);
	free(fams);
}

static void pair_free(struct kbpair *pr)
{
	free(pr->rows);
	free(pr->lr);
	free(pr->bmed);
	free(pr->nmed);
	free(pr->bn);
	free(pr->nn);
	memset(pr, 0, sizeof(*pr));
}

/* "+10.02%" of a ratio, "n/a" for none */
static const char *ratio_pct(char *buf, size_t len, double ratio)
{
	if (isfinite(ratio))
		snprintf(buf, len, "%+.2f%%", 100 * (ratio - 1));
	else
		snprintf(buf, len, "n/a");
	return buf;
}

/* "358.3 ms cv 12.0%": a median over the blocks and the blocks' spread */
static const char *median_cv(char *buf, size_t len, double median, double cv, struct rscale sc)
{
	char m[48];

	rfmt(m, sizeof(m), median, sc, true);
	if (isfinite(cv))
		snprintf(buf, len, "%s cv %.1f%%", m, 100 * cv);
	else
		snprintf(buf, len, "%s", m);
	return buf;
}

static void print_pair(FILE *f, const struct kbpair *pr, bool profiles)
{
	static const char *const spec[] = { "metric", "config", "profile", "strategy",
					    ">base (blocks' cv)", ">new (blocks' cv)",
					    ">ratio [95% CI]", "(p, n, blocks up/down)", ">sd",
					    "verdict" };
	struct rdoc d = { 0 };
	struct rtable *t;
	const char *cols[10];
	size_t i, nc = 0;

	/* one profile: its column would only repeat it */
	for (i = 0; i < 10; i++)
		if (profiles || i != 2)
			cols[nc++] = spec[i];
	t = rdoc_table(&d, "kernels", nc, cols);
	for (i = 0; i < pr->n; i++) {
		const struct kbrow *r = &pr->rows[i];
		struct rscale sc = rscale_for(r->base_med ? r->base_med : r->new_med, r->g->unit);
		char base[80], new_[80], ratio[96], a[24], lo[24], hi[24], p[128], ph[48];
		char sd[24], verdict[48];
		const char *cells[10];
		size_t k;

		if (!r->t.tested)
			continue;
		median_cv(base, sizeof(base), r->base_med, r->base_cv, sc);
		median_cv(new_, sizeof(new_), r->new_med, r->new_cv, sc);
		snprintf(ratio, sizeof(ratio), "%s [%s, %s]", ratio_pct(a, sizeof(a), r->ratio),
			 ratio_pct(lo, sizeof(lo), r->lo), ratio_pct(hi, sizeof(hi), r->hi));
		snprintf(p, sizeof(p), "(%s n=%zu blocks x %zu+%zu %d/%d)",
			 rfmt_p_holm(ph, sizeof(ph), r->t.p, r->p_adj), r->nused, r->bn_min,
			 r->nn_min, r->up, r->down);
		snprintf(sd, sizeof(sd), "%.2f%%", 100 * r->t.sd);
		if (r->verdict == VERDICT_UNKNOWN && isfinite(r->mde))
			snprintf(verdict, sizeof(verdict), "UNKNOWN   mde %.2g%%", 100 * r->mde);
		else
			snprintf(verdict, sizeof(verdict), "%s", stats_verdict_name(r->verdict));
		k = rgroup_key_cells(r->g, profiles, cells);
		cells[k++] = base;
		cells[k++] = new_;
		cells[k++] = ratio;
		cells[k++] = p;
		cells[k++] = sd;
		cells[k++] = verdict;
		rtable_row(t, cells);
	}
	if (t->nrows)
		rdoc_text(&d, 0, d.n, f);
	rdoc_free(&d);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One pair, printed under @title, as JSON. */
static json_t *block_pair(FILE *f, const struct kbset *s, const struct kernel *k, size_t kn,
			  size_t kb, const char *title, double alpha, double threshold,
			  bool profiles)
{
	struct kbpair pr;
	size_t i, b, ntested = 0, ngt = 0, nsame = 0, ndiff = 0, ndg = 0, nreg = 0, nimp = 0;
	size_t ngreg = 0, nmde = 0;
	double *mdes;
	json_t *arr = json_array(), *sum;

	pair_rows(s, kb, kn, alpha, threshold, &pr);
	mdes = xcalloc(pr.n + 1, sizeof(*mdes));
	for (i = 0; i < pr.n; i++) {
		const struct kbrow *r = &pr.rows[i];

		ntested += r->t.tested;
		ngt += r->t.tested && r->g->def->gated;
		nsame += r->verdict == VERDICT_SAME;
		ndiff += r->verdict == VERDICT_DIFFERENT;
		ndg += r->verdict == VERDICT_DIFFERENT && r->g->def->gated;
		nreg += r->direction < 0;
		nimp += r->direction > 0;
		ngreg += r->gated_regression;
		if (r->t.tested && r->g->def->gated && isfinite(r->mde))
			mdes[nmde++] = r->mde;
	}
	qsort(mdes, nmde, sizeof(*mdes), cmp_dbl);

	fprintf(f, "  %s, against kernel %zu (%s), paired by block:%s\n", title, kb, k[kb].spec,
		ntested ? "" : " no row has 2 blocks with a ratio to test");
	print_pair(f, &pr, profiles);
	fprintf(f, "  %zu rows tested (%zu gated): %zu DIFFERENT (%zu regressions, %zu improvements, "
		"%zu without a better direction; %zu gated), %zu SAME, %zu UNKNOWN", ntested, ngt,
		ndiff, nreg, nimp, ndiff - nreg - nimp, ndg, nsame, ntested - ndiff - nsame);
	if (pr.n > ntested)
		fprintf(f, "; %zu rows not tested (fewer than %d blocks with a ratio: the row "
			"missing on a side, or a median of 0 or below)", pr.n - ntested, STATS_MIN_N_T);
	if (pr.only_new)
		fprintf(f, "; %zu rows only in kernel %zu", pr.only_new, kn);
	fputs(".\n", f);
	if (nmde)
		fprintf(f, "  Detectable: the tested gated rows find a change of %.2f%% (median row; "
			"worst %.2f%%) with 80%% power at alpha/m = %.2g.\n",
			100 * stats_quantile(mdes, nmde, 0.5), 100 * mdes[nmde - 1],
			alpha / (ngt ? ngt : 1));

	for (i = 0; i < pr.n; i++) {
		const struct kbrow *r = &pr.rows[i];
		json_t *blocks = json_array(), *o;

		for (b = 0; b < s->nb; b++)
			json_array_append_new(blocks, json_pack("{s:I, s:o, s:I, s:o, s:I, s:o}",
				"block", (json_int_t)(b + 1),
				"base_median", rjson_num(r->bmed[b]), "base_n", (json_int_t)r->bn[b],
				"new_median", rjson_num(r->nmed[b]), "new_n", (json_int_t)r->nn[b],
				"ratio", rjson_num(exp(r->lr[b]))));
		o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b, s:I, s:{s:I, s:I}, "
			      "s:{s:o, s:o}, s:{s:o, s:o}, s:o}",
			"profile", r->g->profile, "config", r->g->config, "strategy", r->g->strategy,
			"mode", r->g->mode, "metric", r->g->def->name, "unit", r->g->unit,
			"better", metric_better_name(r->g->def),
			"gated", r->g->def->gated, "family", r->g->def->gated ? "gated" : "other",
			"tested", r->t.tested, "n_blocks", (json_int_t)r->nused,
			"reps_per_block", "base", (json_int_t)r->bn_min, "new", (json_int_t)r->nn_min,
			"base", "median", rjson_num(r->base_med), "cv_blocks", rjson_num(r->base_cv),
			"new", "median", rjson_num(r->new_med), "cv_blocks", rjson_num(r->new_cv),
			"blocks", blocks);
		if (!o) {
			s2b_err("kernels: out of memory");
			abort();
		}
		json_object_set_new(o, "ratio", r->t.tested ? rjson_num(r->ratio) : json_null());
		json_object_set_new(o, "ci95", r->t.tested ? json_pack("[o, o]", rjson_num(r->lo),
				    rjson_num(r->hi)) : json_null());
		json_object_set_new(o, "sd_log", rjson_num(r->t.sd));
		json_object_set_new(o, "t", rjson_num(r->t.t));
		json_object_set_new(o, "df", r->t.tested ? json_integer((json_int_t)r->t.df) :
				    json_null());
		json_object_set_new(o, "p", r->t.tested ? rjson_num(r->t.p) : json_null());
		json_object_set_new(o, "p_holm", r->t.tested ? rjson_num(r->p_adj) : json_null());
		json_object_set_new(o, "blocks_up", json_integer(r->up));
		json_object_set_new(o, "blocks_down", json_integer(r->down));
		json_object_set_new(o, "mde", r->t.tested ? rjson_num(r->mde) : json_null());
		rjson_verdict(o, r->verdict, r->direction, r->gated_regression);
		json_array_append_new(arr, o);
	}
	sum = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}",
			"rows", (json_int_t)pr.n, "tested", (json_int_t)ntested,
			"tested_gated", (json_int_t)ngt, "different", (json_int_t)ndiff,
			"different_gated", (json_int_t)ndg, "regressions", (json_int_t)nreg,
			"improvements", (json_int_t)nimp, "same", (json_int_t)nsame,
			"unknown", (json_int_t)(pr.n - ndiff - nsame),
			"gated_regressions", (json_int_t)ngreg,
			"not_tested", (json_int_t)(pr.n - ntested), "only_new", (json_int_t)pr.only_new);
	json_object_set_new(sum, "mde_gated_median", nmde ?
			    rjson_num(stats_quantile(mdes, nmde, 0.5)) : json_null());
	json_object_set_new(sum, "mde_gated_worst", nmde ? rjson_num(mdes[nmde - 1]) : json_null());
	free(mdes);
	pair_free(&pr);
	return json_pack("{s:I, s:I, s:o, s:o}", "against", (json_int_t)kb, "blocks",
			 (json_int_t)s->nb, "summary", sum, "rows", arr);
}

/* s2bench kernels on a set of blocks (SET/blocks.tsv). */
static int kernels_blocks(const char *set, const struct kernel *k, size_t nk, const char *out,
			  double alpha, double threshold)
{
	struct kbset s;
	char err[4600];
	const struct rundir *r0;
	const char *clock;
	json_t *arr, *order, *doc;
	bool profiles = false;
	size_t i, b, pos;
	int rc = S2BENCH_EXIT_OK;

	if (!load_blocks(set, k, nk, &s, err, sizeof(err)) ||
	    !load_block_runs(set, &s, err, sizeof(err))) {
		s2b_err("kernels: %s", err);
		if (s.line)
			kbset_free(&s);
		return S2BENCH_EXIT_USAGE;
	}
	r0 = &s.at[0]->set.run;
	clock = rundir_clock(r0);
	for (i = 0; i < s.nline; i++)
		profiles |= s.line[i].set.nprofiles > 1;
	printf("s2bench kernels: %s, plan %s, %zu kernels, clock %s, %zu blocks (every kernel "
	       "once a block, each run its own boot)\n", set, r0->plan, nk, clock, s.nb);
	printf("clock %s: %s.\n", clock, clock_meaning(clock));
	printf("Each kernel against the one before it (step) and against the first (total), paired "
	       "by block: per block the ratio of the two kernels' medians; over the %zu blocks the "
	       "geometric mean of those ratios with its 95%% CI (Student t on the log ratios, %zu "
	       "degrees of freedom) and the one-sample t test's two-sided p, Holm-corrected within "
	       "the gated rows and within the others of each pair. The boot-to-boot variance is in "
	       "the spread of the block ratios (sd), so it is in the CI. DIFFERENT: Holm p < %g and "
	       "a change beyond the threshold, %g%%; SAME: the CI inside +-%g%%; UNKNOWN: neither "
	       "(mde: the smallest change the row finds with 80%% power at Holm's alpha/m: more "
	       "blocks). base, new: the median of the block medians and their CV across blocks "
	       "(the spread an unpaired comparison carries); n: blocks x reps a block a side.\n",
	       s.nb, s.nb - 1, alpha, 100 * threshold, 100 * threshold);
	printf("Boot order, block: kernels");
	order = json_array();
	for (b = 0; b < s.nb; b++) {
		json_t *ob = json_array();

		printf("%s %zu:", b ? " |" : "", b + 1);
		for (pos = 1; pos <= nk; pos++)
			for (i = 0; i < s.nline; i++)
				if (s.line[i].block == (long)b + 1 && s.line[i].pos == (long)pos) {
					printf(" %ld", s.line[i].kernel);
					json_array_append_new(ob, json_integer(s.line[i].kernel));
				}
		json_array_append_new(order, ob);
	}
	printf("\n\n");

	arr = json_array();
	for (i = 0; i < nk; i++) {
		json_t *kj = json_pack("{s:s, s:s}", "spec", k[i].spec, "label", k[i].label);
		json_t *runs = json_array();

		for (b = 0; b < s.nb; b++) {
			const struct kbrun *r = s.at[b * nk + i];

			json_array_append_new(runs, json_pack("{s:I, s:I, s:s, s:s, s:s}",
				"block", (json_int_t)r->block, "position", (json_int_t)r->pos,
				"run", r->run, "start", r->start, "end", r->end));
		}
		json_object_set_new(kj, "runs", runs);
		printf("kernel %zu  %s  %s\n", i, k[i].spec, k[i].label);
		if (!i)
			printf("  the base\n");
		if (i)
			json_object_set_new(kj, "step", block_pair(stdout, &s, k, i, i - 1, "step",
								   alpha, threshold, profiles));
		if (i > 1)
			json_object_set_new(kj, "total", block_pair(stdout, &s, k, i, 0, "total",
								    alpha, threshold, profiles));
		json_array_append_new(arr, kj);
	}
	doc = json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:f, s:s, s:o, s:o}",
			"schema", KERNELS_BLOCKS_SCHEMA, "set", set, "plan", r0->plan,
			"clock", clock, "blocks", (json_int_t)s.nb, "threshold", threshold,
			"alpha", alpha, "test", "per block the ratio of medians; over the blocks the "
			"geometric mean, a Student t 95% CI on the log ratios and the one-sample t "
			"test's two-sided p, Holm within each family of a pair (gated rows, other "
			"rows); DIFFERENT: p_holm < alpha and |ratio - 1| > threshold; SAME: ci95 "
			"inside 1 +- threshold", "order", order, "kernels", arr);
	if (out && json_dump_file(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) {
		s2b_err("kernels: cannot write %s", out);
		rc = S2BENCH_EXIT_USAGE;
	}
	json_decref(doc);
	kbset_free(&s);
	return rc;
}

int cmd_kernels(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "threshold", required_argument, NULL, 't' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct kernel k[MAX_KERNELS];
	const char *out = NULL, *set, *stat_opt = NULL;
	char err[4600] = "", path[4096], *end;
	double threshold = 0.05, alpha = STATS_ALPHA, x;
	json_t *doc, *arr;
	json_error_t je;
	size_t n, i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:t:a:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 't':
		case 'a':
			errno = 0;
			x = strtod(optarg, &end);
			if (c == 't' && end != optarg && *end == '%')
				end++;
			if (end == optarg || *end || errno || !(x > 0) ||
			    !(c == 't' ? x < 1000 : x < 1)) {
				s2b_err("kernels: %s '%s': %s", c == 't' ? "--threshold" : "--alpha",
					optarg, c == 't' ? "a percentage above 0 and below 1000" :
					"a level above 0 and below 1");
				return S2BENCH_EXIT_USAGE;
			}
			if (c == 't')
				threshold = x / 100;
			else
				alpha = x;
			stat_opt = c == 't' ? "--threshold" : "--alpha";
			break;
		default:
			return s2b_opt_end("kernels", c, argv, usage);
		}
	}
	if (argc - optind != 1) {
		s2b_err("kernels: needs one set directory (s2bench kernels -h)");
		return S2BENCH_EXIT_USAGE;
	}
	set = argv[optind];
	n = load_kernels(set, k, err, sizeof(err));
	if (!n) {
		s2b_err("kernels: %s", err);
		return S2BENCH_EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "%s/blocks.tsv", set);
	if (!access(path, F_OK)) {
		c = kernels_blocks(set, k, n, out, alpha, threshold);
		goto out;
	}
	if (stat_opt) {
		/* one run per kernel: the statistics are compare's, made by run-kernels.sh */
		s2b_err("kernels: %s applies to a set of blocks (SET/blocks.tsv); this set's "
			"comparisons are s2bench compare's (run-kernels.sh --threshold)", stat_opt);
		c = S2BENCH_EXIT_USAGE;
		goto out;
	}
	/* The clock and plan, from the first comparison. */
	snprintf(path, sizeof(path), "%s/compare/1-vs-0.json", set);
	doc = json_load_file(path, 0, &je);
	if (!doc) {
		s2b_err("kernels: %s: %s (run-kernels.sh --resume %s)", path, je.text, set);
		return S2BENCH_EXIT_USAGE;
	}
	printf("s2bench kernels: %s, plan %s, %zu kernels, clock %s\n", set,
	       str(json_object_get(doc, "base"), "plan"), n, str(doc, "clock"));
	printf("Each kernel against the one before it (step) and against the first (total), as "
	       "s2bench compare found it: DIFFERENT rows (Mann-Whitney, Holm within the gated rows "
	       "and within the others, alpha %g) with the Hodges-Lehmann shift and its 95%% CI; "
	       "gated metrics first. The kernels ran in separate boots: the comparison rests on "
	       "the icount clock's between-boot determinism (CV under 0.4%%).\n\n",
	       num(doc, "alpha"));
	json_decref(doc);

	arr = json_array();
	for (i = 0; i < n; i++) {
		json_t *kj = json_pack("{s:s, s:s, s:s}", "spec", k[i].spec, "run", k[i].dir,
				       "label", k[i].label);

		printf("kernel %zu  %s  %s\n", i, k[i].spec, k[i].label);
		if (!i)
			printf("  the base\n");
		if (i)
			json_object_set_new(kj, "step", one(stdout, set, i, i - 1, "step"));
		if (i > 1)
			json_object_set_new(kj, "total", one(stdout, set, i, 0, "total"));
		json_array_append_new(arr, kj);
	}
	if (out) {
		doc = json_pack("{s:s, s:s, s:o}", "schema", KERNELS_SCHEMA, "set", set, "kernels", arr);
		if (json_dump_file(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) {
			s2b_err("kernels: cannot write %s", out);
			json_decref(doc);
			return S2BENCH_EXIT_USAGE;
		}
		json_decref(doc);
	} else {
		json_decref(arr);
	}
	c = S2BENCH_EXIT_OK;
out:
	for (i = 0; i < n; i++) {
		free(k[i].index);
		free(k[i].spec);
		free(k[i].dir);
		free(k[i].label);
	}
	return c;
}
