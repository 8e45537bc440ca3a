// SPDX-License-Identifier: GPL-2.0
/*
 * The workloads' VM and vCPU control, with the guest code, in the manner of
 * the KVM selftests' lib/memstress.c: one VM with a test memslot split
 * between the vCPUs, the guest's page-touching loop, vCPU threads that run
 * one pass per release, the count of every KVM_RUN, and the VM's binary
 * stats read before it goes. The command line is s2wl_opts.c, the
 * document s2wl_doc.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2common.h"
#include "s2compat.h"
#include "s2wl.h"

/* Guest and host both read this; the host copies it into the guest. */
struct s2wl_guest_args s2wl_args;

/*
 * A prime above any page count we accept: (i * STRIDE + off) % n visits
 * every page once per pass in a scattered order, with no table in the guest.
 */
#define S2WL_STRIDE 2147483647ull
#define S2WL_MAX_PAGES_PER_VCPU (S2WL_STRIDE - 1)

/* splitmix64's finaliser: cheap, and the same in guest and host. */
static uint64_t s2wl_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

bool s2wl_guest_writes(const struct s2wl_guest_args *a, uint64_t pass,
		       uint32_t vcpu, uint64_t page)
{
	if (pass == 0 && a->first_pass_writes)
		return true;
	if (a->write_pct >= 100)
		return true;
	if (a->write_pct == 0)
		return false;
	return s2wl_mix(a->seed ^ (pass << 40) ^ ((uint64_t)vcpu << 32) ^ page) % 100 <
	       a->write_pct;
}

static void s2wl_guest_code(uint32_t vcpu)
{
	const struct s2wl_guest_args *a = &s2wl_args;
	uint64_t n = a->pages_per_vcpu;
	uint64_t base = a->gva + vcpu * n * a->page_size;
	uint64_t pass, i, page, off;

	for (pass = 0;; pass++) {
		off = a->random ? s2wl_mix(a->seed ^ pass) % n : 0;
		for (i = 0; i < n; i++) {
			volatile uint64_t *p;

			page = a->random ? (i * S2WL_STRIDE + off) % n : i;
			p = (volatile uint64_t *)(base + page * a->page_size);
			if (s2wl_guest_writes(a, pass, vcpu, page))
				*p = S2WL_STAMP(pass & 0xfff, vcpu, page);
			else
				(void)*p;
		}
		GUEST_SYNC(pass);
	}
}

uint64_t s2wl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/*
 * Every KVM_RUN the process makes, the framework's too (on x86 get_ucall()
 * re-enters with immediate_exit to complete port I/O, which returns
 * -EINTR): the Makefile links with --wrap=ioctl so that these counts are
 * the ones a tracer sees at the syscall boundary.
 */
static uint64_t s2wl_kvm_run_calls, s2wl_kvm_run_eintr;

/*
 * The workload whose before_memslots() is due. __vm_create() adds slot 0
 * before it returns the VM, and some VM capabilities can only be set while
 * a VM has no memslot at all; the first memslot ioctl on the VM's fd is
 * the one moment between the two, and the wrapper below sees it.
 */
static struct s2wl *s2wl_memslot_hook;

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (s2wl_memslot_hook && (req == KVM_SET_USER_MEMORY_REGION ||
				  req == KVM_SET_USER_MEMORY_REGION2)) {
		struct s2wl *wl = s2wl_memslot_hook;

		s2wl_memslot_hook = NULL;
		wl->before_memslots(wl, fd);
	}
	r = s2compat_ioctl(fd, req, arg);
	if (req == KVM_RUN) {
		int err = errno;

		__atomic_fetch_add(&s2wl_kvm_run_calls, 1, __ATOMIC_RELAXED);
		if (r < 0 && err == EINTR)
			__atomic_fetch_add(&s2wl_kvm_run_eintr, 1, __ATOMIC_RELAXED);
		errno = err;
	}
	return r;
}

void s2wl_kvm_runs(uint64_t *calls, uint64_t *eintr)
{
	*calls = __atomic_load_n(&s2wl_kvm_run_calls, __ATOMIC_RELAXED);
	*eintr = __atomic_load_n(&s2wl_kvm_run_eintr, __ATOMIC_RELAXED);
}

