// SPDX-License-Identifier: GPL-2.0
/*
 * s2top: a live view of the stage-2 MMU of every KVM VM on this host, one
 * row per VM (VMM pid, strategy, vCPUs), refreshed every second: faults/s
 * by kind and path, write-protection faults/s and the share resolved
 * without mmu_lock, p50/p99 fault latency, mmu_lock waits/s and wait time
 * by mode, TLBIs/s, CMO bytes/s and dirty-log calls/s.
 *
 * Built on s2collect's default tier, so that watching costs almost
 * nothing: counts and latency are the kernel's own stage-2 binary stats,
 * read through duplicates of the VMM's VM and vCPU fds by a BPF iterator
 * once per refresh (s2_helpers.c); BPF runs only on what statistics cannot
 * tell (this VM's mmu_lock contention, the dirty-log ioctls), in the same
 * programs s2collect uses (s2collect.bpf.c, per VM with per_vm set). Where
 * the kernel has no such stats, the columns that need them say so and show
 * "-", never 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "s2_helpers.h"
#include "s2collect.h"
#include "s2collect.skel.h"
#include "s2_kvm_cmds.h"
#include "s2strategy.h"

/* ---- the columns ---- */

enum col {
	K_PID, K_VM, K_STRATEGY, K_VCPUS,
	K_FAULTS, K_TRANS, K_PERM, K_ACCESS,		/* by kind */
	K_SLOW, K_FAST, K_RETRY, K_MMIO, K_HYP,		/* by path */
	K_WP, K_FASTPCT, K_P50, K_P99,
	K_LKR, K_LKW, K_LKR_MS, K_LKW_MS,
	K_TLBI, K_CMO, K_DLOG,
	NR_COLS,
};

struct column {
	const char *name;	/* header, and -s NAME */
	int width;
	char key;		/* sorts by it, 0: none */
	bool rate;		/* a count: per second, or per interval with -c */
};

static const struct column cols[NR_COLS] = {
	[K_PID]		= { "PID", 7, 'n' },
	[K_VM]		= { "VM", 4 },
	[K_STRATEGY]	= { "STRATEGY", 9, 's' },
	[K_VCPUS]	= { "VCPU", 4, 'v' },
	[K_FAULTS]	= { "FLT", 7, 'f', true },
	[K_TRANS]	= { "TRANS", 7, 0, true },
	[K_PERM]	= { "PERM", 7, 0, true },
	[K_ACCESS]	= { "ACCESS", 6, 0, true },
	[K_SLOW]	= { "SLOW", 7, 0, true },
	[K_FAST]	= { "FAST", 7, 0, true },
	[K_RETRY]	= { "RETRY", 5, 0, true },
	[K_MMIO]	= { "MMIO", 5, 0, true },
	[K_HYP]		= { "HYP", 7, 0, true },
	[K_WP]		= { "WP", 7, 'w', true },
	[K_FASTPCT]	= { "LKFREE%", 7, 0 },
	[K_P50]		= { "P50us", 7, 0 },
	[K_P99]		= { "P99us", 7, 'p' },
	[K_LKR]		= { "LKR", 6, 0, true },
	[K_LKW]		= { "LKW", 6, 'l', true },
	[K_LKR_MS]	= { "LKRms", 7, 0, true },
	[K_LKW_MS]	= { "LKWms", 7, 0, true },
	[K_TLBI]	= { "TLBI", 7, 't', true },
	[K_CMO]		= { "CMO-B", 7, 'm', true },
	[K_DLOG]	= { "DLOG", 5, 'd', true },
};

static const char legend[] =
"FLT faults (TRANS translation, PERM permission, ACCESS access flag), by path SLOW FAST\n"
"RETRY MMIO HYP (exit fast path); WP write-protection faults, LKFREE% of them resolved without\n"
"mmu_lock (fast or hyp); P50us/P99us fault latency in us, the upper bound of the kernel's\n"
"log2 histogram bucket (log2-bucket resolution: up to 2x high); LKR/LKW this VM's mmu_lock\n"
"waits for read/write, LKRms/LKWms time waited (ms); TLBI invalidations; CMO-B cache\n"
"maintenance bytes; DLOG dirty-log ioctls (GET, CLEAR, RESET_RINGS). Counts are per second,\n"
"or per interval with -c.\n";

static const char keys_help[] =
"keys: f faults  w wp  p p99  l lock waits  t tlbi  m cmo  d dirty-log  n pid  v vcpus  "
"s strategy  < > column  r reverse  c counts/rates  h legend  q quit";

/* ---- options ---- */

static struct {
	double interval;
	pid_t pid;		/* -p; 0: every VMM */
	bool batch;
	long count;		/* frames; 0: until q, SIGINT or SIGTERM */
	bool counts;		/* per interval, not per second */
	int sort;
	bool reverse;		/* ascending */
	bool verbose;
	bool legend;		/* what the columns mean, below the rows */
} opt = { .interval = 1.0, .sort = K_FAULTS };

