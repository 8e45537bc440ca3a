// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging as a live migration does it: first touch, enable logging,
 * then K passes of guest writes, each followed by collecting the log
 * (KVM_GET_DIRTY_LOG, KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG with manual
 * protection, or the per-vCPU dirty ring). After every pass the host checks
 * that every page the guest wrote in that pass (the guest stamps it with the
 * pass number) is in the log; one missed page fails the run.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"
#include "dirtylog.h"
#include "s2wl.h"

enum log_mode { LOG_GET, LOG_CLEAR, LOG_RING };
static const char *const log_names[] = { "get", "clear", "ring" };

static struct {
	enum log_mode mode;
	bool mode_set;
	uint32_t ring_entries;	/* 0: sized from the memory */
	uint64_t *bitmap;	/* this pass's log, one bit per guest page */
	uint64_t nr_pages;
} dl;

static int dl_opt(struct s2wl *wl, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'l':
		for (v = 0; v < 3; v++)
			if (!strcmp(arg, log_names[v]))
				break;
		if (v == 3)
			s2wl_bad_arg(wl, "-l: '%s' is not get, clear or ring", arg);
		dl.mode = v;
		dl.mode_set = true;
		return 0;
	case 'e':
		if (s2wl_parse_uint(arg, 1u << 30, &v) || !v || (v & (v - 1)))
			s2wl_bad_arg(wl, "-e: '%s' is not a power of two", arg);
		dl.ring_entries = v;
		return 0;
	}
	return -1;
}

static bool split_mode;

static void dl_help(void)
{
	if (split_mode)
		printf("Block-mapping splits under dirty logging: guest memory on huge-page backing\n"
		       "is first touched (block mappings where the backing allows), then logging is\n"
		       "enabled and each pass writes every page, so the first logged pass splits the\n"
		       "blocks (and issues TLBIs). Prints the splitting pass apart from later passes.\n\n");
	else
		printf("Live-migration style dirty logging: first touch, enable logging, then\n"
		       "passes of guest writes, each followed by collecting the dirty log. Checks\n"
		       "after every pass that each page the guest wrote is in the log.\n\n");
	printf("dirty-log options:\n"
	       "  -l MODE   get (KVM_GET_DIRTY_LOG), clear (KVM_GET_DIRTY_LOG then\n"
	       "            KVM_CLEAR_DIRTY_LOG, manual protection) or ring (dirty ring)\n"
	       "            (default: clear where the kernel offers it, else get)\n"
	       "  -e N      dirty ring entries per vCPU, a power of two (default: enough for\n"
	       "            one pass, at most the kernel's limit)\n");
}

static inline void dl_set(uint64_t *bm, uint64_t bit)
{
	__atomic_fetch_or(&bm[bit / 64], 1ull << (bit % 64), __ATOMIC_RELAXED);
}

static inline bool dl_test(const uint64_t *bm, uint64_t bit)
{
	return bm[bit / 64] >> (bit % 64) & 1;
}

/* Take every dirty entry off one vCPU's ring into the pass bitmap. */
static uint64_t dl_harvest(struct s2wl *wl, struct s2wl_vcpu *v)
{
	struct kvm_dirty_gfn *ring = vcpu_map_dirty_ring(v->vcpu), *e;
	uint64_t n = 0;

	for (;;) {
		e = &ring[v->ring_fetch % wl->ring_entries];
		if (!(__atomic_load_n(&e->flags, __ATOMIC_ACQUIRE) & KVM_DIRTY_GFN_F_DIRTY))
			break;
		if (e->slot == S2WL_SLOT && e->offset < dl.nr_pages)
			dl_set(dl.bitmap, e->offset);
		__atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
		v->ring_fetch++;
		n++;
	}
	return n;
}

/* A full ring stops the vCPU: empty it from its own thread and go on. */
static bool dl_on_exit(struct s2wl_vcpu *v, struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_DIRTY_RING_FULL)
		return false;
	v->ring_full_exits++;
	dl_harvest(v->wl, v);
	kvm_vm_reset_dirty_ring(v->wl->vm);
	return true;
}

static json_t *dl_series_or_na(const uint64_t *v, size_t n, bool have, const char *why)
{
	return have ? s2wl_j_series(v, n, "ns") : s2wl_j_unavailable(why);
}

