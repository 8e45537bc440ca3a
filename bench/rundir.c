// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a run directory back: the manifest, each cell's status, env.json
 * and metrics.csv. Everything read is checked, because a run is copied
 * between machines and edited by people; a problem is one line naming the
 * file (and line) so that the caller can print it and exit 2.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "rundir.h"
#include "s2bench.h"

#define METRICS_HEADER_V1 "cell,profile,rep,mode,strategy,workload,config,metric,unit,value"
#define METRICS_HEADER METRICS_HEADER_V1 ",clock"
#define MAX_FIELDS 16

static bool __attribute__((format(printf, 3, 4))) fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

const char *cell_outcome(const char *status)
{
	if (!status)
		return "not_run";
	if (!strcmp(status, "0"))
		return "ok";
	if (!strcmp(status, "4"))
		return "skipped";
	if (!strcmp(status, "124") || !strcmp(status, "137"))
		return "hung";
	if (!strcmp(status, "died"))
		return "died";
	return "failed";
}

bool cell_outcome_bad(const char *status)
{
	const char *o = cell_outcome(status);

	return strcmp(o, "ok") && strcmp(o, "skipped");
}

/* A string member of a manifest cell, or a failure naming it. */
static bool cell_str(json_t *c, const char *key, char **out, const char *file, size_t i,
		     char *err, size_t errlen)
{
	json_t *v = json_object_get(c, key);

	if (!json_is_string(v))
		return fail(err, errlen, "%s: cells[%zu] has no string \"%s\"", file, i, key);
	*out = strdup(json_string_value(v));
	return true;
}

static char *read_status(const char *path)
{
	char buf[64];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	buf[strcspn(buf, " \t\r\n")] = 0;
	/* An empty file is a status being written: as good as none. */
	return buf[0] ? strdup(buf) : NULL;
}

/* Statuses go into reports and JSON as they are: printable ASCII only. */
static bool status_ok(const char *s)
{
	for (; *s; s++)
		if (*s < '!' || *s > '~')
			return false;
	return true;
}

/* Statuses from cells.csv, for a run copied without its cells/ tree. */
static bool statuses_from_csv(const char *dir, struct rundir *r, char *err, size_t errlen)
{
	char path[4096], *line = NULL, *fields[MAX_FIELDS];
	size_t cap = 0;
	int lineno = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cells.csv", dir);
	f = fopen(path, "r");
	if (!f)
		return true;
	while (getline(&line, &cap, f) != -1) {
		int n;

		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (lineno == 1)
			continue;
		n = csv_split(line, fields, MAX_FIELDS);
		if (n < 9) {
			fclose(f);
			free(line);
			return fail(err, errlen, "%s:%d: expected the columns of cells.csv", path, lineno);
		}
		for (size_t i = 0; i < r->ncells; i++)
			if (!strcmp(r->cells[i].id, fields[0]) && !r->cells[i].status && *fields[8])
				r->cells[i].status = strdup(fields[8]);
	}
	free(line);
	fclose(f);
	return true;
}

