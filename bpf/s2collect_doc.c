// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect's JSON document (schema s2perf.collector/1), built from the
 * run's state: the BPF side's .bss and maps, the binary stats of the
 * watched VMs, the probe table. Each figure says which tier produced it;
 * what is unknown is unavailable with its reason, never zero.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "s2collect_doc.h"
#include "s2json.h"
#include "s2strategy.h"

const char *const tier_names[] = { "default", "default", "detail" };
static const char *const fault_kind_names[] = { "translation", "permission", "access", "mmio" };
static const char *const fault_path_names[] = { "slow", "fast", "retry", "hyp" };
static const char no_hyp[] = "this kernel has no hypfast strategy (no s2_fault_hyp stat: "
			      "kernel-patches/0007 is not applied)";
static const char *const tlbi_kind_names[] = { "vmid", "ipa", "ipa_local", "range" };
static const char *const cmo_kind_names[] = { "dcache", "icache" };
static const char *const lock_mode_names[] = { "read", "write" };
static const char *const dirty_ioctl_names[] = { "get_dirty_log", "clear_dirty_log", "reset_dirty_rings" };
static const char *const strategy_names[] = { S2_STRATEGY_NAMES };
static const char *const source_names[] = { "?", "kvm_s2_vm_init", "kvm_s2_fault_exit", "ioctl", "debugfs" };

#define R(x) [KVM_EXIT_##x] = #x
static const char *const exit_names[] = {
	R(UNKNOWN), R(EXCEPTION), R(IO), R(HYPERCALL), R(DEBUG), R(HLT), R(MMIO),
	R(IRQ_WINDOW_OPEN), R(SHUTDOWN), R(FAIL_ENTRY), R(INTR), R(SET_TPR),
	R(TPR_ACCESS), R(S390_SIEIC), R(S390_RESET), R(DCR), R(NMI),
	R(INTERNAL_ERROR), R(OSI), R(PAPR_HCALL), R(S390_UCONTROL), R(WATCHDOG),
	R(S390_TSCH), R(EPR), R(SYSTEM_EVENT), R(S390_STSI), R(IOAPIC_EOI),
	R(HYPERV), R(ARM_NISV), R(X86_RDMSR), R(X86_WRMSR), R(DIRTY_RING_FULL),
	R(AP_RESET_HOLD), R(X86_BUS_LOCK), R(XEN), R(RISCV_SBI), R(RISCV_CSR),
	R(NOTIFY),
};
#undef R

/* Why the stats cannot give the run's figures, or NULL. */
const char *kstats_unavailable(const struct state *s, const struct kfig *f,
				      char *buf, size_t len)
{
	__u64 created = s->bss->counts[C_VM_INIT];

	if (!s->kstats)
		return s->kstats_why;
	if (!f->sum.nvms && !f->sum.nvcpus) {
		if (f->taken)
			snprintf(buf, len, "the kvm_stats iterator wrote no record for the %d VM "
				 "and vCPU fds taken from the process", f->taken);
		else if (f->error[0])
			snprintf(buf, len, "could not take the process's VM stats: %s", f->error);
		else
			snprintf(buf, len, "no VM of the process was seen in /proc/PID/fd (it made "
				 "none, or each came and went between two looks and was not seen ending)%s",
				 created ? ", although kvm_s2_vm_init fired for it" : "");
		return buf;
	}
	if (s->bss->lost_vcpus_beyond) {
		snprintf(buf, len, "%llu VMs ended before the collector took them, with vCPUs "
			 "beyond the first %d, whose stats it cannot read then",
			 (unsigned long long)s->bss->lost_vcpus_beyond, 64);
		return buf;
	}
	/*
	 * With a command every VM is new and kvm_s2_vm_init counts them all;
	 * those it closed before we took them were read at their end.
	 */
	if (env.cmd && probes[P_VM_INIT].attached && created > (__u64)f->sum.nvms) {
		snprintf(buf, len, "the process created %llu VMs and only %d were read (the "
			 "others came and went between two looks at its fds and were not "
			 "seen ending)",
			 (unsigned long long)created, f->sum.nvms);
		return buf;
	}
	if (f->missed) {
		snprintf(buf, len, "%d VMs or vCPUs beyond the %d VMs and %d vCPUs per process "
			 "that are read", f->missed, S2W_MAX_VMS, S2W_MAX_VCPUS);
		return buf;
	}
	return NULL;
}

static __u64 hist_total(const struct hist *h) { return h->count; }

static void prog_stat(const struct probe *p, struct prog_stat *st)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	memset(st, 0, sizeof(*st));
	if (!p->attached || bpf_obj_get_info_by_fd(bpf_program__fd(p->prog), &info, &len))
		return;
	st->run_cnt = info.run_cnt;
	st->run_time_ns = info.run_time_ns;
	st->recursion_misses = info.recursion_misses;
}

/*
 * The canary: with kvm:kvm_exit attached, zero exits while the guest
 * returned to user space means this host's KVM does not emit its in-kernel
 * events (seen under nested virtualization), so their silence is no zero.
 */
