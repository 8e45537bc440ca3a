// SPDX-License-Identifier: GPL-2.0
/*
 * The readers of one run directory (bench/rundir.c rundir_load, rgroup.c, and
 * what report.c, advice.c, rplot.c and kcidb.c read besides): the input is
 * a run, cut at 0x1e into
 *   0  manifest.json      1  metrics.csv       2  env.json
 *   3  cells.csv          4  unavailable.csv
 *   5  a cell: its id on the first line, its status on the second ("0" if
 *      none); written as cells/ID/status when ID is a plain name
 *   6  cells/ID/workload.json          7  cells/ID/collector.json
 * (a missing section is a missing file; section 5 makes a cells/ tree, so
 * the statuses come from there instead of cells.csv). Then the real
 * `s2bench report` (plots prepared but not drawn: the scripts directory
 * does not exist, so no gnuplot is started) and `s2bench kcidb`.
 */
#include "fuzz_common.h"

#include "s2bench.h"

static const char *const files[] = {
	"manifest.json", "metrics.csv", "env.json", "cells.csv", "unavailable.csv",
};
#define NFILES (sizeof(files) / sizeof(files[0]))
#define NSECTIONS (NFILES + 3)

/* Section 5: "ID\nSTATUS"; the cell's documents are sections 6 and 7. */
static void write_cell(const struct fuzz_section *s, size_t n)
{
	char id[64], status[64] = "0", path[160];
	const char *p = (const char *)s[5].p, *nl;
	size_t len;

	nl = memchr(p, '\n', s[5].n);
	len = nl ? (size_t)(nl - p) : s[5].n;
	if (!len || len >= sizeof(id) || memchr(p, '/', len) || memchr(p, 0, len) || p[0] == '.')
		return;
	memcpy(id, p, len);
	id[len] = 0;
	if (nl && s[5].n - len - 1 > 0) {
		size_t sl = s[5].n - len - 1;

		sl = sl < sizeof(status) - 1 ? sl : sizeof(status) - 1;
		memcpy(status, nl + 1, sl);
		status[sl] = 0;
	}
	snprintf(path, sizeof(path), "cells/%s/status", id);
	fuzz_write(path, status, strlen(status));
	if (n > 6) {
		snprintf(path, sizeof(path), "cells/%s/workload.json", id);
		fuzz_write_section(path, &s[6]);
	}
	if (n > 7) {
		snprintf(path, sizeof(path), "cells/%s/collector.json", id);
		fuzz_write_section(path, &s[7]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_section s[FUZZ_MAX_SECTIONS];
	char nodir[512], kout[512];
	const char *err;
	size_t n, i;
	int rc_report, rc_kcidb;

	fuzz_setup("report");
	fuzz_clean();
	n = fuzz_split(data, size, s, NSECTIONS);
	for (i = 0; i < n && i < NFILES; i++)
		if (i != 2 || s[i].n)	/* an empty env.json section: none */
			fuzz_write_section(files[i], &s[i]);
	if (n > 5)
		write_cell(s, n);
	snprintf(nodir, sizeof(nodir), "%s/no-plot-scripts", fuzz_dir);
	snprintf(kout, sizeof(kout), "%s/kcidb.json", fuzz_dir);
	{
		char *argv[] = { "report", "-q", "--plots-dir", nodir, fuzz_dir, NULL };

		rc_report = fuzz_call(cmd_report, 5, argv, &err);
		fuzz_check_status("report", rc_report, err, 1);
	}
	{
		char *argv[] = { "kcidb", "-o", kout, fuzz_dir, NULL };

		rc_kcidb = fuzz_call(cmd_kcidb, 4, argv, &err);
		fuzz_check_status("kcidb", rc_kcidb, err, 0);
	}
	/* Both read the run through rset_load: one accepts it if the other does. */
	if ((rc_report == 2) != (rc_kcidb == 2))
		fuzz_die("report exited %d but kcidb %d on the same run\n", rc_report, rc_kcidb);
	return 0;
}
