// SPDX-License-Identifier: GPL-2.0
/*
 * The plan parser (bench/plan.c): the input is a plan file. Each run goes
 * through plan_load() and plan_expand() (the functions `s2bench plan`
 * calls), then the real subcommand: `plan check`, and `plan expand` into a
 * fresh run directory when the plan is small enough to write quickly.
 * A rejected plan must be status 2 and one line FILE:LINE: ...
 */
#include "fuzz_common.h"

#include "plan.h"
#include "s2bench.h"

/* Writing a 100000-cell manifest per input would only slow the search. */
#define EXPAND_MAX_CELLS 2000

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char plan[512], run[512], err[1024];
	struct plan_expansion x;
	struct plan p;
	const char *out;
	bool ok;
	int rc;

	fuzz_setup("plan");
	fuzz_clean();
	fuzz_write("fuzz.plan", data, size);
	snprintf(plan, sizeof(plan), "%s/fuzz.plan", fuzz_dir);
	snprintf(run, sizeof(run), "%s/run", fuzz_dir);

	err[0] = 0;
	ok = plan_load(plan, NULL, &p, err, sizeof(err));
	if (ok && !plan_expand(&p, &x, err, sizeof(err)))
		ok = false;
	if (!ok) {
		if (!*err || strchr(err, '\n') || strncmp(err, plan, strlen(plan)))
			fuzz_die("plan: rejected with '%s' (want one line naming %s)\n", err, plan);
		plan_free(&p);
	} else {
		size_t ncells = x.ncells;

		if (!ncells || ncells > PLAN_MAX_CELLS)
			fuzz_die("plan: accepted with %zu cells (1..%d)\n", ncells, PLAN_MAX_CELLS);
		plan_expansion_free(&x);
		plan_free(&p);
		if (ncells <= EXPAND_MAX_CELLS) {
			char *argv[] = { "plan", "expand", plan, run, NULL };

			rc = fuzz_call(cmd_plan, 4, argv, &out);
			if (rc != 0)
				fuzz_die("plan expand: status %d for a plan that loads:\n%s\n", rc, out);
			fuzz_rmtree("run");	/* a replay expands it again */
		}
	}
	{
		char *argv[] = { "plan", "check", plan, NULL };

		rc = fuzz_call(cmd_plan, 3, argv, &out);
		fuzz_check_status("plan check", rc, out, 0);
		if ((rc == 0) != ok)
			fuzz_die("plan check: status %d, but plan_load/plan_expand said %s\n", rc,
				 ok ? "ok" : err);
	}
	return 0;
}
