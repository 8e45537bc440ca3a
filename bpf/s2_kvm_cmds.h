/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For every tool that loads s2collect.bpf.c (s2collect, s2top): the KVM
 * ioctl numbers its programs match, from the loader's <linux/kvm.h>
 * (vmlinux.h has no macros), set in the skeleton's rodata before load.
 */
#ifndef S2_KVM_CMDS_H
#define S2_KVM_CMDS_H

#include <sys/ioctl.h>
#include <linux/kvm.h>
#include "s2collect.skel.h"

static inline void s2_set_kvm_cmds(struct s2collect_bpf *skel)
{
	skel->rodata->cmd_get_dirty_log = KVM_GET_DIRTY_LOG;
	skel->rodata->cmd_clear_dirty_log = KVM_CLEAR_DIRTY_LOG;
	skel->rodata->cmd_reset_dirty_rings = KVM_RESET_DIRTY_RINGS;
	skel->rodata->cmd_run = KVM_RUN;
	skel->rodata->cmd_create_vcpu = KVM_CREATE_VCPU;
	skel->rodata->cmd_set_memory = KVM_SET_USER_MEMORY_REGION;
#ifdef KVM_SET_USER_MEMORY_REGION2
	skel->rodata->cmd_set_memory2 = KVM_SET_USER_MEMORY_REGION2;
#else
	/* older UAPI headers: the same number as in Linux 6.8 and later */
	skel->rodata->cmd_set_memory2 = _IOW(KVMIO, 0x49, struct { __u8 b[0xa0]; });
#endif
}

#endif /* S2_KVM_CMDS_H */
