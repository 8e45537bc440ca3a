// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty logging as a live migration does it: first touch, enable logging,
 * then K passes of guest writes, each followed by collecting the log
 * (KVM_GET_DIRTY_LOG, KVM_GET_DIRTY_LOG + KVM_CLEAR_DIRTY_LOG with manual
 * protection, or the per-vCPU dirty ring). After every pass the host checks
 * that every page the guest wrote in that pass (the guest stamps it with the
 * pass number) is in the log; one missed page fails the run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"
#include "dirtylog.h"

enum log_mode { LOG_GET, LOG_CLEAR, LOG_RING };
static const char *const log_names[] = { "get", "clear", "ring" };

static struct {
	enum log_mode mode;
	bool mode_set;
	uint32_t ring_entries;	/* 0: sized from the memory */
	uint64_t *bitmap;	/* this pass's log, one bit per guest page */
	uint64_t nr_pages;
	bool eager_set;		/* -E given (s2_split only) */
	uint64_t eager_chunk;	/* its bytes; 0: eager splitting off */
} dl;

/* s2_dirty or s2_split: what the help says and how the passes are told. */
static const struct s2_dirtylog *kind;

/*
 * Values checked by the spec (common/s2workloads.def; -E, s2_split's only,
 * in the form the kernel takes: 0 or a power of two, which ones it says):
 * -l an index in log_names.
 */
int s2_dirtylog_opt(struct s2wl *wl, int opt, const char *arg, uint64_t v)
{
	switch (opt) {
	case 'l':
		dl.mode = v;
		dl.mode_set = true;
		return 0;
	case 'e':
		dl.ring_entries = v;
		return 0;
	case 'E':
		dl.eager_chunk = v;
		dl.eager_set = true;
		return 0;
	}
	return -1;
}

void s2_dirtylog_help(const struct s2wl_cli *cli)
{
	const struct s2_dirtylog *dirtylog = cli->ctx;

	printf("%s\n", dirtylog->about);
	printf("dirty-log options:\n"
	       "  -l MODE   get (KVM_GET_DIRTY_LOG), clear (KVM_GET_DIRTY_LOG then\n"
	       "            KVM_CLEAR_DIRTY_LOG, manual protection) or ring (dirty ring)\n"
	       "            (default: clear where the kernel offers it, else get)\n"
	       "  -e N      dirty ring entries per vCPU, a power of two (default: enough for\n"
	       "            one pass, at most the kernel's limit)\n");
	if (dirtylog->split)
		printf("  -E BYTES  eager split chunk size (KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, arm64):\n"
		       "            enabling the log splits blocks in chunks of BYTES, a block size\n"
		       "            of the kernel (KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES; 4K pages:\n"
		       "            4K, 2M, 1G); 0 = off (default: not set, the kernel's 0 = off)\n");
}

/* Take every dirty entry off one vCPU's ring into the pass bitmap. */
static uint64_t dl_harvest(struct s2wl_vcpu *v)
{
	return s2wl_ring_harvest(v, dl.bitmap, dl.nr_pages);
}

/* A full ring stops the vCPU: empty it from its own thread and go on. */
static bool dl_on_exit(struct s2wl_vcpu *v, struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_DIRTY_RING_FULL)
		return false;
	v->ring_full_exits++;
	dl_harvest(v);
	kvm_vm_reset_dirty_ring(v->wl->vm);
	return true;
}

/* One run: its figures per logged pass (k of them), unless said otherwise. */
struct dl_run {
	struct s2wl wl;
	int k;
	uint64_t caps;		/* what KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 offers */
	uint32_t ring_bytes;	/* per vCPU, 0: no ring */
	uint64_t drop;		/* S2PERF_TEST_DROP_DIRTY */
	uint64_t *pass_t, *vpass_t;	/* vpass_t: k x vCPUs */
	uint64_t *get_t, *clear_t, *coll_t, *reset_t;
	uint64_t *written, *dirty, *extra;
	uint64_t missed, content_err;
	uint64_t n_get, n_clear, n_reset;
	uint64_t t_populate, t_enable, t_initial, t_disable;
	int64_t huge_kb;	/* huge pages backing the process after populate, -1: unknown */
	uint64_t block_sizes;	/* KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES, 0: no eager split cap */
	int64_t eager_in_force;	/* the VM's chunk size, -1: unknown */
};

