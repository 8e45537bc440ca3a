// SPDX-License-Identifier: GPL-2.0
/*
 * Plans: parsing, checking and expansion into cells (bench/README.md).
 *
 * A plan is checked completely before anything runs: a typo found after an
 * hour of cells is an hour lost, so every value is validated here as the
 * workload would, and a plan that passes `plan check` only fails at run
 * time for what the machine cannot do.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <jansson.h>

#include "plan.h"
#include "s2bench.h"
#include "s2parse.h"
#include "s2strategy.h"
#include "s2wl_spec.h"

#define MANIFEST_SCHEMA "s2perf.manifest/1"
#define ENV_SCHEMA "s2perf.env/1"
#define MAX_TOKENS 256

static const char *const key_names[NR_PLAN_KEYS] = {
	[PK_TARGET] = "target", [PK_PROFILE] = "profile", [PK_FLAVOUR] = "flavour",
	[PK_KVM] = "kvm", [PK_STRATEGIES] = "strategies", [PK_REPS] = "reps",
	[PK_COLLECT] = "collect", [PK_COLLECTOR] = "collector", [PK_ORDER] = "order",
	[PK_SEED] = "seed", [PK_TIMEOUT] = "timeout",
	[PK_CPUS] = "cpus", [PK_MEMORY] = "memory", [PK_WORKLOAD] = "workload",
	[PK_CLOCK] = "clock", [PK_KERNEL] = "kernel", [PK_FAULT_TIMING] = "fault_timing",
	[PK_HW_ACCESS] = "hw_access",
};

static const char *const strategy_names[] = { S2_STRATEGY_NAMES };
/* What a plan may list: the kernel's strategies and "select none". */
static const char *const plan_strategy_names[] = { S2_STRATEGY_NAMES, S2_STRATEGY_UPSTREAM };
static const char *const profile_names[] = { "max", "neoverse-n1" };
static const char *const flavour_names[] = { "default", "debug", "kasan" };
static const char *const kvm_names[] = { "vhe", "nvhe" };
static const char *const collector_names[] = { "default", "detail", "bpftrace" };
static const char *const order_names[] = { "sequential", "interleaved" };
static const char *const target_names[] = { "qemu", "host" };
static const char *const clock_names[] = { "icount", "realtime" };
static const char *const onoff_names[] = { "on", "off" };
#define IN(v, names) in_list(v, names, sizeof(names) / sizeof(names[0]))

static bool in_list(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, names[i]))
			return true;
	return false;
}

/*
 * --target, --flavour, --clock: @v in place of the plan's value, if it is
 * one of @names (else "OPT: 'V' is not CHOICES" in @err, and false).
 */
static bool override_one(char **field, const char *opt, const char *v, const char *const *names,
			 size_t n, const char *choices, char *err, size_t errlen)
{
	if (!in_list(v, names, n)) {
		snprintf(err, errlen, "%s: '%s' is not %s", opt, v, choices);
		return false;
	}
	free(*field);
	*field = xstrdup(v);
	return true;
}
#define OVERRIDE(field, opt, v, names, choices) \
	override_one(field, opt, v, names, sizeof(names) / sizeof(names[0]), choices, err, errlen)

/* An option's error from a key's parser: "--profile:0: ..." reads oddly, "--profile: ..." */
static void as_option_err(char *err)
{
	char *colon = strstr(err, ":0: ");

	if (colon)
		memmove(colon + 1, colon + 3, strlen(colon + 3) + 1);
}

/* ---- errors ---- */

struct ctx {
	const char *file;
	int line;
	char *err;
	size_t errlen;
};

static bool __attribute__((format(printf, 2, 3))) fail(struct ctx *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s", c->file, c->line, msg);
	return false;
}

/* ---- values ---- */

/*
 * Plan values become words of a command line that busybox sh splits on
 * spaces without quoting: nothing that sh or a glob would interpret.
 */
static bool safe_word(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._:+/=,-", *s)))
			return false;
	return true;
}

static bool parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (!*s || *s == '+' || (*s == '-' && min >= 0))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_ull(const char *s, unsigned long long *out)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/*
 * Split a list value ("1,2,4") into @out (a list key may also give its
 * elements as separate words: both are joined first). No element may be
 * empty or repeated.
 */
static bool split_list(struct ctx *c, const char *what, const char *s, char ***out, size_t *n)
{
	char *copy = xstrdup(s), *p = copy, *comma;
	size_t cap = 1;

	for (const char *q = s; *q; q++)
		cap += *q == ',';
	*out = xcalloc(cap, sizeof(char *));
	*n = 0;
	for (;;) {
		comma = strchr(p, ',');
		if (comma)
			*comma = 0;
		if (!*p) {
			free(copy);
			return fail(c, "%s: empty list element in '%s'", what, s);
		}
		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*out)[i], p)) {
				fail(c, "%s: '%s' is listed twice", what, p);
				free(copy);
				return false;
			}
		(*out)[(*n)++] = xstrdup(p);
		if (!comma)
			break;
		p = comma + 1;
	}
	free(copy);
	return true;
}

/* ---- the plan ---- */

/* What a plan may run: the workload spec's (common/s2workloads.def) with S2WL_PLAN. */
static const struct s2wl_spec *plan_workload_spec(const char *name)
{
	const struct s2wl_spec *spec = s2wl_spec_find(name);

	return spec && (spec->flags & S2WL_PLAN) ? spec : NULL;
}

