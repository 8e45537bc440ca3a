/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The limits of the workloads' option values, in one place: the workloads
 * (guests/) refuse a value beyond them, and s2bench's plan check
 * (bench/plan.c) refuses a plan that asks for one, with the same numbers.
 */
#ifndef S2PERF_S2WL_LIMITS_H
#define S2PERF_S2WL_LIMITS_H

#define S2WL_MAX_VCPUS		512		/* -v */
#define S2WL_MAX_ITERATIONS	1000000ull	/* -i */
#define S2WL_MAX_PERCENT	100ull		/* -w */
#define S2WL_UNMAP_MAX_PAUSE_US	10000000ull	/* s2_unmap -p */
#define S2WL_EXIT_MAX_N		1000000000ull	/* s2_exit -n */

#endif