static const char usage[] =
"usage: s2top [--batch] [-n COUNT] [--interval SECS] [-p PID | -a] [-c] [-s COLUMN] [-r]\n"
"A live view of the stage-2 MMU of the KVM VMs on this host, one row per VM\n"
"(VMM pid, VM fd, strategy, vCPUs): faults by kind and path, write-protection\n"
"faults and the share resolved without mmu_lock, p50/p99 fault latency,\n"
"mmu_lock waits and wait time by mode, TLBIs, CMO bytes, dirty-log calls.\n"
"Counts and latency come from the kernel's stage-2 binary stats (nearly free);\n"
"BPF watches only mmu_lock contention and the dirty-log ioctls. Needs root.\n"
"\n"
"      --interval SECS  refresh every SECS (default: 1)\n"
"  -p, --pid PID        only the VMs of process PID\n"
"  -a, --all            every process with a KVM VM (the default)\n"
"      --batch          plain frames on stdout, no terminal control (logs, tests)\n"
"  -n, --count N        stop after N frames (default: 0, until q, Ctrl-C or SIGTERM)\n"
"  -c, --counts         counts per interval instead of rates per second\n"
"  -s, --sort COLUMN    sort by COLUMN, e.g. FLT, WP, P99us, LKW, TLBI (default: FLT)\n"
"  -r, --reverse        sort ascending (default: descending)\n"
"      --verbose        libbpf debug output on stderr\n"
"  -h, --help           this help\n"
"\n"
"Keys: f w p l t m d n v s sort by faults, WP faults, p99, lock waits, TLBIs,\n"
"CMO bytes, dirty-log calls, pid, vCPUs, strategy; < > the next column; r\n"
"reverse; c counts/rates; q quits. \"-\" is a figure that is not known (the\n"
"reason is printed below the rows), never a zero.\n";

static const struct option long_opts[] = {
	{ "interval", required_argument, NULL, S2_OPT_INTERVAL },
	{ "pid", required_argument, NULL, 'p' },
	{ "all", no_argument, NULL, 'a' },
	{ "batch", no_argument, NULL, S2_OPT_BATCH },
	{ "count", required_argument, NULL, 'n' },
	{ "counts", no_argument, NULL, 'c' },
	{ "sort", required_argument, NULL, 's' },
	{ "reverse", no_argument, NULL, 'r' },
	{ "verbose", no_argument, NULL, S2_OPT_VERBOSE },
	{ "help", no_argument, NULL, 'h' },
	{},
};

#define bad_args(...) s2_bad_args("s2top", __VA_ARGS__)

static int col_by_name(const char *s)
{
	size_t n = strlen(s);
	int i;

	/* "WP", "wp", "WP/s" all name the WP column */
	if (n > 2 && !strcmp(s + n - 2, "/s"))
		n -= 2;
	for (i = 0; i < NR_COLS; i++)
		if (strlen(cols[i].name) == n && !strncasecmp(cols[i].name, s, n))
			return i;
	return -1;
}

static void parse_args(int argc, char **argv)
{
	bool all = false;
	char *end;
	long v;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":ip:abn:cs:rvh", long_opts, NULL)) != -1) {
		switch (c) {
		case S2_OPT_INTERVAL:
			errno = 0;
			opt.interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(opt.interval >= 0.1) ||
			    opt.interval > 3600)
				bad_args("--interval: '%s' is not a number of seconds from 0.1 to 3600",
					 optarg);
			break;
		case 'i': bad_args(S2_INTERVAL_IS_LONG);
		case 'p':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v <= 0 || v > 0x7fffffff)
				bad_args("-p: '%s' is not a process id", optarg);
			opt.pid = v;
			break;
		case 'a': all = true; break;
		case S2_OPT_BATCH: opt.batch = true; break;
		case 'b': bad_args(S2_BATCH_IS_LONG);
		case 'n':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 0)
				bad_args("-n: '%s' is not a number of frames", optarg);
			opt.count = v;
			break;
		case 'c': opt.counts = true; break;
		case 's':
			opt.sort = col_by_name(optarg);
			if (opt.sort < 0 || opt.sort == K_VM)
				bad_args("-s: no column '%s' to sort by", optarg);
			break;
		case 'r': opt.reverse = true; break;
		case S2_OPT_VERBOSE: opt.verbose = true; break;
		case 'v': bad_args(S2_VERBOSE_IS_LONG);
		case 'h': fputs(usage, stdout); exit(0);
		case ':':
			if (optopt == S2_OPT_INTERVAL)
				bad_args("--interval needs an argument");
			bad_args("-%c needs an argument", optopt);
		default:
			/* a long option's own value (--verbose=x) is no letter */
			if (optopt > 0 && optopt < 0x100)
				bad_args("unknown option '-%c'", optopt);
			bad_args("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		bad_args("unexpected argument '%s'", argv[optind]);
	if (all && opt.pid)
		bad_args("-p and -a exclude each other");
	if (opt.pid && kill(opt.pid, 0) && errno == ESRCH)
		bad_args("-p: no process %d", opt.pid);
	if (!opt.batch && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)))
		bad_args("not a terminal: use --batch for plain frames");
}

/* ---- what the kernel tells, frame by frame ---- */

/*
 * The last value of each counter seen, so that a frame shows what
 * happened since the one before: one entry per vCPU (id >= 0), per VM
 * (ID_VM: its TLBI and CMO stats) and per VM's BPF figures (ID_LIVE).
 */
#define ID_VM	(-1)
#define ID_LIVE	(-2)
#define MEM_VALS (S2_REC_VALS + S2_STATS_HIST)
#define MAX_MEMS 1024
#define NR_LIVE_VALS NR_LV

struct mem {
	__u64 kvm;
	int id;
	long frame;		/* last seen in this frame */
	__u64 v[MEM_VALS];
};

static struct mem mems[MAX_MEMS];
static int nmems;
static long frame;		/* 0: the first read, which only takes the baselines */

static struct mem *mem_find(__u64 kvm, int id)
{
	int i;

