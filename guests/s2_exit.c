// SPDX-License-Identifier: GPL-2.0
/*
 * s2_exit: the floor under a stage-2 fault. Each vCPU makes round trips
 * that leave the guest and come straight back, of one kind per pass, and
 * the host times each pass:
 *
 *   null_hypercall  a hypercall KVM answers in the kernel (x86: CPUID): the
 *                   whole exit to the host's run loop and back, no userspace
 *   mmio_user       a write to a guest physical address with no memslot:
 *                   the exit goes on to userspace (KVM_EXIT_MMIO) and the
 *                   vCPU thread re-enters
 *   fixup           arm64: a trap the hypervisor's exit fix-up
 *                   (fixup_guest_exit) resolves and re-enters the guest
 *                   from, without the run loop: CNTPCT_EL0 read with a
 *                   counter offset and no CNTPOFF (kvm_hyp_handle_cntpct)
 *   hvc_vector      arm64: an HVC answered in the EL2 exception vector
 *                   itself (SMCCC_ARCH_WORKAROUND_1), no world switch: the
 *                   cost of taking the trap and returning
 *
 * A write-protection fault resolved by a fix-up handler would cost about
 * "fixup"; one through the run loop at least "null_hypercall".
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __aarch64__
#include <sys/auxv.h>
#include <linux/arm-smccc.h>
#endif

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2wl.h"

enum exit_kind { K_NULL_HC, K_MMIO, K_FIXUP, K_VECTOR, NR_KINDS };

static const char *const kind_name[NR_KINDS] = {
	[K_NULL_HC] = "null_hypercall",
	[K_MMIO] = "mmio_user",
	[K_FIXUP] = "fixup",
	[K_VECTOR] = "hvc_vector",
};

/* What each kind is on this architecture, for the document and -h. */
#ifdef __aarch64__
static const char *const kind_how[NR_KINDS] = {
	[K_NULL_HC] = "HVC SMCCC_VERSION (0x80000000): answered by kvm_smccc_call_handler() "
		      "in the host's run loop, no return to userspace",
	[K_MMIO] = "STR to a guest physical address outside every memslot: stage-2 data "
		   "abort, KVM_EXIT_MMIO to the vCPU thread, KVM_RUN again",
	[K_FIXUP] = "MRS CNTPCT_EL0 with a VM counter offset (KVM_ARM_SET_COUNTER_OFFSET) and "
		    "no FEAT_ECV CNTPOFF: the read traps to EL2 and kvm_hyp_handle_cntpct() "
		    "in the exit fix-up emulates it and re-enters the guest",
	[K_VECTOR] = "HVC SMCCC_ARCH_WORKAROUND_1 (0x80008000): answered in the EL2 vector "
		     "(hyp-entry.S el1_sync) before any world switch",
};
/*
 * Any non-zero offset makes KVM trap the physical counter; this one is
 * small enough that the guest's counters stay positive after a few seconds
 * of host uptime, and far larger than the few ticks between two reads, so
 * the guest can tell a trapped (offset) read from a raw one.
 */
#define EXIT_COUNTER_OFFSET (1ull << 24)
#else
static const char *const kind_how[NR_KINDS] = {
	[K_NULL_HC] = "CPUID leaf 0: answered by kvm_emulate_cpuid() in the kernel, no "
		      "return to userspace",
	[K_MMIO] = "MOV to a guest physical address outside every memslot: emulated, "
		   "KVM_EXIT_MMIO to the vCPU thread, KVM_RUN again",
};
#endif

/* Why a kind cannot be had here; NULL: it can. */
static const char *kind_unavailable[NR_KINDS];

struct exit_guest_args {
	uint64_t n;		/* round trips in the next pass */
	uint64_t mmio_gva;
	uint32_t kind;		/* of the next pass */
};

static struct exit_guest_args exit_args;
/* Written by the guest: 1 the counter read was offset (trapped), 2 it was not. */
static uint64_t exit_counter_trapped[S2WL_MAX_VCPUS];

