// SPDX-License-Identifier: GPL-2.0
/*
 * s2collect: stage-2 MMU metrics for one KVM process, aggregated in the
 * kernel. The loader decides per program whether its tracepoint exists and
 * turns the others off before load, so every program here may find its
 * event (and the types it reads) missing on the running kernel.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "s2collect.h"
#include "s2_stats_rec.h"

char LICENSE[] SEC("license") = "GPL";

/*
 * A tracepoint program's return value filters the event for every perf
 * user of that tracepoint: 0 would hide it from perf stat, perf record and
 * ftrace-style consumers running beside us. Always let it through.
 */
#define KEEP_EVENT 1

/*
 * Options, set by the loader before load. The ioctl numbers come from the
 * loader's <linux/kvm.h> because vmlinux.h has no macros.
 */
const volatile __u32 target_tgid = 0;	/* 0: every process */
/* -f: one VM of the process, known by its mmu_lock's address (0: all) */
const volatile __u64 target_lock = 0;
const volatile __s32 target_vmfd = -1;
/*
 * Every vCPU was created after the probes attached (-- COMMAND): a vCPU's
 * s2_fault_time_ns stat then started at 0 under our eyes, and its first
 * fault can be timed from it.
 */
const volatile bool all_new = false;
/* the default tier reads the binary stats: count the VMs it never took */
const volatile bool kstats = false;
/* s2top: lock waits and dirty-log ioctls per VM too (vm_live) */
const volatile bool per_vm = false;
const volatile __u32 cmd_get_dirty_log = 0;
const volatile __u32 cmd_clear_dirty_log = 0;
const volatile __u32 cmd_reset_dirty_rings = 0;
const volatile __u32 cmd_run = 0;
const volatile __u32 cmd_create_vcpu = 0;
const volatile __u32 cmd_set_memory = 0;
const volatile __u32 cmd_set_memory2 = 0;

/* Results: the loader reads them through the mmap'ed .bss. */
struct llhist fault_lat[NR_FAULT_KINDS][NR_FAULT_PATHS] = {};
__u64 fault_kinds[NR_FAULT_KINDS] = {};
__u64 fault_paths[NR_FAULT_PATHS] = {};
__u64 vcpu_faults[MAX_VCPUS] = {};
struct hist lock_wait[NR_LOCK_MODES] = {};
__u64 tlbi_count[NR_TLBI_KINDS] = {};
__u64 tlbi_locked[NR_TLBI_KINDS] = {};
__u64 tlbi_lock_unknown[NR_TLBI_KINDS] = {};
__u64 tlbi_bytes[NR_TLBI_KINDS] = {};
__u64 cmo_count[NR_CMO_KINDS] = {};
__u64 cmo_bytes[NR_CMO_KINDS] = {};
struct hist dirty_ioctl[NR_DIRTY_IOCTLS] = {};
__u64 uexit_reason[MAX_EXIT_REASONS] = {};
__u64 fpf_ret[MAX_FPF_RET] = {};
struct pass_stats passes[MAX_PASSES] = {};
__u32 pass = 0;
__u64 counts[NR_COUNTERS] = {};
/*
 * The binary stats of the target's VMs that ended before the loader took
 * their fds (between two of its looks: the KVM selftests' page-size probe VM
 * lives less), read as they are destroyed.
 */
__u64 lost_vcpu[NR_VCPU_STATS] = {};
__u64 lost_hist[S2_STATS_HIST] = {};
__u64 lost_vm[NR_VM_STATS] = {};
__u64 lost_vms = 0, lost_vcpus = 0, lost_vcpus_beyond = 0;

/*
 * Local views of the tracepoint records and KVM structures. The ___s2
 * suffix keeps them apart from vmlinux.h (which, on a kernel with KVM as a
 * module, lacks them); CO-RE matches them by the name before the suffix,
 * in vmlinux or module BTF.
 */
