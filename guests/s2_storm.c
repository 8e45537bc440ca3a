// SPDX-License-Identifier: GPL-2.0
/*
 * s2_storm: everything that can change a stage-2 leaf at once, and a check
 * that no dirty page is lost.
 *
 * The vCPUs write without pause (free-running, a seeded random permutation
 * of their pages per pass) while the host harvests the dirty log
 * continuously (-l get, clear or ring; -H: a random pause between
 * harvests, so that windows range from a few writes to enough to fill a
 * small dirty ring) and other host threads, each at its own
 * seeded random pace, invalidate random chunks (MADV_DONTNEED), age them
 * (page_idle marks: clear_young, then access-flag faults), ask for reclaim
 * (a cgroup's memory.reclaim) and fork() a child that touches a chunk and
 * exits (copy-on-write: the fork's invalidation, then a CoW break on the
 * guest's next write).
 *
 * How the check is exact. Harvests are numbered h = 1, 2, ...; the host
 * publishes a window number in a shared page (guest memory outside the
 * logged slot) and, per iteration h:
 *
 *   1. harvests the log: L_h
 *   2. publishes window h + 1
 *   3. waits until every vCPU has acknowledged window h + 1
 *
 * The guest, for every page it visits: reads the window w, writes the page
 * (the stamp: w, vCPU, page), stores w in its record rec[w % 3][page] (its
 * own memory, outside the logged slot, untouched by the disturbers), then
 * store-releases its ack = w. So a write tagged w starts after harvest w - 1
 * is complete (w is published after it) and is complete before harvest
 * w + 1 starts (the ack of w + 1 comes after it in program order, and the
 * host waits for that ack before harvest w + 1). Whatever the kernel does
 * meanwhile, a correct one has marked the page when the write completes:
 * either the write faulted (the fault marks the page before the guest
 * resumes) or the stage-2 leaf was already writable, which it can only be
 * after a mark that no completed harvest has collected yet (a harvest
 * collects, then write-protects; reset/clear re-protect what was
 * collected). Hence:
 *
 *   every page written in window w is in L_w or L_{w+1}; in L_{w+1} only,
 *   it is "late by one" (the write raced harvest w); in neither, it is a
 *   miss: the run fails and the page, window and strategy are named.
 *
 * Window w is checked in iteration w + 1 after step 3, when every write
 * tagged w + 1 is complete too and no write tagged w + 3 (which reuses
 * rec[w % 3]) has started: the three record arrays rotate, so the guest
 * never needs to be stopped. The vCPUs are stopped at the end and a final
 * harvest must hold every write of the last two windows; one more harvest
 * after that should be empty (reported, "after_final"). L_h can only hold
 * pages written in windows h - 1 and h; others are counted as spurious
 * (over-reporting is legal for KVM, so reported, not failed).
 *
 * What the disturbers legitimately do. MADV_DONTNEED frees the page and
 * unmaps the stage-2 leaf (MMU notifier): the next guest access faults a
 * new zeroed page in, and a write marks the page like any other write
 * fault, so the log must hold it. The content is lost: at the end a page
 * holds the stamp of its last write or, for private memory where
 * MADV_DONTNEED ran, zero; anything else is a stamp error. Aging clears
 * the access flag (kvm_age_gfn; under rcu and fastpath without mmu_lock):
 * the next access takes an access-flag fault, which must not make a leaf
 * writable or lose a write-protection. fork() write-protects the parent's
 * private memory and unmaps its stage-2 leaves; the guest's next write
 * faults, breaks CoW in the parent (or reuses the page once the child has
 * gone) and marks the page. The child's own writes go to its copies, so
 * the guest sees none of them (on shared backings the child only reads).
 * Reclaim ages pages (clear_young, as above) and swaps out the cold ones:
 * an invalidation like MADV_DONTNEED, but the content comes back from swap,
 * so the stamp must survive; without swap it cannot take anonymous memory
 * at all, and where the kernel has no memory cgroup it is unavailable (the
 * document says why). None of these marks a page dirty.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2wl.h"

/* ---- guest ---- */

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

static struct storm_shared storm_shared;
static struct storm_guest_args storm_args;

/*
 * Primes above any page count s2wl accepts (< 2^31): (i * p + off) % n is a
 * permutation of 0..n-1 for each, so every pass visits every page once in
 * an order that changes from pass to pass, with no table in the guest.
 */
static const uint64_t storm_strides[8] = {
	2147483659ull, 2147483693ull, 2147483713ull, 2147483743ull,
	2147483777ull, 2147483783ull, 2147483813ull, 2147483857ull,
};

/* splitmix64: the same in guest and host, and all one seed needs. */
static inline uint64_t storm_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void storm_guest_code(uint32_t vcpu)
{
	const struct storm_guest_args *a = &storm_args;
	struct storm_shared *sh = &storm_shared;
	struct storm_vcpu_shared *me = &sh->v[vcpu];
	uint64_t n = a->pages_per_vcpu, first = (uint64_t)vcpu * n;
	uint64_t base = a->gva + first * a->page_size;
	volatile uint32_t *rec = (volatile uint32_t *)a->rec_gva;
	uint64_t pass, i, page, stride = 1, off = 0, w, x, visits = 0;
	volatile uint64_t *p;

	/* First touch, before logging starts: window 0, never checked. */
	for (i = 0; i < n; i++)
		*(volatile uint64_t *)(base + i * a->page_size) = STORM_STAMP(0, vcpu, i);
	GUEST_SYNC(0);

	for (pass = 0;; pass++) {
		if (a->random) {
			x = storm_mix(a->seed ^ (pass << 32) ^ vcpu);
			stride = storm_strides[x % 8];
			off = storm_mix(x) % n;
		}
		for (i = 0; i < n; i++) {
			/* The host stops the vCPUs between two accesses, never inside one. */
			while (READ_ONCE(sh->stop))
				GUEST_SYNC(1);
			page = (i * stride + off) % n;
			p = (volatile uint64_t *)(base + page * a->page_size);
			w = __atomic_load_n(&sh->window, __ATOMIC_ACQUIRE);
			if (a->write_pct >= 100 ||
			    storm_mix(a->seed ^ ((uint64_t)vcpu << 48) ^ visits) % 100 < a->write_pct) {
				*p = STORM_STAMP(w, vcpu, page);
				rec[(w % STORM_NREC) * a->total_pages + first + page] = w;
				WRITE_ONCE(me->writes, me->writes + 1);
			} else {
				(void)*p;
				WRITE_ONCE(me->reads, me->reads + 1);
			}
			visits++;
			/* Orders the page and the record before the ack (see the top). */
			__atomic_store_n(&me->ack, w, __ATOMIC_RELEASE);
		}
		WRITE_ONCE(me->passes, me->passes + 1);
		GUEST_SYNC(1);
	}
}

/* ---- options ---- */

enum log_mode { LOG_GET, LOG_CLEAR, LOG_RING };
static const char *const log_names[] = { "get", "clear", "ring" };

