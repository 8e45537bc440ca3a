/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The workload spec (s2workloads.def, read through s2wl_spec.c): which
 * workloads there are, which options each takes, and what a value of each
 * must be. The workloads parse their command lines with it
 * (guests/s2wl_opts.c, guests/s2_upstream.c) and s2bench's plan check
 * (bench/plan.c) checks a plan's options with it, so a plan that passes
 * `plan check` asks for nothing its workload refuses: one rule, one
 * message, in one place.
 */
#ifndef S2PERF_S2WL_SPEC_H
#define S2PERF_S2WL_SPEC_H

#include <stddef.h>
#include <stdint.h>

/* -v's limit; the workloads size their per-vCPU arrays by it. */
#define S2WL_MAX_VCPUS 512

/* What a value is. */
enum s2wl_kind {
	S2WL_FLAG,	/* no value */
	S2WL_TEXT,	/* any text (a file name) */
	S2WL_UINT,	/* a whole number from min to max (s2_parse_uint) */
	S2WL_SIZE,	/* a size, 512M, 2G (s2_parse_size) */
	S2WL_NAME,	/* one of names */
	S2WL_NAMES,	/* a comma list of names, none empty or repeated: one value */
	S2WL_CPUS,	/* a comma list of CPU numbers, 0,1: one value */
};

/* How a value is checked and told. */
#define S2WL_RANGE	(1u << 0)	/* the message ends in " (min-max)" */
#define S2WL_LIST	(1u << 1)	/* the message ends in " (name, name, ...)" */
#define S2WL_POW2	(1u << 2)	/* UINT, SIZE: a power of two */
#define S2WL_ZERO	(1u << 3)	/* SIZE: "0" too */

/* Which workloads have an option without listing it. */
enum s2wl_scope {
	S2WL_OWN,	/* those that list it */
	S2WL_EVERY,	/* every workload, s2_upstream too */
	S2WL_LIBRARY,	/* every workload on the s2wl library (S2WL_LIB) */
};

struct s2wl_opt {
	char letter;
	const char *name;		/* --name (the workloads' long option), or NULL */
	const char *param;		/* its key in a cell's params (manifest.json), or NULL */
	enum s2wl_scope scope;
	enum s2wl_kind kind;
	unsigned int flags;
	uint64_t min, max;		/* S2WL_UINT */
	const char *const *names;	/* S2WL_NAME, S2WL_NAMES: NULL-terminated */
	/* The error after "-L: ", %s the value; NULL: "'%s' is not " and the names. */
	const char *bad;
	/* Set by the harness for each cell: why a plan may not set it. */
	const char *harness;
	/* When the value is needs.value, option needs.letter must be given as needs.equals. */
	struct {
		const char *value;
		char letter;
		uint64_t equals;
		const char *why;
	} needs;
};

/* A names list for an option: S2WL_NAMES("on", "off"). */
#define S2WL_NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* What a workload is. */
#define S2WL_PLAN	(1u << 0)	/* a plan may run it (else tests and soaks only) */
#define S2WL_LIB	(1u << 1)	/* built on the s2wl library: S2WL_WORKLOAD() */

#define S2WL_MAX_OWN 12

struct s2wl_spec {
	const char *name;
	unsigned int flags;
	const char *about;			/* one line */
	const struct s2wl_opt *own[S2WL_MAX_OWN];	/* NULL-terminated */
};

extern const struct s2wl_spec s2wl_specs[];
extern const size_t s2wl_nspecs;

/* The workload called @name, or NULL. */
const struct s2wl_spec *s2wl_spec_find(const char *name);

/* Option -@letter of @w (its own or one its scope gives it), or NULL. */
const struct s2wl_opt *s2wl_spec_opt(const struct s2wl_spec *w, char letter);

/* @w's options in turn, from i = 0 until NULL: the shared ones first. */
const struct s2wl_opt *s2wl_spec_nth(const struct s2wl_spec *w, size_t i);

/*
 * Check @arg as a value of @o. Returns 0 with *@v the number or size, a
 * NAME's index in names, a NAMES' mask of indexes (0 for TEXT, CPUS and
 * FLAG); or -1 with "-L: what is wrong" in @err.
 */
int s2wl_opt_check(const struct s2wl_opt *o, const char *arg, uint64_t *v, char *err,
		   size_t len);

/*
 * The rules between @w's options (struct s2wl_opt's needs), given
 * @value(letter, @ctx): the value given for -letter, or NULL if it was not
 * (an option not given does not have the value a rule needs). Returns 0,
 * or -1 with the broken rule in @err.
 */
int s2wl_spec_needs(const struct s2wl_spec *w, const char *(*value)(char letter, void *ctx),
		    void *ctx, char *err, size_t len);

/* The names of the workloads with all of @flags, separated by @sep, into @buf. */
const char *s2wl_spec_names(unsigned int flags, const char *sep, char *buf, size_t len);

#endif