static const char *silent_reason(const struct state *s, char *buf, size_t len)
{
	__u64 uexits = s->bss->counts[C_UEXIT];

	if (!uexits)
		uexits = s->bss->counts[C_RUN_RETURNS];
	if (!attached(P_KVM_EXIT) || s->bss->counts[C_KVM_EXIT] || !uexits)
		return NULL;
	snprintf(buf, len, "kvm:kvm_exit fired 0 times while the guest made %llu "
		 "userspace exits: this host does not emit KVM's in-kernel exit "
		 "events (nested virtualization)", (unsigned long long)uexits);
	return buf;
}

static const char *missing_reason(int id, char *buf, size_t len)
{
	snprintf(buf, len, "no tracepoint %s:%s on this kernel%s", probes[id].sys,
		 probes[id].event, tracefs ? "" : " (tracefs not mounted)");
	return buf;
}

/* ---- JSON ---- */

/* A figure with its unit, or unavailable with a reason: common/s2json.c's. */
#define jscalar s2_jreal
#define jcount s2_jint
#define junavail s2_junavail

/* A log2 histogram of the BPF side (struct hist) */
static json_t *jhist(const struct hist *h, const char *unit)
{
	return s2_jhist_log2(h->slots, MAX_SLOTS, h->count, h->sum, unit);
}

static const char *exit_name(int r, char *buf, size_t len)
{
	if (r < (int)(sizeof(exit_names) / sizeof(exit_names[0])) && exit_names[r])
		snprintf(buf, len, "KVM_EXIT_%s", exit_names[r]);
	else if (r == MAX_EXIT_REASONS - 1)
		snprintf(buf, len, "reason>=%d", r);
	else
		snprintf(buf, len, "reason_%d", r);
	return buf;
}

/* The tier that produced a figure, in its object. */
static json_t *jtier(json_t *o, const char *tier, const char *source)
{
	if (json_is_object(o)) {
		json_object_set_new(o, "tier", json_string(tier));
		if (source)
			json_object_set_new(o, "source", json_string(source));
	}
	return o;
}

static const char *fault_events_source(const struct state *s)
{
	if (s->one_event)
		return "kvm_s2:kvm_s2_fault_exit (tp_btf, one event per fault; time: the "
		       "vCPU's s2_fault_time_ns stat, the kernel's own clock reads)";
	return "kvm_s2:kvm_s2_fault_enter/exit (two events per fault; time: between them)";
}

/* Faults from the kernel's binary stats (the default tier). */
static json_t *json_faults_stats(const struct state *s, const struct kfig *f)
{
	const __u64 *v = f->sum.vcpu;
	json_t *o = json_object(), *cnt, *lat, *pv;
	__u64 faults = v[VS_TRANSLATION] + v[VS_PERMISSION] + v[VS_ACCESS], timed = 0;
	char why[256];
	int k;

	jtier(o, "stats", "KVM binary stats (per-vCPU s2_fault_*)");
	if (env.vmfd >= 0 && f->most_vms > 1) {
		snprintf(why, sizeof(why), "-f: the process has %d VMs, and a vCPU fd does not "
			 "tell which VM it belongs to (use --faults)", f->most_vms);
		json_object_set_new(o, "latency", junavail(why));
		json_object_set_new(o, "count", junavail(why));
		json_object_set_new(o, "per_vcpu", junavail(why));
		return o;
	}
	for (k = 0; k < S2_STATS_HIST; k++)
		timed += f->sum.hist[k];
	if (!timed && faults) {
		snprintf(why, sizeof(why), "the kernel did not time faults (kvm.stage2_fault_timing=%s)",
			 s->timing == 0 ? "N" : "N at some time in the run");
		lat = junavail(why);
	} else {
		lat = json_object();
		json_object_set_new(lat, "all", json_pack("{s:o}", "all",
			s2_jhist_log2(f->sum.hist, S2_STATS_HIST, timed, v[VS_TIME_NS], "ns")));
		json_object_set_new(lat, "note", json_string("the kernel's s2_fault_hist: every "
				    "kind and path together, log2 buckets (quantiles up to 2x high); "
				    "by kind and path, log-linear: --faults"));
	}
	json_object_set_new(o, "latency", lat);
	json_object_set_new(o, "time", jcount(v[VS_TIME_NS], "ns"));
	json_object_set_new(o, "not_timed", json_pack("{s:I,s:s,s:s}", "value",
		(json_int_t)(faults - timed), "unit", "faults", "reason",
		"counted while the kernel's fault timing was off"));

	cnt = json_object();
	for (k = 0; k < FK_MMIO; k++)
		json_object_set_new(cnt, fault_kind_names[k], jcount(v[VS_TRANSLATION + k], "faults"));
	json_object_set_new(o, "count", cnt);
	json_object_set_new(o, "count_note", json_string("the fault status code's kinds, MMIO "
			    "faults included (by_path.mmio counts them)"));
	json_object_set_new(o, "total", jcount(faults, "faults"));
	json_object_set_new(o, "by_path", json_pack("{s:o,s:o,s:o,s:o,s:o}",
		"slow", jcount(v[VS_SLOW], "faults"), "fast", jcount(v[VS_FAST], "faults"),
		"retry", jcount(v[VS_RETRY], "faults"), "mmio", jcount(v[VS_MMIO], "faults"),
		"hyp", s->kstats_hyp ? jcount(v[VS_HYP], "faults") : junavail(no_hyp)));
	pv = json_array();
	for (k = 0; k < MAX_VCPUS; k++)
		if (f->vcpu_faults[k])
			json_array_append_new(pv, json_pack("{s:i,s:o}", "vcpu", k, "faults",
						 jcount(f->vcpu_faults[k], "faults")));
	json_object_set_new(o, "per_vcpu", pv);
	return o;
}

