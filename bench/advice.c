// SPDX-License-Identifier: GPL-2.0
/*
 * Tuning advice computed from a run's own numbers: which strategy for which
 * workload, which dirty-log mode (and ring size), THP or 4K pages under
 * logging, the eager-split chunk size. Each answer cites its ratio, CI, p
 * and n, says "no significant difference" where that is the truth, and
 * where the run lacks the data names the plan that would give it.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advice.h"
#include "s2bench.h"

const char *const rhl_pass[] = { "dirty.pass_time", NULL };
const char *const rhl_populate[] = {
	"populate.time", "dirty.populate_time", "access.populate_time", "unmap.populate_time", NULL
};

static double series_median(const struct rseries *x)
{
	return stats_quantile(x->v, x->n, 0.5);
}

static const char *ratio_brief(const struct rratio *r, char *buf, size_t len)
{
	char p[16], pa[16], holm[40] = "", ci[48] = "";

	if (r->has_ci)
		snprintf(ci, sizeof(ci), ", 95%% CI %.3f-%.3f", r->lo, r->hi);
	if (!r->n)
		snprintf(buf, len, "no paired reps");
	else if (!r->t.tested)
		snprintf(buf, len, "%.3fx, n=%zu: too few pairs to test", r->median, r->n);
	else {
		if (r->adjusted)
			snprintf(holm, sizeof(holm), ", Holm p=%s", rfmt_p(pa, sizeof(pa), r->p_adj));
		snprintf(buf, len, "%.3fx%s (p=%s%s, n=%zu)%s", r->median, ci,
			 rfmt_p(p, sizeof(p), r->t.p), holm, r->n,
			 rratio_significant(r) ? "" : ", no significant difference");
	}
	return buf;
}

/* "0.871-0.970", or "none (n<6)" */
static const char *ci_text(const struct rratio *r, char *buf, size_t len)
{
	if (r->has_ci)
		snprintf(buf, len, "%.3f-%.3f", r->lo, r->hi);
	else
		snprintf(buf, len, "none (n<%d)", STATS_MIN_N_CI);
	return buf;
}

/* Lower is better for everything advice compares, except a rate. */
static bool better_ratio(const struct metric_def *m, double ratio)
{
	return m->better == BETTER_HIGHER ? ratio > 1 : ratio < 1;
}

static const struct rgroup *primary_group(const struct rset *s, const char *prof, const char *cfg)
{
	const char *const *lists[] = { rhl_pass, rhl_populate };
	size_t l, k, i;
	const struct rgroup *g;

	for (l = 0; l < 2; l++)
		for (k = 0; lists[l][k]; k++)
			for (i = 0; i < s->nstrategies; i++)
				if ((g = rset_find(s, prof, cfg, s->strategies[i], lists[l][k])))
					return g;
	for (i = 0; i < s->ng; i++)
		if (s->g[i].def->gated && !strcmp(s->g[i].profile, prof) &&
		    !strcmp(s->g[i].config, cfg))
			return &s->g[i];
	return NULL;
}

struct family_q;

static void advise_strategy(struct rdoc *d, const struct rset *s, const struct family_q *q,
			    struct rholm *h, struct rfindings *f)
{
	size_t pi, ci, k;
	bool any_untestable = false;
	size_t told = 0;

	(void)q;