void s2wl_init(struct s2wl *wl, const struct s2wl_cli *cli, int argc, char **argv)
{
	clock_gettime(CLOCK_MONOTONIC, &wl->t0);
	s2wl_parse_args(wl, cli, argc, argv);
	wl->doc = json_object();
	wl->phases = json_array();
	pthread_mutex_init(&wl->lock, NULL);
	pthread_cond_init(&wl->cond, NULL);
}

/* ---- the VM's binary stats ---- */

/*
 * The stage-2 binary stats (KVM_GET_STATS_FD, kernel series patch 6) of the
 * VM and of each vCPU, read just before the VM is destroyed: every s2_*
 * figure, vCPU ones summed over the vCPUs and everything summed over the
 * VMs of the run. Only the VM's own process may ask for them (KVM refuses
 * other processes with EIO), which is why the workload reports them.
 */
static const char *s2wl_kstat_unit(const struct kvm_stats_desc *d)
{
	switch (d->flags & KVM_STATS_UNIT_MASK) {
	case KVM_STATS_UNIT_BYTES:
		return "bytes";
	case KVM_STATS_UNIT_SECONDS:
		return "ns";	/* s2_* times are KVM_STATS_BASE_POW10, -9 */
	case KVM_STATS_UNIT_CYCLES:
		return "cycles";
	}
	if (!strncmp(d->name, "s2_fault_", 9))
		return "faults";
	if (!strncmp(d->name, "s2_tlbi_", 8))
		return "tlbi";
	if (!strncmp(d->name, "s2_cmo_", 7))
		return "operations";
	/* hwdbm's harvests (0008): how many, and the stage-2 leaves they read */
	if (!strcmp(d->name, "s2_dbm_harvests"))
		return "harvests";
	if (!strncmp(d->name, "s2_dbm_", 7))
		return "leaves";
	if (!strcmp(d->name, "exits"))
		return "exits";
	return "count";
}

