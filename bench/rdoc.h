/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rdoc.c: the small document model the report is built in and rendered
 * from as text, Markdown and HTML, one source for the three so that they
 * never disagree.
 */
#ifndef S2BENCH_RDOC_H
#define S2BENCH_RDOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum rblock_kind { RB_HEADING, RB_PARA, RB_ITEM, RB_TABLE, RB_PLOT };

struct rtable {
	char *id;
	size_t ncols, nrows, cap;
	char **head;
	bool *num;		/* right-aligned column */
	char **cell;		/* nrows x ncols */
};

struct rblock {
	enum rblock_kind kind;
	int level;		/* heading */
	char *id;		/* heading, table, plot */
	char *text;		/* heading, para, item, plot caption */
	char *img;		/* plot: path relative to the run, without extension */
	struct rtable *t;
};

struct rdoc {
	struct rblock *b;
	size_t n, cap;
};

void rdoc_heading(struct rdoc *d, int level, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void rdoc_para(struct rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A paragraph with an element id in report.html (the clock line). */
void rdoc_para_id(struct rdoc *d, const char *id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void rdoc_item(struct rdoc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rdoc_plot(struct rdoc *d, const char *id, const char *img, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* @spec: column names, a leading '>' marks a right-aligned column. */
struct rtable *rdoc_table(struct rdoc *d, const char *id, size_t ncols, const char *const *spec);
/* Append a row of ncols strings (copied; NULL = empty). */
void rtable_row(struct rtable *t, const char *const *cells);
/* Drop the last block (a table that got no rows). */
void rdoc_pop(struct rdoc *d);
/* Move every block of @src to the end of @dst (@src is left empty). */
void rdoc_move(struct rdoc *dst, struct rdoc *src);
void rdoc_free(struct rdoc *d);

void rdoc_text(const struct rdoc *d, size_t from, size_t to, FILE *f);
void rdoc_markdown(const struct rdoc *d, FILE *f);
void rdoc_html(const struct rdoc *d, const char *title, FILE *f);

#endif
