/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The metric registry (registry.c): the only code in bench/ that reads the
 * workload's (s2perf.workload/1) and the collector's (s2perf.collector/1)
 * documents. It knows where every figure lives, how a series or a
 * histogram is reduced to one number, and what "unavailable" looks like.
 * `table` (table.c) writes what it reads into metrics.csv; the report's
 * plots (rplot.c) ask it for what metrics.csv cannot hold (a histogram's
 * buckets), by metric name, never by JSON path.
 */
#ifndef S2BENCH_REGISTRY_H
#define S2BENCH_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

enum better { BETTER_LOWER, BETTER_HIGHER, BETTER_NONE };

/* One entry of the metric registry. */
struct metric_def {
	const char *name;	/* e.g. "dirty.pass_time" */
	const char *unit;	/* unit of the value in metrics.csv, e.g. "ns" */
	enum better better;
	const char *source;	/* "workload" or "collector" */
	const char *path;	/* JSON path in that document, dots between keys, "*" any member */
	/*
	 * "value" a scalar {value, unit}; "sum" the scalars "*" matches;
	 * "median" of a series' values; "p50"/"p99" a quantile of log2
	 * histograms (merged over what "*" matches); "hist_count"/"hist_sum"
	 * their event count and total
	 */
	const char *reduce;
	bool gated;		/* compare exits 1 on a regression of this one */
	const char *label;	/* short text for people: "dirty pass" */
};
const struct metric_def *metric_find(const char *name);
const struct metric_def *metric_registry(size_t *n);
/*
 * Units of quantities that cannot go below zero (times, counts, sizes and
 * rates of them): a negative value in metrics.csv is refused. A unit not
 * listed (a ratio, a difference) may be signed.
 */
bool unit_nonnegative(const char *unit);
/* @m's place in the registry (the order of the report's and compare's tables). */
size_t metric_rank(const struct metric_def *m);
/* "lower", "higher" or "none": which way is better, as the JSON documents say it. */
const char *metric_better_name(const struct metric_def *m);

/* One document of one cell: cells/<id>/workload.json or collector.json. */
struct doc {
	char *path;		/* for messages */
	json_t *root;
};

/*
 * Load @source's ("workload" or "collector") document of cell @id of run
 * @dir and check its schema. False: one line in @err (missing, not JSON,
 * not that schema) and nothing to free.
 */
bool doc_load(const char *dir, const char *id, const char *source, struct doc *d, char *err,
	      size_t errlen);
void doc_free(struct doc *d);

/*
 * Why a cell that did not succeed says it did not: the "reason" of its
 * workload document, if it has one (into @buf; false: none).
 */
bool doc_reason(const char *dir, const char *id, char *buf, size_t len);

/* The figure is {"available": false, "reason"}: its reason, else NULL. */
const char *doc_unavailable(json_t *v);

/*
 * The one JSON path lookup (a figure): @path is keys with dots between
 * them, "*" every member that is an object. An unavailable figure on the way stops
 * the walk and is the answer's reason (under a "*", an unavailable member
 * is only not one of the matches).
 */
struct doc_found {
	json_t **nodes;
	size_t n, cap;
	const char *reason;	/* the first unavailable figure met on the way */
};
void doc_find(json_t *root, const char *path, struct doc_found *f);
void doc_found_free(struct doc_found *f);
/*
 * The member at @path taken as it is (no "*", an unavailable figure is an
 * object like any other): a document's own fields ("status", "clock"),
 * env.json's. NULL when a key is not there.
 */
json_t *doc_get(json_t *root, const char *path);
/* The string at @path, or NULL. */
const char *doc_str(json_t *root, const char *path);

enum doc_result {
	DOC_NONE,		/* not this document's figure */
	DOC_VALUE,
	DOC_UNAVAILABLE,	/* the reason in the message */
	DOC_MALFORMED,		/* one line in the message, naming the document */
};

/* The number @m gives for document @d (*out), or why not (@msg). */
enum doc_result metric_read(const struct metric_def *m, const struct doc *d, double *out,
			    char *msg, size_t len);

/* A histogram: its buckets merged over what a path matched, by upper bound. */
struct hist_bucket {
	double le;		/* inclusive upper bound; INFINITY for the open last bucket */
	double count;
};
struct hist {
	struct hist_bucket *b;	/* increasing le */
	size_t n, cap;
	double count, sum;	/* the histograms' own event count and total */
	size_t merged;		/* how many histograms */
};
/*
 * @m's histograms in @d (a "p50"/"p99"/"hist_*" metric) merged into @h
 * (zeroed first; hist_free() it whatever the result).
 */
enum doc_result metric_hist(const struct metric_def *m, const struct doc *d, struct hist *h,
			    char *msg, size_t len);
/*
 * The one histogram quantile: the upper bound of the smallest bucket that
 * holds the ceil(q * count)-th event (never below the true quantile, at
 * most one bucket above); unavailable with no events or in the open last
 * bucket.
 */
enum doc_result hist_quantile(const struct hist *h, double q, double *out, char *msg, size_t len);
void hist_free(struct hist *h);

#endif
