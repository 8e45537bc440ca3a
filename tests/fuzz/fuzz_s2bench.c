// SPDX-License-Identifier: GPL-2.0
/*
 * s2bench's command lines: the input is the arguments after "s2bench",
 * one per line, given to the real main() (s2bench.c, renamed). It runs in
 * a directory that holds, fresh for every input, a small run `r` (from
 * fixtures/r: manifest, metrics, cells and unavailable tables) and a plan
 * `p`, so that the subcommands get past their options into real work.
 *
 * Words with '/' or ".." are skipped (nothing is written outside that
 * directory). `simulate` gets a small trial and resample count put first,
 * and inputs that would set those again are skipped; `stats` has its own
 * harness (fuzz_stats).
 */
#include "fuzz_common.h"

#include "s2bench.h"

#define MAX_ARGS 32

int s2bench_main(int argc, char **argv);

struct fixture {
	const char *rel;
	char *data;
	size_t len;
};

static struct fixture fixtures[] = {
	{ .rel = "r/manifest.json" }, { .rel = "r/metrics.csv" }, { .rel = "r/cells.csv" },
	{ .rel = "r/unavailable.csv" },
	{ .rel = "p" },
};
#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static void load_fixtures(void)
{
	char path[4096];

	for (size_t i = 0; i < NFIXTURES; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", S2FUZZ_FIXTURES, fixtures[i].rel);
		f = fopen(path, "r");
		if (!f)
			fuzz_die("%s: %s\n", path, strerror(errno));
		fixtures[i].data = malloc(1 << 20);
		fixtures[i].len = fread(fixtures[i].data, 1, 1 << 20, f);
		fclose(f);
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_setup("s2bench");
	load_fixtures();
	return 0;
}

/* simulate: a slow input is not a finding; keep its loops small. */
static bool sets_simulate_size(const char *w)
{
	static const char *const longs[] = { "--n", "--t", "--r", "--g" };

	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		if (!strncmp(w, longs[i], 3))
			return true;
	return w[0] == '-' && w[1] != '-' && strpbrk(w, "ntrg");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 12], *words;
	const char *err;
	int argc = 0, rc, here;
	bool simulate;

	fuzz_clean();
	if (memchr(data, '/', size) || memmem(data, size, "..", 2))
		return -1;
	for (size_t i = 0; i < NFIXTURES; i++)
		fuzz_write(fixtures[i].rel, fixtures[i].data, fixtures[i].len);

	argv[0] = "s2bench";
	argc = fuzz_words(data, size, argv, 1, MAX_ARGS + 1, &words);
	simulate = argc > 1 && !strcmp(argv[1], "simulate");
	if (argc > 1 && !strcmp(argv[1], "stats")) {
		free(words);
		return -1;
	}
	for (int i = 2; simulate && i < argc; i++)
		if (sets_simulate_size(argv[i])) {
			free(words);
			return -1;
		}
	if (simulate) {
		static char *small[] = { "--trials=6", "--resamples=100", "--n=6", "--group=3" };

		memmove(argv + 2 + 4, argv + 2, (argc - 2) * sizeof(*argv));
		memcpy(argv + 2, small, sizeof(small));
		argc += 4;
	}
	argv[argc] = NULL;

	/* relative paths in the arguments land in the scratch directory */
	here = open(".", O_RDONLY | O_DIRECTORY);
	if (here < 0 || chdir(fuzz_dir))
		fuzz_die("chdir %s: %s\n", fuzz_dir, strerror(errno));
	rc = fuzz_call(s2bench_main, argc, argv, &err);
	if (fchdir(here))
		fuzz_die("fchdir: %s\n", strerror(errno));
	close(here);
	/* compare's 3 (cannot decide) is an answer too */
	fuzz_check_status("s2bench", rc, err, 3);
	free(words);
	return 0;
}