static void s2wl_kstat_add(json_t *to, const struct kvm_stats_desc *d,
			   const uint64_t *v)
{
	bool hist = (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_LOG_HIST;
	json_t *o = json_object_get(to, d->name), *b;
	uint32_t i;

	if (!o) {
		o = json_pack("{s:s}", "unit", hist ? "ns" : s2wl_kstat_unit(d));
		if (hist) {
			json_object_set_new(o, "scale", json_string("log2"));
			b = json_array();
			for (i = 0; i < d->size; i++)
				json_array_append_new(b, json_integer(0));
			json_object_set_new(o, "counts", b);
		} else {
			json_object_set_new(o, "value", json_integer(0));
		}
		json_object_set_new(to, d->name, o);
	}
	if (hist) {
		b = json_object_get(o, "counts");
		for (i = 0; i < d->size && i < json_array_size(b); i++)
			json_array_set_new(b, i, json_integer(json_integer_value(
				json_array_get(b, i)) + (json_int_t)v[i]));
	} else {
		json_object_set_new(o, "value", json_integer(json_integer_value(
			json_object_get(o, "value")) + (json_int_t)v[0]));
	}
}

/* Adds stats fd sfd's s2_* stats to wl->kstats[scope] and closes it. */
static void s2wl_read_kstats(struct s2wl *wl, int sfd, const char *scope)
{
	struct s2wl_stats s;
	struct kvm_stats_desc *d;
	uint64_t v[64];
	uint32_t i;

	s2wl_stats_open(&s, sfd);
	for (i = 0; i < s.hdr.num_desc; i++) {
		d = s2wl_stats_desc(&s, i);
		/*
		 * "exits" is every kernel's, kept beside the s2_* ones: exits
		 * resolved without the run loop (hypfast) must count there too.
		 * It does not make a kernel one with the stage-2 stats.
		 */
		bool generic = !strcmp(d->name, "exits");

		if ((strncmp(d->name, "s2_", 3) && !generic) || d->size > 64)
			continue;
		s2wl_stats_read(&s, i, v, d->size);
		s2wl_kstat_add(json_object_get(wl->kstats, scope), d, v);
		if (!generic)
			wl->kstats_found++;
	}
	s2wl_stats_close(&s);
}

/*
 * Open the stats fds of the VM (sfd[0]) and its vCPUs before the VM is
 * freed: each holds a reference on the VM, so they can be read after
 * kvm_vm_free() has deleted the memslots (whose unmapping TLBIs and CMOs
 * belong to the run). Only what the final teardown does, once the last
 * reference goes, is missed. Returns the fds opened, -1 in those missing.
 */
static void s2wl_open_kstats(struct s2wl *wl, int *sfd)
{
	char why[128];
	int i;

	if (!wl->kstats)
		wl->kstats = json_pack("{s:{}, s:{}}", "vm", "vcpu");
	for (i = 0; i <= wl->p.vcpus; i++)
		sfd[i] = -1;
	if (wl->kstats_why)
		return;
	for (i = 0; i <= wl->p.vcpus; i++) {
		sfd[i] = ioctl(i ? wl->vcpus[i - 1].vcpu->fd : wl->vm->fd, KVM_GET_STATS_FD, NULL);
		if (sfd[i] < 0) {
			snprintf(why, sizeof(why), "KVM_GET_STATS_FD on the %s: %s",
				 i ? "vcpu" : "vm", strerror(errno));
			wl->kstats_why = strdup(why);
			return;
		}
	}
}

static void s2wl_collect_kstats(struct s2wl *wl, int *sfd)
{
	int i;

	for (i = 0; i <= wl->p.vcpus; i++) {
		if (sfd[i] < 0)
			continue;
		if (!wl->kstats_why)
			s2wl_read_kstats(wl, sfd[i], i ? "vcpu" : "vm");
		else
			close(sfd[i]);
	}
}

/* ---- the VM ---- */

/*
 * The VM's hardware access flag and dirty state (VTCR_EL2.HA, .HD), from
 * its debugfs stage2_hafdbs (0008): {"ha": 0|1, "hd": 0|1, "requested"}.
 */
static json_t *s2wl_j_hafdbs(struct s2wl *wl)
{
	json_t *req = wl->p.hw_access < 0 ? json_null() :
		      json_string(wl->p.hw_access ? "on" : "off");
	char line[64];
	int ha, hd;

	if (s2_vm_debugfs(wl->vm, "stage2_hafdbs", line, sizeof(line)) ||
	    sscanf(line, "ha=%d hd=%d", &ha, &hd) != 2) {
		json_t *o = s2_junavail("the kernel does not report the VM's VTCR_EL2.HA/HD "
					"(no stage2_hafdbs in its debugfs: a kernel before patch "
					"0008, or no debugfs)");

		json_object_set_new(o, "requested", req);
		return o;
	}
	if (wl->p.hw_access >= 0 && ha != wl->p.hw_access)
		TEST_FAIL("asked for hardware access-flag updates %s, the VM has ha=%d",
			  wl->p.hw_access ? "on" : "off", ha);
	return json_pack("{s:i, s:i, s:o}", "ha", ha, "hd", hd, "requested", req);
}

static void s2wl_check_backing(struct s2wl *wl, uint64_t bytes)
{
	enum vm_mem_backing_src_type t = wl->p.backing;
	char line[256];
	FILE *f;

	if (t == VM_MEM_SRC_ANONYMOUS_THP) {
		f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
		if (!f)
			s2wl_skip(wl, "anonymous_thp: this kernel has no transparent huge pages");
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		if (strstr(line, "[never]"))
			s2wl_skip(wl, "anonymous_thp: transparent huge pages are disabled "
				  "(/sys/kernel/mm/transparent_hugepage/enabled: never)");
	}
	if (is_backing_src_hugetlb(t)) {
		uint64_t sz = get_backing_src_pagesz(t), free_pages = 0;
		char path[128];

		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%" PRIu64 "kB/free_hugepages", sz >> 10);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%" SCNu64, &free_pages) != 1)
			s2wl_skip(wl, "%s: no %" PRIu64 " kB huge pages on this kernel (%s)",
				  s2wl_backing_name(t), sz >> 10, path);
		fclose(f);
		if (free_pages * sz < bytes)
			s2wl_skip(wl, "%s: %" PRIu64 " free %" PRIu64 " kB huge pages, %" PRIu64
				  " needed (echo N > /sys/kernel/mm/hugepages/hugepages-%" PRIu64
				  "kB/nr_hugepages)", s2wl_backing_name(t), free_pages, sz >> 10,
				  bytes / sz, sz >> 10);
	}
}