struct trace_event_raw_kvm_s2_vm_class___s2 {
	void *kvm;
	void *mmu_lock;
	int pid;
	__u8 strategy;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_s2_fault_enter___s2 {
	void *kvm;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_s2_fault_exit___s2 {
	void *kvm;
	__u32 vcpu_id;
	__u8 kind;
	__u8 path;
	__u8 strategy;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_s2_tlbi___s2 {
	void *kvm;
	__u64 size;
	__u8 kind;
	__u8 write_locked;	/* series v2: 0 no, 1 yes, 2 unknown (generic flush) */
	bool mmu_lock_write;	/* series v1: the lock word, any CPU */
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_s2_cmo___s2 {
	void *kvm;		/* series v2; v1 named no VM */
	__u64 bytes;
	__u8 kind;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_guest_fault___s2 {
	unsigned long hsr;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_page_fault___s2 {
	unsigned int vcpu_id;
	__u64 error_code;
} __attribute__((preserve_access_index));

struct trace_event_raw_fast_page_fault___s2 {
	int ret;
} __attribute__((preserve_access_index));

struct trace_event_raw_kvm_userspace_exit___s2 {
	__u32 reason;
	int errno;
} __attribute__((preserve_access_index));

struct trace_event_raw_contention_begin___s2 {
	void *lock_addr;
	unsigned int flags;
} __attribute__((preserve_access_index));

struct trace_event_raw_contention_end___s2 {
	void *lock_addr;
} __attribute__((preserve_access_index));

struct kvm_arch___s2 {
	int s2_strategy;	/* enum kvm_s2_strategy */
} __attribute__((preserve_access_index));

/* kernel-patches/0006: the stage-2 binary stats */
struct kvm_vm_stat___s2 {
	__u64 s2_tlbi_vmid, s2_tlbi_ipa, s2_tlbi_ipa_local, s2_tlbi_range;
	__u64 s2_cmo_dcache, s2_cmo_dcache_bytes, s2_cmo_icache, s2_cmo_icache_bytes;
} __attribute__((preserve_access_index));

struct kvm___s2 {
	rwlock_t mmu_lock;
	struct mm_struct *mm;
	struct xarray vcpu_array;
	atomic_t online_vcpus;
	struct kvm_arch___s2 arch;
	struct kvm_vm_stat___s2 stat;
} __attribute__((preserve_access_index));

struct kvm_vcpu_stat___s2 {
	__u64 s2_fault_translation, s2_fault_permission, s2_fault_access;
	__u64 s2_fault_slow, s2_fault_fast, s2_fault_retry, s2_fault_mmio;
	__u64 s2_fault_wp, s2_fault_time_ns;
	__u64 s2_fault_hyp;	/* kernel-patches/0007 */
	__u64 s2_fault_hist[S2_STATS_HIST];
} __attribute__((preserve_access_index));

struct kvm_vcpu___s2 {
	struct kvm___s2 *kvm;
	int vcpu_id;
	struct kvm_vcpu_stat___s2 stat;
} __attribute__((preserve_access_index));

/* How a VM got onto the watch list (reported per VM). */
enum { SRC_VM_INIT = 1, SRC_FAULT, SRC_IOCTL, SRC_DEBUGFS };

struct vm_info {
	__u64 mmu_lock;
	__u8 strategy;		/* 0xff: not known */
	__u8 source;
};

/* VMs of the target (kvm pointer -> info) and their locks (lock -> kvm). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct vm_info);
} vms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u64);
} locks SEC(".maps");

/* The VMs whose fds the loader holds (struct kvm), from its iterator reads. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, __u8);
} taken SEC(".maps");

/* Every lock watched at some time in the run (the loader adds debugfs's). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} locks_seen SEC(".maps");

/* Per-thread start times: a thread waits for one lock, handles one fault. */
struct lock_start {
	__u64 ts;
	__u64 lock;
	__u64 kvm;	/* its VM, 0: not known */
	__u32 flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct lock_start);
} lock_starts SEC(".maps");

/*
 * A fault's start time, in the faulting task's own storage: a hash map
 * keyed by thread cost an update at entry and a lookup and a delete at
 * exit on every fault, the hottest path here.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u64);
} fault_start SEC(".maps");

/*
 * One event per fault (tp_btf on kvm_s2_fault_exit): the kernel has just
 * added the fault's handling time to its vCPU's s2_fault_time_ns stat, so
 * the time is that stat's step since the vCPU's previous fault. Kept per
 * vCPU; a VM's destruction forgets its vCPUs (their addresses are reused).
 */
struct fault_prev {
	__u64 kvm;
	__u64 time_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct fault_prev);
} fault_prev SEC(".maps");

/* The VM the last fault came from: known to watch_kvm() without a lookup. */
__u64 last_watched = 0;

/*
 * Entries stay after the ioctl returns (ts = 0) so that a thread's first
 * KVM_RUN can be told apart from the next ones; LRU ages out dead threads.
 */
enum { IO_NONE, IO_RUN, IO_DIRTY };
struct ioctl_start {
	__u64 ts;
	__u32 what;	/* IO_* */
	__u32 which;	/* enum dirty_ioctl for IO_DIRTY */
	__u64 kvm;	/* IO_DIRTY with per_vm: the VM fd's struct kvm */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct ioctl_start);
} ioctl_starts SEC(".maps");

/* per_vm (s2top): struct kvm -> what BPF saw of that VM; gone with the VM */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct vm_live);
} vm_live SEC(".maps");

/* per_vm: a VM's entry, made when it is learned (@pid, @strategy) or first counted. */
static __always_inline struct vm_live *vm_live_get(__u64 kvm, __u32 pid, __u8 strategy,
						   bool born)
{
	struct vm_live *v = bpf_map_lookup_elem(&vm_live, &kvm), nv = {};

	if (v) {
		if (!v->pid && pid)
			v->pid = pid;
		return v;
	}
	nv.pid = pid;
	nv.strategy = strategy;
	nv.born = born;
	bpf_map_update_elem(&vm_live, &kvm, &nv, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vm_live, &kvm);
}

/*
 * Indexes into the .bss arrays are masked after their bound check: the
 * compiler may compute the address where the verifier cannot see the
 * bound, and drops a mask it can prove redundant unless the value passes
 * through an empty asm first. Masks are powers of two at least the size.
 */
static __always_inline __u32 masked(__u32 i, __u32 mask)
{
	asm volatile("" : "+r"(i));
	return i & mask;
}

static __always_inline void inc(__u64 *p)
{
	__sync_fetch_and_add(p, 1);
}

/* Number of significant bits of v: the log2 bucket, 0 for 0. */
static __always_inline __u32 log2_slot(__u64 v)
{
	__u32 r = 0, s;

	s = (v > 0xffffffffULL) << 5; v >>= s; r |= s;
	s = (v > 0xffff) << 4; v >>= s; r |= s;
	s = (v > 0xff) << 3; v >>= s; r |= s;
	s = (v > 0xf) << 2; v >>= s; r |= s;
	s = (v > 0x3) << 1; v >>= s; r |= s;
	r |= (v >> 1);
	return v ? r + 1 : 0;
}

static __always_inline void hist_add(struct hist *h, __u64 v)
{
	__u32 slot = log2_slot(v);

	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[masked(slot, 63)], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum, v);
}