static bool dl_initially_set(const struct dl_run *r)
{
	return dl.mode == LOG_CLEAR && (r->caps & KVM_DIRTY_LOG_INITIALLY_SET);
}

/* What the kernel offers decides the default mode and what can be asked. */
static void dl_choose_mode(struct dl_run *r)
{
	r->caps = kvm_check_cap(KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2);
	if (!dl.mode_set)
		dl.mode = r->caps ? LOG_CLEAR : LOG_GET;
	if (dl.mode == LOG_CLEAR && !r->caps)
		s2wl_skip(&r->wl, "-l clear: this kernel has no KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2");
	if (dl.mode == LOG_RING) {
		uint32_t max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
		uint64_t want;

		if (!max)
			max = kvm_check_cap(KVM_CAP_DIRTY_LOG_RING);
		if (!max)
			s2wl_skip(&r->wl, "-l ring: this kernel offers no dirty ring (KVM_CAP_DIRTY_LOG_RING%s)",
				  "[_ACQ_REL]");
		want = dl.ring_entries;
		if (!want) {
			/* Room for one pass, so that a full ring is the exception. */
			for (want = 1024; want < r->wl.p.bytes_per_vcpu / getpagesize() + 64; want <<= 1)
				;
			while (want * sizeof(struct kvm_dirty_gfn) > max)
				want >>= 1;
		} else if (want * sizeof(struct kvm_dirty_gfn) > max) {
			s2wl_bad_arg(&r->wl, "-e: %" PRIu64 " entries exceed the kernel's limit of %zu",
				     want, max / sizeof(struct kvm_dirty_gfn));
		}
		r->ring_bytes = want * sizeof(struct kvm_dirty_gfn);
	}
}

/* "4K 2M 1G": the block sizes of bitmap @sizes. */
static const char *dl_size_list(uint64_t sizes, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	size_t n = 0;
	int bit;

	buf[0] = 0;
	for (bit = 10; bit < 64 && n < len; bit++)
		if (sizes >> bit & 1)
			n += snprintf(buf + n, len - n, "%s%llu%c", n ? " " : "",
				      1ull << (bit % 10), units[bit / 10 - 1]);
	return buf;
}

/*
 * The kernel takes the chunk size only while the VM has no memslot
 * (kvm_vm_ioctl_enable_cap(), arch/arm64/kvm/arm.c): set it from there.
 */
static void dl_enable_eager_split(struct s2wl *wl, int vm_fd)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE,
		.args = { dl.eager_chunk },
	};
	char why[128];

	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap)) {
		snprintf(why, sizeof(why), "KVM_ENABLE_CAP(KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE, %" PRIu64
			 "): %s", dl.eager_chunk, strerror(errno));
		exit(s2wl_finish(wl, S2WL_EXIT_FAIL, why));
	}
}

/*
 * s2_split: whether the kernel has eager splitting, and whether it takes
 * the chunk size asked; what was asked goes in the document's params.
 * KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE itself answers 0 (its default) on a
 * kernel that has it, so its companion KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES
 * (same series, 6.4) tells whether it exists.
 */