	for (i = 0; i < nmems; i++)
		if (mems[i].kvm == kvm && mems[i].id == id)
			return &mems[i];
	return NULL;
}

/*
 * @out = @cur - what it was at the last frame. A counter seen for the
 * first time counts from 0 (@from_zero: it was created under our eyes)
 * or from now.
 */
static void mem_delta(__u64 kvm, int id, const __u64 *cur, int n, bool from_zero, __u64 *out)
{
	struct mem *m = mem_find(kvm, id);
	int i;

	if (!m && nmems < MAX_MEMS) {
		m = &mems[nmems++];
		memset(m, 0, sizeof(*m));
		m->kvm = kvm;
		m->id = id;
		if (!from_zero)
			memcpy(m->v, cur, n * sizeof(*cur));
	}
	for (i = 0; i < n; i++)
		/* below the last value: not the same one (an address reused) */
		out[i] = !m ? 0 : cur[i] >= m->v[i] ? cur[i] - m->v[i] : cur[i];
	if (m) {
		memcpy(m->v, cur, n * sizeof(*cur));
		m->frame = frame;
	}
}

/* Forget what was not seen in this frame (VMs and vCPUs gone). */
static void mem_sweep(void)
{
	int i, j = 0;

	for (i = 0; i < nmems; i++)
		if (mems[i].frame == frame)
			mems[j++] = mems[i];
	nmems = j;
}

struct row {
	__u64 kvm;		/* 0: a process's VMs together (no stats to tell them apart) */
	pid_t pid;
	int vmfd, nvms, nvcpus;
	char strategy[16];
	__u64 vcpu[NR_VCPU_STATS], hist[S2_STATS_HIST], vm[NR_VM_STATS];
	__u64 live[NR_LIVE_VALS];
	bool have_stats, have_live;
	double v[NR_COLS];
	bool known[NR_COLS];
};

#define MAX_ROWS 256
#define MAX_WATCHES 64

struct watch {
	struct s2_watch w;
	bool used;
	int last_nvms, last_nvcpus, last_vmfd;	/* without the stats: at the last look */
	bool fresh;		/* its fds not looked at yet */
};

static struct {
	struct s2collect_bpf *skel;
	int iter_fd, live_fd, locks_fd;
	bool kstats, hyp, lock_probes, ioctl_probes, vm_events;
	int timing;
	char why[256];		/* why the fault columns are unavailable */
	struct watch watches[MAX_WATCHES];
	struct row rows[MAX_ROWS], shown[MAX_ROWS];
	int nrows, nshown;
	double dt;		/* the frame's interval, s */
	double cpu;		/* s2top's own CPU share over it */
	__u64 fds_seen;
	bool look_again;
	char missed[160];
} st;

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
	exiting = 1;
}

static struct watch *watch_of(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_WATCHES; i++)
		if (st.watches[i].used && st.watches[i].w.pid == pid)
			return &st.watches[i];
	return NULL;
}

/*
 * A VM that ran before we attached: its lock is learned by the BPF side
 * at its vCPUs' next KVM_RUN; debugfs (the s2perf kernel) names it now,
 * with the VM's strategy.
 */
static void learn_from_debugfs(pid_t pid, int vmfd, __u64 kvm, char *strategy, size_t len)
{
	struct debugfs_vm d;
	struct vm_live live = { .pid = pid, .strategy = 0xff };

	if (s2_debugfs_vms(pid, vmfd, &d, 1) != 1)
		return;
	if (d.strategy[0])
		snprintf(strategy, len, "%s", d.strategy);
	if (!kvm || !d.lock)
		return;
	bpf_map_update_elem(st.locks_fd, &d.lock, &kvm, BPF_NOEXIST);
	bpf_map_update_elem(st.live_fd, &kvm, &live, BPF_NOEXIST);
}

static void watch_add(pid_t pid)
{
	struct watch *wa = NULL;
	int i;

	if (watch_of(pid))
		return;
	for (i = 0; i < MAX_WATCHES && !wa; i++)
		if (!st.watches[i].used)
			wa = &st.watches[i];
	if (!wa) {
		snprintf(st.missed, sizeof(st.missed), "more than %d VMMs: some not shown",
			 MAX_WATCHES);
		return;
	}
	if (st.kstats) {
		if (s2w_open(&wa->w, pid, -1)) {
			snprintf(st.missed, sizeof(st.missed), "%s", wa->w.error);
			return;
		}
		wa->w.iter_fd = st.iter_fd;
	} else {
		memset(&wa->w, 0, sizeof(wa->w));
		wa->w.pid = pid;
		wa->w.pidfd = -1;
	}
	wa->last_nvms = 0;
	wa->fresh = true;
	wa->used = true;
}

static void watch_drop(struct watch *wa)
{
	if (st.kstats)
		s2w_close(&wa->w);
	wa->used = false;
}

static struct row *row_of(__u64 kvm, pid_t pid)
{
	struct row *r;
	int i;

	for (i = 0; i < st.nrows; i++)
		if (kvm ? st.rows[i].kvm == kvm : st.rows[i].pid == pid)
			return &st.rows[i];
	if (st.nrows == MAX_ROWS)
		return NULL;
	r = &st.rows[st.nrows++];
	memset(r, 0, sizeof(*r));
	r->kvm = kvm;
	r->pid = pid;
	r->vmfd = -1;
	return r;
}