static bool parse_workload(struct ctx *c, struct plan *p, char **tok, int ntok)
{
	const struct s2wl_spec *spec;
	const struct s2wl_opt *opt;
	struct plan_workload *w;
	char names[256], err[512];
	uint64_t parsed;
	int i;

	s2wl_spec_names(S2WL_PLAN, " ", names, sizeof(names));
	if (ntok < 2)
		return fail(c, "workload: no workload named (one of %s)", names);
	spec = plan_workload_spec(tok[1]);
	if (!spec)
		return fail(c, "unknown workload '%s' (%s)", tok[1], names);
	p->wls = realloc(p->wls, (p->nwls + 1) * sizeof(*p->wls));
	if (!p->wls)
		return fail(c, "out of memory");
	w = &p->wls[p->nwls++];
	memset(w, 0, sizeof(*w));
	w->line = c->line;
	w->name = spec->name;
	w->opts = xcalloc(ntok, sizeof(*w->opts));
	for (i = 2; i < ntok; i += 2) {
		const char *o = tok[i];
		struct plan_opt *po;
		char letter;

		if (!strncmp(o, "--", 2))
			return fail(c, "'%s': give options in their short form (-v 2)", o);
		if (o[0] != '-' || !o[1] || o[2])
			return fail(c, "'%s' is not an option (one letter after '-', then its value)", o);
		letter = o[1];
		opt = s2wl_spec_opt(spec, letter);
		if (opt && opt->harness)
			return fail(c, "-%c is set by the harness (%s)", letter, opt->harness);
		if (!opt)
			return fail(c, "%s has no option -%c", spec->name, letter);
		for (size_t k = 0; k < w->nopts; k++)
			if (w->opts[k].letter == letter)
				return fail(c, "-%c is given twice", letter);
		if (i + 1 >= ntok)
			return fail(c, "-%c needs a value", letter);
		po = &w->opts[w->nopts++];
		po->letter = letter;
		if (opt->kind == S2WL_CPUS || opt->kind == S2WL_NAMES) {
			/* A CPU or name list is one value: its commas are the workload's. */
			po->vals = xcalloc(1, sizeof(char *));
			po->vals[0] = xstrdup(tok[i + 1]);
			po->nvals = 1;
		} else {
			char what[8];

			snprintf(what, sizeof(what), "-%c", letter);
			if (!split_list(c, what, tok[i + 1], &po->vals, &po->nvals))
				return false;
		}
		for (size_t k = 0; k < po->nvals; k++) {
			/* A flag (s2_upstream -g): on or off in a plan, so it can be swept. */
			if (opt->kind == S2WL_FLAG) {
				if (strcmp(po->vals[k], "on") && strcmp(po->vals[k], "off"))
					return fail(c, "-%c is a flag: on or off, not '%s'", letter,
						    po->vals[k]);
				continue;
			}
			if (s2wl_opt_check(opt, po->vals[k], &parsed, err, sizeof(err)))
				return fail(c, "%s", err);
		}
	}
	return true;
}

/* A list key: its words, each of which may itself be a comma list. */
static bool parse_list_key(struct ctx *c, const char *key, char **tok, int ntok,
			   const char *const *names, size_t nnames, char ***out, size_t *n)
{
	size_t len = 1;
	char *joined;
	bool ok;

	if (ntok < 2)
		return fail(c, "%s: empty list", key);
	for (int i = 1; i < ntok; i++)
		len += strlen(tok[i]) + 1;
	joined = xcalloc(len, 1);
	for (int i = 1; i < ntok; i++) {
		if (i > 1)
			strcat(joined, ",");
		strcat(joined, tok[i]);
	}
	ok = split_list(c, key, joined, out, n);
	free(joined);
	if (!ok)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (!in_list((*out)[i], names, nnames)) {
			char all[128] = "";

			for (size_t k = 0; k < nnames; k++)
				snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s",
					 k ? ", " : "", names[k]);
			return fail(c, "%s: '%s' is not one of %s", key, (*out)[i], all);
		}
	return true;
}

/*
 * Why @spec is not a kernel spec (target/common.sh's spec_error(), which
 * the build checks again with the files at hand), or NULL.
 */
static const char *kernel_spec_error(const char *spec, char *buf, size_t len)
{
	const char *plus, *base_end;
	size_t blen;

	if (!strncmp(spec, "image:", 6))
		return spec[6] ? NULL : "image: wants a directory (image:DIR)";
	if (!strncmp(spec, "tree:", 5))
		return spec[5] ? NULL : "tree: wants a git checkout (tree:DIR or tree:DIR@REV)";
	plus = strchr(spec, '+');
	base_end = plus ? plus : spec + strlen(spec);
	blen = base_end - spec;
	if (plus && !plus[1])
		return "nothing after '+' (a directory of patches or an mbox)";
	if ((blen == 6 && !strncmp(spec, "series", 6)) ||
	    (blen == 8 && !strncmp(spec, "upstream", 8)))
		return NULL;
	if (blen > 7 && !strncmp(spec, "series:", 7)) {
		for (const char *q = spec + 7; q < base_end; q++)
			if (*q < '0' || *q > '9') {
				snprintf(buf, len, "series:N wants a patch count, not '%.*s'",
					 (int)(base_end - spec - 7), spec + 7);
				return buf;
			}
		return base_end - spec - 7 > 4 ? "series:N: too many patches" : NULL;
	}
	if (blen >= 7 && !strncmp(spec, "debian:", 7)) {
		/* debian:V, V a version such as 6.1 (the package linux-source-V) */
		const char *q = spec + 7;
		int dots = 0, digits = 0;

		for (; q < base_end; q++) {
			if (*q == '.' && digits) {
				dots++;
				digits = 0;
			} else if (*q >= '0' && *q <= '9') {
				digits++;
			} else {
				break;
			}
		}
		if (q == base_end && dots == 1 && digits)
			return NULL;
		snprintf(buf, len, "'%.*s': debian:V wants a kernel version such as 6.1 "
			 "(the package linux-source-V), not '%.*s'", (int)blen, spec,
			 (int)(blen - 7), spec + 7);
		return buf;
	}
	snprintf(buf, len, "'%s' is not a kernel (series, series:N, upstream, debian:V, "
		 "BASE+PATCHES, image:DIR, tree:DIR[@REV])", spec);
	return buf;
}

/* kernel SPEC...: one run per kernel (bench/run-kernels.sh compares them). */
static bool parse_kernels(struct ctx *c, char **vals, int nvals, char ***out, size_t *n)
{
	char why[256];
	const char *e;

	if (nvals < 1)
		return fail(c, "kernel: empty list");
	*out = xcalloc(nvals, sizeof(char *));
	*n = 0;
	for (int i = 0; i < nvals; i++) {
		e = kernel_spec_error(vals[i], why, sizeof(why));
		if (e)
			return fail(c, "kernel: %s", e);
		for (size_t k = 0; k < *n; k++)
			if (!strcmp((*out)[k], vals[i]))
				return fail(c, "kernel: '%s' is listed twice", vals[i]);
		(*out)[(*n)++] = xstrdup(vals[i]);
	}
	return true;
}

static bool one_value(struct ctx *c, const char *key, int ntok)
{
	if (ntok != 2)
		return fail(c, "%s takes one value, not %d", key, ntok - 1);
	return true;
}

/* KEY N, a whole number from @lo to @hi; @what says what it counts. */
static bool count_value(struct ctx *c, char **tok, int ntok, long long lo, long long hi,
			const char *what, long long *n)
{
	if (!one_value(c, tok[0], ntok))
		return false;
	if (!parse_ll(tok[1], LLONG_MIN, LLONG_MAX, n) || *n < lo || *n > hi)
		return fail(c, "%s: '%s' is not %s (%lld-%lld)", tok[0], tok[1], what, lo, hi);
	return true;
}

