// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect: stage-2 MMU metrics of one KVM process (fault latency,
 * mmu_lock contention, TLBI, CMO, dirty-log cost, userspace exits) and the
 * probes' own overhead, as one JSON document and a readable summary.
 *
 * What the running kernel cannot tell is reported as unavailable, with the
 * reason, and never as zero: each tracepoint is attached only if it exists,
 * and after the run a canary (kvm:kvm_exit) shows whether KVM emits its
 * in-kernel events on this host at all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <getopt.h>
#include <glob.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <linux/kvm.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "s2collect.h"
#include "s2collect.skel.h"

#define SCHEMA "s2perf.collector/1"

static struct env {
	pid_t pid;		/* -p, or the forked command */
	int vmfd;		/* -f: one VM of -p, by its fd in that process */
	bool all;
	char **cmd;		/* after -- */
	const char *output;
	double interval;
	double duration;
	bool verbose;
} env;

static volatile sig_atomic_t exiting;

static const char *const fault_kind_names[] = { "translation", "permission", "access", "mmio" };
static const char *const fault_path_names[] = { "slow", "fast", "retry" };
static const char *const tlbi_kind_names[] = { "vmid", "ipa", "ipa_local", "range" };
static const char *const cmo_kind_names[] = { "dcache", "icache" };
static const char *const lock_mode_names[] = { "read", "write" };
static const char *const dirty_ioctl_names[] = { "get_dirty_log", "clear_dirty_log", "reset_dirty_rings" };
static const char *const strategy_names[] = { "exclusive", "rwlock", "rcu", "fastpath" };
static const char *const source_names[] = { "?", "kvm_s2_vm_init", "kvm_s2_fault_exit", "ioctl", "debugfs" };

#define R(x) [KVM_EXIT_##x] = #x
static const char *const exit_names[] = {
	R(UNKNOWN), R(EXCEPTION), R(IO), R(HYPERCALL), R(DEBUG), R(HLT), R(MMIO),
	R(IRQ_WINDOW_OPEN), R(SHUTDOWN), R(FAIL_ENTRY), R(INTR), R(SET_TPR),
	R(TPR_ACCESS), R(S390_SIEIC), R(S390_RESET), R(DCR), R(NMI),
	R(INTERNAL_ERROR), R(OSI), R(PAPR_HCALL), R(S390_UCONTROL), R(WATCHDOG),
	R(S390_TSCH), R(EPR), R(SYSTEM_EVENT), R(S390_STSI), R(IOAPIC_EOI),
	R(HYPERV), R(ARM_NISV), R(X86_RDMSR), R(X86_WRMSR), R(DIRTY_RING_FULL),
	R(AP_RESET_HOLD), R(X86_BUS_LOCK), R(XEN), R(RISCV_SBI), R(RISCV_CSR),
	R(NOTIFY),
};
#undef R

/* ---- the probes and what decides whether each is attached ---- */

/* Each entry event before its exit: attached in this order, detached in reverse. */
enum probe_id {
	P_VM_INIT, P_VM_DESTROY, P_FAULT_ENTER, P_FAULT_EXIT, P_TLBI, P_CMO,
	P_GUEST_FAULT, P_ACCESS_FAULT, P_PAGE_FAULT, P_FAST_PF, P_KVM_EXIT,
	P_UEXIT, P_RING_PUSH, P_LOCK_BEGIN, P_LOCK_END, P_IOCTL_ENTER,
	P_IOCTL_EXIT, NR_PROBES,
};

struct probe {
	const char *sys, *event;
	struct bpf_program *prog;
	bool present;		/* the tracepoint exists on this kernel */
	bool wanted;		/* and we attach it (fallbacks only without kvm_s2) */
	bool attached;		/* stays true after detaching, for the report */
	struct bpf_link *link;
};

static struct probe probes[NR_PROBES] = {
	[P_VM_INIT]	 = { "kvm_s2", "kvm_s2_vm_init" },
	[P_VM_DESTROY]	 = { "kvm_s2", "kvm_s2_vm_destroy" },
	[P_FAULT_ENTER]	 = { "kvm_s2", "kvm_s2_fault_enter" },
	[P_FAULT_EXIT]	 = { "kvm_s2", "kvm_s2_fault_exit" },
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

static const char *tracefs;

static void find_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	char path[64];
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) == 0) {
			tracefs = dirs[i];
			return;
		}
	}
	/* Not mounted (a minimal system): as root we can mount it ourselves. */
	if (mount("nodev", dirs[0], "tracefs", 0, NULL) == 0)
		tracefs = dirs[0];
}

