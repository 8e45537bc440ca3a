// SPDX-License-Identifier: GPL-2.0
/*
 * Shared by the tools of bpf/ (see s2_helpers.h): tracepoint lookup, a
 * process's KVM binary stats, histograms in JSON and as text.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "s2_helpers.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

void s2_bad_args(const char *tool, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", tool);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try -h)\n");
	exit(2);
}

/* ---- tracepoints ---- */

const char *s2_tracefs(void)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	static const char *found;
	static bool tried;
	char path[64];
	size_t i;

	if (tried)
		return found;
	tried = true;
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/events", dirs[i]);
		if (access(path, F_OK) == 0)
			return found = dirs[i];
	}
	/* Not mounted (a minimal system): as root we can mount it ourselves. */
	if (mount("nodev", dirs[0], "tracefs", 0, NULL) == 0)
		found = dirs[0];
	return found;
}

bool s2_event_exists(const char *sys, const char *event)
{
	const char *t = s2_tracefs();
	char path[256];

	if (!t)
		return false;
	snprintf(path, sizeof(path), "%s/events/%s/%s", t, sys, event);
	return access(path, F_OK) == 0;
}

/* ---- KVM binary stats ---- */

static bool btf_struct_has(const struct btf *btf, const char *st, const char *member)
{
	const struct btf_member *m;
	const struct btf_type *t;
	int id, i;

	id = btf__find_by_name_kind(btf, st, BTF_KIND_STRUCT);
	if (id <= 0)
		return false;
	t = btf__type_by_id(btf, id);
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), member))
			return true;
	return false;
}

/*
 * Whether the kernel keeps the stage-2 binary stats (kernel-patches/0006),
 * told from its BTF before any VM exists: struct kvm_vcpu_stat's members
 * are the stats. @tp_btf: and whether kvm_s2_fault_exit can be attached as
 * a BTF tracepoint (its vCPU argument readable); @hyp: and whether it has
 * the hypfast strategy's s2_fault_hyp (kernel-patches/0007).
 */
bool s2_kernel_has_stats(bool *tp_btf, bool *hyp, char *why, size_t len)
{
	struct btf *vmlinux = btf__load_vmlinux_btf(), *mod = NULL;
	bool found;

	*tp_btf = false;
	*hyp = false;
	if (!vmlinux) {
		snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux) to tell "
			 "whether it keeps the stage-2 binary stats");
		return false;
	}
	found = btf_struct_has(vmlinux, "kvm_vcpu_stat", "s2_fault_time_ns");
	if (!found && btf__find_by_name_kind(vmlinux, "kvm_vcpu_stat", BTF_KIND_STRUCT) <= 0) {
		mod = btf__load_module_btf("kvm", vmlinux);
		if (mod)
			found = btf_struct_has(mod, "kvm_vcpu_stat", "s2_fault_time_ns");
	}
	if (found)
		*hyp = btf_struct_has(mod ? mod : vmlinux, "kvm_vcpu_stat", "s2_fault_hyp");
	if (found)
		*tp_btf = btf__find_by_name_kind(vmlinux, "btf_trace_kvm_s2_fault_exit",
						 BTF_KIND_TYPEDEF) > 0;
	else
		snprintf(why, len, "this kernel keeps no stage-2 binary stats (no s2_fault_* "
			 "in struct kvm_vcpu_stat: a kernel without kernel-patches/0006)");
	btf__free(mod);
	btf__free(vmlinux);
	return found;
}

/* debugfs (the s2perf kernel): the mmu_lock and strategy of a VM that already runs */
int s2_debugfs_vms(pid_t pid, int vmfd, struct debugfs_vm *out, int max)
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

const char *const s2_vcpu_stat_names[NR_VCPU_STATS] = {
	"s2_fault_translation", "s2_fault_permission", "s2_fault_access",
	"s2_fault_slow", "s2_fault_fast", "s2_fault_retry", "s2_fault_mmio",
	"s2_fault_wp", "s2_fault_time_ns", "s2_fault_hyp",
};
const char *const s2_vm_stat_names[NR_VM_STATS] = {
	"s2_tlbi_vmid", "s2_tlbi_ipa", "s2_tlbi_ipa_local", "s2_tlbi_range",
	"s2_cmo_dcache", "s2_cmo_dcache_bytes", "s2_cmo_icache", "s2_cmo_icache_bytes",
};