enum disturber { D_DONTNEED, D_AGE, D_RECLAIM, D_FORK, NR_DIST };
/* The disturbers' names; -x also takes the two after them: all (NR_DIST), none. */
static const char *const dist_names[NR_DIST + 2] = {
	"dontneed", "age", "reclaim", "fork", "all", "none"
};

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
static struct {
	enum log_mode mode;
	bool mode_set;
	uint64_t ring_entries;
	uint64_t seconds;
	uint64_t writes_target;
	uint64_t chunk;
	uint64_t pause_us;
	uint64_t harvest_pause_us;
	bool off[NR_DIST];
} opt = { .ring_entries = 256, .chunk = 64ull << 10, .pause_us = 20000, .harvest_pause_us = 1000 };

/*
 * Values checked by the spec (common/s2workloads.def): -l an index in
 * log_names, -x a mask in dist_names' order.
 */
static int storm_opt(struct s2wl *wl, int o, const char *arg, uint64_t v)
{
	int d;

	switch (o) {
	case 'l':
		opt.mode = v;
		opt.mode_set = true;
		return 0;
	case 'e':
		opt.ring_entries = v;
		return 0;
	case 't':
		opt.seconds = v;
		return 0;
	case 'W':
		opt.writes_target = v;
		return 0;
	case 'u':
		opt.chunk = v;
		return 0;
	case 'p':
		opt.pause_us = v;
		return 0;
	case 'H':
		opt.harvest_pause_us = v;
		return 0;
	case 'x':
		for (d = 0; d < NR_DIST; d++)
			if (v & (1ull << d | 1ull << NR_DIST))	/* the name, or all */
				opt.off[d] = true;
		return 0;
	}
	return -1;
}

static void help(const struct s2wl_cli *cli)
{
	printf("Everything that changes a stage-2 leaf at once, and no dirty page lost:\n"
	       "vCPUs write without pause (one stamp per write, a seeded random order per\n"
	       "pass; -A sequential: page order) while the host harvests the dirty log\n"
	       "continuously and other threads invalidate (MADV_DONTNEED), age\n"
	       "(page_idle), reclaim (memory.reclaim) and fork() (copy-on-write) at\n"
	       "random places and times. Every page written in\n"
	       "harvest window w must be in the log of harvest w or w + 1, and a final\n"
	       "harvest after the vCPUs stop must hold every write; a miss names the page,\n"
	       "the window and the strategy and fails the run (exit 1).\n\n"
	       "The run ends when the slowest vCPU has made -i passes, or -t seconds have\n"
	       "passed, or the vCPUs have made -W writes, whichever comes first.\n\n"
	       "storm options:\n"
	       "  -l MODE   get (KVM_GET_DIRTY_LOG), clear (KVM_GET_DIRTY_LOG then\n"
	       "            KVM_CLEAR_DIRTY_LOG, manual protection) or ring (dirty ring)\n"
	       "            (default: clear where the kernel offers it, else get)\n"
	       "  -e N      dirty ring entries per vCPU, a power of two, at least a host\n"
	       "            page's worth (default %" PRIu64 ": small enough to fill, so vCPUs\n"
	       "            stop on a full ring and empty it themselves)\n"
	       "  -H USEC   mean pause between the end of one harvest window's check and the\n"
	       "            next harvest, uniform over 0-2x, so that windows range from a\n"
	       "            few writes to many (default %" PRIu64 "; 0: back to back)\n"
	       "  -t SECS   stop after SECS seconds of storm (default 0: no limit)\n"
	       "  -W N      stop after N guest writes (default 0: no limit)\n"
	       "  -u SIZE   bytes per invalidation, aging, reclaim request and fork touch\n"
	       "            (default 64K; a multiple of the backing page)\n"
	       "  -p USEC   mean pause of each disturber between two of its actions (uniform\n"
	       "            over 0.5-1.5x; fork() pauses 50x as long) (default %" PRIu64 ")\n"
	       "  -x LIST   disturbers to leave out: dontneed, age, reclaim, fork, all\n"
	       "            (default: none; one that the host cannot run is reported\n"
	       "            unavailable with its reason)\n\n",
	       opt.ring_entries, opt.harvest_pause_us, opt.pause_us);
}

/* ---- the storm's state ---- */

struct series {
	uint64_t *v;
	size_t n, cap;
};

static void series_add(struct series *s, uint64_t x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 1024;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		TEST_ASSERT(s->v, "out of memory");
	}
	s->v[s->n++] = x;
}

