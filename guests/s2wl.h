/* SPDX-License-Identifier: GPL-2.0 */
/*
 * s2wl: what the s2perf workloads (s2_populate, s2_dirty, s2_split,
 * s2_access, s2_unmap, s2_exit, s2_storm) share, in three parts:
 *
 *   s2wl.c       (this header) one VM with a test memslot split between
 *                vCPUs, the guest's page-touching loop, vCPU threads that
 *                run one pass per release, timing, the VM's binary stats
 *   s2wl_opts.c  (s2wl_opts.h) the command line: the common options, and
 *                each workload's own through its struct s2wl_cli
 *   s2wl_doc.c   (s2wl_doc.h) the JSON document and the summary for people
 *   s2wl_host.c  (s2wl_host.h) what the host reads from the kernel: the
 *                dirty ring, page_idle, binary statistics
 *
 * A workload includes this header only.
 */
#ifndef S2PERF_S2WL_H
#define S2PERF_S2WL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "kvm_util.h"
#include "test_util.h"

#include "s2common.h"
#include "s2json.h"
#include "s2wl_spec.h"

#define S2WL_SCHEMA "s2perf.workload/1"
#define S2WL_SLOT 1
#define S2WL_GVA 0xc0000000ul

/* Exit statuses, as kselftest and getopt users expect them. */
#define S2WL_EXIT_OK 0
#define S2WL_EXIT_FAIL 1
#define S2WL_EXIT_USAGE S2_EXIT_USAGE
#define S2WL_EXIT_SKIP S2_EXIT_SKIP

/*
 * A guest write stores this stamp, so the host can tell which pass wrote a
 * page, and that the guest wrote the page it meant to.
 */
#define S2WL_STAMP(pass, vcpu, page) \
	(0x5200000000000000ull | ((uint64_t)(pass) << 44) | \
	 ((uint64_t)(vcpu) << 32) | (uint64_t)(page))

enum s2wl_access { S2WL_SEQUENTIAL, S2WL_RANDOM };

/* What a workload lets the user set; each main fills the defaults. */
struct s2wl_params {
	int vcpus;
	uint64_t bytes_per_vcpu;
	enum vm_mem_backing_src_type backing;
	int iterations;
	int write_pct;
	uint64_t seed;
	enum s2wl_access access;
	const char *strategy;	/* NULL: whatever the kernel's default is */
	int hw_access;		/* VTCR_EL2.HA for this VM: 1 on, 0 off, -1 the kernel's */
	const char *pin;	/* NULL: no pinning */
	const char *output;	/* NULL: JSON on stdout, summary on stderr */
	bool quiet;
};

/*
 * What every workload starts from (2 vCPUs x 16M, anonymous memory, all
 * writes, seed 1, 4 iterations, the kernel's hardware access flag); a workload lists only what it changes,
 * after these (a later designated initialiser wins).
 */
#define S2WL_PARAMS(...) {						\
	.vcpus = 2, .bytes_per_vcpu = 16ull << 20,			\
	.backing = VM_MEM_SRC_ANONYMOUS, .iterations = 4,		\
	.write_pct = 100, .seed = 1, .hw_access = -1, __VA_ARGS__ }

/* Guest parameters, copied into the guest with sync_global_to_guest(). */
struct s2wl_guest_args {
	uint64_t gva;
	uint64_t pages_per_vcpu;
	uint64_t page_size;
	uint64_t seed;
	uint32_t write_pct;
	uint32_t random;
	uint32_t first_pass_writes;	/* pass 0 writes every page */
};

struct s2wl;

struct s2wl_vcpu {
	struct s2wl *wl;
	struct kvm_vcpu *vcpu;
	pthread_t thread;
	int idx;
	int cpu;		/* -1: not pinned */
	uint64_t passes_done;
	uint64_t last_pass_ns;
	uint64_t pass_ns_total;
	uint64_t ring_full_exits;
	uint32_t ring_fetch;	/* dirty ring: next entry to harvest */
};

/* Called by a vCPU thread on an exit that is not a ucall; false = fatal. */
typedef bool (*s2wl_exit_fn)(struct s2wl_vcpu *v, struct kvm_run *run);

struct s2wl {
	const char *name;
	struct s2wl_params p;
	struct kvm_vm *vm;
	struct s2wl_vcpu *vcpus;
	uint64_t page_size;		/* guest page size */
	uint64_t host_page_size;	/* backing page size */
	uint64_t pages_per_vcpu;
	uint64_t gpa;
	char *hva;			/* host view of the test memslot */
	uint32_t ring_entries;		/* dirty ring per vCPU, 0: none */
	s2wl_exit_fn on_exit;
	/*
	 * Called once with the new VM's fd before its first memslot (the
	 * framework's slot 0) exists: what a VM may only be told while it has
	 * no memory, such as s2_split's eager split chunk size. NULL: nothing.
	 */
	void (*before_memslots)(struct s2wl *wl, int vm_fd);
	/* The workload's own entries under "params" in the document, or NULL. */
	json_t *params;
	/* Exits of VMs already destroyed (s2_populate makes several). */
	uint64_t old_ring_full_exits;

	/* Pass control: vCPU threads wait for release > their passes_done. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t released;
	int done;
	bool free_run;		/* unmap: vCPUs loop without waiting */
	bool stop;

	struct timespec t0;	/* start of the program, for phase offsets */
	json_t *doc;
	json_t *phases;
	json_t *kstats;		/* s2_* binary stats: {"vm": {}, "vcpu": {}} */
	int kstats_found;
	char *kstats_why;	/* why they could not be read */
	char strategy_in_force[32];
};

struct s2wl_cli;
/*
 * Start a workload: read its command line (s2wl_opts.h; exits on -h and on
 * a bad argument) and set up the pass control and the document.
 */
void s2wl_init(struct s2wl *wl, const struct s2wl_cli *cli, int argc, char **argv);

/*
 * Create the VM (strategy first), its vCPUs and the test memslot;
 * ring_bytes > 0 enables the dirty ring before the vCPUs exist.
 */
void s2wl_create_vm(struct s2wl *wl, uint32_t ring_bytes);
void s2wl_start_vcpus(struct s2wl *wl);
/* Run one pass on every vCPU; returns its wall time in ns. */
uint64_t s2wl_run_pass(struct s2wl *wl);
/* Free-running mode (unmap): vCPUs loop until s2wl_stop_vcpus(). */
void s2wl_release_free_run(struct s2wl *wl);
void s2wl_stop_vcpus(struct s2wl *wl);
void s2wl_destroy_vm(struct s2wl *wl);

/* Whether the guest writes @page in @pass (the host recomputes it). */
bool s2wl_guest_writes(const struct s2wl_guest_args *a, uint64_t pass,
		       uint32_t vcpu, uint64_t page);
extern struct s2wl_guest_args s2wl_args;

static inline uint64_t *s2wl_page_hva(struct s2wl *wl, int vcpu, uint64_t page)
{
	return (uint64_t *)(wl->hva + ((uint64_t)vcpu * wl->pages_per_vcpu + page) *
			    wl->page_size);
}

static inline const char *s2wl_backing_name(enum vm_mem_backing_src_type t)
{
	return vm_mem_backing_src_alias(t)->name;
}

uint64_t s2wl_now_ns(void);
/* Every KVM_RUN of the process so far, and those that returned EINTR. */
void s2wl_kvm_runs(uint64_t *calls, uint64_t *eintr);

#include "s2wl_opts.h"
#include "s2wl_doc.h"
#include "s2wl_host.h"

#endif