	for (pi = 0; pi < s->nprofiles; pi++)
		for (ci = 0; ci < s->nconfigs; ci++) {
			const char *prof = s->profiles[pi], *cfg = s->configs[ci];
			const struct rgroup *p = primary_group(s, prof, cfg), *base, *best = NULL;
			struct rratio r, rbest = { 0 };
			char *others, buf[256], med[48];

			if (!p)
				continue;
			told++;
			others = strdup("");
			base = rset_find(s, prof, cfg, "rwlock", p->def->name);
			if (!base) {
				rdoc_item(d, "%s [%s], %s: no rwlock cells to pair with: no advice.",
					  cfg, prof, p->def->name);
				free(others);
				continue;
			}
			for (k = 0; k < s->nstrategies; k++) {
				const struct rgroup *g = rset_find(s, prof, cfg, s->strategies[k],
								   p->def->name);
				char *o;

				if (!g || g == base)
					continue;
				rholm_groups(h, g, base, &r);
				if (!r.t.tested)
					any_untestable = true;
				if (rratio_significant(&r) && better_ratio(g->def, r.median) &&
				    (!best || better_ratio(g->def, r.median / rbest.median))) {
					best = g;
					rbest = r;
				}
				o = rstrf("%s%s%s %s", others, *others ? "; " : "", g->strategy,
					  ratio_brief(&r, buf, sizeof(buf)));
				free(others);
				others = o;
			}
			rfmt_auto(med, sizeof(med), base->s.median, base->unit);
			if (best) {
				rdoc_item(d, "%s [%s]: use %s: %s %.3fx rwlock's %s (Holm p=%s, n=%zu). "
					  "Each against rwlock: %s.", cfg, prof, best->strategy,
					  p->def->name, rbest.median, med,
					  rfmt_p(buf, sizeof(buf), rratio_p(&rbest)), rbest.n, others);
				if (f && h && h->apply)
					rfinding_add(f, "Advice: %s [%s]: use %s: %s %.3fx rwlock's "
						     "(95%% CI %s, Holm p=%s, n=%zu).", cfg, prof,
						     best->strategy, p->def->name, rbest.median,
						     ci_text(&rbest, med, sizeof(med)),
						     rfmt_p(buf, sizeof(buf), rratio_p(&rbest)), rbest.n);
			} else
				rdoc_item(d, "%s [%s]: keep rwlock (the default; %s %s): no strategy is "
					  "significantly better. Each against rwlock: %s.", cfg, prof,
					  p->def->name, med, others);
			free(others);
		}
	if (!told)
		rdoc_para(d, "No configuration has values to compare (its cells failed or were "
			  "skipped).");
	if (any_untestable)
		rdoc_para(d, "Where a ratio has too few pairs to test: the Wilcoxon test needs %d "
			  "pairs, and a two-sided p below %.2f needs at least 6; a plan with reps >= 6 "
			  "(10 to see differences of a few percent) answers it.", STATS_MIN_N_TEST,
			  STATS_ALPHA);
}

typedef char *(*value_fn)(const struct rset *s, const char *cfg);

/* One figure a family is compared on: @metrics summed per rep. */
struct family_view {
	const char *const *metrics;	/* NULL ends a list of views */
	const char *what;		/* "pass + log harvest per pass" */
};

struct family_q {
	const char *title;		/* "Dirty bitmap vs clear-log vs ring" */
	const char *const *workloads;	/* which configurations take part */
	const char *const *vary;	/* params that differ inside a family */
	const char *const *letters;	/* their options, left out of the label */
	value_fn value;			/* a member's name: "ring/4096 entries" */
	const char *reference;		/* the member others are divided by, if present */
	struct family_view views[4];	/* each told apart, in this order */
	const char *missing;		/* what plan would give it */
	const char *note;		/* how to read the answers, or NULL */
};

static char *log_value(const struct rset *s, const char *cfg)
{
	json_t *p = rconfig_params(s, cfg);
	const char *l = json_string_value(json_object_get(p, "log"));
	const char *e = json_string_value(json_object_get(p, "ring_entries"));

	if (!l)
		return strdup("default log mode");
	if (!strcmp(l, "ring") && e)
		return rstrf("ring/%s entries", e);
	return strdup(l);
}

static char *backing_value(const struct rset *s, const char *cfg)
{
	const char *b = json_string_value(json_object_get(rconfig_params(s, cfg), "backing"));

	return strdup(b ? b : "default backing");
}

/* s2_split -E: the manifest's name for it (plan.c) */
static const char *const eager_keys[] = { "eager_split_chunk", NULL };

static char *eager_value(const struct rset *s, const char *cfg)
{
	const char *e = json_string_value(json_object_get(rconfig_params(s, cfg), eager_keys[0]));

	if (!e)
		return strdup("kernel default");
	if (!strcmp(e, "0"))
		return strdup("off");
	return rstrf("chunk %s", e);
}

/* -a: the VM's hardware access flag (kvm.stage2_hw_access) */
static char *ha_value(const struct rset *s, const char *cfg)
{
	const char *a = json_string_value(json_object_get(rconfig_params(s, cfg), "hw_access"));

	return a ? rstrf("HA %s", a) : strdup("the kernel's HA");
}