/* The raw stage-2 stats, in every tier where they are read. */
static json_t *json_kvm_stats(const struct state *s, const struct kfig *f)
{
	char why[512];
	const char *un = kstats_unavailable(s, f, why, sizeof(why));
	json_t *o, *vc, *vm;
	__u64 timed = 0;
	int k;

	if (un)
		return junavail(un);
	vc = json_object();
	for (k = 0; k < NR_VCPU_STATS; k++)
		json_object_set_new(vc, s2_vcpu_stat_names[k], k == VS_HYP && !s->kstats_hyp ?
				    junavail(no_hyp) : jcount(f->sum.vcpu[k],
				    k == VS_TIME_NS ? "ns" : "faults"));
	for (k = 0; k < S2_STATS_HIST; k++)
		timed += f->sum.hist[k];
	json_object_set_new(vc, "s2_fault_hist", s2_jhist_log2(f->sum.hist, S2_STATS_HIST, timed,
			    f->sum.vcpu[VS_TIME_NS], "ns"));
	vm = json_object();
	for (k = 0; k < NR_VM_STATS; k++)
		json_object_set_new(vm, s2_vm_stat_names[k], jcount(f->sum.vm[k],
				    strstr(s2_vm_stat_names[k], "bytes") ? "bytes" :
				    k < MS_CMO_DCACHE ? "tlbi" : "operations"));
	o = json_pack("{s:s,s:o,s:o,s:o,s:o}", "tier", "stats",
		      "vms", jcount(f->sum.nvms, "vms"), "vcpus", jcount(f->sum.nvcpus, "vcpus"),
		      "vcpu", vc, "vm", vm);
	json_object_set_new(o, "vms_read_at_their_end", jcount(s->bss->lost_vms, "vms"));
	json_object_set_new(o, "vms_read_at_their_end_note", json_string("VMs the process "
			    "closed before the collector took their fds, "
			    "read by the BPF side as they were destroyed: in the sums, not in "
			    "per_vcpu"));
	json_object_set_new(o, "note", json_string(env.pid && !env.cmd ?
		"sums over the process's VMs and vCPUs since the collector first saw them" :
		"sums over the process's VMs and vCPUs since their creation"));
	return o;
}

