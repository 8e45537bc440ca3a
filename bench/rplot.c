// SPDX-License-Identifier: GPL-2.0
/*
 * The report's plots: s2bench writes what each plot shows into
 * RUN/plots/ID.dat and has one of the generic gnuplot scripts in plots/
 * draw it as ID.svg and ID.png. A plot the run has no data for is not
 * drawn, and the report says why.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "advice.h"
#include "rdoc.h"
#include "report.h"
#include "rgroup.h"
#include "rplot.h"
#include "s2bench.h"
#include "s2strategy.h"

#define GNUPLOT_TIMEOUT_S 60
#define MAX_PLOTTED 64
/* plots/common.gp's palette; its last slot is for a name s2strategy.h lacks */
#define PLOT_SLOTS 8
_Static_assert(S2_NR_STRATEGIES < PLOT_SLOTS, "plots/common.gp needs more colours");

static const char *const collector_strategies_note =
	"medians over each strategy's collected runs (n in the key)";

struct plotter {
	const struct rset *s;
	const struct rplot_opts *o;
	struct rdoc *d;
	char dir[4096];		/* RUN/plots */
	const char *broken;	/* set once gnuplot cannot run at all */
	char broken_buf[4200];
};

/* gnuplot single-quoted strings double a quote */
static char *gq(const char *v)
{
	size_t i, n = 0;
	char *out = malloc(2 * strlen(v) + 1);

	for (i = 0; v[i]; i++) {
		if (v[i] == '\'')
			out[n++] = '\'';
		out[n++] = v[i];
	}
	out[n] = 0;
	return out;
}

/* A label in a data file: gnuplot reads it double-quoted. */
static void dat_label(FILE *f, const char *v)
{
	fputc('"', f);
	for (; *v; v++)
		if (*v != '"' && *v != '\n')
			fputc(*v, f);
	fputc('"', f);
}

static FILE *dat_open(struct plotter *p, const char *id, const char *what)
{
	char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s.dat", p->dir, id);
	f = fopen(path, "w");
	if (f)
		fprintf(f, "# %s\n# written by s2bench report; drawn by plots/*.gp\n", what);
	return f;
}

static void remove_outputs(struct plotter *p, const char *id)
{
	static const char *const ext[] = { "svg", "png", "dat" };
	char path[4200];
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s.%s", p->dir, id, ext[i]);
		unlink(path);
	}
}

static bool nonempty(const char *path)
{
	struct stat st;

	return !stat(path, &st) && st.st_size > 0;
}

/*
 * gnuplot never waits for input here (no pause, no interactive terminal),
 * but a wedged one must not hang a report in CI: it is killed after
 * GNUPLOT_TIMEOUT_S.
 */
static bool run_gnuplot(struct plotter *p, const char *script, const char *id, const char *vars,
			char *why, size_t len)
{
	char spath[4200], log[4200], e[8192], out[4200];
	char *pd = gq(p->o->plots_dir), *df, *ob;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	int status = 0, i, fd;
	pid_t pid, w;

	snprintf(spath, sizeof(spath), "%s/%s", p->o->plots_dir, script);
	snprintf(log, sizeof(log), "%s/gnuplot.log", p->dir);
	snprintf(out, sizeof(out), "%s/%s.dat", p->dir, id);
	df = gq(out);
	snprintf(out, sizeof(out), "%s/%s", p->dir, id);
	ob = gq(out);
	snprintf(e, sizeof(e), "plotsdir='%s'; datafile='%s'; outbase='%s'; %s", pd, df, ob, vars);
	free(pd);
	free(df);
	free(ob);

	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "cannot start gnuplot: %s", strerror(errno));
		return false;
	}
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dprintf(fd, "== %s: gnuplot -e \"%s\" %s\n", id, e, spath);
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0)
			dup2(fd, 0);
		execlp("gnuplot", "gnuplot", "-e", e, spath, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < GNUPLOT_TIMEOUT_S * 20; i++) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == GNUPLOT_TIMEOUT_S * 20) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(why, len, "gnuplot did not finish in %d s (killed; see plots/gnuplot.log)",
			 GNUPLOT_TIMEOUT_S);
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		p->broken = "gnuplot is not installed (Debian: gnuplot-nox)";
		snprintf(why, len, "%s", p->broken);
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(why, len, "gnuplot failed on %s (see plots/gnuplot.log)", script);
		return false;
	}
	snprintf(out, sizeof(out), "%s/%s.svg", p->dir, id);
	if (!nonempty(out)) {
		snprintf(why, len, "gnuplot wrote no %s.svg (see plots/gnuplot.log)", id);
		return false;
	}
	snprintf(out, sizeof(out), "%s/%s.png", p->dir, id);
	if (!nonempty(out)) {
		snprintf(why, len, "gnuplot wrote no %s.png (see plots/gnuplot.log)", id);
		return false;
	}
	return true;
}

/* Draw, or say why not; either way one block in the report. */
static void finish(struct plotter *p, const char *id, const char *script, const char *vars,
		   const char *title, const char *caption, const char *nodata)
{
	char why[512], img[128], bid[128];

	/* element ids in report.html: "plot-" keeps them apart from the headings' */
	snprintf(bid, sizeof(bid), "plot-%s", id);

	if (nodata) {
		rdoc_plot(p->d, bid, NULL, "%s: not drawn: %s.", title, nodata);
		remove_outputs(p, id);
		return;
	}
	if (p->broken) {
		rdoc_plot(p->d, bid, NULL, "%s: not drawn: %s.", title, p->broken);
		remove_outputs(p, id);
		return;
	}
	if (!run_gnuplot(p, script, id, vars, why, sizeof(why))) {
		rdoc_plot(p->d, bid, NULL, "%s: not drawn: %s.", title, why);
		return;
	}
	snprintf(img, sizeof(img), "plots/%s", id);
	rdoc_plot(p->d, bid, img, "%s", caption);
}

