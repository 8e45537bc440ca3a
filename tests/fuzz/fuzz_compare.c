// SPDX-License-Identifier: GPL-2.0
/*
 * `s2bench compare BASE NEW` (bench/compare.c on top of rundir_load and
 * rgroup.c): two run directories, cut at 0x1e into
 *   0  base/manifest.json   1  base/metrics.csv
 *   2  new/manifest.json    3  new/metrics.csv
 *   4  base/env.json        5  new/env.json
 *   6  base/cells.csv       7  new/cells.csv
 * (a missing or, for env.json, empty section is a missing file), compared
 * with --all and the JSON rows written (-o), so every row is formatted.
 */
#include "fuzz_common.h"

#include "s2bench.h"

static const char *const files[] = {
	"base/manifest.json", "base/metrics.csv", "new/manifest.json", "new/metrics.csv",
	"base/env.json", "new/env.json", "base/cells.csv", "new/cells.csv",
};
#define NFILES (sizeof(files) / sizeof(files[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_section s[FUZZ_MAX_SECTIONS];
	char base[512], new_[512], out[512];
	const char *err;
	size_t n, i;
	int rc;

	fuzz_setup("compare");
	fuzz_clean();
	n = fuzz_split(data, size, s, NFILES);
	for (i = 0; i < n; i++)
		if ((i != 4 && i != 5) || s[i].n)
			fuzz_write_section(files[i], &s[i]);
	snprintf(base, sizeof(base), "%s/base", fuzz_dir);
	snprintf(new_, sizeof(new_), "%s/new", fuzz_dir);
	snprintf(out, sizeof(out), "%s/compare.json", fuzz_dir);
	mkdir(base, 0755);
	mkdir(new_, 0755);
	{
		char *argv[] = { "compare", "--all", "-o", out, base, new_, NULL };

		rc = fuzz_call(cmd_compare, 6, argv, &err);
		/* 0 no regression, 1 a regression, 3 cannot decide; 2 bad input */
		fuzz_check_status("compare", rc, err, 3);
	}
	return 0;
}
