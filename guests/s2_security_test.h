/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2_security_test's command line, apart from its checks so that
 * tests/fuzz/fuzz_s2wl parses it in process as the test does.
 */
#ifndef S2PERF_S2_SECURITY_TEST_H
#define S2PERF_S2_SECURITY_TEST_H

#include <stdint.h>

struct s2_security_args {
	const char *strategy;	/* -S, or NULL: whatever the kernel uses now */
	uint64_t npages;	/* -n */
	uint64_t rounds;	/* -r */
};

/*
 * Read argv into @a (defaults first); -h prints the help and exits 0, a
 * bad argument is one line on stderr and exit 2 (s2common.h).
 */
void s2_security_parse_args(int argc, char **argv, struct s2_security_args *a);

#endif