/*
 * The series of a plot, for the scripts: `names` (each with its n, quoted
 * for gnuplot's word()) and `slots` (a strategy's fixed colour, dash and
 * point: its place in S2_STRATEGY_NAMES).
 */
struct plot_keys {
	char *names, *slots;
	size_t count;
};

static void keys_add(struct plot_keys *k, const char *name, size_t nlo, size_t nhi)
{
	int slot = s2_strategy_index(name);
	char *n = nlo == nhi ? rstrf("n=%zu", nlo) : rstrf("n=%zu-%zu", nlo, nhi);
	char *x = rstrf("%s%s\"%s (%s)\"", k->names ?: "", k->count ? " " : "", name, n);

	free(n);
	free(k->names);
	k->names = x;
	x = rstrf("%s%s%d", k->slots ?: "", k->count ? " " : "", slot < 0 ? PLOT_SLOTS : slot + 1);
	free(k->slots);
	k->slots = x;
	k->count++;
}

static void keys_free(struct plot_keys *k)
{
	free(k->names);
	free(k->slots);
	memset(k, 0, sizeof(*k));
}

/* finish() a plot with data, then free its variables, caption and keys. */
static void draw(struct plotter *p, const char *id, const char *script, const char *title,
		 char *vars, char *caption, struct plot_keys *keys)
{
	finish(p, id, script, vars, title, caption, NULL);
	free(caption);
	free(vars);
	keys_free(keys);
}

/* The lowest and highest n of @g into *lo, *hi (a group that is there). */
static void n_range(const struct rgroup *g, size_t *lo, size_t *hi)
{
	if (!g)
		return;
	*lo = g->n < *lo ? g->n : *lo;
	*hi = g->n > *hi ? g->n : *hi;
}

/* Configurations ---------------------------------------------------------- */

/*
 * The s2_dirty-like configuration with the most timed cells in the plan;
 * ties go to the later one in version order (more vCPUs, more memory),
 * where contention shows most.
 */
static const char *rheadline_dirty_config(const struct rset *s, const char *profile)
{
	const char *best = NULL;
	size_t i, k, most = 0;

	for (i = 0; i < s->nconfigs; i++) {
		size_t n = 0;
		bool has = false;

		for (k = 0; k < s->nstrategies && !has; k++)
			has = rset_find(s, profile, s->configs[i], s->strategies[k], rhl_pass[0]);
		for (k = 0; has && k < s->run.ncells; k++) {
			const struct cell *c = &s->run.cells[k];

			n += !strcmp(c->mode, "timed") && !strcmp(c->profile, profile) &&
			     !strcmp(c->config, s->configs[i]);
		}
		if (has && n >= most) {
			most = n;
			best = s->configs[i];
		}
	}
	return best;
}

static bool collected_ok(const struct cell *c)
{
	return c->mode && mode_collected(c->mode) && rcell_ok(c);
}

static const char *rcollector_config(const struct rset *s, const char **profile)
{
	const char *best = NULL;
	size_t pi, ci, i, most = 0;
	bool best_dirty = false;

	for (pi = 0; pi < s->nprofiles; pi++)
		for (ci = 0; ci < s->nconfigs; ci++) {
			bool dirty = !strcmp(rconfig_workload(s, s->configs[ci]), "s2_dirty");
			size_t n = 0;

			for (i = 0; i < s->run.ncells; i++) {
				const struct cell *c = &s->run.cells[i];

				n += collected_ok(c) && !strcmp(c->config, s->configs[ci]) &&
				     !strcmp(c->profile, s->profiles[pi]);
			}
			/* dirty logging is where the collector's figures tell most */
			/* ties: the later configuration of the first profile */
			if (n && ((dirty && !best_dirty) ||
				  (dirty == best_dirty && (n > most || (n == most && *profile == s->profiles[pi]))))) {
				most = n;
				best = s->configs[ci];
				*profile = s->profiles[pi];
				best_dirty = dirty;
			}
		}
	return best;
}

/* "-v 1 -l get": the options that tell the configurations apart. */
static char **rconfig_labels(const struct rset *s, const char *const *configs, size_t n)
{
	char **out = calloc(n, sizeof(*out)), ***tok = calloc(n, sizeof(*tok));
	size_t *nt = calloc(n, sizeof(*nt)), i, j, k;

	(void)s;
	for (i = 0; i < n; i++) {
		char *copy = strdup(configs[i]), *t, *save = NULL;

		tok[i] = calloc(strlen(configs[i]) + 1, sizeof(**tok));
		for (t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save))
			tok[i][nt[i]++] = strdup(t);
		free(copy);
	}
	for (i = 0; i < n; i++) {
		out[i] = strdup("");
		for (j = 0; j < nt[i]; j++) {
			/* a word and, after an option, its value form one pair */
			bool opt = tok[i][j][0] == '-' && j + 1 < nt[i];
			char *pair = opt ? rstrf("%s %s", tok[i][j], tok[i][j + 1]) : strdup(tok[i][j]);
			bool varies = false;
			size_t o;

			for (k = 0; k < n && !varies; k++) {
				bool found = false;

				for (o = 0; o < nt[k] && !found; o++) {
					char *q = tok[k][o][0] == '-' && o + 1 < nt[k] ?
						rstrf("%s %s", tok[k][o], tok[k][o + 1]) : strdup(tok[k][o]);

					found = !strcmp(q, pair);
					free(q);
				}
				varies = !found;
			}
			if (varies) {
				char *x = rstrf("%s%s%s", out[i], *out[i] ? " " : "", pair);

				free(out[i]);
				out[i] = x;
			}
			free(pair);
			j += opt;
		}
		if (!*out[i]) {
			free(out[i]);
			out[i] = strdup(n == 1 ? configs[i] : tok[i][0]);
		}
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nt[i]; j++)
			free(tok[i][j]);
		free(tok[i]);
	}
	free(tok);
	free(nt);
	return out;
}

