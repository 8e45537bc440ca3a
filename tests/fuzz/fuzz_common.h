/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the s2perf fuzz harnesses share: inputs cut into files, a scratch
 * directory that each run starts empty, and a call of the real subcommand
 * with its stderr captured, so that the harness itself checks the tools'
 * promise: a rejected input is exit status 2 and exactly one line on stderr.
 *
 * Sanitizer reports are sent to a copy of the original stderr (they would
 * otherwise vanish into the capture), and what the subcommand had printed
 * so far is replayed there before the process dies.
 */
#ifndef S2PERF_FUZZ_COMMON_H
#define S2PERF_FUZZ_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sections of one input are separated by this byte (ASCII record separator). */
#define FUZZ_SEP '\x1e'
#define FUZZ_MAX_SECTIONS 16

void __sanitizer_set_report_fd(void *fd);
void __sanitizer_set_death_callback(void (*cb)(void));

struct fuzz_section {
	const uint8_t *p;
	size_t n;
};

static int fuzz_err_fd = -1;	/* the real stderr */
static int fuzz_cap_fd = -1;	/* memfd that stands in for fd 2 during a call */
static char fuzz_dir[256];	/* this process's scratch directory */
static bool fuzz_keep;		/* S2FUZZ_DIR(S): keep the files, record the calls */
static char fuzz_dirs[200];	/* S2FUZZ_DIRS: each input's files in a directory of its own */
static unsigned int fuzz_ninputs;	/* with S2FUZZ_DIRS: inputs so far */
static unsigned int fuzz_ncalls;	/* calls recorded (S2FUZZ_DIRS: for this input) */

static inline void fuzz_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static inline void fuzz_die(const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	if (write(fuzz_err_fd >= 0 ? fuzz_err_fd : 2, buf, n) < 0)
		_exit(99);
	abort();
}

/* What the subcommand had written to its stderr when the process died. */
static inline void fuzz_replay_capture(void)
{
	char buf[4096];
	ssize_t n;

	if (fuzz_cap_fd < 0 || fuzz_err_fd < 0)
		return;
	if (write(fuzz_err_fd, "--- the tool's stderr so far:\n", 30) < 0)
		return;
	lseek(fuzz_cap_fd, 0, SEEK_SET);
	while ((n = read(fuzz_cap_fd, buf, sizeof(buf))) > 0)
		if (write(fuzz_err_fd, buf, n) < 0)
			return;
}

static inline int fuzz_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level > 0)
		remove(path);
	return 0;
}

/*
 * Empty the scratch directory (it stays). Every harness calls it first for
 * every input, so with S2FUZZ_DIRS it starts the next input's directory,
 * S2FUZZ_DIRS/N for the Nth input.
 */