/*
 * The log-linear bucket of v: v itself below 2^LL_SUB_BITS, else row
 * (log2(v) - LL_SUB_BITS + 1) and the LL_SUB_BITS bits below the top one.
 */
static __always_inline __u32 ll_slot(__u64 v)
{
	__u32 e;

	if (v < (1 << LL_SUB_BITS))
		return v;
	e = log2_slot(v) - 1;
	if (e >= LL_MAX_LOG2)
		return LL_SLOTS - 1;
	return ((e - LL_SUB_BITS + 1) << LL_SUB_BITS) +
	       ((v >> (e - LL_SUB_BITS)) & ((1 << LL_SUB_BITS) - 1));
}

static __always_inline void llhist_add(struct llhist *h, __u64 v)
{
	__u32 slot = ll_slot(v);

	asm volatile("" : "+r"(slot));
	if (slot >= LL_SLOTS)
		slot = LL_SLOTS - 1;
	__sync_fetch_and_add(&h->slots[slot], 1);
	__sync_fetch_and_add(&h->count, 1);
	__sync_fetch_and_add(&h->sum, v);
}

static __always_inline bool is_target(void)
{
	return !target_tgid || (bpf_get_current_pid_tgid() >> 32) == target_tgid;
}

/* An event of the target's: counted in counts[@c] (true); another's: false. */
static __always_inline bool count_target(__u32 c)
{
	if (!is_target())
		return false;
	inc(&counts[c]);
	return true;
}

static __always_inline __u32 cur_tid(void)
{
	return (__u32)bpf_get_current_pid_tgid();
}

static __always_inline struct pass_stats *cur_pass(void)
{
	__u32 p = pass;

	/* the mask is for the verifier, which loses the bound on p otherwise */
	return p < MAX_PASSES ? &passes[masked(p, MAX_PASSES - 1)] : NULL;
}

static __always_inline void add_vm(__u64 kvm, __u64 lock, __u8 strategy, __u8 source)
{
	struct vm_info vi = { .mmu_lock = lock, .strategy = strategy, .source = source };
	__u8 one = 1;

	if (target_lock && lock != target_lock)
		return;
	/* VMs watched over the run, the ones gone since included */
	if (!bpf_map_update_elem(&locks_seen, &lock, &one, BPF_NOEXIST))
		inc(&counts[C_LOCKS_SEEN]);

	if (bpf_map_update_elem(&vms, &kvm, &vi, BPF_NOEXIST) ||
	    bpf_map_update_elem(&locks, &lock, &kvm, BPF_ANY)) {
		if (!bpf_map_lookup_elem(&vms, &kvm))
			inc(&counts[C_DROP_WATCH]);
		return;
	}
	inc(&counts[C_VMS_LEARNED]);
}

/*
 * Watch a VM known only by its struct kvm: the lock's address comes from
 * the running kernel's layout (BTF). Kernels without struct kvm in BTF
 * compile this to nothing, and the loader says the lock is unattributed.
 */
static __always_inline void watch_kvm(void *kvm, __u8 strategy, __u8 source)
{
	__u64 key = (__u64)kvm;

	if (!kvm || !bpf_core_type_exists(struct kvm___s2))
		return;
	if (key == last_watched)
		return;
	if (!bpf_map_lookup_elem(&vms, &key))
		add_vm(key, key + bpf_core_field_offset(struct kvm___s2, mmu_lock),
		       strategy, source);
	/*
	 * Tried once per run of faults from one VM: a race costs a lookup, a
	 * full map is counted by add_vm(), and VM destruction resets the hint.
	 */
	last_watched = key;
}

/* With -f, whether @kvm is the VM asked for (its lock is at a known offset). */
static __always_inline bool is_target_vm(void *kvm)
{
	if (!target_lock)
		return true;
	if (!bpf_core_type_exists(struct kvm___s2))
		return false;
	return (__u64)kvm + bpf_core_field_offset(struct kvm___s2, mmu_lock) == target_lock;
}

/* ---- kvm_s2 (the patched arm64 kernel) ---- */

SEC("tracepoint/kvm_s2/kvm_s2_vm_init")
int s2_vm_init(struct trace_event_raw_kvm_s2_vm_class___s2 *ctx)
{
	if (target_tgid && ctx->pid != target_tgid)
		return KEEP_EVENT;
	inc(&counts[C_VM_INIT]);
	inc(&counts[C_KVM_FDS]);
	add_vm((__u64)ctx->kvm, (__u64)ctx->mmu_lock, ctx->strategy, SRC_VM_INIT);
	if (per_vm)
		vm_live_get((__u64)ctx->kvm, ctx->pid, ctx->strategy, true);
	return KEEP_EVENT;
}

static long forget_vcpu(struct bpf_map *map, __u64 *key, struct fault_prev *fp, __u64 *kvm)
{
	if (fp->kvm == *kvm)
		fp->kvm = 0;
	return 0;
}

