/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Option values as every part of s2perf reads them: the workloads' -b and
 * chunk sizes, and the plans' bytes, chunk and ring sizes (bench/plan.c),
 * so that a size a plan accepts is one its workload accepts.
 */
#ifndef S2PERF_S2PARSE_H
#define S2PERF_S2PARSE_H

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A size: a number (decimal, 0x hex or 0 octal) and an optional binary
 * suffix k, m, g or t, optionally followed by b, either case ("512M",
 * "2G", "4096", "64KB"). Not 0, nothing that overflows 64 bits, no sign or
 * leading space. Returns 0, or -1 (and leaves *out alone).
 */
static inline int s2_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

/* A whole number up to @max, same rules (0 allowed). Returns 0 or -1. */
static inline int s2_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * A comma-separated list of names out of @names[0..@n-1] (@n <= 64) into
 * @mask, bit i for names[i]; empty items are skipped. Returns 0, or -1
 * with the first unknown item in @bad (cut to @badlen) and *mask left
 * alone. Nothing is allocated, so a caller that exits on -1 leaks nothing.
 */
static inline int s2_parse_names(const char *s, const char *const *names, int n,
				 uint64_t *mask, char *bad, size_t badlen)
{
	uint64_t m = 0;
	size_t len;
	int i;

	for (; s && *s; s += len + (s[len] == ',')) {
		len = strcspn(s, ",");
		if (!len)
			continue;
		for (i = 0; i < n; i++)
			if (strlen(names[i]) == len && !strncmp(s, names[i], len))
				break;
		if (i == n) {
			if (badlen)
				snprintf(bad, badlen, "%.*s", (int)len, s);
			return -1;
		}
		m |= 1ull << i;
	}
	*mask = m;
	return 0;
}

#endif
