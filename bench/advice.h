/* SPDX-License-Identifier: GPL-2.0 */
/* advice.c: the report's tuning advice. */
#ifndef S2BENCH_ADVICE_H
#define S2BENCH_ADVICE_H

#include "rdoc.h"
#include "report.h"
#include "rgroup.h"

/* The headline's metrics: per configuration the first of each list it has. */
extern const char *const rhl_pass[];
extern const char *const rhl_populate[];
/* The tuning advice; its significant answers (after Holm) also go to @f. */
void advice_build(struct rdoc *d, const struct rset *s, struct rfindings *f);

#endif