/* vCPU stats as the iterator writes them; also the scratch of count_lost() */
static __always_inline void read_vcpu_stats(struct kvm_vcpu___s2 *vcpu, struct s2_stats_rec *rec)
{
	rec->v[VS_TRANSLATION] = BPF_CORE_READ(vcpu, stat.s2_fault_translation);
	rec->v[VS_PERMISSION] = BPF_CORE_READ(vcpu, stat.s2_fault_permission);
	rec->v[VS_ACCESS] = BPF_CORE_READ(vcpu, stat.s2_fault_access);
	rec->v[VS_SLOW] = BPF_CORE_READ(vcpu, stat.s2_fault_slow);
	rec->v[VS_FAST] = BPF_CORE_READ(vcpu, stat.s2_fault_fast);
	rec->v[VS_RETRY] = BPF_CORE_READ(vcpu, stat.s2_fault_retry);
	rec->v[VS_MMIO] = BPF_CORE_READ(vcpu, stat.s2_fault_mmio);
	rec->v[VS_WP] = BPF_CORE_READ(vcpu, stat.s2_fault_wp);
	rec->v[VS_TIME_NS] = BPF_CORE_READ(vcpu, stat.s2_fault_time_ns);
	rec->v[VS_HYP] = bpf_core_field_exists(vcpu->stat.s2_fault_hyp) ?
			 BPF_CORE_READ(vcpu, stat.s2_fault_hyp) : 0;
	bpf_core_read(rec->hist, sizeof(rec->hist), &vcpu->stat.s2_fault_hist);
}

static __always_inline void read_vm_stats(struct kvm___s2 *kvm, struct s2_stats_rec *rec)
{
	rec->v[MS_TLBI_VMID] = BPF_CORE_READ(kvm, stat.s2_tlbi_vmid);
	rec->v[MS_TLBI_IPA] = BPF_CORE_READ(kvm, stat.s2_tlbi_ipa);
	rec->v[MS_TLBI_IPA_LOCAL] = BPF_CORE_READ(kvm, stat.s2_tlbi_ipa_local);
	rec->v[MS_TLBI_RANGE] = BPF_CORE_READ(kvm, stat.s2_tlbi_range);
	rec->v[MS_CMO_DCACHE] = BPF_CORE_READ(kvm, stat.s2_cmo_dcache);
	rec->v[MS_CMO_DCACHE_BYTES] = BPF_CORE_READ(kvm, stat.s2_cmo_dcache_bytes);
	rec->v[MS_CMO_ICACHE] = BPF_CORE_READ(kvm, stat.s2_cmo_icache);
	rec->v[MS_CMO_ICACHE_BYTES] = BPF_CORE_READ(kvm, stat.s2_cmo_icache_bytes);
}

/* One scratch record per CPU: too big for the stack beside the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct s2_stats_rec);
} scratch SEC(".maps");

#define XA_SLOTS 64	/* XA_CHUNK_SIZE: vCPU ids 0-63 sit in one xa_node */

/*
 * A VM of the target destroyed before the loader took it: its stats, read
 * while its vCPUs still exist (kvm_arch_destroy_vm() fires the event
 * before kvm_destroy_vcpus()). vcpu_array holds vCPU 0 directly when it is
 * the only one, else a node of XA_SLOTS slots.
 */
static __always_inline void count_lost(struct kvm___s2 *kvm)
{
	struct s2_stats_rec *rec;
	struct xa_node *node;
	void *head, *vcpu;
	__u32 zero = 0, n, i, k;

	rec = bpf_map_lookup_elem(&scratch, &zero);
	if (!rec)
		return;
	read_vm_stats(kvm, rec);
	for (k = 0; k < NR_VM_STATS; k++)
		__sync_fetch_and_add(&lost_vm[k], rec->v[k]);
	__sync_fetch_and_add(&lost_vms, 1);
	n = BPF_CORE_READ(kvm, online_vcpus.counter);
	head = BPF_CORE_READ(kvm, vcpu_array.xa_head);
	/* xa_is_node(): internal entries are tagged 2 in the low bits */
	node = ((__u64)head & 3) == 2 ? (void *)((__u64)head - 2) : NULL;
	if (n > XA_SLOTS || (node && BPF_CORE_READ(node, shift))) {
		__sync_fetch_and_add(&lost_vcpus_beyond, 1);
		return;
	}
#pragma clang loop unroll(disable)
	for (i = 0; i < XA_SLOTS; i++) {
		if (i >= n)
			break;
		if (node)
			vcpu = BPF_CORE_READ(node, slots[i]);
		else
			vcpu = i == 0 ? head : NULL;
		if (!vcpu)
			continue;
		read_vcpu_stats(vcpu, rec);
		for (k = 0; k < NR_VCPU_STATS; k++)
			__sync_fetch_and_add(&lost_vcpu[k], rec->v[k]);
		for (k = 0; k < S2_STATS_HIST; k++)
			__sync_fetch_and_add(&lost_hist[k], rec->hist[k]);
		__sync_fetch_and_add(&lost_vcpus, 1);
	}
}