static void dl_choose_eager_split(struct dl_run *r)
{
	char sizes[64];

	if (!kind->split)
		return;
	r->block_sizes = kvm_check_cap(KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES);
	r->wl.params = json_pack("{s:{s:o}}", "eager_split_chunk_size", "asked",
				 dl.eager_set ? s2_jint(dl.eager_chunk, "bytes") : json_null());
	if (!r->block_sizes) {
#ifdef __aarch64__
		const char *why = "this kernel has no KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE "
				  "(KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES is 0; both came in 6.4)";
#else
		const char *why = "KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE is an arm64 KVM capability; "
				  "this kernel has none";
#endif
		json_object_set_new(json_object_get(r->wl.params, "eager_split_chunk_size"),
				    "in_force", s2_junavail(why));
		if (dl.eager_chunk)
			s2wl_skip(&r->wl, "-E: %s", why);
		return;
	}
	dl_size_list(r->block_sizes, sizes, sizeof(sizes));
	json_object_set_new(json_object_get(r->wl.params, "eager_split_chunk_size"),
			    "kernel_block_sizes", json_string(sizes));
	if (dl.eager_chunk && !(dl.eager_chunk & r->block_sizes))
		s2wl_skip(&r->wl, "-E: %" PRIu64 " bytes is not a block size of this kernel's "
			  "stage 2 (KVM_CAP_ARM_SUPPORTED_BLOCK_SIZES: %s)", dl.eager_chunk, sizes);
	if (dl.eager_set)
		r->wl.before_memslots = dl_enable_eager_split;
}

/* The chunk size the VM has, as the kernel reports it. */
static void dl_eager_split_in_force(struct dl_run *r)
{
	json_t *o;

	r->eager_in_force = -1;
	if (!kind->split || !r->block_sizes)
		return;
	r->eager_in_force = vm_check_cap(r->wl.vm, KVM_CAP_ARM_EAGER_SPLIT_CHUNK_SIZE);
	if (dl.eager_set && r->eager_in_force != (int64_t)dl.eager_chunk)
		TEST_FAIL("asked for an eager split chunk of %" PRIu64 " bytes, the VM has %" PRId64,
			  dl.eager_chunk, r->eager_in_force);
	o = json_object_get(r->wl.params, "eager_split_chunk_size");
	json_object_set_new(o, "in_force", s2_jint(r->eager_in_force, "bytes"));
}

static void dl_alloc(struct dl_run *r)
{
	int k = r->k;

	r->pass_t = calloc(k, sizeof(uint64_t));
	r->get_t = calloc(k, sizeof(uint64_t));
	r->clear_t = calloc(k, sizeof(uint64_t));
	r->coll_t = calloc(k, sizeof(uint64_t));
	r->reset_t = calloc(k, sizeof(uint64_t));
	r->written = calloc(k, sizeof(uint64_t));
	r->dirty = calloc(k, sizeof(uint64_t));
	r->extra = calloc(k, sizeof(uint64_t));
	r->vpass_t = calloc((size_t)k * r->wl.p.vcpus, sizeof(uint64_t));
	TEST_ASSERT(r->pass_t && r->get_t && r->clear_t && r->coll_t && r->reset_t &&
		    r->written && r->dirty && r->extra && r->vpass_t, "out of memory");
}

static void dl_create_vm(struct dl_run *r)
{
	s2wl_create_vm(&r->wl, r->ring_bytes);
	r->wl.on_exit = dl_on_exit;
	dl.nr_pages = r->wl.pages_per_vcpu * r->wl.p.vcpus;
	dl.bitmap = calloc((dl.nr_pages + 63) / 64, sizeof(uint64_t));
	TEST_ASSERT(dl.bitmap, "out of memory");
	dl_eager_split_in_force(r);
	if (dl.mode == LOG_CLEAR)
		vm_enable_cap(r->wl.vm, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
			      r->caps & (KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE |
					 KVM_DIRTY_LOG_INITIALLY_SET));
}

/* The huge pages that back the process now, in kB; -1: the kernel does not say. */
static int64_t dl_huge_backing_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	int64_t huge_kb = -1;
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
	return huge_kb;
}

/* First touch, before logging: every page of every vCPU. */
static void dl_populate(struct dl_run *r)
{
	uint64_t start;

	s2wl_start_vcpus(&r->wl);
	s2wl_progress(&r->wl, "populating %d x %" PRIu64 " MiB", r->wl.p.vcpus,
		      r->wl.p.bytes_per_vcpu >> 20);
	start = s2wl_now_ns();
	s2wl_run_pass(&r->wl);
	r->t_populate = s2wl_phase(&r->wl, "populate", start);
	r->huge_kb = kind->split ? dl_huge_backing_kb() : -1;
}

