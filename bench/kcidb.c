// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench kcidb RUN: the run as KernelCI KCIDB I/O data (schema v4.5, the
 * first with a test's "number"): one checkout (the kernel source and the
 * s2perf series), one build (the flavour), and one test per metric and
 * (profile, config, strategy, mode) whose number is the median, with the
 * spread under "misc"; failed and skipped cells are tests too (ERROR,
 * SKIP), so a dashboard sees what did not run.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgroup.h"
#include "s2bench.h"

#define KCIDB_MAJOR 4
#define KCIDB_MINOR 5

/* KCIDB test paths allow [.a-zA-Z0-9_-]: "s2_dirty -v 2 -l get" -> "s2_dirty.v2_lget" */
static char *slug(const char *config)
{
	char *out = calloc(1, 2 * strlen(config) + 2), *o = out;
	bool first_word = true, sep = false;

	for (; *config; config++) {
		unsigned char ch = *config;

		if (ch == ' ') {
			if (first_word) {
				*o++ = '.';
				first_word = false;
			}
			sep = true;
			continue;
		}
		if (ch == '-' && sep) {
			/* an option: words joined by '_' */
			if (o > out && o[-1] != '.')
				*o++ = '_';
			sep = false;
			continue;
		}
		sep = false;
		*o++ = isalnum(ch) || ch == '_' || ch == '-' || ch == '.' ? ch : '_';
	}
	return out;
}

static bool is_hex40(const char *s)
{
	size_t i;

	for (i = 0; s && s[i]; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return s && i == 40;
}

/* The number in the unit KCIDB prefers: base units and a prefix hint. */
static json_t *number(double v, const char *unit)
{
	if (!strcmp(unit, "ns"))
		return json_pack("{s:f, s:s, s:s}", "value", v / 1e9, "unit", "s", "prefix", "metric");
	if (!strcmp(unit, "s"))
		return json_pack("{s:f, s:s, s:s}", "value", v, "unit", "s", "prefix", "metric");
	if (!strcmp(unit, "bytes"))
		return json_pack("{s:f, s:s, s:s}", "value", v, "unit", "B", "prefix", "binary");
	return json_pack("{s:f, s:s}", "value", v, "unit", unit);
}

/* json_pack returns NULL on a bad value: never let a test vanish silently. */
static json_t *must(json_t *j)
{
	if (!j) {
		s2b_err("kcidb: cannot build the JSON (out of memory)");
		abort();
	}
	return j;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench kcidb [OPTIONS] RUN\n"
		"Write the run as KernelCI KCIDB JSON (I/O schema v%d.%d): a checkout, a build and\n"
		"one test per metric and (profile, config, strategy, mode), number = median.\n\n"
		"  -o, --output FILE  write it there (default '-': stdout)\n"
		"  --origin NAME      the submitting CI system, [a-z0-9_]+ (default s2perf)\n"
		"  -h, --help         this help\n",
		KCIDB_MAJOR, KCIDB_MINOR);
}