/* Whether a VM's counters count from 0 when first seen: created under our eyes. */
static bool born(__u64 kvm)
{
	struct vm_live l;

	if (!frame)
		return false;
	/* a vCPU of a VM seen before is new */
	if (mem_find(kvm, ID_VM))
		return true;
	return !bpf_map_lookup_elem(st.live_fd, &kvm, &l) && l.born;
}

/* The kernel's stats of the watched VMs: one iterator read for all. */
static void collect_stats(void)
{
	struct s2_stats_rec *recs = NULL;
	__u64 d[MEM_VALS];
	int n, i, j, k;

	n = s2_stats_read(st.iter_fd, &recs);
	if (n < 0) {
		snprintf(st.why, sizeof(st.why), "reading the kvm_stats iterator: %s",
			 strerror(errno));
		st.kstats = false;
		free(recs);
		return;
	}
	/* the born() test looks for the VM's entry: vCPUs first */
	for (k = 0; k < 2; k++)
	for (i = 0; i < MAX_WATCHES; i++) {
		struct s2_watch *w = &st.watches[i].w;

		if (!st.watches[i].used)
			continue;
		for (j = 0; j < w->nent; j++) {
			struct s2w_ent *e = &w->ent[j];
			const struct s2_stats_rec *rec = NULL;
			struct mem *m;
			struct row *r;
			int x;

			if ((e->id < 0) != (k == 1))
				continue;
			for (x = 0; x < n && !rec; x++)
				if ((int)recs[x].fd == e->myfd)
					rec = &recs[x];
			if (!rec || !(r = row_of(rec->kvm, w->pid)))
				continue;
			/* held by another process too (a collector's duplicates): once */
			m = mem_find(rec->kvm, rec->kind == S2_REC_VM ? ID_VM : (int)rec->vcpu_id);
			if (m && m->frame == frame)
				continue;
			r->have_stats = true;
			if (rec->kind == S2_REC_VM) {
				if (r->vmfd < 0)
					learn_from_debugfs(w->pid, e->procfd, rec->kvm, r->strategy,
							   sizeof(r->strategy));
				r->vmfd = e->procfd;
				r->nvms = 1;
				mem_delta(rec->kvm, ID_VM, rec->v, NR_VM_STATS, born(rec->kvm), d);
				for (x = 0; x < NR_VM_STATS; x++)
					r->vm[x] += d[x];
				continue;
			}
			{
				__u64 cur[MEM_VALS];

				memcpy(cur, rec->v, S2_REC_VALS * sizeof(__u64));
				memcpy(cur + S2_REC_VALS, rec->hist, sizeof(rec->hist));
				mem_delta(rec->kvm, rec->vcpu_id, cur, MEM_VALS, born(rec->kvm), d);
			}
			r->nvcpus++;
			for (x = 0; x < NR_VCPU_STATS; x++)
				r->vcpu[x] += d[x];
			for (x = 0; x < S2_STATS_HIST; x++)
				r->hist[x] += d[S2_REC_VALS + x];
		}
	}
	free(recs);
}

/* Without the stats: one row per VMM, its VMs and vCPUs counted from /proc. */
static void collect_procs(void)
{
	int i, nvcpus, vmfd, nvms;

	for (i = 0; i < MAX_WATCHES; i++) {
		struct row *r;

		if (!st.watches[i].used)
			continue;
		nvms = s2_kvm_fds(st.watches[i].w.pid, &nvcpus, &vmfd);
		/* its VMs gone since the last look: their last interval, once */
		if (nvms <= 0) {
			nvms = st.watches[i].last_nvms;
			nvcpus = st.watches[i].last_nvcpus;
			vmfd = st.watches[i].last_vmfd;
			st.watches[i].last_nvms = 0;
		} else {
			st.watches[i].last_nvms = nvms;
			st.watches[i].last_nvcpus = nvcpus;
			st.watches[i].last_vmfd = vmfd;
		}
		if (nvms <= 0 || !(r = row_of(0, st.watches[i].w.pid)))
			continue;
		r->nvms = nvms;
		r->nvcpus = nvcpus;
		r->vmfd = nvms == 1 ? vmfd : -1;
		if (nvms == 1 && !r->strategy[0])
			learn_from_debugfs(r->pid, vmfd, 0, r->strategy, sizeof(r->strategy));
	}
}

/* What BPF saw per VM: mmu_lock waits, dirty-log ioctls. */
static void collect_live(void)
{
	__u64 key, next, *prev = NULL, d[NR_LIVE_VALS];
	struct vm_live l;
	struct row *r;
	int i;

	while (bpf_map_get_next_key(st.live_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(st.live_fd, &key, &l))
			continue;
		/* the map starts empty: every entry was made under our eyes */
		mem_delta(key, ID_LIVE, l.v, NR_LIVE_VALS, true, d);
		r = NULL;
		for (i = 0; i < st.nrows && !r; i++)
			if (st.kstats ? st.rows[i].kvm == key : (l.pid && st.rows[i].pid == (pid_t)l.pid))
				r = &st.rows[i];
		if (!r)
			continue;
		r->have_live = true;
		/* the VM's owner, seen by BPF, over any other holder of its fds */
		if (st.kstats && l.pid && r->pid != (pid_t)l.pid) {
			r->pid = l.pid;
			r->vmfd = -1;
		}
		for (i = 0; i < (int)NR_LIVE_VALS; i++)
			r->live[i] += d[i];
		if (!r->strategy[0] && l.strategy != 0xff)
			snprintf(r->strategy, sizeof(r->strategy), "%s",
				 s2_strategy_name(l.strategy) ?: "unknown");
	}
}