static inline void fuzz_clean(void)
{
	if (fuzz_dirs[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/%u", fuzz_dirs, ++fuzz_ninputs);
		if (mkdir(fuzz_dir, 0755) && errno != EEXIST)
			fuzz_die("%s: %s\n", fuzz_dir, strerror(errno));
		fuzz_ncalls = 0;
	}
	nftw(fuzz_dir, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove fuzz_dir/@rel and what is under it. */
static inline void fuzz_rmtree(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, rel);
	nftw(path, fuzz_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	rmdir(path);
}

static void fuzz_remove_dir(void)
{
	fuzz_clean();
	rmdir(fuzz_dir);
}

/* abort() in the code under test: show what it printed, then libFuzzer's handler. */
static struct sigaction fuzz_old_abrt;

static void fuzz_on_abort(int sig)
{
	fuzz_replay_capture();
	sigaction(SIGABRT, &fuzz_old_abrt, NULL);
	raise(sig);
}

/*
 * Once per process: the scratch directory, stdout to /dev/null (the tools'
 * summaries are not what is checked), sanitizer reports to the real stderr.
 */
static inline void fuzz_setup(const char *name)
{
	const char *tmp = getenv("TMPDIR"), *keep = getenv("S2FUZZ_DIR"), *dirs = getenv("S2FUZZ_DIRS");
	int null;

	if (fuzz_err_fd >= 0)
		return;
	fuzz_err_fd = dup(2);
	__sanitizer_set_report_fd((void *)(intptr_t)fuzz_err_fd);
	__sanitizer_set_death_callback(fuzz_replay_capture);
	fuzz_cap_fd = memfd_create("fuzz-stderr", 0);
	if (fuzz_cap_fd < 0)
		fuzz_die("memfd_create: %s\n", strerror(errno));
	if (dirs && *dirs) {
		/*
		 * S2FUZZ_DIRS: several inputs in one process (tests/t-fuzz.sh), the
		 * files and calls of the Nth in S2FUZZ_DIRS/N.
		 */
		snprintf(fuzz_dirs, sizeof(fuzz_dirs), "%s", dirs);
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s", dirs);
		fuzz_keep = true;
		if (mkdir(fuzz_dirs, 0755) && errno != EEXIST)
			fuzz_die("%s: %s\n", fuzz_dirs, strerror(errno));
	} else if (keep && *keep) {
		/* S2FUZZ_DIR: the files of the last input stay there. */
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s", keep);
		fuzz_keep = true;
		if (mkdir(fuzz_dir, 0755) && errno != EEXIST)
			fuzz_die("%s: %s\n", fuzz_dir, strerror(errno));
	} else {
		/* Each run writes and removes files: tmpfs is ten times faster than a disk. */
		if (!tmp || !*tmp)
			tmp = access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm";
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/s2fuzz-%s-XXXXXX", tmp, name);
		if (!mkdtemp(fuzz_dir))
			fuzz_die("mkdtemp %s: %s\n", fuzz_dir, strerror(errno));
		atexit(fuzz_remove_dir);
	}
	null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, 1);
		close(null);
	}
}

/* Cut @data at FUZZ_SEP into at most @max sections (the last takes the rest). */
static inline size_t fuzz_split(const uint8_t *data, size_t size, struct fuzz_section *s, size_t max)
{
	size_t n = 0, start = 0, i;

	for (i = 0; i < size && n + 1 < max; i++)
		if (data[i] == FUZZ_SEP) {
			s[n++] = (struct fuzz_section){ data + start, i - start };
			start = i + 1;
		}
	s[n++] = (struct fuzz_section){ data + start, size - start };
	for (i = n; i < max; i++)
		s[i] = (struct fuzz_section){ NULL, 0 };
	return n;
}

/* Write @len bytes to fuzz_dir/@rel (directories on the way are made). */
static inline void fuzz_write(const char *rel, const void *buf, size_t len)
{
	char path[512], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", fuzz_dir, rel);
	for (slash = strchr(path + strlen(fuzz_dir) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		fuzz_die("%s: %s\n", path, strerror(errno));
	if (len && write(fd, buf, len) != (ssize_t)len)
		fuzz_die("%s: short write\n", path);
	close(fd);
}

static inline void fuzz_write_section(const char *rel, const struct fuzz_section *s)
{
	fuzz_write(rel, s->p ? (const void *)s->p : "", s->n);
}

/*
 * Run @fn(argc, argv) with fd 2 captured. Returns its status; *@err gets a
 * NUL-terminated copy of what it wrote on stderr (static buffer).
 */
static inline int fuzz_call(int (*fn)(int, char **), int argc, char **argv, const char **err)
{
	static char buf[65536];
	ssize_t n;
	int rc;

	if (fuzz_keep) {
		/* For a replay with the real tool: s2bench $(cat N) (NUL-separated). */
		char name[64];
		FILE *f;

		snprintf(name, sizeof(name), ".calls/%u", ++fuzz_ncalls);
		fuzz_write(name, "", 0);
		snprintf(buf, sizeof(buf), "%s/%s", fuzz_dir, name);
		f = fopen(buf, "w");
		for (int i = 0; f && i < argc; i++)
			fwrite(argv[i], 1, strlen(argv[i]) + 1, f);
		if (f)
			fclose(f);
	}

	/*
	 * A process parses its command line once; the harness calls many. A
	 * getopt left in the middle of "-abc" keeps a pointer into the last
	 * input's (freed) words unless it is reset in full (glibc: optind 0).
	 */
	/* after libFuzzer's own handler is in place (it would not replace ours) */
	if (!fuzz_old_abrt.sa_handler)
		sigaction(SIGABRT, &(struct sigaction){ .sa_handler = fuzz_on_abort }, &fuzz_old_abrt);
	optind = 0;
	getopt(1, (char *[]){ "reset", NULL }, "");
	optind = 1;
	fflush(stderr);
	ftruncate(fuzz_cap_fd, 0);
	lseek(fuzz_cap_fd, 0, SEEK_SET);
	dup2(fuzz_cap_fd, 2);
	rc = fn(argc, argv);
	fflush(stderr);
	fflush(stdout);
	dup2(fuzz_err_fd, 2);
	if (fuzz_keep) {
		char name[64], num[16];

		snprintf(name, sizeof(name), ".calls/%u.status", fuzz_ncalls);
		snprintf(num, sizeof(num), "%d\n", rc);
		fuzz_write(name, num, strlen(num));
	}
	n = pread(fuzz_cap_fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	*err = buf;
	return rc;
}

/*
 * Append the input's lines, one word each, to @argv (which holds @argc
 * words already), at most up to @max words; an empty last line ends it.
 * The words point into *@words, which the caller frees. Returns argc.
 */
static inline int fuzz_words(const uint8_t *data, size_t size, char **argv, int argc, int max,
			     char **words)
{
	char *w, *nl;

	*words = strndup((const char *)data, size);
	for (w = *words; w && argc < max; w = nl) {
		nl = strchr(w, '\n');
		if (nl)
			*nl++ = 0;
		else if (!*w)
			break;
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	return argc;
}

static inline size_t fuzz_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * The tools' promise for bad input: status 2 and one line on stderr, which
 * names what is wrong (so it is not empty either).
 */
static inline void fuzz_check_status(const char *what, int rc, const char *err, int ok_max)
{
	size_t len = strlen(err);

	if (rc == 2) {
		if (fuzz_lines(err) != 1 || len < 2 || err[len - 1] != '\n')
			fuzz_die("%s: status 2 with %zu lines on stderr (want exactly one):\n%s\n",
				 what, fuzz_lines(err), err);
		return;
	}
	if (rc < 0 || rc > ok_max)
		fuzz_die("%s: status %d (want 0..%d or 2):\n%s\n", what, rc, ok_max, err);
}

#endif
