// SPDX-License-Identifier: GPL-2.0
/*
 * The metric registry: the only place that knows where a figure lives in
 * the workload's (s2perf.workload/1) and the collector's
 * (s2perf.collector/1) documents, and the only code in bench/ that reads
 * them (registry.h). A figure the document says is unavailable is
 * unavailable with its reason, never 0; a metric whose path the document
 * does not have at all is not this workload's.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "registry.h"
#include "s2bench.h"

#define WL "workload"
#define CO "collector"
#define L BETTER_LOWER
#define H BETTER_HIGHER
#define N BETTER_NONE

/*
 * The reductions are registry.h's (struct metric_def). The log2 histograms (bpf/s2collect.h) keep only which power-of-two
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

#undef L
#undef H
#undef N

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

/* A metric of a new unit that cannot go below zero adds it here. */
bool unit_nonnegative(const char *unit)
{
	static const char *const u[] = { "ns", "us", "ms", "s", "bytes", "pages", "pages/s",
					 "calls", "cpus", "events", "exits", "faults", "harvests",
					 "leaves", "operations", "tlbi", "waits", NULL };

	for (size_t i = 0; u[i]; i++)
		if (!strcmp(unit, u[i]))
			return true;
	return false;
}

const char *metric_better_name(const struct metric_def *m)
{
	return m->better == BETTER_LOWER ? "lower" : m->better == BETTER_HIGHER ? "higher" : "none";
}

size_t metric_rank(const struct metric_def *m)
{
	size_t i;

	for (i = 0; i < NREG; i++)
		if (!strcmp(registry[i].name, m->name))
			return i;
	return NREG;
}

/* ---- documents ---- */

static const char *doc_file(const char *source)
{
	return !strcmp(source, CO) ? "collector.json" : "workload.json";
}

static const char *doc_schema(const char *source)
{
	return !strcmp(source, CO) ? "s2perf.collector/1" : "s2perf.workload/1";
}

bool doc_load(const char *dir, const char *id, const char *source, struct doc *d, char *err,
	      size_t errlen)
{
	char path[4096];
	json_error_t je;
	json_t *s;

	snprintf(path, sizeof(path), "%s/cells/%s/%s", dir, id, doc_file(source));
	d->path = NULL;
	d->root = json_load_file(path, 0, &je);
	if (!d->root) {
		if (access(path, F_OK))
			snprintf(err, errlen, "%s: missing, but the cell's status is 0", path);
		else
			snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return false;
	}
	s = json_object_get(d->root, "schema");
	if (!json_is_string(s) || strcmp(json_string_value(s), doc_schema(source))) {
		snprintf(err, errlen, "%s: not an %s document", path, doc_schema(source));
		json_decref(d->root);
		d->root = NULL;
		return false;
	}
	d->path = xstrdup(path);
	return true;
}

void doc_free(struct doc *d)
{
	json_decref(d->root);
	free(d->path);
	d->root = NULL;
	d->path = NULL;
}

bool doc_reason(const char *dir, const char *id, char *buf, size_t len)
{
	char path[4096];
	const char *why;
	json_t *doc;

	snprintf(path, sizeof(path), "%s/cells/%s/%s", dir, id, doc_file(WL));
	doc = json_load_file(path, 0, NULL);
	why = json_string_value(json_object_get(doc, "reason"));
	if (why)
		snprintf(buf, len, "%s", why);
	json_decref(doc);
	return why;
}

/* ---- reading a figure ---- */

const char *doc_unavailable(json_t *v)
{
	const char *reason;

	if (!json_is_false(json_object_get(v, "available")))
		return NULL;
	reason = json_string_value(json_object_get(v, "reason"));
	return reason ? reason : "unavailable (the document gives no reason)";
}

/*
 * Collect what @tok[i..] matches under @node. An unavailable figure on the
 * way is the answer's reason; under a "*", an unavailable member (the
 * collector's tlbi.time) is only not one of the matches.
 */
