/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2_storm's parts (how the check is exact: the top of s2_storm.c):
 *
 *   s2_storm_check.c  the check: the guest's window protocol, the harvests
 *                     (the s2wl library's ring harvest), every window's
 *                     pages against the two logs that may hold them, the
 *                     content at the end
 *   s2_storm_dist.c   the disturbers: MADV_DONTNEED, aging (the library's
 *                     page_idle), memory.reclaim, fork(); their JSON
 *   s2_storm.c        the options, the kernel's counters, main: the run,
 *                     the document and the summary
 */
#ifndef S2PERF_S2_STORM_H
#define S2PERF_S2_STORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "s2wl.h"

/* ---- the guest (s2_storm_check.c) ---- */

/* The record arrays rotate over this many windows (see the top). */
#define STORM_NREC 3
/* The stamp keeps 24 bits of the window; the run stops before it wraps. */
#define STORM_WINDOW_MAX ((1ull << 24) - 1)
#define STORM_STAMP(w, vcpu, page) \
	(((uint64_t)(w) << 40) | ((uint64_t)(vcpu) << 31) | (uint64_t)(page))

/* Written by one vCPU, read by the host; a cache line each. */
struct storm_vcpu_shared {
	uint64_t ack;		/* window of its last completed access */
	uint64_t writes;
	uint64_t reads;
	uint64_t passes;
	uint64_t pad[4];
};

/* Lives in the guest's image (memslot 0, never logged); the host maps it. */
struct storm_shared {
	uint64_t window;
	uint64_t stop;
	uint64_t pad[6];
	struct storm_vcpu_shared v[S2WL_MAX_VCPUS];
};

struct storm_guest_args {
	uint64_t gva;
	uint64_t pages_per_vcpu;
	uint64_t page_size;
	uint64_t total_pages;
	uint64_t rec_gva;
	uint64_t seed;
	uint32_t write_pct;
	uint32_t random;
};

extern struct storm_shared storm_shared;
extern struct storm_guest_args storm_args;

/* splitmix64: the same in guest and host, and all one seed needs. */
static inline uint64_t storm_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void storm_guest_code(uint32_t vcpu);

/* ---- the options (s2_storm.c) ---- */

enum log_mode { LOG_GET, LOG_CLEAR, LOG_RING };
extern const char *const log_names[];

enum disturber { D_DONTNEED, D_AGE, D_RECLAIM, D_FORK, NR_DIST };
/* The disturbers' names; -x also takes the two after them: all (NR_DIST), none. */
extern const char *const dist_names[NR_DIST + 2];

#define STORM_MAX_MISSES_LISTED 16
/* A vCPU that makes no access for this long is stuck, not slow. */
#define STORM_ACK_TIMEOUT_NS (120ull * 1000000000ull)

/*
 * The disturbers' pace leaves the vCPUs time to fault memory back in: under
 * emulation a stage-2 fault costs 0.1-1 ms, and at 256K every 2 ms the
 * storm was nothing but translation faults (66-106 writes/s measured on
 * the debug kernel, every page zeroed dozens of times, few write-protection
 * faults left for the fast path to take). fork() invalidates all of the
 * process's private memory, the guest's code and stack included, so it
 * runs 50 times less often than the others (every ~1 s by default: at
 * every 100 ms, every guest access was a translation fault).
 */
struct storm_opts {
	enum log_mode mode;
	bool mode_set;
	uint64_t ring_entries;
	uint64_t seconds;
	uint64_t writes_target;
	uint64_t chunk;
	uint64_t pause_us;
	uint64_t harvest_pause_us;
	bool off[NR_DIST];
};
extern struct storm_opts opt;

/* ---- the storm's state (s2_storm.c) ---- */

struct dist {
	enum disturber kind;
	pthread_t thread;
	bool running;
	const char *unavailable;	/* NULL: it ran */
	char why[384];
	uint64_t rng;
	uint64_t calls, bytes;		/* actions and the bytes they covered */
	uint64_t a, b;			/* per kind: see dist_json() */
	uint64_t errors;
	int first_errno;
	struct s2wl_series t;		/* ns per action */
	/* aging */
	struct s2wl_idle idle;
	uint64_t *pfns;
	/* reclaim */
	int reclaim_fd;
	char cg_file[320];
	char mounted[64];		/* where this run mounted cgroup2, or "" */
	bool swap;
};

struct miss {
	uint64_t page, window;
};

struct storm_state {
	struct s2wl *wl;
	struct storm_shared *sh;	/* host view of the guest's storm_shared */
	uint32_t *rec;			/* host view of the records, [3][total] */
	uint64_t total, words;
	uint64_t *acc;			/* ring: collected since the last harvest */
	pthread_mutex_t log_lock;	/* ring: collection and reset */
	bool zeroable;			/* MADV_DONTNEED may leave zeroes */
	bool shared;			/* MAP_SHARED backing: fork's child only reads */
	volatile bool dist_stop;
	struct dist d[NR_DIST];

	uint64_t n_get, n_clear, n_reset, ring_entries_seen;
	uint64_t page_windows, late, spurious, after_final;
	uint64_t misses, drop_left;
	struct miss first_miss[STORM_MAX_MISSES_LISTED];
	uint64_t content_checked, content_zero, content_err;
	uint64_t first_bad_page, first_bad_value, first_bad_want;
};
extern struct storm_state st;

/* ---- the check (s2_storm_check.c) ---- */

/* A full ring stops its vCPU: it empties its own ring into the harvest in progress. */
bool storm_on_exit(struct s2wl_vcpu *v, struct kvm_run *run);
/* One harvest into @bm; returns its time in ns. */
uint64_t storm_harvest(uint64_t *bm);
void storm_check_window(uint64_t w, uint64_t *lw, uint64_t *lw1);
void storm_check_spurious(uint64_t h, const uint64_t *lh);
void storm_check_content(void);
/* The vCPUs' counters in struct storm_vcpu_shared at @field_off, summed. */
uint64_t sum_shared(size_t field_off);
uint64_t min_passes(void);
/* Wait until every vCPU has acknowledged window @w; returns a stuck vCPU or -1. */
int wait_acks(uint64_t w);
uint64_t popcount_bm(const uint64_t *bm);

/* ---- the disturbers (s2_storm_dist.c) ---- */

/* Start every disturber not left out (-x) that this host can run. */
void dist_start(uint64_t seed);
void dist_stop(void);
json_t *dist_json(const struct dist *d);

#endif