static bool parse_line(struct ctx *c, struct plan *p, char **tok, int ntok)
{
	long long n = 0;	/* set by count_value(); gcc cannot tell */
	int k;

	for (k = 0; k < NR_PLAN_KEYS; k++)
		if (!strcmp(tok[0], key_names[k]))
			break;
	if (k == NR_PLAN_KEYS)
		return fail(c, "unknown key '%s' (target profile flavour kvm strategies reps "
			    "collect collector order clock kernel fault_timing hw_access seed timeout cpus memory "
			    "workload)", tok[0]);
	if (k != PK_WORKLOAD && p->key_line[k])
		return fail(c, "%s is set twice (first on line %d)", tok[0], p->key_line[k]);
	p->key_line[k] = c->line;

	switch (k) {
	case PK_TARGET:
	case PK_FLAVOUR:
	case PK_KVM:
	case PK_CLOCK:
	case PK_FAULT_TIMING:
	case PK_HW_ACCESS:
	case PK_ORDER: {
		char **dst = k == PK_TARGET ? &p->target : k == PK_FLAVOUR ? &p->flavour :
			     k == PK_KVM ? &p->kvm : k == PK_CLOCK ? &p->clock :
			     k == PK_FAULT_TIMING ? &p->fault_timing :
			     k == PK_HW_ACCESS ? &p->hw_access : &p->order;

		if (!one_value(c, tok[0], ntok))
			return false;
		if ((k == PK_TARGET && !IN(tok[1], target_names)) ||
		    (k == PK_FLAVOUR && !IN(tok[1], flavour_names)) ||
		    (k == PK_KVM && !IN(tok[1], kvm_names)) ||
		    (k == PK_CLOCK && !IN(tok[1], clock_names)) ||
		    ((k == PK_FAULT_TIMING || k == PK_HW_ACCESS) && !IN(tok[1], onoff_names)) ||
		    (k == PK_ORDER && !IN(tok[1], order_names)))
			return fail(c, "%s: '%s' is not one of %s", tok[0], tok[1],
				    k == PK_TARGET ? "qemu, host" :
				    k == PK_FLAVOUR ? "default, debug, kasan" :
				    k == PK_KVM ? "vhe, nvhe" :
				    k == PK_CLOCK ? "icount, realtime" :
				    k == PK_FAULT_TIMING || k == PK_HW_ACCESS ? "on, off" :
				    "sequential, interleaved");
		free(*dst);
		*dst = xstrdup(tok[1]);
		return true;
	}
	case PK_PROFILE:
		return parse_list_key(c, "profile", tok, ntok, profile_names, 2,
				      &p->profiles, &p->nprofiles);
	case PK_COLLECTOR:
		return parse_list_key(c, "collector", tok, ntok, collector_names,
				      sizeof(collector_names) / sizeof(collector_names[0]),
				      &p->collectors, &p->ncollectors);
	case PK_STRATEGIES:
		return parse_list_key(c, "strategies", tok, ntok, plan_strategy_names,
				      S2_NR_STRATEGIES + 1, &p->strategies, &p->nstrategies);
	case PK_KERNEL:
		return parse_kernels(c, tok + 1, ntok - 1, &p->kernels, &p->nkernels);
	case PK_REPS:
	case PK_COLLECT:
	case PK_TIMEOUT:
	case PK_CPUS: {
		long *dst = k == PK_REPS ? &p->reps : k == PK_COLLECT ? &p->collect :
			    k == PK_TIMEOUT ? &p->timeout : &p->cpus;

		if (!count_value(c, tok, ntok, k == PK_COLLECT ? 0 : 1,
				 k == PK_TIMEOUT ? 86400 : k == PK_CPUS ? 8 : 10000,
				 k == PK_TIMEOUT ? "a number of seconds" :
				 k == PK_CPUS ? "a number of emulated CPUs" : "a count of repetitions",
				 &n))
			return false;
		*dst = n;
		return true;
	}
	case PK_SEED:
		if (!one_value(c, tok[0], ntok))
			return false;
		if (!parse_ull(tok[1], &p->seed))
			return fail(c, "seed: '%s' is not a non-negative number", tok[1]);
		return true;
	case PK_MEMORY: {
		const char *s = tok[1];
		size_t i = 0;

		if (!one_value(c, tok[0], ntok))
			return false;
		while (s[i] >= '0' && s[i] <= '9')
			i++;
		if (!i || s[0] == '0' || (s[i] && (s[i + 1] || (s[i] != 'M' && s[i] != 'G'))))
			return fail(c, "memory: '%s' is not a size such as 2G or 1536M", s);
		free(p->memory);
		p->memory = xstrdup(s);
		return true;
	}
	case PK_WORKLOAD:
		return parse_workload(c, p, tok, ntok);
	}
	return fail(c, "unknown key '%s'", tok[0]);
}

static void set_default(char **dst, const char *v)
{
	if (!*dst)
		*dst = xstrdup(v);
}

