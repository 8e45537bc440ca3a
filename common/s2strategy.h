/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stage-2 locking strategies, in the order of the kernel's enum
 * kvm_s2_strategy (kernel-patches/0001, 0007, 0008): a strategy's number in the
 * kernel (its debugfs file, the kvm_s2_vm_init tracepoint) is its index
 * here. Every part of s2perf takes the list from this header: the
 * workloads' -S, the collector's document, the plans and the report's
 * order. A new strategy is one more name at the end, as in the kernel.
 */
#ifndef S2PERF_S2STRATEGY_H
#define S2PERF_S2STRATEGY_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* An initialiser list: const char *const names[] = { S2_STRATEGY_NAMES }; */
#define S2_STRATEGY_NAMES "exclusive", "rwlock", "rcu", "fastpath", "hypfast", "hwdbm"
#define S2_NR_STRATEGIES 6

_Static_assert(sizeof((const char *[]){ S2_STRATEGY_NAMES }) / sizeof(const char *) ==
	       S2_NR_STRATEGIES, "S2_NR_STRATEGIES does not count S2_STRATEGY_NAMES");

/*
 * Not a strategy of the kernel: "select none". The workload leaves
 * kvm.stage2_strategy alone and runs with the kernel's own locking: a
 * kernel without this series (upstream, another version, a developer's
 * tree), or the series' default. It names cells that are to be compared
 * across kernels (bench/README.md, "Kernels").
 */
#define S2_STRATEGY_UPSTREAM "upstream"

/* The kernel's number of strategy @name, or -1 if there is none. */
static inline int s2_strategy_index(const char *name)
{
	static const char *const names[] = { S2_STRATEGY_NAMES };
	int i;

	for (i = 0; i < S2_NR_STRATEGIES; i++)
		if (!strcmp(name, names[i]))
			return i;
	return -1;
}

/* The name of strategy number @i, or NULL. */
static inline const char *s2_strategy_name(unsigned int i)
{
	static const char *const names[] = { S2_STRATEGY_NAMES };

	return i < S2_NR_STRATEGIES ? names[i] : NULL;
}

/*
 * The names for people, into @buf: "exclusive, rwlock, ..., hwdbm", or
 * with @last (e.g. "or") before the last one instead of a comma.
 */
static inline const char *s2_strategy_list(char *buf, size_t len, const char *last)
{
	size_t n = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < S2_NR_STRATEGIES && n < len; i++) {
		bool final = i && i + 1 == S2_NR_STRATEGIES && last;

		n += snprintf(buf + n, len - n, "%s%s%s%s", !i ? "" : final ? " " : ", ",
			      final ? last : "", final ? " " : "", s2_strategy_name(i));
	}
	return buf;
}

#endif
