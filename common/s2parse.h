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
#include <stdlib.h>

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

#endif
