// SPDX-License-Identifier: GPL-2.0
/*
 * The metric registry, and `s2bench table RUN`: every cell's documents
 * reduced to one number per metric, in one long table (metrics.csv) that
 * everything after it (stats, report, compare, kcidb) reads.
 *
 * The registry is the only place that knows where a figure lives in the
 * workload's (s2perf.workload/1) and the collector's (s2perf.collector/1)
 * documents. A figure the document says is unavailable goes to
 * unavailable.csv with its reason, never into the table as 0; a metric
 * whose path the document does not have at all is not this workload's.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "rundir.h"
#include "s2bench.h"

#define WL "workload"
#define CO "collector"
#define L BETTER_LOWER
#define H BETTER_HIGHER
#define N BETTER_NONE

/*
 * Reductions: "value" a scalar {value, unit}; "sum" the sum of the scalars
 * a path with "*" matches; "median" the median of a series' values;
 * "p50"/"p99" a quantile of log2 histograms (merged over what "*" matches);
 * "hist_count"/"hist_sum" their event count and total.
 *
 * The log2 histograms (bpf/s2collect.h) keep only which power-of-two
 * bucket a latency fell in, so a quantile is known to within its bucket:
 * the table gives the bucket's upper bound ("le"), at most 2x the true
 * value and never below it. Ratios between strategies are only as fine as
 * that; the workloads' own series are exact.
 */
static const struct metric_def registry[] = {
	/* s2_dirty (and s2_split, which shares the dirty-log code) */
	{ "dirty.pass_time", "ns", L, WL, "dirty.pass_time", "median", true,
	  "dirty pass, all vCPUs (median of the cell's passes)" },
	{ "dirty.get_log_time", "ns", L, WL, "dirty.get_log_time", "median", true,
	  "KVM_GET_DIRTY_LOG (median per pass)" },
	{ "dirty.clear_log_time", "ns", L, WL, "dirty.clear_log_time", "median", true,
	  "KVM_CLEAR_DIRTY_LOG (median per pass)" },
	{ "dirty.ring_collect_time", "ns", L, WL, "dirty.ring_collect_time", "median", false,
	  "dirty ring harvest (median per pass)" },
	{ "dirty.ring_reset_time", "ns", L, WL, "dirty.ring_reset_time", "median", false,
	  "KVM_RESET_DIRTY_RINGS (median per pass)" },
	{ "dirty.enable_logging_time", "ns", L, WL, "dirty.enable_logging_time", "value", false,
	  "enable dirty logging (one per run)" },
	{ "dirty.disable_logging_time", "ns", L, WL, "dirty.disable_logging_time", "value", false,
	  "disable dirty logging (one per run)" },
	{ "dirty.initial_clear_time", "ns", L, WL, "dirty.initial_clear_time", "value", false,
	  "first KVM_CLEAR_DIRTY_LOG of the whole slot (initially-set logging)" },
	{ "dirty.populate_time", "ns", L, WL, "dirty.populate_time", "value", false,
	  "first touch before logging" },
	{ "dirty.pages_written", "pages", N, WL, "dirty.pages_written", "median", false,
	  "pages written per pass (median)" },
	{ "dirty.pages_missed", "pages", L, WL, "dirty.pages_missed", "value", false,
	  "written pages missing from the log (must be 0; a miss fails the cell)" },
	/* s2_split */
	{ "split.split_pass_time", "ns", L, WL, "dirty.split_pass_time", "value", true,
	  "first logged pass, which splits the block mappings" },
	{ "split.steady_pass_time", "ns", L, WL, "dirty.steady_pass_time", "median", false,
	  "later passes, blocks already split (median)" },
	{ "split.huge_backing", "bytes", N, WL, "dirty.huge_backing_after_populate", "value", false,
	  "huge pages backing the process after populate" },
	/* s2_populate */
	{ "populate.time", "ns", L, WL, "populate.time", "median", true,
	  "populate one VM, all vCPUs (median of the cell's VMs)" },
	{ "populate.rate", "pages/s", H, WL, "populate.rate", "median", false,
	  "populate rate (median of the cell's VMs)" },
	/* s2_access */
	{ "access.mark_idle_time", "ns", L, WL, "access.mark_idle_time", "median", true,
	  "mark all guest memory idle: clear_young (median per iteration)" },
	{ "access.access_pass_time", "ns", L, WL, "access.access_pass_time", "median", true,
	  "pass over idle memory: access-flag faults (median per iteration)" },
	{ "access.read_idle_time", "ns", L, WL, "access.read_idle_time", "median", false,
	  "read the idle bits back: test_young (median per iteration)" },
	{ "access.pages_seen_accessed", "pages", N, WL, "access.pages_seen_accessed", "median", false,
	  "pages aging saw accessed (median per iteration)" },
	{ "access.populate_time", "ns", L, WL, "access.populate_time", "value", false,
	  "first touch before aging" },
	/* s2_unmap */
	{ "unmap.invalidate_time", "ns", L, WL, "unmap.invalidate_time", "median", true,
	  "one invalidation of a chunk (median over the window)" },
	{ "unmap.page_rate", "pages/s", H, WL, "unmap.page_rate", "value", true,
	  "vCPUs' page rate while the host invalidates" },
	{ "unmap.vcpu_pass_time_mean", "ns", L, WL, "unmap.vcpu_pass_time_mean", "value", false,
	  "vCPU pass under invalidation (mean)" },
	{ "unmap.populate_time", "ns", L, WL, "unmap.populate_time", "value", false,
	  "first touch before the invalidations" },
	/* s2_exit: the round trips under a fault */
	{ "exit.null_hypercall", "ns", L, WL, "exit.null_hypercall", "median", false,
	  "hypercall answered in the kernel's run loop (median of per-pass means)" },
	{ "exit.mmio_user", "ns", L, WL, "exit.mmio_user", "median", false,
	  "MMIO exit to userspace and back (median of per-pass means)" },
	{ "exit.fixup", "ns", L, WL, "exit.fixup", "median", false,
	  "trap resolved in the exit fix-up (median of per-pass means)" },
	{ "exit.hvc_vector", "ns", L, WL, "exit.hvc_vector", "median", false,
	  "HVC answered in the EL2 vector (median of per-pass means)" },
	/* s2_upstream: the figures upstream's own performance tests print, each
	 * a series over what the test repeats (median) */
#define UP(name, key, label) { "upstream." name, "ns", L, WL, "upstream.figures." key, \
			       "median", false, label }
	UP("dirty_log_perf.populate", "populate_memory_time",
	   "dirty_log_perf_test: Populate memory time"),
	UP("dirty_log_perf.dirty_memory", "dirty_memory_time",
	   "dirty_log_perf_test: dirty memory time (median of iterations)"),
	UP("dirty_log_perf.get_dirty_log", "get_dirty_log_time",
	   "dirty_log_perf_test: get dirty log time (median of iterations)"),
	UP("dirty_log_perf.clear_dirty_log", "clear_dirty_log_time",
	   "dirty_log_perf_test: clear dirty log time (median of iterations)"),
	UP("dirty_log_perf.enable_dirty_logging", "enabling_dirty_logging_time",
	   "dirty_log_perf_test: Enabling dirty logging time"),
	UP("dirty_log_perf.disable_dirty_logging", "disabling_dirty_logging_time",
	   "dirty_log_perf_test: Disabling dirty logging time"),
	UP("access_tracking.populate", "populating_memory_time",
	   "access_tracking_perf_test: Populating memory"),
	UP("access_tracking.mark_idle", "mark_memory_idle_time",
	   "access_tracking_perf_test: Mark memory idle (median of its two)"),
	UP("access_tracking.write_idle", "writing_to_idle_memory_time",
	   "access_tracking_perf_test: Writing to idle memory"),
	UP("access_tracking.read_idle", "reading_from_idle_memory_time",
	   "access_tracking_perf_test: Reading from idle memory"),
	UP("kvm_page_table.create", "kvm_create_mappings_total_execution_time",
	   "kvm_page_table_test: KVM_CREATE_MAPPINGS total execution time"),
	UP("kvm_page_table.update", "kvm_update_mappings_total_execution_time",
	   "kvm_page_table_test: KVM_UPDATE_MAPPINGS total execution time"),
	UP("kvm_page_table.adjust", "kvm_adjust_mappings_total_execution_time",
	   "kvm_page_table_test: KVM_ADJUST_MAPPINGS total execution time"),
	UP("memslot_perf.map", "map_best_iteration_time",
	   "memslot_perf_test: map, best time per iteration"),
	UP("memslot_perf.unmap", "unmap_best_iteration_time",
	   "memslot_perf_test: unmap, best time per iteration"),
	UP("memslot_perf.move_active", "move_active_area_best_iteration_time",
	   "memslot_perf_test: move active area, best time per iteration"),
	UP("memslot_perf.rw", "rw_best_iteration_time",
	   "memslot_perf_test: RW, best time per iteration"),
	UP("demand_paging.guest_time", "total_guest_execution_time",
	   "demand_paging_test: Total guest execution time"),