#define COUNTER_TRAPPED 1
#define COUNTER_RAW 2

/* ---- guest ---- */

#ifdef __aarch64__
static uint64_t guest_hvc(uint64_t fn)
{
	register uint64_t x0 asm("x0") = fn;

	/* KVM writes x0-x3 back (SMCCC 1.1 keeps x4-x17). */
	asm volatile("hvc #0" : "+r"(x0) : : "x1", "x2", "x3", "memory");
	return x0;
}

static void guest_null_hypercall(void)
{
	GUEST_ASSERT_EQ(guest_hvc(ARM_SMCCC_VERSION_FUNC_ID), (uint64_t)ARM_SMCCC_VERSION_1_1);
}

static void guest_vector(void)
{
	GUEST_ASSERT_EQ(guest_hvc(ARM_SMCCC_ARCH_WORKAROUND_1), 0ul);
}

static void guest_mmio(volatile uint64_t *p, uint64_t v)
{
	/* A plain STR: a syndrome KVM can decode (ISV set). */
	asm volatile("str %x0, [%1]" : : "r"(v), "r"(p) : "memory");
}

static inline uint64_t guest_cntpct(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntpct_el0" : "=r"(v) : : "memory");
	return v;
}

static inline uint64_t guest_cntvct(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

/*
 * KVM applies the VM's offset to the virtual counter in hardware
 * (CNTVOFF_EL2) and to the physical one only by trapping and emulating
 * the read: a physical read between two virtual ones proves the trap.
 */
static uint64_t guest_counter_check(void)
{
	uint64_t v0, p, v1;

	isb();
	v0 = guest_cntvct();
	isb();
	p = guest_cntpct();
	isb();
	v1 = guest_cntvct();
	return p - v0 <= v1 - v0 ? COUNTER_TRAPPED : COUNTER_RAW;
}

static void guest_fixup(void)
{
	(void)guest_cntpct();
}
#else
/*
 * CPUID rather than VMCALL/VMMCALL: on a nested AMD host (a KVM host that
 * is itself a guest) the outer hypervisor was seen to keep the hypercall
 * to itself, and the guest spun on it without KVM ever seeing an exit.
 * CPUID always reaches KVM, which answers it without userspace.
 */
static void guest_null_hypercall(void)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;

	asm volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx) : : "memory");
	GUEST_ASSERT(ebx | ecx | edx);
}

static void guest_mmio(volatile uint64_t *p, uint64_t v)
{
	asm volatile("movq %0, (%1)" : : "r"(v), "r"(p) : "memory");
}

static uint64_t guest_counter_check(void)
{
	return COUNTER_RAW;
}

static void guest_fixup(void)
{
	GUEST_FAIL("no fix-up kind on this architecture");
}

static void guest_vector(void)
{
	GUEST_FAIL("no vector kind on this architecture");
}
#endif

static void exit_guest_code(uint32_t vcpu)
{
	volatile uint64_t *mmio = (volatile uint64_t *)exit_args.mmio_gva;
	uint64_t i, n;
	uint32_t kind;

	for (;;) {
		kind = READ_ONCE(exit_args.kind);
		n = READ_ONCE(exit_args.n);
		switch (kind) {
		case K_NULL_HC:
			for (i = 0; i < n; i++)
				guest_null_hypercall();
			break;
		case K_MMIO:
			for (i = 0; i < n; i++)
				guest_mmio(mmio, i);
			break;
		case K_FIXUP:
			exit_counter_trapped[vcpu] = guest_counter_check();
			for (i = 0; i < n; i++)
				guest_fixup();
			break;
		case K_VECTOR:
			for (i = 0; i < n; i++)
				guest_vector();
			break;
		default:
			GUEST_FAIL("unknown kind %u", kind);
		}
		GUEST_SYNC(kind);
	}
}

/* ---- host ---- */

static struct {
	uint64_t n;
	bool want[NR_KINDS];
	uint64_t mmio_gpa;
	uint64_t mmio_exits[S2WL_MAX_VCPUS];	/* each vCPU thread counts its own */
} ex = { .n = 5000 };

