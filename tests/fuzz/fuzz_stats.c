// SPDX-License-Identifier: GPL-2.0
/*
 * `s2bench stats` (bench/stats_cmd.c): its command line, value lists
 * ("1.5,2,3e4") and value files (@FILE, one number a line). The input is cut
 * at 0x1e into
 *   0  the arguments after "stats", one per line
 *   1  the file an argument "@F" names     2  the file "@G" names
 * The harness puts --resamples 200 first and skips inputs that would set it
 * again: ten million resamples are a slow input, not a finding.
 */
#include "fuzz_common.h"

#include "s2bench.h"

#define MAX_ARGS 64

static bool sets_resamples(const char *w)
{
	return !strncmp(w, "--r", 3) || (w[0] == '-' && w[1] != '-' && strchr(w, 'r'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_section s[FUZZ_MAX_SECTIONS];
	char *argv[MAX_ARGS + 4], *words, *w, *nl, fpath[512], gpath[512], fval[520], gval[520];
	const char *err;
	bool options = true;
	int argc = 0, rc;
	size_t n;

	fuzz_setup("stats");
	fuzz_clean();
	n = fuzz_split(data, size, s, 3);
	words = strndup(s[0].p ? (const char *)s[0].p : "", s[0].n);
	snprintf(fpath, sizeof(fpath), "%s/F", fuzz_dir);
	snprintf(gpath, sizeof(gpath), "%s/G", fuzz_dir);
	snprintf(fval, sizeof(fval), "@%s", fpath);
	snprintf(gval, sizeof(gval), "@%s", gpath);
	if (n > 1)
		fuzz_write_section("F", &s[1]);
	if (n > 2)
		fuzz_write_section("G", &s[2]);

	argv[argc++] = "stats";
	argv[argc++] = "--resamples";
	argv[argc++] = "200";
	for (w = words; w && argc < MAX_ARGS + 3; w = nl) {
		nl = strchr(w, '\n');
		if (nl)
			*nl++ = 0;
		else if (!*w)
			break;
		/* getopt stops at "--" or at the first operand ('+' in its string) */
		if (options && sets_resamples(w)) {
			free(words);
			return -1;
		}
		if (!strcmp(w, "--") || w[0] != '-')
			options = false;
		argv[argc++] = !strcmp(w, "@F") ? fval : !strcmp(w, "@G") ? gval : w;
	}
	argv[argc] = NULL;

	rc = fuzz_call(cmd_stats, argc, argv, &err);
	fuzz_check_status("stats", rc, err, 0);
	free(words);
	return 0;
}
