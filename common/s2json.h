/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The JSON figures every s2perf document is made of (the workloads' and the
 * collector's): a number always carries its unit, and a figure that cannot
 * be had is {"available": false, "reason": ...}, never a zero.
 */
#ifndef S2PERF_S2JSON_H
#define S2PERF_S2JSON_H

#include <stdint.h>

#include <jansson.h>

/* {"value": @v, "unit": @unit} */
json_t *s2_jint(uint64_t v, const char *unit);
json_t *s2_jreal(double v, const char *unit);
/* {"available": false, "reason": @reason} */
json_t *s2_junavail(const char *reason);

/*
 * The clock the document's times were read from: "icount" (an emulated
 * target whose time is its instruction count, s2perf.clock=icount on the
 * kernel command line) or "realtime".
 */
const char *s2_clock(void);

/*
 * The kernel's fault clock, kvm.stage2_fault_timing (kernel-patches/0006):
 * 1 on, 0 off (its default), -1 no such parameter. Without it the
 * s2_fault_time_ns and s2_fault_hist stats are not figures: every
 * document that reads them says so.
 */
int s2_fault_timing(void);

#endif
