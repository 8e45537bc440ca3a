// SPDX-License-Identifier: GPL-2.0
/*
 * `s2bench table RUN`: every cell's documents reduced, through the metric
 * registry (registry.c), to one number per metric, in one long table
 * (metrics.csv) that everything after it (stats, report, compare, kcidb)
 * reads. A figure the document says is unavailable goes to
 * unavailable.csv with its reason, never into the table as 0.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rundir.h"
#include "s2bench.h"

/* The shortest text that reads back as the same double. */
static void put_number(FILE *f, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

static void put_cell_columns(FILE *f, const struct cell *c)
{
	fprintf(f, "%s,", c->id);
	csv_put(f, c->profile);
	fprintf(f, ",%d,%s,%s,%s,", c->rep, c->mode, c->strategy, c->workload);
	csv_put(f, c->config);
}

/* Why a cell that did not succeed has no metrics, for cells.csv. */
static void cell_reason(const char *dir, const struct cell *c, char *buf, size_t len)
{
	const char *o = cell_outcome(c->status);
	char path[4096];
	FILE *f;

	buf[0] = 0;
	if (!strcmp(o, "hung")) {
		snprintf(buf, len, "killed at the cell's timeout");
		return;
	}
	if (!strcmp(o, "died")) {
		snprintf(buf, len, "the target stopped while the cell ran");
		return;
	}
	if (!strcmp(o, "ok") || !strcmp(o, "not_run"))
		return;
	/* a cell the runner could not run as the plan asked (run-cells.sh) */
	snprintf(path, sizeof(path), "%s/cells/%s/reason", dir, c->id);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
		if (buf[0])
			return;
	}
	if (!doc_reason(dir, c->id, buf, len) && !strcmp(o, "failed"))
		snprintf(buf, len, "exit status %s, no reason in a document (see cells/%s/output.log)",
			 c->status, c->id);
}

static void table_usage(FILE *f)
{
	fprintf(f,
		"usage: s2bench table RUN\n\n"
		"Read RUN/manifest.json and every cell's documents (cells/<id>/workload.json,\n"
		"and collector.json for collected cells), reduce each to one number per\n"
		"metric of the registry, and write:\n"
		"  RUN/metrics.csv      cell,profile,rep,mode,strategy,workload,config,metric,unit,value,clock\n"
		"  RUN/cells.csv        every cell with its status, outcome, seconds and reason\n"
		"  RUN/unavailable.csv  cell,metric,reason: what a document says it could not measure\n"
		"  -l, --list           print the metric registry and exit\n"
		"  -h, --help           this help\n\n"
		"exit status: 0 every cell ok or skipped, 1 some failed, hung, died or did not\n"
		"run (the tables are written all the same), 2 a document or the manifest is\n"
		"malformed (one line naming the file; nothing written)\n");
}

static void list_registry(void)
{
	printf("%-42s %-10s %-6s %-9s %-10s %-5s %s\n", "metric", "unit", "better", "source",
	       "reduce", "gated", "path / what");
	size_t n;
	const struct metric_def *reg = metric_registry(&n);

	for (size_t i = 0; i < n; i++) {
		const struct metric_def *m = &reg[i];

		printf("%-42s %-10s %-6s %-9s %-10s %-5s %s\n  %-41s %s\n", m->name, m->unit,
		       m->better == BETTER_LOWER ? "lower" : m->better == BETTER_HIGHER ? "higher" : "-",
		       m->source, m->reduce, m->gated ? "yes" : "no", m->path, "", m->label);
	}
}

static double cell_seconds(const char *dir, const struct cell *c)
{
	char path[4096];
	double s = NAN;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cells/%s/elapsed", dir, c->id);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lf", &s) != 1)
			s = NAN;
		fclose(f);
	}
	return s;
}

