/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A run directory as s2bench's readers see it: the manifest's cells and the
 * long-format metrics table. Loading checks everything it reads; a problem
 * is one line naming the file (and line) in @err and a false return, so the
 * caller can print it and exit 2.
 */
#ifndef S2BENCH_RUNDIR_H
#define S2BENCH_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "registry.h"

/*
 * Cell modes: "timed" (bare), "collected" (under the plan's one s2collect
 * tier), "collected-default" and "collected-detail" (a plan of several
 * tiers), "bpftrace" (under bpf/s2faults.bt: the workload's figures only).
 * A collected mode has a collector document.
 */
static inline bool mode_collected(const char *mode)
{
	return !strcmp(mode, "collected") || !strcmp(mode, "collected-default") ||
	       !strcmp(mode, "collected-detail");
}

static inline bool mode_known(const char *mode)
{
	return !strcmp(mode, "timed") || !strcmp(mode, "bpftrace") || mode_collected(mode);
}

struct cell {
	char *id;
	int index, rep;
	char *profile, *mode, *strategy, *workload, *config;
	json_t *params;		/* object, borrowed from the manifest */
	char *status;		/* "0", "4", "124", "died", ... or NULL: not run */
};

struct row {			/* one line of metrics.csv */
	const struct cell *cell;
	const char *metric;	/* interned: compare pointers after metric_find() */
	char *unit;
	double value;
};

struct rundir {
	char *dir;
	json_t *manifest;
	char *plan;		/* plan name */
	struct cell *cells;
	size_t ncells;
	struct row *rows;
	size_t nrows;
	json_t *env;		/* env.json or NULL */
	char *clock;		/* "icount" or "realtime" (rundir_clock()) */
};

/*
 * The clock that produced a run's times: env.json's "clock", else the
 * metrics.csv column, else "realtime" (runs made before the deterministic
 * clock existed had no other).
 *   icount    QEMU -icount shift=0,sleep=off: 1 ns = 1 emulated instruction,
 *             deterministic, one emulated CPU at a time
 *   realtime  the host's CLOCK_MONOTONIC as the target reads it
 */
const char *rundir_clock(const struct rundir *r);
bool clock_known(const char *name);
/* One line on what a clock's figures are, for a header. */
const char *clock_meaning(const char *clock);

/* Load DIR/manifest.json and DIR/metrics.csv (and env.json if present). */
/*
 * The kernel a run ran on, for people, from env.json: "series:3 (6.12.118-
 * s2perf, patches 0123abcd...)", "host kernel 6.8.0" or "unrecorded".
 */
const char *rundir_kernel(const struct rundir *r, char *buf, size_t len);
bool rundir_load(const char *dir, struct rundir *r, char *err, size_t errlen);
/*
 * A string of env.json, under any of the names its writer (run-plan.sh,
 * s2bench env) has used for it, or NULL.
 */
enum rundir_env_key { ENV_KERNEL_RELEASE, ENV_KERNEL_SERIES, ENV_KERNEL_COMMIT };
const char *rundir_env(const struct rundir *r, enum rundir_env_key key);
/*
 * Only the manifest, env.json and each cell's status (cells/<id>/status,
 * else cells.csv): what `table` needs before metrics.csv exists.
 */
bool rundir_load_cells(const char *dir, struct rundir *r, char *err, size_t errlen);
void rundir_free(struct rundir *r);
const struct cell *rundir_cell(const struct rundir *r, const char *id);

/*
 * What a status means: "ok" (0), "skipped" (4: the host cannot), "hung"
 * (124/137: killed at the cell's timeout), "died" (the target stopped
 * during the cell), "failed" (anything else), "not_run" (NULL).
 */
const char *cell_outcome(const char *status);
/* ok and skipped cells are fine; the others make `table` exit 1. */
bool cell_outcome_bad(const char *status);

#endif