bool rundir_load_cells(const char *dir, struct rundir *r, char *err, size_t errlen)
{
	char path[4096];
	json_error_t je;
	json_t *cells, *c, *v;
	struct stat st;
	bool have_cells_dir;
	size_t i;

	memset(r, 0, sizeof(*r));
	r->dir = strdup(dir);
	snprintf(path, sizeof(path), "%s/manifest.json", dir);
	r->manifest = json_load_file(path, 0, &je);
	if (!r->manifest)
		return fail(err, errlen, "%s:%d: %s", path, je.line, je.text);
	v = json_object_get(r->manifest, "schema");
	if (!json_is_string(v) || strcmp(json_string_value(v), "s2perf.manifest/1"))
		return fail(err, errlen, "%s: not an s2perf.manifest/1 document", path);
	v = json_object_get(r->manifest, "plan");
	if (!json_is_string(v))
		return fail(err, errlen, "%s: no \"plan\"", path);
	r->plan = strdup(json_string_value(v));
	cells = json_object_get(r->manifest, "cells");
	if (!json_is_array(cells))
		return fail(err, errlen, "%s: no \"cells\" array", path);
	r->ncells = json_array_size(cells);
	r->cells = calloc(r->ncells ? r->ncells : 1, sizeof(*r->cells));
	if (!r->cells)
		return fail(err, errlen, "out of memory");

	snprintf(path, sizeof(path), "%s/cells", dir);
	have_cells_dir = !stat(path, &st) && S_ISDIR(st.st_mode);
	json_array_foreach(cells, i, c) {
		struct cell *cl = &r->cells[i];
		json_t *idx = json_object_get(c, "index"), *rep = json_object_get(c, "rep");
		const char *mf = "manifest.json";

		if (!json_is_object(c) || !json_is_integer(idx) || !json_is_integer(rep))
			return fail(err, errlen, "%s/%s: cells[%zu] needs an integer index and rep",
				    dir, mf, i);
		cl->index = json_integer_value(idx);
		cl->rep = json_integer_value(rep);
		if (cl->index != (int)i + 1)
			return fail(err, errlen, "%s/%s: cells[%zu] has index %d, expected %zu",
				    dir, mf, i, cl->index, i + 1);
		if (!cell_str(c, "id", &cl->id, mf, i, err, errlen) ||
		    !cell_str(c, "profile", &cl->profile, mf, i, err, errlen) ||
		    !cell_str(c, "mode", &cl->mode, mf, i, err, errlen) ||
		    !cell_str(c, "strategy", &cl->strategy, mf, i, err, errlen) ||
		    !cell_str(c, "workload", &cl->workload, mf, i, err, errlen) ||
		    !cell_str(c, "config", &cl->config, mf, i, err, errlen))
			return false;
		if (!mode_known(cl->mode))
			return fail(err, errlen, "%s/%s: cells[%zu]: mode '%s' is not timed, collected, "
				    "collected-default, collected-detail or bpftrace", dir, mf, i, cl->mode);
		/* Ids become paths: nothing that leaves cells/. */
		if (!*cl->id || strchr(cl->id, '/') || cl->id[0] == '.')
			return fail(err, errlen, "%s/%s: cells[%zu]: bad id '%s'", dir, mf, i, cl->id);
		cl->params = json_object_get(c, "params");
		if (!json_is_object(cl->params))
			return fail(err, errlen, "%s/%s: cells[%zu] has no params object", dir, mf, i);
		if (have_cells_dir) {
			snprintf(path, sizeof(path), "%s/cells/%s/status", dir, cl->id);
			cl->status = read_status(path);
		}
	}
	if (!have_cells_dir && !statuses_from_csv(dir, r, err, errlen))
		return false;
	for (i = 0; i < r->ncells; i++)
		if (r->cells[i].status && !status_ok(r->cells[i].status))
			return fail(err, errlen, "%s/%s: the status of cell %s is not an exit status "
				    "or 'died'", dir, have_cells_dir ? "cells/<id>/status" : "cells.csv",
				    r->cells[i].id);

	snprintf(path, sizeof(path), "%s/env.json", dir);
	if (!stat(path, &st)) {
		r->env = json_load_file(path, 0, &je);
		if (!r->env)
			return fail(err, errlen, "%s:%d: %s", path, je.line, je.text);
		v = json_object_get(r->env, "clock");
		if (v && !clock_known(json_string_value(v)))
			return fail(err, errlen, "%s: \"clock\" is not \"icount\" or \"realtime\"",
				    path);
	}
	return true;
}

const char *rundir_kernel(const struct rundir *r, char *buf, size_t len)
{
	const char *spec = doc_str(r->env, "kernel.spec");
	const char *rel = doc_str(r->env, "kernel.release");
	const char *pat = doc_str(r->env, "kernel.patches");
	const char *ser = doc_str(r->env, "kernel.series");

	if (!rel)
		snprintf(buf, len, "unrecorded (no kernel.release in env.json)");
	else if (!spec && !strcmp(doc_str(r->env, "target") ?: "", "host"))
		snprintf(buf, len, "the host's %s", rel);
	else if (!spec)	/* runs made before the kernel key: the shipped series */
		snprintf(buf, len, "series (%s, series %s)", rel, ser ? ser : "unrecorded");
	else
		snprintf(buf, len, "%s (%s, patches %s)", spec, rel, pat ? pat : "unrecorded");
	return buf;
}

const char *rundir_env(const struct rundir *r, enum rundir_env_key key)
{
	static const char *const names[][5] = {
		[ENV_KERNEL_RELEASE] = { "kernel.release", "kernel_release", "uname.release" },
		[ENV_KERNEL_SERIES] = { "kernel.series", "series_hash", "kernel.series_hash", "series" },
		[ENV_KERNEL_COMMIT] = { "kernel.commit", "kernel.git_commit" },
	};
	const char *v;

	for (size_t i = 0; r->env && names[key][i]; i++)
		if ((v = doc_str(r->env, names[key][i])))
			return v;
	return NULL;
}

const struct cell *rundir_cell(const struct rundir *r, const char *id)
{
	char *end;
	long i = strtol(id, &end, 10);

	/* Ids are the zero-padded index: try that before searching. */
	if (!*end && i >= 1 && (size_t)i <= r->ncells && !strcmp(r->cells[i - 1].id, id))
		return &r->cells[i - 1];
	for (size_t k = 0; k < r->ncells; k++)
		if (!strcmp(r->cells[k].id, id))
			return &r->cells[k];
	return NULL;
}