int s2w_open(struct s2_watch *w, pid_t pid, int only_vmfd)
{
	memset(w, 0, sizeof(*w));
	w->pid = pid;
	w->only_vmfd = only_vmfd;
	w->iter_fd = -1;
	w->pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (w->pidfd < 0) {
		snprintf(w->error, sizeof(w->error), "pidfd_open(%d): %s", pid, strerror(errno));
		return -1;
	}
	return 0;
}

static int find_ent(const struct s2_watch *w, int procfd, int id)
{
	int i;

	for (i = 0; i < w->nent; i++)
		if (w->ent[i].procfd == procfd && w->ent[i].id == id && !w->ent[i].gone)
			return i;
	return -1;
}

static void add_ent(struct s2_watch *w, int procfd, int id, bool baseline)
{
	struct s2w_ent *e = &w->ent[w->nent];
	int mine;

	if ((id < 0 && w->nvms == S2W_MAX_VMS) || (id >= 0 && w->nvcpus == S2W_MAX_VCPUS)) {
		w->missed++;
		return;
	}
	/* pidfd_getfd() takes no flags; the duplicate is close-on-exec anyway */
	mine = syscall(SYS_pidfd_getfd, w->pidfd, procfd, 0);
	if (mine >= 0)
		fcntl(mine, F_SETFD, FD_CLOEXEC);
	if (mine < 0) {
		/* closed between the readdir and now: not an error */
		if (errno != EBADF && !w->error[0])
			snprintf(w->error, sizeof(w->error), "pidfd_getfd(%d, fd %d): %s",
				 w->pid, procfd, strerror(errno));
		return;
	}
	memset(e, 0, sizeof(*e));
	e->procfd = procfd;
	e->myfd = mine;
	e->id = id;
	e->need_base = baseline;
	w->nent++;
	if (id < 0)
		w->nvms++;
	else
		w->nvcpus++;
}

/* A fresh duplicate of a process's fd that an entry was taken from. */
struct s2w_probe {
	int ent, fd;
};

static __u64 rec_kvm(const struct s2_stats_rec *recs, int n, int fd)
{
	int j;

	for (j = 0; j < n; j++)
		if ((int)recs[j].fd == fd)
			return recs[j].kvm;
	return 0;
}

/*
 * An fd number is not an identity: a process that closes a VM and creates
 * another between two scans may get the same numbers back. Each entry
 * knows its struct kvm (read through our duplicate, which keeps that VM
 * alive); a probe duplicate of the same number now shows which VM is
 * there. Another one: ours is gone (its final figures are read as such),
 * and the new one is taken. The probes are closed here.
 */
static void check_identity(struct s2_watch *w, struct s2w_probe *probe, int nprobe,
			   bool *seen, bool baseline)
{
	struct s2_stats_rec *recs = NULL;
	int n, i;
	__u64 now;

	/* entries not known yet: their own duplicate says, and keeps, which */
	n = s2_stats_read(w->iter_fd, &recs);
	for (i = 0; n > 0 && i < w->nent; i++)
		if (!w->ent[i].kvm)
			w->ent[i].kvm = rec_kvm(recs, n, w->ent[i].myfd);
	for (i = 0; i < nprobe; i++) {
		struct s2w_ent *e = &w->ent[probe[i].ent];

		now = n > 0 ? rec_kvm(recs, n, probe[i].fd) : 0;
		close(probe[i].fd);
		if (!e->kvm || !now || now == e->kvm || e->gone)
			continue;
		seen[probe[i].ent] = false;	/* the loop after this marks it gone */
		add_ent(w, e->procfd, e->id, baseline);
	}
	free(recs);
}

/* The next fd of /proc/PID/fd (@d, opened from @dir) and where its link points. */
static bool next_fd_link(DIR *d, const char *dir, int *fd, char *link, size_t len)
{
	char path[320];
	struct dirent *de;
	ssize_t l;

	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		l = readlink(path, link, len - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		*fd = atoi(de->d_name);
		return true;
	}
	return false;
}