struct dist {
	enum disturber kind;
	pthread_t thread;
	bool running;
	const char *unavailable;	/* NULL: it ran */
	char why[384];
	uint64_t rng;
	uint64_t calls, bytes;		/* actions and the bytes they covered */
	uint64_t a, b;			/* per kind: see storm_dist_json() */
	uint64_t errors;
	int first_errno;
	struct series t;		/* ns per action */
	/* aging */
	int idle_fd, pagemap_fd;
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

static struct {
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
} st;

static inline void bm_set(uint64_t *bm, uint64_t bit)
{
	__atomic_fetch_or(&bm[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
}

static inline bool bm_test(const uint64_t *bm, uint64_t bit)
{
	return bm[bit / 64] >> (bit % 64) & 1;
}

static inline void bm_clear(uint64_t *bm, uint64_t bit)
{
	bm[bit / 64] &= ~(1ull << (bit % 64));
}

/* ---- harvesting ---- */

/* Take one vCPU's dirty entries into @bm; caller holds log_lock. */
static void ring_collect(struct s2wl_vcpu *v, uint64_t *bm)
{
	struct kvm_dirty_gfn *ring = vcpu_map_dirty_ring(v->vcpu), *e;
	uint32_t n = st.wl->ring_entries;

	for (;;) {
		e = &ring[v->ring_fetch % n];
		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == S2WL_SLOT && e->offset < st.total)
			bm_set(bm, e->offset);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_fetch++;
		st.ring_entries_seen++;
	}
}

/*
 * A full ring stops its vCPU until userspace resets it: the vCPU thread
 * empties its own ring into the log of the harvest in progress and goes on.
 */
static bool storm_on_exit(struct s2wl_vcpu *v, struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_DIRTY_RING_FULL)
		return false;
	v->ring_full_exits++;
	pthread_mutex_lock(&st.log_lock);
	ring_collect(v, st.acc);
	kvm_vm_reset_dirty_ring(st.wl->vm);
	st.n_reset++;
	pthread_mutex_unlock(&st.log_lock);
	return true;
}

/* One harvest into @bm; returns its time in ns. */
static uint64_t storm_harvest(uint64_t *bm)
{
	struct s2wl *wl = st.wl;
	uint64_t start = s2wl_now_ns();
	int v;

	switch (opt.mode) {
	case LOG_GET:
	case LOG_CLEAR:
		memset(bm, 0, st.words * 8);
		kvm_vm_get_dirty_log(wl->vm, S2WL_SLOT, bm);
		st.n_get++;
		if (opt.mode == LOG_CLEAR) {
			kvm_vm_clear_dirty_log(wl->vm, S2WL_SLOT, bm, 0, st.total);
			st.n_clear++;
		}
		break;
	case LOG_RING:
		pthread_mutex_lock(&st.log_lock);
		for (v = 0; v < wl->p.vcpus; v++)
			ring_collect(&wl->vcpus[v], st.acc);
		kvm_vm_reset_dirty_ring(wl->vm);
		st.n_reset++;
		memcpy(bm, st.acc, st.words * 8);
		memset(st.acc, 0, st.words * 8);
		pthread_mutex_unlock(&st.log_lock);
		break;
	}
	return s2wl_now_ns() - start;
}

/* ---- the check ---- */

static inline uint32_t *rec_of(uint64_t w)
{
	return st.rec + (w % STORM_NREC) * st.total;
}

static void storm_miss(uint64_t page, uint64_t w)
{
	if (st.misses < STORM_MAX_MISSES_LISTED)
		st.first_miss[st.misses] = (struct miss){ .page = page, .window = w };
	st.misses++;
}

/*
 * Window @w against the logs of harvests w (@lw) and w + 1 (@lw1; NULL for
 * the last window, which only the final harvest can hold). Every write
 * tagged w and w + 1 is complete; none tagged w + 3 has started.
 */
static void storm_check_window(uint64_t w, uint64_t *lw, uint64_t *lw1)
{
	const uint32_t *r = rec_of(w), *rn = rec_of(w + 1);
	uint64_t p;

	if (!w)
		return;
	for (p = 0; p < st.total; p++) {
		if (r[p] != w)
			continue;
		st.page_windows++;
		/*
		 * S2PERF_TEST_DROP_DIRTY: the test suite's proof that a loss is
		 * caught. Only pages the next window did not write again, so each
		 * drop is exactly one miss.
		 */
		if (st.drop_left && lw1 && rn[p] != w + 1) {
			bm_clear(lw, p);
			bm_clear(lw1, p);
			st.drop_left--;
		}
		if (bm_test(lw, p))
			continue;
		if (lw1 && bm_test(lw1, p)) {
			st.late++;
			continue;
		}
		storm_miss(p, w);
	}
}

/* Pages in the log of harvest @h that neither window h - 1 nor h wrote. */
static void storm_check_spurious(uint64_t h, const uint64_t *lh)
{
	const uint32_t *rp = rec_of(h - 1), *rh = rec_of(h);
	uint64_t i, m, p;

	for (i = 0; i < st.words; i++) {
		for (m = lh[i]; m; m &= m - 1) {
			p = i * 64 + __builtin_ctzll(m);
			if (p < st.total && rh[p] != h && (h == 1 || rp[p] != h - 1))
				st.spurious++;
		}
	}
}

/* The last write to each page is what it holds, or zero where freed. */
static void storm_check_content(void)
{
	struct s2wl *wl = st.wl;
	uint64_t p, w, want, got;
	int k;

	for (p = 0; p < st.total; p++) {
		for (w = 0, k = 0; k < STORM_NREC; k++)
			w = st.rec[k * st.total + p] > w ? st.rec[k * st.total + p] : w;
		want = STORM_STAMP(w, p / wl->pages_per_vcpu, p % wl->pages_per_vcpu);
		got = *(volatile uint64_t *)(wl->hva + p * wl->page_size);
		st.content_checked++;
		if (got == want)
			continue;
		if (!got && st.zeroable) {
			st.content_zero++;
			continue;
		}
		if (!st.content_err++) {
			st.first_bad_page = p;
			st.first_bad_value = got;
			st.first_bad_want = want;
		}
	}
}

/* ---- disturbers ---- */

static uint64_t dist_rand(struct dist *d)
{
	d->rng = storm_mix(d->rng);
	return d->rng;
}

static void dist_pause(struct dist *d, uint64_t scale)
{
	uint64_t us = opt.pause_us * scale;

	usleep(us / 2 + dist_rand(d) % (us + 1));
}

/* A random chunk of the test memory, aligned to the backing page. */
static uint64_t dist_chunk(struct dist *d)
{
	uint64_t hps = st.wl->host_page_size;
	uint64_t slots = (st.total * st.wl->page_size - opt.chunk) / hps + 1;

	return dist_rand(d) % slots * hps;
}

/* Why a disturber did not run (vsnprintf: a long path is cut, not refused). */
static void __attribute__((format(printf, 2, 3))) dist_why(struct dist *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->unavailable = d->why;
}

static void dist_error(struct dist *d, int err)
{
	if (!d->errors++)
		d->first_errno = err;
}

static void *dontneed_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, t;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		t = s2wl_now_ns();
		if (madvise(st.wl->hva + off, opt.chunk, MADV_DONTNEED)) {
			dist_error(d, errno);
		} else {
			series_add(&d->t, s2wl_now_ns() - t);
			d->calls++;
			d->bytes += opt.chunk;
		}
		dist_pause(d, 1);
	}
	return NULL;
}

#define PAGE_IDLE_BITMAP "/sys/kernel/mm/page_idle/bitmap"
#define PAGEMAP_PFN_MASK ((1ull << 55) - 1)
#define PAGEMAP_PRESENT (1ull << 63)

/* The PFNs of the base pages of [off, off + chunk), present ones only. */
static uint64_t age_pfns(struct dist *d, uint64_t off)
{
	uint64_t psz = getpagesize(), n = opt.chunk / psz, i, found = 0, e;
	uint64_t va = (uint64_t)st.wl->hva + off;

	for (i = 0; i < n; i++) {
		if (pread(d->pagemap_fd, &e, 8, (va / psz + i) * 8) != 8) {
			dist_error(d, errno);
			return 0;
		}
		if ((e & PAGEMAP_PRESENT) && (e & PAGEMAP_PFN_MASK))
			d->pfns[found++] = e & PAGEMAP_PFN_MASK;
	}
	return found;
}

/*
 * Mark @pfns idle (clear_young through the MMU notifiers: the stage-2
 * access flags go) or count how many are no longer idle.
 */
static uint64_t age_bits(struct dist *d, const uint64_t *pfns, uint64_t n, bool mark)
{
	uint64_t i, word, seen = 0;

	for (i = 0; i < n; i++) {
		word = 1ull << (pfns[i] % 64);
		if (mark) {
			if (pwrite(d->idle_fd, &word, 8, pfns[i] / 64 * 8) != 8)
				dist_error(d, errno);
		} else {
			uint64_t got;

			if (pread(d->idle_fd, &got, 8, pfns[i] / 64 * 8) != 8)
				dist_error(d, errno);
			else
				seen += !(got & word);
		}
	}
	return seen;
}

