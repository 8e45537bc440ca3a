// SPDX-License-Identifier: GPL-2.0
/*
 * A run's values grouped for the readers: one group per (profile, config,
 * strategy, mode, metric), rows sorted once so that grouping stays
 * O(n log n) on a full plan; paired ratios; numbers scaled for people.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>

#include "rgroup.h"
#include "s2bench.h"
#include "s2strategy.h"

json_t *rjson_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

void rjson_verdict(json_t *o, enum stats_verdict v, int direction, bool gated_regression)
{
	json_object_set_new(o, "verdict", json_string(stats_verdict_name(v)));
	json_object_set_new(o, "change", json_string(direction < 0 ? "regression" :
		direction > 0 ? "improvement" : v == VERDICT_DIFFERENT ? "changed" : "none"));
	json_object_set_new(o, "gated_regression", json_boolean(gated_regression));
}

json_t *rjson_take(char *s)
{
	json_t *j = json_string(s);

	free(s);
	return j;
}

static const struct cell *first_cell_of(const struct rset *s, const char *config)
{
	size_t i;

	for (i = 0; i < s->run.ncells; i++)
		if (s->run.cells[i].config && !strcmp(s->run.cells[i].config, config))
			return &s->run.cells[i];
	return NULL;
}

json_t *rconfig_params(const struct rset *s, const char *config)
{
	const struct cell *c = first_cell_of(s, config);

	return c ? c->params : NULL;
}

const char *rconfig_workload(const struct rset *s, const char *config)
{
	const struct cell *c = first_cell_of(s, config);

	return c && c->workload ? c->workload : "?";
}

bool rcell_ok(const struct cell *c)
{
	return c->status && !strcmp(c->status, "0");
}

bool rcell_skipped(const struct cell *c)
{
	return c->status && !strcmp(c->status, "4");
}

const char *rcell_status_text(const struct cell *c, char *buf, size_t len)
{
	if (!c->status)
		snprintf(buf, len, "not run");
	else if (!strcmp(c->status, "0"))
		snprintf(buf, len, "ok");
	else if (!strcmp(c->status, "4"))
		snprintf(buf, len, "skipped (status 4)");
	else if (!strcmp(c->status, "124") || !strcmp(c->status, "137"))
		snprintf(buf, len, "hung, killed at the timeout (status %s)", c->status);
	else if (!strcmp(c->status, "died"))
		snprintf(buf, len, "died: the target went down while it ran");
	else
		snprintf(buf, len, "exit status %s", c->status);
	return buf;
}

/* Canonical orders: the strategies from least to most lock-free, as DESIGN lists them. */
static int known_rank(const char *v, const char *const *known)
{
	int i;

	for (i = 0; known[i]; i++)
		if (!strcmp(v, known[i]))
			return i;
	return i;
}

static const char *const strategy_order[] = { S2_STRATEGY_NAMES, NULL };
static const char *const profile_order[] = { "max", "neoverse-n1", NULL };

static void add_unique(const char ***list, size_t *n, const char *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < *n; i++)
		if (!strcmp((*list)[i], v))
			return;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = v;
}

static const char *const *sort_known;

static int cmp_known(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	int rx = known_rank(x, sort_known), ry = known_rank(y, sort_known);

	return rx != ry ? rx - ry : strcmp(x, y);
}

static int cmp_config(const void *a, const void *b)
{
	/* "-v 2" before "-v 16": version order reads naturally for sizes too */
	return strverscmp(*(const char *const *)a, *(const char *const *)b);
}

/* A metrics.csv row with its registry entry, for sorting into groups. */
struct xrow {
	const struct cell *cell;
	const struct metric_def *def;
	const char *unit;
	double value;
};

static int cmp_xrow(const void *a, const void *b)
{
	const struct xrow *x = a, *y = b;
	int c;

	if ((c = strcmp(x->cell->profile, y->cell->profile)))
		return c;
	if ((c = strcmp(x->cell->config, y->cell->config)))
		return c;
	if ((c = strcmp(x->cell->strategy, y->cell->strategy)))
		return c;
	if ((c = strcmp(x->cell->mode, y->cell->mode)))
		return c;
	if ((c = strcmp(x->def->name, y->def->name)))
		return c;
	/* reps come from the manifest: any int, so no subtraction */
	if (x->cell->rep != y->cell->rep)
		return x->cell->rep < y->cell->rep ? -1 : 1;
	return (x->cell->index > y->cell->index) - (x->cell->index < y->cell->index);
}