SEC("tracepoint/kvm_s2/kvm_s2_vm_destroy")
int s2_vm_destroy(struct trace_event_raw_kvm_s2_vm_class___s2 *ctx)
{
	__u64 kvm = (__u64)ctx->kvm, lock = (__u64)ctx->mmu_lock;

	bpf_for_each_map_elem(&fault_prev, forget_vcpu, &kvm, 0);
	/* destroyed by the target itself: one it closed, or at its exit */
	if (kstats && !target_lock && (!target_tgid || ctx->pid == target_tgid)) {
		inc(&counts[C_KVM_FDS]);
		if (!bpf_map_lookup_elem(&taken, &kvm))
			count_lost((struct kvm___s2 *)kvm);
	}

	/* The memory is about to be freed: keep no stale address around. */
	if (last_watched == kvm)
		last_watched = 0;
	if (per_vm)
		bpf_map_delete_elem(&vm_live, &kvm);
	if (bpf_map_delete_elem(&vms, &kvm) == 0) {
		bpf_map_delete_elem(&locks, &lock);
		inc(&counts[C_VM_DESTROY]);
	}
	return KEEP_EVENT;
}

SEC("tracepoint/kvm_s2/kvm_s2_fault_enter")
int s2_fault_enter(void *ctx)
{
	__u64 *ts;

	if (!is_target())
		return KEEP_EVENT;
	ts = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts) {
		inc(&counts[C_DROP_FAULT_START]);
		return KEEP_EVENT;
	}
	*ts = bpf_ktime_get_ns();
	return KEEP_EVENT;
}

/* A fault, with its handling time when @timed. */
static __always_inline void count_fault(void *kvm, __u32 kind, __u32 path, __u32 vcpu,
					__u8 strategy, bool timed, __u64 ns)
{
	struct pass_stats *ps;

	/* Series v2 reports MMIO as a path; the collector keeps it a kind. */
	if (path == FP_KERNEL_MMIO) {
		kind = FK_MMIO;
		path = FP_SLOW;
	} else if (path == FP_KERNEL_HYP) {
		path = FP_HYP;
	}
	if (kind >= NR_FAULT_KINDS || path >= NR_FAULT_PATHS)
		return;
	if (timed)
		llhist_add(&fault_lat[masked(kind, 3)][masked(path, 3)], ns);
	else
		inc(&counts[C_UNPAIRED]);
	inc(&fault_kinds[masked(kind, 3)]);
	inc(&fault_paths[masked(path, 3)]);
	if (vcpu < MAX_VCPUS)
		inc(&vcpu_faults[masked(vcpu, MAX_VCPUS - 1)]);
	ps = cur_pass();
	if (ps) {
		inc(&ps->faults);
		if (kind == FK_PERMISSION)
			inc(&ps->wp_faults);
		if (path == FP_FAST)
			inc(&ps->fast);
	}
	/* -p on a VM that was created before we attached */
	watch_kvm(kvm, strategy, SRC_FAULT);
}

SEC("tracepoint/kvm_s2/kvm_s2_fault_exit")
int s2_fault_exit(struct trace_event_raw_kvm_s2_fault_exit___s2 *ctx)
{
	__u64 *start, ns = 0;
	bool timed = false;

	if (!is_target() || !is_target_vm(ctx->kvm))
		return KEEP_EVENT;
	/*
	 * A fault whose entry was not seen (in flight when the probes attached,
	 * or no storage for its start) still counts; only its time is unknown.
	 */
	start = bpf_task_storage_get(&fault_start, bpf_get_current_task_btf(), 0, 0);
	if (start && *start) {
		ns = bpf_ktime_get_ns() - *start;
		timed = true;
		*start = 0;
	}
	count_fault(ctx->kvm, ctx->kind, ctx->path, ctx->vcpu_id, ctx->strategy, timed, ns);
	return KEEP_EVENT;
}

/*
 * The same, in one event per fault: the time is the kernel's own (its
 * s2_fault_time_ns stat), so no entry probe and no start time are needed.
 * The loader picks this program only where the stat exists and the
 * kernel's fault timing (kvm.stage2_fault_timing) is on.
 */
SEC("tp_btf/kvm_s2_fault_exit")
int BPF_PROG(s2_fault_done, struct kvm_vcpu___s2 *vcpu, __u64 ipa, __u8 kind, __u8 path,
	     __u64 size, int ret)
{
	struct kvm___s2 *kvm;
	struct fault_prev *fp, nfp;
	__u64 vkey = (__u64)vcpu, t, ns = 0;
	bool timed = false;
	__u8 strategy = 0xff;

	if (!is_target())
		return 0;
	kvm = BPF_CORE_READ(vcpu, kvm);
	if (!is_target_vm(kvm))
		return 0;
	t = BPF_CORE_READ(vcpu, stat.s2_fault_time_ns);
	fp = bpf_map_lookup_elem(&fault_prev, &vkey);
	if (fp && fp->kvm == (__u64)kvm && t >= fp->time_ns) {
		ns = t - fp->time_ns;
		timed = true;
		fp->time_ns = t;
	} else {
		/* first seen: its whole stat is this fault's if it is new */
		if (all_new) {
			ns = t;
			timed = true;
		}
		nfp.kvm = (__u64)kvm;
		nfp.time_ns = t;
		if (bpf_map_update_elem(&fault_prev, &vkey, &nfp, BPF_ANY))
			inc(&counts[C_DROP_FAULT_START]);
	}
	if (bpf_core_field_exists(kvm->arch.s2_strategy))
		strategy = BPF_CORE_READ(kvm, arch.s2_strategy);
	count_fault(kvm, kind, path, BPF_CORE_READ(vcpu, vcpu_id), strategy, timed, ns);
	return 0;
}