static void *age_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, n, t;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		/* PFNs change under MADV_DONTNEED and CoW: look them up each time. */
		n = age_pfns(d, off);
		t = s2wl_now_ns();
		age_bits(d, d->pfns, n, true);
		series_add(&d->t, s2wl_now_ns() - t);
		d->calls++;
		d->bytes += opt.chunk;
		d->a += n;
		dist_pause(d, 1);
		/* Read back: pages the guest touched since (an approximate count). */
		d->b += age_bits(d, d->pfns, n, false);
	}
	return NULL;
}

static void *reclaim_thread(void *arg)
{
	struct dist *d = arg;
	char req[32];
	uint64_t t;
	int len;

	len = snprintf(req, sizeof(req), "%" PRIu64, opt.chunk);
	while (!st.dist_stop) {
		t = s2wl_now_ns();
		if (write(d->reclaim_fd, req, len) == len) {
			d->calls++;
		} else if (errno == EAGAIN) {
			/* Less than asked could be reclaimed: normal without swap. */
			d->calls++;
			d->a++;
		} else {
			dist_error(d, errno);
		}
		series_add(&d->t, s2wl_now_ns() - t);
		d->bytes += opt.chunk;
		dist_pause(d, 1);
	}
	return NULL;
}

static void *fork_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, t, i, hps = st.wl->host_page_size;
	int status;
	pid_t pid;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		t = s2wl_now_ns();
		pid = fork();
		if (pid == 0) {
			/* Only memory and _exit(): this child of a threaded process. */
			for (i = 0; i < opt.chunk; i += hps) {
				volatile uint8_t *b = (volatile uint8_t *)st.wl->hva + off + i + 8;

				if (st.shared)
					(void)*b;
				else
					*b = *b + 1;
			}
			_exit(0);
		}
		if (pid < 0) {
			dist_error(d, errno);
		} else {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			series_add(&d->t, s2wl_now_ns() - t);
			d->calls++;
			d->bytes += opt.chunk;
			if (WIFSIGNALED(status))
				d->a++;
		}
		dist_pause(d, 50);
	}
	return NULL;
}

/* Where cgroup2 is mounted, mounting it if the kernel has it and nobody did. */
static bool find_cgroup2(struct dist *d, char *mnt, size_t len)
{
	struct mntent *m;
	char line[128];
	bool have = false;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2") &&
		    snprintf(mnt, len, "%s", m->mnt_dir) < (int)len) {
			endmntent(f);
			return true;
		}
	if (f)
		endmntent(f);
	f = fopen("/proc/filesystems", "r");
	while (f && fgets(line, sizeof(line), f))
		have |= strstr(line, "\tcgroup2\n") != NULL;
	if (f)
		fclose(f);
	if (!have) {
		dist_why(d, "this kernel has no cgroup2 file system "
			 "(no CONFIG_CGROUPS/CONFIG_MEMCG), so no memory.reclaim");
		return false;
	}
	snprintf(d->mounted, sizeof(d->mounted), "/tmp/s2_storm-cgroup.XXXXXX");
	if (!mkdtemp(d->mounted)) {
		dist_why(d, "cgroup2 is not mounted and no directory to mount "
			 "it on: %s", strerror(errno));
		d->mounted[0] = 0;
		return false;
	}
	if (mount("cgroup2", d->mounted, "cgroup2", 0, NULL)) {
		dist_why(d, "cgroup2 is not mounted and mounting it failed: %s",
			 strerror(errno));
		rmdir(d->mounted);
		d->mounted[0] = 0;
		return false;
	}
	return snprintf(mnt, len, "%s", d->mounted) < (int)len;
}

static void reclaim_setup(struct dist *d)
{
	char mnt[256], line[512], *path = NULL;
	FILE *f;

	if (!find_cgroup2(d, mnt, sizeof(mnt)))
		return;
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			path = line + 3;
			break;
		}
	if (f)
		fclose(f);
	if (!path) {
		dist_why(d, "this process is in no cgroup2 group (/proc/self/cgroup)");
		return;
	}
	/*
	 * Our own group: reclaim then falls on this process (in the target, the
	 * root group, i.e. the whole machine, which is all ours).
	 */
	if (snprintf(d->cg_file, sizeof(d->cg_file), "%s%s/memory.reclaim", mnt,
		     strcmp(path, "/") ? path : "") >= (int)sizeof(d->cg_file))
		errno = ENAMETOOLONG;
	else
		d->reclaim_fd = open(d->cg_file, O_WRONLY);
	if (d->reclaim_fd < 0) {
		dist_why(d, "%s: %s (the memory controller is not enabled "
			 "for this group, or the kernel has no CONFIG_MEMCG)", d->cg_file, strerror(errno));
		return;
	}
	f = fopen("/proc/swaps", "r");
	while (f && fgets(line, sizeof(line), f))
		d->swap |= strncmp(line, "Filename", 8) != 0;
	if (f)
		fclose(f);
}

static void age_setup(struct dist *d)
{
	uint64_t n, i, any = 0, e, psz = getpagesize();

	d->idle_fd = open(PAGE_IDLE_BITMAP, O_RDWR);
	if (d->idle_fd < 0) {
		dist_why(d, "%s: %s (aging needs CONFIG_IDLE_PAGE_TRACKING and root)",
			 PAGE_IDLE_BITMAP, strerror(errno));
		return;
	}
	d->pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	TEST_ASSERT(d->pagemap_fd >= 0, "/proc/self/pagemap: %s", strerror(errno));
	d->pfns = calloc(opt.chunk / psz, sizeof(uint64_t));
	TEST_ASSERT(d->pfns, "out of memory");
	/* After the first touch every page is present; without PFNs we are not root. */
	n = st.total * st.wl->page_size / psz;
	for (i = 0; i < n && !any; i += n / 16 + 1)
		if (pread(d->pagemap_fd, &e, 8, ((uint64_t)st.wl->hva / psz + i) * 8) == 8)
			any = e & PAGEMAP_PFN_MASK;
	if (!any)
		dist_why(d, "/proc/self/pagemap shows no page frame numbers (needs CAP_SYS_ADMIN)");
}

static void *(*const dist_fn[NR_DIST])(void *) = {
	dontneed_thread, age_thread, reclaim_thread, fork_thread,
};

static void dist_start(uint64_t seed)
{
	struct dist *d;
	int k;

	for (k = 0; k < NR_DIST; k++) {
		d = &st.d[k];
		d->kind = k;
		d->reclaim_fd = d->idle_fd = d->pagemap_fd = -1;
		/* One seed reproduces the vCPUs' order and every disturber's schedule. */
		d->rng = storm_mix(seed ^ (0xd157ull << 48) ^ k);
		if (opt.off[k]) {
			dist_why(d, "left out (-x %s)", dist_names[k]);
			continue;
		}
		if (k == D_AGE)
			age_setup(d);
		if (k == D_RECLAIM)
			reclaim_setup(d);
		if (d->unavailable)
			continue;
		TEST_ASSERT(!pthread_create(&d->thread, NULL, dist_fn[k], d),
			    "cannot start the %s thread", dist_names[k]);
		d->running = true;
	}
}