static bool in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

static void advise_family(struct rdoc *d, const struct rset *s, const struct family_q *q,
			  struct rholm *h, struct rfindings *f)
{
	char **keys = calloc(s->nconfigs, sizeof(*keys));
	bool *done = calloc(s->nconfigs, sizeof(*done)), told = false, families = false;
	size_t i, j, pi, k, m;
	const struct family_view *vw;
	const char *members[64];

	for (i = 0; i < s->nconfigs; i++)
		if (in_list(rconfig_workload(s, s->configs[i]), q->workloads))
			keys[i] = rconfig_family(s, s->configs[i], q->vary);

	for (i = 0; i < s->nconfigs; i++) {
		size_t nm = 0;
		char *label;

		if (!keys[i] || done[i])
			continue;
		for (j = i; j < s->nconfigs && nm < 64; j++)
			if (keys[j] && !done[j] && !strcmp(keys[i], keys[j])) {
				members[nm++] = s->configs[j];
				done[j] = true;
			}
		if (nm < 2)
			continue;
		families = true;
		/* the reference first, then the others in their order */
		for (m = 0; m < nm; m++) {
			char *v = q->value(s, members[m]);
			bool ref = q->reference && !strcmp(v, q->reference);

			free(v);
			if (ref) {
				const char *t = members[m];

				memmove(members + 1, members, m * sizeof(*members));
				members[0] = t;
				break;
			}
		}
		label = rconfig_without(members[0], q->letters);
		for (pi = 0; pi < s->nprofiles; pi++)
			for (k = 0; k < s->nstrategies; k++)
			for (vw = q->views; vw->metrics; vw++) {
				const char *prof = s->profiles[pi], *strat = s->strategies[k];
				struct rseries base, x;
				char *text, *refname, med[48], buf[256];
				const char *best = NULL;
				double best_ratio = 1;
				struct rratio rbest = { 0 };
				char *worse;

				if (!rseries_sum(s, prof, members[0], strat, vw->metrics, &base))
					continue;
				worse = strdup("");
				refname = q->value(s, members[0]);
				rfmt_auto(med, sizeof(med), series_median(&base), "ns");
				text = rstrf("%s, %s [%s]: %s against %s (%s):", label, strat,
					     prof, vw->what, refname, med);
				for (m = 1; m < nm; m++) {
					struct rratio r;
					char *v = q->value(s, members[m]), *t;

					if (!rseries_sum(s, prof, members[m], strat, vw->metrics, &x)) {
						t = rstrf("%s %s: no values;", text, v);
					} else {
						rholm_ratio(h, x.rep, x.v, x.n, base.rep, base.v, base.n, &r);
						rfmt_auto(med, sizeof(med), series_median(&x), "ns");
						t = rstrf("%s %s %s = %s;", text, v, med,
							  ratio_brief(&r, buf, sizeof(buf)));
						if (rratio_significant(&r) && r.median < best_ratio) {
							best_ratio = r.median;
							best = members[m];
							rbest = r;
						}
						if (rratio_significant(&r) && r.median > 1) {
							char *w = rstrf("%s%s%s", worse, *worse ? ", " : "", v);

							free(worse);
							worse = w;
						}
					}
					free(text);
					free(v);
					text = t;
				}
				text[strlen(text) - 1] = '.';
				if (best) {
					char *v = q->value(s, best);

					rdoc_item(d, "%s Best: %s (%.3fx %s).", text, v, best_ratio, refname);
					if (f && h && h->apply)
						rfinding_add(f, "Advice: %s, %s [%s], %s: %s %.3fx %s (95%% CI "
							     "%s, Holm p=%s, n=%zu).", label, strat, prof,
							     vw->what, v, best_ratio, refname,
							     ci_text(&rbest, med, sizeof(med)),
							     rfmt_p(buf, sizeof(buf), rratio_p(&rbest)),
							     rbest.n);
					free(v);
				} else if (*worse) {
					rdoc_item(d, "%s Best: %s; significantly worse: %s.", text, refname, worse);
				} else {
					rdoc_item(d, "%s No significant difference from %s.", text, refname);
				}
				free(worse);
				told = true;
				free(text);
				free(refname);
			}
		free(label);
	}
	if (told && q->note)
		rdoc_para(d, "%s", q->note);
	if (!told && families)
		rdoc_para(d, "Not measured in this run: the configurations are in the plan, but "
			  "their cells have no values (failed or skipped).");
	else if (!told)
		rdoc_para(d, "Not measured in this run: %s", q->missing);
	for (i = 0; i < s->nconfigs; i++)
		free(keys[i]);
	free(keys);
	free(done);
}