static bool event_exists(const char *sys, const char *event)
{
	char path[256];

	if (!tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, sys, event);
	return access(path, F_OK) == 0;
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
"Stage-2 MMU metrics of one KVM process: fault latency, mmu_lock contention,\n"
"TLBI and CMO counts, dirty-log cost, userspace exits, and the probes' own cost.\n"
"\n"
"  -p, --pid PID        watch the running process PID\n"
"  -f, --vm-fd FD       with -p: only the VM that is fd FD of PID (needs the s2perf\n"
"                       kernel's debugfs; exits and CMOs stay per process)\n"
"  -a, --all            watch every KVM process (no filter)\n"
"  -- COMMAND ARGS      run COMMAND, held until every probe is attached, and\n"
"                       watch it; s2collect exits with its status\n"
"  -o, --output FILE    write the JSON document (" SCHEMA ") to FILE\n"
"                       (default: none; - for stdout, then no summary)\n"
"  -i, --interval SECS  print a summary every SECS, cumulative (default: 0, only at the end)\n"
"  -d, --duration SECS  stop after SECS (default: 0, when the process exits or on SIGINT/SIGTERM)\n"
"  -v, --verbose        libbpf debug output on stderr\n"
"  -h, --help           this help\n";

static const struct option long_opts[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "vm-fd", required_argument, NULL, 'f' },
	{ "all", no_argument, NULL, 'a' },
	{ "output", required_argument, NULL, 'o' },
	{ "interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

static void __attribute__((noreturn, format(printf, 1, 2))) bad_args(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "s2collect: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try -h)\n");
	exit(2);
}

static double parse_secs(const char *s, char opt)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || v < 0)
		bad_args("-%c: '%s' is not a number of seconds", opt, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	long pid;
	char *end;
	int c;

	opterr = 0;
	/* '+': stop at the first non-option, so COMMAND's own flags stay its own */
	while ((c = getopt_long(argc, argv, "+:p:f:ao:i:d:vh", long_opts, NULL)) != -1) {
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
		case 'i': env.interval = parse_secs(optarg, 'i'); break;
		case 'd': env.duration = parse_secs(optarg, 'd'); break;
		case 'v': env.verbose = true; break;
		case 'h': fputs(usage, stdout); exit(0);
		case ':': bad_args("-%c needs an argument", optopt);
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

/* ---- debugfs: the mmu_lock of a VM that already runs (patched kernel) ---- */

struct debugfs_vm {
	unsigned long long lock;
	char strategy[16];
};

/* The VMs of @pid (all, or only the one that is its fd @vmfd >= 0). */
static int debugfs_vms(pid_t pid, int vmfd, struct debugfs_vm *out, int max)
{
	char pattern[96], path[PATH_MAX];
	glob_t g;
	size_t i;
	int n = 0;
	FILE *f;

	if (vmfd >= 0)
		snprintf(pattern, sizeof(pattern), "/sys/kernel/debug/kvm/%d-%d/mmu_lock", pid, vmfd);
	else
		snprintf(pattern, sizeof(pattern), "/sys/kernel/debug/kvm/%d-*/mmu_lock", pid);
	if (glob(pattern, 0, NULL, &g))
		return 0;
	for (i = 0; i < g.gl_pathc && n < max; i++) {
		f = fopen(g.gl_pathv[i], "r");
		if (!f)
			continue;
		/* 0: the kernel hides the address from this reader (kptr_restrict) */
		if (fscanf(f, "%llx", &out[n].lock) == 1 && out[n].lock) {
			snprintf(path, sizeof(path), "%s", g.gl_pathv[i]);
			strcpy(strrchr(path, '/') + 1, "stage2_strategy");
			out[n].strategy[0] = 0;
			fclose(f);
			f = fopen(path, "r");
			if (f && fscanf(f, "%15s", out[n].strategy) != 1)
				out[n].strategy[0] = 0;
			n++;
		}
		if (f)
			fclose(f);
	}
	globfree(&g);
	return n;
}

/* ---- reading the results ---- */

struct vm_info {	/* as in s2collect.bpf.c */
	__u64 mmu_lock;
	__u8 strategy;
	__u8 source;
};

struct prog_stat {
	__u64 run_cnt, run_time_ns, recursion_misses;
};

struct state {
	struct s2collect_bpf *skel;
	struct s2collect_bpf__bss *bss;
	struct timespec t0;
	bool have_s2, kvm_btf, stats_on;
	int stats_errno;
	int fpf_fixed;
	int ndebugfs;
	struct debugfs_vm dvms[16];
	int child_status;	/* wait status, or -1 */
	double canary_off;	/* when the canary was detached (s), or 0 */
};

static double now_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

static __u64 hist_total(const struct hist *h) { return h->count; }

static void prog_stat(const struct probe *p, struct prog_stat *st)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	memset(st, 0, sizeof(*st));
	if (!p->attached || bpf_obj_get_info_by_fd(bpf_program__fd(p->prog), &info, &len))
		return;
	st->run_cnt = info.run_cnt;
	st->run_time_ns = info.run_time_ns;
	st->recursion_misses = info.recursion_misses;
}

static bool attached(int id) { return probes[id].attached; }

/*
 * The canary: with kvm:kvm_exit attached, zero exits while the guest
 * returned to user space means this host's KVM does not emit its in-kernel
 * events (seen under nested virtualization), so their silence is no zero.
 */
static const char *silent_reason(const struct state *s, char *buf, size_t len)
{
	__u64 uexits = s->bss->counts[C_UEXIT];

	if (!uexits)
		uexits = s->bss->counts[C_RUN_RETURNS];
	if (!attached(P_KVM_EXIT) || s->bss->counts[C_KVM_EXIT] || !uexits)
		return NULL;
	snprintf(buf, len, "kvm:kvm_exit fired 0 times while the guest made %llu "
		 "userspace exits: this host does not emit KVM's in-kernel exit "
		 "events (nested virtualization)", (unsigned long long)uexits);
	return buf;
}

static const char *missing_reason(int id, char *buf, size_t len)
{
	snprintf(buf, len, "no tracepoint %s:%s on this kernel%s", probes[id].sys,
		 probes[id].event, tracefs ? "" : " (tracefs not mounted)");
	return buf;
}

/* ---- JSON ---- */

static json_t *jscalar(double v, const char *unit)
{
	return json_pack("{s:f,s:s}", "value", v, "unit", unit);
}

static json_t *jcount(__u64 v, const char *unit)
{
	return json_pack("{s:I,s:s}", "value", (json_int_t)v, "unit", unit);
}

static json_t *junavail(const char *reason)
{
	return json_pack("{s:b,s:s}", "available", 0, "reason", reason);
}

static json_t *jhist(const struct hist *h, const char *unit)
{
	json_t *b = json_array();
	int i, lo = -1, hi = -1;

	for (i = 0; i < MAX_SLOTS; i++) {
		if (h->slots[i]) {
			if (lo < 0)
				lo = i;
			hi = i;
		}
	}
	/* buckets "le" (inclusive upper bound) 0, 1, 3, 7, ...; the last is open */
	for (i = lo; lo >= 0 && i <= hi; i++) {
		json_t *e = json_pack("{s:I}", "count", (json_int_t)h->slots[i]);

		if (i == MAX_SLOTS - 1)
			json_object_set_new(e, "le", json_string("+Inf"));
		else
			json_object_set_new(e, "le", json_integer(i ? (1ULL << i) - 1 : 0));
		json_array_append_new(b, e);
	}
	return json_pack("{s:s,s:I,s:I,s:o}", "unit", unit, "count", (json_int_t)h->count,
			 "sum", (json_int_t)h->sum, "buckets", b);
}

static const char *exit_name(int r, char *buf, size_t len)
{
	if (r < (int)(sizeof(exit_names) / sizeof(exit_names[0])) && exit_names[r])
		snprintf(buf, len, "KVM_EXIT_%s", exit_names[r]);
	else if (r == MAX_EXIT_REASONS - 1)
		snprintf(buf, len, "reason>=%d", r);
	else
		snprintf(buf, len, "reason_%d", r);
	return buf;
}

static json_t *json_faults(const struct state *s, const char *silent)
{
	const struct s2collect_bpf__bss *b = s->bss;
	json_t *o = json_object(), *lat, *cnt, *pv;
	char why[256];
	int k, p, v;

	if (silent) {
		json_object_set_new(o, "latency", junavail(silent));
		json_object_set_new(o, "count", junavail(silent));
		json_object_set_new(o, "per_vcpu", junavail(silent));
		return o;
	}
	if (s->have_s2) {
		lat = json_object();
		for (k = 0; k < NR_FAULT_KINDS; k++) {
			json_t *byp = json_object();

			for (p = 0; p < NR_FAULT_PATHS; p++)
				json_object_set_new(byp, fault_path_names[p],
						    jhist(&b->fault_lat[k][p], "ns"));
			json_object_set_new(lat, fault_kind_names[k], byp);
		}
		json_object_set_new(o, "source", json_string("kvm_s2:kvm_s2_fault_enter/exit"));
	} else if (attached(P_PAGE_FAULT) || attached(P_GUEST_FAULT)) {
		snprintf(why, sizeof(why), "no kvm_s2 fault tracepoints on this kernel; "
			 "kvm:%s gives counts only, with no fault-exit event to time",
			 attached(P_PAGE_FAULT) ? "kvm_page_fault" : "kvm_guest_fault");
		lat = junavail(why);
		json_object_set_new(o, "source", json_string(attached(P_PAGE_FAULT) ?
					"kvm:kvm_page_fault" : "kvm:kvm_guest_fault"));
	} else {
		json_object_set_new(o, "latency", junavail(missing_reason(P_FAULT_EXIT, why, sizeof(why))));
		json_object_set_new(o, "count", junavail(why));
		json_object_set_new(o, "per_vcpu", junavail(why));
		return o;
	}
	json_object_set_new(o, "latency", lat);
	if (s->have_s2)
		json_object_set_new(o, "not_timed", json_pack("{s:I,s:s,s:s}", "value",
			(json_int_t)b->counts[C_UNPAIRED], "unit", "faults", "reason",
			"counted, but their entry was not seen (in flight when the probes "
			"attached, or no storage for the start): not in the latency histograms"));

	cnt = json_object();
	for (k = 0; k < NR_FAULT_KINDS; k++) {
		if (!s->have_s2 && k == FK_MMIO)
			json_object_set_new(cnt, fault_kind_names[k],
				junavail("the fallback fault event does not tell MMIO apart"));
		else if (!s->have_s2 && attached(P_PAGE_FAULT) && k == FK_ACCESS)
			json_object_set_new(cnt, fault_kind_names[k],
				junavail("x86 has no access-flag faults"));
		else
			json_object_set_new(cnt, fault_kind_names[k], jcount(b->fault_kinds[k], "faults"));
	}
	if (!s->have_s2)
		json_object_set_new(cnt, "all", jcount(b->counts[C_FALLBACK_FAULT], "faults"));
	json_object_set_new(o, "count", cnt);

	if (!s->have_s2 && !attached(P_PAGE_FAULT)) {
		json_object_set_new(o, "per_vcpu", junavail("kvm:kvm_guest_fault carries no vCPU id"));
	} else {
		pv = json_array();
		for (v = 0; v < MAX_VCPUS; v++)
			if (b->vcpu_faults[v])
				json_array_append_new(pv, json_pack("{s:i,s:o}", "vcpu", v, "faults",
							 jcount(b->vcpu_faults[v], "faults")));
		json_object_set_new(o, "per_vcpu", pv);
	}
	return o;
}

static int nr_watched(const struct state *s)
{
	int fd = bpf_map__fd(s->skel->maps.locks), n = 0;
	__u64 key, next, *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static const char *lock_unavailable(const struct state *s, char *buf, size_t len)
{
	if (!attached(P_LOCK_BEGIN) || !attached(P_LOCK_END))
		return missing_reason(attached(P_LOCK_BEGIN) ? P_LOCK_END : P_LOCK_BEGIN, buf, len);
	/* A VM that was watched and is gone still had its waits counted. */
	if (nr_watched(s) || s->bss->counts[C_VMS_LEARNED])
		return NULL;
	snprintf(buf, len, "this VM's mmu_lock address was never learned (%s%s%s), "
		 "and contention on other locks is not this VM's",
		 probes[P_VM_INIT].present ? "no kvm_s2_vm_init for the process" :
					     "no kvm_s2_vm_init event",
		 s->kvm_btf ? ", no KVM ioctl or fault seen from it" :
			      ", no struct kvm in the kernel's BTF to find it from its fds",
		 env.pid && !env.cmd && !s->ndebugfs ? ", no debugfs mmu_lock file" : "");
	return buf;
}

static json_t *json_vms(const struct state *s)
{
	int fd = bpf_map__fd(s->skel->maps.vms), i;
	__u64 key, next, *prev = NULL;
	struct vm_info vi;
	json_t *a = json_array();
	char buf[32];

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &vi))
			continue;
		snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)vi.mmu_lock);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "mmu_lock", buf,
			"strategy", vi.strategy < 4 ? strategy_names[vi.strategy] : "unknown",
			"learned_from", source_names[vi.source < 5 ? vi.source : 0]));
	}
	for (i = 0; i < s->ndebugfs; i++) {
		snprintf(buf, sizeof(buf), "0x%llx", s->dvms[i].lock);
		json_array_append_new(a, json_pack("{s:s,s:s,s:s}", "mmu_lock", buf,
			"strategy", s->dvms[i].strategy[0] ? s->dvms[i].strategy : "unknown",
			"learned_from", "debugfs"));
	}
	return a;
}