static bool same_group(const struct xrow *x, const struct xrow *y)
{
	return !strcmp(x->cell->profile, y->cell->profile) &&
	       !strcmp(x->cell->config, y->cell->config) &&
	       !strcmp(x->cell->strategy, y->cell->strategy) &&
	       !strcmp(x->cell->mode, y->cell->mode) && x->def == y->def;
}

static void make_groups(struct xrow *rows, size_t n, struct rgroup **out, size_t *nout);

bool rset_load(const char *dir, struct rset *s, char *err, size_t errlen)
{
	struct xrow *rows = NULL, *irows = NULL;
	size_t n = 0, ni = 0, cap, i;

	memset(s, 0, sizeof(*s));
	/* On failure nothing is left to free: callers print err and exit. */
	if (!rundir_load(dir, &s->run, err, errlen)) {
		rset_free(s);
		return false;
	}

	for (i = 0; i < s->run.ncells; i++) {
		const struct cell *c = &s->run.cells[i];

		if (!c->profile || !c->config || !c->strategy || !c->mode) {
			snprintf(err, errlen, "%s/manifest.json: cell %s lacks profile, config, "
				 "strategy or mode", dir, c->id ? c->id : "?");
			rset_free(s);
			return false;
		}
		add_unique(&s->configs, &s->nconfigs, c->config);
		add_unique(&s->profiles, &s->nprofiles, c->profile);
		add_unique(&s->strategies, &s->nstrategies, c->strategy);
	}
	qsort(s->configs, s->nconfigs, sizeof(*s->configs), cmp_config);
	sort_known = profile_order;
	qsort(s->profiles, s->nprofiles, sizeof(*s->profiles), cmp_known);
	sort_known = strategy_order;
	qsort(s->strategies, s->nstrategies, sizeof(*s->strategies), cmp_known);

	cap = s->run.nrows + 16;
	rows = xrealloc(NULL, cap * sizeof(*rows));
	for (i = 0; i < s->run.nrows; i++) {
		const struct row *r = &s->run.rows[i];
		const struct metric_def *m = metric_find(r->metric);
		bool collector;

		if (!m || !r->cell) {
			snprintf(err, errlen, "%s/metrics.csv: metric '%s' is not in the registry",
				 dir, r->metric);
			free(rows);
			free(irows);
			rset_free(s);
			return false;
		}
		collector = !strcmp(m->source, "collector");
		if (collector ? !mode_collected(r->cell->mode) : strcmp(r->cell->mode, "timed")) {
			s->rows_left_out++;
			/* a workload figure under an instrument: its overhead only */
			if (!collector) {
				irows = xrealloc(irows, (ni + 1) * sizeof(*irows));
				irows[ni++] = (struct xrow){ r->cell, m, r->unit, r->value };
			}
			continue;
		}
		rows[n++] = (struct xrow){ r->cell, m, r->unit, r->value };
	}
	make_groups(rows, n, &s->g, &s->ng);
	make_groups(irows, ni, &s->ig, &s->nig);
	free(rows);
	free(irows);
	return true;
}