#undef UP
	/* every workload */
	{ "exits.kvm_run_returns", "exits", N, WL, "exits.kvm_run_returns", "value", false,
	  "KVM_RUN returns, the framework's included" },
	{ "exits.dirty_ring_full", "exits", N, WL, "exits.dirty_ring_full", "value", false,
	  "dirty-ring-full exits" },
	{ "wall_time", "ns", L, WL, "wall_time", "value", false,
	  "the workload's whole run (process start to document)" },

	/* s2collect, collected cells only */
	/* The kernel's stage-2 binary stats, read by the workload itself: exact,
	 * in every cell, at the cost of a few counter updates per fault. */
	{ "kstat.faults.translation", "faults", N, WL, "kvm_stats.vcpu.s2_fault_translation", "value", false,
	  "translation faults (KVM binary stats)" },
	{ "kstat.faults.permission", "faults", N, WL, "kvm_stats.vcpu.s2_fault_permission", "value", false,
	  "permission faults (KVM binary stats)" },
	{ "kstat.faults.access", "faults", N, WL, "kvm_stats.vcpu.s2_fault_access", "value", false,
	  "access-flag faults (KVM binary stats)" },
	{ "kstat.faults.mmio", "faults", N, WL, "kvm_stats.vcpu.s2_fault_mmio", "value", false,
	  "faults outside guest memory, emulated as MMIO (KVM binary stats)" },
	{ "kstat.faults.retry", "faults", N, WL, "kvm_stats.vcpu.s2_fault_retry", "value", false,
	  "faults that raced and were retried by the guest (KVM binary stats)" },
	{ "kstat.wp_faults", "faults", N, WL, "kvm_stats.vcpu.s2_fault_wp", "value", false,
	  "write-protection faults of dirty logging (KVM binary stats)" },
	{ "kstat.fast_path_hits", "faults", N, WL, "kvm_stats.vcpu.s2_fault_fast", "value", false,
	  "faults resolved by the lock-free fast path (KVM binary stats)" },
	{ "kstat.hyp_hits", "faults", N, WL, "kvm_stats.vcpu.s2_fault_hyp", "value", false,
	  "write-protection faults resolved by hypfast's exit fast path, before the run loop (KVM binary stats)" },
	{ "kstat.fault_time", "ns", L, WL, "kvm_stats.vcpu.s2_fault_time_ns", "value", false,
	  "time in the stage-2 fault handler, all faults (KVM binary stats)" },
	{ "kstat.fault_latency.p50", "ns", L, WL, "kvm_stats.vcpu.s2_fault_hist", "p50", false,
	  "fault handler time p50 (KVM log2 histogram: bucket upper bound, <= 2x above)" },
	{ "kstat.fault_latency.p99", "ns", L, WL, "kvm_stats.vcpu.s2_fault_hist", "p99", false,
	  "fault handler time p99 (KVM log2 histogram: bucket upper bound, <= 2x above)" },
	{ "kstat.tlbi.vmid", "tlbi", N, WL, "kvm_stats.vm.s2_tlbi_vmid", "value", false,
	  "VMID-wide TLB invalidations (KVM binary stats)" },
	{ "kstat.tlbi.ipa", "tlbi", N, WL, "kvm_stats.vm.s2_tlbi_ipa", "value", false,
	  "by-IPA TLB invalidations, inner shareable (KVM binary stats)" },
	{ "kstat.tlbi.ipa_local", "tlbi", N, WL, "kvm_stats.vm.s2_tlbi_ipa_local", "value", false,
	  "by-IPA TLB invalidations, this CPU only (KVM binary stats)" },
	{ "kstat.tlbi.range", "tlbi", N, WL, "kvm_stats.vm.s2_tlbi_range", "value", false,
	  "range TLB invalidations (KVM binary stats)" },
	{ "kstat.cmo.dcache_bytes", "bytes", N, WL, "kvm_stats.vm.s2_cmo_dcache_bytes", "value", false,
	  "bytes of D-cache clean+invalidate for the guest (KVM binary stats)" },
	{ "kstat.cmo.icache_bytes", "bytes", N, WL, "kvm_stats.vm.s2_cmo_icache_bytes", "value", false,
	  "bytes of I-cache invalidation for the guest (KVM binary stats)" },
	/* hwdbm (0008): dirty-log harvests that read the hardware's dirty state */
	{ "kstat.dbm.harvests", "harvests", N, WL, "kvm_stats.vm.s2_dbm_harvests", "value", false,
	  "dirty-log harvests that scanned the stage-2 leaves (hwdbm; KVM binary stats)" },
	{ "kstat.dbm.scanned", "leaves", N, WL, "kvm_stats.vm.s2_dbm_scanned", "value", false,
	  "stage-2 leaves the harvests scanned (hwdbm; KVM binary stats)" },
	{ "kstat.dbm.dirty", "leaves", N, WL, "kvm_stats.vm.s2_dbm_dirty", "value", false,
	  "leaves the harvests found dirty and cleaned (hwdbm; KVM binary stats)" },
	{ "kstat.dbm.harvest_time", "ns", L, WL, "kvm_stats.vm.s2_dbm_harvest_ns", "value", false,
	  "time the harvests spent scanning leaves, all harvests (hwdbm; KVM binary stats)" },
	{ "collector.faults.translation", "faults", N, CO, "faults.count.translation", "value", false,
	  "translation faults" },
	{ "collector.faults.permission", "faults", N, CO, "faults.count.permission", "value", false,
	  "permission (write-protection) faults" },
	{ "collector.faults.access", "faults", N, CO, "faults.count.access", "value", false,
	  "access-flag faults" },
	{ "collector.faults.mmio", "faults", N, CO, "faults.count.mmio", "value", false,
	  "MMIO faults" },
	{ "collector.faults.not_timed", "faults", N, CO, "faults.not_timed", "value", false,
	  "faults counted but not in the latency histograms" },
	{ "collector.wp_faults", "faults", N, CO, "dirty.wp_faults", "value", false,
	  "write-protection faults" },
	{ "collector.fast_path_hits", "faults", N, CO, "dirty.fast_path_hits", "value", false,
	  "faults resolved on the lock-free fast path" },
	{ "collector.fault_latency.p50", "ns", L, CO, "faults.latency.*.*", "p50", false,
	  "fault latency p50, every kind and path (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.p99", "ns", L, CO, "faults.latency.*.*", "p99", false,
	  "fault latency p99, every kind and path (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.translation.p50", "ns", L, CO, "faults.latency.translation.*", "p50", false,
	  "translation fault latency p50 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.translation.p99", "ns", L, CO, "faults.latency.translation.*", "p99", false,
	  "translation fault latency p99 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.permission.p50", "ns", L, CO, "faults.latency.permission.*", "p50", false,
	  "permission fault latency p50 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.permission.p99", "ns", L, CO, "faults.latency.permission.*", "p99", false,
	  "permission fault latency p99 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.access.p50", "ns", L, CO, "faults.latency.access.*", "p50", false,
	  "access-flag fault latency p50 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.fault_latency.access.p99", "ns", L, CO, "faults.latency.access.*", "p99", false,
	  "access-flag fault latency p99 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.tlbi.all", "tlbi", N, CO, "tlbi.*.count", "sum", false,
	  "TLB invalidations, every kind" },
	{ "collector.tlbi.vmid", "tlbi", N, CO, "tlbi.vmid.count", "value", false,
	  "whole-VMID TLB invalidations" },
	{ "collector.tlbi.ipa", "tlbi", N, CO, "tlbi.ipa.count", "value", false,
	  "by-IPA TLB invalidations" },
	{ "collector.tlbi.ipa_local", "tlbi", N, CO, "tlbi.ipa_local.count", "value", false,
	  "local by-IPA TLB invalidations" },
	{ "collector.tlbi.range", "tlbi", N, CO, "tlbi.range.count", "value", false,
	  "range TLB invalidations" },
	{ "collector.tlbi.locked", "tlbi", N, CO, "tlbi.*.mmu_lock_write", "sum", false,
	  "TLB invalidations issued with mmu_lock held for write" },
	{ "collector.cmo.dcache", "operations", N, CO, "cmo.dcache.count", "value", false,
	  "data-cache maintenance operations" },
	{ "collector.cmo.dcache_bytes", "bytes", N, CO, "cmo.dcache.bytes", "value", false,
	  "bytes of data-cache maintenance" },
	{ "collector.cmo.icache", "operations", N, CO, "cmo.icache.count", "value", false,
	  "instruction-cache maintenance operations" },
	{ "collector.cmo.icache_bytes", "bytes", N, CO, "cmo.icache.bytes", "value", false,
	  "bytes of instruction-cache maintenance" },
	{ "collector.mmu_lock.read_waits", "waits", N, CO, "mmu_lock.read_wait", "hist_count", false,
	  "contended mmu_lock acquisitions for read (this VM's lock)" },
	{ "collector.mmu_lock.write_waits", "waits", N, CO, "mmu_lock.write_wait", "hist_count", false,
	  "contended mmu_lock acquisitions for write (this VM's lock)" },
	{ "collector.mmu_lock.read_wait_time", "ns", L, CO, "mmu_lock.read_wait", "hist_sum", false,
	  "total time waiting for mmu_lock for read" },
	{ "collector.mmu_lock.write_wait_time", "ns", L, CO, "mmu_lock.write_wait", "hist_sum", false,
	  "total time waiting for mmu_lock for write" },
	{ "collector.mmu_lock.write_wait.p99", "ns", L, CO, "mmu_lock.write_wait", "p99", false,
	  "mmu_lock write wait p99 (log2 bucket upper bound: <= 2x above)" },
	{ "collector.dirty.get_dirty_log_calls", "calls", N, CO, "dirty.ioctls.get_dirty_log.calls", "value", false,
	  "KVM_GET_DIRTY_LOG calls" },
	{ "collector.dirty.get_dirty_log_time", "ns", L, CO, "dirty.ioctls.get_dirty_log.total_time", "value", false,
	  "time in KVM_GET_DIRTY_LOG, all calls" },
	{ "collector.dirty.clear_dirty_log_calls", "calls", N, CO, "dirty.ioctls.clear_dirty_log.calls", "value", false,
	  "KVM_CLEAR_DIRTY_LOG calls" },
	{ "collector.dirty.clear_dirty_log_time", "ns", L, CO, "dirty.ioctls.clear_dirty_log.total_time", "value", false,
	  "time in KVM_CLEAR_DIRTY_LOG, all calls" },
	{ "collector.dirty.reset_dirty_rings_calls", "calls", N, CO, "dirty.ioctls.reset_dirty_rings.calls", "value", false,
	  "KVM_RESET_DIRTY_RINGS calls" },
	{ "collector.dirty.reset_dirty_rings_time", "ns", L, CO, "dirty.ioctls.reset_dirty_rings.total_time", "value", false,
	  "time in KVM_RESET_DIRTY_RINGS, all calls" },
	{ "collector.exits.userspace", "exits", N, CO, "exits.userspace", "value", false,
	  "exits to user space" },
	{ "collector.kvm_run_returns", "exits", N, CO, "exits.kvm_run_returns", "value", false,
	  "KVM_RUN returns seen by the collector" },
	{ "collector.overhead.events", "events", N, CO, "overhead.events", "value", false,
	  "events the collector's programs handled" },
	{ "collector.overhead.per_event", "ns", L, CO, "overhead.per_event", "value", false,
	  "the collector's cost per event" },
	{ "collector.overhead.cpu_share", "cpus", L, CO, "overhead.cpu_share", "value", false,
	  "the collector's BPF programs' run time, in CPUs" },
	{ "collector.overhead.own_cpu_share", "cpus", L, CO, "overhead.own_cpu_share", "value", false,
	  "the collector process's own CPU time while it watched, in CPUs" },
};

