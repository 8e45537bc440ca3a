/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2bench's subcommands. Each returns the process exit status: 0 ok, 1 a
 * finding (compare: a gated regression; table/report: failed cells), 2 bad
 * input (one line on stderr naming what is wrong).
 */
#ifndef S2BENCH_H
#define S2BENCH_H

#define S2BENCH_EXIT_OK 0
#define S2BENCH_EXIT_FINDING 1
#define S2BENCH_EXIT_USAGE 2

int cmd_plan(int argc, char **argv);	 /* plan.c: plan check|expand */
int cmd_env(int argc, char **argv);	 /* plan.c: env.json */
int cmd_table(int argc, char **argv);	 /* table.c */
int cmd_report(int argc, char **argv);	 /* report.c */
int cmd_compare(int argc, char **argv);	 /* compare.c */
int cmd_kcidb(int argc, char **argv);	 /* kcidb.c */
int cmd_kernels(int argc, char **argv);	 /* kernels.c */
int cmd_stats(int argc, char **argv);	 /* stats_cmd.c */
int cmd_simulate(int argc, char **argv); /* stats_cmd.c */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* util.c: out of memory says so and exits 2; never NULL. */
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* An array of @n strings and the strings. */
void free_strv(char **v, size_t n);
/* printf into a fresh string (the same: never NULL). */
char *rstrf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *rvstrf(const char *fmt, va_list ap);

/*
 * util.c: a file written whole or not at all. atomic_open() opens PATH.tmp
 * (its name into @tmp); atomic_commit() closes it and renames it to PATH,
 * removing it on failure. write_file_atomic() does both for a buffer. On
 * failure, false (or NULL) and one line in @err.
 */
FILE *atomic_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen);
bool atomic_commit(FILE *f, const char *tmp, char *err, size_t errlen);
bool write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen);
/*
 * The same for a file of a run directory, @dir/@name: on failure one line
 * (s2b_err: @who, then what went wrong) and NULL or false.
 */
FILE *run_file_open(const char *dir, const char *name, char *tmp, size_t tmplen, const char *who);
bool run_file_commit(FILE *f, const char *tmp, const char *who);

/*
 * util.c: CSV as table writes it and its readers read it (RFC 4180).
 * csv_put(): one field, quoted only when it holds , " or a newline.
 * csv_split(): one record (no embedded newlines: ours never have them)
 * into @fields, in place; the field count, or -1 for a broken quote or
 * more than @max fields.
 */
void csv_put(FILE *f, const char *s);
int csv_split(char *line, char **fields, int max);

/*
 * util.c: the end of a subcommand's option loop (getopt_long with a
 * leading ':' in its options): -h ('h') prints @usage on stdout and is 0;
 * a missing value (':') or an unknown option is one line and 2. The
 * caller returns what it returns.
 */
int s2b_opt_end(const char *cmd, int c, char **argv, void (*usage)(FILE *f));

/* One line on stderr, prefixed "s2bench: ". */
void s2b_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