bool plan_load(const char *file, const struct plan_overrides *ov, struct plan *p,
	       char *err, size_t errlen)
{
	struct ctx c = { .file = file, .err = err, .errlen = errlen };
	char *line = NULL, *tok[MAX_TOKENS], *base;
	size_t cap = 0;
	bool ok = true;
	FILE *f;

	memset(p, 0, sizeof(*p));
	p->file = xstrdup(file);
	p->reps = 5;
	p->collect = 0;
	p->seed = 1;
	p->timeout = 300;
	p->cpus = 2;

	base = strrchr(file, '/');
	p->name = xstrdup(base ? base + 1 : file);
	if (!*p->name || !safe_word(p->name) || strchr(p->name, ',') || strchr(p->name, '=') ||
	    p->name[0] == '.' || p->name[0] == '-') {
		snprintf(err, errlen, "%s: a plan's file name is its run's name: letters, digits, "
			 "'.', '_', '-' only", file);
		return false;
	}
	f = fopen(file, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return false;
	}
	while (ok && getline(&line, &cap, f) != -1) {
		char *hash = strchr(line, '#'), *s, *save;
		int ntok = 0;

		c.line++;
		if (hash)
			*hash = 0;
		for (s = strtok_r(line, " \t\r\n", &save); s; s = strtok_r(NULL, " \t\r\n", &save)) {
			if (ntok == MAX_TOKENS) {
				ok = fail(&c, "more than %d words on one line", MAX_TOKENS);
				break;
			}
			if (!safe_word(s)) {
				ok = fail(&c, "'%s': plan words are letters, digits and ._:+/=,- "
					  "(no quotes, spaces or shell characters)", s);
				break;
			}
			tok[ntok++] = s;
		}
		if (ok && ntok)
			ok = parse_line(&c, p, tok, ntok);
	}
	free(line);
	if (ok && ferror(f)) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		ok = false;
	}
	fclose(f);
	p->last_line = c.line;
	if (!ok)
		return false;

	/* Whole-plan checks; "line" is where the key was, or the end. */
	c.line = p->last_line ? p->last_line : 1;
	if (!p->nwls)
		return fail(&c, "no workload line: a plan runs at least one workload");
	if (p->key_line[PK_HW_ACCESS]) {
		/* One setting or the other: a workload's -a would win unseen. */
		for (size_t w = 0; w < p->nwls; w++) {
			const struct s2wl_spec *spec = s2wl_spec_find(p->wls[w].name);

			for (size_t o = 0; o < p->wls[w].nopts; o++) {
				char l = p->wls[w].opts[o].letter;
				const struct s2wl_opt *opt = s2wl_spec_opt(spec, l);

				if (opt && opt->param && !strcmp(opt->param, "hw_access")) {
					c.line = p->wls[w].line;
					return fail(&c, "-%c (hardware access flag, per VM) and the "
						    "key hw_access (line %d) both set it: keep one",
						    l, p->key_line[PK_HW_ACCESS]);
				}
			}
		}
	}
	if (ov && ov->target) {
		if (!OVERRIDE(&p->target, "--target", ov->target, target_names, "qemu or host"))
			return false;
	} else if (p->target && !strcmp(p->target, "host")) {
		/* Said in the plan itself: the emulator's keys there are a mistake. */
		static const enum plan_key qemu_only[] = { PK_PROFILE, PK_FLAVOUR, PK_KVM,
							   PK_CPUS, PK_MEMORY };

		if (p->clock && strcmp(p->clock, "realtime")) {
			c.line = p->key_line[PK_CLOCK];
			return fail(&c, "clock %s is the emulator's; target host has only "
				    "realtime", p->clock);
		}

		for (size_t i = 0; i < sizeof(qemu_only) / sizeof(qemu_only[0]); i++)
			if (p->key_line[qemu_only[i]]) {
				c.line = p->key_line[qemu_only[i]];
				return fail(&c, "%s is for target qemu; target host runs on this "
					    "machine's CPU and kernel", key_names[qemu_only[i]]);
			}
	}
	set_default(&p->target, "qemu");
	if (ov && (ov->profiles || ov->flavour) && !strcmp(p->target, "host")) {
		snprintf(err, errlen, "%s: target host has no %s (it runs on this machine's CPU "
			 "and kernel)", ov->profiles ? "--profile" : "--flavour",
			 ov->profiles ? "CPU profiles" : "kernel flavours");
		return false;
	}
	if (ov && ov->clock) {
		if (!OVERRIDE(&p->clock, "--clock", ov->clock, clock_names, "icount or realtime"))
			return false;
		if (!strcmp(p->target, "host") && strcmp(ov->clock, "realtime")) {
			snprintf(err, errlen, "--clock: target host has only realtime");
			return false;
		}
	}
	/*
	 * A plan for the emulator run on a host (--target host) keeps its
	 * workloads but a host has one clock.  The emulator's default is the
	 * deterministic one: its verdicts do not drift between boots.
	 */
	if (!strcmp(p->target, "host")) {
		free(p->clock);
		p->clock = xstrdup("realtime");
	}
	set_default(&p->clock, "icount");
	if (ov && ov->kernel) {
		struct ctx oc = { .file = "--kernel", .err = err, .errlen = errlen };
		char *kv[1] = { (char *)ov->kernel };

		free_strv(p->kernels, p->nkernels);
		p->kernels = NULL;
		p->nkernels = 0;
		if (!parse_kernels(&oc, kv, 1, &p->kernels, &p->nkernels)) {
			as_option_err(err);
			return false;
		}
		p->key_line[PK_KERNEL] = -1;
	}
	if (!strcmp(p->target, "host") && p->key_line[PK_KERNEL]) {
		if (p->key_line[PK_KERNEL] < 0)
			snprintf(err, errlen, "--kernel: target host runs this machine's kernel");
		else
			snprintf(err, errlen, "%s:%d: kernel is for target qemu; target host runs "
				 "this machine's kernel", p->file, p->key_line[PK_KERNEL]);
		return false;
	}
	if (!p->nkernels) {
		p->kernels = xcalloc(1, sizeof(char *));
		p->kernels[0] = xstrdup(!strcmp(p->target, "host") ? "running" : "series");
		p->nkernels = 1;
	}
	set_default(&p->fault_timing, "on");
	set_default(&p->hw_access, "on");
	if (ov && ov->flavour &&
	    !OVERRIDE(&p->flavour, "--flavour", ov->flavour, flavour_names, "default, debug or kasan"))
		return false;
	if (ov && ov->profiles) {
		struct ctx oc = { .file = "--profile", .err = err, .errlen = errlen };
		char *tv[2] = { "profile", (char *)ov->profiles };

		free_strv(p->profiles, p->nprofiles);
		p->profiles = NULL;
		p->nprofiles = 0;
		if (!safe_word(ov->profiles)) {
			snprintf(err, errlen, "--profile: not a list of profiles such as "
				 "max,neoverse-n1 (letters, digits, ',' and '-')");
			return false;
		}
		if (!parse_list_key(&oc, "profile", tv, 2, profile_names, 2,
				    &p->profiles, &p->nprofiles)) {
			as_option_err(err);
			return false;
		}
	}
	set_default(&p->flavour, "default");
	set_default(&p->kvm, "vhe");
	set_default(&p->order, "sequential");
	set_default(&p->memory, "2G");
	if (!strcmp(p->target, "host")) {
		/* One "profile" on a host: the machine itself. */
		free_strv(p->profiles, p->nprofiles);
		p->profiles = xcalloc(1, sizeof(char *));
		p->profiles[0] = xstrdup("host");
		p->nprofiles = 1;
	} else if (!p->nprofiles) {
		p->profiles = xcalloc(1, sizeof(char *));
		p->profiles[0] = xstrdup("max");
		p->nprofiles = 1;
	}
	if (!p->ncollectors) {
		p->collectors = xcalloc(1, sizeof(char *));
		p->collectors[0] = xstrdup("default");
		p->ncollectors = 1;
	}
	if (!p->nstrategies) {
		p->strategies = xcalloc(S2_NR_STRATEGIES, sizeof(char *));
		for (int i = 0; i < S2_NR_STRATEGIES; i++)
			p->strategies[i] = xstrdup(strategy_names[i]);
		p->nstrategies = S2_NR_STRATEGIES;
	}
	return true;
}

void plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->nwls; i++) {
		for (size_t k = 0; k < p->wls[i].nopts; k++) {
			for (size_t v = 0; v < p->wls[i].opts[k].nvals; v++)
				free(p->wls[i].opts[k].vals[v]);
			free(p->wls[i].opts[k].vals);
		}
		free(p->wls[i].opts);
	}
	free(p->wls);
	free_strv(p->profiles, p->nprofiles);
	free_strv(p->strategies, p->nstrategies);
	free(p->file);
	free(p->name);
	free(p->target);
	free(p->flavour);
	free(p->clock);
	free_strv(p->kernels, p->nkernels);
	free(p->fault_timing);
	free(p->hw_access);
	free(p->kvm);
	free_strv(p->collectors, p->ncollectors);
	free(p->order);
	free(p->memory);
	memset(p, 0, sizeof(*p));
}

