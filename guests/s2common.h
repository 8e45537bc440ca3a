/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the s2perf guest programs: choosing the stage-2
 * locking strategy of the patched kernel for the next VM, and reading back
 * the strategy a VM was created with.
 */
#ifndef S2PERF_S2COMMON_H
#define S2PERF_S2COMMON_H

#include <stdbool.h>
#include <stddef.h>

struct kvm_vm;

#define S2_PARAM_STRATEGY "/sys/module/kvm/parameters/stage2_strategy"

/* Exit status for "this host cannot run what was asked", as in kselftest. */
#define S2_EXIT_SKIP 4

/*
 * Make @name ("exclusive", "rwlock", "rcu", "fastpath") the strategy of VMs
 * created from now on. Returns 0, or -1 with a reason in @why.
 */
int s2_set_strategy(const char *name, char *why, size_t len);

/*
 * The strategy @vm was created with, from its debugfs directory, into
 * @buf. Returns 0, or -1 when the kernel does not say (unpatched kernel,
 * no debugfs).
 */
int s2_vm_strategy(struct kvm_vm *vm, char *buf, size_t len);

#endif