/* The quantile @q of a log2 histogram delta, in us: its bucket's upper bound. */
static double hist_quantile_us(const __u64 *hist, double q)
{
	__u64 count = 0;
	json_t *h;
	double v;
	int i;

	for (i = 0; i < S2_STATS_HIST; i++)
		count += hist[i];
	if (!count)
		return NAN;
	h = s2_jhist_log2(hist, S2_STATS_HIST, count, 0, "ns");
	v = s2_jhist_quantile(h, q);
	json_decref(h);
	return v / 1000;
}

static void set(struct row *r, int c, double v, bool known)
{
	r->v[c] = v;
	r->known[c] = known;
}

static void compute(struct row *r)
{
	const __u64 *v = r->vcpu, *l = r->live;
	double per = opt.counts ? 1 : 1 / st.dt;
	bool s = r->have_stats, lk = r->have_live;
	__u64 wp = v[VS_WP];

	set(r, K_PID, r->pid, true);
	set(r, K_VM, r->vmfd, r->vmfd >= 0);
	set(r, K_STRATEGY, 0, r->strategy[0]);
	set(r, K_VCPUS, r->nvcpus, true);
	set(r, K_FAULTS, (v[VS_TRANSLATION] + v[VS_PERMISSION] + v[VS_ACCESS]) * per, s);
	set(r, K_TRANS, v[VS_TRANSLATION] * per, s);
	set(r, K_PERM, v[VS_PERMISSION] * per, s);
	set(r, K_ACCESS, v[VS_ACCESS] * per, s);
	set(r, K_SLOW, v[VS_SLOW] * per, s);
	set(r, K_FAST, v[VS_FAST] * per, s);
	set(r, K_RETRY, v[VS_RETRY] * per, s);
	set(r, K_MMIO, v[VS_MMIO] * per, s);
	set(r, K_HYP, v[VS_HYP] * per, s && st.hyp);
	set(r, K_WP, wp * per, s);
	set(r, K_FASTPCT, wp ? 100.0 * (v[VS_FAST] + (st.hyp ? v[VS_HYP] : 0)) / wp : 0, s && wp);
	set(r, K_P50, hist_quantile_us(r->hist, 0.5), s && st.timing == 1);
	set(r, K_P99, hist_quantile_us(r->hist, 0.99), s && st.timing == 1);
	if (isnan(r->v[K_P50]))
		r->known[K_P50] = r->known[K_P99] = false;
	set(r, K_LKR, l[LV_LOCK_WAITS + LM_READ] * per, lk && st.lock_probes);
	set(r, K_LKW, l[LV_LOCK_WAITS + LM_WRITE] * per, lk && st.lock_probes);
	set(r, K_LKR_MS, l[LV_LOCK_NS + LM_READ] / 1e6 * per, lk && st.lock_probes);
	set(r, K_LKW_MS, l[LV_LOCK_NS + LM_WRITE] / 1e6 * per, lk && st.lock_probes);
	set(r, K_TLBI, (r->vm[MS_TLBI_VMID] + r->vm[MS_TLBI_IPA] + r->vm[MS_TLBI_IPA_LOCAL] +
			r->vm[MS_TLBI_RANGE]) * per, s);
	set(r, K_CMO, (r->vm[MS_CMO_DCACHE_BYTES] + r->vm[MS_CMO_ICACHE_BYTES]) * per, s);
	set(r, K_DLOG, (l[LV_DIRTY_CALLS + DI_GET] + l[LV_DIRTY_CALLS + DI_CLEAR] +
			l[LV_DIRTY_CALLS + DI_RESET_RINGS]) * per, lk && st.ioctl_probes);
}

static double cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* One look: the VMMs, their VMs and vCPUs, and what each counted since the last. */
static void collect(void)
{
	static double last_t, last_cpu;
	double t = now_secs(), cpu = cpu_secs();
	__u64 fds_now = st.skel->bss->counts[C_KVM_FDS];
	bool events = st.vm_events || st.ioctl_probes;
	bool changed = fds_now != st.fds_seen || st.look_again;
	int i, j;

	st.dt = last_t ? t - last_t : opt.interval;
	st.cpu = last_t && st.dt > 0 ? (cpu - last_cpu) / st.dt : 0;
	last_t = t;
	last_cpu = cpu;

	/*
	 * New VMMs. Listing every process's fds is the dearest thing s2top
	 * does (tens of ms under emulation): only when the BPF side saw a VM
	 * or vCPU made (and at the look after, for the fd installed after
	 * the event), and every 30th look in case; every 5th without events.
	 */
	if (!opt.pid && (!frame || changed || frame % (events ? 30 : 5) == 0)) {
		pid_t pids[MAX_WATCHES];
		int n = s2_kvm_pids(pids, MAX_WATCHES);

		for (i = 0; i < n; i++)
			watch_add(pids[i]);
	}
	st.look_again = fds_now != st.fds_seen;
	st.fds_seen = fds_now;
	if (opt.pid && !frame)
		watch_add(opt.pid);

	st.nrows = 0;
	for (i = 0; i < MAX_WATCHES; i++) {
		struct watch *wa = &st.watches[i];

		if (!wa->used || !st.kstats)
			continue;
		/*
		 * Its fds: again when a VM or vCPU was made, and every 5th look
		 * for those it closed (their last figures are held till then);
		 * every look without the events that tell.
		 */
		if (wa->fresh || changed || !events || frame % 5 == 0)
			s2w_scan(&wa->w, false);
		wa->fresh = false;
		/* gone: read its VMs once more (our duplicates hold them), then let go */
		if (kill(wa->w.pid, 0) && errno == ESRCH)
			for (j = 0; j < wa->w.nent; j++)
				if (!wa->w.ent[j].gone) {
					wa->w.ent[j].gone = true;
					wa->w.ngone++;
				}
	}
	if (st.kstats)
		collect_stats();
	else
		collect_procs();
	collect_live();
	for (i = 0; i < MAX_WATCHES; i++) {
		struct watch *wa = &st.watches[i];

		if (!wa->used)
			continue;
		if (st.kstats && wa->w.ngone)
			s2w_drop_gone(&wa->w);
		if (kill(wa->w.pid, 0) && errno == ESRCH)
			watch_drop(wa);
	}
	mem_sweep();
	/* a VM gone by this look still shows its last interval */
	for (i = 0; i < st.nrows; i++)
		compute(&st.rows[i]);
	frame++;
}