int cmd_table(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char err[4096], tmp_m[4096], tmp_c[4096], tmp_u[4096], msg[1024];
	size_t nrows = 0, nunavail = 0, counts[6] = { 0 }, nbad = 0, nreg;
	const struct metric_def *reg;
	static const char *const outcomes[] = { "ok", "skipped", "failed", "hung", "died", "not_run" };
	FILE *fm = NULL, *fc = NULL, *fu = NULL;
	const char *dir;
	struct rundir r;
	int opt, rc = S2BENCH_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': list_registry(); return S2BENCH_EXIT_OK;
		case 'h': table_usage(stdout); return S2BENCH_EXIT_OK;
		default:
			s2b_err("table: unknown option '%s' (see s2bench table -h)", argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		s2b_err("table: need one RUN directory (see s2bench table -h)");
		return S2BENCH_EXIT_USAGE;
	}
	dir = argv[optind];
	if (!rundir_load_cells(dir, &r, err, sizeof(err))) {
		s2b_err("table: %s", err);
		rundir_free(&r);
		return S2BENCH_EXIT_USAGE;
	}
	fm = run_file_open(dir, "metrics.csv", tmp_m, sizeof(tmp_m), "table: ");
	fc = fm ? run_file_open(dir, "cells.csv", tmp_c, sizeof(tmp_c), "table: ") : NULL;
	fu = fc ? run_file_open(dir, "unavailable.csv", tmp_u, sizeof(tmp_u), "table: ") : NULL;
	if (!fu) {
		rc = S2BENCH_EXIT_USAGE;
		goto out;
	}
	fprintf(fm, "cell,profile,rep,mode,strategy,workload,config,metric,unit,value,clock\n");
	fprintf(fc, "cell,index,profile,rep,mode,strategy,workload,config,status,outcome,seconds,reason\n");
	fprintf(fu, "cell,metric,reason\n");

	for (size_t i = 0; i < r.ncells; i++) {
		const struct cell *c = &r.cells[i];
		const char *o = cell_outcome(c->status);
		struct doc docs[2] = { { 0 } };
		char reason[512];
		double secs = cell_seconds(dir, c);
		size_t k;

		for (k = 0; k < 6; k++)
			if (!strcmp(o, outcomes[k]))
				counts[k]++;
		cell_reason(dir, c, reason, sizeof(reason));
		fprintf(fc, "%s,%d,", c->id, c->index);
		csv_put(fc, c->profile);
		fprintf(fc, ",%d,%s,%s,%s,", c->rep, c->mode, c->strategy, c->workload);
		csv_put(fc, c->config);
		fprintf(fc, ",%s,%s,", c->status ? c->status : "", o);
		if (!isnan(secs))
			fprintf(fc, "%.1f", secs);
		fputc(',', fc);
		csv_put(fc, reason);
		fputc('\n', fc);
		if (cell_outcome_bad(c->status)) {
			/* Named once the table is written: a malformed run is one line. */
			nbad++;
			continue;
		}
		if (strcmp(o, "ok"))
			continue;

		if (!doc_load(dir, c->id, "workload", &docs[0], err, sizeof(err))) {
			s2b_err("table: %s", err);
			rc = S2BENCH_EXIT_USAGE;
			goto out;
		}
		{
			const char *st = doc_str(docs[0].root, "status");

			if (!st || strcmp(st, "ok")) {
				s2b_err("table: %s: status \"%s\", but the cell exited 0", docs[0].path,
					st ? st : "(none)");
				doc_free(&docs[0]);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
		}
		if (mode_collected(c->mode) &&
		    !doc_load(dir, c->id, "collector", &docs[1], err, sizeof(err))) {
			s2b_err("table: %s", err);
			doc_free(&docs[0]);
			rc = S2BENCH_EXIT_USAGE;
			goto out;
		}
		/* A time in instructions must never be read as one in ns of real time. */
		for (k = 0; k < 2; k++) {
			const char *dc = doc_str(docs[k].root, "clock");

			if (dc && strcmp(dc, rundir_clock(&r))) {
				s2b_err("table: %s: clock \"%s\", but the run's is %s (env.json)",
					docs[k].path, dc, rundir_clock(&r));
				doc_free(&docs[0]);
				doc_free(&docs[1]);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
		}
		reg = metric_registry(&nreg);
		for (k = 0; k < nreg; k++) {
			const struct metric_def *m = &reg[k];
			const struct doc *d = !strcmp(m->source, "workload") ? &docs[0] : &docs[1];
			enum doc_result res;
			double v = 0;

			if (!d->root)
				continue;
			res = metric_read(m, d, &v, msg, sizeof(msg));
			if (res == DOC_MALFORMED) {
				s2b_err("table: %s", msg);
				doc_free(&docs[0]);
				doc_free(&docs[1]);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
			if (res == DOC_UNAVAILABLE) {
				fprintf(fu, "%s,%s,", c->id, m->name);
				csv_put(fu, msg);
				fputc('\n', fu);
				nunavail++;
			} else if (res == DOC_VALUE) {
				put_cell_columns(fm, c);
				fprintf(fm, ",%s,%s,", m->name, m->unit);
				put_number(fm, v);
				fprintf(fm, ",%s\n", rundir_clock(&r));
				nrows++;
			}
		}
		doc_free(&docs[0]);
		doc_free(&docs[1]);
	}
	if (!run_file_commit(fm, tmp_m, "table: ") || !run_file_commit(fc, tmp_c, "table: ") ||
	    !run_file_commit(fu, tmp_u, "table: ")) {
		fm = fc = fu = NULL;
		rc = S2BENCH_EXIT_USAGE;
		goto out;
	}
	fm = fc = fu = NULL;
	printf("%s: %zu cells: %zu ok, %zu skipped, %zu failed, %zu hung, %zu died, %zu not run; "
	       "metrics.csv %zu rows, unavailable.csv %zu rows\n", dir, r.ncells, counts[0],
	       counts[1], counts[2], counts[3], counts[4], counts[5], nrows, nunavail);
	for (size_t i = 0, shown = 0; i < r.ncells && shown < 5; i++) {
		const struct cell *c = &r.cells[i];
		const char *o = cell_outcome(c->status);

		if (!cell_outcome_bad(c->status))
			continue;
		shown++;
		fprintf(stderr, "s2bench: table: cell %s (%s %s rep %d) %s%s%s%s\n",
			c->id, c->config, c->strategy, c->rep, o,
			c->status && strcmp(o, "died") ? " (status " : "",
			c->status && strcmp(o, "died") ? c->status : "",
			c->status && strcmp(o, "died") ? ")" : "");
	}
	if (nbad > 5)
		fprintf(stderr, "s2bench: table: ... and %zu more (see %s/cells.csv)\n", nbad - 5, dir);
	if (nbad)
		rc = S2BENCH_EXIT_FINDING;
out:
	/* A malformed run leaves no half-written tables behind. */
	if (fm) {
		fclose(fm);
		unlink(tmp_m);
	}
	if (fc) {
		fclose(fc);
		unlink(tmp_c);
	}
	if (fu) {
		fclose(fu);
		unlink(tmp_u);
	}
	rundir_free(&r);
	return rc;
}
