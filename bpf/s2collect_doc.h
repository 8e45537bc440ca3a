/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What s2collect's loader (s2collect.c) and its document (s2collect_doc.c)
 * share: the options, the probe table, the run's state.
 */
#ifndef S2COLLECT_DOC_H
#define S2COLLECT_DOC_H

#include <stdbool.h>
#include <time.h>
#include <sys/types.h>
#include <jansson.h>
#include "s2_helpers.h"
#include "s2collect.h"
#include "s2collect.skel.h"

#define SCHEMA "s2perf.collector/1"

struct env {
	pid_t pid;		/* -p, or the forked command */
	int vmfd;		/* -f: one VM of -p, by its fd in that process */
	bool all;
	char **cmd;		/* after -- */
	const char *output;
	double interval;
	double duration;
	bool verbose;
	bool faults;		/* --faults: the detail tier */
	bool tlbi_events;	/* --tlbi: TLBIs and CMOs per event too */
};
extern struct env env;

/* Each entry event before its exit: attached in this order, detached in reverse. */
enum probe_id {
	P_VM_INIT, P_VM_DESTROY, P_FAULT_ENTER, P_FAULT_EXIT, P_FAULT_DONE, P_TLBI, P_CMO,
	P_GUEST_FAULT, P_ACCESS_FAULT, P_PAGE_FAULT, P_FAST_PF, P_KVM_EXIT,
	P_UEXIT, P_RING_PUSH, P_LOCK_BEGIN, P_LOCK_END, P_IOCTL_ENTER,
	P_IOCTL_EXIT, NR_PROBES,
};

struct probe {
	const char *sys, *event;
	struct bpf_program *prog;
	bool present;		/* the tracepoint exists on this kernel */
	bool wanted;		/* and we attach it (fallbacks only without kvm_s2) */
	bool attached;		/* stays true after detaching, for the report */
	struct bpf_link *link;
};

extern struct probe probes[NR_PROBES];
extern const char *tracefs;

static inline bool attached(int id)
{
	return probes[id].attached;
}

struct vm_info {	/* as in s2collect.bpf.c */
	__u64 mmu_lock;
	__u8 strategy;
	__u8 source;
};

struct prog_stat {
	__u64 run_cnt, run_time_ns, recursion_misses;
};

/* The tiers: where the fault counts and latency come from. */
enum tier {
	TIER_STATS,	/* default: the kernel's binary stats */
	TIER_FALLBACK,	/* default, on a kernel without them: the probes */
	TIER_DETAIL,	/* --faults: one event per fault */
};
extern const char *const tier_names[];

/* The binary stats of the watched processes, summed. */
struct kfig {
	struct s2_stats sum;
	__u64 vcpu_faults[MAX_VCPUS];
	int most_vms, missed;
	int taken;		/* VM and vCPU fds duplicated */
	char error[160];
};

struct watch {
	struct s2_watch w;
	bool ended;
};

#define MAX_WATCHES 64

struct state {
	struct s2collect_bpf *skel;
	struct s2collect_bpf__bss *bss;
	struct timespec t0;
	bool have_s2, kvm_btf, stats_on;
	int stats_errno;
	int fpf_fixed;
	int ndebugfs;
	struct debugfs_vm dvms[16];
	int child_status;	/* wait status, or -1 */
	double canary_off;	/* when the canary was detached (s), or 0 */
	struct timeval cpu0;	/* our own CPU time (user + system) at t0 */
	double own_cpu_ns;	/* ... spent from t0 to the end, or -1 */
	enum tier tier;
	bool kstats;		/* the kernel keeps the stage-2 binary stats, and we can read them */
	char kstats_why[256];	/* if not, why */
	bool kstats_hyp;	/* ... with s2_fault_hyp (the hypfast strategy, 0007) */
	bool fault_events;	/* fault probes attached (detail or fallback tier) */
	bool one_event;		/* ... as one tp_btf event per fault, kernel-timed */
	char one_event_why[320];	/* if not, why the entry/exit pair is used */
	int timing;		/* kvm.stage2_fault_timing at the start: 1, 0, -1 absent */
	struct watch watches[MAX_WATCHES];
	int nwatches;
	struct kfig ended;	/* the figures of watches closed since */
};

/* The binary stats' figures now (s2collect.c). */
void kfig_now(const struct state *s, struct kfig *f);
/* Why the stats cannot give the run's figures, or NULL. */
const char *kstats_unavailable(const struct state *s, const struct kfig *f,
			       char *buf, size_t len);
/* The run's document, schema SCHEMA. */
json_t *json_doc(const struct state *s, double secs);

#endif /* S2COLLECT_DOC_H */
