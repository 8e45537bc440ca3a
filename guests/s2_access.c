// SPDX-License-Identifier: GPL-2.0
/*
 * s2_access: aging. After the first touch, each iteration marks all guest
 * memory idle through /sys/kernel/mm/page_idle/bitmap (which makes the
 * kernel clear the young bits of every mapping, the stage-2 ones through the
 * MMU notifiers' clear_young, i.e. kvm_age_gfn), then the vCPUs read and
 * write every page (access-flag faults where the stage-2 access flag was
 * cleared), then the host reads the idle bits back (test_young) to see how
 * many accesses aging noticed. With -g during the vCPUs run passes without
 * pause while the host ages (marks idle, reads back) under them: what
 * aging costs a running guest, in access-flag faults where the hardware
 * does not set the flag itself (kvm.stage2_hw_access=N, -a off).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s2wl.h"

/* -g: when aging runs, after the vCPUs' pass or during their passes */
static bool aging_during;

static void help(const struct s2wl_cli *cli)
{
	printf("Aging: first touch, then per iteration mark all guest memory idle through\n"
	       "%s (clear_young on the stage-2 mappings), run one pass\n"
	       "of reads and writes, and read the idle bits back. Needs root and a kernel\n"
	       "with CONFIG_IDLE_PAGE_TRACKING.\n\n"
	       "access options:\n"
	       "  -g WHEN   after: mark idle, then one pass, then read back (the default);\n"
	       "            during: the vCPUs run passes without pause while the host marks\n"
	       "            idle and reads back, each iteration lasting until every vCPU\n"
	       "            has finished a pass in it (the pass time is their mean there)\n\n",
	       S2WL_PAGE_IDLE_BITMAP);
}

/* -g, checked by the spec (common/s2workloads.def): after (0) or during (1) */
static int access_opt(struct s2wl *wl, int opt, const char *arg, uint64_t v)
{
	if (opt != 'g')
		return -1;
	aging_during = v == 1;
	return 0;
}


static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The host PFN of every base page of the test memory, sorted. */
static uint64_t lookup_pfns(struct s2wl *wl, struct s2wl_idle *idle, uint64_t *pfns, uint64_t n)
{
	uint64_t found = s2wl_idle_pfns(idle, wl->hva, n * getpagesize(), pfns);

	TEST_ASSERT(!idle->errors, "pagemap read: %s", strerror(idle->first_errno));
	qsort(pfns, found, sizeof(*pfns), cmp_u64);
	return found;
}

/* Mark @pfns idle, or read how many of them are idle (s2wl_idle_bits()); errors are fatal. */
static uint64_t idle_bits(struct s2wl_idle *idle, const uint64_t *pfns, uint64_t n, bool mark)
{
	uint64_t idle_pages = s2wl_idle_bits(idle, pfns, n, mark);

	TEST_ASSERT(!idle->errors, "page_idle %s: %s", mark ? "write" : "read",
		    strerror(idle->first_errno));
	return idle_pages;
}

/*
 * One iteration of -g during: the vCPUs are running passes; age under them
 * and wait until every vCPU has finished a pass begun after the marking
 * started. Returns the mean vCPU pass time of the passes in the iteration.
 */
static uint64_t age_during(struct s2wl *wl, struct s2wl_idle *idle, const uint64_t *pfns,
			   uint64_t npfn,
			   uint64_t *mark_t, uint64_t *read_t, uint64_t *seen)
{
	uint64_t p0[S2WL_MAX_VCPUS], t0[S2WL_MAX_VCPUS], passes = 0, ns = 0, start;
	int v;
	bool all;

	for (v = 0; v < wl->p.vcpus; v++) {
		p0[v] = __atomic_load_n(&wl->vcpus[v].passes_done, __ATOMIC_ACQUIRE);
		t0[v] = __atomic_load_n(&wl->vcpus[v].pass_ns_total, __ATOMIC_RELAXED);
	}
	start = s2wl_now_ns();
	idle_bits(idle, pfns, npfn, true);
	*mark_t = s2wl_phase(wl, "mark_idle", start);
	start = s2wl_now_ns();
	*seen = npfn - idle_bits(idle, pfns, npfn, false);
	*read_t = s2wl_phase(wl, "read_idle", start);
	/* a pass that began before the marking does not count: two more */
	do {
		all = true;
		for (v = 0; v < wl->p.vcpus; v++)
			all &= __atomic_load_n(&wl->vcpus[v].passes_done, __ATOMIC_ACQUIRE) >= p0[v] + 2;
		if (!all)
			usleep(100);
	} while (!all);
	for (v = 0; v < wl->p.vcpus; v++) {
		passes += __atomic_load_n(&wl->vcpus[v].passes_done, __ATOMIC_ACQUIRE) - p0[v];
		ns += __atomic_load_n(&wl->vcpus[v].pass_ns_total, __ATOMIC_RELAXED) - t0[v];
	}
	return ns / passes;
}

const struct s2wl_cli s2_access_cli = {
	.name = "s2_access",
	.iterations = "agings (each with a pass over the memory) after the first touch",
	.opt = access_opt,
	.help = help,
};

