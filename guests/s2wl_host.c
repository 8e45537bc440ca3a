// SPDX-License-Identifier: GPL-2.0
/*
 * What a workload's host side reads from the kernel besides running the
 * VM: dirty ring entries, page_idle and pagemap, binary statistics
 * (s2wl_host.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2wl.h"

#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)
#define PAGEMAP_PRESENT (1ull << 63)

void s2wl_series_add(struct s2wl_series *s, uint64_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		TEST_ASSERT(s->v, "out of memory");
	}
	s->v[s->n++] = x;
}

uint64_t s2wl_ring_harvest(struct s2wl_vcpu *v, uint64_t *bm, uint64_t npages)
{
	struct kvm_dirty_gfn *ring = vcpu_map_dirty_ring(v->vcpu), *e;
	uint32_t entries = v->wl->ring_entries;
	uint64_t n = 0;

	for (;;) {
		e = &ring[v->ring_fetch % entries];
		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == S2WL_SLOT && e->offset < npages)
			s2wl_bm_set(bm, e->offset);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_fetch++;
		n++;
	}
	return n;
}

/* ---- page_idle ---- */

int s2wl_idle_open(struct s2wl_idle *idle, char *why, size_t len)
{
	*idle = (struct s2wl_idle){ .fd = -1, .pagemap = -1 };
	idle->fd = open(S2WL_PAGE_IDLE_BITMAP, O_RDWR);
	if (idle->fd < 0) {
		snprintf(why, len, "%s: %s (aging needs CONFIG_IDLE_PAGE_TRACKING and root)",
			 S2WL_PAGE_IDLE_BITMAP, strerror(errno));
		return -1;
	}
	idle->pagemap = open("/proc/self/pagemap", O_RDONLY);
	if (idle->pagemap < 0) {
		snprintf(why, len, "/proc/self/pagemap: %s", strerror(errno));
		close(idle->fd);
		idle->fd = -1;
		return -1;
	}
	return 0;
}

void s2wl_idle_close(struct s2wl_idle *idle)
{
	if (idle->fd >= 0)
		close(idle->fd);
	if (idle->pagemap >= 0)
		close(idle->pagemap);
	idle->fd = idle->pagemap = -1;
}

static void idle_error(struct s2wl_idle *idle)
{
	if (!idle->errors++)
		idle->first_errno = errno;
}

uint64_t s2wl_idle_pfns(struct s2wl_idle *idle, const char *hva, uint64_t len, uint64_t *pfns)
{
	uint64_t psz = getpagesize(), va = (uint64_t)hva, i, e, found = 0;

	for (i = 0; i < len / psz; i++) {
		if (pread(idle->pagemap, &e, 8, (va / psz + i) * 8) != 8) {
			idle_error(idle);
			continue;
		}
		if ((e & PAGEMAP_PRESENT) && (e & PAGEMAP_PFN_MASK))
			pfns[found++] = e & PAGEMAP_PFN_MASK;
	}
	return found;
}

uint64_t s2wl_idle_bits(struct s2wl_idle *idle, const uint64_t *pfns, uint64_t n, bool mark)
{
	uint64_t i = 0, idle_pages = 0, word, bits;

	while (i < n) {
		uint64_t w = pfns[i] / 64;

		bits = 0;
		while (i < n && pfns[i] / 64 == w)
			bits |= 1ull << (pfns[i++] % 64);
		if (mark) {
			if (pwrite(idle->fd, &bits, 8, w * 8) != 8)
				idle_error(idle);
		} else if (pread(idle->fd, &word, 8, w * 8) != 8) {
			idle_error(idle);
			idle_pages += __builtin_popcountll(bits);
		} else {
			idle_pages += __builtin_popcountll(word & bits);
		}
	}
	return idle_pages;
}

/* ---- binary statistics ---- */

void s2wl_stats_open(struct s2wl_stats *s, int fd)
{
	s->fd = fd;
	read_stats_header(fd, &s->hdr);
	s->descs = read_stats_descriptors(fd, &s->hdr);
}

void s2wl_stats_close(struct s2wl_stats *s)
{
	free(s->descs);
	s->descs = NULL;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

struct kvm_stats_desc *s2wl_stats_desc(struct s2wl_stats *s, uint32_t i)
{
	return get_stats_descriptor(s->descs, i, &s->hdr);
}

int s2wl_stats_find(struct s2wl_stats *s, const char *name)
{
	for (uint32_t i = 0; i < s->hdr.num_desc; i++)
		if (!strcmp(s2wl_stats_desc(s, i)->name, name))
			return i;
	return -1;
}

void s2wl_stats_read(struct s2wl_stats *s, uint32_t i, uint64_t *v, size_t n)
{
	read_stat_data(s->fd, &s->hdr, s2wl_stats_desc(s, i), v, n);
}