/* Sort @rows and make one group of each run of the same key. */
static void make_groups(struct xrow *rows, size_t n, struct rgroup **out, size_t *nout)
{
	size_t i, j;

	if (!n)
		return;
	qsort(rows, n, sizeof(*rows), cmp_xrow);
	for (i = 0; i < n; i = j) {
		struct rgroup *g;
		size_t k;

		for (j = i + 1; j < n && same_group(&rows[i], &rows[j]); j++)
			;
		*out = xrealloc(*out, (*nout + 1) * sizeof(**out));
		g = &(*out)[(*nout)++];
		memset(g, 0, sizeof(*g));
		g->profile = rows[i].cell->profile;
		g->config = rows[i].cell->config;
		g->workload = rows[i].cell->workload ? rows[i].cell->workload : "?";
		g->strategy = rows[i].cell->strategy;
		g->mode = rows[i].cell->mode;
		g->def = rows[i].def;
		g->unit = rows[i].unit;
		g->n = j - i;
		g->rep = xrealloc(NULL, g->n * sizeof(*g->rep));
		g->v = xrealloc(NULL, g->n * sizeof(*g->v));
		g->cells = xrealloc(NULL, g->n * sizeof(*g->cells));
		for (k = 0; k < g->n; k++) {
			g->rep[k] = rows[i + k].cell->rep;
			g->v[k] = rows[i + k].value;
			g->cells[k] = rows[i + k].cell;
		}
		stats_summarise(g->v, g->n, STATS_DEFAULT_SEED, &g->s);
	}
}

bool rset_load_args(const char *cmd, int argc, char **argv, size_t n, const char *what,
		    const char *errpfx, struct rset *sets)
{
	char err[1024];
	size_t i;

	if ((size_t)(argc - optind) != n) {
		s2b_err("%s: needs %s (s2bench %s -h)", cmd, what, cmd);
		return false;
	}
	for (i = 0; i < n; i++)
		if (!rset_load(argv[optind + i], &sets[i], err, sizeof(err))) {
			s2b_err("%s%s", errpfx, err);
			while (i--)
				rset_free(&sets[i]);
			return false;
		}
	return true;
}

void rset_free(struct rset *s)
{
	size_t i;

	for (i = 0; i < s->ng; i++) {
		free(s->g[i].rep);
		free(s->g[i].v);
		free(s->g[i].cells);
	}
	free(s->g);
	for (i = 0; i < s->nig; i++) {
		free(s->ig[i].rep);
		free(s->ig[i].v);
		free(s->ig[i].cells);
	}
	free(s->ig);
	free(s->configs);
	free(s->profiles);
	free(s->strategies);
	rundir_free(&s->run);
	memset(s, 0, sizeof(*s));
}

/* Groups are in (profile, config, strategy, mode, metric) order: see cmp_xrow. */
static int cmp_prefix(const struct rgroup *g, const char *profile, const char *config,
		      const char *strategy)
{
	int c;

	if ((c = strcmp(g->profile, profile)))
		return c;
	if ((c = strcmp(g->config, config)))
		return c;
	return strcmp(g->strategy, strategy);
}

/* A full plan has tens of thousands of groups: binary search, then the few of one cell. */
struct rgroup *rset_find(const struct rset *s, const char *profile, const char *config,
			 const char *strategy, const char *metric)
{
	size_t lo = 0, hi = s->ng, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp_prefix(&s->g[mid], profile, config, strategy) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < s->ng && !cmp_prefix(&s->g[i], profile, config, strategy); i++)
		if (!strcmp(s->g[i].def->name, metric))
			return &s->g[i];
	return NULL;
}

struct rgroup *rset_match(const struct rset *s, const struct rgroup *g)
{
	struct rgroup *h = rset_find(s, g->profile, g->config, g->strategy, g->def->name);

	/* a metric lives in one mode (its source decides), so this is the one */
	return h && !strcmp(h->mode, g->mode) ? h : NULL;
}

static size_t index_of(const char *const *list, size_t n, const char *v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i], v))
			return i;
	return n;
}

