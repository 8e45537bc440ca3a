/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The stage-2 binary stats of one VM or vCPU (kernel-patches/0006), as a
 * BPF iterator over the reader's own file table writes them: KVM refuses
 * KVM_GET_STATS_FD (every ioctl) to a process other than the VM's owner,
 * so a VM's fds are duplicated into the reader (pidfd_getfd()) and their
 * stats read from the kernel's structures. Shared by the BPF side and
 * s2_helpers.c; fixed-size __u32/__u64 only.
 */
#ifndef S2_STATS_REC_H
#define S2_STATS_REC_H

enum s2_vcpu_stat {
	VS_TRANSLATION, VS_PERMISSION, VS_ACCESS,	/* by fault status code */
	VS_SLOW, VS_FAST, VS_RETRY, VS_MMIO,		/* by resolving path */
	VS_WP,		/* permission faults on a write, not MMIO */
	VS_TIME_NS,	/* handler time, enter to exit */
	VS_HYP,		/* resolved in the VHE exit fix-up (hypfast, 0007) */
	NR_VCPU_STATS,
};

enum s2_vm_stat {
	MS_TLBI_VMID, MS_TLBI_IPA, MS_TLBI_IPA_LOCAL, MS_TLBI_RANGE,
	MS_CMO_DCACHE, MS_CMO_DCACHE_BYTES, MS_CMO_ICACHE, MS_CMO_ICACHE_BYTES,
	NR_VM_STATS,
};

/* s2_fault_hist: log2 buckets in ns (bucket i: [2^(i-1), 2^i), 0: 0) */
#define S2_STATS_HIST	32
#define S2_REC_VALS	10	/* max(NR_VCPU_STATS, NR_VM_STATS) */

enum { S2_REC_VCPU = 1, S2_REC_VM };

struct s2_stats_rec {
	__u32 kind;		/* S2_REC_* */
	__u32 fd;		/* the fd in the reading process */
	__u32 vcpu_id;
	__u32 pad;
	__u64 kvm;		/* the VM's struct kvm, to know it again */
	__u64 v[S2_REC_VALS];	/* enum s2_vcpu_stat or enum s2_vm_stat */
	__u64 hist[S2_STATS_HIST];	/* vCPU only */
};

#endif /* S2_STATS_REC_H */