static void walk(json_t *node, char **tok, int ntok, int i, bool wild, struct doc_found *f)
{
	const char *why = doc_unavailable(node);

	if (why) {
		if (!f->reason && !wild)
			f->reason = why;
		return;
	}
	if (i == ntok) {
		if (f->n == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 8;
			f->nodes = xrealloc(f->nodes, f->cap * sizeof(*f->nodes));
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

/* @path cut at its dots into @buf (at most 16 keys). */
static int path_keys(const char *path, char *buf, size_t len, char **tok)
{
	char *save, *t;
	int ntok = 0;

	snprintf(buf, len, "%s", path);
	for (t = strtok_r(buf, ".", &save); t && ntok < 16; t = strtok_r(NULL, ".", &save))
		tok[ntok++] = t;
	return ntok;
}

void doc_find(json_t *root, const char *path, struct doc_found *f)
{
	char buf[256], *tok[16];
	int ntok = path_keys(path, buf, sizeof(buf), tok);

	memset(f, 0, sizeof(*f));
	walk(root, tok, ntok, 0, false, f);
}

void doc_found_free(struct doc_found *f)
{
	free(f->nodes);
	memset(f, 0, sizeof(*f));
}

json_t *doc_get(json_t *root, const char *path)
{
	char buf[256], *tok[16];
	int ntok = path_keys(path, buf, sizeof(buf), tok);

	for (int i = 0; i < ntok && root; i++)
		root = json_object_get(root, tok[i]);
	return root;
}

const char *doc_str(json_t *root, const char *path)
{
	return json_string_value(doc_get(root, path));
}

static enum doc_result __attribute__((format(printf, 3, 4)))
malformed(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return DOC_MALFORMED;
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

static int cmp_bucket(const void *a, const void *b)
{
	return cmp_double(&((const struct hist_bucket *)a)->le, &((const struct hist_bucket *)b)->le);
}

void hist_free(struct hist *h)
{
	free(h->b);
	memset(h, 0, sizeof(*h));
}

/* The histograms @f found for @m, merged into @h by upper bound. */
static enum doc_result hist_merge(const struct metric_def *m, const struct doc_found *f,
				  const char *doc, struct hist *h, char *msg, size_t len)
{
	for (size_t i = 0; i < f->n; i++) {
		json_t *node = f->nodes[i], *bs = json_object_get(node, "buckets"), *e;
		json_t *cnt = json_object_get(node, "count"), *sm = json_object_get(node, "sum");
		size_t k;

		if (!json_is_array(bs) || !json_is_integer(cnt) || !json_is_integer(sm) ||
		    !unit_ok(node, "ns"))
			return malformed(msg, len, "%s: %s: %s is not a histogram {unit: ns, count, "
					 "sum, buckets}", doc, m->name, m->path);
		h->count += json_integer_value(cnt);
		h->sum += json_integer_value(sm);
		h->merged++;
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
			if (!json_is_integer(c))
				return malformed(msg, len, "%s: %s: a bucket of %s is not {le, count}",
						 doc, m->name, m->path);
			for (j = 0; j < h->n && h->b[j].le != lv; j++)
				;
			if (j == h->n) {
				if (h->n == h->cap) {
					h->cap = h->cap ? 2 * h->cap : 64;
					h->b = xrealloc(h->b, h->cap * sizeof(*h->b));
				}
				h->b[h->n].le = lv;
				h->b[h->n++].count = 0;
			}
			h->b[j].count += json_integer_value(c);
		}
	}
	if (h->n)
		qsort(h->b, h->n, sizeof(*h->b), cmp_bucket);
	return DOC_VALUE;
}

enum doc_result hist_quantile(const struct hist *h, double q, double *out, char *msg, size_t len)
{
	double rank, cum = 0;

	if (h->count <= 0) {
		snprintf(msg, len, "no events in the histogram (nothing to take a quantile of)");
		return DOC_UNAVAILABLE;
	}
	/* The smallest bucket holding the ceil(q * n)-th event. */
	/* (less a hair: 0.07 * 100 is 7.000000000000001) */
	rank = ceil(q * h->count - 1e-9);
	for (size_t i = 0; i < h->n; i++) {
		cum += h->b[i].count;
		if (cum < rank)
			continue;
		if (isinf(h->b[i].le)) {
			snprintf(msg, len, "the quantile falls in the histogram's open last bucket "
				 "(no upper bound)");
			return DOC_UNAVAILABLE;
		}
		*out = h->b[i].le;
		return DOC_VALUE;
	}
	snprintf(msg, len, "the histogram's buckets hold fewer events than its count");
	return DOC_UNAVAILABLE;
}

/*
 * Whether @m is a latency by kind, which only the collector's detail tier
 * (s2collect --faults) has, and @root a document of its default tier.
 */
static bool detail_only(const struct metric_def *m, json_t *root)
{
	const char *tier = doc_str(root, "tier.name");

	return !strncmp(m->path, "faults.latency.", 15) && strncmp(m->path, "faults.latency.*", 16) &&
	       tier && !strcmp(tier, "default");
}

/* What @m's path matches in @d: DOC_VALUE (some nodes), or why none. */
static enum doc_result metric_nodes(const struct metric_def *m, const struct doc *d,
				    struct doc_found *f, char *msg, size_t len)
{
	doc_find(d->root, m->path, f);
	if (f->n)
		return DOC_VALUE;
	if (!f->reason && !strcmp(m->source, CO) && detail_only(m, d->root)) {
		snprintf(msg, len, "the collector's default tier has the kernel's fault-time "
			 "histogram of all kinds and paths together, not one per kind: "
			 "a plan with 'collector detail' gives it");
		return DOC_UNAVAILABLE;
	}
	if (!f->reason)
		return DOC_NONE;
	snprintf(msg, len, "%s", f->reason);
	return DOC_UNAVAILABLE;
}

static enum doc_result series_median(const struct metric_def *m, const struct doc *d,
				     json_t *s, double *out, char *msg, size_t len)
{
	json_t *vals = json_object_get(s, "values"), *e;
	enum doc_result r = DOC_VALUE;
	double *v;
	size_t i, n;

	if (!unit_ok(s, m->unit) || !json_is_integer(json_object_get(s, "n")))
		return malformed(msg, len, "%s: %s: %s is not a series {unit: %s, n, values}",
				 d->path, m->name, m->path, m->unit);
	if (!vals) {
		snprintf(msg, len, "the series has %lld values; the document keeps only their "
			 "mean, min and max beyond 4096, so no median",
			 (long long)json_integer_value(json_object_get(s, "n")));
		return DOC_UNAVAILABLE;
	}
	if (!json_is_array(vals))
		return malformed(msg, len, "%s: %s: values is not an array", d->path, m->name);
	if (!(n = json_array_size(vals))) {
		snprintf(msg, len, "the series is empty (n = 0)");
		return DOC_UNAVAILABLE;
	}
	v = xcalloc(n, sizeof(*v));
	json_array_foreach(vals, i, e) {
		if (!json_is_number(e)) {
			r = malformed(msg, len, "%s: %s: a value is not a number", d->path, m->name);
			break;
		}
		v[i] = json_number_value(e);
	}
	if (r == DOC_VALUE) {
		qsort(v, n, sizeof(*v), cmp_double);
		*out = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
	return r;
}

enum doc_result metric_read(const struct metric_def *m, const struct doc *d, double *out,
			    char *msg, size_t len)
{
	struct doc_found f;
	struct hist h = { 0 };
	enum doc_result r = metric_nodes(m, d, &f, msg, len);

	if (r != DOC_VALUE)
		goto out;
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
		if (f.n != 1)
			r = malformed(msg, len, "%s: %s: %s is not a series {unit: %s, n, values}",
				      d->path, m->name, m->path, m->unit);
		else
			r = series_median(m, d, f.nodes[0], out, msg, len);
	} else {
		r = hist_merge(m, &f, d->path, &h, msg, len);
		if (r != DOC_VALUE)
			;
		else if (!strcmp(m->reduce, "hist_count"))
			*out = h.count;
		else if (!strcmp(m->reduce, "hist_sum"))
			*out = h.sum;
		else
			r = hist_quantile(&h, !strcmp(m->reduce, "p50") ? 0.50 : 0.99, out, msg, len);
	}
out:
	hist_free(&h);
	doc_found_free(&f);
	return r;
}

enum doc_result metric_hist(const struct metric_def *m, const struct doc *d, struct hist *h,
			    char *msg, size_t len)
{
	struct doc_found f;
	enum doc_result r;

	memset(h, 0, sizeof(*h));
	/* only what the document says (the table's note on the default tier is the table's) */
	doc_find(d->root, m->path, &f);
	if (f.n) {
		r = hist_merge(m, &f, d->path, h, msg, len);
	} else if (f.reason) {
		snprintf(msg, len, "%s", f.reason);
		r = DOC_UNAVAILABLE;
	} else {
		r = DOC_NONE;
	}
	doc_found_free(&f);
	return r;
}