/* One untimed pass of each kind first faults in the guest's code and stack. */
#define EXIT_WARMUP_N 100

static bool exit_on_exit(struct s2wl_vcpu *v, struct kvm_run *run)
{
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.phys_addr != ex.mmio_gpa ||
	    !run->mmio.is_write)
		return false;
	/* The write goes nowhere: re-entering completes it. */
	ex.mmio_exits[v->idx]++;
	return true;
}

/* Values checked by the spec (common/s2workloads.def); -k: a mask in kind_name's order. */
static int exit_opt(struct s2wl *wl, int opt, const char *arg, uint64_t v)
{
	int k;

	switch (opt) {
	case 'n':
		ex.n = v;
		return 0;
	case 'k':
		for (k = 0; k < NR_KINDS; k++)
			ex.want[k] = v & (1ull << k);
		return 0;
	}
	return -1;
}

static void help(const struct s2wl_cli *cli)
{
	printf("The floor under a stage-2 fault: per vCPU, the round trip of exits that\n"
	       "leave the guest and come straight back, one kind per pass, kinds\n"
	       "interleaved; the host times each pass. Reports ns per round trip (mean,\n"
	       "spread and median over passes) and the kernel's exits per round trip.\n\n"
	       "kinds:\n"
	       "  null_hypercall  a hypercall the kernel answers (arm64: HVC SMCCC_VERSION;\n"
	       "                  x86: CPUID): exit to the run loop, no userspace\n"
	       "  mmio_user       a write to unbacked guest memory: KVM_EXIT_MMIO to userspace\n"
	       "  fixup           (arm64) a trap the exit fix-up emulates without the run\n"
	       "                  loop: CNTPCT_EL0 read under a counter offset\n"
	       "  hvc_vector      (arm64) an HVC the EL2 vector answers, no world switch\n\n"
	       "exit options:\n"
	       "  -n N      round trips per pass (default %" PRIu64 ")\n"
	       "  -k LIST   kinds to measure, comma-separated (default: all)\n"
	       "  -i N      passes of each kind (after one untimed warm-up pass of %d)\n"
	       "  -b SIZE   memory per vCPU: only mapped, never touched by these guests\n\n",
	       ex.n, EXIT_WARMUP_N);
}

/* A vCPU's binary statistic (KVM_GET_STATS_FD); stats.fd < 0: none. */
struct vcpu_stat {
	struct s2wl_stats stats;
	int i;
};

static void vcpu_stat_open(struct kvm_vcpu *vcpu, const char *name, struct vcpu_stat *st)
{
	st->stats.fd = -1;
	if (!kvm_has_cap(KVM_CAP_BINARY_STATS_FD))
		return;
	s2wl_stats_open(&st->stats, vcpu_get_stats_fd(vcpu));
	st->i = s2wl_stats_find(&st->stats, name);
	if (st->i < 0)
		s2wl_stats_close(&st->stats);
}

static uint64_t vcpu_stat_read(struct vcpu_stat *st)
{
	uint64_t v;

	s2wl_stats_read(&st->stats, st->i, &v, 1);
	return v;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double median_u64(const uint64_t *v, size_t n)
{
	uint64_t *s = malloc(n * sizeof(*s));
	double m;

	TEST_ASSERT(s, "out of memory");
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_u64);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2.0;
	free(s);
	return m;
}

