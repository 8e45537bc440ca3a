// SPDX-License-Identifier: GPL-2.0
/*
 * s2_unmap: MMU-notifier pressure. After the first touch the vCPUs run
 * passes without pause while the host invalidates the backing memory chunk
 * by chunk (madvise(MADV_DONTNEED), or mprotect() to read-only and back),
 * so invalidations (mmu_lock for write) and the vCPUs' faults contend.
 * -i is how many passes each vCPU makes under that pressure.
 * Reports the vCPUs' page throughput during the invalidations and the time
 * each invalidation took.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "s2wl.h"

enum inval { INVAL_DONTNEED, INVAL_MPROTECT };

static struct {
	enum inval how;
	uint64_t chunk;
	uint64_t pause_us;
} um = { .how = INVAL_DONTNEED, .chunk = 2ull << 20, .pause_us = 100 };

/* Values checked by the spec (common/s2workloads.def); -m's names in enum inval's order. */
static int um_opt(struct s2wl *wl, int opt, const char *arg, uint64_t v)
{
	switch (opt) {
	case 'm':
		um.how = v;
		return 0;
	case 'u':
		um.chunk = v;
		return 0;
	case 'p':
		um.pause_us = v;
		return 0;
	}
	return -1;
}

static void help(const struct s2wl_cli *cli)
{
	printf("MMU-notifier pressure: after the first touch, vCPUs run passes over their\n"
	       "memory without pause while the host invalidates it chunk by chunk.\n\n"
	       "unmap options:\n"
	       "  -m HOW    dontneed: madvise(MADV_DONTNEED) (pages are freed and faulted\n"
	       "            back in); mprotect: read-only and back (needs -w 0: a guest\n"
	       "            write to read-only memory fails KVM_RUN) (default dontneed)\n"
	       "  -u SIZE   bytes per invalidation (default 2M)\n"
	       "  -p USEC   pause between invalidations, so that the vCPUs fault memory\n"
	       "            back in before it goes again (default 100)\n");
}

const struct s2wl_cli s2_unmap_cli = {
	.name = "s2_unmap",
	.iterations = "passes each vCPU makes while the host invalidates",
	.opt = um_opt,
	.help = help,
};