/* med, lo, hi in @sc; without a CI the whisker collapses onto the median */
static void dat_mci(FILE *f, const struct rgroup *g, struct rscale sc)
{
	if (!g) {
		fprintf(f, " NaN NaN NaN");
		return;
	}
	fprintf(f, " %.6g %.6g %.6g", g->s.median / sc.div,
		(g->s.has_ci ? g->s.ci_lo : g->s.median) / sc.div,
		(g->s.has_ci ? g->s.ci_hi : g->s.median) / sc.div);
}

/*
 * One cluster of a bars_ci.gp plot: @label, then per strategy drawn (hi[k]
 * not 0: the top of its range of n) its group's median and CI.
 */
static void dat_ci_row(FILE *f, const struct rset *s, const char *label, const char *prof,
		       const char *cfg, const char *metric, const size_t *hi, struct rscale sc)
{
	dat_label(f, label);
	for (size_t k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++)
		if (hi[k])
			dat_mci(f, rset_find(s, prof, cfg, s->strategies[k], metric), sc);
	fputc('\n', f);
}

/* bars_ci.gp's variables: @what in @sc's unit against @xlabel. */
static char *ci_vars(const struct rset *s, const struct plot_keys *keys, const char *what,
		     struct rscale sc, const char *xlabel)
{
	return rstrf("names='%s'; slots='%s'; ylabel='%s (%s%s): median, 95%% CI'; xlabel='%s'; "
		     "logy=0", keys->names, keys->slots, what, sc.unit, rtime_unit(s, "ns"), xlabel);
}

static struct rscale scale_of_max(const struct rset *s, const char *metric, const char *unit)
{
	double most = 0;
	size_t i;

	for (i = 0; i < s->ng; i++)
		if (!strcmp(s->g[i].def->name, metric) && s->g[i].s.median > most)
			most = s->g[i].s.median;
	return rscale_for(most, unit);
}

static bool any_without_ci(const struct rset *s, const char *metric)
{
	size_t i;

	for (i = 0; i < s->ng; i++)
		if (!strcmp(s->g[i].def->name, metric) && !s->g[i].s.has_ci)
			return true;
	return false;
}

/* The plots ------------------------------------------------------------- */

static void plot_dirty_pass(struct plotter *p)
{
	const struct rset *s = p->s;
	const char *cfgs[MAX_PLOTTED], *profs[MAX_PLOTTED];
	struct plot_keys keys = { 0 };
	size_t drawn[MAX_PLOTTED] = { 0 };
	char *vars, **labels;
	size_t n = 0, pi, ci, k;
	struct rscale sc;
	FILE *f;

	for (pi = 0; pi < s->nprofiles; pi++)
		for (ci = 0; ci < s->nconfigs && n < MAX_PLOTTED; ci++)
			for (k = 0; k < s->nstrategies; k++)
				if (rset_find(s, s->profiles[pi], s->configs[ci], s->strategies[k],
					      rhl_pass[0])) {
					profs[n] = s->profiles[pi];
					cfgs[n++] = s->configs[ci];
					break;
				}
	if (!n) {
		finish(p, "dirty-pass", NULL, NULL, "Dirty pass time per strategy", NULL,
		       "the run has no dirty.pass_time (no s2_dirty or s2_split cell ran)");
		return;
	}
	sc = scale_of_max(s, rhl_pass[0], "ns");
	labels = rconfig_labels(s, cfgs, n);
	/* the strategies drawn, each with the range of its n over the configurations */
	for (k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++) {
		size_t lo = SIZE_MAX, hi = 0;

		for (ci = 0; ci < n; ci++)
			n_range(rset_find(s, profs[ci], cfgs[ci], s->strategies[k], rhl_pass[0]),
				&lo, &hi);
		if ((drawn[k] = hi))
			keys_add(&keys, s->strategies[k], lo, hi);
	}
	f = dat_open(p, "dirty-pass", "dirty pass time: per configuration, per strategy "
		     "median, CI low, CI high");
	if (!f) {
		free_strv(labels, n);
		keys_free(&keys);
		finish(p, "dirty-pass", NULL, NULL, "Dirty pass time per strategy", NULL,
		       "cannot write plots/dirty-pass.dat");
		return;
	}
	for (ci = 0; ci < n; ci++) {
		char *l = s->nprofiles > 1 ? rstrf("%s [%s]", labels[ci], profs[ci]) : strdup(labels[ci]);

		dat_ci_row(f, s, l, profs[ci], cfgs[ci], rhl_pass[0], drawn, sc);
		free(l);
	}
	fclose(f);
	vars = ci_vars(s, &keys, "dirty pass time", sc, "configuration");
	{
		char *cap = rstrf("Dirty pass time per strategy and configuration (timed runs, n per "
				  "strategy in the key; median; whiskers: bootstrap 95%% CI of the "
				  "median%s).%s", any_without_ci(s, rhl_pass[0]) ? "; none where n<6" : "",
				  n > 1 ? " Configurations:" : "");
		for (ci = 0; n > 1 && ci < n; ci++) {
			size_t seen;
			char *x;

			for (seen = 0; seen < ci && strcmp(cfgs[seen], cfgs[ci]); seen++)
				;
			if (seen < ci)
				continue;	/* the same configuration on another profile */
			x = rstrf("%s%s %s = %s", cap, ci ? ";" : "", labels[ci], cfgs[ci]);
			free(cap);
			cap = x;
		}
		if (n > 1) {
			char *x = rstrf("%s.", cap);

			free(cap);
			cap = x;
		}
		draw(p, "dirty-pass", "bars_ci.gp", "Dirty pass time per strategy", vars, cap, &keys);
	}
	free_strv(labels, n);
}

