// SPDX-License-Identifier: GPL-2.0
/*
 * `s2bench table` (bench/table.c, registry.c): the workload and collector
 * documents (s2perf.workload/1, s2perf.collector/1) of a fixed two-cell
 * run, reduced through the metric registry. Input sections, separated by 0x1e:
 *   0  cells/0001/workload.json   (a timed cell)
 *   1  cells/0002/workload.json   (a collected cell)
 *   2  cells/0002/collector.json
 *   3  cells/0001/status          (empty: "0")
 *   4  cells/0001/elapsed
 * A missing section is a missing file. Status 0 or 1 is a table; 2 must be
 * one line naming the file.
 */
#include "fuzz_common.h"

#include "s2bench.h"

static const char manifest[] =
	"{\"schema\": \"s2perf.manifest/1\", \"plan\": \"fuzz\", \"seed\": 1, \"target\": \"qemu\",\n"
	" \"profiles\": [\"max\"], \"strategies\": [\"rwlock\"], \"reps\": 1, \"collect\": 1,\n"
	" \"configs\": [\"s2_dirty -v 2\"],\n"
	" \"cells\": [\n"
	"  {\"id\": \"0001\", \"index\": 1, \"profile\": \"max\", \"rep\": 1, \"mode\": \"timed\",\n"
	"   \"strategy\": \"rwlock\", \"workload\": \"s2_dirty\", \"config\": \"s2_dirty -v 2\",\n"
	"   \"params\": {\"vcpus\": \"2\"}, \"argv\": [\"s2_dirty\", \"-S\", \"rwlock\", \"-v\", \"2\"]},\n"
	"  {\"id\": \"0002\", \"index\": 2, \"profile\": \"max\", \"rep\": 2, \"mode\": \"collected\",\n"
	"   \"strategy\": \"rwlock\", \"workload\": \"s2_dirty\", \"config\": \"s2_dirty -v 2\",\n"
	"   \"params\": {\"vcpus\": \"2\"}, \"argv\": [\"s2_dirty\", \"-S\", \"rwlock\", \"-v\", \"2\"]}\n"
	" ]}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_section s[FUZZ_MAX_SECTIONS];
	char *argv[] = { "table", fuzz_dir, NULL };
	const char *err;
	size_t n;
	int rc;

	fuzz_setup("table");
	fuzz_clean();
	n = fuzz_split(data, size, s, 5);
	fuzz_write("manifest.json", manifest, sizeof(manifest) - 1);
	fuzz_write_section("cells/0001/workload.json", &s[0]);
	if (n > 1)
		fuzz_write_section("cells/0002/workload.json", &s[1]);
	if (n > 2)
		fuzz_write_section("cells/0002/collector.json", &s[2]);
	if (n > 3 && s[3].n)
		fuzz_write_section("cells/0001/status", &s[3]);
	else
		fuzz_write("cells/0001/status", "0\n", 2);
	fuzz_write("cells/0002/status", "0\n", 2);
	if (n > 4)
		fuzz_write_section("cells/0001/elapsed", &s[4]);

	rc = fuzz_call(cmd_table, 2, argv, &err);
	fuzz_check_status("table", rc, err, 1);
	if (rc == 2 && !strstr(err, fuzz_dir))
		fuzz_die("table: status 2 without naming the file: %s", err);
	return 0;
}