static int s2wl_parse_cpus(struct s2wl *wl, int *cpus, int max)
{
	const char *s = wl->p.pin;
	int n = 0, ncpu = sysconf(_SC_NPROCESSORS_CONF);
	uint64_t v;
	char *copy, *tok, *save;

	copy = strdup(s);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (s2_parse_uint(tok, ncpu - 1, &v) || n == max)
			s2wl_bad_arg(wl, "-c: '%s' is not a list of CPUs 0-%d", s, ncpu - 1);
		cpus[n++] = v;
	}
	free(copy);
	if (!n)
		s2wl_bad_arg(wl, "-c: empty CPU list");
	return n;
}

void s2wl_create_vm(struct s2wl *wl, uint32_t ring_bytes)
{
	struct s2wl_params *p = &wl->p;
	uint64_t total_pages, start;
	char why[256], old[32] = "", old_ha[8] = "";
	int cpus[S2WL_MAX_VCPUS], ncpus = 0, i;

	wl->host_page_size = get_backing_src_pagesz(p->backing);
	wl->page_size = vm_guest_mode_params[VM_MODE_DEFAULT].page_size;
	if (p->bytes_per_vcpu % wl->page_size)
		s2wl_bad_arg(wl, "-b: %" PRIu64 " bytes is not a multiple of the guest page size %" PRIu64,
			     p->bytes_per_vcpu, wl->page_size);
	if (p->bytes_per_vcpu % wl->host_page_size)
		s2wl_bad_arg(wl, "-b: %" PRIu64 " bytes is not a multiple of the %s page size %" PRIu64,
			     p->bytes_per_vcpu, s2wl_backing_name(p->backing), wl->host_page_size);
	wl->pages_per_vcpu = p->bytes_per_vcpu / wl->page_size;
	if (wl->pages_per_vcpu > S2WL_MAX_PAGES_PER_VCPU)
		s2wl_bad_arg(wl, "-b: too large");
	total_pages = wl->pages_per_vcpu * p->vcpus;
	s2wl_check_backing(wl, p->bytes_per_vcpu * p->vcpus);
	if (p->pin)
		ncpus = s2wl_parse_cpus(wl, cpus, S2WL_MAX_VCPUS);

	/*
	 * Hardware access-flag updates (kvm.stage2_hw_access, 0008), read at
	 * VM creation: for this VM only, as the strategy below. On is every
	 * kernel's: only off needs the parameter, and without it the run
	 * fails, saying why, rather than measure aging with the flag on.
	 */
	if (p->hw_access >= 0) {
		s2_param_get("stage2_hw_access", old_ha, sizeof(old_ha));
		if (!old_ha[0] && !p->hw_access)
			exit(s2wl_finish(wl, S2WL_EXIT_FAIL, "-a off: this kernel has no "
					 "kvm.stage2_hw_access (patch 0008), so hardware access-flag "
					 "updates cannot be turned off"));
		if (old_ha[0] && s2_param_set("stage2_hw_access", p->hw_access ? "Y" : "N",
					      why, sizeof(why)))
			exit(s2wl_finish(wl, S2WL_EXIT_FAIL, why));
	}

	/* The parameter is global: set it for this VM only, then restore it. */
	if (p->strategy) {
		s2_get_strategy(old, sizeof(old));
		if (s2_set_strategy(p->strategy, why, sizeof(why))) {
			if (old_ha[0])
				s2_param_set("stage2_hw_access", old_ha, old, sizeof(old));
			s2wl_skip(wl, "cannot select stage-2 strategy '%s': %s", p->strategy, why);
		}
	}

	wl->stop = wl->free_run = false;
	wl->released = 0;
	wl->done = 0;

	start = s2wl_now_ns();
	/*
	 * The test pages are passed as extra pages so that the framework sizes
	 * the guest page-table pool for them (it also adds them to slot 0,
	 * which is never touched and so costs only address space).
	 */
	s2wl_memslot_hook = wl->before_memslots ? wl : NULL;
	wl->vm = __vm_create(VM_SHAPE_DEFAULT, p->vcpus, total_pages);
	TEST_ASSERT(!s2wl_memslot_hook, "the VM was created without a memslot ioctl");
	if (old[0] && s2_set_strategy(old, why, sizeof(why)))
		fprintf(stderr, "%s: warning: could not restore kvm.stage2_strategy=%s: %s\n",
			wl->name, old, why);
	if (old_ha[0] && s2_param_set("stage2_hw_access", old_ha, why, sizeof(why)))
		fprintf(stderr, "%s: warning: could not restore kvm.stage2_hw_access=%s: %s\n",
			wl->name, old_ha, why);
	if (ring_bytes) {
		vm_enable_dirty_ring(wl->vm, ring_bytes);
		wl->ring_entries = ring_bytes / sizeof(struct kvm_dirty_gfn);
	}
	wl->vcpus = calloc(p->vcpus, sizeof(*wl->vcpus));
	TEST_ASSERT(wl->vcpus, "out of memory");
	for (i = 0; i < p->vcpus; i++) {
		wl->vcpus[i].wl = wl;
		wl->vcpus[i].idx = i;
		wl->vcpus[i].cpu = ncpus ? cpus[i % ncpus] : -1;
		wl->vcpus[i].vcpu = vm_vcpu_add(wl->vm, i, s2wl_guest_code);
		vcpu_args_set(wl->vcpus[i].vcpu, 1, i);
	}

	TEST_ASSERT(wl->vm->max_gfn > total_pages + (1ull << 20) / wl->page_size,
		    "guest physical address space too small for %" PRIu64 " pages", total_pages);
	wl->gpa = (wl->vm->max_gfn - total_pages) * wl->page_size;
	wl->gpa &= ~(wl->host_page_size - 1);
	vm_userspace_mem_region_add(wl->vm, p->backing, wl->gpa, S2WL_SLOT, total_pages, 0);
	virt_map(wl->vm, S2WL_GVA, wl->gpa, total_pages);
	wl->hva = addr_gpa2hva(wl->vm, wl->gpa);

	s2wl_args = (struct s2wl_guest_args) {
		.gva = S2WL_GVA,
		.pages_per_vcpu = wl->pages_per_vcpu,
		.page_size = wl->page_size,
		.seed = p->seed,
		.write_pct = p->write_pct,
		.random = p->access == S2WL_RANDOM,
		.first_pass_writes = 1,
	};
	sync_global_to_guest(wl->vm, s2wl_args);
	s2wl_phase(wl, "vm_create", start);

	if (!s2_vm_strategy(wl->vm, wl->strategy_in_force, sizeof(wl->strategy_in_force))) {
		json_object_set_new(wl->doc, "strategy",
			json_pack("{s:o, s:s}", "requested",
				  p->strategy ? json_string(p->strategy) : json_null(),
				  "in_force", wl->strategy_in_force));
		if (p->strategy && strcmp(p->strategy, wl->strategy_in_force))
			TEST_FAIL("asked for strategy %s, the VM has %s",
				  p->strategy, wl->strategy_in_force);
	} else {
		snprintf(wl->strategy_in_force, sizeof(wl->strategy_in_force), "n/a");
		json_object_set_new(wl->doc, "strategy",
			json_pack("{s:o, s:o}", "requested",
				  p->strategy ? json_string(p->strategy) : json_null(),
				  "in_force", s2_junavail(
				  "the kernel does not report a per-VM stage-2 strategy "
				  "(no s2perf patches, or no debugfs)")));
	}
	json_object_set_new(wl->doc, "hafdbs", s2wl_j_hafdbs(wl));
}