static json_t *json_faults(const struct state *s, const char *silent)
{
	const struct s2collect_bpf__bss *b = s->bss;
	json_t *o = json_object(), *lat, *cnt, *pv;
	char why[256];
	__u64 all = 0;
	int k, p, v;

	if (silent) {
		json_object_set_new(o, "latency", junavail(silent));
		json_object_set_new(o, "count", junavail(silent));
		json_object_set_new(o, "per_vcpu", junavail(silent));
		return jtier(o, "events", NULL);
	}
	if (s->fault_events && s->have_s2) {
		lat = json_object();
		for (k = 0; k < NR_FAULT_KINDS; k++) {
			json_t *byp = json_object();

			for (p = 0; p < NR_FAULT_PATHS; p++) {
				const struct llhist *h = &b->fault_lat[k][p];

				json_object_set_new(byp, fault_path_names[p],
					s2_jhist_loglinear(h->slots, LL_SLOTS, LL_SUB_BITS,
							   h->count, h->sum, "ns"));
			}
			json_object_set_new(lat, fault_kind_names[k], byp);
		}
		jtier(o, "events", fault_events_source(s));
		if (!s->one_event)
			json_object_set_new(o, "timing_note", json_string(s->one_event_why));
	} else if (attached(P_PAGE_FAULT) || attached(P_GUEST_FAULT)) {
		snprintf(why, sizeof(why), "no kvm_s2 fault tracepoints on this kernel; "
			 "kvm:%s gives counts only, with no fault-exit event to time",
			 attached(P_PAGE_FAULT) ? "kvm_page_fault" : "kvm_guest_fault");
		lat = junavail(why);
		jtier(o, "events", attached(P_PAGE_FAULT) ? "kvm:kvm_page_fault" :
		      "kvm:kvm_guest_fault");
	} else {
		json_object_set_new(o, "latency", junavail(missing_reason(P_FAULT_EXIT, why, sizeof(why))));
		json_object_set_new(o, "count", junavail(why));
		json_object_set_new(o, "per_vcpu", junavail(why));
		return o;
	}
	json_object_set_new(o, "latency", lat);
	if (s->have_s2)
		json_object_set_new(o, "not_timed", json_pack("{s:I,s:s,s:s}", "value",
			(json_int_t)b->counts[C_UNPAIRED], "unit", "faults", "reason",
			s->one_event ? "counted, but their vCPU's previous fault was not seen "
			"(it ran before the probes attached): not in the latency histograms" :
			"counted, but their entry was not seen (in flight when the probes "
			"attached, or no storage for the start): not in the latency histograms"));

	cnt = json_object();
	for (k = 0; k < NR_FAULT_KINDS; k++) {
		if (!s->have_s2 && k == FK_MMIO)
			json_object_set_new(cnt, fault_kind_names[k],
				junavail("the fallback fault event does not tell MMIO apart"));
		else if (!s->have_s2 && attached(P_PAGE_FAULT) && k == FK_ACCESS)
			json_object_set_new(cnt, fault_kind_names[k],
				junavail("x86 has no access-flag faults"));
		else
			json_object_set_new(cnt, fault_kind_names[k], jcount(b->fault_kinds[k], "faults"));
		all += b->fault_kinds[k];
	}
	if (!s->have_s2)
		json_object_set_new(cnt, "all", jcount(b->counts[C_FALLBACK_FAULT], "faults"));
	json_object_set_new(o, "count", cnt);
	json_object_set_new(o, "total", jcount(s->have_s2 ? all : b->counts[C_FALLBACK_FAULT],
			    "faults"));
	if (s->have_s2) {
		json_object_set_new(o, "count_note", json_string("mmio faults are a kind of their "
				    "own here (the kernel's path), not counted in translation or "
				    "permission"));
		json_object_set_new(o, "by_path", json_pack("{s:o,s:o,s:o,s:o,s:o}",
			"slow", jcount(b->fault_paths[FP_SLOW] - b->fault_kinds[FK_MMIO], "faults"),
			"fast", jcount(b->fault_paths[FP_FAST], "faults"),
			"retry", jcount(b->fault_paths[FP_RETRY], "faults"),
			"mmio", jcount(b->fault_kinds[FK_MMIO], "faults"),
			"hyp", jcount(b->fault_paths[FP_HYP], "faults")));
	}

	if (!s->have_s2 && !attached(P_PAGE_FAULT)) {
		json_object_set_new(o, "per_vcpu", junavail("kvm:kvm_guest_fault carries no vCPU id"));
	} else {
		pv = json_array();
		for (v = 0; v < MAX_VCPUS; v++)
			if (b->vcpu_faults[v])
				json_array_append_new(pv, json_pack("{s:i,s:o}", "vcpu", v, "faults",
							 jcount(b->vcpu_faults[v], "faults")));
		json_object_set_new(o, "per_vcpu", pv);
	}
	return o;
}

static int nr_watched(const struct state *s)
{
	int fd = bpf_map__fd(s->skel->maps.locks), n = 0;
	__u64 key, next, *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static const char *lock_unavailable(const struct state *s, char *buf, size_t len)
{
	if (!attached(P_LOCK_BEGIN) || !attached(P_LOCK_END))
		return missing_reason(attached(P_LOCK_BEGIN) ? P_LOCK_END : P_LOCK_BEGIN, buf, len);
	/* A VM that was watched and is gone still had its waits counted. */
	if (nr_watched(s) || s->bss->counts[C_VMS_LEARNED])
		return NULL;
	snprintf(buf, len, "this VM's mmu_lock address was never learned (%s%s%s), "
		 "and contention on other locks is not this VM's",
		 probes[P_VM_INIT].present ? "no kvm_s2_vm_init for the process" :
					     "no kvm_s2_vm_init event",
		 s->kvm_btf ? ", no KVM ioctl or fault seen from it" :
			      ", no struct kvm in the kernel's BTF to find it from its fds",
		 env.pid && !env.cmd && !s->ndebugfs ? ", no debugfs mmu_lock file" : "");
	return buf;
}

static json_t *json_vms(const struct state *s)
{
	int fd = bpf_map__fd(s->skel->maps.vms), i;
	__u64 key, next, *prev = NULL;
	struct vm_info vi;
	json_t *a = json_array();
	char buf[32];

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &vi))
			continue;
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)vi.mmu_lock);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "mmu_lock", buf,
			"strategy", vi.strategy < S2_NR_STRATEGIES ? strategy_names[vi.strategy] : "unknown",
			"learned_from", source_names[vi.source < 5 ? vi.source : 0]));
	}
	for (i = 0; i < s->ndebugfs; i++) {
		snprintf(buf, sizeof(buf), "0x%llx", s->dvms[i].lock);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "mmu_lock", buf,
			"strategy", s->dvms[i].strategy[0] ? s->dvms[i].strategy : "unknown",
			"learned_from", "debugfs"));
	}
	return a;
}

