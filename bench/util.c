// SPDX-License-Identifier: GPL-2.0
/*
 * What every part of s2bench needs, one copy for all of bench/ (s2bench.h):
 *  - allocation that cannot fail to the caller: out of memory is not an
 *    input error and no caller could carry on, so s2bench says so and
 *    exits 2 (1 would read as a finding to compare's callers);
 *  - files written whole or not at all: a reader (a browser on the report,
 *    a resumed run, a CI job) never sees half of one;
 *  - the CSV writer and splitter every table of a run goes through;
 *  - the end of a subcommand's option loop, so that -h, a missing value
 *    and an unknown option read the same in every subcommand.
 */
#define _GNU_SOURCE	/* vasprintf */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2bench.h"

static void __attribute__((noreturn)) out_of_memory(void)
{
	fputs("s2bench: out of memory\n", stderr);
	exit(S2BENCH_EXIT_USAGE);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void free_strv(char **v, size_t n)
{
	while (n--)
		free(v[n]);
	free(v);
}

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		out_of_memory();
	return d;
}

FILE *atomic_open(const char *path, char *tmp, size_t tmplen, char *err, size_t errlen)
{
	FILE *f;

	if ((size_t)snprintf(tmp, tmplen, "%s.tmp", path) >= tmplen) {
		snprintf(err, errlen, "%.900s: path too long", path);
		return NULL;
	}
	f = fopen(tmp, "w");
	if (!f)
		snprintf(err, errlen, "cannot write %.900s: %s", tmp, strerror(errno));
	return f;
}

bool atomic_commit(FILE *f, const char *tmp, char *err, size_t errlen)
{
	size_t n = strlen(tmp) - 4;	/* without ".tmp" */
	char path[4096];

	snprintf(path, sizeof(path), "%.*s", (int)n, tmp);
	if (fclose(f)) {
		snprintf(err, errlen, "cannot write %.900s: %s", tmp, strerror(errno));
		unlink(tmp);
		return false;
	}
	if (rename(tmp, path)) {
		snprintf(err, errlen, "cannot rename %.900s: %s", tmp, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

bool write_file_atomic(const char *path, const char *data, size_t len, char *err, size_t errlen)
{
	char tmp[4096];
	FILE *f = atomic_open(path, tmp, sizeof(tmp), err, errlen);

	if (!f)
		return false;
	if (fwrite(data, 1, len, f) != len) {
		snprintf(err, errlen, "cannot write %.900s: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		return false;
	}
	return atomic_commit(f, tmp, err, errlen);
}

FILE *run_file_open(const char *dir, const char *name, char *tmp, size_t tmplen, const char *who)
{
	char path[4096], err[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = atomic_open(path, tmp, tmplen, err, sizeof(err));
	if (!f)
		s2b_err("%s%s", who, err);
	return f;
}

bool run_file_commit(FILE *f, const char *tmp, const char *who)
{
	char err[1024];

	if (!atomic_commit(f, tmp, err, sizeof(err))) {
		s2b_err("%s%s", who, err);
		return false;
	}
	return true;
}

char *rvstrf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		out_of_memory();
	return s;
}

char *rstrf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = rvstrf(fmt, ap);
	va_end(ap);
	return s;
}

void csv_put(FILE *f, const char *s)
{
	if (!strpbrk(s, ",\"\n\r")) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

int csv_split(char *line, char **fields, int max)
{
	int n = 0;
	char *r = line, *w;

	for (;;) {
		if (n == max)
			return -1;
		if (*r == '"') {
			fields[n++] = w = ++r;
			for (;;) {
				if (!*r)
					return -1;
				if (*r == '"' && r[1] == '"') {
					*w++ = '"';
					r += 2;
				} else if (*r == '"') {
					r++;
					break;
				} else {
					*w++ = *r++;
				}
			}
			*w = 0;
			if (*r && *r != ',')
				return -1;
		} else {
			fields[n++] = r;
			r += strcspn(r, ",");
		}
		if (!*r)
			return n;
		*r++ = 0;
	}
}

int s2b_opt_end(const char *cmd, int c, char **argv, void (*usage)(FILE *f))
{
	switch (c) {
	case 'h':
		usage(stdout);
		return S2BENCH_EXIT_OK;
	case ':':
		s2b_err("%s: %s needs a value", cmd, argv[optind - 1]);
		return S2BENCH_EXIT_USAGE;
	default:
		s2b_err("%s: unknown option '%s' (s2bench %s -h)", cmd, argv[optind - 1], cmd);
		return S2BENCH_EXIT_USAGE;
	}
}