/* The write share at which hwdbm's pass + harvest overtakes @other's. */
static void advise_share(struct rdoc *d, const struct rset *s, const struct family_q *q,
			 struct rholm *h, struct rfindings *f)
{
	struct rshare_family *fam;
	size_t nf = rshare_families(s, &fam), fi, pi, k, i, told = 0;

	(void)q;
	for (pi = 0; pi < s->nprofiles; pi++)
		for (fi = 0; fi < nf; fi++)
			for (k = 0; k < s->nstrategies; k++) {
				const char *prof = s->profiles[pi], *other = s->strategies[k];
				struct rratio r[RSHARE_MAX];
				bool win[RSHARE_MAX] = { false }, have[RSHARE_MAX] = { false };
				char *list = xstrdup(""), *x, buf[256], ci[48];
				size_t from = fam[fi].n, last = 0, nhave = 0, tested;
				struct rseries a, b;

				if (!strcmp(other, "hwdbm"))
					continue;
				for (i = 0; i < fam[fi].n; i++) {
					const char *cfg = fam[fi].p[i].config;

					if (!rseries_sum(s, prof, cfg, "hwdbm", rpass_harvest, &a) ||
					    !rseries_sum(s, prof, cfg, other, rpass_harvest, &b))
						continue;
					rholm_ratio(h, a.rep, a.v, a.n, b.rep, b.v, b.n, &r[i]);
					if (!r[i].n)
						continue;
					have[i] = true;
					nhave++;
					last = i;
					win[i] = rratio_significant(&r[i]) && r[i].median < 1;
					x = rstrf("%s%s%d%%: %s", list, *list ? "; " : "",
						  fam[fi].p[i].share, ratio_brief(&r[i], buf, sizeof(buf)));
					free(list);
					list = x;
				}
				if (nhave < 2) {
					free(list);
					continue;
				}
				/* the lowest share from which hwdbm wins at every share measured */
				for (i = last + 1; i-- > 0;) {
					if (!have[i])
						continue;
					if (!win[i])
						break;
					from = i;
				}
				told++;
				for (i = 0, tested = 0; i < fam[fi].n; i++)
					tested += have[i] && r[i].t.tested;
				if (!tested) {
					/* untested is not "never": say what is missing */
					rdoc_item(d, "%s [%s]: not tested against %s: no share has the pairs "
						  "a test needs. hwdbm against %s: %s.", fam[fi].label, prof,
						  other, other, list);
				} else if (from == fam[fi].n) {
					/* not significant at the top: not "never", say where */
					rdoc_item(d, "%s [%s]: hwdbm's pass + harvest is not significantly "
						  "cheaper than %s at the highest share measured (%d%%), so "
						  "from no share on does it win at every higher one. hwdbm "
						  "against %s: %s.", fam[fi].label, prof, other,
						  fam[fi].p[last].share, other, list);
				} else {
					bool always = true;

					for (i = 0; i < from; i++)
						always &= !have[i];
					rdoc_item(d, "%s [%s]: %s%d%% written per pass on, hwdbm's pass + "
						  "harvest beats %s (%.3fx [%s], Holm p=%s, n=%zu)%s. hwdbm "
						  "against %s: %s.", fam[fi].label, prof,
						  always ? "at every share measured: from " : "from ",
						  fam[fi].p[from].share, other, r[from].median,
						  ci_text(&r[from], ci, sizeof(ci)),
						  rfmt_p(buf, sizeof(buf), rratio_p(&r[from])), r[from].n,
						  always ? ", the lowest measured" : "", other, list);
					if (f && h && h->apply)
						rfinding_add(f, "Advice: %s [%s]: from %d%% written per pass "
							     "on, hwdbm's pass + harvest beats %s (%.3fx, 95%% "
							     "CI %s, Holm p=%s, n=%zu).", fam[fi].label, prof,
							     fam[fi].p[from].share, other, r[from].median,
							     ci_text(&r[from], ci, sizeof(ci)),
							     rfmt_p(buf, sizeof(buf), rratio_p(&r[from])),
							     r[from].n);
				}
				free(list);
			}
	if (told)
		rdoc_para(d, "A pass + harvest is the dirty pass plus KVM_GET_DIRTY_LOG and "
			  "KVM_CLEAR_DIRTY_LOG (or the ring's harvest and reset) where the mode has them, summed per rep; each share's "
			  "ratio is hwdbm's over the other strategy's, paired by rep. hwdbm wins from "
			  "a share on when it is significantly cheaper there and at every higher "
			  "share measured.");
	else if (nf)
		rdoc_para(d, "Not measured in this run: s2_dirty configurations differ only in "
			  "the share written, but not under hwdbm and another strategy with values "
			  "at two shares or more.");
	else
		rdoc_para(d, "Not measured in this run: no two s2_dirty configurations differ only "
			  "in the share of pages written per pass (-w). bench/plans/hwdbm-crossover "
			  "(`workload s2_dirty -v 1 -b 64M -w 1,10,50,100` under rwlock, hypfast and "
			  "hwdbm) answers from which share hwdbm's harvest beats write-protection "
			  "faults.");
	rshare_families_free(fam, nf);
}