/* ---- expansion ---- */

/* splitmix64: independent-looking seeds for (plan seed, profile, rep). */
static unsigned long mix_seed(unsigned long long seed, size_t profile, long rep)
{
	unsigned long long x = seed ^ (profile * 0xd1b54a32d192ed03ull) ^
			       ((unsigned long long)rep * 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (unsigned long)(x ^ (x >> 31));
}

/* A configuration's value of option -@letter (s2wl_spec_needs()), NULL if not given. */
struct config_pick {
	const struct plan_workload *w;
	const size_t *pick;
};

static const char *config_value(char letter, void *ctx)
{
	const struct config_pick *cp = ctx;

	for (size_t k = 0; k < cp->w->nopts; k++)
		if (cp->w->opts[k].letter == letter)
			return cp->w->opts[k].vals[cp->pick[k]];
	return NULL;
}

/* @seen: config -> its line, so a repeat is found without comparing every pair */
static bool add_config(struct ctx *c, struct plan_expansion *x, const struct plan_workload *w,
		       const size_t *pick, json_t *seen)
{
	const struct s2wl_spec *spec = plan_workload_spec(w->name);
	struct config_pick cp = { w, pick };
	struct plan_config *cfg;
	size_t len = strlen(w->name) + 1, k;
	char err[256];

	for (k = 0; k < w->nopts; k++)
		len += 4 + strlen(w->opts[k].vals[pick[k]]);
	cfg = &x->configs[x->nconfigs];
	memset(cfg, 0, sizeof(*cfg));
	cfg->line = w->line;
	cfg->workload = w->name;
	cfg->config = xcalloc(len + 1, 1);
	cfg->args = xcalloc(2 * w->nopts, sizeof(char *));
	cfg->params = json_object();
	strcpy(cfg->config, w->name);
	for (k = 0; k < w->nopts; k++) {
		const struct s2wl_opt *opt = s2wl_spec_opt(spec, w->opts[k].letter);
		const char *v = w->opts[k].vals[pick[k]];
		char flag[3] = { '-', w->opts[k].letter, 0 };

		if (opt->kind == S2WL_FLAG) {
			/* on: the flag alone; off: nothing */
			if (!strcmp(v, "on")) {
				sprintf(cfg->config + strlen(cfg->config), " %s", flag);
				cfg->args[cfg->nargs++] = xstrdup(flag);
			}
			continue;
		}
		sprintf(cfg->config + strlen(cfg->config), " %s %s", flag, v);
		cfg->args[cfg->nargs++] = xstrdup(flag);
		cfg->args[cfg->nargs++] = xstrdup(v);
		if (opt->param)
			json_object_set_new(cfg->params, opt->param, json_string(v));
	}
	x->nconfigs++;
	c->line = w->line;
	/* What the workload refuses of its options together (s2_unmap -m mprotect). */
	if (s2wl_spec_needs(spec, config_value, &cp, err, sizeof(err)))
		return fail(c, "%s: %s", cfg->config, err);
	if (json_object_get(seen, cfg->config))
		return fail(c, "%s: the same configuration as line %d", cfg->config,
			    (int)json_integer_value(json_object_get(seen, cfg->config)));
	json_object_set_new(seen, cfg->config, json_integer(cfg->line));
	return true;
}

/*
 * The mode of the collected reps of tier @t: "collected" when the plan
 * names one s2collect tier (as before tiers could be listed), else
 * "collected-<tier>" for each s2collect tier, and "bpftrace" (no collector
 * document, the workload's own figures only) for bpftrace.
 */
static const char *tier_mode(const struct plan *p, size_t t)
{
	if (!strcmp(p->collectors[t], "bpftrace"))
		return "bpftrace";
	if (p->ncollectors == 1)
		return "collected";
	return !strcmp(p->collectors[t], "detail") ? "collected-detail" : "collected-default";
}

/* Group g of a round: 0 the timed rep, 1 + t the reps of tier t. */
static void set_cell(const struct plan *p, struct plan_expansion *x, struct plan_cell *cell,
		     size_t pr, size_t g, long r, size_t o)
{
	cell->rep = g ? p->reps + (long)(g - 1) * p->collect + r : r;
	cell->profile = p->profiles[pr];
	cell->mode = g ? tier_mode(p, g - 1) : "timed";
	cell->cfg = &x->configs[o / p->nstrategies];
	cell->strategy = p->strategies[o % p->nstrategies];
}

/*
 * order interleaved: round r runs timed rep r and rep r of every tier
 * (reps + r for the first, reps + collect + r for the second, ...), all
 * their cells in one shuffle, so that each tier's cost is measured against
 * bare runs made at the same time (drift lands on all alike) and the reps
 * of a cell can be compared round by round.
 */
static void interleave(const struct plan *p, struct plan_expansion *x, size_t per_rep,
		       gsl_rng *rng)
{
	long rounds = p->reps > p->collect ? p->reps : p->collect;
	size_t groups = 1 + p->ncollectors, n = 0;

	for (size_t pr = 0; pr < p->nprofiles; pr++) {
		for (long r = 1; r <= rounds; r++) {
			size_t m = 0, *order = xcalloc(groups * per_rep, sizeof(size_t));

			/* order[] = group * per_rep + (configuration, strategy) */
			for (size_t g = 0; g < groups; g++)
				for (size_t i = 0; i < per_rep; i++)
					if (r <= (g ? p->collect : p->reps))
						order[m++] = g * per_rep + i;
			gsl_rng_set(rng, mix_seed(p->seed, pr, r));
			gsl_ran_shuffle(rng, order, m, sizeof(size_t));
			for (size_t i = 0; i < m; i++) {
				struct plan_cell *cell = &x->cells[n];

				cell->index = ++n;
				set_cell(p, x, cell, pr, order[i] / per_rep, r, order[i] % per_rep);
			}
			free(order);
		}
	}
}

bool plan_expand(const struct plan *p, struct plan_expansion *x, char *err, size_t errlen)
{
	struct ctx c = { .file = p->file, .err = err, .errlen = errlen };
	size_t total = 0, i, k, per_rep, n = 0;
	long reps = p->reps + p->collect * (long)p->ncollectors;
	gsl_rng *rng;
	json_t *seen;

	memset(x, 0, sizeof(*x));
	for (i = 0; i < p->nwls; i++) {
		size_t prod = 1;

		for (k = 0; k < p->wls[i].nopts; k++) {
			prod *= p->wls[i].opts[k].nvals;
			if (prod > PLAN_MAX_CELLS) {
				c.line = p->wls[i].line;
				return fail(&c, "this line alone makes more than %d configurations",
					    PLAN_MAX_CELLS);
			}
		}
		total += prod;
	}
	per_rep = total * p->nstrategies;
	if (!per_rep || (double)per_rep * reps * p->nprofiles > PLAN_MAX_CELLS) {
		c.line = p->last_line ? p->last_line : 1;
		return fail(&c, "the plan expands to %.0f cells, more than %d",
			    (double)per_rep * reps * p->nprofiles, PLAN_MAX_CELLS);
	}

	x->configs = xcalloc(total, sizeof(*x->configs));
	seen = json_object();
	for (i = 0; i < p->nwls; i++) {
		const struct plan_workload *w = &p->wls[i];
		size_t *pick = xcalloc(w->nopts + 1, sizeof(size_t));
		bool ok = true;

		/* Odometer over the option lists; the last option turns fastest. */
		for (;;) {
			if (!(ok = add_config(&c, x, w, pick, seen)))
				break;
			for (k = w->nopts; k > 0; k--) {
				if (++pick[k - 1] < w->opts[k - 1].nvals)
					break;
				pick[k - 1] = 0;
			}
			if (k == 0)
				break;
		}
		free(pick);
		if (!ok) {
			json_decref(seen);
			plan_expansion_free(x);
			return false;
		}
	}
	json_decref(seen);

	x->ncells = per_rep * reps * p->nprofiles;
	x->cells = xcalloc(x->ncells, sizeof(*x->cells));
	rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!rng) {
		plan_expansion_free(x);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	if (!strcmp(p->order, "interleaved")) {
		interleave(p, x, per_rep, rng);
		gsl_rng_free(rng);
		return true;
	}
	for (size_t pr = 0; pr < p->nprofiles; pr++) {
		for (long rep = 1; rep <= reps; rep++) {
			/*
			 * One shuffle of every (configuration, strategy) per
			 * repetition: slow drift of the machine then lands on
			 * all strategies alike, and pairs stay within a rep.
			 */
			size_t *order = xcalloc(per_rep, sizeof(size_t));

			for (i = 0; i < per_rep; i++)
				order[i] = i;
			gsl_rng_set(rng, mix_seed(p->seed, pr, rep));
			gsl_ran_shuffle(rng, order, per_rep, sizeof(size_t));
			for (i = 0; i < per_rep; i++) {
				struct plan_cell *cell = &x->cells[n];

				cell->index = ++n;
				if (rep <= p->reps)
					set_cell(p, x, cell, pr, 0, rep, order[i]);
				else
					set_cell(p, x, cell, pr, 1 + (rep - p->reps - 1) / p->collect,
						 1 + (rep - p->reps - 1) % p->collect, order[i]);
			}
			free(order);
		}
	}
	gsl_rng_free(rng);
	return true;
}

void plan_expansion_free(struct plan_expansion *x)
{
	for (size_t i = 0; i < x->nconfigs; i++) {
		free(x->configs[i].config);
		free_strv(x->configs[i].args, x->configs[i].nargs);
		json_decref(x->configs[i].params);
	}
	free(x->configs);
	free(x->cells);
	memset(x, 0, sizeof(*x));
}

/* ---- the command ---- */

static void summary(FILE *f, const struct plan *p, const struct plan_expansion *x)
{
	long reps = p->reps + p->collect * (long)p->ncollectors;

	fprintf(f, "%s: %zu configuration%s x %zu strateg%s x %ld repetition%s (%ld timed, "
		"%ld collected%s) x %zu profile%s = %zu cells, timeout %ld s each, target %s",
		p->name, x->nconfigs, x->nconfigs == 1 ? "" : "s", p->nstrategies,
		p->nstrategies == 1 ? "y" : "ies", reps, reps == 1 ? "" : "s", p->reps,
		p->collect, p->ncollectors > 1 ? " per tier" : "", p->nprofiles,
		p->nprofiles == 1 ? "" : "s", x->ncells, p->timeout, p->target);
	if (!strcmp(p->target, "qemu"))
		fprintf(f, " (%s kernel, KVM %s, %ld CPUs, %s)", p->flavour,
			!strcmp(p->kvm, "vhe") ? "VHE" : "nVHE", p->cpus, p->memory);
	fprintf(f, ", clock %s", p->clock);
	if (strcmp(p->target, "host")) {
		fprintf(f, ", kernel ");
		for (size_t i = 0; i < p->nkernels; i++)
			fprintf(f, "%s%s", i ? (i + 1 == p->nkernels ? " and " : ", ") : "",
				p->kernels[i]);
		if (p->nkernels > 1)
			fprintf(f, " (one run each)");
	}
	if (strcmp(p->fault_timing, "on"))
		fprintf(f, ", fault timing off");
	if (strcmp(p->hw_access, "on"))
		fprintf(f, ", hardware access flag off");
	if (p->collect && p->ncollectors == 1 && !strcmp(p->collectors[0], "detail"))
		fprintf(f, "; collected reps in the collector's detail tier (s2collect --faults)");
	if (p->collect && (p->ncollectors > 1 || !strcmp(p->collectors[0], "bpftrace"))) {
		fprintf(f, "; collected reps under ");
		for (size_t t = 0; t < p->ncollectors; t++)
			fprintf(f, "%s%s (mode %s)", t ? t + 1 == p->ncollectors ? " and " : ", " : "",
				!strcmp(p->collectors[t], "bpftrace") ? "bpftrace bpf/s2faults.bt" :
				!strcmp(p->collectors[t], "detail") ? "s2collect --faults" : "s2collect",
				tier_mode(p, t));
	}
	if (p->collect && !strcmp(p->order, "interleaved"))
		fprintf(f, "; timed and collected reps interleaved");
	fputc('\n', f);
}

static char *cell_id(size_t index, size_t ncells)
{
	int width = 4;
	char buf[32];

	for (size_t n = ncells; n >= 10000; n /= 10)
		width++;
	snprintf(buf, sizeof(buf), "%0*zu", width, index);
	return xstrdup(buf);
}

static json_t *str_array(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static bool write_run(const char *run, const struct plan *p, const struct plan_expansion *x,
		      char *err, size_t errlen)
{
	json_t *m, *cells, *a;
	char path[4096], stamp[32], *text, *buf = NULL;
	size_t len = 0;
	time_t now = time(NULL);
	FILE *mem, *src;
	bool ok;

	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	m = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:o, s:o, s:I, s:s, s:I, s:I, s:I}",
		      "schema", MANIFEST_SCHEMA, "plan", p->name, "created", stamp,
		      "seed", (json_int_t)p->seed, "target", p->target, "flavour", p->flavour,
		      "kvm", p->kvm, "profiles", str_array(p->profiles, p->nprofiles),
		      "strategies", str_array(p->strategies, p->nstrategies),
		      "cpus", (json_int_t)p->cpus, "memory", p->memory,
		      "reps", (json_int_t)p->reps, "collect", (json_int_t)p->collect,
		      "timeout", (json_int_t)p->timeout);
	if (m) {
		json_object_set_new(m, "collector", json_string(p->collectors[0]));
		json_object_set_new(m, "collectors", str_array(p->collectors, p->ncollectors));
		json_object_set_new(m, "order", json_string(p->order));
		json_object_set_new(m, "clock", json_string(p->clock));
		json_object_set_new(m, "kernels", str_array(p->kernels, p->nkernels));
		json_object_set_new(m, "fault_timing", json_string(p->fault_timing));
		json_object_set_new(m, "hw_access", json_string(p->hw_access));
	}
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	a = json_array();
	for (size_t i = 0; i < x->nconfigs; i++)
		json_array_append_new(a, json_string(x->configs[i].config));
	json_object_set_new(m, "configs", a);
	cells = json_array();
	mem = open_memstream(&buf, &len);
	for (size_t i = 0; i < x->ncells; i++) {
		const struct plan_cell *cl = &x->cells[i];
		char *id = cell_id(cl->index, x->ncells);
		json_t *argv = json_array();

		json_array_append_new(argv, json_string(cl->cfg->workload));
		json_array_append_new(argv, json_string("-S"));
		json_array_append_new(argv, json_string(cl->strategy));
		for (size_t k = 0; k < cl->cfg->nargs; k++)
			json_array_append_new(argv, json_string(cl->cfg->args[k]));
		json_array_append_new(cells, json_pack("{s:s, s:i, s:s, s:i, s:s, s:s, s:s, s:s, s:O, s:o}",
			"id", id, "index", cl->index, "profile", cl->profile, "rep", cl->rep,
			"mode", cl->mode, "strategy", cl->strategy, "workload", cl->cfg->workload,
			"config", cl->cfg->config, "params", cl->cfg->params, "argv", argv));
		/* id, profile, rep, mode, timeout, then the command's words */
		fprintf(mem, "%s\t%s\t%d\t%s\t%ld\t%s -S %s", id, cl->profile, cl->rep, cl->mode,
			p->timeout, cl->cfg->workload, cl->strategy);
		for (size_t k = 0; k < cl->cfg->nargs; k++)
			fprintf(mem, " %s", cl->cfg->args[k]);
		fputc('\n', mem);
		free(id);
	}
	fclose(mem);
	json_object_set_new(m, "cells", cells);

	snprintf(path, sizeof(path), "%s/cells.txt", run);
	ok = write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	if (ok) {
		text = json_dumps(m, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		snprintf(path, sizeof(path), "%s/manifest.json", run);
		ok = text && write_file_atomic(path, text, strlen(text), err, errlen);
		if (text && ok) {
			/* json_dumps has no final newline; text tools like one. */
			FILE *f = fopen(path, "a");

			ok = f && fputc('\n', f) != EOF && !fclose(f);
		}
		free(text);
	}
	json_decref(m);
	if (!ok)
		return false;

	/* The plan as run, beside its expansion. */
	buf = NULL;
	len = 0;
	src = fopen(p->file, "r");
	mem = open_memstream(&buf, &len);
	if (src) {
		int ch;

		while ((ch = fgetc(src)) != EOF)
			fputc(ch, mem);
		fclose(src);
	}
	fclose(mem);
	snprintf(path, sizeof(path), "%s/plan", run);
	ok = src && write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	if (!ok)
		return false;

	/* What bench/run-plan.sh needs, without a JSON parser in shell. */
	buf = NULL;
	len = 0;
	mem = open_memstream(&buf, &len);
	fprintf(mem, "# written by s2bench plan expand; sourced by bench/run-plan.sh\n"
		"S2B_PLAN=%s\nS2B_TARGET=%s\nS2B_FLAVOUR=%s\nS2B_KVM=%s\nS2B_PROFILES='",
		p->name, p->target, p->flavour, p->kvm);
	for (size_t i = 0; i < p->nprofiles; i++)
		fprintf(mem, "%s%s", i ? " " : "", p->profiles[i]);
	fprintf(mem, "'\nS2B_CPUS=%ld\nS2B_MEMORY=%s\nS2B_TIMEOUT=%ld\nS2B_CELLS=%zu\nS2B_COLLECTOR=%s\n"
		"S2B_CLOCK=%s\nS2B_FAULT_TIMING=%s\nS2B_HW_ACCESS=%s\nS2B_KERNELS='", p->cpus, p->memory,
		p->timeout, x->ncells, p->collectors[0], p->clock, p->fault_timing, p->hw_access);
	for (size_t i = 0; i < p->nkernels; i++)
		fprintf(mem, "%s%s", i ? " " : "", p->kernels[i]);
	fprintf(mem, "'\n");
	/* bpftrace runs from the Debian root file system (launch -r, s2chroot) */
	for (size_t t = 0; t < p->ncollectors; t++)
		if (p->collect && !strcmp(p->collectors[t], "bpftrace"))
			fprintf(mem, "S2B_ROOTFS=1\n");
	fclose(mem);
	snprintf(path, sizeof(path), "%s/run.env", run);
	ok = write_file_atomic(path, buf, len, err, errlen);
	free(buf);
	return ok;
}

static void plan_usage(FILE *f)
{
	fprintf(f,
		"usage: s2bench plan check PLAN\n"
		"       s2bench plan expand [--target T] [--profile LIST] [--flavour F] [--clock C]\n"
		"                           [--kernel K] PLAN RUN\n"
		"       s2bench env FILE KEY=VALUE|KEY:=JSON...   (env.json: its own command)\n\n"
		"check   parse and expand PLAN (bench/README.md) and print what it would run;\n"
		"        a bad plan is one line PLAN:LINE: what is wrong, exit 2\n"
		"expand  write RUN/manifest.json, RUN/cells.txt, RUN/run.env and RUN/plan\n"
		"        (RUN is created; an expanded RUN is never expanded again)\n"
		"  --target qemu|host   run the plan on this target instead of its own\n"
		"                       (host: the plan's qemu-only keys are ignored)\n"
		"  --profile LIST       CPU profiles instead of the plan's (max, neoverse-n1)\n"
		"  --flavour F          kernel flavour instead of the plan's (default, debug, kasan)\n"
		"  --clock C            icount | realtime instead of the plan's (target qemu;\n"
		"                       a host has only realtime)\n"
		"  --kernel K           one kernel spec instead of the plan's list (series,\n"
		"                       series:N, upstream, debian:V, BASE+PATCHES, image:DIR,\n"
		"                       tree:DIR[@REV])\n"
		"env     write FILE as a JSON object (schema %s) of the given keys;\n"
		"        dots in KEY nest objects; KEY:=JSON takes a JSON value\n"
		"  -h, --help           this help\n", ENV_SCHEMA);
	fprintf(f, "\nworkloads a plan may run (common/s2workloads.def), with their own options:\n");
	for (size_t i = 0; i < s2wl_nspecs; i++) {
		const struct s2wl_spec *w = &s2wl_specs[i];

		if (!(w->flags & S2WL_PLAN))
			continue;
		fprintf(f, "  %-12s %s\n", w->name, w->about);
		for (size_t k = 0; k < S2WL_MAX_OWN && w->own[k]; k++)
			fprintf(f, "%s-%c", k ? " " : "               own options: ", w->own[k]->letter);
		if (w->own[0])
			fputc('\n', f);
	}
}

int cmd_env(int argc, char **argv)
{
	json_t *doc = json_pack("{s:s}", "schema", ENV_SCHEMA);
	char err[512], *arg = NULL, *text;
	size_t len;
	bool ok;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		json_decref(doc);
		plan_usage(stdout);
		return S2BENCH_EXIT_OK;
	}
	if (argc < 2 || argv[1][0] == '-') {
		s2b_err("env: need FILE and KEY=VALUE arguments (see s2bench env -h)");
		goto bad;
	}
	for (int i = 2; i < argc; i++) {
		char *eq, *key, *dot, *save;
		json_t *obj = doc, *val;
		bool raw;

		arg = xstrdup(argv[i]);
		eq = strchr(arg, '=');
		if (!eq || eq == arg || (eq == arg + 1 && arg[0] == ':')) {
			s2b_err("env: '%s' is not KEY=VALUE or KEY:=JSON", argv[i]);
			goto bad;
		}
		raw = eq[-1] == ':';
		*eq = 0;
		if (raw) {
			json_error_t je;

			eq[-1] = 0;
			val = json_loads(eq + 1, JSON_DECODE_ANY, &je);
			if (!val) {
				s2b_err("env: %s: not JSON: %s", arg, je.text);
				goto bad;
			}
		} else {
			val = json_string(eq + 1);
			if (!val) {
				s2b_err("env: %s: the value is not UTF-8", arg);
				goto bad;
			}
		}
		for (key = strtok_r(arg, ".", &save); key && (dot = strtok_r(NULL, ".", &save));
		     key = dot) {
			json_t *sub = json_object_get(obj, key);

			if (!json_is_object(sub)) {
				sub = json_object();
				json_object_set_new(obj, key, sub);
			}
			obj = sub;
		}
		if (!key) {
			json_decref(val);
			s2b_err("env: '%s' has an empty key", argv[i]);
			goto bad;
		}
		json_object_set_new(obj, key, val);
		free(arg);
		arg = NULL;
	}
	text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!text) {
		s2b_err("env: out of memory");
		goto bad;
	}
	len = strlen(text);
	/* json_dumps has no final newline; text tools like one. */
	text = realloc(text, len + 2);
	text[len++] = '\n';
	text[len] = 0;
	ok = write_file_atomic(argv[1], text, len, err, sizeof(err));
	free(text);
	json_decref(doc);
	if (!ok) {
		s2b_err("env: %s", err);
		return S2BENCH_EXIT_USAGE;
	}
	return S2BENCH_EXIT_OK;