SEC("tracepoint/kvm_s2/kvm_s2_tlbi")
int s2_tlbi(struct trace_event_raw_kvm_s2_tlbi___s2 *ctx)
{
	__u64 kvm = (__u64)ctx->kvm;
	__u32 kind = ctx->kind;

	/* Invalidations also come from MMU notifiers in other processes. */
	if (target_tgid && !bpf_map_lookup_elem(&vms, &kvm))
		return KEEP_EVENT;
	if (!is_target_vm((void *)kvm))
		return KEEP_EVENT;
	if (kind >= NR_TLBI_KINDS)
		return KEEP_EVENT;
	kind = masked(kind, NR_TLBI_KINDS - 1);
	inc(&tlbi_count[kind]);
	__sync_fetch_and_add(&tlbi_bytes[kind], ctx->size);
	if (bpf_core_field_exists(ctx->write_locked)) {
		__u8 wl = ctx->write_locked;

		if (wl == TL_WRITE_LOCKED)
			inc(&tlbi_locked[kind]);
		else if (wl == TL_UNKNOWN)
			inc(&tlbi_lock_unknown[kind]);
	} else if (ctx->mmu_lock_write) {
		inc(&tlbi_locked[kind]);
	}
	return KEEP_EVENT;
}

SEC("tracepoint/kvm_s2/kvm_s2_cmo")
int s2_cmo(struct trace_event_raw_kvm_s2_cmo___s2 *ctx)
{
	__u32 kind = ctx->kind;

	/* The target's own threads; with -f, also that VM (v2 names it). */
	if (!is_target() || kind >= NR_CMO_KINDS)
		return KEEP_EVENT;
	if (bpf_core_field_exists(ctx->kvm) && !is_target_vm(ctx->kvm))
		return KEEP_EVENT;
	kind = masked(kind, NR_CMO_KINDS - 1);
	inc(&cmo_count[kind]);
	__sync_fetch_and_add(&cmo_bytes[kind], ctx->bytes);
	return KEEP_EVENT;
}

/* ---- fallbacks: fault counts from the unpatched kernels' events ---- */

static __always_inline void count_fallback_fault(__u32 kind, __u32 vcpu)
{
	struct pass_stats *ps = cur_pass();

	inc(&counts[C_FALLBACK_FAULT]);
	if (kind < NR_FAULT_KINDS)
		inc(&fault_kinds[masked(kind, 3)]);
	if (vcpu < MAX_VCPUS)
		inc(&vcpu_faults[masked(vcpu, MAX_VCPUS - 1)]);
	if (ps) {
		inc(&ps->faults);
		if (kind == FK_PERMISSION)
			inc(&ps->wp_faults);
	}
}

SEC("tracepoint/kvm/kvm_guest_fault")
int arm64_guest_fault(struct trace_event_raw_kvm_guest_fault___s2 *ctx)
{
	__u32 kind;

	if (!is_target())
		return KEEP_EVENT;
	/* ESR_ELx fault status code, type bits (ESR_ELx_FSC_TYPE) */
	switch (ctx->hsr & 0x3c) {
	case 0x04: kind = FK_TRANSLATION; break;
	case 0x08: kind = FK_ACCESS; break;
	case 0x0c: kind = FK_PERMISSION; break;
	default: kind = NR_FAULT_KINDS; break;
	}
	/* the event carries no vCPU id */
	count_fallback_fault(kind, MAX_VCPUS);
	return KEEP_EVENT;
}

SEC("tracepoint/kvm/kvm_access_fault")
int arm64_access_fault(void *ctx)
{
	count_target(C_ACCESS_FAULT);
	return KEEP_EVENT;
}

/* The canary: if KVM emits in-kernel exit events at all. */
SEC("tracepoint/kvm/kvm_exit")
int canary_kvm_exit(void *ctx)
{
	count_target(C_KVM_EXIT);
	return KEEP_EVENT;
}

SEC("tracepoint/kvm/kvm_page_fault")
int x86_page_fault(struct trace_event_raw_kvm_page_fault___s2 *ctx)
{
	__u64 ec;
	__u32 kind;

	if (!is_target())
		return KEEP_EVENT;
	/* PFERR_PRESENT_MASK (bit 0): the mapping exists, so a permission fault */
	ec = ctx->error_code;
	kind = (ec & 1) ? FK_PERMISSION : FK_TRANSLATION;
	count_fallback_fault(kind, ctx->vcpu_id);
	return KEEP_EVENT;
}

SEC("tracepoint/kvmmmu/fast_page_fault")
int x86_fast_page_fault(struct trace_event_raw_fast_page_fault___s2 *ctx)
{
	__u32 ret = ctx->ret;

	if (!is_target())
		return KEEP_EVENT;
	/* which ret means "fixed" varies by kernel: the loader reads the format */
	if (ret < MAX_FPF_RET)
		inc(&fpf_ret[masked(ret, MAX_FPF_RET - 1)]);
	return KEEP_EVENT;
}

/* ---- generic KVM events ---- */

SEC("tracepoint/kvm/kvm_userspace_exit")
int userspace_exit(struct trace_event_raw_kvm_userspace_exit___s2 *ctx)
{
	__u32 reason = ctx->reason;

	if (!count_target(C_UEXIT))
		return KEEP_EVENT;
	/* on error the recorded reason is stale */
	if (ctx->errno < 0) {
		inc(&counts[ctx->errno == -4 /* EINTR */ ? C_UEXIT_RESTART : C_UEXIT_ERR]);
		return KEEP_EVENT;
	}
	if (reason >= MAX_EXIT_REASONS)
		reason = MAX_EXIT_REASONS - 1;
	inc(&uexit_reason[masked(reason, MAX_EXIT_REASONS - 1)]);
	return KEEP_EVENT;
}

