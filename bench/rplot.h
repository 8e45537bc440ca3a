/* SPDX-License-Identifier: GPL-2.0 */
/* rplot.c: the plots the report draws: plots/ID.dat and a generic gnuplot script each. */
#ifndef S2BENCH_RPLOT_H
#define S2BENCH_RPLOT_H

#include <stdbool.h>

#include "rdoc.h"
#include "rgroup.h"

struct rplot_opts {
	bool draw;		/* false: --no-plots */
	const char *plots_dir;	/* where the gnuplot scripts are */
};
void rplot_all(struct rdoc *d, const struct rset *s, const struct rplot_opts *o);

#endif