static int vcpus_of(const struct rset *s, const char *cfg)
{
	const char *v = json_string_value(json_object_get(rconfig_params(s, cfg), "vcpus"));

	return v ? atoi(v) : 0;
}

static void plot_vcpus(struct plotter *p)
{
	static const char *const vary[] = { "vcpus", NULL };
	const struct rset *s = p->s;
	const char *best_cfgs[MAX_PLOTTED], *prof = NULL;
	size_t nbest = 0, pi, i, j, k;
	struct plot_keys keys = { 0 };
	struct rscale sc;
	char *vars, *cap, *fam_label;
	FILE *f;

	for (pi = 0; pi < s->nprofiles; pi++)
		for (i = 0; i < s->nconfigs; i++) {
			const char *cfgs[MAX_PLOTTED];
			char *key;
			size_t n = 0;

			key = rconfig_family(s, s->configs[i], vary);
			for (j = 0; j < s->nconfigs && n < MAX_PLOTTED; j++) {
				char *kj = rconfig_family(s, s->configs[j], vary);
				bool has = false;

				for (k = 0; k < s->nstrategies && !has; k++)
					has = rset_find(s, s->profiles[pi], s->configs[j],
							s->strategies[k], rhl_pass[0]);
				if (has && !strcmp(key, kj))
					cfgs[n++] = s->configs[j];
				free(kj);
			}
			free(key);
			if (n > nbest) {
				nbest = n;
				memcpy(best_cfgs, cfgs, n * sizeof(*cfgs));
				prof = s->profiles[pi];
			}
		}
	if (nbest < 2) {
		finish(p, "dirty-vcpus", NULL, NULL, "Dirty pass time against vCPUs", NULL,
		       "no two s2_dirty configurations differ only in their vCPU count; a plan with "
		       "`workload s2_dirty -v 1,2,4 ...` draws it");
		return;
	}
	/* x is the vCPU count: order by it */
	for (i = 1; i < nbest; i++)
		for (j = i; j > 0 && vcpus_of(s, best_cfgs[j - 1]) > vcpus_of(s, best_cfgs[j]); j--) {
			const char *t = best_cfgs[j];

			best_cfgs[j] = best_cfgs[j - 1];
			best_cfgs[j - 1] = t;
		}
	sc = scale_of_max(s, rhl_pass[0], "ns");
	f = dat_open(p, "dirty-vcpus", "dirty pass time against vCPUs: one block per strategy: "
		     "vcpus median CI-low CI-high");
	if (!f)
		return;
	for (k = 0; k < s->nstrategies; k++) {
		size_t lo = SIZE_MAX, hi = 0;

		for (i = 0; i < nbest; i++)
			n_range(rset_find(s, prof, best_cfgs[i], s->strategies[k], rhl_pass[0]),
				&lo, &hi);
		/* a strategy without a value here draws nothing (and gets no empty block) */
		if (!hi)
			continue;
		keys_add(&keys, s->strategies[k], lo, hi);
		fprintf(f, "# %s\n", s->strategies[k]);
		for (i = 0; i < nbest; i++) {
			const struct rgroup *g = rset_find(s, prof, best_cfgs[i], s->strategies[k],
							   rhl_pass[0]);
			const char *v = json_string_value(json_object_get(rconfig_params(s, best_cfgs[i]),
									  "vcpus"));

			if (!g || !v)
				continue;
			fprintf(f, "%s", v);
			dat_mci(f, g, sc);
			fputc('\n', f);
		}
		fputs("\n\n", f);
	}
	fclose(f);
	vars = rstrf("names='%s'; slots='%s'; ylabel='dirty pass time (%s%s): median, 95%% CI'; "
		     "xlabel='vCPUs'", keys.names, keys.slots, sc.unit, rtime_unit(s, "ns"));
	{
		static const char *const letters[] = { "-v", NULL };

		fam_label = rconfig_without(best_cfgs[0], letters);
	}
	cap = rstrf("Dirty pass time against vCPUs per strategy: %s [%s] (timed runs, n per "
		    "strategy in the key; median; whiskers: bootstrap 95%% CI, the strategies set "
		    "a little apart on x).", fam_label, prof);
	draw(p, "dirty-vcpus", "lines_ci.gp", "Dirty pass time against vCPUs", vars, cap, &keys);
	free(fam_label);
}