/*
 * A value as table writes it: an optional minus, decimal digits with an
 * optional fraction and exponent, nothing around it. strtod alone would
 * take " 5", "0x10", "nan" and "1e999" (as inf), and a NUL cuts the field
 * before strtod sees the rest.
 */
static bool decimal_ok(const char *s)
{
	const char *p = s;
	size_t digits = 0;

	if (*p == '-')
		p++;
	while (*p >= '0' && *p <= '9')
		p++, digits++;
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9')
			p++, digits++;
	}
	if (!digits)
		return false;
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (*p < '0' || *p > '9')
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return !*p;
}

struct row_key {
	const struct cell *cell;
	const char *metric;
	int line;
};

static int cmp_row_key(const void *a, const void *b)
{
	const struct row_key *x = a, *y = b;

	if (x->cell != y->cell)
		return x->cell < y->cell ? -1 : 1;
	if (x->metric != y->metric)
		return x->metric < y->metric ? -1 : 1;
	return x->line - y->line;
}

/*
 * One cell has one value per metric: a second one (a table appended to
 * twice, two files pasted together) would count one rep twice.
 */
static bool rows_unique(const char *path, const struct rundir *r, const int *lines, char *err,
			size_t errlen)
{
	struct row_key *k = calloc(r->nrows ? r->nrows : 1, sizeof(*k));
	bool ok = true;

	if (!k)
		return fail(err, errlen, "out of memory");
	for (size_t i = 0; i < r->nrows; i++)
		k[i] = (struct row_key){ r->rows[i].cell, r->rows[i].metric, lines[i] };
	qsort(k, r->nrows, sizeof(*k), cmp_row_key);
	for (size_t i = 1; ok && i < r->nrows; i++)
		if (k[i].cell == k[i - 1].cell && k[i].metric == k[i - 1].metric)
			ok = fail(err, errlen, "%s:%d: cell %s's %s again (first on line %d)", path,
				  k[i].line, k[i].cell->id, k[i].metric, k[i - 1].line);
	free(k);
	return ok;
}