/* A per-pass count, or the run's own "unavailable" for that figure. */
static json_t *pass_figure(json_t *run, const char *key, __u64 v, const char *unit)
{
	json_t *whole = json_object_get(run, key);

	if (json_object_get(whole, "value"))
		return jcount(v, unit);
	return json_deep_copy(whole);
}

static json_t *json_doc(const struct state *s, double secs)
{
	const struct s2collect_bpf__bss *b = s->bss;
	json_t *doc, *o, *t, *a;
	char why[512], buf[64];
	const char *silent = silent_reason(s, why, sizeof(why));
	char silent_copy[512];
	struct utsname u;
	struct prog_stat st;
	__u64 tot_cnt = 0, tot_ns = 0, rec = 0;
	int i, k;

	if (silent) {
		snprintf(silent_copy, sizeof(silent_copy), "%s", silent);
		silent = silent_copy;
	}
	uname(&u);
	doc = json_pack("{s:s,s:{s:s,s:s},s:s}", "schema", SCHEMA,
			"kernel", "release", u.release, "machine", u.machine, "arch", u.machine);

	t = json_object();
	json_object_set_new(t, "mode", json_string(env.all ? "all" : env.cmd ? "command" : "pid"));
	if (!env.all)
		json_object_set_new(t, "pid", json_integer(env.pid));
	json_object_set_new(t, "vm_fd", env.vmfd >= 0 ? json_integer(env.vmfd) : json_null());
	if (env.cmd) {
		a = json_array();
		for (i = 0; env.cmd[i]; i++)
			json_array_append_new(a, json_string(env.cmd[i]));
		json_object_set_new(t, "command", a);
		if (s->child_status >= 0 && WIFEXITED(s->child_status))
			json_object_set_new(t, "exit_status", json_integer(WEXITSTATUS(s->child_status)));
		else if (s->child_status >= 0 && WIFSIGNALED(s->child_status))
			json_object_set_new(t, "signal", json_integer(WTERMSIG(s->child_status)));
	}
	json_object_set_new(doc, "target", t);
	json_object_set_new(doc, "duration", jscalar(secs, "s"));

	o = json_object();
	for (i = 0; i < NR_PROBES; i++) {
		snprintf(buf, sizeof(buf), "%s:%s", probes[i].sys, probes[i].event);
		json_object_set_new(o, buf, json_pack("{s:b,s:b}", "present", probes[i].present,
						      "attached", probes[i].attached));
	}
	json_object_set_new(doc, "events", o);
	json_object_set_new(doc, "vms", json_vms(s));

	o = json_object();
	json_object_set_new(o, "kvm_exit", attached(P_KVM_EXIT) ?
			    jcount(b->counts[C_KVM_EXIT], "events") :
			    junavail(missing_reason(P_KVM_EXIT, why, sizeof(why))));
	if (s->canary_off > 0) {
		snprintf(why, sizeof(why), "detached %.2f s into the run, once it had fired: "
			 "a count of the first exits only, which is all the canary is for", s->canary_off);
		json_object_set_new(json_object_get(o, "kvm_exit"), "note", json_string(why));
	}
	json_object_set_new(o, "in_kernel_events", silent ? junavail(silent) :
			    json_pack("{s:b}", "available", 1));
	json_object_set_new(doc, "canary", o);

	json_object_set_new(doc, "faults", json_faults(s, silent));

	if (lock_unavailable(s, why, sizeof(why))) {
		json_object_set_new(doc, "mmu_lock", junavail(why));
	} else {
		o = json_object();
		for (i = 0; i < NR_LOCK_MODES; i++) {
			snprintf(buf, sizeof(buf), "%s_wait", lock_mode_names[i]);
			json_object_set_new(o, buf, jhist(&b->lock_wait[i], "ns"));
		}
		json_object_set_new(o, "watched_locks", jcount(nr_watched(s), "locks"));
		json_object_set_new(o, "vms_learned", jcount(b->counts[C_VMS_LEARNED], "vms"));
		json_object_set_new(doc, "mmu_lock", o);
	}

	if (!attached(P_TLBI)) {
		json_object_set_new(doc, "tlbi", junavail(missing_reason(P_TLBI, why, sizeof(why))));
	} else if (silent) {
		json_object_set_new(doc, "tlbi", junavail(silent));
	} else if (!env.all && !b->counts[C_VMS_LEARNED]) {
		/* TLBIs are counted for the process's VMs that were learned. */
		json_object_set_new(doc, "tlbi", junavail("no VM of the process was learned "
				    "(no vm_init, fault or KVM ioctl seen from it), so no TLBI "
				    "could be attributed to it"));
	} else {
		o = json_object();
		for (k = 0; k < NR_TLBI_KINDS; k++)
			json_object_set_new(o, tlbi_kind_names[k], json_pack("{s:o,s:o,s:o,s:o}",
				"count", jcount(b->tlbi_count[k], "tlbi"),
				"mmu_lock_write", jcount(b->tlbi_locked[k], "tlbi"),
				"mmu_lock_unknown", jcount(b->tlbi_lock_unknown[k], "tlbi"),
				"bytes", jcount(b->tlbi_bytes[k], "bytes")));
		json_object_set_new(o, "time", junavail("the tlbi event marks the "
				    "instruction, not its completion: no time is measured"));
		json_object_set_new(doc, "tlbi", o);
	}

	if (!attached(P_CMO)) {
		json_object_set_new(doc, "cmo", junavail(missing_reason(P_CMO, why, sizeof(why))));
	} else if (silent) {
		json_object_set_new(doc, "cmo", junavail(silent));
	} else {
		o = json_object();
		for (k = 0; k < NR_CMO_KINDS; k++)
			json_object_set_new(o, cmo_kind_names[k], json_pack("{s:o,s:o}",
				"count", jcount(b->cmo_count[k], "operations"),
				"bytes", jcount(b->cmo_bytes[k], "bytes")));
		json_object_set_new(o, "attribution", json_string("the target's threads only "
				    "(the event names no VM)"));
		json_object_set_new(doc, "cmo", o);
	}

	/* dirty logging */
	o = json_object();
	if (!attached(P_IOCTL_ENTER) || !attached(P_IOCTL_EXIT)) {
		json_object_set_new(o, "ioctls", junavail(missing_reason(P_IOCTL_EXIT, why, sizeof(why))));
	} else {
		t = json_object();
		for (k = 0; k < NR_DIRTY_IOCTLS; k++)
			json_object_set_new(t, dirty_ioctl_names[k], json_pack("{s:o,s:o,s:o}",
				"calls", jcount(hist_total(&b->dirty_ioctl[k]), "calls"),
				"total_time", jcount(b->dirty_ioctl[k].sum, "ns"),
				"time", jhist(&b->dirty_ioctl[k], "ns")));
		json_object_set_new(o, "ioctls", t);
	}
	if (silent) {
		json_object_set_new(o, "wp_faults", junavail(silent));
		json_object_set_new(o, "fast_path_hits", junavail(silent));
	} else if (s->have_s2 || attached(P_PAGE_FAULT) || attached(P_GUEST_FAULT)) {
		json_object_set_new(o, "wp_faults", jcount(b->fault_kinds[FK_PERMISSION], "faults"));
		if (s->have_s2) {
			__u64 fast = 0;

			for (k = 0; k < NR_FAULT_KINDS; k++)
				fast += b->fault_lat[k][FP_FAST].count;
			json_object_set_new(o, "fast_path_hits", jcount(fast, "faults"));
		} else if (attached(P_FAST_PF) && s->fpf_fixed >= 0 && s->fpf_fixed < MAX_FPF_RET) {
			json_object_set_new(o, "fast_path_hits", jcount(b->fpf_ret[s->fpf_fixed], "faults"));
		} else {
			json_object_set_new(o, "fast_path_hits", junavail(attached(P_FAST_PF) ?
				"could not read RET_PF_FIXED from kvmmmu:fast_page_fault's format" :
				"no fast-path fault event on this kernel"));
		}
	} else {
		json_object_set_new(o, "wp_faults", junavail(missing_reason(P_FAULT_EXIT, why, sizeof(why))));
		json_object_set_new(o, "fast_path_hits", junavail(why));
	}
	if (!attached(P_RING_PUSH)) {
		json_object_set_new(o, "ring_pushes", junavail(missing_reason(P_RING_PUSH, why, sizeof(why))));
	} else if (!b->counts[C_RING_PUSH] && silent) {
		json_object_set_new(o, "ring_pushes", junavail(silent));
	} else if (!b->counts[C_RING_PUSH] && b->dirty_ioctl[DI_RESET_RINGS].count) {
		snprintf(why, sizeof(why), "kvm:kvm_dirty_ring_push fired 0 times while "
			 "KVM_RESET_DIRTY_RINGS was called %llu times",
			 (unsigned long long)b->dirty_ioctl[DI_RESET_RINGS].count);
		json_object_set_new(o, "ring_pushes", junavail(why));
	} else {
		json_object_set_new(o, "ring_pushes", jcount(b->counts[C_RING_PUSH], "pages"));
	}
	a = json_array();
	for (i = 0; i <= (int)b->pass && i < MAX_PASSES; i++) {
		const struct pass_stats *ps = &b->passes[i];

		json_t *e = json_pack("{s:i,s:o}", "pass", i,
			"dirty_ioctl_time", jcount(ps->ioctl_ns, "ns"));

		json_object_set_new(e, "faults", pass_figure(o, "wp_faults", ps->faults, "faults"));
		json_object_set_new(e, "wp_faults", pass_figure(o, "wp_faults", ps->wp_faults, "faults"));
		json_object_set_new(e, "fast_path_hits", pass_figure(o, "fast_path_hits", ps->fast, "faults"));
		json_object_set_new(e, "ring_pushes", pass_figure(o, "ring_pushes", ps->ring_pushes, "pages"));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "passes", a);
	if (b->pass >= MAX_PASSES) {
		/* the kernel side counts on; only the per-pass slots run out */
		snprintf(why, sizeof(why), "per-pass figures are kept for the first %d passes; "
			 "the run's totals include all %u", MAX_PASSES, b->pass + 1);
		t = jcount(b->pass + 1 - MAX_PASSES, "passes");
		json_object_set_new(t, "reason", json_string(why));
		json_object_set_new(o, "passes_not_listed", t);
	}
	json_object_set_new(o, "passes_note", json_string("pass N runs from the N-th "
		"GET_DIRTY_LOG (or RESET_DIRTY_RINGS) to the next; its dirty_ioctl_time is the "
		"call that ends it plus the CLEAR_DIRTY_LOGs right after; a figure unavailable "
		"for the run is unavailable per pass, with the same reason"));
	json_object_set_new(doc, "dirty", o);

	/* userspace exits */
	o = json_object();
	if (!attached(P_UEXIT)) {
		json_object_set_new(o, "userspace", junavail(missing_reason(P_UEXIT, why, sizeof(why))));
	} else {
		json_object_set_new(o, "userspace", jcount(b->counts[C_UEXIT], "exits"));
		/* the KVM selftests' _vcpu_run() retries these without counting them */
		json_object_set_new(o, "restarts", jcount(b->counts[C_UEXIT_RESTART], "exits"));
		json_object_set_new(o, "errors", jcount(b->counts[C_UEXIT_ERR], "exits"));
		t = json_object();
		for (i = 0; i < MAX_EXIT_REASONS; i++)
			if (b->uexit_reason[i])
				json_object_set_new(t, exit_name(i, buf, sizeof(buf)),
						    jcount(b->uexit_reason[i], "exits"));
		json_object_set_new(o, "by_reason", t);
	}
	if (attached(P_IOCTL_EXIT)) {
		json_object_set_new(o, "kvm_run_returns", jcount(b->counts[C_RUN_RETURNS], "exits"));
		json_object_set_new(o, "kvm_run_eintr", jcount(b->counts[C_RUN_EINTR], "exits"));
	} else {
		json_object_set_new(o, "kvm_run_returns",
				    junavail(missing_reason(P_IOCTL_EXIT, why, sizeof(why))));
	}
	json_object_set_new(doc, "exits", o);

	/* our own cost */
	o = json_object();
	if (!s->stats_on) {
		snprintf(why, sizeof(why), "BPF_ENABLE_STATS failed: %s", strerror(s->stats_errno));
		json_object_set_new(o, "programs", junavail(why));
	} else {
		a = json_array();
		for (i = 0; i < NR_PROBES; i++) {
			if (!probes[i].attached)
				continue;
			prog_stat(&probes[i], &st);
			tot_cnt += st.run_cnt;
			tot_ns += st.run_time_ns;
			rec += st.recursion_misses;
			snprintf(buf, sizeof(buf), "%s:%s", probes[i].sys, probes[i].event);
			json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:o,s:o}",
				"program", bpf_program__name(probes[i].prog), "event", buf,
				"run_cnt", jcount(st.run_cnt, "events"),
				"run_time", jcount(st.run_time_ns, "ns"),
				"per_event", st.run_cnt ? jscalar((double)st.run_time_ns / st.run_cnt, "ns") :
					     junavail("the program never ran")));
		}
		json_object_set_new(o, "programs", a);
		json_object_set_new(o, "events", jcount(tot_cnt, "events"));
		json_object_set_new(o, "run_time", jcount(tot_ns, "ns"));
		json_object_set_new(o, "per_event", tot_cnt ? jscalar((double)tot_ns / tot_cnt, "ns") :
				    junavail("no probe ran"));
		json_object_set_new(o, "event_rate", secs > 0 ? jscalar(tot_cnt / secs, "events/s") :
				    junavail("no time elapsed"));
		json_object_set_new(o, "cpu_share", secs > 0 ? jscalar(tot_ns / (secs * 1e9), "cpus") :
				    junavail("no time elapsed"));
		json_object_set_new(o, "recursion_misses", jcount(rec, "events"));
	}
	json_object_set_new(o, "dropped_fault_starts", jcount(b->counts[C_DROP_FAULT_START], "events"));
	json_object_set_new(o, "dropped_starts", jcount(b->counts[C_DROP_START], "events"));
	json_object_set_new(o, "dropped_vms", jcount(b->counts[C_DROP_WATCH], "vms"));
	json_object_set_new(doc, "overhead", o);
	return doc;
}