/* Per strategy, the collector documents of the cells a collector plot reads. */
static size_t collector_docs(const struct rset *s, const char *prof, const char *cfg,
			     const char *strat, struct doc *docs, size_t max)
{
	size_t i, n = 0;
	char err[256];

	for (i = 0; i < s->run.ncells && n < max; i++) {
		const struct cell *c = &s->run.cells[i];

		if (collected_ok(c) && !strcmp(c->profile, prof) && !strcmp(c->config, cfg) &&
		    !strcmp(c->strategy, strat) &&
		    doc_load(s->run.dir, c->id, "collector", &docs[n], err, sizeof(err)))
			n++;
	}
	return n;
}

static void free_docs(struct doc *docs, size_t n)
{
	while (n--)
		doc_free(&docs[n]);
}

static char *no_collector(const struct rset *s)
{
	json_t *c = json_object_get(s->run.manifest, "collect");

	if (json_is_integer(c) && json_integer_value(c) == 0)
		return strdup("the plan collected no reps (collect 0); a plan with collect >= 1 "
			      "draws it");
	return strdup("no collected cell ran to completion with a collector document");
}

static void plot_fault_latency(struct plotter *p)
{
	const struct rset *s = p->s;
	const struct metric_def *wp = metric_find(RMETRIC_WP_P50);
	const char *prof = NULL, *cfg = rcollector_config(s, &prof);
	struct plot_keys keys = { 0 };
	size_t k, i, j, nd = 0;
	char *vars, *cap, *nc, why[512] = "", msg[512];
	struct doc docs[256];
	FILE *f = NULL;

	if (!cfg) {
		nc = no_collector(s);
		finish(p, "fault-latency", NULL, NULL, "Write-protection fault latency", NULL, nc);
		free(nc);
		return;
	}
	for (k = 0; k < s->nstrategies && nd < 16; k++) {
		double slots[65] = { 0 }, total = 0;
		size_t n = collector_docs(s, prof, cfg, s->strategies[k], docs, 256), used = 0;
		int lo = -1, hi = -1, b;

		for (i = 0; i < n; i++) {
			/* every path's histogram of write-protection (permission) faults */
			struct hist h;
			enum doc_result r = metric_hist(wp, &docs[i], &h, msg, sizeof(msg));

			if (r == DOC_UNAVAILABLE && !*why)
				snprintf(why, sizeof(why), "%s", msg);
			/* the runs whose histograms are summed: the key's n */
			used += r == DOC_VALUE;
			for (j = 0; r == DOC_VALUE && j < h.n; j++) {
				int slot = 64;

				/* the log2 bucket each of the collector's buckets falls in */
				if (!isinf(h.b[j].le))
					for (slot = 0; slot < 64 && (double)((1ull << slot) - 1) < h.b[j].le;
					     slot++)
						;
				slots[slot] += h.b[j].count;
				total += h.b[j].count;
			}
			hist_free(&h);
		}
		if (total > 0) {
			if (!f && !(f = dat_open(p, "fault-latency", "write-protection fault "
						 "latency: one block per strategy: bucket upper bound (us) "
						 "share of faults (%)"))) {
				free_docs(docs, n);
				break;
			}
			for (b = 0; b <= 64; b++)
				if (slots[b] > 0) {
					lo = lo < 0 ? b : lo;
					hi = b;
				}
			fprintf(f, "# %s\n", s->strategies[k]);
			for (b = lo; b <= hi; b++)
				fprintf(f, "%.6g %.6g\n", b == 64 ? ldexp(1, 63) / 1e3 : ldexp(1, b) / 1e3,
					slots[b] / total * 100);
			fputs("\n\n", f);
			keys_add(&keys, s->strategies[k], used, used);
			nd++;
		}
		free_docs(docs, n);
	}
	if (f)
		fclose(f);
	if (!nd) {
		char *w = rstrf("no write-protection fault was timed in the collected runs of %s [%s]%s%s",
				cfg, prof, *why ? ": " : "", why);

		finish(p, "fault-latency", NULL, NULL, "Write-protection fault latency", NULL, w);
		free(w);
		return;
	}
	vars = rstrf("names='%s'; slots='%s'; ylabel='share of write-protection faults (%%)'; "
		     "xlabel='latency (us%s), log2 bucket upper bound'; logx=1", keys.names,
		     keys.slots, rtime_unit(s, "ns"));
	cap = rstrf("Write-protection fault latency per strategy: %s [%s], the collector's log2 "
		    "histograms (every path) summed over each strategy's collected runs (n in the "
		    "key).", cfg, prof);
	draw(p, "fault-latency", "steps.gp", "Write-protection fault latency", vars, cap, &keys);
}

/*
 * Bars per strategy of some collector metrics (@metrics, NULL-terminated,
 * of one unit; @what names them in a message): medians over the collected
 * runs.
 */
