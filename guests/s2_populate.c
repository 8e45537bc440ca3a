// SPDX-License-Identifier: GPL-2.0
/*
 * s2_populate: first touch of all guest memory by N vCPUs. Every page is
 * written once, so each costs a stage-2 translation fault (or shares one
 * block mapping with its neighbours on huge-page backing). -i creates and
 * populates that many VMs one after another, for a spread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "s2wl.h"

static void help(const struct s2wl_cli *cli)
{
	printf("First touch of all guest memory: every vCPU writes each page of its share\n"
	       "once (stage-2 translation faults). Prints the populate time per VM, pages\n"
	       "per second, and checks that every page was written.\n\n");
}

const struct s2wl_cli s2_populate_cli = {
	.name = "s2_populate",
	.iterations = "VMs created and populated, one after another",
	.help = help,
};

int main(int argc, char **argv)
{
	struct s2wl wl = { .p = S2WL_PARAMS(.iterations = 3) };
	uint64_t *times, *rates, *vtimes, touched_min = UINT64_MAX, expected = 0;
	int it, v, status = S2WL_EXIT_OK;
	FILE *out;

	s2wl_init(&wl, &s2_populate_cli, argc, argv);
	times = calloc(wl.p.iterations, sizeof(*times));
	rates = calloc(wl.p.iterations, sizeof(*rates));
	vtimes = calloc((size_t)wl.p.iterations * wl.p.vcpus, sizeof(*vtimes));
	TEST_ASSERT(times && rates && vtimes, "out of memory");

	for (it = 0; it < wl.p.iterations; it++) {
		uint64_t start, touched = 0, page;

		s2wl_create_vm(&wl, 0);
		s2wl_start_vcpus(&wl);
		start = s2wl_now_ns();
		s2wl_run_pass(&wl);
		times[it] = s2wl_phase(&wl, "populate", start);
		expected = wl.pages_per_vcpu * wl.p.vcpus;
		rates[it] = expected * 1000000000ull / (times[it] ? times[it] : 1);
		for (v = 0; v < wl.p.vcpus; v++) {
			vtimes[it * wl.p.vcpus + v] = wl.vcpus[v].last_pass_ns;
			for (page = 0; page < wl.pages_per_vcpu; page++)
				touched += *s2wl_page_hva(&wl, v, page) == S2WL_STAMP(0, v, page);
		}
		if (touched < touched_min)
			touched_min = touched;
		s2wl_progress(&wl, "VM %d/%d: %" PRIu64 " pages in %.1f ms", it + 1,
			      wl.p.iterations, touched, times[it] / 1e6);
		s2wl_destroy_vm(&wl);
	}

	json_object_set_new(wl.doc, "populate", json_pack("{s:o, s:o, s:o, s:o, s:o, s:s}",
		"time", s2wl_j_series(times, wl.p.iterations, "ns"),
		"vcpu_time", s2wl_j_series(vtimes, (size_t)wl.p.iterations * wl.p.vcpus, "ns"),
		"rate", s2wl_j_series(rates, wl.p.iterations, "pages/s"),
		"pages_expected", s2_jint(expected, "pages"),
		"pages_touched", s2_jint(touched_min, "pages"),
		"pages_touched_is", "the fewest pages found written with the guest's stamp in any one VM"));

	out = s2wl_out(&wl);
	fprintf(out, "s2_populate: %d vCPUs x %" PRIu64 " MiB (%s, %" PRIu64 " KiB backing pages), strategy %s\n",
		wl.p.vcpus, wl.p.bytes_per_vcpu >> 20, vm_mem_backing_src_alias(wl.p.backing)->name,
		wl.host_page_size >> 10, wl.strategy_in_force);
	s2wl_print_series(&wl, "populate", times, wl.p.iterations, 1e6, "ms", "one per VM");
	s2wl_print_series(&wl, "rate", rates, wl.p.iterations, 1, "pages/s", NULL);
	fprintf(out, "  touched          %10" PRIu64 " pages of %" PRIu64 " (fewest in any VM)\n",
		touched_min, expected);

	if (touched_min != expected)
		status = S2WL_EXIT_FAIL;
	return s2wl_finish(&wl, status, status ? "some pages were not written by the guest" : NULL);
}