#define NREG (sizeof(registry) / sizeof(registry[0]))

const struct metric_def *metric_registry(size_t *n)
{
	*n = NREG;
	return registry;
}

const struct metric_def *metric_find(const char *name)
{
	for (size_t i = 0; i < NREG; i++)
		if (!strcmp(registry[i].name, name))
			return &registry[i];
	return NULL;
}

/* ---- reading a figure ---- */

struct found {
	json_t **nodes;
	size_t n, cap;
	const char *reason;	/* the first "unavailable" met on the way */
};

static bool is_unavailable(json_t *v, const char **reason)
{
	json_t *a = json_object_get(v, "available");

	if (!json_is_false(a))
		return false;
	*reason = json_string_value(json_object_get(v, "reason"));
	if (!*reason)
		*reason = "unavailable (the document gives no reason)";
	return true;
}

/*
 * Collect what @tok[i..] matches under @node. An unavailable figure on the
 * way is the answer's reason; under a "*", an unavailable member (the
 * collector's tlbi.time) is only not one of the matches.
 */
static void walk(json_t *node, char **tok, int ntok, int i, bool wild, struct found *f)
{
	const char *why;

	if (is_unavailable(node, &why)) {
		if (!f->reason && !wild)
			f->reason = why;
		return;
	}
	if (i == ntok) {
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 8;
			f->nodes = realloc(f->nodes, f->cap * sizeof(*f->nodes));
			if (!f->nodes) {
				s2b_err("out of memory");
				exit(S2BENCH_EXIT_USAGE);
			}
		}
		f->nodes[f->n++] = node;
		return;
	}
	if (!json_is_object(node))
		return;
	if (!strcmp(tok[i], "*")) {
		const char *k;
		json_t *v;

		/* Other members (notes, sources) are not figures. */
		json_object_foreach(node, k, v)
			if (json_is_object(v))
				walk(v, tok, ntok, i + 1, true, f);
		return;
	}
	node = json_object_get(node, tok[i]);
	if (node)
		walk(node, tok, ntok, i + 1, wild, f);
}

