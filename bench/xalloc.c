// SPDX-License-Identifier: GPL-2.0
/*
 * Allocation that cannot fail to the caller: out of memory is not an input
 * error and no caller could carry on, so s2bench says so and exits 2 (1
 * would read as a finding to compare's callers). One copy for all of
 * bench/ (s2bench.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		out_of_memory();
	return d;
}