/* A per-pass count, or the run's own "unavailable" for that figure. */
static json_t *pass_figure(json_t *run, const char *key, __u64 v, const char *unit)
{
	json_t *whole = json_object_get(run, key);

	if (json_object_get(whole, "value"))
		return jcount(v, unit);
	return json_deep_copy(whole);
}

json_t *json_doc(const struct state *s, double secs)
{
	const struct s2collect_bpf__bss *b = s->bss;
	json_t *doc, *o, *t, *a;
	char why[512], buf[64];
	const char *silent = silent_reason(s, why, sizeof(why));
	char silent_copy[512];
	struct utsname u;
	struct prog_stat st;
	__u64 tot_cnt = 0, tot_ns = 0, rec = 0;
	struct kfig *kf = calloc(1, sizeof(*kf));
	char kwhy[512];
	const char *kun;
	int i, k;

	if (!kf)
		return NULL;
	kfig_now(s, kf);
	kun = kstats_unavailable(s, kf, kwhy, sizeof(kwhy));
	if (silent) {
		snprintf(silent_copy, sizeof(silent_copy), "%s", silent);
		silent = silent_copy;
	}
	uname(&u);
	doc = json_pack("{s:s,s:{s:s,s:s},s:s}", "schema", SCHEMA,
			"kernel", "release", u.release, "machine", u.machine, "arch", u.machine);
	json_object_set_new(doc, "clock", json_string(s2_clock()));

	t = json_object();
	json_object_set_new(t, "mode", json_string(env.all ? "all" : env.cmd ? "command" : "pid"));
	if (!env.all)
		json_object_set_new(t, "pid", json_integer(env.pid));
	json_object_set_new(t, "vm_fd", env.vmfd >= 0 ? json_integer(env.vmfd) : json_null());
	if (env.cmd) {
		a = json_array();
		for (i = 0; env.cmd[i]; i++)
			json_array_append_new(a, json_string(env.cmd[i]));
		json_object_set_new(t, "command", a);
		if (s->child_status >= 0 && WIFEXITED(s->child_status))
			json_object_set_new(t, "exit_status", json_integer(WEXITSTATUS(s->child_status)));
		else if (s->child_status >= 0 && WIFSIGNALED(s->child_status))
			json_object_set_new(t, "signal", json_integer(WTERMSIG(s->child_status)));
	}
	json_object_set_new(doc, "target", t);
	json_object_set_new(doc, "duration", jscalar(secs, "s"));

	/* which tier produced the figures; each section names its own too */
	t = json_pack("{s:s}", "name", tier_names[s->tier]);
	json_object_set_new(t, "faults", json_string(s->tier == TIER_STATS ?
		"stats" : s->fault_events ? "events" : "none"));
	if (s->tier == TIER_FALLBACK) {
		json_object_set_new(t, "fallback", json_string(s->kstats_why));
	}
	json_object_set_new(t, "kvm_stats", json_boolean(s->kstats));
	json_object_set_new(doc, "tier", t);

	o = json_object();
	for (i = 0; i < NR_PROBES; i++) {
		snprintf(buf, sizeof(buf), "%s:%s", probes[i].sys, probes[i].event);
		json_object_set_new(o, buf, json_pack("{s:b,s:b}", "present", probes[i].present,
						      "attached", probes[i].attached));
	}
	json_object_set_new(doc, "events", o);
	json_object_set_new(doc, "vms", json_vms(s));

	o = json_object();
	json_object_set_new(o, "kvm_exit", attached(P_KVM_EXIT) ?
			    jcount(b->counts[C_KVM_EXIT], "events") :
			    junavail(missing_reason(P_KVM_EXIT, why, sizeof(why))));
	if (s->canary_off > 0) {
		snprintf(why, sizeof(why), "detached %.2f s into the run, once it had fired: "
			 "a count of the first exits only, which is all the canary is for", s->canary_off);
		json_object_set_new(json_object_get(o, "kvm_exit"), "note", json_string(why));
	}
	json_object_set_new(o, "in_kernel_events", silent ? junavail(silent) :
			    json_pack("{s:b}", "available", 1));
	json_object_set_new(doc, "canary", o);

	json_object_set_new(doc, "kvm_stats", json_kvm_stats(s, kf));
	if (s->tier == TIER_STATS)
		json_object_set_new(doc, "faults", kun ? jtier(json_pack("{s:o,s:o,s:o}",
			"latency", junavail(kun), "count", junavail(kun), "per_vcpu", junavail(kun)),
			"stats", NULL) : json_faults_stats(s, kf));
	else
		json_object_set_new(doc, "faults", json_faults(s, silent));

	if (lock_unavailable(s, why, sizeof(why))) {
		json_object_set_new(doc, "mmu_lock", junavail(why));
	} else {
		o = json_object();
		for (i = 0; i < NR_LOCK_MODES; i++) {
			snprintf(buf, sizeof(buf), "%s_wait", lock_mode_names[i]);
			json_object_set_new(o, buf, jhist(&b->lock_wait[i], "ns"));
		}
		json_object_set_new(o, "watched_locks", jcount(nr_watched(s), "locks"));
		json_object_set_new(o, "vms_learned", jcount(b->counts[C_VMS_LEARNED], "vms"));
		/* the locks of VMs gone by the end were watched too */
		json_object_set_new(o, "vms_watched", jcount(b->counts[C_LOCKS_SEEN] + s->ndebugfs,
				    "vms"));
		json_object_set_new(o, "vms_watched_note", json_string("VMs whose mmu_lock was "
				    "watched at some time in the run; watched_locks: still at the end"));
		jtier(o, "events", "lock:contention_begin/end on the watched VMs' mmu_lock");
		json_object_set_new(doc, "mmu_lock", o);
	}

	if (!attached(P_TLBI) && s->kstats) {
		if (kun) {
			json_object_set_new(doc, "tlbi", jtier(junavail(kun), "stats", NULL));
		} else {
			o = json_object();
			for (k = 0; k < NR_TLBI_KINDS; k++)
				json_object_set_new(o, tlbi_kind_names[k], json_pack("{s:o}",
					"count", jcount(kf->sum.vm[MS_TLBI_VMID + k], "tlbi")));
			json_object_set_new(o, "note", json_string("whether under mmu_lock, and "
					    "bytes: --faults --tlbi (one event per TLBI)"));
			jtier(o, "stats", "KVM binary stats (per-VM s2_tlbi_*)");
			json_object_set_new(doc, "tlbi", o);
		}
	} else if (!attached(P_TLBI)) {
		json_object_set_new(doc, "tlbi", junavail(missing_reason(P_TLBI, why, sizeof(why))));
	} else if (silent) {
		json_object_set_new(doc, "tlbi", junavail(silent));
	} else if (!env.all && !b->counts[C_VMS_LEARNED]) {
		/* TLBIs are counted for the process's VMs that were learned. */
		json_object_set_new(doc, "tlbi", junavail("no VM of the process was learned "
				    "(no vm_init, fault or KVM ioctl seen from it), so no TLBI "
				    "could be attributed to it"));
	} else {
		o = json_object();
		for (k = 0; k < NR_TLBI_KINDS; k++)
			json_object_set_new(o, tlbi_kind_names[k], json_pack("{s:o,s:o,s:o,s:o}",
				"count", jcount(b->tlbi_count[k], "tlbi"),
				"mmu_lock_write", jcount(b->tlbi_locked[k], "tlbi"),
				"mmu_lock_unknown", jcount(b->tlbi_lock_unknown[k], "tlbi"),
				"bytes", jcount(b->tlbi_bytes[k], "bytes")));
		json_object_set_new(o, "time", junavail("the tlbi event marks the "
				    "instruction, not its completion: no time is measured"));
		jtier(o, "events", "kvm_s2:kvm_s2_tlbi");
		json_object_set_new(doc, "tlbi", o);
	}

	if (!attached(P_CMO) && s->kstats) {
		if (kun) {
			json_object_set_new(doc, "cmo", jtier(junavail(kun), "stats", NULL));
		} else {
			o = json_object();
			for (k = 0; k < NR_CMO_KINDS; k++)
				json_object_set_new(o, cmo_kind_names[k], json_pack("{s:o,s:o}",
					"count", jcount(kf->sum.vm[MS_CMO_DCACHE + 2 * k], "operations"),
					"bytes", jcount(kf->sum.vm[MS_CMO_DCACHE_BYTES + 2 * k], "bytes")));
			json_object_set_new(o, "attribution", json_string("the VM's own (its stats)"));
			jtier(o, "stats", "KVM binary stats (per-VM s2_cmo_*)");
			json_object_set_new(doc, "cmo", o);
		}
	} else if (!attached(P_CMO)) {
		json_object_set_new(doc, "cmo", junavail(missing_reason(P_CMO, why, sizeof(why))));
	} else if (silent) {
		json_object_set_new(doc, "cmo", junavail(silent));
	} else {
		o = json_object();
		for (k = 0; k < NR_CMO_KINDS; k++)
			json_object_set_new(o, cmo_kind_names[k], json_pack("{s:o,s:o}",
				"count", jcount(b->cmo_count[k], "operations"),
				"bytes", jcount(b->cmo_bytes[k], "bytes")));
		json_object_set_new(o, "attribution", json_string("the target's threads only "
				    "(the event names no VM)"));
		jtier(o, "events", "kvm_s2:kvm_s2_cmo");
		json_object_set_new(doc, "cmo", o);
	}

	/* dirty logging */
	o = json_object();
	if (!attached(P_IOCTL_ENTER) || !attached(P_IOCTL_EXIT)) {
		json_object_set_new(o, "ioctls", junavail(missing_reason(P_IOCTL_EXIT, why, sizeof(why))));
	} else {
		t = json_object();
		for (k = 0; k < NR_DIRTY_IOCTLS; k++)
			json_object_set_new(t, dirty_ioctl_names[k], json_pack("{s:o,s:o,s:o}",
				"calls", jcount(hist_total(&b->dirty_ioctl[k]), "calls"),
				"total_time", jcount(b->dirty_ioctl[k].sum, "ns"),
				"time", jhist(&b->dirty_ioctl[k], "ns")));
		jtier(t, "events", "syscalls:sys_enter/exit_ioctl");
		json_object_set_new(o, "ioctls", t);
	}
	if (s->tier == TIER_STATS) {
		if (kun) {
			json_object_set_new(o, "wp_faults", junavail(kun));
			json_object_set_new(o, "fast_path_hits", junavail(kun));
		} else {
			json_object_set_new(o, "wp_faults", jtier(jcount(kf->sum.vcpu[VS_WP], "faults"),
					    "stats", "s2_fault_wp"));
			json_object_set_new(o, "fast_path_hits", jtier(jcount(kf->sum.vcpu[VS_FAST],
					    "faults"), "stats", "s2_fault_fast"));
		}
	} else if (silent) {
		json_object_set_new(o, "wp_faults", junavail(silent));
		json_object_set_new(o, "fast_path_hits", junavail(silent));
	} else if (s->have_s2 || attached(P_PAGE_FAULT) || attached(P_GUEST_FAULT)) {
		json_object_set_new(o, "wp_faults", jtier(jcount(b->fault_kinds[FK_PERMISSION],
				    "faults"), "events", NULL));
		if (s->have_s2) {
			json_object_set_new(o, "fast_path_hits", jtier(jcount(b->fault_paths[FP_FAST],
					    "faults"), "events", NULL));
		} else if (attached(P_FAST_PF) && s->fpf_fixed >= 0 && s->fpf_fixed < MAX_FPF_RET) {
			json_object_set_new(o, "fast_path_hits", jtier(jcount(b->fpf_ret[s->fpf_fixed],
					    "faults"), "events", "kvmmmu:fast_page_fault"));
		} else {
			json_object_set_new(o, "fast_path_hits", junavail(attached(P_FAST_PF) ?
				"could not read RET_PF_FIXED from kvmmmu:fast_page_fault's format" :
				"no fast-path fault event on this kernel"));
		}
	} else {
		json_object_set_new(o, "wp_faults", junavail(missing_reason(P_FAULT_EXIT, why, sizeof(why))));
		json_object_set_new(o, "fast_path_hits", junavail(why));
	}
	if (!attached(P_RING_PUSH) && probes[P_RING_PUSH].present) {
		json_object_set_new(o, "ring_pushes", junavail("one event per page dirtied: "
				    "counted in the detail tier (--faults)"));
	} else if (!attached(P_RING_PUSH)) {
		json_object_set_new(o, "ring_pushes", junavail(missing_reason(P_RING_PUSH, why, sizeof(why))));
	} else if (!b->counts[C_RING_PUSH] && silent) {
		json_object_set_new(o, "ring_pushes", junavail(silent));
	} else if (!b->counts[C_RING_PUSH] && b->dirty_ioctl[DI_RESET_RINGS].count) {
		snprintf(why, sizeof(why), "kvm:kvm_dirty_ring_push fired 0 times while "
			 "KVM_RESET_DIRTY_RINGS was called %llu times",
			 (unsigned long long)b->dirty_ioctl[DI_RESET_RINGS].count);
		json_object_set_new(o, "ring_pushes", junavail(why));
	} else {
		json_object_set_new(o, "ring_pushes", jcount(b->counts[C_RING_PUSH], "pages"));
	}
	a = json_array();
	for (i = 0; i <= (int)b->pass && i < MAX_PASSES; i++) {
		const struct pass_stats *ps = &b->passes[i];

		json_t *e = json_pack("{s:i,s:o}", "pass", i,
			"dirty_ioctl_time", jcount(ps->ioctl_ns, "ns"));

		if (s->tier == TIER_STATS) {
			static const char per_pass[] = "per-pass fault counts come from fault "
				"events: --faults";

			json_object_set_new(e, "faults", junavail(per_pass));
			json_object_set_new(e, "wp_faults", junavail(per_pass));
			json_object_set_new(e, "fast_path_hits", junavail(per_pass));
		} else {
			json_object_set_new(e, "faults", pass_figure(o, "wp_faults", ps->faults, "faults"));
			json_object_set_new(e, "wp_faults", pass_figure(o, "wp_faults", ps->wp_faults, "faults"));
			json_object_set_new(e, "fast_path_hits", pass_figure(o, "fast_path_hits", ps->fast, "faults"));
		}
		json_object_set_new(e, "ring_pushes", pass_figure(o, "ring_pushes", ps->ring_pushes, "pages"));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "passes", a);
	if (b->pass >= MAX_PASSES) {
		/* the kernel side counts on; only the per-pass slots run out */
		snprintf(why, sizeof(why), "per-pass figures are kept for the first %d passes; "
			 "the run's totals include all %u", MAX_PASSES, b->pass + 1);
		t = jcount(b->pass + 1 - MAX_PASSES, "passes");
		json_object_set_new(t, "reason", json_string(why));
		json_object_set_new(o, "passes_not_listed", t);
	}
	json_object_set_new(o, "passes_note", json_string("pass N runs from the N-th "
		"GET_DIRTY_LOG (or RESET_DIRTY_RINGS) to the next; its dirty_ioctl_time is the "
		"call that ends it plus the CLEAR_DIRTY_LOGs right after; a figure unavailable "
		"for the run is unavailable per pass, with the same reason"));
	json_object_set_new(doc, "dirty", o);

	/* userspace exits */
	o = json_object();
	if (!attached(P_UEXIT)) {
		json_object_set_new(o, "userspace", junavail(missing_reason(P_UEXIT, why, sizeof(why))));
	} else {
		json_object_set_new(o, "userspace", jcount(b->counts[C_UEXIT], "exits"));
		/* the KVM selftests' _vcpu_run() retries these without counting them */
		json_object_set_new(o, "restarts", jcount(b->counts[C_UEXIT_RESTART], "exits"));
		json_object_set_new(o, "errors", jcount(b->counts[C_UEXIT_ERR], "exits"));
		t = json_object();
		for (i = 0; i < MAX_EXIT_REASONS; i++)
			if (b->uexit_reason[i])
				json_object_set_new(t, exit_name(i, buf, sizeof(buf)),
						    jcount(b->uexit_reason[i], "exits"));
		json_object_set_new(o, "by_reason", t);
		jtier(o, "events", "kvm:kvm_userspace_exit");
	}
	if (attached(P_IOCTL_EXIT)) {
		json_object_set_new(o, "kvm_run_returns", jcount(b->counts[C_RUN_RETURNS], "exits"));
		json_object_set_new(o, "kvm_run_eintr", jcount(b->counts[C_RUN_EINTR], "exits"));
	} else {
		json_object_set_new(o, "kvm_run_returns",
				    junavail(missing_reason(P_IOCTL_EXIT, why, sizeof(why))));
	}
	json_object_set_new(doc, "exits", o);

	/* our own cost */
	o = json_object();
	if (!s->stats_on) {
		snprintf(why, sizeof(why), "BPF_ENABLE_STATS failed: %s", strerror(s->stats_errno));
		json_object_set_new(o, "programs", junavail(why));
	} else {
		a = json_array();
		for (i = 0; i < NR_PROBES; i++) {
			if (!probes[i].attached)
				continue;
			prog_stat(&probes[i], &st);
			tot_cnt += st.run_cnt;
			tot_ns += st.run_time_ns;
			rec += st.recursion_misses;
			snprintf(buf, sizeof(buf), "%s:%s", probes[i].sys, probes[i].event);
			json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:o}",
				"program", bpf_program__name(probes[i].prog), "event", buf,
				"run_cnt", jcount(st.run_cnt, "events"),
				"run_time", jcount(st.run_time_ns, "ns"),
				"per_event", st.run_cnt ? jscalar((double)st.run_time_ns / st.run_cnt, "ns") :
					     junavail("the program never ran")));
		}
		json_object_set_new(o, "programs", a);
		json_object_set_new(o, "events", jcount(tot_cnt, "events"));
		json_object_set_new(o, "run_time", jcount(tot_ns, "ns"));
		json_object_set_new(o, "per_event", tot_cnt ? jscalar((double)tot_ns / tot_cnt, "ns") :
				    junavail("no probe ran"));
		json_object_set_new(o, "event_rate", secs > 0 ? jscalar(tot_cnt / secs, "events/s") :
				    junavail("no time elapsed"));
		json_object_set_new(o, "cpu_share", secs > 0 ? jscalar(tot_ns / (secs * 1e9), "cpus") :
				    junavail("no time elapsed"));
		json_object_set_new(o, "recursion_misses", jcount(rec, "events"));
	}
	/* the collector process's own CPU while it watched: stats and map reads, fd scans */
	json_object_set_new(o, "own_cpu", s->own_cpu_ns >= 0 ? jscalar(s->own_cpu_ns, "ns") :
			    junavail("not measured: the collector ended before it watched"));
	json_object_set_new(o, "own_cpu_share", s->own_cpu_ns >= 0 && secs > 0 ?
			    jscalar(s->own_cpu_ns / (secs * 1e9), "cpus") : junavail("no time elapsed"));
	json_object_set_new(o, "dropped_fault_starts", jcount(b->counts[C_DROP_FAULT_START], "events"));
	json_object_set_new(o, "dropped_starts", jcount(b->counts[C_DROP_START], "events"));
	json_object_set_new(o, "dropped_vms", jcount(b->counts[C_DROP_WATCH], "vms"));
	json_object_set_new(doc, "overhead", o);
	free(kf);
	return doc;
}