/* ---- the summary for people ---- */

static void print_stars(unsigned long long v, unsigned long long max, int width)
{
	int n = max ? (int)((double)v * width / max + 0.5) : 0, i;

	for (i = 0; i < width; i++)
		putchar(i < n ? '*' : ' ');
}

static void print_hist(const char *title, const struct hist *h)
{
	unsigned long long max = 0, lo, hi;
	int i, first = -1, last = -1;

	if (!h->count)
		return;
	for (i = 0; i < MAX_SLOTS; i++) {
		if (!h->slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (h->slots[i] > max)
			max = h->slots[i];
	}
	printf("  %s: %llu, mean %.0f ns\n", title, (unsigned long long)h->count,
	       (double)h->sum / h->count);
	printf("  %21s : %-9s %s\n", "ns", "count", "distribution");
	for (i = first; i <= last; i++) {
		lo = i ? 1ULL << (i - 1) : 0;
		hi = i ? (1ULL << i) - 1 : 0;
		printf("  %10llu -> %-7llu : %-9llu |", lo, hi, (unsigned long long)h->slots[i]);
		print_stars(h->slots[i], max, 40);
		printf("|\n");
	}
}

/* Prints an unavailable member's reason, or nothing; true if it printed. */
static bool print_unavail(const char *what, json_t *v)
{
	if (!json_is_object(v) || !json_object_get(v, "available") ||
	    json_is_true(json_object_get(v, "available")))
		return false;
	printf("%-18s unavailable: %s\n", what, json_string_value(json_object_get(v, "reason")));
	return true;
}

static void print_summary(const struct state *s, double secs)
{
	const struct s2collect_bpf__bss *b = s->bss;
	json_t *doc = json_doc(s, secs), *v;
	char title[96];
	int k, p, i;

	printf("\n== s2collect after %.1f s: %s ==\n", secs, env.all ? "all processes" :
	       (snprintf(title, sizeof(title), "pid %d", env.pid), title));

	v = json_object_get(json_object_get(doc, "faults"), "latency");
	if (!print_unavail("fault latency", v) && s->have_s2) {
		printf("stage-2 fault latency:\n");
		for (k = 0; k < NR_FAULT_KINDS; k++)
			for (p = 0; p < NR_FAULT_PATHS; p++) {
				snprintf(title, sizeof(title), "%s faults, %s path",
					 fault_kind_names[k], fault_path_names[p]);
				print_hist(title, &b->fault_lat[k][p]);
			}
	}
	v = json_object_get(json_object_get(doc, "faults"), "count");
	if (!print_unavail("fault counts", v)) {
		const char *key;
		json_t *val;

		printf("%-18s", "faults");
		json_object_foreach(v, key, val) {
			if (json_object_get(val, "value"))
				printf(" %s %lld", key, json_integer_value(json_object_get(val, "value")));
			else
				printf(" %s n/a", key);
		}
		printf(" (faults)\n");
		if (json_is_array(json_object_get(json_object_get(doc, "faults"), "per_vcpu"))) {
			printf("%-18s", "faults per vCPU");
			for (i = 0; i < MAX_VCPUS; i++)
				if (b->vcpu_faults[i])
					printf(" %d:%llu", i, (unsigned long long)b->vcpu_faults[i]);
			printf(" (faults)\n");
		}
	}

	v = json_object_get(doc, "mmu_lock");
	if (!print_unavail("mmu_lock wait", v)) {
		printf("mmu_lock contention (%d lock%s watched):%s\n", nr_watched(s),
		       nr_watched(s) == 1 ? "" : "s",
		       b->lock_wait[0].count + b->lock_wait[1].count ? "" : " none");
		print_hist("read waits", &b->lock_wait[LM_READ]);
		print_hist("write waits", &b->lock_wait[LM_WRITE]);
	}

	if (!print_unavail("tlbi", json_object_get(doc, "tlbi"))) {
		printf("%-18s", "tlbi");
		for (k = 0; k < NR_TLBI_KINDS; k++)
			printf(" %s %llu (%llu under write lock)", tlbi_kind_names[k],
			       (unsigned long long)b->tlbi_count[k], (unsigned long long)b->tlbi_locked[k]);
		printf("\n");
	}
	if (!print_unavail("cmo", json_object_get(doc, "cmo"))) {
		printf("%-18s", "cmo");
		for (k = 0; k < NR_CMO_KINDS; k++)
			printf(" %s %llu (%llu bytes)", cmo_kind_names[k],
			       (unsigned long long)b->cmo_count[k], (unsigned long long)b->cmo_bytes[k]);
		printf("\n");
	}

	v = json_object_get(doc, "dirty");
	if (!print_unavail("dirty-log ioctls", json_object_get(v, "ioctls"))) {
		for (k = 0; k < NR_DIRTY_IOCTLS; k++) {
			const struct hist *h = &b->dirty_ioctl[k];

			printf("%-18s %llu calls, %.3f ms total\n", dirty_ioctl_names[k],
			       (unsigned long long)h->count, h->sum / 1e6);
			if (h->count)
				print_hist("call time", h);
		}
	}
	if (!print_unavail("wp faults", json_object_get(v, "wp_faults")))
		printf("%-18s %lld faults\n", "wp faults",
		       json_integer_value(json_object_get(json_object_get(v, "wp_faults"), "value")));
	if (!print_unavail("fast-path hits", json_object_get(v, "fast_path_hits")))
		printf("%-18s %lld faults\n", "fast-path hits",
		       json_integer_value(json_object_get(json_object_get(v, "fast_path_hits"), "value")));
	if (!print_unavail("dirty-ring pushes", json_object_get(v, "ring_pushes")))
		printf("%-18s %llu pages\n", "dirty-ring pushes", (unsigned long long)b->counts[C_RING_PUSH]);
	if (json_object_get(v, "passes_not_listed"))
		printf("%-18s the first %d of %u passes (the totals above include all)\n",
		       "per-pass figures", MAX_PASSES, b->pass + 1);

	v = json_object_get(doc, "exits");
	if (!print_unavail("userspace exits", json_object_get(v, "userspace"))) {
		const char *key;
		json_t *val;

		printf("%-18s %llu exits: EINTR %llu, errors %llu", "userspace exits",
		       (unsigned long long)b->counts[C_UEXIT],
		       (unsigned long long)b->counts[C_UEXIT_RESTART],
		       (unsigned long long)b->counts[C_UEXIT_ERR]);
		if (attached(P_IOCTL_EXIT))
			printf(" (KVM_RUN returned %llu times)",
			       (unsigned long long)b->counts[C_RUN_RETURNS]);
		json_object_foreach(json_object_get(v, "by_reason"), key, val)
			printf(" %s %lld", key, json_integer_value(json_object_get(val, "value")));
		printf("\n");
	}
	print_unavail("in-kernel events", json_object_get(json_object_get(doc, "canary"),
							  "in_kernel_events"));

	v = json_object_get(doc, "overhead");
	if (!print_unavail("overhead", json_object_get(v, "programs"))) {
		json_t *pr;
		size_t idx;

		printf("overhead: %lld events, %.0f events/s, %.0f ns/event, %.4f CPUs\n",
		       json_integer_value(json_object_get(json_object_get(v, "events"), "value")),
		       json_real_value(json_object_get(json_object_get(v, "event_rate"), "value")),
		       json_real_value(json_object_get(json_object_get(v, "per_event"), "value")),
		       json_real_value(json_object_get(json_object_get(v, "cpu_share"), "value")));
		json_array_foreach(json_object_get(v, "programs"), idx, pr) {
			if (!json_integer_value(json_object_get(json_object_get(pr, "run_cnt"), "value")))
				continue;
			printf("  %-22s %10lld events %8.0f ns/event\n",
			       json_string_value(json_object_get(pr, "program")),
			       json_integer_value(json_object_get(json_object_get(pr, "run_cnt"), "value")),
			       json_real_value(json_object_get(json_object_get(pr, "per_event"), "value")));
		}
	}
	if (s->have_s2 && b->counts[C_UNPAIRED])
		printf("faults not timed: %llu (their entry was not seen: counted above, "
		       "not in the latency histograms)\n", (unsigned long long)b->counts[C_UNPAIRED]);
	if (b->counts[C_DROP_FAULT_START] || b->counts[C_DROP_START] || b->counts[C_DROP_WATCH])
		printf("dropped: %llu fault start times (no task storage; those faults are not "
		       "timed), %llu lock-wait and ioctl starts, %llu VMs (maps full)\n",
		       (unsigned long long)b->counts[C_DROP_FAULT_START],
		       (unsigned long long)b->counts[C_DROP_START],
		       (unsigned long long)b->counts[C_DROP_WATCH]);
	fflush(stdout);
	json_decref(doc);
}

/* ---- main ---- */

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
	struct state s = { .child_status = -1, .fpf_fixed = -1 };
	struct s2collect_bpf *skel = NULL;
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_program *progs[NR_PROBES];
	int err = 1, stats_fd = -1, nattached = 0, i;
	double secs = 0, next_print;
	json_t *doc;

	env.vmfd = -1;
	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	find_tracefs();
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

		if (debugfs_vms(env.pid, env.vmfd, &one, 1) != 1) {
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
	skel->rodata->cmd_get_dirty_log = KVM_GET_DIRTY_LOG;
	skel->rodata->cmd_clear_dirty_log = KVM_CLEAR_DIRTY_LOG;
	skel->rodata->cmd_reset_dirty_rings = KVM_RESET_DIRTY_RINGS;
	skel->rodata->cmd_run = KVM_RUN;
	skel->rodata->cmd_create_vcpu = KVM_CREATE_VCPU;
	skel->rodata->cmd_set_memory = KVM_SET_USER_MEMORY_REGION;
#ifdef KVM_SET_USER_MEMORY_REGION2
	skel->rodata->cmd_set_memory2 = KVM_SET_USER_MEMORY_REGION2;
#else
	/* older UAPI headers: the same number as in Linux 6.8 and later */
	skel->rodata->cmd_set_memory2 = _IOW(KVMIO, 0x49, struct { __u8 b[0xa0]; });
#endif

	progs[P_VM_INIT] = skel->progs.s2_vm_init;
	progs[P_VM_DESTROY] = skel->progs.s2_vm_destroy;
	progs[P_FAULT_ENTER] = skel->progs.s2_fault_enter;
	progs[P_FAULT_EXIT] = skel->progs.s2_fault_exit;
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
	for (i = 0; i < NR_PROBES; i++) {
		bool fallback = i == P_GUEST_FAULT || i == P_ACCESS_FAULT ||
				i == P_PAGE_FAULT || i == P_FAST_PF;

		probes[i].wanted = probes[i].present && !(fallback && s.have_s2);
		/* a fault exit without its entry cannot be timed */
		if ((i == P_FAULT_ENTER || i == P_FAULT_EXIT) && !s.have_s2)
			probes[i].wanted = false;
		bpf_program__set_autoload(progs[i], probes[i].wanted);
	}
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
		s.ndebugfs = debugfs_vms(env.pid, env.vmfd, s.dvms, 16);
		for (i = 0; i < s.ndebugfs; i++) {
			__u64 lock = s.dvms[i].lock, kvm = 0;

			bpf_map__update_elem(skel->maps.locks, &lock, sizeof(lock), &kvm,
					     sizeof(kvm), BPF_ANY);
		}
	}

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

	clock_gettime(CLOCK_MONOTONIC, &s.t0);
	if (env.cmd && release_held()) {
		fprintf(stderr, "failed to start %s: %s\n", env.cmd[0], strerror(errno));
		err = 1;
		goto cleanup;
	}
	if (!env.output || strcmp(env.output, "-"))
		printf("s2collect: watching %s; %d of %d probes attached%s\n",
		       env.all ? "all processes" : env.cmd ? env.cmd[0] : "the process",
		       nattached, NR_PROBES, env.interval || env.duration || env.all ? "" :
		       "; ends with the process or on Ctrl-C");
	fflush(stdout);

	next_print = env.interval;
	while (!exiting) {
		struct timespec tick = { 0, 50 * 1000 * 1000 };

		nanosleep(&tick, NULL);
		secs = now_since(&s.t0);
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
			print_summary(&s, secs);
			next_print += env.interval;
		}
	}
	secs = now_since(&s.t0);

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

	if (!env.output || strcmp(env.output, "-"))
		print_summary(&s, secs);
	if (env.output) {
		doc = json_doc(&s, secs);
		if (strcmp(env.output, "-") == 0 ? json_dumpf(doc, stdout, JSON_INDENT(2)) :
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