struct doc {
	const char *path;	/* for messages */
	json_t *root;
};

enum result { R_NONE, R_VALUE, R_UNAVAILABLE, R_MALFORMED };

static enum result __attribute__((format(printf, 3, 4)))
malformed(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return R_MALFORMED;
}

static bool unit_ok(json_t *node, const char *want)
{
	const char *u = json_string_value(json_object_get(node, "unit"));

	return u && !strcmp(u, want);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One bucket of a merged histogram: "le" (inclusive upper bound) and count. */
struct bucket {
	double le;		/* INFINITY for the open last bucket */
	double count;
};

static int cmp_bucket(const void *a, const void *b)
{
	return cmp_double(&((const struct bucket *)a)->le, &((const struct bucket *)b)->le);
}

static enum result hist_reduce(const struct metric_def *m, struct found *f, const char *doc,
			       double *out, char *msg, size_t len)
{
	struct bucket *b = NULL;
	size_t nb = 0, cap = 0;
	double total = 0, sum = 0, q, rank, cum = 0;
	enum result r = R_VALUE;

	for (size_t i = 0; i < f->n; i++) {
		json_t *h = f->nodes[i], *bs = json_object_get(h, "buckets"), *e;
		json_t *cnt = json_object_get(h, "count"), *sm = json_object_get(h, "sum");
		size_t k;

		if (!json_is_array(bs) || !json_is_integer(cnt) || !json_is_integer(sm) ||
		    !unit_ok(h, "ns")) {
			free(b);
			return malformed(msg, len, "%s: %s: %s is not a histogram {unit: ns, count, "
					 "sum, buckets}", doc, m->name, m->path);
		}
		total += json_integer_value(cnt);
		sum += json_integer_value(sm);
		json_array_foreach(bs, k, e) {
			json_t *le = json_object_get(e, "le"), *c = json_object_get(e, "count");
			double lv;
			size_t j;

			if (json_is_integer(le))
				lv = json_integer_value(le);
			else if (json_is_string(le) && !strcmp(json_string_value(le), "+Inf"))
				lv = INFINITY;
			else
				c = NULL;
			if (!json_is_integer(c)) {
				free(b);
				return malformed(msg, len, "%s: %s: a bucket of %s is not {le, count}",
						 doc, m->name, m->path);
			}
			for (j = 0; j < nb && b[j].le != lv; j++)
				;
			if (j == nb) {
				if (nb == cap) {
					cap = cap ? 2 * cap : 64;
					b = realloc(b, cap * sizeof(*b));
					if (!b) {
						s2b_err("out of memory");
						exit(S2BENCH_EXIT_USAGE);
					}
				}
				b[nb].le = lv;
				b[nb++].count = 0;
			}
			b[j].count += json_integer_value(c);
		}
	}
	if (!strcmp(m->reduce, "hist_count")) {
		*out = total;
	} else if (!strcmp(m->reduce, "hist_sum")) {
		*out = sum;
	} else {
		q = !strcmp(m->reduce, "p50") ? 0.50 : 0.99;
		if (nb)
			qsort(b, nb, sizeof(*b), cmp_bucket);
		if (total <= 0) {
			r = R_UNAVAILABLE;
			snprintf(msg, len, "no events in the histogram (nothing to take a quantile of)");
		} else {
			/* The smallest bucket holding the ceil(q * n)-th event. */
			/* (less a hair: 0.07 * 100 is 7.000000000000001) */
			rank = ceil(q * total - 1e-9);
			r = R_UNAVAILABLE;
			snprintf(msg, len, "the histogram's buckets hold fewer events than its count");
			for (size_t i = 0; i < nb; i++) {
				cum += b[i].count;
				if (cum >= rank) {
					if (isinf(b[i].le)) {
						snprintf(msg, len, "the quantile falls in the histogram's "
							 "open last bucket (no upper bound)");
					} else {
						*out = b[i].le;
						r = R_VALUE;
					}
					break;
				}
			}
		}
	}
	free(b);
	return r;
}

/*
 * The number @m gives for document @d: R_VALUE (*out), R_UNAVAILABLE (the
 * reason in @msg), R_NONE (not this workload's figure) or R_MALFORMED.
 */
/*
 * Whether @m is a latency by kind, which only the collector's detail tier
 * (s2collect --faults) has, and @root a document of its default tier.
 */
static bool detail_only(const struct metric_def *m, json_t *root)
{
	const char *tier = json_string_value(json_object_get(json_object_get(root, "tier"), "name"));

	return !strncmp(m->path, "faults.latency.", 15) && strncmp(m->path, "faults.latency.*", 16) &&
	       tier && !strcmp(tier, "default");
}

static enum result reduce(const struct metric_def *m, const struct doc *d, double *out,
			  char *msg, size_t len)
{
	char path[256], *tok[16], *save, *t;
	struct found f = { 0 };
	enum result r = R_VALUE;
	int ntok = 0;

	snprintf(path, sizeof(path), "%s", m->path);
	for (t = strtok_r(path, ".", &save); t && ntok < 16; t = strtok_r(NULL, ".", &save))
		tok[ntok++] = t;
	walk(d->root, tok, ntok, 0, false, &f);
	if (!f.n) {
		free(f.nodes);
		if (!f.reason && !strcmp(m->source, CO) && detail_only(m, d->root)) {
			snprintf(msg, len, "the collector's default tier has the kernel's fault-time "
				 "histogram of all kinds and paths together, not one per kind: "
				 "a plan with 'collector detail' gives it");
			return R_UNAVAILABLE;
		}
		if (!f.reason)
			return R_NONE;
		snprintf(msg, len, "%s", f.reason);
		return R_UNAVAILABLE;
	}

	if (!strcmp(m->reduce, "value") || !strcmp(m->reduce, "sum")) {
		*out = 0;
		for (size_t i = 0; i < f.n; i++) {
			json_t *v = json_object_get(f.nodes[i], "value");

			if (!json_is_number(v) || !unit_ok(f.nodes[i], m->unit)) {
				r = malformed(msg, len, "%s: %s: %s is not {value, unit: %s}", d->path,
					      m->name, m->path, m->unit);
				break;
			}
			*out += json_number_value(v);
		}
	} else if (!strcmp(m->reduce, "median")) {
		json_t *s = f.nodes[0], *vals = json_object_get(s, "values"), *e;
		double *v;
		size_t i, n;

		if (f.n != 1 || !unit_ok(s, m->unit) || !json_is_integer(json_object_get(s, "n"))) {
			r = malformed(msg, len, "%s: %s: %s is not a series {unit: %s, n, values}",
				      d->path, m->name, m->path, m->unit);
		} else if (!vals) {
			r = R_UNAVAILABLE;
			snprintf(msg, len, "the series has %lld values; the document keeps only "
				 "their mean, min and max beyond 4096, so no median",
				 (long long)json_integer_value(json_object_get(s, "n")));
		} else if (!json_is_array(vals) || !(n = json_array_size(vals))) {
			r = json_is_array(vals) ? R_UNAVAILABLE :
			    malformed(msg, len, "%s: %s: values is not an array", d->path, m->name);
			if (r == R_UNAVAILABLE)
				snprintf(msg, len, "the series is empty (n = 0)");
		} else {
			v = malloc(n * sizeof(*v));
			if (!v) {
				s2b_err("out of memory");
				exit(S2BENCH_EXIT_USAGE);
			}
			json_array_foreach(vals, i, e) {
				if (!json_is_number(e)) {
					r = malformed(msg, len, "%s: %s: a value is not a number",
						      d->path, m->name);
					break;
				}
				v[i] = json_number_value(e);
			}
			if (r == R_VALUE) {
				qsort(v, n, sizeof(*v), cmp_double);
				*out = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
			}
			free(v);
		}
	} else {
		r = hist_reduce(m, &f, d->path, out, msg, len);
	}
	free(f.nodes);
	return r;
}

/* ---- the command ---- */

/* The shortest text that reads back as the same double. */
static void put_number(FILE *f, double v)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof(buf), "%.17g", v);
	fputs(buf, f);
}