/* Decide what this host can measure, before any VM exists. */
static void exit_probe_kinds(void)
{
#ifdef __aarch64__
	uint64_t mmfr0;

	if (!kvm_has_cap(KVM_CAP_COUNTER_OFFSET)) {
		kind_unavailable[K_FIXUP] = "this kernel has no KVM_CAP_COUNTER_OFFSET, which "
					    "makes KVM trap CNTPCT_EL0";
	} else if (!(getauxval(AT_HWCAP) & HWCAP_CPUID)) {
		kind_unavailable[K_FIXUP] = "no HWCAP_CPUID: cannot read ID_AA64MMFR0_EL1 to rule "
					    "out FEAT_ECV CNTPOFF (which would not trap CNTPCT_EL0)";
	} else {
		asm("mrs %0, id_aa64mmfr0_el1" : "=r"(mmfr0));
		/* ECV >= 2 is CNTPOFF: VHE KVM then offsets in hardware, no trap. */
		if (((mmfr0 >> 60) & 0xf) >= 2)
			kind_unavailable[K_FIXUP] = "this CPU has FEAT_ECV CNTPOFF: KVM (VHE) applies "
						    "the counter offset in hardware and does not trap "
						    "CNTPCT_EL0, and no other exit of a plain guest is "
						    "resolved in the fix-up";
	}
#else
	kind_unavailable[K_FIXUP] = "x86 KVM re-enters without the run loop (its exit fastpath, "
				    "EXIT_FASTPATH_REENTER_GUEST) only for a few MSR writes and timer "
				    "exits of a guest with an in-kernel local APIC; s2_exit does not "
				    "measure that";
	kind_unavailable[K_VECTOR] = "x86 has no hypercall answered before the VM-exit handler: "
				     "every VMCALL/VMMCALL is a full exit";
#endif
}

const struct s2wl_cli s2_exit_cli = {
	.name = "s2_exit",
	.iterations = "passes over the memory after the first touch",
	.opt = exit_opt,
	.help = help,
};

