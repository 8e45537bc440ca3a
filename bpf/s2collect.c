// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect: stage-2 MMU metrics of one KVM process (fault counts and
 * latency, mmu_lock contention, TLBI, CMO, dirty-log cost, userspace exits)
 * and the probes' own overhead, as one JSON document and a readable summary.
 *
 * Two tiers. By default, counts and fault latency come from the kernel's
 * own stage-2 statistics (KVM binary stats, read through the VM's and
 * vCPUs' fds taken from the process with pidfd_getfd()), and BPF only
 * watches what statistics cannot tell: this VM's mmu_lock contention,
 * dirty-log ioctl time, userspace exits. With --faults, one event per
 * fault adds the per-kind, per-path and per-pass detail. A kernel without
 * the statistics gets the probes in both tiers, and the document says so.
 *
 * What the running kernel cannot tell is reported as unavailable, with the
 * reason, and never as zero: each tracepoint is attached only if it exists,
 * and after the run a canary (kvm:kvm_exit) shows whether KVM emits its
 * in-kernel events on this host at all.
 *
 * This file is the loader (options, tiers, attach, the watched VMs);
 * s2collect_doc.c builds the document and s2collect_print.c writes the
 * summary from the document alone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "s2_helpers.h"
#include "s2collect.h"
#include "s2collect.skel.h"
#include "s2collect_print.h"
#include "s2collect_doc.h"
#include "s2_kvm_cmds.h"

struct env env;

static volatile sig_atomic_t exiting;

/* ---- the probes and what decides whether each is attached ---- */

struct probe probes[NR_PROBES] = {
	[P_VM_INIT]	 = { "kvm_s2", "kvm_s2_vm_init" },
	[P_VM_DESTROY]	 = { "kvm_s2", "kvm_s2_vm_destroy" },
	[P_FAULT_ENTER]	 = { "kvm_s2", "kvm_s2_fault_enter" },
	[P_FAULT_EXIT]	 = { "kvm_s2", "kvm_s2_fault_exit" },
	[P_FAULT_DONE]	 = { "kvm_s2", "kvm_s2_fault_exit" },	/* tp_btf: one event per fault */
	[P_TLBI]	 = { "kvm_s2", "kvm_s2_tlbi" },
	[P_CMO]		 = { "kvm_s2", "kvm_s2_cmo" },
	[P_GUEST_FAULT]	 = { "kvm", "kvm_guest_fault" },
	[P_ACCESS_FAULT] = { "kvm", "kvm_access_fault" },
	[P_PAGE_FAULT]	 = { "kvm", "kvm_page_fault" },
	[P_FAST_PF]	 = { "kvmmmu", "fast_page_fault" },
	[P_KVM_EXIT]	 = { "kvm", "kvm_exit" },
	[P_UEXIT]	 = { "kvm", "kvm_userspace_exit" },
	[P_RING_PUSH]	 = { "kvm", "kvm_dirty_ring_push" },
	[P_LOCK_BEGIN]	 = { "lock", "contention_begin" },
	[P_LOCK_END]	 = { "lock", "contention_end" },
	[P_IOCTL_ENTER]	 = { "syscalls", "sys_enter_ioctl" },
	[P_IOCTL_EXIT]	 = { "syscalls", "sys_exit_ioctl" },
};

const char *tracefs;

static bool event_exists(const char *sys, const char *event)
{
	return s2_event_exists(sys, event);
}

/*
 * kvmmmu:fast_page_fault prints "fixed %d" from REC->ret == RET_PF_FIXED,
 * whose value changes between kernels: take it from the format.
 */
static int fast_pf_fixed_value(void)
{
	char path[256], buf[8192], *p, *last = NULL;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/kvmmmu/fast_page_fault/format", tracefs);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	if (!strstr(buf, "fixed %d"))
		return -1;
	for (p = buf; (p = strstr(p, "REC->ret == ")); p++)
		last = p;
	return last ? atoi(last + strlen("REC->ret == ")) : -1;
}

/* Whether struct kvm is in BTF, so that a VM's mmu_lock can be derived. */
static bool kvm_btf_present(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mod;
	bool found = false;

	if (!vmlinux)
		return false;
	if (btf__find_by_name_kind(vmlinux, "kvm", BTF_KIND_STRUCT) > 0) {
		found = true;
	} else {
		mod = btf__load_module_btf("kvm", vmlinux);
		if (mod) {
			found = btf__find_by_name_kind(mod, "kvm", BTF_KIND_STRUCT) > 0;
			btf__free(mod);
		}
	}
	btf__free(vmlinux);
	return found;
}

/* ---- options ---- */

static const char usage[] =
"usage: s2collect [OPTIONS] (-p PID | -a | -- COMMAND [ARGS...])\n"
"Stage-2 MMU metrics of one KVM process: fault counts and latency, mmu_lock\n"
"contention, TLBI and CMO counts, dirty-log cost, userspace exits, and the\n"
"probes' own cost. By default counts and fault latency come from the kernel's\n"
"stage-2 binary stats (nearly free) and BPF watches only mmu_lock waits, the\n"
"dirty-log ioctls and userspace exits; where the kernel has no such stats,\n"
"the fault probes are used instead and the summary and document say so.\n"
"\n"
"  -F, --faults         the detail tier: one event per fault, for latency by\n"
"                       kind and path (log-linear, quantiles within 6.25%),\n"
"                       per-vCPU and per-pass fault counts, dirty-ring pushes\n"
"  -T, --tlbi           with --faults: TLBIs and CMOs per event too (whether\n"
"                       under mmu_lock, bytes); else they are counted from the stats\n"
"  -p, --pid PID        watch the running process PID\n"
"  -f, --vm-fd FD       with -p: only the VM that is fd FD of PID (needs the s2perf\n"
"                       kernel's debugfs; exits and CMOs stay per process)\n"
"  -a, --all            watch every KVM process (no filter)\n"
"  -- COMMAND ARGS      run COMMAND, held until every probe is attached, and\n"
"                       watch it; s2collect exits with its status\n"
"  -o, --output FILE    write the JSON document (" SCHEMA ") to FILE\n"
"                       (default: none; - for stdout, then no summary)\n"
"      --interval SECS  print a summary every SECS, cumulative (default: 0, only at the end)\n"
"  -d, --duration SECS  stop after SECS (default: 0, when the process exits or on SIGINT/SIGTERM)\n"
"      --verbose        libbpf debug output on stderr\n"
"  -h, --help           this help\n";

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "vm-fd", required_argument, NULL, 'f' },
	{ "all", no_argument, NULL, 'a' },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, S2_OPT_INTERVAL },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, S2_OPT_VERBOSE },
	{ "faults", no_argument, NULL, 'F' },
	{ "tlbi", no_argument, NULL, 'T' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define bad_args(...) s2_bad_args("s2collect", __VA_ARGS__)

static double parse_secs(const char *s, const char *opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0)
		bad_args("%s: '%s' is not a number of seconds", opt, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	long pid;
	char *end;
	int c;

	opterr = 0;
	/* '+': stop at the first non-option, so COMMAND's own flags stay its own */
	while ((c = getopt_long(argc, argv, "+:p:f:ao:id:vFTh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || pid <= 0)
				bad_args("-p: '%s' is not a process id", optarg);
			env.pid = pid;
			break;
		case 'f':
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (errno || *end || pid < 0 || pid > INT_MAX)
				bad_args("-f: '%s' is not a file descriptor", optarg);
			env.vmfd = pid;
			break;
		case 'a': env.all = true; break;
		case 'o': env.output = optarg; break;
		case S2_OPT_INTERVAL: env.interval = parse_secs(optarg, "--interval"); break;
		case 'i': bad_args(S2_INTERVAL_IS_LONG);
		case 'd': env.duration = parse_secs(optarg, "-d"); break;
		case S2_OPT_VERBOSE: env.verbose = true; break;
		case 'v': bad_args(S2_VERBOSE_IS_LONG);
		case 'F': env.faults = true; break;
		case 'T': env.tlbi_events = true; break;
		case 'h': fputs(usage, stdout); exit(0);
		case ':':
			if (optopt == S2_OPT_INTERVAL)
				bad_args("--interval needs an argument");
			bad_args("-%c needs an argument", optopt);
		default: bad_args("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--"))
			bad_args("unexpected argument '%s' (a command goes after --)", argv[optind]);
		env.cmd = &argv[optind];
	}
	if (!!env.pid + env.all + !!env.cmd != 1)
		bad_args("need exactly one of -p PID, -a, -- COMMAND");
	if (env.pid && kill(env.pid, 0) && errno == ESRCH)
		bad_args("-p: no process %d", env.pid);
	if (env.vmfd >= 0 && (!env.pid || env.cmd))
		bad_args("-f needs -p PID (the process whose fd it is)");
	if (env.tlbi_events && !env.faults)
		bad_args("--tlbi needs --faults (by default TLBIs are counted from the stats)");
}

/* ---- the command, held on a pipe until the probes are attached ---- */

static int go_fd = -1;

static pid_t start_held(char **cmd)
{
	int fds[2];
	pid_t pid;
	char c;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[1]);
		/* EOF without a byte: the collector failed, do not run */
		if (read(fds[0], &c, 1) != 1)
			_exit(127);
		execvp(cmd[0], cmd);
		fprintf(stderr, "s2collect: cannot run %s: %s\n", cmd[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	go_fd = fds[1];
	return pid;
}

static int release_held(void)
{
	int ok = write(go_fd, "g", 1) == 1;

	close(go_fd);
	go_fd = -1;
	return ok ? 0 : -1;
}

/* ---- the binary stats of the watched processes ---- */

static int iter_fd = -1;	/* the kvm_stats iterator's link */
static int taken_fd = -1;	/* the BPF side's map of the VMs we hold */

/* Every record is a VM we hold: the BPF side must not count it as lost. */
static int stats_read(struct s2_stats_rec **recs)
{
	int n = s2_stats_read(iter_fd, recs), i;
	__u8 one = 1;

	for (i = 0; i < n; i++)
		if ((*recs)[i].kind == S2_REC_VM)
			bpf_map_update_elem(taken_fd, &(*recs)[i].kvm, &one, BPF_ANY);
	return n;
}

/* Adds the live watch @w's figures to @f (and takes its pending baselines). */
static void watch_collect(struct s2_watch *w, struct kfig *f)
{
	struct s2_stats_rec *recs;
	int n = stats_read(&recs);

	if (n < 0) {
		if (!f->error[0])
			snprintf(f->error, sizeof(f->error), "reading the kvm_stats iterator: %s",
				 strerror(errno));
		free(recs);
		return;
	}
	s2w_apply(w, recs, n, &f->sum, f->vcpu_faults, MAX_VCPUS);
	free(recs);
	f->taken += w->nent;
	if (w->most_vms > f->most_vms)
		f->most_vms = w->most_vms;
	f->missed += w->missed;
	if (!f->error[0] && w->error[0])
		snprintf(f->error, sizeof(f->error), "%s", w->error);
}

static void watch_add(struct state *s, pid_t pid, bool baseline)
{
	struct kfig scratch = {};
	struct watch *wa;
	int i;

	for (i = 0; i < s->nwatches; i++)
		if (s->watches[i].w.pid == pid && !s->watches[i].ended)
			return;
	if (s->nwatches == MAX_WATCHES) {
		s->ended.missed++;
		return;
	}
	wa = &s->watches[s->nwatches];
	if (s2w_open(&wa->w, pid, env.vmfd)) {
		if (!s->ended.error[0])
			snprintf(s->ended.error, sizeof(s->ended.error), "%s", wa->w.error);
		return;
	}
	wa->w.iter_fd = iter_fd;
	wa->ended = false;
	/* a baseline is what the stats stand at now */
	if (s2w_scan(&wa->w, baseline) && baseline)
		watch_collect(&wa->w, &scratch);
	s->nwatches++;
}

/* VMs or vCPUs the process has closed: keep their figures, let them go. */
static void watch_let_go(struct state *s, struct watch *wa)
{
	struct s2_stats_rec *recs;
	int n = stats_read(&recs);

	if (n >= 0) {
		s2w_apply_gone(&wa->w, recs, n, &s->ended.sum, s->ended.vcpu_faults, MAX_VCPUS);
		s->ended.taken += wa->w.ngone;
		s2w_drop_gone(&wa->w);
	}
	free(recs);
}

/* A process gone: keep its figures, let its VMs go. */
static void watch_end(struct state *s, struct watch *wa)
{
	watch_collect(&wa->w, &s->ended);
	s2w_close(&wa->w);
	wa->ended = true;
}

/* Take the fds of new VMs and vCPUs; with -a, of new processes too. */
static void watch_scan(struct state *s, bool new_pids)
{
	pid_t pids[MAX_WATCHES];
	int i, n;

	if (!s->kstats)
		return;
	if (env.all && new_pids) {
		n = s2_kvm_pids(pids, MAX_WATCHES);
		for (i = 0; i < n; i++)
			watch_add(s, pids[i], false);
	}
	for (i = 0; i < s->nwatches; i++) {
		struct watch *wa = &s->watches[i];

		if (wa->ended)
			continue;
		s2w_scan(&wa->w, false);
		if (wa->w.ngone)
			watch_let_go(s, wa);
		if (env.all && kill(wa->w.pid, 0) && errno == ESRCH)
			watch_end(s, wa);
	}
}

/* The figures now: the ended watches' and the live ones'. */
void kfig_now(const struct state *s, struct kfig *f)
{
	const struct s2collect_bpf__bss *b = s->bss;
	int i;

	*f = s->ended;
	/* the VMs that ended before we could take them, read at their end */
	for (i = 0; i < NR_VCPU_STATS; i++)
		f->sum.vcpu[i] += b->lost_vcpu[i];
	for (i = 0; i < S2_STATS_HIST; i++)
		f->sum.hist[i] += b->lost_hist[i];
	for (i = 0; i < NR_VM_STATS; i++)
		f->sum.vm[i] += b->lost_vm[i];
	f->sum.nvms += b->lost_vms;
	f->sum.nvcpus += b->lost_vcpus;
	for (i = 0; i < s->nwatches; i++)
		if (!s->watches[i].ended)
			watch_collect((struct s2_watch *)&s->watches[i].w, f);
}

/* Our own CPU time so far, user and system (not the command's: a child). */
static struct timeval own_cpu(void)
{
	struct rusage ru;
	struct timeval t = { 0, 0 };

	if (!getrusage(RUSAGE_SELF, &ru)) {
		t.tv_sec = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec;
		t.tv_usec = ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
	}
	return t;
}

static double now_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- main ---- */

/* The summary for people: from the document, as a reader of it would. */
static void summary(const struct state *s, double secs)
{
	json_t *doc = json_doc(s, secs);

	if (doc)
		s2collect_print(stdout, doc);
	json_decref(doc);
}

static void on_signal(int sig)
{
	exiting = 1;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !env.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Whether the watched process is gone; reaps our own child. */
static bool target_gone(struct state *s)
{
	int status;

	if (env.all)
		return false;
	if (env.cmd) {
		if (waitpid(env.pid, &status, WNOHANG) == env.pid) {
			s->child_status = status;
			return true;
		}
		return false;
	}
	return kill(env.pid, 0) && errno == ESRCH;
}

int main(int argc, char **argv)
{
	struct state s = { .child_status = -1, .fpf_fixed = -1, .own_cpu_ns = -1 };
	struct s2collect_bpf *skel = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_program *progs[NR_PROBES];
	struct bpf_link *iter_link = NULL;
	int err = 1, stats_fd = -1, nattached = 0, ticks, i;
	bool look_again = false;
	__u64 fds_seen = 0;
	double secs = 0, next_print;
	json_t *doc;

	env.vmfd = -1;
	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	tracefs = s2_tracefs();
	if (env.cmd) {
		env.pid = start_held(env.cmd);
		if (env.pid < 0) {
			fprintf(stderr, "failed to start %s: %s\n", env.cmd[0], strerror(errno));
			return 1;
		}
	}

	skel = s2collect_bpf__open();
	if (!skel) {
		fprintf(stderr, "failed to open BPF object: %s\n", strerror(errno));
		goto cleanup;
	}
	s.skel = skel;
	skel->rodata->target_tgid = env.all ? 0 : env.pid;
	if (env.vmfd >= 0) {
		/* The VM's lock address names it; debugfs is where the kernel says it. */
		struct debugfs_vm one;

		if (s2_debugfs_vms(env.pid, env.vmfd, &one, 1) != 1) {
			fprintf(stderr, "s2collect: -f %d: no /sys/kernel/debug/kvm/%d-%d/mmu_lock "
				"(not a VM fd of %d, a kernel without the s2perf patches, or the "
				"address hidden from this user by kptr_restrict)\n",
				env.vmfd, env.pid, env.vmfd, env.pid);
			err = 2;
			goto cleanup;
		}
		skel->rodata->target_lock = one.lock;
		skel->rodata->target_vmfd = env.vmfd;
	}
	s2_set_kvm_cmds(skel);

	progs[P_VM_INIT] = skel->progs.s2_vm_init;
	progs[P_VM_DESTROY] = skel->progs.s2_vm_destroy;
	progs[P_FAULT_ENTER] = skel->progs.s2_fault_enter;
	progs[P_FAULT_EXIT] = skel->progs.s2_fault_exit;
	progs[P_FAULT_DONE] = skel->progs.s2_fault_done;
	progs[P_TLBI] = skel->progs.s2_tlbi;
	progs[P_CMO] = skel->progs.s2_cmo;
	progs[P_GUEST_FAULT] = skel->progs.arm64_guest_fault;
	progs[P_ACCESS_FAULT] = skel->progs.arm64_access_fault;
	progs[P_PAGE_FAULT] = skel->progs.x86_page_fault;
	progs[P_FAST_PF] = skel->progs.x86_fast_page_fault;
	progs[P_KVM_EXIT] = skel->progs.canary_kvm_exit;
	progs[P_UEXIT] = skel->progs.userspace_exit;
	progs[P_RING_PUSH] = skel->progs.dirty_ring_push;
	progs[P_LOCK_BEGIN] = skel->progs.lock_begin;
	progs[P_LOCK_END] = skel->progs.lock_end;
	progs[P_IOCTL_ENTER] = skel->progs.ioctl_enter;
	progs[P_IOCTL_EXIT] = skel->progs.ioctl_exit;

	for (i = 0; i < NR_PROBES; i++) {
		probes[i].prog = progs[i];
		probes[i].present = event_exists(probes[i].sys, probes[i].event);
	}
	/* The patched kernel's own fault events supersede the fallbacks. */
	s.have_s2 = probes[P_FAULT_ENTER].present && probes[P_FAULT_EXIT].present;

	/*
	 * The tier: the kernel's stats where it keeps them and we may take
	 * the process's fds (root, or its owner under a lax ptrace scope).
	 */
	{
		bool tp_btf;

		s.kstats = s2_kernel_has_stats(&tp_btf, &s.kstats_hyp, s.kstats_why,
					       sizeof(s.kstats_why));
		s.timing = s2_fault_timing();
		if (s.kstats && env.pid &&
		    !s2_can_getfd(env.pid, s.kstats_why, sizeof(s.kstats_why)))
			s.kstats = false;
		s.tier = env.faults ? TIER_DETAIL : s.kstats ? TIER_STATS : TIER_FALLBACK;
		if (!s.kstats)
			snprintf(s.one_event_why, sizeof(s.one_event_why), "%s", s.kstats_why);
		else if (!tp_btf)
			snprintf(s.one_event_why, sizeof(s.one_event_why), "kvm_s2_fault_exit "
				 "cannot be attached as a BTF tracepoint on this kernel");
		else if (s.timing != 1)
			snprintf(s.one_event_why, sizeof(s.one_event_why), "the kernel does not "
				 "time faults (kvm.stage2_fault_timing=N): timed between the "
				 "enter and exit events instead");
		s.one_event = s.tier == TIER_DETAIL && s.have_s2 && s.kstats && tp_btf &&
			      s.timing == 1;
		if (s.tier == TIER_DETAIL && !s.one_event)
			strncat(s.one_event_why, ": two events per fault (enter and exit)",
				sizeof(s.one_event_why) - strlen(s.one_event_why) - 1);
		s.fault_events = s.tier != TIER_STATS;
	}
	for (i = 0; i < NR_PROBES; i++) {
		bool fallback = i == P_GUEST_FAULT || i == P_ACCESS_FAULT ||
				i == P_PAGE_FAULT || i == P_FAST_PF;

		probes[i].wanted = probes[i].present && !(fallback && s.have_s2);
		/* a fault exit without its entry cannot be timed */
		if ((i == P_FAULT_ENTER || i == P_FAULT_EXIT) && (!s.have_s2 || s.one_event))
			probes[i].wanted = false;
		if (i == P_FAULT_DONE && !s.one_event)
			probes[i].wanted = false;
		/* what the stats count costs no event unless asked */
		if (s.tier == TIER_STATS && (fallback || i == P_FAULT_ENTER ||
		    i == P_FAULT_EXIT || i == P_RING_PUSH))
			probes[i].wanted = false;
		if ((i == P_TLBI || i == P_CMO) && s.kstats && !env.tlbi_events)
			probes[i].wanted = false;
		bpf_program__set_autoload(progs[i], probes[i].wanted);
	}
	/* every vCPU of a command is created under our eyes */
	skel->rodata->all_new = env.cmd != NULL;
	/* the stats are read by an iterator, which needs their fields in BTF */
	bpf_program__set_autoload(skel->progs.kvm_stats, s.kstats);
	skel->rodata->kstats = s.kstats;
	s.kvm_btf = kvm_btf_present();
	if (probes[P_FAST_PF].wanted)
		s.fpf_fixed = fast_pf_fixed_value();

	err = s2collect_bpf__load(skel);
	if (err) {
		fprintf(stderr, "failed to load BPF object: %s\n", strerror(-err));
		err = 1;
		goto cleanup;
	}
	s.bss = skel->bss;

	/* Per-fd and undone when the fd closes, so a crash leaves nothing on. */
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	s.stats_on = stats_fd >= 0;
	s.stats_errno = stats_fd < 0 ? errno : 0;

	/* A VM that runs already: its lock from debugfs (patched kernel). */
	if (env.pid && !env.cmd) {
		s.ndebugfs = s2_debugfs_vms(env.pid, env.vmfd, s.dvms, 16);
		for (i = 0; i < s.ndebugfs; i++) {
			__u64 lock = s.dvms[i].lock, kvm = 0;

			__u8 one = 1;

			bpf_map__update_elem(skel->maps.locks, &lock, sizeof(lock), &kvm,
					     sizeof(kvm), BPF_ANY);
			bpf_map__update_elem(skel->maps.locks_seen, &lock, sizeof(lock), &one,
					     sizeof(one), BPF_ANY);
		}
	}
	if (s.kstats) {
		/* over our own files only: the duplicates of the watched VMs' fds */
		union bpf_iter_link_info linfo = { .task.pid = getpid() };
		LIBBPF_OPTS(bpf_iter_attach_opts, iopts, .link_info = &linfo,
			    .link_info_len = sizeof(linfo));

		iter_link = bpf_program__attach_iter(skel->progs.kvm_stats, &iopts);
		if (!iter_link) {
			err = -errno;
			fprintf(stderr, "failed to attach the kvm_stats iterator: %s\n",
				strerror(-err));
			err = 1;
			goto cleanup;
		}
		iter_fd = bpf_link__fd(iter_link);
		taken_fd = bpf_map__fd(skel->maps.taken);
	}
	/* A command's stats count from its VMs' creation; a process's, from now. */
	if (s.kstats && env.cmd)
		watch_add(&s, env.pid, false);

	for (i = 0; i < NR_PROBES; i++) {
		if (!probes[i].wanted)
			continue;
		probes[i].link = bpf_program__attach(progs[i]);
		if (!probes[i].link) {
			err = -errno;
			fprintf(stderr, "failed to attach %s:%s: %s\n", probes[i].sys,
				probes[i].event, strerror(-err));
			err = 1;
			goto cleanup;
		}
		probes[i].attached = true;
		nattached++;
	}

	if (s.kstats && env.pid && !env.cmd)
		watch_add(&s, env.pid, true);
	if (s.kstats && env.all) {
		pid_t pids[MAX_WATCHES];
		int n = s2_kvm_pids(pids, MAX_WATCHES);

		for (i = 0; i < n; i++)
			watch_add(&s, pids[i], true);
	}

	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	s.cpu0 = own_cpu();
	if (env.cmd && release_held()) {
		fprintf(stderr, "failed to start %s: %s\n", env.cmd[0], strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (!env.output || strcmp(env.output, "-"))
		printf("s2collect: watching %s; %s tier: %s; %d probes attached%s\n",
		       env.all ? "all processes" : env.cmd ? env.cmd[0] : "the process",
		       tier_names[s.tier], s.tier == TIER_STATS ? "faults from the kernel's stats" :
		       s.tier == TIER_FALLBACK ? "faults from probes (no kernel stats)" :
		       s.one_event ? "one event per fault" : "two events per fault",
		       nattached, env.interval || env.duration || env.all ? "" :
		       "; ends with the process or on Ctrl-C");
	fflush(stdout);

	next_print = env.interval;
	for (ticks = 0; !exiting; ticks++) {
		struct timespec tick = { 0, 100 * 1000 * 1000 };
		__u64 fds_now;

		nanosleep(&tick, NULL);
		secs = now_since(&s.t0);
		/*
		 * A look at the process's fds takes CPU time from the VMM it
		 * watches (the target has few CPUs, and a wakeup under
		 * emulation is dear), so look when the BPF side saw a VM or
		 * vCPU made or destroyed (and once more after, for the fd
		 * installed after the event), and every second in case; new
		 * processes (-a) every 0.5 s. A VM that comes and goes in
		 * between is read by the BPF side as it ends.
		 */
		fds_now = s.bss->counts[C_KVM_FDS];
		if (fds_now != fds_seen || look_again || ticks % 10 == 0 ||
		    (env.all && ticks % 5 == 0)) {
			look_again = fds_now != fds_seen;
			fds_seen = fds_now;
			watch_scan(&s, env.all && ticks % 5 == 0);
		}
		/*
		 * The canary has answered once it fires, and it runs on every
		 * guest exit (~6 us each under emulation): detach it then.
		 */
		if (probes[P_KVM_EXIT].link && s.bss->counts[C_KVM_EXIT]) {
			bpf_link__destroy(probes[P_KVM_EXIT].link);
			probes[P_KVM_EXIT].link = NULL;
			s.canary_off = secs;
		}
		if (target_gone(&s))
			break;
		if (env.duration && secs >= env.duration)
			break;
		if (env.interval && secs >= next_print) {
			summary(&s, secs);
			next_print += env.interval;
		}
	}
	secs = now_since(&s.t0);
	{
		/* what watching cost us, loading and attaching not counted */
		struct timeval c1 = own_cpu();

		s.own_cpu_ns = (c1.tv_sec - s.cpu0.tv_sec) * 1e9 + (c1.tv_usec - s.cpu0.tv_usec) * 1e3;
	}

	/*
	 * Stop counting before reading, so that the document is consistent:
	 * in reverse, each exit event (fault, lock wait, ioctl) before its
	 * entry, so that no exit fires alone while the others are detached.
	 */
	for (i = NR_PROBES - 1; i >= 0; i--) {
		bpf_link__destroy(probes[i].link);
		probes[i].link = NULL;
	}
	/* Stopped by a signal or -d while the command runs: end it, keep its status. */
	if (env.cmd && s.child_status < 0) {
		kill(env.pid, SIGTERM);
		if (waitpid(env.pid, &s.child_status, 0) != env.pid)
			s.child_status = -1;
	}
	/* The stats as they stand now; the stats fds kept the VMs of the gone. */
	watch_scan(&s, false);
	for (i = 0; i < s.nwatches; i++)
		if (!s.watches[i].ended)
			watch_end(&s, &s.watches[i]);

	if (!env.output || strcmp(env.output, "-"))
		summary(&s, secs);
	if (env.output) {
		doc = json_doc(&s, secs);
		if (!doc || strcmp(env.output, "-") == 0 ? json_dumpf(doc, stdout, JSON_INDENT(2)) :
		    json_dump_file(doc, env.output, JSON_INDENT(2))) {
			fprintf(stderr, "failed to write %s: %s\n", env.output, strerror(errno));
			json_decref(doc);
			err = 1;
			goto cleanup;
		}
		if (strcmp(env.output, "-") == 0)
			putchar('\n');
		json_decref(doc);
	}
	err = 0;

cleanup:
	for (i = 0; i < NR_PROBES; i++)
		bpf_link__destroy(probes[i].link);
	for (i = 0; i < s.nwatches; i++)
		if (!s.watches[i].ended)
			s2w_close(&s.watches[i].w);
	bpf_link__destroy(iter_link);
	if (stats_fd >= 0)
		close(stats_fd);
	s2collect_bpf__destroy(skel);
	if (env.cmd && go_fd >= 0) {
		close(go_fd);	/* EOF before the go byte: the child exits 127 unrun */
		waitpid(env.pid, NULL, 0);
	}
	/* With a command, its status is ours (the JSON has it too). */
	if (!err && env.cmd && s.child_status >= 0)
		return WIFEXITED(s.child_status) ? WEXITSTATUS(s.child_status) :
		       128 + WTERMSIG(s.child_status);
	return err;
}
