// SPDX-License-Identifier: GPL-2.0
/*
 * Command lines of programs whose option parsing cannot be called on its
 * own (it sits in main() or in a static function next to code that needs
 * KVM or BPF): the real binary is run with the input's arguments, one per
 * line, and must either reject them with exit status 2 and exactly one
 * line on stderr, or accept them; never die by a signal or hang.
 *
 * Accepted arguments must not start anything: the program runs as nobody
 * (no /dev/kvm, no BPF), with PATH unset, in an empty directory, and an
 * input with a '/' in any word is skipped, so that no command after `--`
 * and no -o can reach a file outside that directory.
 *
 * The program is chosen at build time (ARGV_TARGET) and found in
 * $S2FUZZ_BIN. The child's exit status and its message, with quoted
 * arguments blanked out, feed libFuzzer's extra counters: a new kind of
 * answer counts as new coverage, as it would if the program were
 * instrumented.
 */
#include "fuzz_common.h"

#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define MAX_ARGS 32
#define CHILD_TIMEOUT_MS 10000

#define ARGV_S2COLLECT 1
#define ARGV_SECURITY 2
#define ARGV_WORKLOADS 3
#define ARGV_S2TOP 4

#if ARGV_TARGET == ARGV_S2COLLECT
#define NAME "s2collect"
#elif ARGV_TARGET == ARGV_SECURITY
#define NAME "s2_security_test"
#elif ARGV_TARGET == ARGV_WORKLOADS
#define NAME "workloads"
/* The first line picks the workload: one of the spec's (common/s2workloads.def). */
static const char *const workloads[] = {
#define S2WL_WORKLOAD(name, ...) #name,
#include "s2workloads.def"
};
#elif ARGV_TARGET == ARGV_S2TOP
#define NAME "s2top"
#else
#error "ARGV_TARGET must be ARGV_S2COLLECT, ARGV_SECURITY, ARGV_WORKLOADS or ARGV_S2TOP"
#endif

__attribute__((section("__libfuzzer_extra_counters"))) static uint8_t answers[4096];

static uid_t run_uid;
static gid_t run_gid;
static bool drop;

static void setup(void)
{
	struct passwd *pw;

	if (geteuid())
		return;
	pw = getpwnam("nobody");
	if (!pw)
		fuzz_die("fuzz_argv: running as root, but there is no user nobody to run as\n");
	run_uid = pw->pw_uid;
	run_gid = pw->pw_gid;
	drop = true;
	chmod(fuzz_dir, 0777);
}

/* FNV-1a over the status and the message with '...' and "..." blanked. */
static uint32_t answer_hash(int status, const char *err)
{
	uint32_t h = 2166136261u ^ (uint32_t)status;
	char quote = 0;

	for (const char *p = err; *p && p - err < 160; p++) {
		if (quote) {
			if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"')
			quote = *p;
		h = (h ^ (uint8_t)*p) * 16777619u;
	}
	return h;
}

static void child(const char *bin, char **argv, int errfd)
{
	int null = open("/dev/null", O_RDWR);
	struct rlimit rl = { 1ul << 30, 1ul << 30 };

	if (chdir(fuzz_dir))
		_exit(120);
	dup2(null, 0);
	dup2(null, 1);
	dup2(errfd, 2);
	setrlimit(RLIMIT_AS, &rl);
	if (drop && (setgroups(0, NULL) || setgid(run_gid) || setuid(run_uid)))
		_exit(121);
	/* no PATH: no command after --, and no addr2line for a failed assertion (slow) */
	execve(bin, argv, (char *[]){ "LC_ALL=C", "PATH=/nonexistent", NULL });
	_exit(122);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[MAX_ARGS + 2], *words, bin[4096], errbuf[8192];
	const char *dir = getenv("S2FUZZ_BIN");
	struct pollfd pfd;
	int status;
	pid_t pid;
	ssize_t n;

	fuzz_setup("argv-" NAME);
	if (!drop && !geteuid())
		setup();
	if (!dir || !*dir)
		fuzz_die("fuzz_argv: set S2FUZZ_BIN to the directory with %s\n", NAME);
	fuzz_clean();
	if (memchr(data, '/', size) || memchr(data, 0, size))
		return -1;
#if ARGV_TARGET == ARGV_WORKLOADS
	{
		int argc = fuzz_words(data, size, argv, 0, MAX_ARGS + 1, &words);
		size_t i;

		for (i = 0; argc && i < sizeof(workloads) / sizeof(workloads[0]); i++)
			if (!strcmp(argv[0], workloads[i]))
				break;
		if (!argc || i == sizeof(workloads) / sizeof(workloads[0])) {
			free(words);
			return -1;
		}
		snprintf(bin, sizeof(bin), "%s/%s", dir, argv[0]);
	}
#else
	argv[0] = NAME;
	fuzz_words(data, size, argv, 1, MAX_ARGS + 1, &words);
	snprintf(bin, sizeof(bin), "%s/%s", dir, NAME);
#endif
	if (access(bin, X_OK)) {
		/* a workload this build does not have yet */
		if (ARGV_TARGET == ARGV_WORKLOADS && errno == ENOENT) {
			free(words);
			return -1;
		}
		fuzz_die("fuzz_argv: %s: %s\n", bin, strerror(errno));
	}

	/* the child writes through the same file offset: rewind it too */
	ftruncate(fuzz_cap_fd, 0);
	lseek(fuzz_cap_fd, 0, SEEK_SET);
	pid = fork();
	if (pid < 0)
		fuzz_die("fork: %s\n", strerror(errno));
	if (pid == 0)
		child(bin, argv, fuzz_cap_fd);
	/* A pidfd turns "exited or timed out" into one poll(). */
	pfd.fd = syscall(SYS_pidfd_open, pid, 0);
	pfd.events = POLLIN;
	if (pfd.fd < 0)
		fuzz_die("pidfd_open: %s\n", strerror(errno));
	if (poll(&pfd, 1, CHILD_TIMEOUT_MS) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(pfd.fd);
		fuzz_die("%s: still running after %d s (a hang, or it started work: the "
			 "arguments were accepted)\n", NAME, CHILD_TIMEOUT_MS / 1000);
	}
	close(pfd.fd);
	waitpid(pid, &status, 0);
	n = pread(fuzz_cap_fd, errbuf, sizeof(errbuf) - 1, 0);
	errbuf[n > 0 ? n : 0] = 0;
	if (WIFSIGNALED(status))
		fuzz_die("%s: killed by signal %d (%s)\nstderr:\n%s\n", NAME, WTERMSIG(status),
			 strsignal(WTERMSIG(status)), errbuf);
	status = WEXITSTATUS(status);
	if (status >= 120 && status <= 122)
		fuzz_die("fuzz_argv: could not start %s as nobody (%d)\n", bin, status);
	answers[answer_hash(status, errbuf) % sizeof(answers)] = 1;
	if (status == 2 && (fuzz_lines(errbuf) != 1 || errbuf[strlen(errbuf) - 1] != '\n'))
		fuzz_die("%s: status 2 with %zu lines on stderr (want exactly one):\n%s\n", NAME,
			 fuzz_lines(errbuf), errbuf);
	free(words);
	return 0;
}
