// SPDX-License-Identifier: GPL-2.0
/*
 * s2_storm's check (s2_storm.h; why it is exact: the top of s2_storm.c):
 * the guest's window protocol, the harvests, every window's pages against
 * the logs of the two harvests that may hold them, the content at the end.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2_storm.h"

struct storm_shared storm_shared;
struct storm_guest_args storm_args;

/*
 * Primes above any page count s2wl accepts (< 2^31): (i * p + off) % n is a
 * permutation of 0..n-1 for each, so every pass visits every page once in
 * an order that changes from pass to pass, with no table in the guest.
 */
static const uint64_t storm_strides[8] = {
	2147483659ull, 2147483693ull, 2147483713ull, 2147483743ull,
	2147483777ull, 2147483783ull, 2147483813ull, 2147483857ull,
};

void storm_guest_code(uint32_t vcpu)
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
			/* Orders the page and the record before the ack (the top of s2_storm.c). */
			__atomic_store_n(&me->ack, w, __ATOMIC_RELEASE);
		}
		WRITE_ONCE(me->passes, me->passes + 1);
		GUEST_SYNC(1);
	}
}

/* ---- harvesting ---- */

/* Take one vCPU's dirty entries into @bm; caller holds log_lock. */
static void ring_collect(struct s2wl_vcpu *v, uint64_t *bm)
{
	st.ring_entries_seen += s2wl_ring_harvest(v, bm, st.total);
}

/*
 * A full ring stops its vCPU until userspace resets it: the vCPU thread
 * empties its own ring into the log of the harvest in progress and goes on.
 */
bool storm_on_exit(struct s2wl_vcpu *v, struct kvm_run *run)
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
uint64_t storm_harvest(uint64_t *bm)
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
void storm_check_window(uint64_t w, uint64_t *lw, uint64_t *lw1)
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
			s2wl_bm_clear(lw, p);
			s2wl_bm_clear(lw1, p);
			st.drop_left--;
		}
		if (s2wl_bm_test(lw, p))
			continue;
		if (lw1 && s2wl_bm_test(lw1, p)) {
			st.late++;
			continue;
		}
		storm_miss(p, w);
	}
}

/* Pages in the log of harvest @h that neither window h - 1 nor h wrote. */
void storm_check_spurious(uint64_t h, const uint64_t *lh)
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
void storm_check_content(void)
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

/* ---- the window protocol, seen from the host ---- */

uint64_t sum_shared(size_t field_off)
{
	uint64_t s = 0;
	int v;

	for (v = 0; v < st.wl->p.vcpus; v++)
		s += __atomic_load_n((uint64_t *)((char *)&st.sh->v[v] + field_off), __ATOMIC_RELAXED);
	return s;
}

uint64_t min_passes(void)
{
	uint64_t m = UINT64_MAX, x;
	int v;

	for (v = 0; v < st.wl->p.vcpus; v++) {
		x = __atomic_load_n(&st.sh->v[v].passes, __ATOMIC_RELAXED);
		m = x < m ? x : m;
	}
	return m;
}

int wait_acks(uint64_t w)
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

uint64_t popcount_bm(const uint64_t *bm)
{
	uint64_t i, n = 0;

	for (i = 0; i < st.words; i++)
		n += __builtin_popcountll(bm[i]);
	return n;
}