/* ---- vCPU threads ---- */

static void s2wl_vcpu_pass(struct s2wl_vcpu *v)
{
	struct kvm_run *run = v->vcpu->run;
	struct ucall uc;
	int r;

	for (;;) {
		r = __vcpu_run(v->vcpu);
		if (r && errno == EINTR)
			continue;
		TEST_ASSERT(!r, "KVM_RUN failed on vCPU %d: %s", v->idx, strerror(errno));
		assert_on_unhandled_exception(v->vcpu);
		switch (get_ucall(v->vcpu, &uc)) {
		case UCALL_SYNC:
			return;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
			break;
		case UCALL_NONE:
			if (v->wl->on_exit && v->wl->on_exit(v, run))
				continue;
			TEST_FAIL("vCPU %d: unexpected exit %s (%u)", v->idx,
				  exit_reason_str(run->exit_reason), run->exit_reason);
			break;
		default:
			TEST_FAIL("vCPU %d: unexpected ucall %" PRIu64, v->idx, uc.cmd);
		}
	}
}

static void *s2wl_vcpu_thread(void *arg)
{
	struct s2wl_vcpu *v = arg;
	struct s2wl *wl = v->wl;
	uint64_t start;

	if (v->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(v->cpu, &set);
		TEST_ASSERT(!pthread_setaffinity_np(pthread_self(), sizeof(set), &set),
			    "cannot pin vCPU %d to CPU %d", v->idx, v->cpu);
	}
	for (;;) {
		pthread_mutex_lock(&wl->lock);
		while (!wl->stop && !wl->free_run && wl->released <= v->passes_done)
			pthread_cond_wait(&wl->cond, &wl->lock);
		if (wl->stop) {
			pthread_mutex_unlock(&wl->lock);
			break;
		}
		pthread_mutex_unlock(&wl->lock);

		start = s2wl_now_ns();
		s2wl_vcpu_pass(v);
		v->last_pass_ns = s2wl_now_ns() - start;
		v->pass_ns_total += v->last_pass_ns;

		pthread_mutex_lock(&wl->lock);
		v->passes_done++;
		wl->done++;
		pthread_cond_broadcast(&wl->cond);
		pthread_mutex_unlock(&wl->lock);
	}
	return NULL;
}

