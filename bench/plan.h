/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A plan (bench/plans/NAME, format in bench/README.md) as plan.c reads it,
 * and its expansion into configurations and cells. Every problem is one
 * line "FILE:LINE: what is wrong" in @err and a false return.
 */
#ifndef S2BENCH_PLAN_H
#define S2BENCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

/*
 * At a second or more a cell, 20000 cells are more than 5 hours; the largest
 * shipped plan (full) has 2700.
 */
#define PLAN_MAX_CELLS 20000

struct plan_opt {
	char letter;
	char **vals;		/* one value, or the elements of a list */
	size_t nvals;
};

struct plan_workload {
	int line;
	const char *name;	/* static: from plan.c's list of workloads */
	struct plan_opt *opts;	/* in the plan's order */
	size_t nopts;
};

/* Where a key was set (0: not in the plan, the default holds). */
enum plan_key {
	PK_TARGET, PK_PROFILE, PK_FLAVOUR, PK_KVM, PK_STRATEGIES, PK_REPS, PK_COLLECT,
	PK_SEED, PK_TIMEOUT, PK_CPUS, PK_MEMORY, PK_WORKLOAD, PK_COLLECTOR, PK_ORDER, PK_CLOCK,
	PK_KERNEL, PK_FAULT_TIMING, PK_HW_ACCESS, NR_PLAN_KEYS,
};

struct plan {
	char *file, *name;
	int last_line;
	int key_line[NR_PLAN_KEYS];
	char *target, *flavour, *kvm, *memory;
	char *clock;		/* icount | realtime (rundir.h's rundir_clock()) */
	char **kernels;		/* kernel specs (target/common.sh): one run each */
	size_t nkernels;
	char *fault_timing;	/* on | off: kvm.stage2_fault_timing in the cells */
	char *hw_access;	/* on | off: kvm.stage2_hw_access (VTCR_EL2.HA) in the cells */
	char **collectors;	/* what runs beside collected reps, each in its own reps:
				 * default, detail (s2collect's tiers), bpftrace */
	size_t ncollectors;
	char *order;		/* sequential: collected reps after the timed ones;
				 * interleaved: timed rep r and collected rep r shuffled together */
	char **profiles;
	size_t nprofiles;
	char **strategies;
	size_t nstrategies;
	long reps, collect, timeout, cpus;
	unsigned long long seed;
	struct plan_workload *wls;
	size_t nwls;
};

/* One workload configuration: a workload and one value of each option. */
struct plan_config {
	int line;
	const char *workload;
	char *config;		/* "s2_dirty -v 2 -b 16M" (no strategy) */
	char **args;		/* the options after the name, as words */
	size_t nargs;
	json_t *params;		/* {"vcpus": "2", ...} */
};

struct plan_cell {
	int index, rep;
	const char *profile, *mode, *strategy;
	const struct plan_config *cfg;
};

struct plan_expansion {
	struct plan_config *configs;
	size_t nconfigs;
	struct plan_cell *cells;
	size_t ncells;
};

/* What the command line may override (NULL: the plan's). */
struct plan_overrides {
	const char *target, *profiles, *flavour, *clock, *kernel;
};

bool plan_load(const char *file, const struct plan_overrides *ov, struct plan *p,
	       char *err, size_t errlen);
bool plan_expand(const struct plan *p, struct plan_expansion *x, char *err, size_t errlen);
void plan_free(struct plan *p);
void plan_expansion_free(struct plan_expansion *x);

#endif