int cmd_kcidb(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "origin", required_argument, NULL, 'O' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = "-", *origin = "s2perf", *rel, *ser, *commit, *flavour, *kvm, *target;
	char *run_name, *dircopy, *checkout_id, *build_id, st[128];
	json_t *doc, *tests, *checkout, *build;
	struct rset s;
	size_t i, n_tests = 0;
	FILE *f;
	int c, rc = S2BENCH_EXIT_OK;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'O':
			origin = optarg;
			if (!*origin || strspn(origin, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			    strlen(origin)) {
				s2b_err("kcidb: --origin '%s': KCIDB allows [a-z0-9_]+", origin);
				return S2BENCH_EXIT_USAGE;
			}
			break;
		default:
			return s2b_opt_end("kcidb", c, argv, usage);
		}
	}
	if (!rset_load_args("kcidb", argc, argv, 1, "one run directory", "", &s))
		return S2BENCH_EXIT_USAGE;
	dircopy = strdup(s.run.dir);
	run_name = slug(basename(dircopy));
	rel = rundir_env(&s.run, ENV_KERNEL_RELEASE);
	ser = rundir_env(&s.run, ENV_KERNEL_SERIES);
	commit = rundir_env(&s.run, ENV_KERNEL_COMMIT);
	flavour = json_string_value(json_object_get(s.run.manifest, "flavour")) ?: "default";
	kvm = json_string_value(json_object_get(s.run.manifest, "kvm")) ?: "?";
	target = json_string_value(json_object_get(s.run.manifest, "target")) ?: "?";

	/* without a series hash the run itself is the only identity there is */
	checkout_id = ser ? rstrf("%s:%s", origin, ser) : rstrf("%s:run-%s", origin, run_name);
	build_id = rstrf("%s-%s-arm64", checkout_id, flavour);
	checkout = must(json_pack("{s:s, s:s, s:o, s:b, s:{s:s*, s:s*}}", "id", checkout_id,
			     "origin", origin, "comment",
			     rjson_take(rstrf("Linux %s with the s2perf stage-2 series %s", rel ?: "(release "
				   "not recorded)", ser ?: "(not recorded)")), "valid", 1,
			     "misc", "kernel_release", rel, "series", ser));
	if (is_hex40(commit))
		json_object_set_new(checkout, "git_commit_hash", json_string(commit));
	build = must(json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:o}", "id", build_id, "checkout_id",
			  checkout_id, "origin", origin, "architecture", "arm64", "config_name",
			  flavour, "valid", 1, "comment",
			  rjson_take(rstrf("s2perf kernel, flavour %s", flavour))));

	tests = json_array();
	for (i = 0; i < s.ng; i++) {
		const struct rgroup *g = &s.g[i];
		char *cs = slug(g->config), *path, *id;
		json_t *t, *misc;

		path = rstrf("s2perf.%s.%s.%s.%s", g->profile, cs, g->strategy, g->def->name);
		for (char *q = path; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr("._-", *q))
				*q = '_';
		id = rstrf("%s:%s:%s", origin, run_name, path + strlen("s2perf."));
		misc = must(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:o, s:s}",
				 "plan", s.run.plan, "run", run_name, "profile", g->profile,
				 "config", g->config, "strategy", g->strategy, "mode", g->mode,
				 "n", (json_int_t)g->n, "p10", rjson_num(g->s.p10),
				 "p90", rjson_num(g->s.p90), "cv", rjson_num(g->s.cv), "unit", g->unit));
		json_object_set_new(misc, "ci95", g->s.has_ci ?
				    json_pack("[o, o]", rjson_num(g->s.ci_lo), rjson_num(g->s.ci_hi)) :
				    json_null());
		t = must(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:{s:o}, s:o}",
			      "id", id, "build_id", build_id, "origin", origin, "path", path,
			      "status", "DONE", "number", must(number(g->s.median, g->unit)),
			      "comment", rjson_take(rstrf("%s: %s, %s [%s], median of %zu %s runs",
					       g->def->label ?: g->def->name, g->config, g->strategy,
					       g->profile, g->n, g->mode)),
			      "environment", "comment",
			      rjson_take(rstrf("target %s, profile %s, KVM %s", target, g->profile, kvm)),
			      "misc", misc));
		json_array_append_new(tests, t);
		n_tests++;
		free(cs);
		free(path);
		free(id);
	}
	/* cells that produced nothing still belong on the dashboard */
	for (i = 0; i < s.run.ncells; i++) {
		const struct cell *cl = &s.run.cells[i];
		char *cs, *path, *id;

		if (!cl->status || rcell_ok(cl))
			continue;
		cs = slug(cl->config);
		path = rstrf("s2perf.%s.%s.%s.cell", cl->profile, cs, cl->strategy);
		for (char *q = path; *q; q++)
			if (!isalnum((unsigned char)*q) && !strchr("._-", *q))
				*q = '_';
		id = rstrf("%s:%s:cell-%s", origin, run_name, cl->id);
		json_array_append_new(tests, must(json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:{s:s, s:i, s:s}}",
			"id", id, "build_id", build_id, "origin", origin, "path", path,
			"status", rcell_skipped(cl) ? "SKIP" : "ERROR",
			"comment", rjson_take(rstrf("cell %s (%s, rep %d): %s; log cells/%s/output.log",
					 cl->id, cl->mode, cl->rep, rcell_status_text(cl, st, sizeof(st)),
					 cl->id)),
			"misc", "config", cl->config, "rep", cl->rep, "status", cl->status)));
		n_tests++;
		free(cs);
		free(path);
		free(id);
	}
	doc = must(json_pack("{s:{s:i, s:i}, s:[o], s:[o], s:o}", "version", "major", KCIDB_MAJOR,
			"minor", KCIDB_MINOR, "checkouts", checkout, "builds", build, "tests", tests));

	f = strcmp(out, "-") ? fopen(out, "w") : stdout;
	if (!f || json_dumpf(doc, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF ||
	    (f != stdout && fclose(f))) {
		s2b_err("kcidb: cannot write %s: %s", out, strerror(errno));
		rc = S2BENCH_EXIT_USAGE;
	} else if (f != stdout) {
		printf("%s: %zu tests (%s), build %s\n", out, n_tests, s.run.plan, build_id);
	}
	json_decref(doc);
	free(checkout_id);
	free(build_id);
	free(run_name);
	free(dircopy);
	rset_free(&s);
	return rc;
}
