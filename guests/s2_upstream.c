// SPDX-License-Identifier: GPL-2.0
/*
 * s2_upstream: one of the upstream KVM selftests' performance tests, as an
 * s2perf workload. It runs the test (its binary, built from the kernel
 * source by target/build-selftests.sh, on PATH), reads the figures the
 * test prints ("Populate memory time: 0.012345678s", "Iteration 2 dirty
 * memory time: ...", "KVM_CREATE_MAPPINGS: total execution time: ..."),
 * and writes them as a workload document (schema s2perf.workload/1), each
 * a series in ns, so that a plan can set the suite's figures beside
 * upstream's own, on any kernel. Output that does not carry the figures
 * the test is known to print is a failed run that says what was missing.
 * The test runs as NAME.s2compat where guests/Makefile relinked it with
 * s2compat (the 6.12 framework on a kernel before v6.8; system.kvm_compat
 * in the document says when that changed a request).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "s2common.h"
#include "s2json.h"
#include "s2parse.h"
#include "s2strategy.h"
#include "s2wl_spec.h"

#define SCHEMA "s2perf.workload/1"
#define MAX_FIGURES 64
#define MAX_VALUES 4096
#define MAX_ARGS 64

/* The tests, and the figures without which their output did not parse (the spec's). */
static const struct upstream_test {
	const char *name;
	const char *required[3];
} tests[] = {
#define S2WL_UPSTREAM_TEST(name, ...) { #name, { __VA_ARGS__ } },
#include "s2workloads.def"
};
#define NTESTS (sizeof(tests) / sizeof(tests[0]))

struct figure {
	char key[96];
	uint64_t v[MAX_VALUES];
	size_t n;
};

static struct figure figures[MAX_FIGURES];
static size_t nfigures;
static const char *prog = "s2_upstream";

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: %s -t TEST [-S STRATEGY] [-o FILE] [-q] [TEST OPTIONS...]\n\n"
		"Run an upstream KVM selftests performance test and write its printed figures\n"
		"as an s2perf workload document (JSON; every figure a series in ns).\n\n"
		"  -t TEST        the test:", prog);
	for (i = 0; i < NTESTS; i++)
		fprintf(f, " %s", tests[i].name);
	fprintf(f, "\n"
		"  -S STRATEGY    kvm.stage2_strategy for the VMs the test creates (restored\n"
		"                 after), or " S2_STRATEGY_UPSTREAM " (select none: the kernel's own)\n"
		"  -o FILE        write the document to FILE (default: stdout)\n"
		"  -q             do not copy the test's output to stderr\n"
		"  -h             this help\n"
		"Every other option and its value go to TEST unchanged (e.g. -v 2 -b 8M -i 3);\n"
		"without -m, -m 3 (one guest mode, 48-bit IPA, 4 KiB pages) is added.\n"
		"exit status: 0 ok, 1 the test failed or its output did not parse (the\n"
		"document says what it could not read), 2 bad arguments, 4 the test skipped.\n");
}

/* "Iteration 3 dirty memory time" -> "dirty_memory_time"; "Populating memory" -> "populating_memory_time" */
static void slug(const char *label, size_t len, char *out, size_t olen)
{
	size_t o = 0, i = 0;
	bool us = false;

	while (i < len && isspace((unsigned char)label[i]))
		i++;
	if (len - i > 10 && !strncasecmp(label + i, "iteration ", 10)) {
		i += 10;
		while (i < len && isdigit((unsigned char)label[i]))
			i++;
	}
	for (; i < len && o + 1 < olen; i++) {
		unsigned char c = label[i];

		if (isalnum(c)) {
			if (us && o)
				out[o++] = '_';
			us = false;
			if (o + 1 < olen)
				out[o++] = tolower(c);
		} else {
			us = true;
		}
	}
	out[o] = 0;
	if (o < 5 || strcmp(out + o - 5, "_time"))
		strncat(out, "_time", olen - strlen(out) - 1);
}

static struct figure *figure(const char *key)
{
	size_t i;

	for (i = 0; i < nfigures; i++)
		if (!strcmp(figures[i].key, key))
			return &figures[i];
	if (nfigures == MAX_FIGURES)
		return NULL;
	snprintf(figures[nfigures].key, sizeof(figures[nfigures].key), "%s", key);
	return &figures[nfigures++];
}

/*
 * The first "<sec>.<9 digits>s" of @line, in ns, and where it starts; false
 * if there is none.
 */
static bool find_time(const char *line, uint64_t *ns, const char **at)
{
	const char *p;

	for (p = line; *p; p++) {
		const char *q = p, *dot;
		uint64_t sec = 0, frac = 0;
		int nd = 0;

		if (!isdigit((unsigned char)*p) || (p > line && isdigit((unsigned char)p[-1])))
			continue;
		while (isdigit((unsigned char)*q)) {
			sec = sec * 10 + (*q - '0');
			q++;
		}
		if (*q != '.')
			continue;
		dot = q++;
		while (isdigit((unsigned char)*q) && nd < 10) {
			frac = frac * 10 + (*q - '0');
			q++;
			nd++;
		}
		if (nd != 9 || *q != 's' || q - dot != 10)
			continue;
		*ns = sec * 1000000000ull + frac;
		*at = p;
		return true;
	}
	return false;
}

