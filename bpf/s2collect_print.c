// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect's summary for people, written from its JSON document alone
 * (schema s2perf.collector/1), so that what a person reads is what a
 * machine reads: every figure with its tier, every unavailable one with
 * its reason.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "s2_helpers.h"
#include "s2collect.h"
#include "s2collect_print.h"

static json_t *jget(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o ? json_object_get(o, path) : NULL;
}

static long long jval(json_t *o, const char *path)
{
	return json_integer_value(jget(o, path));
}

/* Prints an unavailable member's reason, or nothing; true if it printed. */
static bool print_unavail(FILE *out, const char *what, json_t *v)
{
	if (!json_is_object(v) || !json_object_get(v, "available") ||
	    json_is_true(json_object_get(v, "available")))
		return false;
	fprintf(out, "%-18s unavailable: %s\n", what, json_string_value(json_object_get(v, "reason")));
	return true;
}

static const char *tier_of(json_t *v)
{
	const char *t = json_string_value(json_object_get(v, "tier"));

	return t ? t : "?";
}

/* "kind 12 kind 3 ... (unit, from TIER)" for an object of counts. */
static void print_counts(FILE *out, const char *what, json_t *v, const char *tier)
{
	const char *key, *unit = NULL;
	json_t *val;

	fprintf(out, "%-18s", what);
	json_object_foreach(v, key, val) {
		if (!json_is_object(val))
			continue;
		if (json_object_get(val, "value")) {
			fprintf(out, " %s %lld", key, json_integer_value(json_object_get(val, "value")));
			unit = json_string_value(json_object_get(val, "unit"));
		} else {
			fprintf(out, " %s n/a", key);
		}
	}
	fprintf(out, " (%s, %s)\n", unit ? unit : "-", tier);
}