/* ---- drawing ---- */

static int cmp_rows(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	int c = opt.sort, r;

	/* unknown figures last, whichever the order */
	if (x->known[c] != y->known[c])
		return x->known[c] ? -1 : 1;
	if (c == K_STRATEGY)
		r = strcmp(x->strategy, y->strategy);
	else
		r = x->v[c] < y->v[c] ? 1 : x->v[c] > y->v[c] ? -1 : 0;
	if (opt.reverse)
		r = -r;
	/* stable across frames: by pid, then VM */
	if (!r)
		r = x->pid != y->pid ? x->pid - y->pid : x->vmfd - y->vmfd;
	return r;
}

struct out {
	char *buf;
	size_t len, cap;
	int width;		/* visible columns left on this line; <0: no limit */
	bool term;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			exit(1);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

/* A line of text, cut at the terminal's width. */
static void line(struct out *o, const char *s, int cols_avail)
{
	size_t n = strlen(s);

	if (o->term && cols_avail > 0 && n > (size_t)cols_avail)
		n = cols_avail;
	put(o, s, n);
	put(o, o->term ? "\033[K\n" : "\n", o->term ? 4 : 1);
}

/* A figure in @w characters: exact where it fits, else with a k/M/G suffix. */
static void fmt_num(char *buf, size_t len, double v, int w, bool integer)
{
	static const char sfx[] = "kMGT";
	int i;

	if (integer || v >= 100 || v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (v >= 10)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.2f", v);
	for (i = 0; (int)strlen(buf) > w && i < 4; i++) {
		v /= 1000;
		snprintf(buf, len, v >= 100 ? "%.0f%c" : "%.1f%c", v, sfx[i]);
	}
}

static void cell(const struct row *r, int c, char *buf, size_t len)
{
	if (!r->known[c]) {
		snprintf(buf, len, "-");
		return;
	}
	switch (c) {
	case K_STRATEGY:
		snprintf(buf, len, "%s", r->strategy);
		break;
	case K_PID: case K_VM: case K_VCPUS:
		snprintf(buf, len, "%.0f", r->v[c]);
		break;
	case K_FASTPCT:
		snprintf(buf, len, "%.1f", r->v[c]);
		break;
	case K_P50: case K_P99:
		fmt_num(buf, len, r->v[c], cols[c].width, r->v[c] >= 10);
		break;
	case K_LKR_MS: case K_LKW_MS:
		snprintf(buf, len, "%.2f", r->v[c]);
		break;
	default:
		/* counts per interval are exact; rates as they come */
		fmt_num(buf, len, r->v[c], cols[c].width, opt.counts || !cols[c].rate ||
			r->v[c] >= 10);
	}
}

static void table_line(struct out *o, const struct row *r, int avail)
{
	char buf[64], l[1024];
	int c, n = 0, w;

	for (c = 0; c < NR_COLS; c++) {
		if (r)
			cell(r, c, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "%s", cols[c].name);
		w = cols[c].width;
		if (avail > 0 && o->term && n + w + 1 > avail && c)
			break;
		/* the strategy reads better left-aligned */
		n += snprintf(l + n, sizeof(l) - n, c == K_STRATEGY ? "%s%-*s" : "%s%*s",
			      c ? " " : "", w, buf);
		if (!r && c == opt.sort && o->term) {
			/* the sort column, in reverse video: its cells are right-aligned */
			char tmp[1024];
			int start = n - (int)strlen(buf);

			if (c == K_STRATEGY)
				start = n - w;
			snprintf(tmp, sizeof(tmp), "%.*s\033[7m%s\033[0m", start, l, l + start);
			put(o, tmp, strlen(tmp));
			l[0] = 0;
			n = 0;
			avail -= start + (int)strlen(buf);
		}
	}
	put(o, l, n);
	put(o, o->term ? "\033[K\n" : "\n", o->term ? 4 : 1);
}

static void draw(bool term)
{
	struct out o = { .term = term };
	struct winsize ws = { .ws_col = 0, .ws_row = 0 };
	char top[512], ts[16];
	const char *p, *nl;
	time_t now = time(NULL);
	int i, avail = -1, rows_avail = st.nshown;

	if (term && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col) {
		avail = ws.ws_col;
		rows_avail = ws.ws_row > 8 ? ws.ws_row - 8 : 1;
	}
	strftime(ts, sizeof(ts), "%H:%M:%S", localtime(&now));
	if (term)
		put(&o, "\033[H", 3);
	snprintf(top, sizeof(top), "s2top %s  every %.1f s  %s  %d VM%s%s  sort %s%s  s2top cpu %.1f%%",
		 ts, opt.interval, opt.counts ? "counts per interval" : "per second", st.nshown,
		 st.nshown == 1 ? "" : "s", opt.pid ? "" : " (all VMMs)", cols[opt.sort].name,
		 opt.reverse ? " (ascending)" : "", st.cpu * 100);
	line(&o, top, avail);
	if (st.kstats)
		snprintf(top, sizeof(top), "faults, latency, TLBI, CMO: the kernel's stage-2 stats "
			 "(no per-fault probe); mmu_lock, dirty log: BPF%s",
			 st.lock_probes ? "" : " (no lock:contention_* events: lock columns unknown)");
	else
		snprintf(top, sizeof(top), "fault, latency, TLBI and CMO columns unavailable: %s",
			 st.why);
	line(&o, top, avail);
	if (st.kstats && st.timing != 1)
		line(&o, st.timing == 0 ? "latency unavailable: the kernel does not time faults "
		     "(kvm.stage2_fault_timing=N)" : "latency unavailable: no kvm.stage2_fault_timing",
		     avail);
	if (st.kstats && !st.hyp)
		line(&o, "HYP unavailable: this kernel has no hypfast strategy (no s2_fault_hyp stat)",
		     avail);
	if (st.missed[0])
		line(&o, st.missed, avail);
	line(&o, "", avail);
	table_line(&o, NULL, avail);
	for (i = 0; i < st.nshown && i < rows_avail; i++)
		table_line(&o, &st.shown[i], avail);
	if (!st.nshown)
		line(&o, frame <= 1 ? "  (measuring: the first figures come after one interval)" :
		     opt.pid ? "  (no VM in this process)" : "  (no KVM VM on this host)", avail);
	if (term) {
		line(&o, "", avail);
		line(&o, keys_help, avail);
		if (opt.legend)
			for (p = legend; *p; p = nl + 1) {
				nl = strchr(p, '\n');
				snprintf(top, sizeof(top), "%.*s", (int)(nl - p), p);
				line(&o, top, avail);
			}
		put(&o, "\033[J", 3);
	} else {
		put(&o, "\n", 1);
	}
	if (write(STDOUT_FILENO, o.buf, o.len) < 0)
		exiting = 1;
	free(o.buf);
}

static void show(bool term)
{
	memcpy(st.shown, st.rows, st.nrows * sizeof(st.rows[0]));
	st.nshown = st.nrows;
	qsort(st.shown, st.nshown, sizeof(st.shown[0]), cmp_rows);
	draw(term);
}

/* ---- the terminal ---- */

static struct termios saved_tio;
static bool tio_saved;

static void term_restore(void)
{
	if (!tio_saved)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
	/* cursor back, main screen back */
	if (write(STDOUT_FILENO, "\033[?25h\033[?1049l", 14) < 0)
		return;
	tio_saved = false;
}

static int term_setup(void)
{
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio))
		return -1;
	t = saved_tio;
	/* keys one by one, unechoed; Ctrl-C still a signal */
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t))
		return -1;
	tio_saved = true;
	atexit(term_restore);
	/* the alternate screen, no cursor */
	if (write(STDOUT_FILENO, "\033[?1049h\033[?25l\033[H\033[J", 20) < 0)
		return -1;
	return 0;
}

