/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between s2collect.bpf.c (kernel side) and s2collect.c (loader).
 * Only fixed-size __u32/__u64 layouts: both sides map the same .bss.
 */
#ifndef S2COLLECT_H
#define S2COLLECT_H

/* log2 buckets: slot i counts values in [2^(i-1), 2^i), slot 0 counts 0. */
#define MAX_SLOTS	40

struct hist {
	__u64 slots[MAX_SLOTS];
	__u64 count;
	__u64 sum;
};

/*
 * Fault latency (--faults): log-linear buckets (s2_helpers.h, ll_lower()),
 * 2^LL_SUB_BITS per power of two, so a quantile is at most 6.25% high
 * instead of up to 2x; up to 2^40 ns, the last bucket open.
 */
#define LL_SUB_BITS	4
#define LL_MAX_LOG2	40
#define LL_SLOTS	((LL_MAX_LOG2 - LL_SUB_BITS + 1) << LL_SUB_BITS)

struct llhist {
	__u64 slots[LL_SLOTS];
	__u64 count;
	__u64 sum;
};

/*
 * The kvm_s2 tracepoints' enums (arch/arm64/include/asm/kvm_mmu.h and
 * kvm_pgtable.h). The kernel's kind is the fault status code's and MMIO is
 * a path (FP_KERNEL_MMIO, series v2; v1 had it as kind 3); the collector
 * reports MMIO faults as their own kind, as before. The kernel's path 4
 * (hyp: resolved by the exit fast path before the run loop, the hypfast strategy of
 * kernel-patches/0007) is the collector's FP_HYP.
 */
enum fault_kind { FK_TRANSLATION, FK_PERMISSION, FK_ACCESS, FK_MMIO, NR_FAULT_KINDS };
enum fault_path { FP_SLOW, FP_FAST, FP_RETRY, FP_HYP, NR_FAULT_PATHS };
#define FP_KERNEL_MMIO	3
#define FP_KERNEL_HYP	4
enum tlbi_kind { TK_VMID, TK_IPA, TK_IPA_LOCAL, TK_RANGE, NR_TLBI_KINDS };
enum tlbi_lock { TL_NOT_WRITE_LOCKED, TL_WRITE_LOCKED, TL_UNKNOWN };
enum cmo_kind { CK_DCACHE, CK_ICACHE, NR_CMO_KINDS };
enum lock_mode { LM_READ, LM_WRITE, NR_LOCK_MODES };
enum dirty_ioctl { DI_GET, DI_CLEAR, DI_RESET_RINGS, NR_DIRTY_IOCTLS };

/*
 * Per VM (struct kvm), for s2top (rodata per_vm; off in s2collect): what
 * BPF sees of this VM alone, its mmu_lock waits and its dirty-log ioctls.
 * v[] holds counters only, at the LV_* indexes.
 */
enum {
	LV_LOCK_WAITS = 0,				/* [enum lock_mode] */
	LV_LOCK_NS = LV_LOCK_WAITS + NR_LOCK_MODES,	/* time waited */
	LV_DIRTY_CALLS = LV_LOCK_NS + NR_LOCK_MODES,	/* [enum dirty_ioctl] */
	LV_DIRTY_NS = LV_DIRTY_CALLS + NR_DIRTY_IOCTLS,
	NR_LV = LV_DIRTY_NS + NR_DIRTY_IOCTLS,
};

struct vm_live {
	__u64 v[NR_LV];
	__u32 pid;		/* the VMM, 0: not known yet */
	__u8 strategy;		/* 0xff: not known */
	__u8 born;		/* kvm_s2_vm_init seen: it counted from 0 under our eyes */
	__u16 pad;
};

/* lock:contention_begin flags (include/trace/events/lock.h) */
#define LCB_F_SPIN	(1U << 0)
#define LCB_F_READ	(1U << 1)
#define LCB_F_WRITE	(1U << 2)

#define MAX_VCPUS	512
#define MAX_PASSES	256
#define MAX_EXIT_REASONS 64	/* KVM_EXIT_* beyond this land in the last slot */
#define MAX_FPF_RET	16	/* kvmmmu:fast_page_fault ret values kept apart */

/* Event counters, one slot each in counts[]. */
enum counter {
	C_KVM_EXIT,		/* canary: kvm:kvm_exit for the target */
	C_UEXIT,		/* kvm:kvm_userspace_exit */
	C_UEXIT_ERR,		/* ... of those, returned an error other than EINTR */
	C_UEXIT_RESTART,	/* ... returned -EINTR (a signal; user space retries) */
	C_RUN_RETURNS,		/* KVM_RUN ioctls returned (syscalls:sys_exit_ioctl) */
	C_RUN_EINTR,		/* ... of those, with -EINTR */
	C_RING_PUSH,		/* kvm:kvm_dirty_ring_push */
	C_FALLBACK_FAULT,	/* kvm:kvm_guest_fault (arm64) / kvm:kvm_page_fault (x86) */
	C_ACCESS_FAULT,		/* kvm:kvm_access_fault (arm64) */
	C_VM_INIT,		/* kvm_s2_vm_init for the target */
	C_VM_DESTROY,
	C_VMS_LEARNED,		/* VMs (and their mmu_lock) added to the watch list */
	C_DROP_FAULT_START,	/* a fault's start time could not be stored (no task storage) */
	C_DROP_START,		/* a lock wait's or ioctl's start could not be stored (map full) */
	C_DROP_WATCH,		/* a VM could not be watched (map full) */
	C_UNPAIRED,		/* a fault exit with no entry seen: counted, not timed */
	C_LOCKS_SEEN,		/* distinct mmu_locks watched over the run */
	C_KVM_FDS,		/* VMs or vCPUs of the target created or destroyed: look again */
	NR_COUNTERS,
};

/* Counts that fall between two GET_DIRTY_LOG (or RESET_DIRTY_RINGS) calls. */
struct pass_stats {
	__u64 faults;		/* all stage-2 faults (or fallback fault events) */
	__u64 wp_faults;	/* permission faults: write protection under dirty logging */
	__u64 fast;		/* resolved on the lock-free fast path */
	__u64 ring_pushes;
	__u64 ioctl_ns;		/* time in the ioctl that ended the pass */
};

#endif /* S2COLLECT_H */
