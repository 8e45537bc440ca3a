// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' document: the JSON (schema s2perf.workload/1: the head,
 * the phases, the exits, the VM's binary stats and what the workload
 * recorded), the statistics of a series, and the summary for people.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kvm_util.h"

#include "s2compat.h"
#include "s2wl.h"

static uint64_t s2wl_t0_ns(const struct s2wl *wl)
{
	return (uint64_t)wl->t0.tv_sec * 1000000000ull + wl->t0.tv_nsec;
}

void s2wl_series_stats(const uint64_t *v, size_t n, double *mean, double *sd,
		       uint64_t *min, uint64_t *max)
{
	double sum = 0, sq = 0;
	size_t i;

	*min = n ? v[0] : 0;
	*max = n ? v[0] : 0;
	for (i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] < *min)
			*min = v[i];
		if (v[i] > *max)
			*max = v[i];
	}
	*mean = n ? sum / n : 0;
	for (i = 0; i < n; i++)
		sq += (v[i] - *mean) * (v[i] - *mean);
	/* Sample standard deviation: these are a few repetitions, not a population. */
	*sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

/* Up to this many values are kept; beyond, only the statistics. */
#define S2WL_SERIES_MAX_VALUES 4096

json_t *s2wl_j_series(const uint64_t *v, size_t n, const char *unit)
{
	uint64_t min, max;
	double mean, sd;
	json_t *o, *vals;
	size_t i;

	s2wl_series_stats(v, n, &mean, &sd, &min, &max);
	o = json_pack("{s:s, s:I, s:f, s:f, s:I, s:I}", "unit", unit,
		      "n", (json_int_t)n, "mean", mean, "stddev", sd,
		      "min", (json_int_t)min, "max", (json_int_t)max);
	if (n <= S2WL_SERIES_MAX_VALUES) {
		vals = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(vals, json_integer(v[i]));
		json_object_set_new(o, "values", vals);
	}
	return o;
}

uint64_t s2wl_phase(struct s2wl *wl, const char *name, uint64_t start)
{
	uint64_t end = s2wl_now_ns();

	json_array_append_new(wl->phases,
		json_pack("{s:s, s:o, s:o}", "name", name,
			  "start", s2_jint(start - s2wl_t0_ns(wl), "ns"),
			  "duration", s2_jint(end - start, "ns")));
	return end - start;
}

FILE *s2wl_out(const struct s2wl *wl)
{
	return wl->p.output ? stdout : stderr;
}

void s2wl_print_series(const struct s2wl *wl, const char *label, const uint64_t *v,
		       size_t n, double scale, const char *unit, const char *note)
{
	uint64_t min, max;
	double mean, sd;
	int prec = scale == 1 ? 0 : 1;

	s2wl_series_stats(v, n, &mean, &sd, &min, &max);
	fprintf(s2wl_out(wl), "  %-16s %10.*f %-7s mean, min %.*f, max %.*f, sd %.*f (n=%zu%s%s)\n",
		label, prec, mean / scale, unit, prec, min / scale, prec, max / scale,
		prec, sd / scale, n, note ? ", " : "", note ? note : "");
}