int rgroup_order(const struct rset *s, const struct rgroup *x, const struct rgroup *y)
{
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

size_t rgroup_key_cells(const struct rgroup *g, bool profiles, const char **cells)
{
	size_t k = 0;

	cells[k++] = g->def->name;
	cells[k++] = g->config;
	if (profiles)
		cells[k++] = g->profile;
	cells[k++] = g->strategy;
	return k;
}

/* Families of configurations that differ only in some parameters. */
static bool is_excluded(const char *key, const char *const *vary)
{
	for (; *vary; vary++)
		if (!strcmp(key, *vary))
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *rconfig_family(const struct rset *s, const char *cfg, const char *const *vary)
{
	json_t *params = rconfig_params(s, cfg), *v;
	const char *keys[64], *k;
	size_t n = 0, i;
	char *key = strdup(rconfig_workload(s, cfg)), *x;

	json_object_foreach(params, k, v)
		if (n < 64 && !is_excluded(k, vary))
			keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (i = 0; i < n; i++) {
		v = json_object_get(params, keys[i]);
		x = rstrf("%s -%s=%s", key, keys[i], json_is_string(v) ? json_string_value(v) : "?");
		free(key);
		key = x;
	}
	return key;
}

/* The write share families ----------------------------------------- */

static int cmp_share(const void *a, const void *b)
{
	const struct rshare_point *x = a, *y = b;

	return (x->share > y->share) - (x->share < y->share);
}

char *rconfig_without(const char *cfg, const char *const *letters)
{
	char *out = xstrdup(""), *copy = xstrdup(cfg), *t, *save = NULL, *x;
	const char *const *l;

	for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		for (l = letters; *l && strcmp(t, *l); l++)
			;
		if (*l) {
			strtok_r(NULL, " ", &save);
			continue;
		}
		x = rstrf("%s%s%s", out, *out ? " " : "", t);
		free(out);
		out = x;
	}
	free(copy);
	return out;
}

size_t rshare_families(const struct rset *s, struct rshare_family **out)
{
	static const char *const vary[] = { "write_pct", NULL }, *const w_opt[] = { "-w", NULL };
	struct rshare_family *f = NULL;
	size_t nf = 0, i, k;

	for (i = 0; i < s->nconfigs; i++) {
		const char *cfg = s->configs[i];
		const char *w = json_string_value(json_object_get(rconfig_params(s, cfg), "write_pct"));
		char *key;

		if (strcmp(rconfig_workload(s, cfg), "s2_dirty"))
			continue;
		key = rconfig_family(s, cfg, vary);
		for (k = 0; k < nf && strcmp(f[k].key, key); k++)
			;
		if (k == nf) {
			f = xrealloc(f, (nf + 1) * sizeof(*f));
			memset(&f[nf], 0, sizeof(*f));
			f[nf].key = key;
			f[nf].label = rconfig_without(cfg, w_opt);
			nf++;
		} else {
			free(key);
		}
		if (f[k].n < RSHARE_MAX) {
			/* s2_dirty writes every page without -w */
			f[k].p[f[k].n].share = w ? atoi(w) : 100;
			f[k].p[f[k].n++].config = cfg;
		}
	}
	/* a family is two shares or more, in increasing order */
	for (i = k = 0; i < nf; i++) {
		if (f[i].n < 2) {
			free(f[i].key);
			free(f[i].label);
			continue;
		}
		qsort(f[i].p, f[i].n, sizeof(f[i].p[0]), cmp_share);
		f[k++] = f[i];
	}
	*out = f;
	return k;
}

void rshare_families_free(struct rshare_family *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].key);
		free(f[i].label);
	}
	free(f);
}

/* A dirty-log pass costs the guest's writes plus harvesting the log. */
const char *const rpass_harvest[] = {
	"dirty.pass_time", "dirty.get_log_time", "dirty.clear_log_time",
	"dirty.ring_collect_time", "dirty.ring_reset_time", NULL
};

bool rseries_sum(const struct rset *s, const char *prof, const char *cfg, const char *strat,
		 const char *const *metrics, struct rseries *out)
{
	const struct rgroup *g0 = rset_find(s, prof, cfg, strat, metrics[0]), *g;
	size_t i, k, j;

	out->n = 0;
	if (!g0)
		return false;
	for (i = 0; i < g0->n && out->n < RSERIES_MAX; i++) {
		double sum = g0->v[i];
		bool all = true;

		for (k = 1; metrics[k] && all; k++) {
			if (!(g = rset_find(s, prof, cfg, strat, metrics[k])))
				continue;
			for (j = 0; j < g->n && g->rep[j] != g0->rep[i]; j++)
				;
			if (j == g->n)
				all = false;
			else
				sum += g->v[j];
		}
		if (all) {
			out->rep[out->n] = g0->rep[i];
			out->v[out->n++] = sum;
		}
	}
	return out->n > 0;
}

/* Paired ratios ------------------------------------------------------- */