/* A key: true if the frame is to be drawn again. */
static bool key(int ch)
{
	int c;

	switch (ch) {
	case 'q': case 'Q':
		exiting = 1;
		return false;
	case 'r':
		opt.reverse = !opt.reverse;
		return true;
	case 'h': case '?':
		opt.legend = !opt.legend;
		return true;
	case 'c':
		/* the same deltas, per second or per interval */
		opt.counts = !opt.counts;
		for (c = 0; c < st.nrows; c++)
			compute(&st.rows[c]);
		return true;
	case '<': case '>':
		do
			opt.sort = (opt.sort + (ch == '<' ? NR_COLS - 1 : 1)) % NR_COLS;
		while (opt.sort == K_VM);
		return true;
	}
	for (c = 0; c < NR_COLS; c++)
		if (cols[c].key && cols[c].key == ch) {
			opt.sort = c;
			return true;
		}
	return false;
}

/* ---- setup ---- */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG && !opt.verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* Only what statistics cannot give: nothing per fault. */
static const struct {
	const char *sys, *event;
	size_t prog;		/* offset of the program in the skeleton's progs */
} wanted[] = {
#define P(s, e, p) { s, e, offsetof(struct s2collect_bpf, progs.p) }
	P("kvm_s2", "kvm_s2_vm_init", s2_vm_init),
	P("kvm_s2", "kvm_s2_vm_destroy", s2_vm_destroy),
	P("lock", "contention_begin", lock_begin),
	P("lock", "contention_end", lock_end),
	P("syscalls", "sys_enter_ioctl", ioctl_enter),
	P("syscalls", "sys_exit_ioctl", ioctl_exit),
#undef P
};
#define NR_WANTED (sizeof(wanted) / sizeof(wanted[0]))

static struct bpf_program *wanted_prog(size_t i)
{
	return *(struct bpf_program **)((char *)st.skel + wanted[i].prog);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct bpf_link *links[NR_WANTED] = {}, *iter_link = NULL;
	struct bpf_program *prog;
	bool present[NR_WANTED], tp_btf;
	double next, t0, cpu0;
	int err = 1, stats_fd = -1, i;
	long shown = 0;