int s2w_scan(struct s2_watch *w, bool baseline)
{
	char dir[64], link[64];
	bool seen[S2W_MAX_VMS + S2W_MAX_VCPUS];
	struct s2w_probe probe[S2W_MAX_VMS + S2W_MAX_VCPUS];
	int before = w->nent, nvm = 0, nprobe = 0, fd, id, i;
	DIR *d;

	if (w->pidfd < 0)
		return 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", w->pid);
	d = opendir(dir);
	if (!d)
		return 0;
	for (i = 0; i < w->nent; i++)
		seen[i] = false;
	while (next_fd_link(d, dir, &fd, link, sizeof(link))) {
		/*
		 * A VM or vCPU is known by its fd number: one closed and
		 * another opened at that number between two scans is missed.
		 */
		if (!strcmp(link, "anon_inode:kvm-vm")) {
			nvm++;
			if (w->only_vmfd >= 0 && fd != w->only_vmfd)
				continue;
			id = -1;
		} else if (sscanf(link, "anon_inode:kvm-vcpu:%d", &id) != 1 || id < 0) {
			continue;
		}
		i = find_ent(w, fd, id);
		if (i < 0) {
			add_ent(w, fd, id, baseline);
			continue;
		}
		seen[i] = true;
		/* the same number: look again at what it holds (below) */
		if (w->iter_fd >= 0 && nprobe < S2W_MAX_VMS + S2W_MAX_VCPUS) {
			probe[nprobe].ent = i;
			probe[nprobe].fd = syscall(SYS_pidfd_getfd, w->pidfd, fd, 0);
			if (probe[nprobe].fd >= 0)
				nprobe++;
		}
	}
	closedir(d);
	if (w->iter_fd >= 0)
		check_identity(w, probe, nprobe, seen, baseline);
	/* entries added in this scan were seen; the others are closed */
	for (i = 0; i < before; i++)
		if (!seen[i] && !w->ent[i].gone) {
			w->ent[i].gone = true;
			w->ngone++;
		}
	if (nvm > w->most_vms)
		w->most_vms = nvm;
	return w->nent - before;
}

static void apply(struct s2_watch *w, const struct s2_stats_rec *recs, int n,
		  struct s2_stats *sum, __u64 *vcpu_faults, int max_ids, bool only_gone)
{
	int i, j, k;

	for (i = 0; i < w->nent; i++) {
		struct s2w_ent *e = &w->ent[i];
		const struct s2_stats_rec *r = NULL;

		if (only_gone && !e->gone)
			continue;
		for (j = 0; j < n && !r; j++)
			if ((int)recs[j].fd == e->myfd &&
			    recs[j].kind == (e->id < 0 ? S2_REC_VM : S2_REC_VCPU))
				r = &recs[j];
		if (!r)
			continue;
		if (e->need_base) {
			memcpy(e->base, r->v, sizeof(e->base));
			memcpy(e->hist_base, r->hist, sizeof(e->hist_base));
			e->need_base = false;
		}
		if (e->id < 0) {
			for (k = 0; k < NR_VM_STATS; k++)
				sum->vm[k] += r->v[k] - e->base[k];
			sum->nvms++;
			continue;
		}
		for (k = 0; k < NR_VCPU_STATS; k++)
			sum->vcpu[k] += r->v[k] - e->base[k];
		for (k = 0; k < S2_STATS_HIST; k++)
			sum->hist[k] += r->hist[k] - e->hist_base[k];
		if (vcpu_faults && e->id < max_ids)
			vcpu_faults[e->id] += r->v[VS_TRANSLATION] + r->v[VS_PERMISSION] +
					      r->v[VS_ACCESS] - e->base[VS_TRANSLATION] -
					      e->base[VS_PERMISSION] - e->base[VS_ACCESS];
		sum->nvcpus++;
	}
}

void s2w_apply(struct s2_watch *w, const struct s2_stats_rec *recs, int n,
	       struct s2_stats *sum, __u64 *vcpu_faults, int max_ids)
{
	apply(w, recs, n, sum, vcpu_faults, max_ids, false);
}

void s2w_apply_gone(struct s2_watch *w, const struct s2_stats_rec *recs, int n,
		    struct s2_stats *sum, __u64 *vcpu_faults, int max_ids)
{
	apply(w, recs, n, sum, vcpu_faults, max_ids, true);
}

void s2w_drop_gone(struct s2_watch *w)
{
	int i, j = 0;

	for (i = 0; i < w->nent; i++) {
		if (!w->ent[i].gone) {
			w->ent[j++] = w->ent[i];
			continue;
		}
		close(w->ent[i].myfd);
		if (w->ent[i].id < 0)
			w->nvms--;
		else
			w->nvcpus--;
	}
	w->nent = j;
	w->ngone = 0;
}

