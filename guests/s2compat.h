/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2compat: the KVM selftests framework of the suite's own tree (6.12) on
 * a kernel older than v6.8 (guests/s2compat.c).
 */
#ifndef S2COMPAT_H
#define S2COMPAT_H

#include <stdbool.h>

/* ioctl(2) as the framework expects it of a v6.8+ kernel. */
int s2compat_ioctl(int fd, unsigned long req, void *arg);

/*
 * Whether a memslot request was made with KVM_SET_USER_MEMORY_REGION in
 * place of KVM_SET_USER_MEMORY_REGION2 (a kernel before v6.8); the line
 * a document and the program's stderr give for it.
 */
bool s2compat_region1(void);
#define S2COMPAT_REGION1_WHY \
	"memslots made with KVM_SET_USER_MEMORY_REGION: the kernel has no " \
	"KVM_CAP_USER_MEMORY2 (before v6.8), which the 6.12 selftests framework uses"

#endif