void s2collect_print(FILE *out, json_t *doc)
{
	const char *key, *k2, *mode = json_string_value(jget(doc, "target.mode"));
	json_t *v, *o, *e;
	char title[96];
	size_t idx;

	if (mode && !strcmp(mode, "all"))
		snprintf(title, sizeof(title), "all processes");
	else
		snprintf(title, sizeof(title), "pid %lld", jval(doc, "target.pid"));
	fprintf(out, "\n== s2collect after %.1f s: %s, %s tier ==\n",
	       json_real_value(jget(doc, "duration.value")), title,
	       json_string_value(jget(doc, "tier.name")));
	if (json_string_value(jget(doc, "tier.fallback")))
		fprintf(out, "%-18s fault probes instead of the kernel's stats: %s\n", "tier",
		       json_string_value(jget(doc, "tier.fallback")));

	o = json_object_get(doc, "faults");
	v = json_object_get(o, "latency");
	if (!print_unavail(out, "fault latency", v)) {
		fprintf(out, "stage-2 fault latency (%s: %s):\n", tier_of(o),
		       json_string_value(json_object_get(o, "source")));
		json_object_foreach(v, key, e) {
			json_t *h;

			if (!json_is_object(e))
				continue;
			json_object_foreach(e, k2, h) {
				if (!jval(h, "count"))
					continue;
				if (!strcmp(key, "all"))
					snprintf(title, sizeof(title), "all faults");
				else
					snprintf(title, sizeof(title), "%s faults, %s path", key, k2);
				s2_print_jhist(out, title, h);
			}
		}
	}
	v = json_object_get(o, "count");
	if (!print_unavail(out, "fault counts", v)) {
		print_counts(out, "faults", v, tier_of(o));
		if (json_object_get(o, "by_path"))
			print_counts(out, "faults by path", json_object_get(o, "by_path"), tier_of(o));
		if (json_is_array(json_object_get(o, "per_vcpu"))) {
			fprintf(out, "%-18s", "faults per vCPU");
			json_array_foreach(json_object_get(o, "per_vcpu"), idx, e)
				fprintf(out, " %lld:%lld", jval(e, "vcpu"), jval(e, "faults.value"));
			fprintf(out, " (faults)\n");
		}
		if (jval(o, "not_timed.value"))
			fprintf(out, "%-18s %lld (%s)\n", "faults not timed", jval(o, "not_timed.value"),
			       json_string_value(jget(o, "not_timed.reason")));
	}

	v = json_object_get(doc, "mmu_lock");
	if (!print_unavail(out, "mmu_lock wait", v)) {
		long long waits = jval(v, "read_wait.count") + jval(v, "write_wait.count");

		fprintf(out, "mmu_lock contention on the watched VMs' own lock (%lld VM%s watched over "
		       "the run, %lld still at the end):%s\n", jval(v, "vms_watched.value"),
		       jval(v, "vms_watched.value") == 1 ? "" : "s", jval(v, "watched_locks.value"),
		       waits ? "" : " no wait seen");
		s2_print_jhist(out, "read waits", json_object_get(v, "read_wait"));
		s2_print_jhist(out, "write waits", json_object_get(v, "write_wait"));
	}

	v = json_object_get(doc, "tlbi");
	if (!print_unavail(out, "tlbi", v)) {
		fprintf(out, "%-18s", "tlbi");
		json_object_foreach(v, key, e) {
			if (!json_object_get(e, "count"))
				continue;
			fprintf(out, " %s %lld", key, jval(e, "count.value"));
			if (json_object_get(e, "mmu_lock_write"))
				fprintf(out, " (%lld under write lock)", jval(e, "mmu_lock_write.value"));
		}
		fprintf(out, " (tlbi, %s)\n", tier_of(v));
	}
	v = json_object_get(doc, "cmo");
	if (!print_unavail(out, "cmo", v)) {
		fprintf(out, "%-18s", "cmo");
		json_object_foreach(v, key, e)
			if (json_object_get(e, "count"))
				fprintf(out, " %s %lld (%lld bytes)", key, jval(e, "count.value"),
				       jval(e, "bytes.value"));
		fprintf(out, " (%s)\n", tier_of(v));
	}

	o = json_object_get(doc, "dirty");
	v = json_object_get(o, "ioctls");
	if (!print_unavail(out, "dirty-log ioctls", v)) {
		json_object_foreach(v, key, e) {
			if (!json_object_get(e, "calls"))
				continue;
			fprintf(out, "%-18s %lld calls, %.3f ms total\n", key, jval(e, "calls.value"),
			       jval(e, "total_time.value") / 1e6);
			s2_print_jhist(out, "call time", json_object_get(e, "time"));
		}
	}
	v = json_object_get(o, "wp_faults");
	if (!print_unavail(out, "wp faults", v))
		fprintf(out, "%-18s %lld faults (%s)\n", "wp faults", jval(v, "value"), tier_of(v));
	v = json_object_get(o, "fast_path_hits");
	if (!print_unavail(out, "fast-path hits", v))
		fprintf(out, "%-18s %lld faults (%s)\n", "fast-path hits", jval(v, "value"), tier_of(v));
	v = json_object_get(o, "ring_pushes");
	if (!print_unavail(out, "dirty-ring pushes", v))
		fprintf(out, "%-18s %lld pages\n", "dirty-ring pushes", jval(v, "value"));
	if (json_object_get(o, "passes_not_listed"))
		fprintf(out, "%-18s the first %d of %zu passes (the totals above include all)\n",
		       "per-pass figures", MAX_PASSES, json_array_size(json_object_get(o, "passes")) +
		       (size_t)jval(o, "passes_not_listed.value"));

	v = json_object_get(doc, "exits");
	if (!print_unavail(out, "userspace exits", json_object_get(v, "userspace"))) {
		fprintf(out, "%-18s %lld exits: EINTR %lld, errors %lld", "userspace exits",
		       jval(v, "userspace.value"), jval(v, "restarts.value"), jval(v, "errors.value"));
		if (json_object_get(jget(v, "kvm_run_returns"), "value"))
			fprintf(out, " (KVM_RUN returned %lld times)", jval(v, "kvm_run_returns.value"));
		json_object_foreach(json_object_get(v, "by_reason"), key, e)
			fprintf(out, " %s %lld", key, jval(e, "value"));
		fprintf(out, "\n");
	}
	print_unavail(out, "in-kernel events", jget(doc, "canary.in_kernel_events"));

	v = json_object_get(doc, "overhead");
	if (!print_unavail(out, "overhead", json_object_get(v, "programs"))) {
		fprintf(out, "overhead: %lld events, %.0f events/s, %.0f ns/event, %.4f CPUs\n",
		       jval(v, "events.value"), json_real_value(jget(v, "event_rate.value")),
		       json_real_value(jget(v, "per_event.value")),
		       json_real_value(jget(v, "cpu_share.value")));
		json_array_foreach(json_object_get(v, "programs"), idx, e) {
			if (!jval(e, "run_cnt.value"))
				continue;
			fprintf(out, "  %-22s %10lld events %8.0f ns/event\n",
			       json_string_value(json_object_get(e, "program")),
			       jval(e, "run_cnt.value"), json_real_value(jget(e, "per_event.value")));
		}
	}
	if (json_is_real(jget(v, "own_cpu.value")))
		fprintf(out, "own CPU while watching: %.1f ms (%.4f CPUs)\n",
			json_real_value(jget(v, "own_cpu.value")) / 1e6,
			json_real_value(jget(v, "own_cpu_share.value")));
	if (jval(v, "dropped_fault_starts.value") || jval(v, "dropped_starts.value") ||
	    jval(v, "dropped_vms.value"))
		fprintf(out, "dropped: %lld fault start times (no storage; those faults are not timed), "
		       "%lld lock-wait and ioctl starts, %lld VMs (maps full)\n",
		       jval(v, "dropped_fault_starts.value"), jval(v, "dropped_starts.value"),
		       jval(v, "dropped_vms.value"));
	fflush(out);
}