bool rratio_of(const int *rep_a, const double *a, size_t na,
	       const int *rep_b, const double *b, size_t nb, struct rratio *r)
{
	double *ratio = xrealloc(NULL, na * sizeof(*ratio)), *lg;
	size_t i, j, n = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < na; i++)
		for (j = 0; j < nb; j++)
			if (rep_a[i] == rep_b[j] && a[i] > 0 && b[j] > 0) {
				ratio[n++] = a[i] / b[j];
				break;
			}
	r->n = n;
	if (!n) {
		free(ratio);
		return false;
	}
	r->median = stats_quantile(ratio, n, 0.5);
	r->has_ci = stats_boot_median_ci(ratio, n, STATS_DEFAULT_SEED, STATS_BOOT_RESAMPLES,
					 &r->lo, &r->hi);
	/* the test is on log ratios: x0.5 and x2 are equally far from 1 */
	lg = xrealloc(NULL, n * sizeof(*lg));
	for (i = 0; i < n; i++)
		lg[i] = log(ratio[i]);
	stats_wilcoxon(lg, n, &r->t);
	free(lg);
	free(ratio);
	return true;
}

bool rratio_groups(const struct rgroup *num, const struct rgroup *den, struct rratio *r)
{
	if (!num || !den) {
		memset(r, 0, sizeof(*r));
		return false;
	}
	return rratio_of(num->rep, num->v, num->n, den->rep, den->v, den->n, r);
}

double rratio_p(const struct rratio *r)
{
	return r->adjusted ? r->p_adj : r->t.p;
}

bool rratio_significant(const struct rratio *r)
{
	return r->t.tested && rratio_p(r) < STATS_ALPHA;
}

/* Holm's correction per report section ---------------------------------- */

void rholm_ratio(struct rholm *h, const int *rep_a, const double *a, size_t na,
		 const int *rep_b, const double *b, size_t nb, struct rratio *out)
{
	if (h && h->apply) {
		/* the second pass asks for the same ratios in the same order */
		if (h->next >= h->n)
			abort();
		*out = h->r[h->next++];
		return;
	}
	rratio_of(rep_a, a, na, rep_b, b, nb, out);
	if (!h)
		return;
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 32;
		h->r = xrealloc(h->r, h->cap * sizeof(*h->r));
	}
	h->r[h->n++] = *out;
}

void rholm_groups(struct rholm *h, const struct rgroup *num, const struct rgroup *den,
		  struct rratio *out)
{
	static const int no_rep;
	static const double no_v;

	if (!num || !den)
		rholm_ratio(h, &no_rep, &no_v, 0, &no_rep, &no_v, 0, out);
	else
		rholm_ratio(h, num->rep, num->v, num->n, den->rep, den->v, den->n, out);
}

void rholm_adjust(struct rholm *h)
{
	double *p = xrealloc(NULL, (h->n + 1) * sizeof(*p)), *adj;
	size_t i, m = 0;

	for (i = 0; i < h->n; i++)
		if (h->r[i].t.tested)
			p[m++] = h->r[i].t.p;
	adj = xrealloc(NULL, (m + 1) * sizeof(*adj));
	if (m)
		stats_holm(p, m, adj);
	for (i = 0, m = 0; i < h->n; i++)
		if (h->r[i].t.tested)
			h->r[i].p_adj = adj[m++];
	for (i = 0; i < h->n; i++) {
		h->r[i].adjusted = h->r[i].t.tested;
		h->r[i].m = m;
	}
	h->m = m;
	h->apply = true;
	h->next = 0;
	free(p);
	free(adj);
}

void rholm_free(struct rholm *h)
{
	free(h->r);
	memset(h, 0, sizeof(*h));
}

/* What a run could have found --------------------------------------------- */

size_t rmin_pairs(double alpha)
{
	size_t n = STATS_MIN_N_TEST;

	/* the exact two-sided p of n pairs all of one sign: 2 / 2^n */
	while (n < 64 && ldexp(2, -(int)n) >= alpha)
		n++;
	return n;
}