int main(int argc, char **argv)
{
	struct s2wl wl = { .p = S2WL_PARAMS() };
	uint64_t *inval_t, n_inval = 0, total, off, start, window, t_pop, passes0[S2WL_MAX_VCPUS];
	uint64_t passes = 0, pass_ns = 0, rate, rounds = 0, cap, shown = UINT64_MAX;
	char note[64];
	int v;
	FILE *out;

	/* -m mprotect without -w 0 is refused there: the spec's rule (o_invalidate's needs) */
	s2wl_init(&wl, &s2_unmap_cli, argc, argv);
	total = wl.p.bytes_per_vcpu * wl.p.vcpus;
	if (um.chunk % getpagesize())
		s2wl_bad_arg(&wl, "-u: %" PRIu64 " is not a multiple of the page size", um.chunk);

	s2wl_create_vm(&wl, 0);
	if (um.chunk % wl.host_page_size || um.chunk > total)
		s2wl_bad_arg(&wl, "-u: %" PRIu64 " must be a multiple of the %" PRIu64
			     "-byte backing page and at most the %" PRIu64 " bytes of guest memory",
			     um.chunk, wl.host_page_size, total);
	cap = 1024;
	inval_t = calloc(cap, 8);
	TEST_ASSERT(inval_t, "out of memory");

	s2wl_start_vcpus(&wl);
	start = s2wl_now_ns();
	s2wl_run_pass(&wl);
	t_pop = s2wl_phase(&wl, "populate", start);

	for (v = 0; v < wl.p.vcpus; v++) {
		passes0[v] = wl.vcpus[v].passes_done;
		wl.vcpus[v].pass_ns_total = 0;
	}
	start = s2wl_now_ns();
	s2wl_release_free_run(&wl);
	/*
	 * Invalidate round after round until every vCPU has done its passes,
	 * at least once: on a busy host the vCPUs can finish small passes
	 * before this thread makes its first call (seen in the target: 2
	 * passes of 8M in 21 ms and no invalidation, a series of none).
	 */
	for (off = 0;; off += um.chunk) {
		uint64_t t, fewest = UINT64_MAX;

		for (v = 0; v < wl.p.vcpus; v++) {
			uint64_t d = __atomic_load_n(&wl.vcpus[v].passes_done, __ATOMIC_RELAXED) - passes0[v];

			fewest = d < fewest ? d : fewest;
		}
		if (fewest >= (uint64_t)wl.p.iterations && n_inval)
			break;
		if (fewest != shown) {
			shown = fewest;
			s2wl_progress(&wl, "%" PRIu64 " of %d passes on the slowest vCPU, %"
				      PRIu64 " invalidations so far", fewest, wl.p.iterations, n_inval);
		}
		if (off + um.chunk > total) {
			off = 0;
			rounds++;
		}
		if (n_inval == cap) {
			cap *= 2;
			inval_t = realloc(inval_t, cap * 8);
			TEST_ASSERT(inval_t, "out of memory");
		}
		t = s2wl_now_ns();
		if (um.how == INVAL_DONTNEED) {
			TEST_ASSERT(!madvise(wl.hva + off, um.chunk, MADV_DONTNEED),
				    "madvise: %s", strerror(errno));
		} else {
			TEST_ASSERT(!mprotect(wl.hva + off, um.chunk, PROT_READ),
				    "mprotect: %s", strerror(errno));
			TEST_ASSERT(!mprotect(wl.hva + off, um.chunk, PROT_READ | PROT_WRITE),
				    "mprotect: %s", strerror(errno));
		}
		inval_t[n_inval++] = s2wl_now_ns() - t;
		if (um.pause_us)
			usleep(um.pause_us);
	}
	/* The vCPUs finish the pass they are in; the window ends with it. */
	s2wl_stop_vcpus(&wl);
	window = s2wl_phase(&wl, "invalidate", start);
	for (v = 0; v < wl.p.vcpus; v++) {
		passes += wl.vcpus[v].passes_done - passes0[v];
		pass_ns += wl.vcpus[v].pass_ns_total;
	}
	s2wl_destroy_vm(&wl);
	rate = passes * wl.pages_per_vcpu * 1000000000ull / (window ? window : 1);

	json_object_set_new(wl.doc, "unmap", json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
		"method", um.how == INVAL_DONTNEED ? "madvise_dontneed" : "mprotect",
		"chunk", s2_jint(um.chunk, "bytes"),
		"rounds", s2_jint(rounds, "rounds"),
		"pause", s2_jint(um.pause_us * 1000, "ns"),
		"populate_time", s2_jint(t_pop, "ns"),
		"window", s2_jint(window, "ns"),
		"invalidate_time", s2wl_j_series(inval_t, n_inval, "ns"),
		"vcpu_passes", s2_jint(passes, "passes"),
		"pages_touched", s2_jint(passes * wl.pages_per_vcpu, "pages"),
		"page_rate", s2_jreal((double)rate, "pages/s")));
	json_object_set_new(json_object_get(wl.doc, "unmap"), "vcpu_pass_time_mean",
		passes ? s2_jreal((double)pass_ns / passes, "ns") :
		s2_junavail("no vCPU finished a pass during the invalidations"));

	out = s2wl_out(&wl);
	fprintf(out, "s2_unmap: %d vCPUs x %" PRIu64 " MiB (%s), %s of %" PRIu64
		" KiB chunks during %d passes per vCPU, strategy %s\n",
		wl.p.vcpus, wl.p.bytes_per_vcpu >> 20, vm_mem_backing_src_alias(wl.p.backing)->name,
		um.how == INVAL_DONTNEED ? "MADV_DONTNEED" : "mprotect", um.chunk >> 10,
		wl.p.iterations, wl.strategy_in_force);
	fprintf(out, "  populate         %10.1f ms\n", t_pop / 1e6);
	snprintf(note, sizeof(note), "%" PRIu64 " full rounds", rounds);
	s2wl_print_series(&wl, "invalidate", inval_t, n_inval, 1e3, "us", note);
	fprintf(out, "  vCPU passes      %10" PRIu64 " passes  in %.1f ms (all vCPUs)\n", passes, window / 1e6);
	fprintf(out, "  page rate        %10" PRIu64 " pages/s while invalidating (n=1 window)\n", rate);
	if (!passes)
		return s2wl_finish(&wl, S2WL_EXIT_FAIL, "no vCPU finished a pass during the invalidations");
	return s2wl_finish(&wl, S2WL_EXIT_OK, NULL);
}