static void plot_collector_bars(struct plotter *p, const char *id, const char *title,
				const char *what, const char *const *metrics,
				const char *const *labels, const char *xlabel, bool logy)
{
	const struct rset *s = p->s;
	const char *prof = NULL, *cfg = rcollector_config(s, &prof);
	const char *unit = metric_find(metrics[0])->unit;
	size_t k, i, j, nk = 0, any = 0, nstr[16] = { 0 };
	double most = 0, med[16][8];
	bool have[16] = { false };
	struct doc docs[256];
	struct plot_keys pk = { 0 };
	struct rscale sc;
	char *vars, *cap, *nc, *none, why[512] = "", msg[512];
	size_t kept[8], nkept = 0;
	FILE *f;

	while (metrics[nk])
		nk++;
	if (!cfg) {
		nc = no_collector(s);
		finish(p, id, NULL, NULL, title, NULL, nc);
		free(nc);
		return;
	}
	for (k = 0; k < s->nstrategies && k < 16; k++) {
		size_t n = collector_docs(s, prof, cfg, s->strategies[k], docs, 256);

		for (j = 0; j < nk; j++) {
			double v[256];
			size_t nv = 0;

			for (i = 0; i < n; i++) {
				double x;
				enum doc_result r = metric_read(metric_find(metrics[j]), &docs[i], &x,
								msg, sizeof(msg));

				if (r == DOC_UNAVAILABLE && !*why)
					snprintf(why, sizeof(why), "%s", msg);
				if (r == DOC_VALUE)
					v[nv++] = x;
			}
			/* the runs a strategy's medians come from: the key's n */
			nstr[k] = nv > nstr[k] ? nv : nstr[k];
			med[k][j] = nv ? stats_quantile(v, nv, 0.5) : NAN;
			if (nv) {
				have[k] = true;
				most = fmax(most, med[k][j]);
			}
		}
		any += have[k];
		free_docs(docs, n);
	}
	if (!any) {
		char *w = rstrf("the collected runs of %s [%s] have no %s figures%s%s", cfg, prof,
				what, *why ? ": " : "", why);

		finish(p, id, NULL, NULL, title, NULL, w);
		free(w);
		return;
	}
	/* a log axis shows decades itself: raw counts read better there */
	sc = logy ? rscale_for(1, unit) : rscale_for(most, unit);
	none = strdup("");
	/* a kind no strategy has (range TLBIs without FEAT_TLBIRANGE) gets no bar */
	for (j = 0; j < nk; j++) {
		bool some = false;

		for (k = 0; k < s->nstrategies && k < 16; k++)
			some |= have[k] && !isnan(med[k][j]) && (!logy || med[k][j] > 0);
		if (!some) {
			char *x = rstrf("%s%s%s", none, *none ? ", " : "", labels[j]);

			free(none);
			none = x;
		} else {
			kept[nkept++] = j;
		}
	}
	/* a cluster per kind, a bar per strategy: each strategy in its colour */
	f = dat_open(p, id, "per kind: each strategy's median over its collected runs");
	if (!f) {
		free(none);
		return;
	}
	for (j = 0; j < nkept; j++) {
		dat_label(f, labels[kept[j]]);
		for (k = 0; k < s->nstrategies && k < 16; k++) {
			if (!have[k])
				continue;
			if (isnan(med[k][kept[j]]) || (logy && med[k][kept[j]] <= 0))
				fprintf(f, " NaN");
			else
				fprintf(f, " %.6g", med[k][kept[j]] / sc.div);
		}
		fputc('\n', f);
	}
	fclose(f);
	for (k = 0; k < s->nstrategies && k < 16; k++)
		if (have[k])
			keys_add(&pk, s->strategies[k], nstr[k], nstr[k]);
	vars = rstrf("names='%s'; slots='%s'; ylabel='%s (%s%s)%s'; xlabel='%s'; logy=%d",
		     pk.names, pk.slots, title, sc.unit, rtime_unit(s, unit),
		     logy ? ", log scale" : "", xlabel, logy);
	cap = rstrf("%s per strategy: %s [%s], %s%s%s%s.", title, cfg, prof,
		    collector_strategies_note, logy ? "; log scale, a zero draws no bar" : "",
		    *none ? "; none of any strategy: " : "", none);
	draw(p, id, "bars.gp", title, vars, cap, &pk);
	free(none);
}

static void plot_ioctl(struct plotter *p)
{
	static const char *const metrics[] = { "dirty.get_log_time", "dirty.clear_log_time",
					       "dirty.ring_collect_time", "dirty.ring_reset_time" };
	static const char *const labels[] = { "get", "clear", "ring-harvest", "ring-reset" };
	const struct rset *s = p->s;
	const char *prof = s->nprofiles ? s->profiles[0] : NULL;
	const char *cfgs[MAX_PLOTTED], *row_cfg[MAX_PLOTTED];
	size_t m, k, ci, nc = 0, nrow = 0, row_m[MAX_PLOTTED];
	size_t lo[MAX_PLOTTED], hi[MAX_PLOTTED];
	struct plot_keys keys = { 0 };
	struct rscale sc;
	char *vars, *cap, **short_cfg;
	double most = 0;
	FILE *f;

	/*
	 * A cluster per configuration (of the first profile) and dirty-log call it
	 * has, a bar per strategy: each strategy in its colour.
	 */
	for (k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++) {
		lo[k] = SIZE_MAX;
		hi[k] = 0;
	}
	for (ci = 0; prof && ci < s->nconfigs && nc < MAX_PLOTTED; ci++) {
		bool has = false;

		for (m = 0; m < 4; m++) {
			bool here = false;

			for (k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++) {
				const struct rgroup *g = rset_find(s, prof, s->configs[ci],
								   s->strategies[k], metrics[m]);

				if (g) {
					here = true;
					most = fmax(most, g->s.median);
					n_range(g, &lo[k], &hi[k]);
				}
			}
			if (here && nrow < MAX_PLOTTED) {
				row_cfg[nrow] = s->configs[ci];
				row_m[nrow++] = m;
				has = true;
			}
		}
		if (has)
			cfgs[nc++] = s->configs[ci];
	}
	if (!nrow) {
		finish(p, "dirtylog-ioctl", NULL, NULL, "Dirty-log ioctl cost per pass", NULL,
		       "the run has no dirty-log times (dirty.get_log_time and the like come from "
		       "s2_dirty)");
		return;
	}
	sc = rscale_for(most, "ns");
	short_cfg = rconfig_labels(s, cfgs, nc);
	f = dat_open(p, "dirtylog-ioctl", "per configuration and dirty-log call: per strategy "
		     "median CI-low CI-high");
	if (!f) {
		free_strv(short_cfg, nc);
		return;
	}
	for (m = 0; m < nrow; m++) {
		char *l;

		for (ci = 0; ci < nc && cfgs[ci] != row_cfg[m]; ci++)
			;
		l = nc > 1 ? rstrf("%s %s", short_cfg[ci], labels[row_m[m]]) :
			strdup(labels[row_m[m]]);
		dat_ci_row(f, s, l, prof, row_cfg[m], metrics[row_m[m]], hi, sc);
		free(l);
	}
	fclose(f);
	free_strv(short_cfg, nc);
	for (k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++)
		if (hi[k])
			keys_add(&keys, s->strategies[k], lo[k], hi[k]);
	vars = ci_vars(s, &keys, "time per pass", sc,
		       nc > 1 ? "configuration, dirty-log call" : "dirty-log call");
	cap = rstrf("Dirty-log cost per pass [%s]: the time of each dirty-log call (get: "
		    "KVM_GET_DIRTY_LOG, clear: KVM_CLEAR_DIRTY_LOG, ring-harvest: the ring's "
		    "harvest, ring-reset: KVM_RESET_DIRTY_RINGS) per configuration and strategy "
		    "(timed runs, n per strategy in the key; median, whiskers: bootstrap 95%% CI).",
		    prof);
	draw(p, "dirtylog-ioctl", "bars_ci.gp", "Dirty-log ioctl cost per pass", vars, cap, &keys);
}