static void dl_enable_logging(struct dl_run *r)
{
	uint64_t start = s2wl_now_ns();

	vm_mem_region_set_flags(r->wl.vm, S2WL_SLOT, KVM_MEM_LOG_DIRTY_PAGES);
	r->t_enable = s2wl_phase(&r->wl, "enable_logging", start);
	if (dl_initially_set(r)) {
		/*
		 * Initially-set logging write-protects nothing when enabled;
		 * clearing the whole log does, so every measured pass starts
		 * from the same state (as QEMU's first sync does).
		 */
		memset(dl.bitmap, 0xff, (dl.nr_pages + 63) / 64 * 8);
		start = s2wl_now_ns();
		kvm_vm_clear_dirty_log(r->wl.vm, S2WL_SLOT, dl.bitmap, 0, dl.nr_pages);
		r->n_clear++;
		r->t_initial = s2wl_phase(&r->wl, "initial_clear", start);
	}
}

/* Pass @it's log into dl.bitmap, in the chosen mode, each ioctl timed. */
static void dl_collect(struct dl_run *r, int it)
{
	uint64_t start = s2wl_now_ns();
	int v;

	if (dl.mode == LOG_RING) {
		for (v = 0; v < r->wl.p.vcpus; v++)
			dl_harvest(&r->wl.vcpus[v]);
		r->coll_t[it] = s2wl_now_ns() - start;
		start = s2wl_now_ns();
		kvm_vm_reset_dirty_ring(r->wl.vm);
		r->n_reset++;
		r->reset_t[it] = s2wl_phase(&r->wl, "reset_dirty_rings", start);
		return;
	}
	kvm_vm_get_dirty_log(r->wl.vm, S2WL_SLOT, dl.bitmap);
	r->n_get++;
	r->get_t[it] = s2wl_phase(&r->wl, "get_dirty_log", start);
	if (dl.mode == LOG_CLEAR) {
		start = s2wl_now_ns();
		kvm_vm_clear_dirty_log(r->wl.vm, S2WL_SLOT, dl.bitmap, 0, dl.nr_pages);
		r->n_clear++;
		r->clear_t[it] = s2wl_phase(&r->wl, "clear_dirty_log", start);
	}
}

/*
 * Every page the guest wrote in pass @it must be in its log and hold the
 * guest's stamp; pages in the log that it did not write are counted.
 */
static void dl_check_pass(struct dl_run *r, int it)
{
	uint64_t pass = it + 1, page, bit;
	int v;

	if (r->drop && it == 0) {
		/* The test suite's proof that a missed page is caught. */
		for (bit = 0; bit < dl.nr_pages && r->drop; bit++)
			if (s2wl_bm_test(dl.bitmap, bit)) {
				dl.bitmap[bit / 64] &= ~(1ull << (bit % 64));
				r->drop--;
			}
	}
	for (v = 0; v < r->wl.p.vcpus; v++) {
		for (page = 0; page < r->wl.pages_per_vcpu; page++) {
			bit = v * r->wl.pages_per_vcpu + page;
			if (!s2wl_guest_writes(&s2wl_args, pass, v, page)) {
				r->extra[it] += s2wl_bm_test(dl.bitmap, bit);
				continue;
			}
			r->written[it]++;
			if (!s2wl_bm_test(dl.bitmap, bit))
				r->missed++;
			if (*s2wl_page_hva(&r->wl, v, page) != S2WL_STAMP(pass & 0xfff, v, page))
				r->content_err++;
		}
	}
	for (bit = 0; bit < (dl.nr_pages + 63) / 64; bit++)
		r->dirty[it] += __builtin_popcountll(dl.bitmap[bit]);
}

