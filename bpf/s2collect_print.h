/* SPDX-License-Identifier: GPL-2.0 */
#ifndef S2COLLECT_PRINT_H
#define S2COLLECT_PRINT_H

#include <stdio.h>
#include <jansson.h>

/* The summary of an s2perf.collector/1 document, for people. */
void s2collect_print(FILE *out, json_t *doc);

#endif /* S2COLLECT_PRINT_H */