static void put_cell_columns(FILE *f, const struct cell *c)
{
	fprintf(f, "%s,", c->id);
	csv_put(f, c->profile);
	fprintf(f, ",%d,%s,%s,%s,", c->rep, c->mode, c->strategy, c->workload);
	csv_put(f, c->config);
}

static bool load_doc(const char *dir, const struct cell *c, const char *name, const char *schema,
		     struct doc *d, char *path, size_t plen, char *err, size_t errlen)
{
	json_error_t je;
	json_t *s;

	snprintf(path, plen, "%s/cells/%s/%s", dir, c->id, name);
	d->path = path;
	d->root = json_load_file(path, 0, &je);
	if (!d->root) {
		if (access(path, F_OK))
			snprintf(err, errlen, "%s: missing, but the cell's status is 0", path);
		else
			snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return false;
	}
	s = json_object_get(d->root, "schema");
	if (!json_is_string(s) || strcmp(json_string_value(s), schema)) {
		snprintf(err, errlen, "%s: not an %s document", path, schema);
		json_decref(d->root);
		d->root = NULL;
		return false;
	}
	return true;
}

/* Why a cell that did not succeed has no metrics, for cells.csv. */
static void cell_reason(const char *dir, const struct cell *c, char *buf, size_t len)
{
	const char *o = cell_outcome(c->status), *why;
	char path[4096];
	json_t *doc;
	FILE *f;

	buf[0] = 0;
	if (!strcmp(o, "hung")) {
		snprintf(buf, len, "killed at the cell's timeout");
		return;
	}
	if (!strcmp(o, "died")) {
		snprintf(buf, len, "the target stopped while the cell ran");
		return;
	}
	if (!strcmp(o, "ok") || !strcmp(o, "not_run"))
		return;
	/* a cell the runner could not run as the plan asked (run-cells.sh) */
	snprintf(path, sizeof(path), "%s/cells/%s/reason", dir, c->id);
	f = fopen(path, "r");
	if (f) {
		if (fgets(buf, len, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
		if (buf[0])
			return;
	}
	snprintf(path, sizeof(path), "%s/cells/%s/workload.json", dir, c->id);
	doc = json_load_file(path, 0, NULL);
	why = json_string_value(json_object_get(doc, "reason"));
	if (why)
		snprintf(buf, len, "%s", why);
	else if (!strcmp(o, "failed"))
		snprintf(buf, len, "exit status %s, no reason in a document (see cells/%s/output.log)",
			 c->status, c->id);
	json_decref(doc);
}

static FILE *open_tmp(const char *dir, const char *name, char *tmp, size_t len)
{
	char path[4096], err[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = atomic_open(path, tmp, len, err, sizeof(err));
	if (!f)
		s2b_err("table: %s", err);
	return f;
}

static bool commit_tmp(FILE *f, const char *tmp)
{
	char err[1024];

	if (!atomic_commit(f, tmp, err, sizeof(err))) {
		s2b_err("table: %s", err);
		return false;
	}
	return true;
}

static void table_usage(FILE *f)
{
	fprintf(f,
		"usage: s2bench table RUN\n\n"
		"Read RUN/manifest.json and every cell's documents (cells/<id>/workload.json,\n"
		"and collector.json for collected cells), reduce each to one number per\n"
		"metric of the registry, and write:\n"
		"  RUN/metrics.csv      cell,profile,rep,mode,strategy,workload,config,metric,unit,value,clock\n"
		"  RUN/cells.csv        every cell with its status, outcome, seconds and reason\n"
		"  RUN/unavailable.csv  cell,metric,reason: what a document says it could not measure\n"
		"  -l, --list           print the metric registry and exit\n"
		"  -h, --help           this help\n\n"
		"exit status: 0 every cell ok or skipped, 1 some failed, hung, died or did not\n"
		"run (the tables are written all the same), 2 a document or the manifest is\n"
		"malformed (one line naming the file; nothing written)\n");
}

static void list_registry(void)
{
	printf("%-42s %-10s %-6s %-9s %-10s %-5s %s\n", "metric", "unit", "better", "source",
	       "reduce", "gated", "path / what");
	for (size_t i = 0; i < NREG; i++) {
		const struct metric_def *m = &registry[i];

		printf("%-42s %-10s %-6s %-9s %-10s %-5s %s\n  %-41s %s\n", m->name, m->unit,
		       m->better == BETTER_LOWER ? "lower" : m->better == BETTER_HIGHER ? "higher" : "-",
		       m->source, m->reduce, m->gated ? "yes" : "no", m->path, "", m->label);
	}
}

static double cell_seconds(const char *dir, const struct cell *c)
{
	char path[4096];
	double s = NAN;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cells/%s/elapsed", dir, c->id);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%lf", &s) != 1)
			s = NAN;
		fclose(f);
	}
	return s;
}