void s2w_close(struct s2_watch *w)
{
	int i;

	for (i = 0; i < w->nent; i++)
		close(w->ent[i].myfd);
	w->nent = w->nvms = w->nvcpus = 0;
	if (w->pidfd >= 0)
		close(w->pidfd);
	w->pidfd = -1;
}

int s2_stats_read(int link_fd, struct s2_stats_rec **recs)
{
	size_t cap = 16, n = 0;
	struct s2_stats_rec *r = malloc(cap * sizeof(*r)), *nr;
	int fd = bpf_iter_create(link_fd);
	ssize_t got = 0;
	size_t have = 0;

	*recs = NULL;
	if (fd < 0 || !r) {
		if (fd >= 0)
			close(fd);
		free(r);
		return -1;
	}
	for (;;) {
		if (have == cap * sizeof(*r)) {
			nr = realloc(r, 2 * cap * sizeof(*r));
			if (!nr)
				break;
			r = nr;
			cap *= 2;
		}
		got = read(fd, (char *)r + have, cap * sizeof(*r) - have);
		if (got <= 0)
			break;
		have += got;
	}
	close(fd);
	n = have / sizeof(*r);
	*recs = r;
	return got < 0 ? -1 : (int)n;
}

bool s2_can_getfd(pid_t pid, char *why, size_t len)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), mine = -1, err = EBADF;
	bool listed;
	char dir[64];
	struct dirent *de;
	DIR *d;

	if (pidfd < 0) {
		snprintf(why, len, "pidfd_open(%d): %s", pid, strerror(errno));
		return false;
	}
	/* any fd the process has: a daemon may have closed its stdio */
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	listed = d != NULL;
	if (!d)
		err = errno;
	while (d && mine < 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		mine = syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (mine < 0)
			err = errno;
		if (mine < 0 && err != EBADF)
			break;
	}
	if (d)
		closedir(d);
	close(pidfd);
	if (mine >= 0) {
		close(mine);
		return true;
	}
	snprintf(why, len, "cannot take the process's fds (%s %d: %s)",
		 listed ? "pidfd_getfd on" : "no /proc/PID/fd for", pid, strerror(err));
	return false;
}

int s2_kvm_fds(pid_t pid, int *nvcpus, int *vmfd)
{
	char dir[64], link[64];
	int nvms = 0, id, fd;
	DIR *d;

	if (nvcpus)
		*nvcpus = 0;
	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while (next_fd_link(d, dir, &fd, link, sizeof(link))) {
		if (!strcmp(link, "anon_inode:kvm-vm")) {
			nvms++;
			if (vmfd)
				*vmfd = fd;
		} else if (nvcpus && sscanf(link, "anon_inode:kvm-vcpu:%d", &id) == 1) {
			(*nvcpus)++;
		}
	}
	closedir(d);
	return nvms;
}

int s2_kvm_pids(pid_t *pids, int max)
{
	struct dirent *pe;
	pid_t pid;
	DIR *proc;
	int n = 0;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (n < max && (pe = readdir(proc))) {
		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		pid = atoi(pe->d_name);
		/* not ourselves: our duplicates of the watched fds are no VMM */
		if (pid != getpid() && s2_kvm_fds(pid, NULL, NULL) > 0)
			pids[n++] = pid;
	}
	closedir(proc);
	return n;
}

/* ---- histograms ---- */

__u64 ll_lower(unsigned int idx, unsigned int sub_bits)
{
	unsigned int sub = 1U << sub_bits, e;

	if (idx < sub)
		return idx;
	/* rows of sub buckets: row r >= 1 covers [2^(r+sub_bits-1), 2^(r+sub_bits)) */
	e = idx / sub + sub_bits - 1;
	return (1ULL << e) + (__u64)(idx % sub) * (1ULL << (e - sub_bits));
}

static json_t *jbuckets(const __u64 *slots, int nslots, __u64 (*upper)(int, unsigned int),
			unsigned int arg)
{
	json_t *b = json_array();
	int i;

	for (i = 0; i < nslots; i++) {
		json_t *e;

		if (!slots[i])
			continue;
		e = json_pack("{s:I}", "count", (json_int_t)slots[i]);
		/* "le": inclusive upper bound; the last bucket is open */
		if (i == nslots - 1)
			json_object_set_new(e, "le", json_string("+Inf"));
		else
			json_object_set_new(e, "le", json_integer(upper(i, arg)));
		json_array_append_new(b, e);
	}
	return b;
}

