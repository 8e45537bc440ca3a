/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every tool of bpf/ shares, as libbpf-tools share trace_helpers.c:
 * finding tracepoints, reading a process's KVM binary stats through its VM
 * and vCPU file descriptors, and telling histograms (JSON and text).
 */
#ifndef S2_HELPERS_H
#define S2_HELPERS_H

#include "s2json.h"	/* s2_fault_timing() */
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>
#include <jansson.h>
#include "s2_stats_rec.h"

/* A bad argument: "TOOL: what (try -h)", one line on stderr, and exit 2. */
void __attribute__((noreturn, format(printf, 2, 3))) s2_bad_args(const char *tool,
								   const char *fmt, ...);

/*
 * Long only where the letter means something else everywhere else (README,
 * "Command lines": -v vCPUs, -i iterations, -b bytes): the tools refuse
 * the letter with one line naming the long option.
 */
#define S2_OPT_VERBOSE 0x100
#define S2_VERBOSE_IS_LONG "-v is --verbose (-v is the workloads' vCPU count)"
#define S2_OPT_INTERVAL 0x101
#define S2_INTERVAL_IS_LONG "-i is --interval (-i is the workloads' iteration count)"
#define S2_OPT_BATCH 0x102
#define S2_BATCH_IS_LONG "-b is --batch (-b is the workloads' bytes per vCPU)"

/* ---- tracepoints ---- */

/* tracefs's mount point (mounted there if it was not), or NULL. */
const char *s2_tracefs(void);
bool s2_event_exists(const char *sys, const char *event);

/* ---- what the kernel keeps ---- */

/*
 * Whether the kernel keeps the stage-2 binary stats (kernel-patches/0006),
 * from its BTF; @tp_btf: kvm_s2_fault_exit is a BTF tracepoint; @hyp: it
 * has s2_fault_hyp (0007). If not, @why says so.
 */
bool s2_kernel_has_stats(bool *tp_btf, bool *hyp, char *why, size_t len);

struct debugfs_vm {
	unsigned long long lock;
	char strategy[16];
};

/*
 * From debugfs (the s2perf kernel): the mmu_lock and strategy of the VMs
 * of @pid (all, or only its fd @vmfd >= 0); returns how many.
 */
int s2_debugfs_vms(pid_t pid, int vmfd, struct debugfs_vm *out, int max);

/* ---- KVM binary stats, through the process's VM and vCPU fds ---- */

extern const char *const s2_vcpu_stat_names[NR_VCPU_STATS];
extern const char *const s2_vm_stat_names[NR_VM_STATS];

/*
 * The VMs and vCPUs of one process, found by their /proc/PID/fd links
 * (anon_inode:kvm-vm, anon_inode:kvm-vcpu:N) and duplicated into this
 * process with pidfd_getfd(). KVM answers no ioctl, KVM_GET_STATS_FD
 * included, from a process other than the VM's owner, so their stats are
 * read by a BPF iterator over this process's own files (struct
 * s2_stats_rec). A duplicate holds its VM, so the figures can still be
 * read once the process has gone.
 */
#define S2W_MAX_VMS	8
#define S2W_MAX_VCPUS	64

struct s2w_ent {
	int procfd, myfd;
	int id;			/* vCPU id; -1: the VM */
	bool need_base;
	bool gone;		/* closed by the process: read it once more, then let it go */
	__u64 kvm;		/* its struct kvm (from the iterator), 0: not known yet */
	__u64 base[S2_REC_VALS], hist_base[S2_STATS_HIST];
};

struct s2_watch {
	pid_t pid;
	int pidfd;
	int only_vmfd;		/* -1: every VM of the process */
	int iter_fd;		/* the kvm_stats iterator's link, -1: none */
	int nvms, nvcpus, nent, ngone;
	struct s2w_ent ent[S2W_MAX_VMS + S2W_MAX_VCPUS];
	int most_vms;		/* the most VM fds seen open at once */
	int missed;		/* VMs or vCPUs beyond the arrays above */
	char error[160];	/* why a VM seen could not be taken, or "" */
};

/* The sums over a watch's vCPUs and VMs since they were first seen. */
struct s2_stats {
	__u64 vcpu[NR_VCPU_STATS];
	__u64 hist[S2_STATS_HIST];
	__u64 vm[NR_VM_STATS];
	int nvms, nvcpus;
};

int s2w_open(struct s2_watch *w, pid_t pid, int only_vmfd);
/*
 * Take the VMs and vCPUs not seen before. With @baseline, what they
 * counted so far is subtracted from later reads (the first read after
 * this scan takes it); without, they count from their creation.
 */
int s2w_scan(struct s2_watch *w, bool baseline);
/*
 * Add the watch's figures to @sum, and each vCPU's faults to
 * @vcpu_faults[its id] (ids up to @max_ids), from the records of one
 * iterator read (s2_stats_read()).
 */
void s2w_apply(struct s2_watch *w, const struct s2_stats_rec *recs, int n,
	       struct s2_stats *sum, __u64 *vcpu_faults, int max_ids);
/*
 * The VMs and vCPUs the process has closed since (w->ngone of them): the
 * same for them only, and then close them, so that a long-running VMM's
 * old VMs are not kept alive by their duplicates.
 */
void s2w_apply_gone(struct s2_watch *w, const struct s2_stats_rec *recs, int n,
		    struct s2_stats *sum, __u64 *vcpu_faults, int max_ids);
void s2w_drop_gone(struct s2_watch *w);
void s2w_close(struct s2_watch *w);
/* Every record the iterator link @link_fd writes; *recs is malloc'ed. */
int s2_stats_read(int link_fd, struct s2_stats_rec **recs);
/* Whether pidfd_getfd() works on @pid for this user, else why not. */
bool s2_can_getfd(pid_t pid, char *why, size_t len);
/* The PIDs of processes with a KVM VM open, the caller not; returns how many. */
int s2_kvm_pids(pid_t *pids, int max);
/*
 * The VM and vCPU fds of @pid, from /proc/PID/fd: returns its VMs (-1: no
 * such process), with @nvcpus and the last VM's fd in @vmfd (may be NULL).
 */
int s2_kvm_fds(pid_t pid, int *nvcpus, int *vmfd);

/* ---- histograms ---- */

/*
 * Log-linear buckets, as HdrHistogram keeps them: values below 2^SUB are
 * exact, and each power of two above is split in 2^SUB equal sub-buckets,
 * so a bucket is at most 1/2^SUB of its lower bound wide.
 */
__u64 ll_lower(unsigned int idx, unsigned int sub_bits);

/* {"unit", "count", "sum", "buckets": [{"le", "count"}...]} */
json_t *s2_jhist_log2(const __u64 *slots, int nslots, __u64 count, __u64 sum,
		      const char *unit);
json_t *s2_jhist_loglinear(const __u64 *slots, int nslots, unsigned int sub_bits,
			   __u64 count, __u64 sum, const char *unit);
/* The value at quantile @q of a JSON histogram: its bucket's upper bound. */
double s2_jhist_quantile(json_t *h, double q);
/* A JSON histogram as text, log2 rows (finer buckets merged), with quantiles. */
void s2_print_jhist(FILE *f, const char *title, json_t *h);

#endif /* S2_HELPERS_H */