void s2wl_start_vcpus(struct s2wl *wl)
{
	int i;

	for (i = 0; i < wl->p.vcpus; i++)
		TEST_ASSERT(!pthread_create(&wl->vcpus[i].thread, NULL,
					    s2wl_vcpu_thread, &wl->vcpus[i]),
			    "cannot start vCPU thread %d", i);
}

uint64_t s2wl_run_pass(struct s2wl *wl)
{
	uint64_t start;

	pthread_mutex_lock(&wl->lock);
	wl->done = 0;
	wl->released++;
	start = s2wl_now_ns();
	pthread_cond_broadcast(&wl->cond);
	while (wl->done < wl->p.vcpus)
		pthread_cond_wait(&wl->cond, &wl->lock);
	pthread_mutex_unlock(&wl->lock);
	return s2wl_now_ns() - start;
}

void s2wl_release_free_run(struct s2wl *wl)
{
	pthread_mutex_lock(&wl->lock);
	wl->free_run = true;
	pthread_cond_broadcast(&wl->cond);
	pthread_mutex_unlock(&wl->lock);
}

void s2wl_stop_vcpus(struct s2wl *wl)
{
	int i;

	if (!wl->vcpus || wl->stop)
		return;
	pthread_mutex_lock(&wl->lock);
	wl->stop = true;
	pthread_cond_broadcast(&wl->cond);
	pthread_mutex_unlock(&wl->lock);
	for (i = 0; i < wl->p.vcpus; i++)
		if (wl->vcpus[i].thread)
			pthread_join(wl->vcpus[i].thread, NULL);
}

void s2wl_destroy_vm(struct s2wl *wl)
{
	uint64_t start = s2wl_now_ns();
	int sfd[S2WL_MAX_VCPUS + 1];

	s2wl_stop_vcpus(wl);
	s2wl_open_kstats(wl, sfd);
	kvm_vm_free(wl->vm);
	s2wl_collect_kstats(wl, sfd);
	wl->vm = NULL;
	for (int i = 0; i < wl->p.vcpus; i++)
		wl->old_ring_full_exits += wl->vcpus[i].ring_full_exits;
	free(wl->vcpus);
	wl->vcpus = NULL;
	s2wl_phase(wl, "vm_destroy", start);
}