/* One line of the test's output: a figure, or nothing. */
static void parse_line(const char *line, char *section, size_t slen, json_t *unread)
{
	char key[96], name[64];
	const char *at, *end;
	uint64_t ns;
	struct figure *f;

	/* memslot_perf_test: "Testing map performance with 3 runs, 1 seconds each" */
	if (!strncmp(line, "Testing ", 8) && (end = strstr(line, " performance with"))) {
		slug(line + 8, end - line - 8, name, sizeof(name));
		name[strlen(name) - 5] = 0;	/* no "_time" */
		snprintf(section, slen, "%s", name);
		return;
	}
	if (!find_time(line, &ns, &at))
		return;
	/* dirty_log_perf_test's totals repeat its per-iteration figures */
	if (strstr(line, "(Avg "))
		return;
	if (!strncmp(line, "Best runtime result was", 23) && *section) {
		snprintf(key, sizeof(key), "%s_best_iteration_time", section);
	} else {
		end = at;
		while (end > line && (end[-1] == ' ' || end[-1] == ':' || end[-1] == '\t'))
			end--;
		if (end == line) {
			json_array_append_new(unread, json_string(line));
			return;
		}
		slug(line, end - line, key, sizeof(key));
		/* "Test took 0.1s for slot setup + ..." -> "test_took_time" */
	}
	f = figure(key);
	if (!f || f->n == MAX_VALUES) {
		json_array_append_new(unread, json_string(line));
		return;
	}
	f->v[f->n++] = ns;
}

static json_t *series(const struct figure *f)
{
	json_t *vals = json_array();
	uint64_t mn = UINT64_MAX, mx = 0;
	double sum = 0;
	size_t i;

	for (i = 0; i < f->n; i++) {
		json_array_append_new(vals, json_integer((json_int_t)f->v[i]));
		mn = f->v[i] < mn ? f->v[i] : mn;
		mx = f->v[i] > mx ? f->v[i] : mx;
		sum += f->v[i];
	}
	return json_pack("{s:s, s:I, s:f, s:I, s:I, s:o}", "unit", "ns", "n", (json_int_t)f->n,
			 "mean", sum / f->n, "min", (json_int_t)mn, "max", (json_int_t)mx,
			 "values", vals);
}

static int finish(json_t *doc, const char *out, const char *status, const char *reason, int rc)
{
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "reason", reason ? json_string(reason) : json_null());
	if (out ? json_dump_file(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER) :
		  json_dumpf(doc, stdout, JSON_INDENT(1) | JSON_PRESERVE_ORDER)) {
		fprintf(stderr, "%s: cannot write %s\n", prog, out ? out : "stdout");
		return 1;
	}
	if (!out)
		putchar('\n');
	if (reason)
		fprintf(stderr, "%s: %s: %s\n", prog, status, reason);
	json_decref(doc);
	return rc;
}