/* The logged passes: the guest writes, the host collects the log and checks it. */
static void dl_passes(struct dl_run *r)
{
	uint64_t start;
	int it, v;

	for (it = 0; it < r->k; it++) {
		memset(dl.bitmap, 0, (dl.nr_pages + 63) / 64 * 8);
		start = s2wl_now_ns();
		r->pass_t[it] = s2wl_run_pass(&r->wl);
		s2wl_phase(&r->wl, kind->split && it == 0 ? "split_pass" : "dirty_pass", start);
		for (v = 0; v < r->wl.p.vcpus; v++)
			r->vpass_t[it * r->wl.p.vcpus + v] = r->wl.vcpus[v].last_pass_ns;

		dl_collect(r, it);
		dl_check_pass(r, it);
		s2wl_progress(&r->wl, "pass %d/%d: %.1f ms, %" PRIu64 " pages written, %" PRIu64
			      " in the log, %" PRIu64 " missed so far", it + 1, r->k,
			      r->pass_t[it] / 1e6, r->written[it], r->dirty[it], r->missed);
	}
}

static void dl_disable_logging(struct dl_run *r)
{
	uint64_t start = s2wl_now_ns();

	vm_mem_region_set_flags(r->wl.vm, S2WL_SLOT, 0);
	r->t_disable = s2wl_phase(&r->wl, "disable_logging", start);
}

static json_t *dl_series_or_na(const uint64_t *v, size_t n, bool have, const char *why)
{
	return have ? s2wl_j_series(v, n, "ns") : s2_junavail(why);
}

/* The document's "dirty" object. */
static json_t *dl_json(const struct dl_run *r)
{
	int k = r->k;
	json_t *o = json_pack("{s:s, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"log_mode", log_names[dl.mode], "passes", k,
		"populate_time", s2_jint(r->t_populate, "ns"),
		"enable_logging_time", s2_jint(r->t_enable, "ns"),
		"disable_logging_time", s2_jint(r->t_disable, "ns"),
		"pass_time", s2wl_j_series(r->pass_t, k, "ns"),
		"vcpu_pass_time", s2wl_j_series(r->vpass_t, (size_t)k * r->wl.p.vcpus, "ns"),
		"pages_written", s2wl_j_series(r->written, k, "pages"),
		"pages_dirty", s2wl_j_series(r->dirty, k, "pages"));

	json_object_set_new(o, "pages_extra", s2wl_j_series(r->extra, k, "pages"));
	json_object_set_new(o, "pages_missed", s2_jint(r->missed, "pages"));
	json_object_set_new(o, "content_errors", s2_jint(r->content_err, "pages"));
	json_object_set_new(o, "initial_clear_time", dl_initially_set(r) ?
		s2_jint(r->t_initial, "ns") :
		s2_junavail("only with -l clear on a kernel with KVM_DIRTY_LOG_INITIALLY_SET"));
	json_object_set_new(o, "get_log_time", dl_series_or_na(r->get_t, k, dl.mode != LOG_RING,
		"the dirty ring replaces KVM_GET_DIRTY_LOG"));
	json_object_set_new(o, "clear_log_time", dl_series_or_na(r->clear_t, k, dl.mode == LOG_CLEAR,
		"only with -l clear"));
	json_object_set_new(o, "ring_collect_time", dl_series_or_na(r->coll_t, k, dl.mode == LOG_RING,
		"only with -l ring"));
	json_object_set_new(o, "ring_reset_time", dl_series_or_na(r->reset_t, k, dl.mode == LOG_RING,
		"only with -l ring"));
	json_object_set_new(o, "ring_entries", dl.mode == LOG_RING ?
		s2_jint(r->wl.ring_entries, "entries") : s2_junavail("only with -l ring"));
	json_object_set_new(o, "ioctls", json_pack("{s:o, s:o, s:o}",
		"get_dirty_log", s2_jint(r->n_get, "calls"),
		"clear_dirty_log", s2_jint(r->n_clear, "calls"),
		"reset_dirty_rings", s2_jint(r->n_reset, "calls")));
	if (kind->split) {
		json_object_set_new(o, "split_pass_time", s2_jint(r->pass_t[0], "ns"));
		json_object_set_new(o, "steady_pass_time", k > 1 ?
			s2wl_j_series(r->pass_t + 1, k - 1, "ns") :
			s2_junavail("needs -i 2 or more"));
		json_object_set_new(o, "huge_backing_after_populate", r->huge_kb >= 0 ?
			s2_jint(r->huge_kb << 10, "bytes") :
			s2_junavail("no /proc/self/smaps_rollup"));
	}
	return o;
}

