// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench kernels SET: the report of one plan run on several kernels
 * (bench/run-kernels.sh): each kernel against the one before it (with
 * --series, what one patch changed) and against the first. The statistics
 * are s2bench compare's, read from its JSON (SET/compare/K-vs-B.json):
 * this file decides nothing, it lists what compare found DIFFERENT, gated
 * metrics first, with the shift, its 95% CI and the Holm-corrected p.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "s2bench.h"

#define KERNELS_SCHEMA "s2perf.kernels/1"
#define MAX_KERNELS 256

struct kernel {
	char *index, *spec, *dir, *label;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: s2bench kernels [-o FILE] SET\n"
		"The report of one plan run on several kernels (bench/run-kernels.sh; ./run.sh\n"
		"kernels): for each kernel, what changed against the one before it (with\n"
		"--series: what that patch costs) and against the first, as s2bench compare\n"
		"found it (SET/compare/K-vs-B.json): the DIFFERENT rows, gated metrics first,\n"
		"with the shift (Hodges-Lehmann, as a ratio), its 95%% CI and the Holm-corrected\n"
		"p; and how many rows were SAME or UNKNOWN.\n\n"
		"  -o, --output FILE  also write the report as JSON (schema %s)\n"
		"  -h, --help         this help\n\n"
		"Exit status: 0 written, 2 SET is not a finished set (one line saying why).\n",
		KERNELS_SCHEMA);
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

int cmd_kernels(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct kernel k[MAX_KERNELS];
	const char *out = NULL, *set;
	char err[4600] = "", path[4096];
	json_t *doc, *arr;
	json_error_t je;
	size_t n, i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
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
	for (i = 0; i < n; i++) {
		free(k[i].index);
		free(k[i].spec);
		free(k[i].dir);
		free(k[i].label);
	}
	return S2BENCH_EXIT_OK;
}
