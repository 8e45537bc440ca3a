// SPDX-License-Identifier: GPL-2.0
/*
 * s2compat: the KVM selftests framework of the suite's own tree (6.12) on
 * a kernel older than v6.8.
 *
 * The framework makes every memslot with KVM_SET_USER_MEMORY_REGION2 and
 * some tests first require KVM_CAP_USER_MEMORY2; both came with v6.8, so
 * on 6.1 the framework fails its first memslot. The first five fields of
 * struct kvm_userspace_memory_region2 are struct
 * kvm_userspace_memory_region, so a REGION2 request that uses no
 * guest_memfd is exactly a REGION request: on a kernel without the
 * capability it is made as one, and the capability is reported as present
 * if KVM_CAP_USER_MEMORY is. A request that asks for guest_memfd fails
 * with EINVAL, as it would on such a kernel. On a kernel with REGION2
 * nothing is changed: every request goes through as made.
 *
 * Programs reach this through ld's --wrap=ioctl (guests/Makefile): the
 * workloads from s2wl.c's wrapper, the upstream performance tests that
 * s2_upstream runs from s2compat_wrap.c.
 */
#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "s2compat.h"

int __real_ioctl(int fd, unsigned long req, ...);

/* -1: not asked yet; 0: the kernel has REGION2; 1: it has not. */
static int no_region2 = -1;
static int region1_used;

static int lacks_region2(int fd)
{
	int v = __atomic_load_n(&no_region2, __ATOMIC_RELAXED);

	if (v < 0) {
		/* KVM_CHECK_EXTENSION works on /dev/kvm and on a VM (v4.1+). */
		v = __real_ioctl(fd, KVM_CHECK_EXTENSION, (void *)(long)KVM_CAP_USER_MEMORY2) <= 0 &&
		    __real_ioctl(fd, KVM_CHECK_EXTENSION, (void *)(long)KVM_CAP_USER_MEMORY) > 0;
		__atomic_store_n(&no_region2, v, __ATOMIC_RELAXED);
	}
	return v;
}

int s2compat_ioctl(int fd, unsigned long req, void *arg)
{
	if (req == KVM_CHECK_EXTENSION && (long)arg == KVM_CAP_USER_MEMORY2 && lacks_region2(fd))
		return 1;
	if (req == KVM_SET_USER_MEMORY_REGION2 && lacks_region2(fd)) {
		const struct kvm_userspace_memory_region2 *r2 = arg;

		if (r2->flags & KVM_MEM_GUEST_MEMFD) {
			errno = EINVAL;
			return -1;
		}
		if (!__atomic_exchange_n(&region1_used, 1, __ATOMIC_RELAXED))
			fprintf(stderr, "s2compat: %s\n", S2COMPAT_REGION1_WHY);
		return __real_ioctl(fd, KVM_SET_USER_MEMORY_REGION, arg);
	}
	return __real_ioctl(fd, req, arg);
}

bool s2compat_region1(void)
{
	return __atomic_load_n(&region1_used, __ATOMIC_RELAXED);
}