static void dist_stop(void)
{
	struct dist *d;
	int k;

	st.dist_stop = true;
	for (k = 0; k < NR_DIST; k++) {
		d = &st.d[k];
		if (d->running)
			pthread_join(d->thread, NULL);
		d->running = false;
		if (d->mounted[0]) {
			if (d->reclaim_fd >= 0)
				close(d->reclaim_fd);
			d->reclaim_fd = -1;
			if (!umount(d->mounted))
				rmdir(d->mounted);
			d->mounted[0] = 0;
		}
	}
}

static json_t *dist_json(const struct dist *d)
{
	json_t *o;

	if (d->unavailable)
		return s2_junavail(d->unavailable);
	o = json_pack("{s:o, s:o}", "calls", s2_jint(d->calls, "calls"),
		      "bytes", s2_jint(d->bytes, "bytes"));
	json_object_set_new(o, "time", d->t.n ? s2wl_j_series(d->t.v, d->t.n, "ns") :
			    s2_junavail("no call completed"));
	switch (d->kind) {
	case D_DONTNEED:
		json_object_set_new(o, "how", json_string("madvise(MADV_DONTNEED) of a random chunk"));
		break;
	case D_AGE:
		json_object_set_new(o, "how", json_string(
			"page_idle bits set on a random chunk's PFNs (clear_young), read back "
			"after a pause"));
		json_object_set_new(o, "pages_marked", s2_jint(d->a, "pages"));
		json_object_set_new(o, "pages_seen_accessed", s2_jint(d->b, "pages"));
		json_object_set_new(o, "pages_seen_accessed_is", json_string(
			"pages no longer idle when read back; approximate, as MADV_DONTNEED and "
			"CoW change PFNs meanwhile"));
		break;
	case D_RECLAIM:
		json_object_set_new(o, "how", json_string(d->cg_file));
		json_object_set_new(o, "short_calls", s2_jint(d->a, "calls"));
		json_object_set_new(o, "swap", json_boolean(d->swap));
		if (!d->swap)
			json_object_set_new(o, "note", json_string(
				"no swap: anonymous (guest) memory is not reclaimed, so reclaim "
				"only drops page cache and short calls are expected"));
		break;
	case D_FORK:
		json_object_set_new(o, "how", json_string(st.shared ?
			"fork(); the child reads a byte of each page of a random chunk (shared "
			"backing: a write would reach the guest) and exits" :
			"fork(); the child writes a byte of each page of a random chunk (its own "
			"CoW copies) and exits"));
		json_object_set_new(o, "children_signalled", s2_jint(d->a, "processes"));
		break;
	case NR_DIST:
		break;
	}
	json_object_set_new(o, "errors", s2_jint(d->errors, "calls"));
	if (d->errors)
		json_object_set_new(o, "first_error", json_string(strerror(d->first_errno)));
	return o;
}

/* ---- the kernel's own counters ---- */

/*
 * KVM's binary statistics: the cumulative counters (events and bytes) of
 * the VM and the sum over its vCPUs, before and after the storm. Times,
 * peaks and histograms are left out: only deltas of counts compare
 * between runs.
 */
struct kstats {
	int fd;
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *descs;
	uint64_t *before, *sum;
};

static bool kstat_counted(const struct kvm_stats_desc *d)
{
	uint32_t type = d->flags & KVM_STATS_TYPE_MASK, unit = d->flags & KVM_STATS_UNIT_MASK;

	return type == KVM_STATS_TYPE_CUMULATIVE && d->size == 1 &&
	       (unit == KVM_STATS_UNIT_NONE || unit == KVM_STATS_UNIT_BYTES);
}

static void kstats_open(struct kstats *k, int fd)
{
	k->fd = fd;
	read_stats_header(fd, &k->hdr);
	k->descs = read_stats_descriptors(fd, &k->hdr);
	k->before = calloc(k->hdr.num_desc, 8);
	k->sum = calloc(k->hdr.num_desc, 8);
	TEST_ASSERT(k->before && k->sum, "out of memory");
}

static void kstats_read(struct kstats *k, uint64_t *into, bool add)
{
	struct kvm_stats_desc *d;
	uint64_t v;
	uint32_t i;

	for (i = 0; i < k->hdr.num_desc; i++) {
		d = get_stats_descriptor(k->descs, i, &k->hdr);
		if (!kstat_counted(d))
			continue;
		read_stat_data(k->fd, &k->hdr, d, &v, 1);
		into[i] = add ? into[i] + v : v;
	}
}

/* Deltas (after - before) of @k; vCPU stats are summed into the first's arrays. */
static json_t *kstats_json(struct kstats *k, const uint64_t *before, const uint64_t *after)
{
	json_t *o = json_object();
	struct kvm_stats_desc *d;
	uint32_t i;

	for (i = 0; i < k->hdr.num_desc; i++) {
		d = get_stats_descriptor(k->descs, i, &k->hdr);
		if (!kstat_counted(d))
			continue;
		json_object_set_new(o, d->name, s2_jint(after[i] - before[i],
			(d->flags & KVM_STATS_UNIT_MASK) == KVM_STATS_UNIT_BYTES ? "bytes" : "events"));
	}
	return o;
}

/* ---- main ---- */

static uint64_t sum_shared(size_t field_off)
{
	uint64_t s = 0;
	int v;

	for (v = 0; v < st.wl->p.vcpus; v++)
		s += __atomic_load_n((uint64_t *)((char *)&st.sh->v[v] + field_off), __ATOMIC_RELAXED);
	return s;
}

static uint64_t min_passes(void)
{
	uint64_t m = UINT64_MAX, x;
	int v;

	for (v = 0; v < st.wl->p.vcpus; v++) {
		x = __atomic_load_n(&st.sh->v[v].passes, __ATOMIC_RELAXED);
		m = x < m ? x : m;
	}
	return m;
}

/* Wait until every vCPU has acknowledged window @w; returns a stuck vCPU or -1. */
static int wait_acks(uint64_t w)
{
	uint64_t deadline = s2wl_now_ns() + STORM_ACK_TIMEOUT_NS;
	struct timespec nap = { 0, 20000 };
	int v;

	for (v = 0; v < st.wl->p.vcpus; v++)
		while (__atomic_load_n(&st.sh->v[v].ack, __ATOMIC_ACQUIRE) < w) {
			if (s2wl_now_ns() > deadline)
				return v;
			nanosleep(&nap, NULL);
		}
	return -1;
}

static uint64_t popcount_bm(const uint64_t *bm)
{
	uint64_t i, n = 0;

	for (i = 0; i < st.words; i++)
		n += __builtin_popcountll(bm[i]);
	return n;
}

const struct s2wl_cli s2_storm_cli = {
	.name = "s2_storm",
	.iterations = "passes over the memory after the first touch",
	.opt = storm_opt,
	.help = help,
};