	parse_args(argc, argv);
	libbpf_set_print(libbpf_print);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	st.kstats = s2_kernel_has_stats(&tp_btf, &st.hyp, st.why, sizeof(st.why));
	st.timing = s2_fault_timing();
	if (st.kstats && geteuid()) {
		snprintf(st.why, sizeof(st.why), "not root: the VMMs' fds cannot be taken "
			 "(pidfd_getfd) to read their stats");
		st.kstats = false;
	}

	st.skel = s2collect_bpf__open();
	if (!st.skel) {
		fprintf(stderr, "failed to open BPF object: %s\n", strerror(errno));
		return 1;
	}
	st.skel->rodata->target_tgid = opt.pid;
	st.skel->rodata->per_vm = true;
	s2_set_kvm_cmds(st.skel);
	bpf_object__for_each_program(prog, st.skel->obj)
		bpf_program__set_autoload(prog, false);
	for (i = 0; i < (int)NR_WANTED; i++) {
		present[i] = s2_event_exists(wanted[i].sys, wanted[i].event);
		bpf_program__set_autoload(wanted_prog(i), present[i]);
	}
	st.lock_probes = present[2] && present[3];
	st.ioctl_probes = present[4] && present[5];
	st.vm_events = present[0];
	bpf_program__set_autoload(st.skel->progs.kvm_stats, st.kstats);
	err = s2collect_bpf__load(st.skel);
	if (err) {
		fprintf(stderr, "failed to load BPF object: %s\n", strerror(-err));
		err = 1;
		goto cleanup;
	}
	err = 1;
	st.live_fd = bpf_map__fd(st.skel->maps.vm_live);
	st.locks_fd = bpf_map__fd(st.skel->maps.locks);
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (st.kstats) {
		/* over our own files only: the duplicates of the VMMs' fds */
		union bpf_iter_link_info linfo = { .task.pid = getpid() };
		LIBBPF_OPTS(bpf_iter_attach_opts, iopts, .link_info = &linfo,
			    .link_info_len = sizeof(linfo));

		iter_link = bpf_program__attach_iter(st.skel->progs.kvm_stats, &iopts);
		if (!iter_link) {
			fprintf(stderr, "failed to attach the kvm_stats iterator: %s\n",
				strerror(errno));
			goto cleanup;
		}
		st.iter_fd = bpf_link__fd(iter_link);
	}
	for (i = 0; i < (int)NR_WANTED; i++) {
		if (!present[i])
			continue;
		links[i] = bpf_program__attach(wanted_prog(i));
		if (!links[i]) {
			fprintf(stderr, "failed to attach %s:%s: %s\n", wanted[i].sys,
				wanted[i].event, strerror(errno));
			goto cleanup;
		}
	}
	if (!opt.batch && term_setup()) {
		fprintf(stderr, "s2top: cannot set up the terminal: %s\n", strerror(errno));
		goto cleanup;
	}

	if (opt.batch) {
		printf("%s\n", legend);
		fflush(stdout);
	}
	t0 = now_secs();
	cpu0 = cpu_secs();
	collect();		/* the baselines */
	next = now_secs() + opt.interval;
	if (!opt.batch)
		draw(true);	/* the VMs, before the first figures */
	while (!exiting) {
		double left = next - now_secs();

		if (left > 0 && opt.batch) {
			struct timespec ts = { (time_t)left, (long)((left - (time_t)left) * 1e9) };

			nanosleep(&ts, NULL);
			continue;
		}
		if (left > 0) {
			struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
			bool redraw = false;
			char ch[16];
			ssize_t n;

			if (poll(&p, 1, (int)(left * 1000) + 1) > 0) {
				n = read(STDIN_FILENO, ch, sizeof(ch));
				/* an escape sequence (arrow keys) is not a key of ours */
				for (i = 0; i < n && ch[0] != '\033'; i++)
					redraw |= key(ch[i]);
				if (n == 0)	/* the terminal went away */
					exiting = 1;
			}
			if (redraw && !exiting)
				show(true);
			continue;
		}
		collect();
		show(!opt.batch);
		next += opt.interval;
		/* behind (a stopped process, a slow look): no burst to catch up */
		if (next < now_secs())
			next = now_secs() + opt.interval;
		if (++shown >= opt.count && opt.count)
			break;
	}
	term_restore();
	if (opt.batch) {
		__u64 runs = 0, ns = 0;
		double secs = now_secs() - t0;

		for (i = 0; i < (int)NR_WANTED; i++) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);

			if (links[i] && !bpf_obj_get_info_by_fd(bpf_program__fd(wanted_prog(i)),
								 &info, &len)) {
				runs += info.run_cnt;
				ns += info.run_time_ns;
			}
		}
		fprintf(stderr, "s2top: %ld frames in %.1f s; own CPU %.0f ms (%.2f%% of one CPU); "
			"BPF programs %llu runs, %.1f ms%s\n", shown, secs,
			(cpu_secs() - cpu0) * 1000, secs > 0 ? (cpu_secs() - cpu0) / secs * 100 : 0,
			(unsigned long long)runs, ns / 1e6, stats_fd >= 0 ? "" :
			" (BPF run-time stats unavailable)");
	}
	err = 0;

cleanup:
	term_restore();
	for (i = 0; i < (int)NR_WANTED; i++)
		bpf_link__destroy(links[i]);
	for (i = 0; i < MAX_WATCHES; i++)
		if (st.watches[i].used)
			watch_drop(&st.watches[i]);
	bpf_link__destroy(iter_link);
	if (stats_fd >= 0)
		close(stats_fd);
	s2collect_bpf__destroy(st.skel);
	return err;
}