bad:
	free(arg);
	json_decref(doc);
	return S2BENCH_EXIT_USAGE;
}

int cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "profile", required_argument, NULL, 'p' },
		{ "flavour", required_argument, NULL, 'f' },
		{ "clock", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct plan_overrides ov = { 0 };
	struct plan_expansion x;
	struct plan p;
	const char *sub;
	char err[1024];
	bool expand;
	int opt;

	if (argc < 2) {
		s2b_err("plan: check or expand? (see s2bench plan -h)");
		return S2BENCH_EXIT_USAGE;
	}
	sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		plan_usage(stdout);
		return S2BENCH_EXIT_OK;
	}
	/* The old spelling: env.json is not a plan's. */
	if (!strcmp(sub, "env")) {
		s2b_err("plan env is now s2bench env FILE KEY=VALUE...");
		return S2BENCH_EXIT_USAGE;
	}
	if (strcmp(sub, "check") && strcmp(sub, "expand")) {
		s2b_err("plan: unknown subcommand '%s' (check, expand)", sub);
		return S2BENCH_EXIT_USAGE;
	}
	expand = !strcmp(sub, "expand");
	argc--;
	argv++;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 't': ov.target = optarg; break;
		case 'p': ov.profiles = optarg; break;
		case 'f': ov.flavour = optarg; break;
		case 'c': ov.clock = optarg; break;
		case 'k': ov.kernel = optarg; break;
		case 'h': plan_usage(stdout); return S2BENCH_EXIT_OK;
		case ':': s2b_err("plan %s: %s needs a value", sub, argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		default: s2b_err("plan %s: unknown option '%s' (see s2bench plan -h)", sub,
				 argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		}
	}
	if (argc - optind != (expand ? 2 : 1)) {
		s2b_err("plan %s: need %s (see s2bench plan -h)", sub, expand ? "PLAN RUN" : "PLAN");
		return S2BENCH_EXIT_USAGE;
	}
	if (!expand && (ov.target || ov.profiles || ov.flavour || ov.clock || ov.kernel)) {
		s2b_err("plan check: --target, --profile, --flavour, --clock and --kernel are for expand");
		return S2BENCH_EXIT_USAGE;
	}
	if (!plan_load(argv[optind], &ov, &p, err, sizeof(err)) ||
	    !plan_expand(&p, &x, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		plan_free(&p);
		return S2BENCH_EXIT_USAGE;
	}
	if (expand) {
		const char *run = argv[optind + 1];
		char path[4096];
		struct stat st;

		snprintf(path, sizeof(path), "%s/manifest.json", run);
		if (!stat(path, &st)) {
			s2b_err("plan expand: %s exists: a run is expanded once "
				"(finish it with run-plan.sh --resume %s)", path, run);
			goto usage;
		}
		if (mkdir(run, 0777) && errno != EEXIST) {
			s2b_err("plan expand: cannot create %s: %s", run, strerror(errno));
			goto usage;
		}
		if (!write_run(run, &p, &x, err, sizeof(err))) {
			s2b_err("plan expand: %s", err);
			goto usage;
		}
	}
	summary(stdout, &p, &x);
	plan_expansion_free(&x);
	plan_free(&p);
	return S2BENCH_EXIT_OK;
usage:
	plan_expansion_free(&x);
	plan_free(&p);
	return S2BENCH_EXIT_USAGE;
}