static __u64 log2_upper(int i, unsigned int unused)
{
	return i ? (1ULL << i) - 1 : 0;
}

static __u64 ll_upper(int i, unsigned int sub_bits)
{
	return ll_lower(i + 1, sub_bits) - 1;
}

json_t *s2_jhist_log2(const __u64 *slots, int nslots, __u64 count, __u64 sum,
		      const char *unit)
{
	return json_pack("{s:s,s:I,s:I,s:o}", "unit", unit, "count", (json_int_t)count,
			 "sum", (json_int_t)sum, "buckets", jbuckets(slots, nslots, log2_upper, 0));
}

json_t *s2_jhist_loglinear(const __u64 *slots, int nslots, unsigned int sub_bits,
			   __u64 count, __u64 sum, const char *unit)
{
	json_t *h = json_pack("{s:s,s:I,s:I,s:o}", "unit", unit, "count", (json_int_t)count,
			      "sum", (json_int_t)sum,
			      "buckets", jbuckets(slots, nslots, ll_upper, sub_bits));

	json_object_set_new(h, "scale", json_pack("{s:s,s:i,s:f}", "kind", "log-linear",
			    "per_power_of_two", 1 << sub_bits,
			    "relative_error", 1.0 / (1 << sub_bits)));
	return h;
}

double s2_jhist_quantile(json_t *h, double q)
{
	json_t *bs = json_object_get(h, "buckets"), *e, *le = NULL;
	double total = 0, cum = 0, rank;
	size_t i;

	json_array_foreach(bs, i, e)
		total += json_integer_value(json_object_get(e, "count"));
	if (total <= 0)
		return NAN;
	rank = q * total;
	json_array_foreach(bs, i, e) {
		cum += json_integer_value(json_object_get(e, "count"));
		le = json_object_get(e, "le");
		if (cum >= rank)
			break;
	}
	return json_is_integer(le) ? (double)json_integer_value(le) : INFINITY;
}

static void print_stars(FILE *f, double v, double max, int width)
{
	int n = max > 0 ? (int)(v * width / max + 0.5) : 0, i;

	for (i = 0; i < width; i++)
		fputc(i < n ? '*' : ' ', f);
}

/* Bits needed for v: the log2 row a bucket whose upper bound is v lands in. */
static int bits(__u64 v)
{
	int n = 0;

	while (v) {
		n++;
		v >>= 1;
	}
	return n;
}

void s2_print_jhist(FILE *f, const char *title, json_t *h)
{
	double rows[65] = { 0 }, max = 0, err;
	char note[48];
	json_t *bs = json_object_get(h, "buckets"), *e, *le;
	json_int_t count = json_integer_value(json_object_get(h, "count"));
	json_int_t sum = json_integer_value(json_object_get(h, "sum"));
	int first = 65, last = -1, r;
	size_t i;

	if (!count)
		return;
	json_array_foreach(bs, i, e) {
		le = json_object_get(e, "le");
		r = json_is_integer(le) ? bits(json_integer_value(le)) : 64;
		rows[r] += json_integer_value(json_object_get(e, "count"));
		if (r < first)
			first = r;
		if (r > last)
			last = r;
	}
	for (r = first; r <= last; r++)
		if (rows[r] > max)
			max = rows[r];
	err = json_real_value(json_object_get(json_object_get(h, "scale"), "relative_error"));
	if (err > 0)
		snprintf(note, sizeof(note), "quantiles up to %.1f%% high", err * 100);
	else
		snprintf(note, sizeof(note), "log2 buckets: quantiles up to 2x high");
	fprintf(f, "  %s: %lld, mean %.0f, p50 %.0f, p99 %.0f %s (%s)\n", title, (long long)count,
		(double)sum / count, s2_jhist_quantile(h, 0.5), s2_jhist_quantile(h, 0.99),
		json_string_value(json_object_get(h, "unit")), note);
	fprintf(f, "  %21s : %-9s %s\n", json_string_value(json_object_get(h, "unit")),
		"count", "distribution");
	for (r = first; r <= last; r++) {
		unsigned long long lo = r ? 1ULL << (r - 1) : 0, hi = r ? (1ULL << r) - 1 : 0;

		fprintf(f, "  %10llu -> %-7llu : %-9.0f |", lo, hi, rows[r]);
		print_stars(f, rows[r], max, 40);
		fprintf(f, "|\n");
	}
}
