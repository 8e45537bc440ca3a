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
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#include "s2_storm.h"

/* ---- options ---- */

const char *const log_names[] = { "get", "clear", "ring" };
/* The disturbers' names; -x also takes the two after them: all (NR_DIST), none. */
const char *const dist_names[NR_DIST + 2] = {
	"dontneed", "age", "reclaim", "fork", "all", "none"
};

/* The defaults: the disturbers' pace, see struct storm_opts. */
struct storm_opts opt = {
	.ring_entries = 256, .chunk = 64ull << 10, .pause_us = 20000, .harvest_pause_us = 1000,
};

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

struct storm_state st;

/* ---- the kernel's own counters ---- */

/*
 * KVM's binary statistics: the cumulative counters (events and bytes) of
 * the VM and the sum over its vCPUs, before and after the storm. Times,
 * peaks and histograms are left out: only deltas of counts compare
 * between runs.
 */
struct kstats {
	struct s2wl_stats s;
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
	s2wl_stats_open(&k->s, fd);
	k->before = calloc(k->s.hdr.num_desc, 8);
	k->sum = calloc(k->s.hdr.num_desc, 8);
	TEST_ASSERT(k->before && k->sum, "out of memory");
}

static void kstats_read(struct kstats *k, uint64_t *into, bool add)
{
	struct kvm_stats_desc *d;
	uint64_t v;
	uint32_t i;

	for (i = 0; i < k->s.hdr.num_desc; i++) {
		d = s2wl_stats_desc(&k->s, i);
		if (!kstat_counted(d))
			continue;
		s2wl_stats_read(&k->s, i, &v, 1);
		into[i] = add ? into[i] + v : v;
	}
}

/* Deltas (after - before) of @k; vCPU stats are summed into the first's arrays. */
static json_t *kstats_json(struct kstats *k, const uint64_t *before, const uint64_t *after)
{
	json_t *o = json_object();
	struct kvm_stats_desc *d;
	uint32_t i;

	for (i = 0; i < k->s.hdr.num_desc; i++) {
		d = s2wl_stats_desc(&k->s, i);
		if (!kstat_counted(d))
			continue;
		json_object_set_new(o, d->name, s2_jint(after[i] - before[i],
			(d->flags & KVM_STATS_UNIT_MASK) == KVM_STATS_UNIT_BYTES ? "bytes" : "events"));
	}
	return o;
}

/* ---- main ---- */

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
	struct s2wl_series harvest_t = { 0 };
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
		s2wl_series_add(&harvest_t, storm_harvest(log_cur));
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
		s2wl_series_add(&harvest_t, storm_harvest(log_cur));
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
		vmstats_after = calloc(vmk.s.hdr.num_desc, 8);
		vstats_before = calloc(vk[0].s.hdr.num_desc, 8);
		vstats_after = calloc(vk[0].s.hdr.num_desc, 8);
		TEST_ASSERT(vmstats_after && vstats_before && vstats_after, "out of memory");
		kstats_read(&vmk, vmstats_after, false);
		for (v = 0; v < wl.p.vcpus; v++) {
			for (k = 0; k < (int)vk[0].s.hdr.num_desc; k++)
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