int main(int argc, char **argv)
{
	const char *test = NULL, *strategy = NULL, *out = NULL;
	char *targv[MAX_ARGS + 2], old[32] = "", why[256], section[64] = "", *line = NULL;
	char reason[512], compat[128];
	const struct s2wl_spec *spec = s2wl_spec_find("s2_upstream");
	const struct upstream_test *t = NULL;
	bool quiet = false, set = false;
	uint64_t v;
	size_t cap = 0, i, ntargs = 0;
	json_t *doc, *args, *unread, *figs, *tail;
	int fd[2], status, rc;
	pid_t pid;
	FILE *in;

	prog = argv[0] && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0] ? argv[0] : prog;
	for (int a = 1; a < argc; a++) {
		const char *o = argv[a];

		if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(o, "-q")) {
			quiet = true;
			continue;
		}
		if (!strcmp(o, "-t") || !strcmp(o, "-S") || !strcmp(o, "-o")) {
			if (a + 1 >= argc)
				s2_bad_arg(prog, "%s needs a value", o);
			if (o[1] == 't')
				test = argv[++a];
			else if (o[1] == 'S')
				strategy = argv[++a];
			else
				out = argv[++a];
			continue;
		}
		if (ntargs == MAX_ARGS)
			s2_bad_arg(prog, "more than %d options for the test", MAX_ARGS);
		targv[1 + ntargs++] = argv[a];
	}
	if (!test)
		s2_bad_arg(prog, "-t TEST is required");
	/* -t and -S as the spec has them (common/s2workloads.def), as a plan's are checked */
	if (s2wl_opt_check(s2wl_spec_opt(spec, 't'), test, &v, reason, sizeof(reason)))
		s2_bad_arg(prog, "%s", reason);
	t = &tests[v];
	if (strategy &&
	    s2wl_opt_check(s2wl_spec_opt(spec, 'S'), strategy, &v, reason, sizeof(reason)))
		s2_bad_arg(prog, "%s", reason);
	if (strategy && !strcmp(strategy, S2_STRATEGY_UPSTREAM))
		strategy = NULL;
	/*
	 * Upstream's tests run every guest mode the CPU has unless told one
	 * (13 on QEMU's max): one mode, as the suite's own workloads run one.
	 * P48V48_4K (-m 3): 48-bit IPA, 4 KiB pages, what Graviton and Altra
	 * hosts offer. memslot_perf_test has no modes.
	 */
	if (strcmp(test, "memslot_perf_test")) {
		bool has_m = false;

		for (i = 0; i < ntargs; i++)
			has_m |= !strcmp(targv[1 + i], "-m");
		if (!has_m && ntargs + 2 <= MAX_ARGS) {
			targv[1 + ntargs++] = "-m";
			targv[1 + ntargs++] = "3";
		}
	}
	targv[0] = (char *)test;
	targv[1 + ntargs] = NULL;

	args = json_array();
	for (i = 0; i < ntargs; i++)
		json_array_append_new(args, json_string(targv[1 + i]));
	doc = json_pack("{s:s, s:s, s:n, s:n, s:s, s:{s:s, s:o}}", "schema", SCHEMA,
			"workload", "upstream", "status", "reason", "clock", s2_clock(),
			"params", "test", test, "args", args);
	json_object_set_new(doc, "strategy", json_pack("{s:o, s:o}", "requested",
		strategy ? json_string(strategy) : json_null(), "in_force",
		strategy ? json_string(strategy) :
		s2_junavail("not selected: the kernel's own (the test's VMs are not this "
			    "process's to ask)")));

	/* The parameter is global: set for the test's VMs, then restored. */
	if (strategy) {
		s2_get_strategy(old, sizeof(old));
		if (s2_set_strategy(strategy, why, sizeof(why))) {
			snprintf(reason, sizeof(reason), "cannot select stage-2 strategy '%s': %s",
				 strategy, why);
			return finish(doc, out, "skipped", reason, 4);
		}
		set = true;
	}

	if (pipe(fd)) {
		snprintf(reason, sizeof(reason), "pipe: %s", strerror(errno));
		return finish(doc, out, "failed", reason, 1);
	}
	pid = fork();
	if (pid < 0) {
		snprintf(reason, sizeof(reason), "fork: %s", strerror(errno));
		return finish(doc, out, "failed", reason, 1);
	}
	if (!pid) {
		dup2(fd[1], 1);
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		/*
		 * NAME.s2compat first: the test relinked with s2compat
		 * (guests/Makefile), which runs the 6.12 framework on a
		 * kernel before v6.8 too; the plain build where it is absent.
		 */
		snprintf(compat, sizeof(compat), "%s.s2compat", test);
		execvp(compat, targv);
		execvp(test, targv);
		fprintf(stderr, "%s: cannot run %s: %s\n", prog, test, strerror(errno));
		_exit(127);
	}
	close(fd[1]);
	in = fdopen(fd[0], "r");
	unread = json_array();
	tail = json_array();
	while (in && getline(&line, &cap, in) > 0) {
		if (!quiet)
			fputs(line, stderr);
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "s2compat: ", 10)) {
			json_object_set_new(doc, "system", json_pack("{s:s}", "kvm_compat", line + 10));
			continue;
		}
		json_array_append_new(tail, json_string(line));
		if (json_array_size(tail) > 20)
			json_array_remove(tail, 0);
		parse_line(line, section, sizeof(section), unread);
	}
	free(line);
	if (in)
		fclose(in);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (set && old[0] && s2_set_strategy(old, why, sizeof(why)))
		fprintf(stderr, "%s: warning: could not restore kvm.stage2_strategy=%s: %s\n", prog,
			old, why);

	figs = json_object();
	for (i = 0; i < nfigures; i++)
		json_object_set_new(figs, figures[i].key, series(&figures[i]));
	json_object_set_new(doc, "upstream", json_pack("{s:s, s:i, s:o, s:o, s:o}", "test", test,
		"exit", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		"figures", figs, "unread_lines", unread, "output_tail", tail));

	if (WIFEXITED(status) && WEXITSTATUS(status) == 4) {
		snprintf(reason, sizeof(reason), "%s skipped: %s", test,
			 json_array_size(tail) ? json_string_value(json_array_get(tail,
				json_array_size(tail) - 1)) : "(no output)");
		return finish(doc, out, "skipped", reason, 4);
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		snprintf(reason, sizeof(reason), "%s %s %d (its last lines are in upstream.output_tail)",
			 test, WIFEXITED(status) ? "exited" : "was killed by signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return finish(doc, out, "failed", reason, 1);
	}
	for (i = 0; i < sizeof(t->required) / sizeof(t->required[0]) && t->required[i]; i++) {
		size_t k;

		for (k = 0; k < nfigures; k++)
			if (!strcmp(figures[k].key, t->required[i]))
				break;
		if (k == nfigures) {
			snprintf(reason, sizeof(reason), "could not read %s's output: no figure '%s' "
				 "(a line like \"<label>: <seconds>.<9 digits>s\"; its last lines "
				 "are in upstream.output_tail)", test, t->required[i]);
			return finish(doc, out, "failed", reason, 1);
		}
	}
	rc = finish(doc, out, "ok", NULL, 0);
	return rc;
}