double rmde_wilcoxon(size_t n, double sd_log, double alpha)
{
	double z;

	if (n < STATS_MIN_N_TEST || !isfinite(sd_log) || alpha <= 0)
		return NAN;
	if (n <= STATS_EXACT_MAX_N && n < rmin_pairs(alpha))
		return INFINITY;
	z = gsl_cdf_ugaussian_Qinv(alpha / 2) + gsl_cdf_ugaussian_Qinv(0.2);
	/* on the log scale, then back to a ratio: exp(d) - 1 */
	return expm1(z * sd_log / sqrt(n * 3 / M_PI));
}


bool rset_icount(const struct rset *s)
{
	return !strcmp(rundir_clock(&s->run), "icount");
}

const char *rtime_unit(const struct rset *s, const char *unit)
{
	return rset_icount(s) && !strcmp(unit, "ns") ? " (instruction time)" : "";
}

/* Numbers for people ---------------------------------------------------- */

static struct rscale sc_make(double div, const char *prefix, const char *unit)
{
	struct rscale sc = { div, "" };

	snprintf(sc.unit, sizeof(sc.unit), "%s%s", prefix, unit);
	return sc;
}

struct rscale rscale_for(double ref, const char *unit)
{
	double a = fabs(ref);

	if (!strcmp(unit, "ns")) {
		if (a >= 1e9)
			return sc_make(1e9, "", "s");
		if (a >= 1e6)
			return sc_make(1e6, "", "ms");
		if (a >= 1e3)
			return sc_make(1e3, "", "us");
		return sc_make(1, "", "ns");
	}
	if (!strcmp(unit, "bytes")) {
		if (a >= 1 << 30)
			return sc_make(1 << 30, "", "GiB");
		if (a >= 1 << 20)
			return sc_make(1 << 20, "", "MiB");
		if (a >= 1 << 10)
			return sc_make(1 << 10, "", "KiB");
		return sc_make(1, "", "B");
	}
	if (!strcmp(unit, "s") && a < 1)
		return sc_make(1e-3, "", "ms");
	/* counts and rates: k and M keep 4 significant digits readable */
	if (a >= 1e7)
		return sc_make(1e6, "M ", unit);
	if (a >= 1e4)
		return sc_make(1e3, "k ", unit);
	return sc_make(1, "", unit);
}

const char *rfmt(char *buf, size_t len, double v, struct rscale sc, bool with_unit)
{
	double x = v / sc.div, a = fabs(x);
	int dec = 0;

	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return buf;
	}
	if (a > 0) {
		dec = 3 - (int)floor(log10(a));
		dec = dec < 0 ? 0 : dec > 3 ? 3 : dec;
	}
	/* a count has no fractional part to show */
	if (sc.div == 1 && x == floor(x))
		dec = 0;
	if (with_unit)
		snprintf(buf, len, "%.*f %s", dec, x, sc.unit);
	else
		snprintf(buf, len, "%.*f", dec, x);
	return buf;
}

const char *rfmt_auto(char *buf, size_t len, double v, const char *unit)
{
	return rfmt(buf, len, v, rscale_for(v, unit), true);
}

const char *rfmt_ci_pct(char *buf, size_t len, const struct stats_summary *s)
{
	double h;

	if (!s->has_ci || s->median == 0) {
		snprintf(buf, len, "%s", "");
		return buf;
	}
	h = fmax(s->ci_hi - s->median, s->median - s->ci_lo) / fabs(s->median) * 100;
	if (h < 10)
		snprintf(buf, len, "±%.1f%%", h);
	else
		snprintf(buf, len, "±%.0f%%", h);
	return buf;
}

const char *rfmt_p(char *buf, size_t len, double p)
{
	if (p < 0.001)
		snprintf(buf, len, "<0.001");
	else
		snprintf(buf, len, "%.3f", p);
	return buf;
}

const char *rfmt_p_holm(char *buf, size_t len, double p, double p_holm)
{
	char a[16], b[16];

	snprintf(buf, len, "p%s%s holm%s%s", p < 0.001 ? "" : "=", rfmt_p(a, sizeof(a), p),
		 p_holm < 0.001 ? "" : "=", rfmt_p(b, sizeof(b), p_holm));
	return buf;
}