int main(int argc, char **argv)
{
	struct s2wl wl = { .p = S2WL_PARAMS(.bytes_per_vcpu = 1ull << 20, .iterations = 5) };
	struct userspace_mem_region *slot0;
	struct vcpu_stat *exits_stat;
	uint64_t *rt[NR_KINDS] = { 0 }, *vrt[NR_KINDS] = { 0 }, exits[NR_KINDS] = { 0 };
	uint64_t *before, start, passes = 0, mmio_seen = 0, mmio_want;
	bool have_stats = true, any = false;
	int kinds[NR_KINDS], nk = 0, it, k, v, status = S2WL_EXIT_OK;
	char why[512] = "", note[128];
	json_t *o;
	FILE *out;

	for (k = 0; k < NR_KINDS; k++)
		ex.want[k] = true;
	s2wl_init(&wl, &s2_exit_cli, argc, argv);
	exit_probe_kinds();
	for (k = 0; k < NR_KINDS; k++)
		if (ex.want[k] && !kind_unavailable[k])
			kinds[nk++] = k;
	if (!nk) {
		for (k = 0; k < NR_KINDS; k++)
			if (ex.want[k])
				snprintf(why + strlen(why), sizeof(why) - strlen(why), "%s%s: %s",
					 *why ? "; " : "", kind_name[k], kind_unavailable[k]);
		s2wl_skip(&wl, "%s", why);
	}

	s2wl_create_vm(&wl, 0);
	wl.on_exit = exit_on_exit;

	/* The MMIO page: past slot 0 and the ucall page, below the test slot. */
	slot0 = memslot2region(wl.vm, 0);
	ex.mmio_gpa = slot0->region.guest_phys_addr + slot0->region.memory_size +
		      2 * wl.page_size;
	TEST_ASSERT(ex.mmio_gpa + wl.page_size <= wl.gpa, "no room for the MMIO page");
	exit_args.mmio_gva = vm_vaddr_unused_gap(wl.vm, wl.page_size, KVM_UTIL_MIN_VADDR);
	virt_map(wl.vm, exit_args.mmio_gva, ex.mmio_gpa, 1);

#ifdef __aarch64__
	if (ex.want[K_FIXUP] && !kind_unavailable[K_FIXUP]) {
		struct kvm_arm_counter_offset off = { .counter_offset = EXIT_COUNTER_OFFSET };

		vm_ioctl(wl.vm, KVM_ARM_SET_COUNTER_OFFSET, &off);
	}
#endif
	exits_stat = calloc(wl.p.vcpus, sizeof(*exits_stat));
	before = calloc(wl.p.vcpus, sizeof(*before));
	TEST_ASSERT(exits_stat && before, "out of memory");
	for (v = 0; v < wl.p.vcpus; v++) {
		/* s2wl's guest loop is not ours: start every vCPU in exit_guest_code. */
		vcpu_arch_set_entry_point(wl.vcpus[v].vcpu, exit_guest_code);
		vcpu_args_set(wl.vcpus[v].vcpu, 1, v);
		vcpu_stat_open(wl.vcpus[v].vcpu, "exits", &exits_stat[v]);
		have_stats &= exits_stat[v].stats.fd >= 0;
	}
	for (k = 0; k < nk; k++) {
		rt[kinds[k]] = calloc(wl.p.iterations, sizeof(uint64_t));
		vrt[kinds[k]] = calloc((size_t)wl.p.iterations * wl.p.vcpus, sizeof(uint64_t));
		TEST_ASSERT(rt[kinds[k]] && vrt[kinds[k]], "out of memory");
	}
	s2wl_start_vcpus(&wl);

	start = s2wl_now_ns();
	exit_args.n = ex.n < EXIT_WARMUP_N ? ex.n : EXIT_WARMUP_N;
	for (k = 0; k < nk; k++) {
		exit_args.kind = kinds[k];
		sync_global_to_guest(wl.vm, exit_args);
		s2wl_run_pass(&wl);
		passes++;
	}
	s2wl_phase(&wl, "warmup", start);

	if (ex.want[K_FIXUP] && !kind_unavailable[K_FIXUP]) {
		sync_global_from_guest(wl.vm, exit_counter_trapped);
		for (v = 0; v < wl.p.vcpus; v++)
			if (exit_counter_trapped[v] != COUNTER_TRAPPED)
				break;
		if (v < wl.p.vcpus) {
			kind_unavailable[K_FIXUP] = "CNTPCT_EL0 reads were not trapped under a counter "
						    "offset (the guest saw the raw physical counter)";
			for (k = 0; kinds[k] != K_FIXUP; k++)
				;
			memmove(&kinds[k], &kinds[k + 1], (nk - k - 1) * sizeof(kinds[0]));
			nk--;
		}
	}

	exit_args.n = ex.n;
	for (it = 0; it < wl.p.iterations; it++) {
		for (k = 0; k < nk; k++) {
			int kind = kinds[k];
			uint64_t sum = 0;

			exit_args.kind = kind;
			sync_global_to_guest(wl.vm, exit_args);
			for (v = 0; have_stats && v < wl.p.vcpus; v++)
				before[v] = vcpu_stat_read(&exits_stat[v]);
			start = s2wl_now_ns();
			s2wl_run_pass(&wl);
			s2wl_phase(&wl, kind_name[kind], start);
			passes++;
			for (v = 0; v < wl.p.vcpus; v++) {
				uint64_t ns = wl.vcpus[v].last_pass_ns;

				vrt[kind][(size_t)v * wl.p.iterations + it] = llround((double)ns / ex.n);
				sum += ns;
				if (have_stats)
					exits[kind] += vcpu_stat_read(&exits_stat[v]) - before[v];
			}
			rt[kind][it] = llround((double)sum / ((double)ex.n * wl.p.vcpus));
		}
		s2wl_progress(&wl, "pass %d/%d done", it + 1, wl.p.iterations);
	}
	s2wl_stop_vcpus(&wl);

	/* A kind that left for the run loop as often as it ran is not what it claims. */
	for (k = 0; have_stats && k < nk; k++) {
		int kind = kinds[k];
		double per = (double)exits[kind] / ((double)ex.n * wl.p.iterations * wl.p.vcpus);
		static char reason[NR_KINDS][256];

		if ((kind == K_FIXUP || kind == K_VECTOR) && per >= 0.5) {
			snprintf(reason[kind], sizeof(reason[kind]),
				 "measured %.2f kernel exits per round trip (%.0f ns): this kernel "
				 "does not resolve it before the run loop", per,
				 median_u64(rt[kind], wl.p.iterations));
			kind_unavailable[kind] = reason[kind];
		}
	}

	for (v = 0; v < wl.p.vcpus; v++)
		mmio_seen += ex.mmio_exits[v];
	mmio_want = 0;
	for (k = 0; k < nk; k++)
		if (kinds[k] == K_MMIO)
			mmio_want = (uint64_t)wl.p.vcpus *
				    ((uint64_t)wl.p.iterations * ex.n +
				     (ex.n < EXIT_WARMUP_N ? ex.n : EXIT_WARMUP_N));
	if (mmio_seen != mmio_want) {
		status = S2WL_EXIT_FAIL;
		snprintf(why, sizeof(why), "%" PRIu64 " MMIO exits reached the vCPU threads, "
			 "%" PRIu64 " expected", mmio_seen, mmio_want);
	}

	o = json_pack("{s:o, s:o, s:o, s:o}",
		      "round_trips_per_pass", s2_jint(ex.n, "round trips"),
		      "warmup_round_trips", s2_jint(ex.n < EXIT_WARMUP_N ? ex.n : EXIT_WARMUP_N,
						       "round trips"),
		      "passes_per_vcpu", s2_jint(passes, "passes"),
		      "mmio_exits_seen", s2_jint(mmio_seen, "exits"));
	out = s2wl_out(&wl);
	fprintf(out, "s2_exit: %d vCPUs, %d passes x %" PRIu64 " round trips per kind, strategy %s\n",
		wl.p.vcpus, wl.p.iterations, ex.n, wl.strategy_in_force);
	for (k = 0; k < NR_KINDS; k++) {
		json_t *s, *per_vcpu;
		double med, per = 0;

		if (!ex.want[k] || kind_unavailable[k] || !rt[k]) {
			const char *r = !ex.want[k] ? "not measured: not in -k" : kind_unavailable[k];

			json_object_set_new(o, kind_name[k], s2_junavail(r));
			if (ex.want[k])
				fprintf(out, "  %-16s unavailable: %s\n", kind_name[k], r);
			continue;
		}
		any = true;
		med = median_u64(rt[k], wl.p.iterations);
		s = s2wl_j_series(rt[k], wl.p.iterations, "ns");
		json_object_set_new(s, "median", s2_jreal(med, "ns"));
		json_object_set_new(s, "how", json_string(kind_how[k]));
		if (have_stats) {
			per = (double)exits[k] / ((double)ex.n * wl.p.iterations * wl.p.vcpus);
			json_object_set_new(s, "kernel_exits_per_round_trip", s2_jreal(per, "exits"));
		} else {
			json_object_set_new(s, "kernel_exits_per_round_trip",
				s2_junavail("this kernel has no binary statistics "
						   "(KVM_CAP_BINARY_STATS_FD)"));
		}
		per_vcpu = json_array();
		for (v = 0; v < wl.p.vcpus; v++)
			json_array_append_new(per_vcpu,
				s2wl_j_series(&vrt[k][(size_t)v * wl.p.iterations],
					      wl.p.iterations, "ns"));
		json_object_set_new(s, "per_vcpu", per_vcpu);
		json_object_set_new(o, kind_name[k], s);
		if (have_stats)
			snprintf(note, sizeof(note), "median %.0f ns, %.3f kernel exits each", med, per);
		else
			snprintf(note, sizeof(note), "median %.0f ns", med);
		s2wl_print_series(&wl, kind_name[k], rt[k], wl.p.iterations, 1, "ns", note);
	}
	json_object_set_new(wl.doc, "exit", o);
	s2wl_destroy_vm(&wl);

	if (!any && status == S2WL_EXIT_OK) {
		status = S2WL_EXIT_SKIP;
		snprintf(why, sizeof(why), "no kind of exit could be measured on this host");
	}
	return s2wl_finish(&wl, status, *why ? why : NULL);
}
