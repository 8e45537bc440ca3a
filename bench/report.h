/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.c (`s2bench report`): what its sections share with the parts
 * that build some of them (advice.c, rplot.c): the summary's findings and
 * the headline's metrics.
 */
#ifndef S2BENCH_REPORT_H
#define S2BENCH_REPORT_H

#include <stddef.h>

/* Findings the summary at the top of the report lists. */
struct rfindings {
	char **v;
	size_t n;
};
void rfinding_add(struct rfindings *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rfindings_free(struct rfindings *f);

/* The headline's write-protection fault latency (the collector's histograms). */
#define RMETRIC_WP_P50 "collector.fault_latency.permission.p50"

#endif