SEC("tracepoint/kvm/kvm_dirty_ring_push")
int dirty_ring_push(void *ctx)
{
	struct pass_stats *ps;

	if (!count_target(C_RING_PUSH))
		return KEEP_EVENT;
	ps = cur_pass();
	if (ps)
		inc(&ps->ring_pushes);
	return KEEP_EVENT;
}

/* ---- mmu_lock contention, for the watched locks only ---- */

SEC("tracepoint/lock/contention_begin")
int lock_begin(struct trace_event_raw_contention_begin___s2 *ctx)
{
	struct lock_start s = {};
	__u64 lock = (__u64)ctx->lock_addr, *kvm;
	__u32 tid;
	long err;

	kvm = bpf_map_lookup_elem(&locks, &lock);
	if (!kvm)
		return KEEP_EVENT;
	s.ts = bpf_ktime_get_ns();
	s.lock = lock;
	s.kvm = *kvm;
	s.flags = ctx->flags;
	tid = cur_tid();
	/* a slow path may report contention again before it ends: keep the first */
	err = bpf_map_update_elem(&lock_starts, &tid, &s, BPF_NOEXIST);
	if (err && err != -17 /* EEXIST */)
		inc(&counts[C_DROP_START]);
	return KEEP_EVENT;
}

SEC("tracepoint/lock/contention_end")
int lock_end(struct trace_event_raw_contention_end___s2 *ctx)
{
	__u64 lock = (__u64)ctx->lock_addr, ns;
	struct lock_start *s;
	struct vm_live *v;
	__u32 tid = cur_tid(), mode;

	/*
	 * Only a wait that began on a watched lock has a start: no need to look
	 * the lock up again, and a VM destroyed meanwhile leaves no stale start.
	 */
	s = bpf_map_lookup_elem(&lock_starts, &tid);
	if (!s || s->lock != lock)
		return KEEP_EVENT;
	/* a plain spinlock (neither flag) is exclusive: count it as write */
	mode = (s->flags & LCB_F_READ) ? LM_READ : LM_WRITE;
	ns = bpf_ktime_get_ns() - s->ts;
	hist_add(&lock_wait[mode], ns);
	if (per_vm && s->kvm && (v = vm_live_get(s->kvm, 0, 0xff, false))) {
		inc(&v->v[LV_LOCK_WAITS + mode]);
		__sync_fetch_and_add(&v->v[LV_LOCK_NS + mode], ns);
	}
	bpf_map_delete_elem(&lock_starts, &tid);
	return KEEP_EVENT;
}

/* ---- ioctls: dirty-log cost, KVM_RUN returns, and learning the VM ---- */

/*
 * file->private_data of a VM fd is its struct kvm, of a vCPU fd its struct
 * kvm_vcpu. Only trusted if the VM belongs to this process's mm.
 */
static __always_inline void *fd_private(unsigned int fd)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct files_struct *files = BPF_CORE_READ(task, files);
	struct file **fdarr;
	struct file *f = NULL;

	if (!files || fd >= BPF_CORE_READ(files, fdt, max_fds))
		return NULL;
	fdarr = BPF_CORE_READ(files, fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fdarr[fd]);
	return f ? BPF_CORE_READ(f, private_data) : NULL;
}

static __always_inline void learn_vm(struct kvm___s2 *kvm)
{
	struct task_struct *task = (void *)bpf_get_current_task();

	if (!bpf_core_type_exists(struct kvm___s2) || !kvm)
		return;
	if ((void *)BPF_CORE_READ(kvm, mm) != (void *)BPF_CORE_READ(task, mm))
		return;
	watch_kvm(kvm, 0xff, SRC_IOCTL);
	if (per_vm)
		vm_live_get((__u64)kvm, bpf_get_current_pid_tgid() >> 32, 0xff, false);
}