int s2_dirtylog_main(int argc, char **argv, bool split)
{
	struct s2wl wl = { .p = S2WL_PARAMS(
		.bytes_per_vcpu = split ? 32ull << 20 : 16ull << 20,
		.backing = split ? VM_MEM_SRC_ANONYMOUS_THP : VM_MEM_SRC_ANONYMOUS,
		.iterations = split ? 2 : 4) };
	uint64_t *pass_t, *get_t, *clear_t, *coll_t, *reset_t, *vpass_t;
	uint64_t *written, *dirty, *extra;
	uint64_t missed = 0, content_err = 0, n_get = 0, n_clear = 0, n_reset = 0;
	uint64_t start, t_populate, t_enable, t_initial = 0, t_disable, caps = 0;
	uint32_t ring_bytes = 0;
	int k, it, v, status = S2WL_EXIT_OK;
	const char *why = NULL;
	int64_t huge_kb = -1;	/* huge pages backing the process after populate */
	FILE *out;

	/* S2PERF_TEST_DROP_DIRTY=N: forget N logged pages after the first pass. */
	uint64_t drop = getenv("S2PERF_TEST_DROP_DIRTY") ?
		strtoull(getenv("S2PERF_TEST_DROP_DIRTY"), NULL, 0) : 0;

	split_mode = split;
	s2wl_init(&wl, split ? "s2_split" : "s2_dirty", argc, argv, "l:e:", dl_opt, dl_help);
	k = wl.p.iterations;

	/* What the kernel offers decides the default mode and what can be asked. */
	caps = kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (!dl.mode_set)
		dl.mode = caps ? LOG_CLEAR : LOG_GET;
	if (dl.mode == LOG_CLEAR && !caps)
		s2wl_skip(&wl, "-l clear: this kernel has no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	if (dl.mode == LOG_RING) {
		uint32_t max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
		uint64_t want;

		if (!max)
			max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING);
		if (!max)
			s2wl_skip(&wl, "-l ring: this kernel offers no dirty ring (KVM_CAP_DIRTY_LOG_RING%s)",
				  "[_ACQ_REL]");
		want = dl.ring_entries;
		if (!want) {
			/* Room for one pass, so that a full ring is the exception. */
			for (want = 1024; want < wl.p.bytes_per_vcpu / getpagesize() + 64; want <<= 1)
				;
			while (want * sizeof(struct kvm_dirty_gfn) > max)
				want >>= 1;
		} else if (want * sizeof(struct kvm_dirty_gfn) > max) {
			s2wl_bad_arg(&wl, "-e: %" PRIu64 " entries exceed the kernel's limit of %zu",
				     want, max / sizeof(struct kvm_dirty_gfn));
		}
		ring_bytes = want * sizeof(struct kvm_dirty_gfn);
	}

	pass_t = calloc(k, sizeof(uint64_t));
	get_t = calloc(k, sizeof(uint64_t));
	clear_t = calloc(k, sizeof(uint64_t));
	coll_t = calloc(k, sizeof(uint64_t));
	reset_t = calloc(k, sizeof(uint64_t));
	written = calloc(k, sizeof(uint64_t));
	dirty = calloc(k, sizeof(uint64_t));
	extra = calloc(k, sizeof(uint64_t));
	vpass_t = calloc((size_t)k * wl.p.vcpus, sizeof(uint64_t));
	TEST_ASSERT(pass_t && get_t && clear_t && coll_t && reset_t && written &&
		    dirty && extra && vpass_t, "out of memory");

	s2wl_create_vm(&wl, ring_bytes);
	wl.on_exit = dl_on_exit;
	dl.nr_pages = wl.pages_per_vcpu * wl.p.vcpus;
	dl.bitmap = calloc((dl.nr_pages + 63) / 64, sizeof(uint64_t));
	TEST_ASSERT(dl.bitmap, "out of memory");
	if (dl.mode == LOG_CLEAR)
		vm_enable_cap(wl.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      caps & (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
				      KVM_DIRTY_LOG_INITIALLY_SET));

	s2wl_start_vcpus(&wl);
	s2wl_progress(&wl, "populating %d x %" PRIu64 " MiB", wl.p.vcpus, wl.p.bytes_per_vcpu >> 20);
	start = s2wl_now_ns();
	s2wl_run_pass(&wl);
	t_populate = s2wl_phase(&wl, "populate", start);
	if (split) {
		FILE *f = fopen("/proc/self/smaps_rollup", "r");
		char line[128];
		long kb;

		while (f && fgets(line, sizeof(line), f))
			if ((sscanf(line, "AnonHugePages: %ld kB", &kb) == 1 ||
			     sscanf(line, "ShmemPmdMapped: %ld kB", &kb) == 1 ||
			     sscanf(line, "Private_Hugetlb: %ld kB", &kb) == 1 ||
			     sscanf(line, "Shared_Hugetlb: %ld kB", &kb) == 1))
				huge_kb = (huge_kb < 0 ? 0 : huge_kb) + kb;
		if (f)
			fclose(f);
	}

	start = s2wl_now_ns();
	vm_mem_region_set_flags(wl.vm, S2WL_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	t_enable = s2wl_phase(&wl, "enable_logging", start);
	if (dl.mode == LOG_CLEAR && (caps & KVM_DIRTY_LOG_INITIALLY_SET)) {
		/*
		 * Initially-set logging write-protects nothing when enabled;
		 * clearing the whole log does, so every measured pass starts
		 * from the same state (as QEMU's first sync does).
		 */
		memset(dl.bitmap, 0xff, (dl.nr_pages + 63) / 64 * 8);
		start = s2wl_now_ns();
		kvm_vm_clear_dirty_log(wl.vm, S2WL_SLOT, dl.bitmap, 0, dl.nr_pages);
		n_clear++;
		t_initial = s2wl_phase(&wl, "initial_clear", start);
	}

	for (it = 0; it < k; it++) {
		uint64_t pass = it + 1, page, bit;

		memset(dl.bitmap, 0, (dl.nr_pages + 63) / 64 * 8);
		start = s2wl_now_ns();
		pass_t[it] = s2wl_run_pass(&wl);
		s2wl_phase(&wl, split && it == 0 ? "split_pass" : "dirty_pass", start);
		for (v = 0; v < wl.p.vcpus; v++)
			vpass_t[it * wl.p.vcpus + v] = wl.vcpus[v].last_pass_ns;

		start = s2wl_now_ns();
		if (dl.mode == LOG_RING) {
			for (v = 0; v < wl.p.vcpus; v++)
				dl_harvest(&wl, &wl.vcpus[v]);
			coll_t[it] = s2wl_now_ns() - start;
			start = s2wl_now_ns();
			kvm_vm_reset_dirty_ring(wl.vm);
			n_reset++;
			reset_t[it] = s2wl_phase(&wl, "reset_dirty_rings", start);
		} else {
			kvm_vm_get_dirty_log(wl.vm, S2WL_SLOT, dl.bitmap);
			n_get++;
			get_t[it] = s2wl_phase(&wl, "get_dirty_log", start);
			if (dl.mode == LOG_CLEAR) {
				start = s2wl_now_ns();
				kvm_vm_clear_dirty_log(wl.vm, S2WL_SLOT, dl.bitmap, 0, dl.nr_pages);
				n_clear++;
				clear_t[it] = s2wl_phase(&wl, "clear_dirty_log", start);
			}
		}

		if (drop && it == 0) {
			/* The test suite's proof that a missed page is caught. */
			for (bit = 0; bit < dl.nr_pages && drop; bit++)
				if (dl_test(dl.bitmap, bit)) {
					dl.bitmap[bit / 64] &= ~(1ull << (bit % 64));
					drop--;
				}
		}
		for (v = 0; v < wl.p.vcpus; v++) {
			for (page = 0; page < wl.pages_per_vcpu; page++) {
				bit = v * wl.pages_per_vcpu + page;
				if (!s2wl_guest_writes(&s2wl_args, pass, v, page)) {
					extra[it] += dl_test(dl.bitmap, bit);
					continue;
				}
				written[it]++;
				if (!dl_test(dl.bitmap, bit))
					missed++;
				if (*s2wl_page_hva(&wl, v, page) != S2WL_STAMP(pass & 0xfff, v, page))
					content_err++;
			}
		}
		for (bit = 0; bit < (dl.nr_pages + 63) / 64; bit++)
			dirty[it] += __builtin_popcountll(dl.bitmap[bit]);
		s2wl_progress(&wl, "pass %d/%d: %.1f ms, %" PRIu64 " pages written, %" PRIu64
			      " in the log, %" PRIu64 " missed so far", it + 1, k, pass_t[it] / 1e6,
			      written[it], dirty[it], missed);
	}

	start = s2wl_now_ns();
	vm_mem_region_set_flags(wl.vm, S2WL_SLOT, 0);
	t_disable = s2wl_phase(&wl, "disable_logging", start);
	s2wl_destroy_vm(&wl);

	{
		json_t *o = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
			"log_mode", log_names[dl.mode], "passes", k,
			"populate_time", s2wl_j_int(t_populate, "ns"),
			"enable_logging_time", s2wl_j_int(t_enable, "ns"),
			"disable_logging_time", s2wl_j_int(t_disable, "ns"),
			"pass_time", s2wl_j_series(pass_t, k, "ns"),
			"vcpu_pass_time", s2wl_j_series(vpass_t, (size_t)k * wl.p.vcpus, "ns"),
			"pages_written", s2wl_j_series(written, k, "pages"),
			"pages_dirty", s2wl_j_series(dirty, k, "pages"));

		json_object_set_new(o, "pages_extra", s2wl_j_series(extra, k, "pages"));
		json_object_set_new(o, "pages_missed", s2wl_j_int(missed, "pages"));
		json_object_set_new(o, "content_errors", s2wl_j_int(content_err, "pages"));
		json_object_set_new(o, "initial_clear_time",
			dl.mode == LOG_CLEAR && (caps & KVM_DIRTY_LOG_INITIALLY_SET) ?
			s2wl_j_int(t_initial, "ns") :
			s2wl_j_unavailable("only with -l clear on a kernel with KVM_DIRTY_LOG_INITIALLY_SET"));
		json_object_set_new(o, "get_log_time", dl_series_or_na(get_t, k, dl.mode != LOG_RING,
			"the dirty ring replaces KVM_GET_DIRTY_LOG"));
		json_object_set_new(o, "clear_log_time", dl_series_or_na(clear_t, k, dl.mode == LOG_CLEAR,
			"only with -l clear"));
		json_object_set_new(o, "ring_collect_time", dl_series_or_na(coll_t, k, dl.mode == LOG_RING,
			"only with -l ring"));
		json_object_set_new(o, "ring_reset_time", dl_series_or_na(reset_t, k, dl.mode == LOG_RING,
			"only with -l ring"));
		json_object_set_new(o, "ring_entries", dl.mode == LOG_RING ?
			s2wl_j_int(wl.ring_entries, "entries") : s2wl_j_unavailable("only with -l ring"));
		json_object_set_new(o, "ioctls", json_pack("{s:o, s:o, s:o}",
			"get_dirty_log", s2wl_j_int(n_get, "calls"),
			"clear_dirty_log", s2wl_j_int(n_clear, "calls"),
			"reset_dirty_rings", s2wl_j_int(n_reset, "calls")));
		if (split) {
			json_object_set_new(o, "split_pass_time", s2wl_j_int(pass_t[0], "ns"));
			json_object_set_new(o, "steady_pass_time", k > 1 ?
				s2wl_j_series(pass_t + 1, k - 1, "ns") :
				s2wl_j_unavailable("needs -i 2 or more"));
			json_object_set_new(o, "huge_backing_after_populate", huge_kb >= 0 ?
				s2wl_j_int(huge_kb << 10, "bytes") :
				s2wl_j_unavailable("no /proc/self/smaps_rollup"));
		}
		json_object_set_new(wl.doc, "dirty", o);
	}

	out = s2wl_out(&wl);
	{
		fprintf(out, "%s: %d vCPUs x %" PRIu64 " MiB (%s), log %s, %d passes, %d%% writes %s, strategy %s\n",
			wl.name, wl.p.vcpus, wl.p.bytes_per_vcpu >> 20,
			vm_mem_backing_src_alias(wl.p.backing)->name, log_names[dl.mode], k,
			wl.p.write_pct, wl.p.access == S2WL_RANDOM ? "random" : "sequential",
			wl.strategy_in_force);
		fprintf(out, "  populate         %10.1f ms\n", t_populate / 1e6);
		fprintf(out, "  enable logging   %10.3f ms\n", t_enable / 1e6);
		if (split) {
			fprintf(out, "  split pass       %10.1f ms   (first logged pass; %" PRId64
				" MiB of huge pages backed the process after populate)\n",
				pass_t[0] / 1e6, huge_kb >> 10);
			if (k > 1) {
				s2wl_print_series(&wl, "later passes", pass_t + 1, k - 1, 1e6, "ms", NULL);
			}
		} else {
			s2wl_print_series(&wl, "dirty pass", pass_t, k, 1e6, "ms", NULL);
		}
		if (dl.mode != LOG_RING) {
			s2wl_print_series(&wl, "get dirty log", get_t, k, 1e3, "us", NULL);
		}
		if (dl.mode == LOG_CLEAR) {
			s2wl_print_series(&wl, "clear dirty log", clear_t, k, 1e3, "us", NULL);
		}
		if (dl.mode == LOG_RING) {
			s2wl_print_series(&wl, "ring harvest", coll_t, k, 1e3, "us", NULL);
			s2wl_print_series(&wl, "ring reset", reset_t, k, 1e3, "us", NULL);
		}
		fprintf(out, "  disable logging  %10.3f ms\n", t_disable / 1e6);
		s2wl_print_series(&wl, "pages written", written, k, 1, "pages", NULL);
		fprintf(out, "  missed in the log %" PRIu64 " pages, stamp errors %" PRIu64 " pages\n",
			missed, content_err);
	}

	if (missed || content_err) {
		status = S2WL_EXIT_FAIL;
		why = missed ? "pages the guest wrote are missing from the dirty log" :
			       "pages do not hold what the guest wrote";
	}
	return s2wl_finish(&wl, status, why);
}