void s2wl_progress(const struct s2wl *wl, const char *fmt, ...)
{
	va_list ap;

	if (wl->p.quiet)
		return;
	fprintf(stderr, "%s: ", wl->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * A log2 histogram as the other documents give one: {unit, count, sum,
 * buckets: [{le, count}]}. KVM's bucket i holds the values v with
 * fls64(v) == i, that is [2^(i-1), 2^i - 1] (bucket 0: v = 0), the last
 * one everything above. sum is the matching "<name>_time_ns" stat
 * (s2_fault_hist: s2_fault_time_ns); without one it is absent.
 */
static void s2wl_kstats_hists(json_t *scope)
{
	const char *name;
	json_t *o, *c, *b, *t;
	char tname[96];
	json_int_t n = 0, v;
	size_t i, len;

	json_object_foreach(scope, name, o) {
		c = json_object_get(o, "counts");
		if (!c || json_object_get(o, "count"))
			continue;
		b = json_array();
		n = 0;
		for (i = 0; i < json_array_size(c); i++) {
			v = json_integer_value(json_array_get(c, i));
			n += v;
			json_array_append_new(b, i + 1 == json_array_size(c) ?
				json_pack("{s:s, s:I}", "le", "+Inf", "count", v) :
				json_pack("{s:I, s:I}", "le", (json_int_t)((1ull << i) - 1), "count", v));
		}
		json_object_set_new(o, "count", json_integer(n));
		len = strlen(name);
		if (len > 5 && !strcmp(name + len - 5, "_hist")) {
			snprintf(tname, sizeof(tname), "%.*s_time_ns", (int)(len - 5), name);
			t = json_object_get(scope, tname);
			if (t && json_object_get(t, "value"))
				json_object_set(o, "sum", json_object_get(t, "value"));
		}
		json_object_set_new(o, "buckets", b);
		json_object_del(o, "counts");
	}
}

static json_t *s2wl_j_kstats(struct s2wl *wl)
{
	if (wl->kstats_why)
		return s2_junavail(wl->kstats_why);
	if (!wl->kstats)
		return s2_junavail("no VM was created");
	if (!wl->kstats_found)
		return s2_junavail("the kernel has no stage-2 binary stats (no s2_* in KVM_GET_STATS_FD)");
	s2wl_kstats_hists(json_object_get(wl->kstats, "vcpu"));
	s2wl_kstats_hists(json_object_get(wl->kstats, "vm"));
	/*
	 * With the kernel's fault clock off (its default) the time and the
	 * histogram stay 0: say so, never a time of 0 ns.
	 */
	if (s2_fault_timing() == 0) {
		static const char *const timed[] = { "s2_fault_time_ns", "s2_fault_hist" };
		json_t *v = json_object_get(wl->kstats, "vcpu");

		for (size_t i = 0; i < sizeof(timed) / sizeof(timed[0]); i++)
			if (json_object_get(v, timed[i]))
				json_object_set_new(v, timed[i], s2_junavail(
					"the kernel did not time faults (kvm.stage2_fault_timing=N, "
					"its default): set it to Y for fault times"));
	}
	/*
	 * hwdbm's harvest stats (0008) on a kernel before it: unavailable,
	 * never 0 harvests.
	 */
	{
		static const char *const dbm[] = {
			"s2_dbm_harvests", "s2_dbm_scanned", "s2_dbm_dirty", "s2_dbm_harvest_ns"
		};
		json_t *vm = json_object_get(wl->kstats, "vm");

		json_t *h = json_object_get(json_object_get(vm, "s2_dbm_harvests"), "value");

		for (size_t i = 0; i < sizeof(dbm) / sizeof(dbm[0]); i++)
			if (!json_object_get(vm, dbm[i]))
				json_object_set_new(vm, dbm[i], s2_junavail(
					"this kernel has no hwdbm strategy (no s2_dbm_* stats)"));
		/*
		 * No harvest read the leaves (not hwdbm, or its VM logged with
		 * faults: hd=0): the counts are a true 0, a time is not.
		 */
		if (json_is_integer(h) && json_integer_value(h) == 0)
			json_object_set_new(vm, "s2_dbm_harvest_ns", s2_junavail(
				"no harvest read the VM's stage-2 leaves (dirty logging by "
				"the hardware not in force: not hwdbm, or its VM had hd=0)"));
	}
	json_object_set_new(wl->kstats, "source", json_string("KVM_GET_STATS_FD"));
	return json_incref(wl->kstats);
}

/* The head of the document goes first, then what the workload recorded. */
static json_t *s2wl_doc_head(struct s2wl *wl, int status, const char *why)
{
	const struct s2wl_params *p = &wl->p;
	json_t *o, *doc = json_object();
	struct utsname u;

	uname(&u);
	if (!wl->pages_per_vcpu)
		wl->pages_per_vcpu = p->bytes_per_vcpu / vm_guest_mode_params[VM_MODE_DEFAULT].page_size;
	json_object_set_new(doc, "schema", json_string(S2WL_SCHEMA));
	json_object_set_new(doc, "workload", json_string(wl->name + 3));
	json_object_set_new(doc, "status",
		json_string(status == S2WL_EXIT_OK ? "ok" :
			    status == S2WL_EXIT_SKIP ? "skipped" : "failed"));
	json_object_set_new(doc, "reason", why ? json_string(why) : json_null());
	json_object_set_new(doc, "clock", json_string(s2_clock()));
	json_object_set_new(doc, "system",
		json_pack("{s:s, s:s, s:s, s:i, s:i}", "arch", u.machine,
			  "kernel", u.release, "hostname", u.nodename,
			  "pid", (int)getpid(), "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN)));
	if (s2compat_region1())
		json_object_set_new(json_object_get(doc, "system"), "kvm_compat",
				    json_string(S2COMPAT_REGION1_WHY));
	o = json_pack("{s:i, s:o, s:o, s:s, s:i, s:s, s:I, s:i}",
		      "vcpus", p->vcpus,
		      "bytes_per_vcpu", s2_jint(p->bytes_per_vcpu, "bytes"),
		      "pages_per_vcpu", s2_jint(wl->pages_per_vcpu, "pages"),
		      "backing", s2wl_backing_name(p->backing),
		      "iterations", p->iterations,
		      "access", p->access == S2WL_RANDOM ? "random" : "sequential",
		      "seed", (json_int_t)p->seed, "write_percent", p->write_pct);
	if (wl->page_size)
		json_object_set_new(o, "guest_page_size", s2_jint(wl->page_size, "bytes"));
	if (wl->host_page_size)
		json_object_set_new(o, "backing_page_size", s2_jint(wl->host_page_size, "bytes"));
	json_object_set_new(o, "pin", p->pin ? json_string(p->pin) : json_null());
	json_object_set_new(o, "guest_mode", json_string(vm_guest_mode_string(VM_MODE_DEFAULT)));
	if (wl->params)
		json_object_update(o, wl->params);
	json_object_set_new(doc, "params", o);
	if (!json_object_get(wl->doc, "strategy"))
		json_object_set_new(doc, "strategy",
			json_pack("{s:o, s:o}", "requested",
				  p->strategy ? json_string(p->strategy) : json_null(),
				  "in_force", s2_junavail("no VM was created")));
	json_object_update(doc, wl->doc);
	json_decref(wl->doc);
	wl->doc = doc;
	return doc;
}

int s2wl_finish(struct s2wl *wl, int status, const char *why)
{
	FILE *f = stdout;
	uint64_t vfull = wl->old_ring_full_exits, calls, eintr;
	int i;

	for (i = 0; wl->vcpus && i < wl->p.vcpus; i++)
		vfull += wl->vcpus[i].ring_full_exits;
	s2wl_kvm_runs(&calls, &eintr);
	json_object_set_new(wl->doc, "exits",
		json_pack("{s:o, s:o, s:o}",
			  "kvm_run_returns", s2_jint(calls, "exits"),
			  "kvm_run_eintr", s2_jint(eintr, "exits"),
			  "dirty_ring_full", s2_jint(vfull, "exits")));
	json_object_set_new(wl->doc, "kvm_stats", s2wl_j_kstats(wl));
	s2wl_doc_head(wl, status, why);
	json_object_set_new(wl->doc, "phases", wl->phases);
	json_object_set_new(wl->doc, "wall_time", s2_jint(s2wl_now_ns() - s2wl_t0_ns(wl), "ns"));

	if (wl->p.output) {
		f = fopen(wl->p.output, "w");
		if (!f) {
			fprintf(stderr, "%s: cannot write %s: %s\n", wl->name,
				wl->p.output, strerror(errno));
			return S2WL_EXIT_FAIL;
		}
	}
	if (json_dumpf(wl->doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF ||
	    (wl->p.output && fclose(f))) {
		fprintf(stderr, "%s: cannot write the JSON document: %s\n", wl->name, strerror(errno));
		return S2WL_EXIT_FAIL;
	}
	if (why)
		fprintf(s2wl_out(wl), "%s: %s: %s\n", wl->name,
			status == S2WL_EXIT_SKIP ? "skipped" : "FAILED", why);
	return status;
}

void s2wl_skip(struct s2wl *wl, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	exit(s2wl_finish(wl, S2WL_EXIT_SKIP, why));
}
