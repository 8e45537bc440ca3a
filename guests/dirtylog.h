/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The dirty-logging run shared by s2_dirty (live-migration style passes)
 * and s2_split (the same on huge-page backing, where the first logged pass
 * splits block mappings).
 */
#ifndef S2PERF_DIRTYLOG_H
#define S2PERF_DIRTYLOG_H

#include <stdbool.h>

int s2_dirtylog_main(int argc, char **argv, bool split);

#endif