/*
 * A dirty pass and its harvest (pass + KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG
 * where present, summed per rep) against the share of pages written per
 * pass, a line per strategy, a plot per family of s2_dirty configurations
 * that differ only in -w (per slot size and backing) and profile: where
 * harvesting the hardware's dirty state (hwdbm: a scan of every leaf) and
 * write-protection faults (one per page written) cross.
 */
static void plot_share(struct plotter *p)
{
	static const char *const title = "Cost per pass against share written";
	const struct rset *s = p->s;
	struct rshare_family *fam;
	size_t nf = rshare_families(s, &fam), fi, pi, k, i, drawn = 0;
	char id[32];

	for (pi = 0; pi < s->nprofiles; pi++)
		for (fi = 0; fi < nf; fi++) {
			const char *prof = s->profiles[pi];
			struct plot_keys keys = { 0 };
			struct rseries x;
			struct stats_summary sm;
			double most = 0;
			size_t nstr = 0;
			bool noci = false;
			struct rscale sc;
			char *vars, *cap;
			FILE *f;

			/* the scale first: the largest median of any strategy and share */
			for (k = 0; k < s->nstrategies; k++) {
				bool any = false;

				for (i = 0; i < fam[fi].n; i++)
					if (rseries_sum(s, prof, fam[fi].p[i].config, s->strategies[k],
							rpass_harvest, &x)) {
						most = fmax(most, stats_quantile(x.v, x.n, 0.5));
						any = true;
					}
				nstr += any;
			}
			if (nstr < 2)
				continue;
			snprintf(id, sizeof(id), "dirty-share-%zu", ++drawn);
			f = dat_open(p, id, "pass + log harvest against the share of pages written "
				     "per pass: one block per strategy: share (%) median CI-low CI-high");
			if (!f)
				continue;
			sc = rscale_for(most, "ns");
			for (k = 0; k < s->nstrategies; k++) {
				size_t lo = SIZE_MAX, hi = 0;
				bool any = false;

				for (i = 0; i < fam[fi].n; i++) {
					if (!rseries_sum(s, prof, fam[fi].p[i].config, s->strategies[k],
							 rpass_harvest, &x))
						continue;
					if (!any)
						fprintf(f, "# %s\n", s->strategies[k]);
					any = true;
					lo = x.n < lo ? x.n : lo;
					hi = x.n > hi ? x.n : hi;
					stats_summarise(x.v, x.n, STATS_DEFAULT_SEED, &sm);
					noci |= !sm.has_ci;
					fprintf(f, "%d %.6g %.6g %.6g\n", fam[fi].p[i].share,
						sm.median / sc.div, (sm.has_ci ? sm.ci_lo : sm.median) / sc.div,
						(sm.has_ci ? sm.ci_hi : sm.median) / sc.div);
				}
				if (!any)
					continue;
				fputs("\n\n", f);
				keys_add(&keys, s->strategies[k], lo, hi);
			}
			fclose(f);
			vars = rstrf("names='%s'; slots='%s'; ylabel='pass + log harvest (%s%s): median, "
				     "95%% CI'; xlabel='pages written per pass (%%)'; xstep=10",
				     keys.names ?: "", keys.slots ?: "", sc.unit, rtime_unit(s, "ns"));
			cap = rstrf("%s: %s [%s]: a dirty pass and its log harvest (dirty.pass_time + "
				    "get_log_time + clear_log_time, or the ring's collect and reset, where the mode has them, summed per "
				    "rep) per strategy (timed runs, n per strategy in the key; median; "
				    "whiskers: bootstrap 95%% CI of the median%s). hwdbm harvests the "
				    "hardware's dirty state, scanning every leaf; the others take a "
				    "write-protection fault per page written.", title, fam[fi].label, prof,
				    noci ? "; none where n<6" : "");
			draw(p, id, "lines_ci.gp", title, vars, cap, &keys);
		}
	if (!drawn)
		finish(p, "dirty-share", NULL, NULL, title, NULL,
		       nf ? "no s2_dirty configurations that differ only in -w ran under two "
			    "strategies or more" :
			    "no two s2_dirty configurations differ only in the share written (-w); "
			    "bench/plans/hwdbm-crossover draws it");
	rshare_families_free(fam, nf);
}

