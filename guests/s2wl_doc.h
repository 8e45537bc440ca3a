/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workloads' document (s2wl_doc.c): JSON with the schema
 * S2WL_SCHEMA, every figure with its unit (common/s2json.h), and the
 * summary for people.
 */
#ifndef S2PERF_S2WL_DOC_H
#define S2PERF_S2WL_DOC_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "s2json.h"

struct s2wl;

/* Record a phase that started at @start (s2wl_now_ns()) and ends now. */
uint64_t s2wl_phase(struct s2wl *wl, const char *name, uint64_t start);

/*
 * A series: {unit, n, mean, stddev (sample), min, max, values} (values
 * only up to 4096 of them).
 */
json_t *s2wl_j_series(const uint64_t *v, size_t n, const char *unit);
void s2wl_series_stats(const uint64_t *v, size_t n, double *mean, double *sd,
		       uint64_t *min, uint64_t *max);

/*
 * Write the document (status "ok", "failed" or "skipped") and return the
 * exit status to use.
 */
int s2wl_finish(struct s2wl *wl, int status, const char *why);
/* A skip: the document with the reason, exit 4. */
void __attribute__((noreturn, format(printf, 2, 3)))
s2wl_skip(struct s2wl *wl, const char *fmt, ...);

/*
 * One line of the human summary for a series: mean, min, max and sample
 * standard deviation in @unit (values divided by @scale), and n; @note, if
 * not NULL, goes inside the parentheses after n.
 */
void s2wl_print_series(const struct s2wl *wl, const char *label, const uint64_t *v,
		       size_t n, double scale, const char *unit, const char *note);
/* The summary stream: stdout when JSON goes to a file, else stderr. */
FILE *s2wl_out(const struct s2wl *wl);
void s2wl_progress(const struct s2wl *wl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
