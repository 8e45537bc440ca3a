/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a workload's host side reads from the kernel besides running the
 * VM (s2wl_host.c): the dirty ring's entries, page_idle and pagemap, the
 * binary statistics; and the page bitmaps and growing series they fill.
 * Shared by dirtylog.c, s2_access.c, s2_exit.c, s2_storm*.c and s2wl.c.
 */
#ifndef S2PERF_S2WL_HOST_H
#define S2PERF_S2WL_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm_util.h"

struct s2wl_vcpu;

/* ---- a bit per guest page ---- */

/* Atomic: vCPU threads that empty their own full ring set bits too. */
static inline void s2wl_bm_set(uint64_t *bm, uint64_t bit)
{
	__atomic_fetch_or(&bm[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
}

static inline bool s2wl_bm_test(const uint64_t *bm, uint64_t bit)
{
	return bm[bit / 64] >> (bit % 64) & 1;
}

static inline void s2wl_bm_clear(uint64_t *bm, uint64_t bit)
{
	bm[bit / 64] &= ~(1ull << (bit % 64));
}

/* ---- a series of values that grows as it is filled ---- */

struct s2wl_series {
	uint64_t *v;
	size_t n, cap;
};

void s2wl_series_add(struct s2wl_series *s, uint64_t x);

/* ---- the dirty ring ---- */

/*
 * Take every dirty entry off @v's ring (its wl's ring_entries, mapped
 * with vcpu_map_dirty_ring()) into @bm, a bit per page of the test
 * memslot below @npages (entries elsewhere are taken, not recorded), and
 * mark them for reset. Returns how many it took. Resetting the rings
 * (kvm_vm_reset_dirty_ring()) is the caller's.
 */
uint64_t s2wl_ring_harvest(struct s2wl_vcpu *v, uint64_t *bm, uint64_t npages);

/* ---- page_idle: aging through the MMU notifiers' clear_young ---- */

#define S2WL_PAGE_IDLE_BITMAP "/sys/kernel/mm/page_idle/bitmap"

struct s2wl_idle {
	int fd;			/* S2WL_PAGE_IDLE_BITMAP */
	int pagemap;		/* /proc/self/pagemap */
	uint64_t errors;	/* reads and writes that failed: counted, not fatal */
	int first_errno;
};

/*
 * Open the bitmap and this process's pagemap: 0, or -1 with the reason in
 * @why (the bitmap needs CONFIG_IDLE_PAGE_TRACKING and root).
 */
int s2wl_idle_open(struct s2wl_idle *idle, char *why, size_t len);
void s2wl_idle_close(struct s2wl_idle *idle);

/*
 * The host PFNs of the present base pages of [@hva, @hva + @len) into
 * @pfns (room for @len / the page size), in address order; returns how
 * many. A failed pagemap read counts as an error and skips that page.
 */
uint64_t s2wl_idle_pfns(struct s2wl_idle *idle, const char *hva, uint64_t len, uint64_t *pfns);

/*
 * Mark @pfns idle (the kernel clears the young bits of their mappings,
 * stage-2 ones included), or (@mark false) count how many are idle still.
 * One 64-bit word of the bitmap per run of PFNs in the same word (sorted
 * PFNs make few). A failed read counts its pages as idle (not seen).
 */
uint64_t s2wl_idle_bits(struct s2wl_idle *idle, const uint64_t *pfns, uint64_t n, bool mark);

/* ---- binary statistics (KVM_GET_STATS_FD) ---- */

/*
 * A stats fd with its header and descriptors, read once, through the
 * selftests framework's helpers (which assert on a short read: a stats fd
 * KVM just gave us does not fail to read).
 */
struct s2wl_stats {
	int fd;
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *descs;
};

/* Takes @fd (closed by s2wl_stats_close()). */
void s2wl_stats_open(struct s2wl_stats *s, int fd);
void s2wl_stats_close(struct s2wl_stats *s);
struct kvm_stats_desc *s2wl_stats_desc(struct s2wl_stats *s, uint32_t i);
/* The index of statistic @name, or -1. */
int s2wl_stats_find(struct s2wl_stats *s, const char *name);
/* The first @n values of statistic @i. */
void s2wl_stats_read(struct s2wl_stats *s, uint32_t i, uint64_t *v, size_t n);

#endif