int cmd_table(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char err[4096], tmp_m[4096], tmp_c[4096], tmp_u[4096], msg[1024];
	size_t nrows = 0, nunavail = 0, counts[6] = { 0 }, nbad = 0;
	static const char *const outcomes[] = { "ok", "skipped", "failed", "hung", "died", "not_run" };
	FILE *fm = NULL, *fc = NULL, *fu = NULL;
	const char *dir;
	struct rundir r;
	int opt, rc = S2BENCH_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "lh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l': list_registry(); return S2BENCH_EXIT_OK;
		case 'h': table_usage(stdout); return S2BENCH_EXIT_OK;
		default:
			s2b_err("table: unknown option '%s' (see s2bench table -h)", argv[optind - 1]);
			return S2BENCH_EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		s2b_err("table: need one RUN directory (see s2bench table -h)");
		return S2BENCH_EXIT_USAGE;
	}
	dir = argv[optind];
	if (!rundir_load_cells(dir, &r, err, sizeof(err))) {
		s2b_err("table: %s", err);
		rundir_free(&r);
		return S2BENCH_EXIT_USAGE;
	}
	fm = open_tmp(dir, "metrics.csv", tmp_m, sizeof(tmp_m));
	fc = fm ? open_tmp(dir, "cells.csv", tmp_c, sizeof(tmp_c)) : NULL;
	fu = fc ? open_tmp(dir, "unavailable.csv", tmp_u, sizeof(tmp_u)) : NULL;
	if (!fu) {
		rc = S2BENCH_EXIT_USAGE;
		goto out;
	}
	fprintf(fm, "cell,profile,rep,mode,strategy,workload,config,metric,unit,value,clock\n");
	fprintf(fc, "cell,index,profile,rep,mode,strategy,workload,config,status,outcome,seconds,reason\n");
	fprintf(fu, "cell,metric,reason\n");

	for (size_t i = 0; i < r.ncells; i++) {
		const struct cell *c = &r.cells[i];
		const char *o = cell_outcome(c->status);
		struct doc docs[2] = { { 0 } };
		char paths[2][4096], reason[512];
		double secs = cell_seconds(dir, c);
		size_t k;

		for (k = 0; k < 6; k++)
			if (!strcmp(o, outcomes[k]))
				counts[k]++;
		cell_reason(dir, c, reason, sizeof(reason));
		fprintf(fc, "%s,%d,", c->id, c->index);
		csv_put(fc, c->profile);
		fprintf(fc, ",%d,%s,%s,%s,", c->rep, c->mode, c->strategy, c->workload);
		csv_put(fc, c->config);
		fprintf(fc, ",%s,%s,", c->status ? c->status : "", o);
		if (!isnan(secs))
			fprintf(fc, "%.1f", secs);
		fputc(',', fc);
		csv_put(fc, reason);
		fputc('\n', fc);
		if (cell_outcome_bad(c->status)) {
			/* Named once the table is written: a malformed run is one line. */
			nbad++;
			continue;
		}
		if (strcmp(o, "ok"))
			continue;

		if (!load_doc(dir, c, "workload.json", "s2perf.workload/1", &docs[0], paths[0],
			      sizeof(paths[0]), err, sizeof(err))) {
			s2b_err("table: %s", err);
			rc = S2BENCH_EXIT_USAGE;
			goto out;
		}
		{
			const char *st = json_string_value(json_object_get(docs[0].root, "status"));

			if (!st || strcmp(st, "ok")) {
				s2b_err("table: %s: status \"%s\", but the cell exited 0", paths[0],
					st ? st : "(none)");
				json_decref(docs[0].root);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
		}
		if (mode_collected(c->mode) &&
		    !load_doc(dir, c, "collector.json", "s2perf.collector/1", &docs[1], paths[1],
			      sizeof(paths[1]), err, sizeof(err))) {
			s2b_err("table: %s", err);
			json_decref(docs[0].root);
			rc = S2BENCH_EXIT_USAGE;
			goto out;
		}
		/* A time in instructions must never be read as one in ns of real time. */
		for (k = 0; k < 2; k++) {
			const char *dc = docs[k].root ?
				json_string_value(json_object_get(docs[k].root, "clock")) : NULL;

			if (dc && strcmp(dc, rundir_clock(&r))) {
				s2b_err("table: %s: clock \"%s\", but the run's is %s (env.json)",
					paths[k], dc, rundir_clock(&r));
				json_decref(docs[0].root);
				json_decref(docs[1].root);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
		}
		for (k = 0; k < NREG; k++) {
			const struct metric_def *m = &registry[k];
			const struct doc *d = !strcmp(m->source, WL) ? &docs[0] : &docs[1];
			enum result res;
			double v = 0;

			if (!d->root)
				continue;
			res = reduce(m, d, &v, msg, sizeof(msg));
			if (res == R_MALFORMED) {
				s2b_err("table: %s", msg);
				json_decref(docs[0].root);
				json_decref(docs[1].root);
				rc = S2BENCH_EXIT_USAGE;
				goto out;
			}
			if (res == R_UNAVAILABLE) {
				fprintf(fu, "%s,%s,", c->id, m->name);
				csv_put(fu, msg);
				fputc('\n', fu);
				nunavail++;
			} else if (res == R_VALUE) {
				put_cell_columns(fm, c);
				fprintf(fm, ",%s,%s,", m->name, m->unit);
				put_number(fm, v);
				fprintf(fm, ",%s\n", rundir_clock(&r));
				nrows++;
			}
		}
		json_decref(docs[0].root);
		json_decref(docs[1].root);
	}
	if (!commit_tmp(fm, tmp_m) || !commit_tmp(fc, tmp_c) || !commit_tmp(fu, tmp_u)) {
		fm = fc = fu = NULL;
		rc = S2BENCH_EXIT_USAGE;
		goto out;
	}
	fm = fc = fu = NULL;
	printf("%s: %zu cells: %zu ok, %zu skipped, %zu failed, %zu hung, %zu died, %zu not run; "
	       "metrics.csv %zu rows, unavailable.csv %zu rows\n", dir, r.ncells, counts[0],
	       counts[1], counts[2], counts[3], counts[4], counts[5], nrows, nunavail);
	for (size_t i = 0, shown = 0; i < r.ncells && shown < 5; i++) {
		const struct cell *c = &r.cells[i];
		const char *o = cell_outcome(c->status);

		if (!cell_outcome_bad(c->status))
			continue;
		shown++;
		fprintf(stderr, "s2bench: table: cell %s (%s %s rep %d) %s%s%s%s\n",
			c->id, c->config, c->strategy, c->rep, o,
			c->status && strcmp(o, "died") ? " (status " : "",
			c->status && strcmp(o, "died") ? c->status : "",
			c->status && strcmp(o, "died") ? ")" : "");
	}
	if (nbad > 5)
		fprintf(stderr, "s2bench: table: ... and %zu more (see %s/cells.csv)\n", nbad - 5, dir);
	if (nbad)
		rc = S2BENCH_EXIT_FINDING;
out:
	/* A malformed run leaves no half-written tables behind. */
	if (fm) {
		fclose(fm);
		unlink(tmp_m);
	}
	if (fc) {
		fclose(fc);
		unlink(tmp_c);
	}
	if (fu) {
		fclose(fu);
		unlink(tmp_u);
	}
	rundir_free(&r);
	return rc;
}
