/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the s2perf guest programs, the workloads and
 * s2_security_test alike: option values and the one-line answer to a bad
 * one, choosing the stage-2 locking strategy of the patched kernel for the
 * next VM, and reading back the strategy a VM was created with.
 */
#ifndef S2PERF_S2COMMON_H
#define S2PERF_S2COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "s2parse.h"
#include "s2strategy.h"

struct kvm_vm;

/* The KVM module's parameters: stage2_strategy, stage2_hw_access (0008), ... */
#define S2_PARAMS "/sys/module/kvm/parameters/"
#define S2_PARAM_STRATEGY S2_PARAMS "stage2_strategy"

/*
 * Exit statuses: bad arguments (as getopt users expect) and "this host
 * cannot run what was asked" (as in kselftest).
 */
#define S2_EXIT_USAGE 2
#define S2_EXIT_SKIP 4

/* Option values: s2_parse_size(), s2_parse_uint() (../common/s2parse.h). */

/*
 * A bad argument: one line on stderr, "@prog: <message> (see @prog -h)",
 * and exit status 2.
 */
void __attribute__((noreturn, format(printf, 2, 3)))
s2_bad_arg(const char *prog, const char *fmt, ...);
void __attribute__((noreturn, format(printf, 2, 0)))
s2_vbad_arg(const char *prog, const char *fmt, va_list ap);
/*
 * The same for what getopt_long() (with opterr = 0 and a leading ':' in
 * the option string) returned as @opt, ':' or '?'.
 */
void __attribute__((noreturn)) s2_bad_option(const char *prog, int opt, char **argv);

/*
 * Write @value to kvm.@param (S2_PARAMS): 0, or -1 with a reason in @why.
 * s2_param_get(): its value into @buf, "" when there is no such parameter.
 */
int s2_param_set(const char *param, const char *value, char *why, size_t len);
void s2_param_get(const char *param, char *buf, size_t len);

/*
 * Make @name (one of s2strategy.h) the strategy of VMs created from now
 * on. Returns 0, or -1 with a reason in @why.
 */
int s2_set_strategy(const char *name, char *why, size_t len);
/* The current kvm.stage2_strategy into @buf ("" if there is none). */
void s2_get_strategy(char *buf, size_t len);

/*
 * The strategy @vm was created with, from its debugfs directory, into
 * @buf. Returns 0, or -1 when the kernel does not say (unpatched kernel,
 * no debugfs).
 */
int s2_vm_strategy(struct kvm_vm *vm, char *buf, size_t len);
/* The first line of @vm's debugfs file @file (stage2_hafdbs, ...): as above. */
int s2_vm_debugfs(struct kvm_vm *vm, const char *file, char *buf, size_t len);

#endif