/* The summary for people. */
static void dl_print(const struct dl_run *r)
{
	const struct s2wl *wl = &r->wl;
	FILE *out = s2wl_out(wl);
	int k = r->k;

	fprintf(out, "%s: %d vCPUs x %" PRIu64 " MiB (%s), log %s, %d passes, %d%% writes %s, strategy %s\n",
		wl->name, wl->p.vcpus, wl->p.bytes_per_vcpu >> 20,
		s2wl_backing_name(wl->p.backing), log_names[dl.mode], k,
		wl->p.write_pct, wl->p.access == S2WL_RANDOM ? "random" : "sequential",
		wl->strategy_in_force);
	fprintf(out, "  populate         %10.1f ms\n", r->t_populate / 1e6);
	fprintf(out, "  enable logging   %10.3f ms\n", r->t_enable / 1e6);
	if (kind->split) {
		fprintf(out, "  split pass       %10.1f ms   (first logged pass; %" PRId64
			" MiB of huge pages backed the process after populate)\n",
			r->pass_t[0] / 1e6, r->huge_kb >> 10);
		if (dl.eager_set && r->eager_in_force > 0)
			fprintf(out, "  eager split      %10" PRId64 " KiB chunks (blocks split when the log "
				"is enabled or first cleared)\n", r->eager_in_force >> 10);
		else if (dl.eager_set)
			fprintf(out, "  eager split             off (-E 0%s)\n",
				r->eager_in_force < 0 ? "; this kernel has no such capability" : "");
		if (k > 1)
			s2wl_print_series(wl, "later passes", r->pass_t + 1, k - 1, 1e6, "ms", NULL);
	} else {
		s2wl_print_series(wl, "dirty pass", r->pass_t, k, 1e6, "ms", NULL);
	}
	if (dl.mode != LOG_RING)
		s2wl_print_series(wl, "get dirty log", r->get_t, k, 1e3, "us", NULL);
	if (dl.mode == LOG_CLEAR)
		s2wl_print_series(wl, "clear dirty log", r->clear_t, k, 1e3, "us", NULL);
	if (dl.mode == LOG_RING) {
		s2wl_print_series(wl, "ring harvest", r->coll_t, k, 1e3, "us", NULL);
		s2wl_print_series(wl, "ring reset", r->reset_t, k, 1e3, "us", NULL);
	}
	fprintf(out, "  disable logging  %10.3f ms\n", r->t_disable / 1e6);
	s2wl_print_series(wl, "pages written", r->written, k, 1, "pages", NULL);
	fprintf(out, "  missed in the log %" PRIu64 " pages, stamp errors %" PRIu64 " pages\n",
		r->missed, r->content_err);
}

int s2_dirtylog_main(int argc, char **argv, const struct s2wl_cli *cli)
{
	static struct dl_run r;
	const char *drop = getenv("S2PERF_TEST_DROP_DIRTY");

	kind = cli->ctx;
	r.wl.p = kind->defaults;
	/* S2PERF_TEST_DROP_DIRTY=N: forget N logged pages after the first pass. */
	r.drop = drop ? strtoull(drop, NULL, 0) : 0;
	s2wl_init(&r.wl, cli, argc, argv);
	r.k = r.wl.p.iterations;

	dl_choose_mode(&r);
	dl_choose_eager_split(&r);
	dl_alloc(&r);
	dl_create_vm(&r);
	dl_populate(&r);
	dl_enable_logging(&r);
	dl_passes(&r);
	dl_disable_logging(&r);
	s2wl_destroy_vm(&r.wl);

	json_object_set_new(r.wl.doc, "dirty", dl_json(&r));
	dl_print(&r);
	if (r.missed)
		return s2wl_finish(&r.wl, S2WL_EXIT_FAIL,
				   "pages the guest wrote are missing from the dirty log");
	if (r.content_err)
		return s2wl_finish(&r.wl, S2WL_EXIT_FAIL, "pages do not hold what the guest wrote");
	return s2wl_finish(&r.wl, S2WL_EXIT_OK, NULL);
}