SEC("tracepoint/syscalls/sys_enter_ioctl")
int ioctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	unsigned int fd = ctx->args[0];
	__u32 cmd = ctx->args[1];
	struct ioctl_start s = {}, *old;
	__u32 tid;

	if (((cmd >> 8) & 0xff) != 0xae /* KVMIO */ || !is_target())
		return KEEP_EVENT;
	tid = cur_tid();
	if (cmd == cmd_run) {
		old = bpf_map_lookup_elem(&ioctl_starts, &tid);
		if (old) {
			old->ts = bpf_ktime_get_ns();
			old->what = IO_RUN;
			return KEEP_EVENT;
		}
		/* a vCPU thread we have not seen: its VM may be new to us too */
		if (bpf_core_type_exists(struct kvm_vcpu___s2)) {
			struct kvm_vcpu___s2 *vcpu = fd_private(fd);

			if (vcpu)
				learn_vm(BPF_CORE_READ(vcpu, kvm));
		}
		s.what = IO_RUN;
	} else if (target_vmfd >= 0 && (int)fd != target_vmfd &&
		   (cmd == cmd_get_dirty_log || cmd == cmd_clear_dirty_log ||
		    cmd == cmd_reset_dirty_rings)) {
		return KEEP_EVENT;	/* another VM of the process */
	} else if (cmd == cmd_get_dirty_log) {
		s.what = IO_DIRTY;
		s.which = DI_GET;
	} else if (cmd == cmd_clear_dirty_log) {
		s.what = IO_DIRTY;
		s.which = DI_CLEAR;
	} else if (cmd == cmd_reset_dirty_rings) {
		s.what = IO_DIRTY;
		s.which = DI_RESET_RINGS;
	} else if (cmd == cmd_create_vcpu || cmd == cmd_set_memory ||
		   cmd == cmd_set_memory2) {
		/* a vCPU fd to take: the loader looks at the process's fds again */
		if (cmd == cmd_create_vcpu)
			inc(&counts[C_KVM_FDS]);
		learn_vm(fd_private(fd));
		return KEEP_EVENT;
	} else {
		return KEEP_EVENT;
	}
	/* a dirty-log ioctl is made on the VM's fd */
	if (per_vm && s.what == IO_DIRTY)
		s.kvm = (__u64)fd_private(fd);
	s.ts = bpf_ktime_get_ns();
	if (bpf_map_update_elem(&ioctl_starts, &tid, &s, BPF_ANY))
		inc(&counts[C_DROP_START]);
	return KEEP_EVENT;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int ioctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct ioctl_start *s;
	struct pass_stats *ps;
	__u32 tid, which;
	__u64 delta;

	if (!is_target())
		return KEEP_EVENT;
	tid = cur_tid();
	s = bpf_map_lookup_elem(&ioctl_starts, &tid);
	if (!s || !s->ts)
		return KEEP_EVENT;
	delta = bpf_ktime_get_ns() - s->ts;
	s->ts = 0;
	if (s->what == IO_RUN) {
		inc(&counts[C_RUN_RETURNS]);
		if (ctx->ret == -4 /* EINTR */)
			inc(&counts[C_RUN_EINTR]);
		return KEEP_EVENT;
	}
	which = s->which;
	if (which >= NR_DIRTY_IOCTLS)
		return KEEP_EVENT;
	hist_add(&dirty_ioctl[masked(which, 3)], delta);
	if (per_vm && s->kvm) {
		/* one of its VMs' ioctls returned: the caller is the VMM */
		struct vm_live *v = vm_live_get(s->kvm, ctx->ret >= 0 ?
						bpf_get_current_pid_tgid() >> 32 : 0, 0xff, false);

		if (v) {
			inc(&v->v[LV_DIRTY_CALLS + masked(which, 3)]);
			__sync_fetch_and_add(&v->v[LV_DIRTY_NS + masked(which, 3)], delta);
		}
	}

	/*
	 * A pass ends with GET_DIRTY_LOG (or RESET_DIRTY_RINGS); the CLEARs
	 * that follow a GET belong to the pass it ended.
	 */
	if (which == DI_CLEAR) {
		__u32 p = pass;

		if (p > 0 && p - 1 < MAX_PASSES)
			__sync_fetch_and_add(&passes[masked(p - 1, MAX_PASSES - 1)].ioctl_ns, delta);
		return KEEP_EVENT;
	}
	ps = cur_pass();
	if (ps)
		__sync_fetch_and_add(&ps->ioctl_ns, delta);
	__sync_fetch_and_add(&pass, 1);
	return KEEP_EVENT;
}

/* ---- the binary stats of the VMs whose fds the loader holds ---- */

/*
 * Run on each read of the loader's iterator, over the loader's own files
 * only: its duplicates of the watched process's VM and vCPU fds (KVM
 * answers no ioctl from another process, so the stats fd is out of reach).
 * One record per VM or vCPU; nothing runs between two reads.
 */
SEC("iter/task_file")
int kvm_stats(struct bpf_iter__task_file *ctx)
{
	static const char vcpu_name[] = "kvm-vcpu:", vm_name[] = "kvm-vm";
	struct seq_file *seq = ctx->meta->seq;
	struct file *file = ctx->file;
	struct s2_stats_rec rec = {};
	char name[16] = {};
	const unsigned char *dname;
	struct kvm_vcpu___s2 *vcpu;
	struct kvm___s2 *kvm;
	int i;

	if (!file)
		return 0;
	dname = BPF_CORE_READ(file, f_path.dentry, d_name.name);
	if (bpf_probe_read_kernel_str(name, sizeof(name), dname) < 0)
		return 0;
	for (i = 0; i < sizeof(vcpu_name) - 1; i++)
		if (name[i] != vcpu_name[i])
			break;
	rec.fd = ctx->fd;
	if (i == sizeof(vcpu_name) - 1) {
		vcpu = BPF_CORE_READ(file, private_data);
		rec.kind = S2_REC_VCPU;
		rec.vcpu_id = BPF_CORE_READ(vcpu, vcpu_id);
		rec.kvm = (__u64)BPF_CORE_READ(vcpu, kvm);
		read_vcpu_stats(vcpu, &rec);
		bpf_seq_write(seq, &rec, sizeof(rec));
		return 0;
	}
	for (i = 0; i < sizeof(vm_name); i++)
		if (name[i] != vm_name[i])
			return 0;
	kvm = BPF_CORE_READ(file, private_data);
	rec.kind = S2_REC_VM;
	rec.kvm = (__u64)kvm;
	read_vm_stats(kvm, &rec);
	bpf_seq_write(seq, &rec, sizeof(rec));
	return 0;
}