bool rundir_load(const char *dir, struct rundir *r, char *err, size_t errlen)
{
	char path[4096], *line = NULL, *fields[MAX_FIELDS], *end;
	size_t cap = 0, rcap = 0;
	int lineno = 0, nfields = 11, *lines = NULL;
	ssize_t len;
	bool ok = true;
	FILE *f;

	if (!rundir_load_cells(dir, r, err, errlen))
		return false;
	snprintf(path, sizeof(path), "%s/metrics.csv", dir);
	f = fopen(path, "r");
	if (!f)
		return fail(err, errlen, "%s: %s (run s2bench table %s first)", path,
			    strerror(errno), dir);
	while (ok && (len = getline(&line, &cap, f)) != -1) {
		const struct metric_def *def;
		const struct cell *cl;
		struct row *row;
		int n;

		lineno++;
		/* A NUL would end the line early for every string function below. */
		if (memchr(line, 0, len)) {
			ok = fail(err, errlen, "%s:%d: a NUL byte in the line", path, lineno);
			break;
		}
		line[strcspn(line, "\r\n")] = 0;
		if (lineno == 1) {
			/* Runs made before the clock column are realtime runs. */
			if (!strcmp(line, METRICS_HEADER))
				nfields = 11;
			else if (!strcmp(line, METRICS_HEADER_V1))
				nfields = 10;
			else
				ok = fail(err, errlen, "%s:1: header is not %s", path, METRICS_HEADER);
			continue;
		}
		n = csv_split(line, fields, MAX_FIELDS);
		if (n != nfields) {
			ok = fail(err, errlen, "%s:%d: %d fields, expected %d", path, lineno, n,
				  nfields);
			break;
		}
		if (nfields == 11) {
			if (!clock_known(fields[10])) {
				ok = fail(err, errlen, "%s:%d: unknown clock '%s' (icount, realtime)",
					  path, lineno, fields[10]);
				break;
			}
			if (!r->clock && !(r->clock = strdup(fields[10]))) {
				ok = fail(err, errlen, "out of memory");
				break;
			}
			if (strcmp(r->clock, fields[10])) {
				ok = fail(err, errlen, "%s:%d: clock '%s', but earlier rows are '%s': "
					  "one run has one clock", path, lineno, fields[10], r->clock);
				break;
			}
		}
		cl = rundir_cell(r, fields[0]);
		if (!cl) {
			ok = fail(err, errlen, "%s:%d: cell '%s' is not in the manifest", path, lineno,
				  fields[0]);
			break;
		}
		if (strcmp(fields[1], cl->profile) || atoi(fields[2]) != cl->rep ||
		    strcmp(fields[3], cl->mode) || strcmp(fields[4], cl->strategy) ||
		    strcmp(fields[5], cl->workload) || strcmp(fields[6], cl->config)) {
			ok = fail(err, errlen, "%s:%d: cell %s's columns differ from the manifest's",
				  path, lineno, cl->id);
			break;
		}
		/* Only a cell that ran to completion has figures to trust. */
		if (!cl->status || strcmp(cl->status, "0")) {
			ok = fail(err, errlen, "%s:%d: cell %s is %s (status %s): only ok cells have "
				  "figures", path, lineno, cl->id, cell_outcome(cl->status),
				  cl->status ? cl->status : "none");
			break;
		}
		def = metric_find(fields[7]);
		if (!def) {
			ok = fail(err, errlen, "%s:%d: unknown metric '%s'", path, lineno, fields[7]);
			break;
		}
		/* Values in another unit would be mixed with the registry's. */
		if (strcmp(fields[8], def->unit)) {
			ok = fail(err, errlen, "%s:%d: %s is not in %s", path, lineno, def->name,
				  def->unit);
			break;
		}
		if (r->nrows == rcap) {
			struct row *nr;
			int *nl;

			rcap = rcap ? 2 * rcap : 1024;
			nr = realloc(r->rows, rcap * sizeof(*r->rows));
			if (!nr) {
				ok = fail(err, errlen, "out of memory");
				break;
			}
			r->rows = nr;
			nl = realloc(lines, rcap * sizeof(*lines));
			if (!nl) {
				ok = fail(err, errlen, "out of memory");
				break;
			}
			lines = nl;
		}
		row = &r->rows[r->nrows];
		errno = 0;
		row->value = strtod(fields[9], &end);
		/* table writes finite numbers only; inf or nan would poison every statistic */
		if (!decimal_ok(fields[9]) || *end || errno || !isfinite(row->value)) {
			ok = fail(err, errlen, "%s:%d: value '%s' is not a finite decimal number", path,
				  lineno, fields[9]);
			break;
		}
		if (row->value < 0 && unit_nonnegative(def->unit)) {
			ok = fail(err, errlen, "%s:%d: %s is %s %s: a quantity in %s cannot be "
				  "negative", path, lineno, def->name, fields[9], def->unit, def->unit);
			break;
		}
		lines[r->nrows] = lineno;
		row->cell = cl;
		row->metric = def->name;
		row->unit = strdup(fields[8]);
		r->nrows++;
	}
	free(line);
	fclose(f);
	if (ok && lineno == 0)
		ok = fail(err, errlen, "%s: empty (no header)", path);
	if (ok)
		ok = rows_unique(path, r, lines, err, errlen);
	free(lines);
	if (ok && r->clock && strcmp(r->clock, rundir_clock(r)))
		ok = fail(err, errlen, "%s: clock '%s', but env.json says '%s'", path, r->clock,
			  json_string_value(json_object_get(r->env, "clock")));
	return ok;
}

bool clock_known(const char *name)
{
	return name && (!strcmp(name, "icount") || !strcmp(name, "realtime"));
}

const char *clock_meaning(const char *clock)
{
	if (!strcmp(clock, "icount"))
		return "instruction time (QEMU -icount: 1 ns = 1 emulated instruction): the code "
		       "path's length; deterministic (CV under 0.4% between boots), blind to "
		       "parallelism, lock waits and memory latency";
	return "real time (CLOCK_MONOTONIC as the machine that ran the cells reads it; under "
	       "emulation, emulated time): parallel and noisy (CV 10-50% between boots of the "
	       "emulator)";
}

const char *rundir_clock(const struct rundir *r)
{
	const char *c = json_string_value(json_object_get(r->env, "clock"));

	if (clock_known(c))
		return c;
	return r->clock ? r->clock : "realtime";
}

void rundir_free(struct rundir *r)
{
	for (size_t i = 0; i < r->ncells; i++) {
		struct cell *c = &r->cells[i];

		free(c->id);
		free(c->profile);
		free(c->mode);
		free(c->strategy);
		free(c->workload);
		free(c->config);
		free(c->status);
	}
	free(r->cells);
	for (size_t i = 0; i < r->nrows; i++)
		free(r->rows[i].unit);
	free(r->rows);
	json_decref(r->manifest);
	json_decref(r->env);
	free(r->clock);
	free(r->dir);
	free(r->plan);
	memset(r, 0, sizeof(*r));
}