static void plot_profiles(struct plotter *p)
{
	const struct rset *s = p->s;
	const char *cfg = NULL;
	size_t pi, k, ok = 0, lo[MAX_PLOTTED], hi[MAX_PLOTTED];
	struct plot_keys keys = { 0 };
	struct rscale sc;
	char *vars, *cap;
	FILE *f;

	if (s->nprofiles < 2) {
		char *w = rstrf("the run has one CPU profile (%s); a plan with `profile max "
				"neoverse-n1` draws it", s->nprofiles ? s->profiles[0] : "none");

		finish(p, "profiles", NULL, NULL, "CPU profiles side by side", NULL, w);
		free(w);
		return;
	}
	/* the first profile's headline configuration, if every profile has it */
	cfg = rheadline_dirty_config(s, s->profiles[0]);
	for (pi = 0; cfg && pi < s->nprofiles; pi++)
		for (k = 0; k < s->nstrategies; k++)
			if (rset_find(s, s->profiles[pi], cfg, s->strategies[k], rhl_pass[0])) {
				ok++;
				break;
			}
	if (!cfg || ok < s->nprofiles) {
		finish(p, "profiles", NULL, NULL, "CPU profiles side by side", NULL,
		       "no s2_dirty configuration has dirty pass times on every profile");
		return;
	}
	sc = scale_of_max(s, rhl_pass[0], "ns");
	/* a cluster per profile, a bar per strategy: each strategy in its colour */
	for (k = 0; k < s->nstrategies && k < MAX_PLOTTED; k++) {
		lo[k] = SIZE_MAX;
		hi[k] = 0;
		for (pi = 0; pi < s->nprofiles; pi++)
			n_range(rset_find(s, s->profiles[pi], cfg, s->strategies[k], rhl_pass[0]),
				&lo[k], &hi[k]);
		if (hi[k])
			keys_add(&keys, s->strategies[k], lo[k], hi[k]);
	}
	f = dat_open(p, "profiles", "per profile: per strategy dirty pass median CI-low CI-high");
	if (!f) {
		keys_free(&keys);
		return;
	}
	for (pi = 0; pi < s->nprofiles; pi++)
		dat_ci_row(f, s, s->profiles[pi], s->profiles[pi], cfg, rhl_pass[0], hi, sc);
	fclose(f);
	vars = ci_vars(s, &keys, "dirty pass time", sc, "CPU profile");
	cap = rstrf("The CPU profiles side by side: dirty pass time per strategy, %s (timed runs, "
		    "n per strategy in the key; median; whiskers: bootstrap 95%% CI). neoverse-n1 "
		    "has no S2FWB (every stage-2 fault cleans the data cache) and no range TLBI.",
		    cfg);
	draw(p, "profiles", "bars_ci.gp", "CPU profiles side by side", vars, cap, &keys);
}

void rplot_all(struct rdoc *d, const struct rset *s, const struct rplot_opts *o)
{
	static const char *const lock_metrics[] = { "collector.mmu_lock.read_wait_time",
						    "collector.mmu_lock.write_wait_time", NULL };
	static const char *const lock_labels[] = { "read", "write" };
	static const char *const tlbi_metrics[] = { "collector.tlbi.vmid", "collector.tlbi.ipa",
						    "collector.tlbi.ipa_local", "collector.tlbi.range",
						    NULL };
	static const char *const tlbi_labels[] = { "vmid", "ipa", "ipa_local", "range" };
	struct plotter p = { .s = s, .o = o, .d = d };
	char probe[4200];

	rdoc_heading(d, 2, "plots", "Plots");
	snprintf(p.dir, sizeof(p.dir), "%s/plots", s->run.dir);
	if (!o->draw) {
		rdoc_para(d, "Not drawn: s2bench report ran with --no-plots.");
		return;
	}
	if (mkdir(p.dir, 0755) && errno != EEXIST) {
		rdoc_para(d, "Not drawn: cannot create %s: %s.", p.dir, strerror(errno));
		return;
	}
	snprintf(probe, sizeof(probe), "%s/common.gp", o->plots_dir);
	if (access(probe, R_OK)) {
		snprintf(p.broken_buf, sizeof(p.broken_buf), "no gnuplot scripts in %s (--plots-dir)",
			 o->plots_dir);
		p.broken = p.broken_buf;
	}
	snprintf(probe, sizeof(probe), "%s/gnuplot.log", p.dir);
	unlink(probe);
	rdoc_para(d, "Each plot's data is beside it in plots/ID.dat; gnuplot's messages are in "
		  "plots/gnuplot.log.");

	plot_fault_latency(&p);
	plot_dirty_pass(&p);
	plot_vcpus(&p);
	plot_collector_bars(&p, "mmu-lock", "mmu_lock wait per run by mode", "mmu_lock", lock_metrics,
			    lock_labels, "wait for", false);
	plot_collector_bars(&p, "tlbi", "TLBIs per run by kind", "tlbi", tlbi_metrics, tlbi_labels,
			    "TLBI kind", true);
	plot_ioctl(&p);
	plot_share(&p);
	plot_profiles(&p);
}