int main(int argc, char **argv)
{
	struct s2wl wl = { .p = S2WL_PARAMS(.access = S2WL_RANDOM) };
	uint64_t *log_prev, *log_cur, *tmp, start, t_pop, t_storm, t_final, h, caps;
	uint64_t writes, reads, passes, rate, last_progress, deadline = 0, ring_full = 0, hrng;
	uint64_t *vstats_before, *vstats_after, *vmstats_after;
	struct kstats vmk = { 0 }, *vk;
	struct series harvest_t = { 0 };
	uint32_t ring_bytes = 0, max;
	const char *stop_reason = "passes";
	char why[512] = "";
	int stuck = -1, v, k, status = S2WL_EXIT_OK;
	bool have_stats;
	FILE *out;

	s2wl_init(&wl, &s2_storm_cli, argc, argv);
	st.wl = &wl;
	st.drop_left = getenv("S2PERF_TEST_DROP_DIRTY") ?
		strtoull(getenv("S2PERF_TEST_DROP_DIRTY"), NULL, 0) : 0;
	if (opt.chunk % getpagesize())
		s2wl_bad_arg(&wl, "-u: %" PRIu64 " is not a multiple of the page size", opt.chunk);

	/* What the kernel offers decides the default mode and what can be asked. */
	caps = kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (!opt.mode_set)
		opt.mode = caps ? LOG_CLEAR : LOG_GET;
	if (opt.mode == LOG_CLEAR && !caps)
		s2wl_skip(&wl, "-l clear: this kernel has no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	if (opt.mode == LOG_RING) {
		max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
		if (!max)
			max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING);
		if (!max)
			s2wl_skip(&wl, "-l ring: this kernel offers no dirty ring (KVM_CAP_DIRTY_LOG_RING%s)",
				  "[_ACQ_REL]");
		if (opt.ring_entries * sizeof(struct kvm_dirty_gfn) > max)
			s2wl_bad_arg(&wl, "-e: %" PRIu64 " entries exceed the kernel's limit of %zu",
				     opt.ring_entries, max / sizeof(struct kvm_dirty_gfn));
		/* KVM refuses a ring smaller than a page. */
		if (opt.ring_entries * sizeof(struct kvm_dirty_gfn) < (uint64_t)getpagesize())
			s2wl_bad_arg(&wl, "-e: %" PRIu64 " entries are less than the kernel's minimum of %zu",
				     opt.ring_entries, getpagesize() / sizeof(struct kvm_dirty_gfn));
		ring_bytes = opt.ring_entries * sizeof(struct kvm_dirty_gfn);
	}
	if (wl.p.bytes_per_vcpu * wl.p.vcpus / 4096 >= 1ull << 32)
		s2wl_bad_arg(&wl, "-b: more than 2^32 guest pages in all");

	s2wl_create_vm(&wl, ring_bytes);
	wl.on_exit = storm_on_exit;
	st.total = wl.pages_per_vcpu * wl.p.vcpus;
	st.words = (st.total + 63) / 64;
	if (opt.chunk % wl.host_page_size || opt.chunk > st.total * wl.page_size)
		s2wl_bad_arg(&wl, "-u: %" PRIu64 " must be a multiple of the %" PRIu64
			     "-byte backing page and at most the %" PRIu64 " bytes of guest memory",
			     opt.chunk, wl.host_page_size, st.total * wl.page_size);
	st.shared = backing_src_is_shared(wl.p.backing);
	st.zeroable = !opt.off[D_DONTNEED] && !st.shared;
	pthread_mutex_init(&st.log_lock, NULL);
	st.acc = calloc(st.words, 8);
	log_prev = calloc(st.words, 8);
	log_cur = calloc(st.words, 8);
	TEST_ASSERT(st.acc && log_prev && log_cur, "out of memory");
	if (opt.mode == LOG_CLEAR)
		vm_enable_cap(wl.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      caps & (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET));

	/* The records: guest memory in memslot 0, which is never logged. */
	storm_args = (struct storm_guest_args) {
		.gva = S2WL_GVA,
		.pages_per_vcpu = wl.pages_per_vcpu,
		.page_size = wl.page_size,
		.total_pages = st.total,
		.rec_gva = vm_vaddr_alloc(wl.vm, STORM_NREC * 4 * st.total, KVM_UTIL_MIN_VADDR),
		.seed = wl.p.seed,
		.write_pct = wl.p.write_pct,
		.random = wl.p.access == S2WL_RANDOM,
	};
	st.rec = addr_gva2hva(wl.vm, storm_args.rec_gva);
	memset(st.rec, 0, STORM_NREC * 4 * st.total);
	sync_global_to_guest(wl.vm, storm_args);
	st.sh = addr_gva2hva(wl.vm, (vm_vaddr_t)&storm_shared);
	memset(st.sh, 0, sizeof(*st.sh));

	have_stats = kvm_has_cap(KVM_CAP_BINARY_STATS_FD);
	vk = calloc(wl.p.vcpus, sizeof(*vk));
	TEST_ASSERT(vk, "out of memory");
	for (v = 0; v < wl.p.vcpus; v++) {
		/* s2wl's guest loop is not ours: every vCPU starts in storm_guest_code. */
		vcpu_arch_set_entry_point(wl.vcpus[v].vcpu, storm_guest_code);
		vcpu_args_set(wl.vcpus[v].vcpu, 1, v);
		if (opt.mode == LOG_RING)
			vcpu_map_dirty_ring(wl.vcpus[v].vcpu);
		if (have_stats)
			kstats_open(&vk[v], vcpu_get_stats_fd(wl.vcpus[v].vcpu));
	}
	if (have_stats)
		kstats_open(&vmk, vm_get_stats_fd(wl.vm));

	s2wl_start_vcpus(&wl);
	s2wl_progress(&wl, "populating %d x %" PRIu64 " MiB", wl.p.vcpus, wl.p.bytes_per_vcpu >> 20);
	start = s2wl_now_ns();
	s2wl_run_pass(&wl);
	t_pop = s2wl_phase(&wl, "populate", start);

	start = s2wl_now_ns();
	vm_mem_region_set_flags(wl.vm, S2WL_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	if (opt.mode == LOG_CLEAR && (caps & KVM_DIRTY_LOG_INITIALLY_SET)) {
		/* Initially-set logging protects nothing yet: clearing it all does. */
		memset(log_cur, 0xff, st.words * 8);
		kvm_vm_clear_dirty_log(wl.vm, S2WL_SLOT, log_cur, 0, st.total);
		st.n_clear++;
	}
	s2wl_phase(&wl, "enable_logging", start);

	if (have_stats) {
		kstats_read(&vmk, vmk.before, false);
		for (v = 0; v < wl.p.vcpus; v++)
			kstats_read(&vk[v], vk[v].before, false);
	}
	__atomic_store_n(&st.sh->window, 1, __ATOMIC_RELEASE);
	dist_start(wl.p.seed);
	for (k = 0; k < NR_DIST; k++)
		if (st.d[k].unavailable && !opt.off[k])
			s2wl_progress(&wl, "%s: unavailable: %s", dist_names[k], st.d[k].unavailable);
	s2wl_progress(&wl, "storm: %s log, strategy %s", log_names[opt.mode], wl.strategy_in_force);
	start = last_progress = s2wl_now_ns();
	if (opt.seconds)
		deadline = start + opt.seconds * 1000000000ull;
	hrng = storm_mix(wl.p.seed ^ (0x4a7full << 48));
	s2wl_release_free_run(&wl);

	memset(log_cur, 0, st.words * 8);
	for (h = 1;; h++) {
		tmp = log_prev;
		log_prev = log_cur;
		log_cur = tmp;
		series_add(&harvest_t, storm_harvest(log_cur));
		__atomic_store_n(&st.sh->window, h + 1, __ATOMIC_RELEASE);
		stuck = wait_acks(h + 1);
		if (stuck >= 0)
			break;
		storm_check_window(h - 1, log_prev, log_cur);
		storm_check_spurious(h, log_cur);

		writes = sum_shared(offsetof(struct storm_vcpu_shared, writes));
		if (s2wl_now_ns() - last_progress > 2000000000ull) {
			last_progress = s2wl_now_ns();
			s2wl_progress(&wl, "%.0f s: %" PRIu64 " writes, %" PRIu64 " harvests, %" PRIu64
				      " late by one, %" PRIu64 " missed", (last_progress - start) / 1e9,
				      writes, h, st.late, st.misses);
		}
		if (min_passes() >= (uint64_t)wl.p.iterations)
			break;
		if (opt.writes_target && writes >= opt.writes_target) {
			stop_reason = "writes";
			break;
		}
		if (deadline && s2wl_now_ns() >= deadline) {
			stop_reason = "time";
			break;
		}
		if (h + 2 >= STORM_WINDOW_MAX) {
			stop_reason = "windows";
			break;
		}
		if (opt.harvest_pause_us) {
			hrng = storm_mix(hrng);
			usleep(hrng % (2 * opt.harvest_pause_us + 1));
		}
	}

	/*
	 * Every write is complete once the vCPUs are stopped: they stop between
	 * writes. A stuck vCPU cannot stop: then the document is all that is left.
	 */
	__atomic_store_n(&st.sh->stop, 1, __ATOMIC_RELEASE);
	if (stuck < 0)
		s2wl_stop_vcpus(&wl);
	dist_stop();
	t_storm = s2wl_phase(&wl, "storm", start);

	if (stuck < 0) {
		start = s2wl_now_ns();
		tmp = log_prev;
		log_prev = log_cur;
		log_cur = tmp;
		series_add(&harvest_t, storm_harvest(log_cur));
		storm_check_window(h, log_prev, log_cur);
		storm_check_spurious(h + 1, log_cur);
		storm_check_window(h + 1, log_cur, NULL);
		/* Nothing runs now: a page here was marked after the final harvest. */
		storm_harvest(log_prev);
		st.after_final = popcount_bm(log_prev);
		t_final = s2wl_phase(&wl, "final_harvest", start);
		storm_check_content();
	} else {
		t_final = 0;
	}
	writes = sum_shared(offsetof(struct storm_vcpu_shared, writes));
	reads = sum_shared(offsetof(struct storm_vcpu_shared, reads));
	passes = sum_shared(offsetof(struct storm_vcpu_shared, passes));

	vstats_before = vstats_after = vmstats_after = NULL;
	if (have_stats) {
		vmstats_after = calloc(vmk.hdr.num_desc, 8);
		vstats_before = calloc(vk[0].hdr.num_desc, 8);
		vstats_after = calloc(vk[0].hdr.num_desc, 8);
		TEST_ASSERT(vmstats_after && vstats_before && vstats_after, "out of memory");
		kstats_read(&vmk, vmstats_after, false);
		for (v = 0; v < wl.p.vcpus; v++) {
			for (k = 0; k < (int)vk[0].hdr.num_desc; k++)
				vstats_before[k] += vk[v].before[k];
			kstats_read(&vk[v], vstats_after, true);
		}
	}
	for (v = 0; v < wl.p.vcpus; v++)
		ring_full += wl.vcpus[v].ring_full_exits;
	if (stuck < 0) {
		start = s2wl_now_ns();
		vm_mem_region_set_flags(wl.vm, S2WL_SLOT, 0);
		s2wl_phase(&wl, "disable_logging", start);
		s2wl_destroy_vm(&wl);
	}
	rate = t_storm ? (uint64_t)((double)writes * 1e9 / t_storm) : 0;

	{
		json_t *o, *m, *list = json_array();
		uint64_t i;

		o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o}",
			"log_mode", log_names[opt.mode], "strategy", wl.strategy_in_force,
			"populate_time", s2_jint(t_pop, "ns"),
			"storm_time", s2_jint(t_storm, "ns"),
			"writes", s2_jint(writes, "writes"),
			"reads", s2_jint(reads, "reads"),
			"passes", s2_jint(passes, "passes"),
			"write_rate", s2_jreal(rate, "writes/s"));
		json_object_set_new(o, "ended_by", json_string(stuck >= 0 ? "a stuck vCPU" : stop_reason));
		json_object_set_new(o, "limits", json_pack("{s:o, s:o, s:o}",
			"passes", s2_jint(wl.p.iterations, "passes"),
			"seconds", opt.seconds ? s2_jint(opt.seconds, "s") :
				s2_junavail("no time limit (-t 0)"),
			"writes", opt.writes_target ? s2_jint(opt.writes_target, "writes") :
				s2_junavail("no write target (-W 0)")));
		json_object_set_new(o, "harvests", s2_jint(harvest_t.n, "harvests"));
		json_object_set_new(o, "harvest_time", s2wl_j_series(harvest_t.v, harvest_t.n, "ns"));
		if (t_final)
			json_object_set_new(o, "final_harvest_time", s2_jint(t_final, "ns"));
		json_object_set_new(o, "ring_entries", opt.mode == LOG_RING ?
			s2_jint(wl.ring_entries, "entries") : s2_junavail("only with -l ring"));
		json_object_set_new(o, "ioctls", json_pack("{s:o, s:o, s:o}",
			"get_dirty_log", s2_jint(st.n_get, "calls"),
			"clear_dirty_log", s2_jint(st.n_clear, "calls"),
			"reset_dirty_rings", s2_jint(st.n_reset, "calls")));
		json_object_set_new(o, "page_windows_checked", s2_jint(st.page_windows, "pages"));
		json_object_set_new(o, "late_by_one", s2_jint(st.late, "pages"));
		json_object_set_new(o, "spurious", s2_jint(st.spurious, "pages"));
		json_object_set_new(o, "after_final", s2_jint(st.after_final, "pages"));
		for (i = 0; i < st.misses && i < STORM_MAX_MISSES_LISTED; i++) {
			uint64_t p = st.first_miss[i].page;
			char gpa[32];

			snprintf(gpa, sizeof(gpa), "0x%" PRIx64, wl.gpa + p * wl.page_size);
			json_array_append_new(list, json_pack("{s:I, s:i, s:I, s:s, s:I}",
				"page", (json_int_t)p, "vcpu", (int)(p / wl.pages_per_vcpu),
				"vcpu_page", (json_int_t)(p % wl.pages_per_vcpu), "gpa", gpa,
				"window", (json_int_t)st.first_miss[i].window));
		}
		m = json_pack("{s:o, s:o}", "count", s2_jint(st.misses, "pages"), "first", list);
		json_object_set_new(o, "misses", m);
		json_object_set_new(o, "content", json_pack("{s:o, s:o, s:o}",
			"checked", s2_jint(st.content_checked, "pages"),
			"zeroed_by_dontneed", s2_jint(st.content_zero, "pages"),
			"stamp_errors", s2_jint(st.content_err, "pages")));
		json_object_set_new(o, "invalidations", dist_json(&st.d[D_DONTNEED]));
		json_object_set_new(o, "aging", dist_json(&st.d[D_AGE]));
		json_object_set_new(o, "reclaim", dist_json(&st.d[D_RECLAIM]));
		json_object_set_new(o, "forks", dist_json(&st.d[D_FORK]));
		json_object_set_new(o, "kvm_stats", have_stats ?
			json_pack("{s:o, s:o}",
				  "vm", kstats_json(&vmk, vmk.before, vmstats_after),
				  "vcpus", kstats_json(&vk[0], vstats_before, vstats_after)) :
			s2_junavail("no KVM_CAP_BINARY_STATS_FD"));
		json_object_set_new(o, "params", json_pack("{s:o, s:o, s:o, s:b, s:b, s:b, s:b}",
			"harvest_pause_mean", s2_jint(opt.harvest_pause_us, "us"),
			"chunk", s2_jint(opt.chunk, "bytes"),
			"pause", s2_jint(opt.pause_us * 1000, "ns"),
			"dontneed", !opt.off[D_DONTNEED], "age", !opt.off[D_AGE],
			"reclaim", !opt.off[D_RECLAIM], "fork", !opt.off[D_FORK]));
		json_object_set_new(wl.doc, "storm", o);
	}

	out = s2wl_out(&wl);
	fprintf(out, "s2_storm: %d vCPUs x %" PRIu64 " MiB (%s), log %s%s, %d%% writes %s, strategy %s\n",
		wl.p.vcpus, wl.p.bytes_per_vcpu >> 20, vm_mem_backing_src_alias(wl.p.backing)->name,
		log_names[opt.mode], opt.mode == LOG_RING ? " (small ring)" : "", wl.p.write_pct,
		wl.p.access == S2WL_RANDOM ? "random" : "sequential", wl.strategy_in_force);
	fprintf(out, "  storm            %10.1f s     ended by %s\n", t_storm / 1e9,
		stuck >= 0 ? "a stuck vCPU" : stop_reason);
	fprintf(out, "  guest writes     %10" PRIu64 " writes  (%" PRIu64 " writes/s, %" PRIu64 " reads, %"
		PRIu64 " passes)\n", writes, rate, reads, passes);
	fprintf(out, "  harvests         %10zu harvests", harvest_t.n);
	if (opt.mode == LOG_RING)
		fprintf(out, " (and %" PRIu64 " full rings emptied by their vCPUs)", ring_full);
	fputc('\n', out);
	s2wl_print_series(&wl, "harvest", harvest_t.v, harvest_t.n, 1e3, "us", NULL);
	for (k = 0; k < NR_DIST; k++) {
		const struct dist *d = &st.d[k];
		static const char *const label[NR_DIST] = { "MADV_DONTNEED", "aging", "reclaim", "fork" };

		if (d->unavailable) {
			fprintf(out, "  %-16s unavailable: %s\n", label[k], d->unavailable);
			continue;
		}
		fprintf(out, "  %-16s %10" PRIu64 " calls   %.1f MiB", label[k], d->calls, d->bytes / 1048576.0);
		if (k == D_AGE)
			fprintf(out, ", %" PRIu64 " pages marked idle, %" PRIu64 " seen accessed", d->a, d->b);
		if (k == D_RECLAIM)
			fprintf(out, ", %" PRIu64 " short%s", d->a, d->swap ? "" : " (no swap)");
		if (k == D_FORK)
			fprintf(out, ", %" PRIu64 " children signalled", d->a);
		if (d->errors)
			fprintf(out, ", %" PRIu64 " errors (%s)", d->errors, strerror(d->first_errno));
		fputc('\n', out);
	}
	fprintf(out, "  checked          %10" PRIu64 " page-windows: %" PRIu64 " late by one, %" PRIu64
		" spurious, %" PRIu64 " after the final harvest\n", st.page_windows, st.late,
		st.spurious, st.after_final);
	fprintf(out, "  content          %10" PRIu64 " pages: %" PRIu64 " stamp errors, %" PRIu64
		" zeroed by MADV_DONTNEED\n", st.content_checked, st.content_err, st.content_zero);
	fprintf(out, "  missed           %10" PRIu64 " pages\n", st.misses);
	for (k = 0; k < (int)st.misses && k < STORM_MAX_MISSES_LISTED; k++) {
		uint64_t p = st.first_miss[k].page, w = st.first_miss[k].window;

		fprintf(out, "  MISS: page %" PRIu64 " (vCPU %" PRIu64 " page %" PRIu64 ", GPA 0x%" PRIx64
			") written in window %" PRIu64 ", in neither harvest %" PRIu64 " nor %" PRIu64
			" (strategy %s, log %s)\n", p, p / wl.pages_per_vcpu, p % wl.pages_per_vcpu,
			wl.gpa + p * wl.page_size, w, w, w + 1, wl.strategy_in_force, log_names[opt.mode]);
	}

	if (stuck >= 0) {
		snprintf(why, sizeof(why), "vCPU %d made no access for %llu s in window %" PRIu64,
			 stuck, STORM_ACK_TIMEOUT_NS / 1000000000ull, h + 1);
		status = S2WL_EXIT_FAIL;
	} else if (st.misses) {
		snprintf(why, sizeof(why), "%" PRIu64 " dirty pages lost (first: page %" PRIu64
			 " written in window %" PRIu64 ", strategy %s, log %s)", st.misses,
			 st.first_miss[0].page, st.first_miss[0].window, wl.strategy_in_force,
			 log_names[opt.mode]);
		status = S2WL_EXIT_FAIL;
	} else if (st.content_err) {
		snprintf(why, sizeof(why), "%" PRIu64 " pages do not hold their last write (first: page %"
			 PRIu64 " holds 0x%" PRIx64 ", wanted 0x%" PRIx64 ")", st.content_err,
			 st.first_bad_page, st.first_bad_value, st.first_bad_want);
		status = S2WL_EXIT_FAIL;
	} else if (!writes) {
		snprintf(why, sizeof(why), "the vCPUs made no write");
		status = S2WL_EXIT_FAIL;
	}
	return s2wl_finish(&wl, status, *why ? why : NULL);
}