typedef void (*question_fn)(struct rdoc *d, const struct rset *s, const struct family_q *q,
			    struct rholm *h, struct rfindings *f);

/*
 * One question of the advice under Holm's correction: built once into a
 * scratch document to gather its tests, then for real with their adjusted p.
 */
static void advise_holm(struct rdoc *d, const struct rset *s, question_fn fn,
			const struct family_q *q, struct rfindings *f)
{
	struct rdoc scratch = { 0 };
	struct rholm h = { 0 };

	fn(&scratch, s, q, &h, NULL);
	rdoc_free(&scratch);
	rholm_adjust(&h);
	if (h.m)
		rdoc_para(d, "Holm's correction over the %zu test%s of this question.", h.m,
			  h.m > 1 ? "s" : "");
	fn(d, s, q, &h, f);
	rholm_free(&h);
}

void advice_build(struct rdoc *d, const struct rset *s, struct rfindings *f)
{
	static const char *const logging[] = { "s2_dirty", "s2_split", NULL };
	static const char *const dirty[] = { "s2_dirty", NULL };
	static const char *const split[] = { "s2_split", NULL };
	static const char *const v_log[] = { "log", "ring_entries", NULL };
	static const char *const l_log[] = { "-l", "-e", NULL };
	static const char *const v_backing[] = { "backing", NULL };
	static const char *const l_backing[] = { "-s", NULL };
	static const char *const pass_only[] = { "dirty.pass_time", NULL };
	static const char *const l_eager[] = { "-E", NULL };
	static const char *const split_pass[] = { "split.split_pass_time", NULL };
	/* eager splitting moves the split from the first pass to these ioctls */
	static const char *const split_all[] = {
		"split.split_pass_time", "dirty.enable_logging_time", "dirty.initial_clear_time", NULL
	};
	static const char *const later_passes[] = { "split.steady_pass_time", NULL };
	const struct family_q logq = {
		"Dirty bitmap vs clear-log vs ring", dirty, v_log, l_log, log_value, "get",
		{ { rpass_harvest, "pass + log harvest per pass" } },
		"every s2_dirty configuration uses one log mode. A plan with `workload s2_dirty "
		"-v 2 -b 64M -i 8 -l get,clear,ring` (ring sizes on a line of their own: "
		"`workload s2_dirty -v 2 -b 64M -i 8 -l ring -e 1024,4096,16384`) answers which "
		"mode, and which ring size, costs least per pass.", NULL
	};
	const struct family_q backq = {
		"THP vs 4K pages under dirty logging", logging, v_backing, l_backing,
		backing_value, "anonymous", { { pass_only, "dirty pass per pass" } },
		"no s2_dirty or s2_split configuration differs only in its backing. A plan with "
		"`workload s2_dirty -v 2 -b 64M -i 8 -s anonymous,anonymous_thp` (and `workload "
		"s2_split -v 2 -b 64M -s anonymous_thp,anonymous_hugetlb`) answers whether huge "
		"pages pay off once logging splits them.", NULL
	};
	const struct family_q eagerq = {
		"Eager split chunk size", split, eager_keys, l_eager, eager_value, "off",
		{ { split_pass, "split pass" },
		  { split_all, "split pass + log enabling (+ initial clear)" },
		  { later_passes, "later passes (median)" } },
		"no two s2_split configurations differ only in the eager split chunk size "
		"(`-E`, KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, arm64). A plan with `workload s2_split "
		"-v 2 -b 64M -i 4 -s anonymous_thp -E 0,2M` (on the target or an arm64 host: "
		"x86_64 has no such capability) answers whether splitting when the log is enabled "
		"beats splitting on the first pass's write faults.",
		"Eager splitting (a chunk size other than 0) splits the block mappings when the log "
		"is enabled (in the initial clear with `-l clear` and KVM_DIRTY_LOG_INITIALLY_SET) "
		"instead of on the first pass's write faults: the split pass gets cheaper and "
		"enabling the log dearer. Their sum says which does the whole job faster; later "
		"passes should not differ."
	};

	static const char *const aging[] = { "s2_access", NULL };
	static const char *const v_ha[] = { "hw_access", NULL };
	static const char *const l_ha[] = { "-a", NULL };
	static const char *const mark[] = { "access.mark_idle_time", NULL };
	static const char *const vpass[] = { "access.access_pass_time", NULL };
	static const char *const readback[] = { "access.read_idle_time", NULL };
	const struct family_q haq = {
		"Hardware access flag on vs off (aging)", aging, v_ha, l_ha, ha_value, "HA on",
		{ { mark, "aging pass (mark idle)" },
		  { vpass, "vCPU pass (during aging with -g during)" },
		  { readback, "reading the idle bits back" } },
		"no two s2_access configurations differ only in -a. bench/plans/aging-ha "
		"(`workload s2_access -v 2 -b 32M -i 3 -g during -a on,off` under rwlock and rcu) "
		"answers what aging costs a running guest when the hardware does not set the "
		"access flag (kvm.stage2_hw_access=N, patch 0008).",
		"With HA off every access after aging is an access-flag fault on the vCPU "
		"(kstat.faults.access in the per-configuration tables): the vCPU pass carries "
		"aging's cost there, the aging pass itself should not differ."
	};

	rdoc_heading(d, 2, "advice", "Tuning advice");
	rdoc_para(d, "Computed from this run's numbers only: ratios are paired by profile and "
		  "rep, p is the Wilcoxon signed-rank test (two-sided) on log ratios, corrected "
		  "by Holm's method over the tests of each question below (Holm p), and a "
		  "difference with Holm p >= %.2f is called no significant difference. %s",
		  STATS_ALPHA, rset_icount(s) ? "Times are instruction time (clock icount): "
		  "the length of the code path, not the speed of a CPU." :
		  !strcmp(json_string_value(json_object_get(s->run.manifest, "target")) ?: "", "qemu") ?
		  "Emulated times (target qemu, clock realtime) only mean something as ratios "
		  "within one boot." : "");
	rdoc_heading(d, 3, "advice-strategy", "Which strategy for which workload");
	advise_holm(d, s, advise_strategy, NULL, f);
	rdoc_heading(d, 3, "advice-log", "%s (and ring size)", logq.title);
	advise_holm(d, s, advise_family, &logq, f);
	rdoc_heading(d, 3, "advice-thp", "%s", backq.title);
	advise_holm(d, s, advise_family, &backq, f);
	rdoc_heading(d, 3, "advice-eager", "%s", eagerq.title);
	advise_holm(d, s, advise_family, &eagerq, f);
	rdoc_heading(d, 3, "advice-hwdbm", "Hardware dirty state (hwdbm) against write "
		     "protection, by share written");
	advise_holm(d, s, advise_share, NULL, f);
	rdoc_heading(d, 3, "advice-ha", "%s", haq.title);
	advise_holm(d, s, advise_family, &haq, f);
}