int main(int argc, char **argv)
{
	struct s2wl wl = { .p = S2WL_PARAMS(.iterations = 3, .write_pct = 50) };
	uint64_t *mark_t, *pass_t, *read_t, *seen, *pfns, npfn, nbase, start, t_pop;
	struct s2wl_idle idle;
	char note[64], why[256];
	int it, k;
	FILE *out;

	s2wl_init(&wl, &s2_access_cli, argc, argv);
	k = wl.p.iterations;
	if (s2wl_idle_open(&idle, why, sizeof(why)))
		s2wl_skip(&wl, "%s", why);

	mark_t = calloc(k, 8);
	pass_t = calloc(k, 8);
	read_t = calloc(k, 8);
	seen = calloc(k, 8);
	TEST_ASSERT(mark_t && pass_t && read_t && seen, "out of memory");

	s2wl_create_vm(&wl, 0);
	s2wl_start_vcpus(&wl);
	start = s2wl_now_ns();
	s2wl_run_pass(&wl);
	t_pop = s2wl_phase(&wl, "populate", start);

	nbase = wl.p.bytes_per_vcpu * wl.p.vcpus / getpagesize();
	pfns = calloc(nbase, 8);
	TEST_ASSERT(pfns, "out of memory");
	npfn = lookup_pfns(&wl, &idle, pfns, nbase);

	if (aging_during) {
		s2wl_release_free_run(&wl);
		for (it = 0; it < k; it++) {
			pass_t[it] = age_during(&wl, &idle, pfns, npfn, &mark_t[it], &read_t[it],
						&seen[it]);
			s2wl_progress(&wl, "iteration %d/%d: mark %.1f ms during passes of %.1f ms, %"
				      PRIu64 " of %" PRIu64 " pages seen accessed", it + 1, k,
				      mark_t[it] / 1e6, pass_t[it] / 1e6, seen[it], npfn);
		}
		/* phases do not nest: mark_idle and read_idle are in there */
		start = s2wl_now_ns();
		s2wl_stop_vcpus(&wl);
		s2wl_phase(&wl, "stop_vcpus", start);
	}
	for (it = 0; !aging_during && it < k; it++) {
		start = s2wl_now_ns();
		idle_bits(&idle, pfns, npfn, true);
		mark_t[it] = s2wl_phase(&wl, "mark_idle", start);
		start = s2wl_now_ns();
		pass_t[it] = s2wl_run_pass(&wl);
		s2wl_phase(&wl, "access_pass", start);
		start = s2wl_now_ns();
		seen[it] = npfn - idle_bits(&idle, pfns, npfn, false);
		read_t[it] = s2wl_phase(&wl, "read_idle", start);
		s2wl_progress(&wl, "iteration %d/%d: mark %.1f ms, pass %.1f ms, %" PRIu64
			      " of %" PRIu64 " pages seen accessed", it + 1, k, mark_t[it] / 1e6,
			      pass_t[it] / 1e6, seen[it], npfn);
	}
	s2wl_destroy_vm(&wl);
	s2wl_idle_close(&idle);

	json_object_set_new(wl.doc, "access", json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s}",
		"aging", aging_during ? "during" : "after",
		"populate_time", s2_jint(t_pop, "ns"),
		"pages_tracked", s2_jint(npfn, "pages"),
		"pages_expected", s2_jint(nbase, "pages"),
		"mark_idle_time", s2wl_j_series(mark_t, k, "ns"),
		"access_pass_time", s2wl_j_series(pass_t, k, "ns"),
		"read_idle_time", s2wl_j_series(read_t, k, "ns"),
		"pages_seen_accessed", s2wl_j_series(seen, k, "pages"),
		"pages_seen_accessed_is", aging_during ?
		"pages whose idle bit was cleared between marking and reading back, with the "
		"vCPUs running: what they touched in that window, not a full pass (fewer when "
		"their passes are slower, e.g. with access-flag faults)" :
		"pages whose idle bit was cleared after the pass; every page was accessed, and "
		"aging may miss an access the guest made through a TLB entry cached before the "
		"young bit was cleared (clear_young does not flush)"));

	out = s2wl_out(&wl);
	fprintf(out, "s2_access: %d vCPUs x %" PRIu64 " MiB (%s), %d iterations, %d%% writes %s, "
		"aging %s the passes, strategy %s\n",
		wl.p.vcpus, wl.p.bytes_per_vcpu >> 20, vm_mem_backing_src_alias(wl.p.backing)->name,
		k, wl.p.write_pct, wl.p.access == S2WL_RANDOM ? "random" : "sequential",
		aging_during ? "during" : "after", wl.strategy_in_force);
	fprintf(out, "  populate         %10.1f ms\n", t_pop / 1e6);
	s2wl_print_series(&wl, "mark idle", mark_t, k, 1e6, "ms", NULL);
	s2wl_print_series(&wl, "access pass", pass_t, k, 1e6, "ms", NULL);
	s2wl_print_series(&wl, "read idle bits", read_t, k, 1e6, "ms", NULL);
	snprintf(note, sizeof(note), "of %" PRIu64 " pages", npfn);
	s2wl_print_series(&wl, "seen accessed", seen, k, 1, "pages", note);

	if (npfn != nbase)
		return s2wl_finish(&wl, S2WL_EXIT_FAIL, "not every page of guest memory is present after the first touch");
	return s2wl_finish(&wl, S2WL_EXIT_OK, NULL);
}
