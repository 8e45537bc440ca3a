// SPDX-License-Identifier: GPL-2.0
/*
 * s2_security_test: the lock-free stage-2 paths must never let a guest
 * write where the host does not allow it.
 *
 * With dirty logging on (so that write-protection faults are what the
 * fastpath strategy resolves without mmu_lock), the guest writes its
 * memory after each of these host events, and the host checks the result:
 *
 *   fork     the memory is shared copy-on-write with a child; the child's
 *            copy must keep the value it had at fork time;
 *   mprotect the memory is made read-only on the host; the write must fail
 *            (KVM_RUN returns EFAULT) and the memory keep its value;
 *   ksm      KSM merges the memory with an identical host buffer; the
 *            buffer must keep its content;
 *   readonly a write to a KVM_MEM_READONLY memslot must exit to user space
 *            as MMIO, and the memslot keep its content;
 *   move     the logged memslot is moved away and back (KVM_MR_MOVE) while
 *            a vCPU thread keeps writing it (its writes to the vacated
 *            range exit as MMIO and are dropped); at each harvest, taken
 *            with the vCPU parked between passes, every page whose content
 *            changed since the last one has its dirty bit (none lost), and
 *            a second harvest, nothing written since, reports nothing
 *            (none spurious; every pass writes every page, so there is no
 *            unchanged page to test otherwise): the lock-free paths must
 *            not mark a page of a memslot being moved.
 *   delete   the logged memslot is deleted (KVM_MR_DELETE) while the vCPU
 *            thread writes it, then created again on the same memory with
 *            logging on: every page changed after that has its dirty bit
 *            (a leaf left writable by a fault that raced the deletion
 *            would change pages without one), none spurious (as move).
 *
 * Every pass must also show up whole in KVM_GET_DIRTY_LOG.
 *
 * Usage: s2_security_test [-S STRATEGY] [-n PAGES] [-r ROUNDS] [-h]
 * Output: one "ok"/"not ok" line per check, then a summary line. Bad
 * arguments: one line on stderr, exit 2 (the workloads' helpers, s2common.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "test_util.h"
#include "ucall_common.h"

#include "s2_security_test.h"

#include "s2common.h"

#define TEST_SLOT	1
#define RO_SLOT		2
#define TEST_GPA	0xc0000000ul
#define RO_GPA		0xd0000000ul
#define MOVED_GPA	0xe0000000ul
#define MOVE_ROUNDS	8

enum { CMD_WRITE = 1, CMD_WRITE_RO, CMD_LOOP, CMD_DONE };

/* Shared with the guest through sync_global_to_guest(). */
static uint64_t guest_cmd, guest_val, guest_npages, guest_page_size;

static void guest_code(void)
{
	uint64_t i;

	for (;;) {
		GUEST_SYNC(0);
		switch (READ_ONCE(guest_cmd)) {
		case CMD_WRITE:
			for (i = 0; i < guest_npages; i++)
				*(volatile uint64_t *)(TEST_GPA + i * guest_page_size) =
					guest_val;
			break;
		case CMD_WRITE_RO:
			*(volatile uint64_t *)RO_GPA = guest_val;
			break;
		case CMD_LOOP:
			/* pass v writes v everywhere; the host stops it at a sync */
			while (READ_ONCE(guest_cmd) == CMD_LOOP) {
				uint64_t v = READ_ONCE(guest_val) + 1;

				WRITE_ONCE(guest_val, v);
				for (i = 0; i < guest_npages; i++)
					*(volatile uint64_t *)(TEST_GPA + i * guest_page_size) = v;
				GUEST_SYNC(v);
			}
			break;
		default:
			GUEST_DONE();
		}
	}
}

static int checks, failures;

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%s %d - ", ok ? "ok" : "not ok", checks);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

struct test {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpu;
	uint64_t npages;
	uint64_t page_size;
	uint8_t *hva;		/* the dirty-logged memslot, host view */
	uint8_t *ro_hva;	/* the read-only memslot */
	unsigned long *bitmap;
};

static void set_cmd(struct test *t, uint64_t cmd, uint64_t val)
{
	guest_cmd = cmd;
	guest_val = val;
	sync_global_to_guest(t->vm, guest_cmd);
	sync_global_to_guest(t->vm, guest_val);
}

/* Run until the guest's next GUEST_SYNC; false if it did not get there. */
static bool run_to_sync(struct test *t)
{
	struct ucall uc;

	vcpu_run(t->vcpu);
	switch (get_ucall(t->vcpu, &uc)) {
	case UCALL_SYNC:
		return true;
	case UCALL_ABORT:
		REPORT_GUEST_ASSERT(uc);
		return false;
	default:
		printf("# unexpected exit %s\n", exit_reason_str(t->vcpu->run->exit_reason));
		return false;
	}
}

static uint64_t page_value(struct test *t, uint8_t *base, uint64_t i)
{
	return *(volatile uint64_t *)(base + i * t->page_size);
}

/* How many pages of @base do not hold @val. */
static uint64_t pages_not(struct test *t, uint8_t *base, uint64_t val)
{
	uint64_t i, n = 0;

	for (i = 0; i < t->npages; i++)
		n += page_value(t, base, i) != val;
	return n;
}

static uint64_t dirty_pages(struct test *t)
{
	uint64_t i, n = 0;

	memset(t->bitmap, 0, (t->npages + 63) / 64 * 8);
	kvm_vm_get_dirty_log(t->vm, TEST_SLOT, t->bitmap);
	for (i = 0; i < t->npages; i++)
		n += !!(t->bitmap[i / 64] & (1ul << (i % 64)));
	return n;
}

/* One guest pass writing @val everywhere, checked in memory and the log. */
static void write_pass(struct test *t, uint64_t val, const char *what)
{
	uint64_t dirty;

	set_cmd(t, CMD_WRITE, val);
	check(run_to_sync(t), "%s: guest pass writing %lu completes", what, val);
	check(pages_not(t, t->hva, val) == 0, "%s: all %lu pages hold %lu",
	      what, t->npages, val);
	dirty = dirty_pages(t);
	check(dirty == t->npages, "%s: dirty log reports %lu of %lu written pages",
	      what, dirty, t->npages);
}

static void test_fork(struct test *t, int round)
{
	int to_child[2], status;
	uint64_t before = 100 + 2 * round, after = before + 1;
	char what[32];
	pid_t pid;

	snprintf(what, sizeof(what), "fork round %d", round);
	/* Leaves are now write-protected for logging: what the fast path uses. */
	write_pass(t, before, what);

	TEST_ASSERT(pipe(to_child) == 0, "pipe");
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0) {
		char c;

		close(to_child[1]);
		if (read(to_child[0], &c, 1) != 1)
			_exit(3);
		_exit(pages_not(t, t->hva, before) ? 1 : 0);
	}
	close(to_child[0]);

	write_pass(t, after, what);

	TEST_ASSERT(write(to_child[1], "x", 1) == 1, "pipe write");
	close(to_child[1]);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s: the child's copy still holds %lu after the guest wrote %lu",
	      what, before, after);
}

static void test_mprotect(struct test *t)
{
	size_t size = t->npages * t->page_size;
	int rc, err;

	write_pass(t, 200, "mprotect");
	TEST_ASSERT(mprotect(t->hva, size, PROT_READ) == 0, "mprotect(PROT_READ)");

	set_cmd(t, CMD_WRITE, 201);
	rc = _vcpu_run(t->vcpu);
	err = errno;
	check(rc == -1 && err == EFAULT,
	      "mprotect: a guest write to host-read-only memory fails with EFAULT (got rc %d, %s)",
	      rc, rc ? strerror(err) : "no error");
	check(pages_not(t, t->hva, 200) == 0,
	      "mprotect: host-read-only memory keeps its value");

	/* Let the guest finish the interrupted pass. */
	TEST_ASSERT(mprotect(t->hva, size, PROT_READ | PROT_WRITE) == 0, "mprotect(RW)");
	check(run_to_sync(t), "mprotect: the pass completes once writable again");
	check(pages_not(t, t->hva, 201) == 0, "mprotect: then all pages hold 201");
	dirty_pages(t);
}

static int ksm_write(const char *file, const char *val)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, val, strlen(val)) == (ssize_t)strlen(val);
	close(fd);
	return ok ? 0 : -1;
}

static long ksm_read(const char *file)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) <= 0)
		buf[0] = '\0';
	close(fd);
	return atol(buf);
}

static void test_ksm(struct test *t)
{
	size_t size = t->npages * t->page_size;
	long merged = 0;
	uint8_t *other;
	uint64_t i;
	int waited;

	char buf[32];

	/* One KSM page may have all of them (default: 256 sharers at most). */
	snprintf(buf, sizeof(buf), "%lu", 2 * t->npages + 16);
	if (ksm_write("max_page_sharing", buf) || ksm_write("run", "1")) {
		printf("# ksm: not available (%s), merging not tested\n", strerror(errno));
		return;
	}
	ksm_write("pages_to_scan", "10000");
	ksm_write("sleep_millisecs", "10");

	other = mmap(NULL, size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT(other != MAP_FAILED, "mmap");
	for (i = 0; i < t->npages; i++)
		*(uint64_t *)(other + i * t->page_size) = 300;

	write_pass(t, 300, "ksm");
	TEST_ASSERT(madvise(other, size, MADV_MERGEABLE) == 0, "madvise other");
	TEST_ASSERT(madvise(t->hva, size, MADV_MERGEABLE) == 0, "madvise guest");

	/* Every page is identical: all merge into one KSM page. */
	for (waited = 0; waited < 600; waited++) {
		merged = ksm_read("pages_shared") + ksm_read("pages_sharing");
		if (merged >= (long)(2 * t->npages) && ksm_read("pages_shared") == 1)
			break;
		usleep(100 * 1000);
	}
	check(merged >= (long)(2 * t->npages) && ksm_read("pages_shared") == 1,
	      "ksm: guest memory and the host buffer merged into one page (%ld pages)",
	      merged);

	write_pass(t, 301, "ksm");
	check(pages_not(t, other, 300) == 0,
	      "ksm: the other sharer still holds 300 after the guest wrote 301");

	madvise(t->hva, size, MADV_UNMERGEABLE);
	munmap(other, size);
	ksm_write("run", "2");
}

static void test_readonly(struct test *t)
{
	struct kvm_run *run = t->vcpu->run;
	int rc;

	*(uint64_t *)t->ro_hva = 400;
	set_cmd(t, CMD_WRITE_RO, 401);
	rc = _vcpu_run(t->vcpu);
	check(rc == 0 && run->exit_reason == KVM_EXIT_MMIO && run->mmio.is_write &&
	      run->mmio.phys_addr == RO_GPA,
	      "readonly: a guest write to a read-only memslot exits as MMIO (exit %s)",
	      exit_reason_str(run->exit_reason));
	check(*(uint64_t *)t->ro_hva == 400, "readonly: the memslot keeps its content");
	/* The MMIO write is complete as far as KVM is concerned. */
	check(run_to_sync(t), "readonly: the guest carries on after the MMIO exit");
}

/* ---- move: KVM_MR_MOVE of the logged memslot under a writing vCPU ---- */

static struct {
	atomic_ulong passes, mmio;
	atomic_int pause, parked, stop;
	const char *volatile error;
} mv;

static void *move_vcpu(void *arg)
{
	struct test *t = arg;
	struct ucall uc;

	while (!atomic_load(&mv.stop)) {
		vcpu_run(t->vcpu);
		switch (get_ucall(t->vcpu, &uc)) {
		case UCALL_SYNC:
			atomic_fetch_add(&mv.passes, 1);
			if (atomic_load(&mv.pause)) {
				atomic_store(&mv.parked, 1);
				while (atomic_load(&mv.pause) && !atomic_load(&mv.stop))
					usleep(100);
				atomic_store(&mv.parked, 0);
			}
			break;
		case UCALL_NONE:
			/* a write to the vacated range: MMIO, dropped */
			if (t->vcpu->run->exit_reason != KVM_EXIT_MMIO) {
				mv.error = exit_reason_str(t->vcpu->run->exit_reason);
				return NULL;
			}
			atomic_fetch_add(&mv.mmio, 1);
			break;
		default:
			mv.error = "the guest stopped (assert or done)";
			return NULL;
		}
	}
	return NULL;
}

/* Wait until the vCPU thread has finished @n more passes (false: it died). */
static bool wait_passes(unsigned long n)
{
	unsigned long want = atomic_load(&mv.passes) + n;

	while (atomic_load(&mv.passes) < want && !mv.error)
		usleep(100);
	return !mv.error;
}

/*
 * With the vCPU parked between passes: the log against what changed since
 * @prev, which becomes the memory's content now; then the log again.
 */
static void harvest_check(struct test *t, uint64_t *prev, uint64_t *changed,
			  uint64_t *lost, uint64_t *spurious)
{
	uint64_t i;

	memset(t->bitmap, 0, (t->npages + 63) / 64 * 8);
	kvm_vm_get_dirty_log(t->vm, TEST_SLOT, t->bitmap);
	for (i = 0; i < t->npages; i++) {
		uint64_t v = page_value(t, t->hva, i);
		bool bit = t->bitmap[i / 64] & (1ul << (i % 64));

		*changed += v != prev[i];
		*lost += v != prev[i] && !bit;
		prev[i] = v;
	}
	/*
	 * Every pass writes every page, so none is unchanged above; a second
	 * harvest, nothing written since, must report nothing.
	 */
	memset(t->bitmap, 0, (t->npages + 63) / 64 * 8);
	kvm_vm_get_dirty_log(t->vm, TEST_SLOT, t->bitmap);
	for (i = 0; i < t->npages; i++)
		*spurious += !!(t->bitmap[i / 64] & (1ul << (i % 64)));
}

/* Stop the vCPU thread, and bring the guest out of its loop to its first sync. */
static void stop_vcpu_thread(struct test *t, pthread_t th)
{
	atomic_store(&mv.stop, 1);
	atomic_store(&mv.pause, 0);
	pthread_join(th, NULL);
	set_cmd(t, CMD_DONE, 0);
	while (!mv.error) {
		struct ucall uc;
		int r;

		vcpu_run(t->vcpu);
		r = get_ucall(t->vcpu, &uc);
		if (r == UCALL_SYNC && uc.args[1] == 0)
			break;
		if (r != UCALL_SYNC && !(r == UCALL_NONE && t->vcpu->run->exit_reason == KVM_EXIT_MMIO))
			mv.error = "the guest did not come back to its first sync";
	}
}

/* Park the vCPU thread between two passes (false: it died). */
static bool park_vcpu(void)
{
	atomic_store(&mv.pause, 1);
	while (!atomic_load(&mv.parked) && !mv.error)
		usleep(100);
	return !mv.error;
}

/* What a race (move, delete) calls itself, its rounds, the range its writes hit, the slot. */
struct race_words {
	const char *name, *rounds, *range, *slot;
};

/*
 * The vCPU thread on the guest's passes, which write @base + 1, + 2, ...;
 * the MMIO exits so far in *@mmio0.
 */
static pthread_t start_race(struct test *t, uint64_t base, unsigned long *mmio0)
{
	pthread_t th;

	set_cmd(t, CMD_LOOP, base);
	atomic_store(&mv.stop, 0);
	pthread_create(&th, NULL, move_vcpu, t);
	*mmio0 = atomic_load(&mv.mmio);
	return th;
}

/*
 * The end of a race: the vCPU thread stopped, then what both check: it
 * ran through every round, its writes raced them, no dirty bit was lost
 * (with @changed_too, and some page changed) and none was spurious.
 */
static void end_race(struct test *t, pthread_t th, const struct race_words *w,
		     unsigned long mmio0, bool changed_too, uint64_t changed, uint64_t lost,
		     uint64_t spurious)
{
	stop_vcpu_thread(t, th);
	check(!mv.error, "%s: the vCPU thread ran through %d %s (%s)", w->name, MOVE_ROUNDS,
	      w->rounds, mv.error ? mv.error : "no unexpected exit");
	check(atomic_load(&mv.mmio) > mmio0,
	      "%s: writes raced the %s (%lu of them hit the %s range, as MMIO)",
	      w->name, w->rounds, atomic_load(&mv.mmio) - mmio0, w->range);
	check((!changed_too || changed > 0) && lost == 0,
	      "%s: no dirty bit lost%s (%lu pages changed, %lu without a bit)",
	      w->name, w->slot, changed, lost);
	check(spurious == 0, "%s: no spurious dirty bit (%lu bits in harvests with nothing written)",
	      w->name, spurious);
}

static void test_move(struct test *t)
{
	static const struct race_words words = { "move", "moves", "vacated", "" };
	uint64_t *prev = calloc(t->npages, sizeof(*prev)), i, lost = 0, spurious = 0, changed = 0;
	unsigned long mmio0;
	pthread_t th;
	int r;

	TEST_ASSERT(prev, "calloc");
	for (i = 0; i < t->npages; i++)
		prev[i] = page_value(t, t->hva, i);
	dirty_pages(t);				/* a clean start */
	/* the guest's passes write 1000, 1001, ... */
	th = start_race(t, 999, &mmio0);
	for (r = 0; r < MOVE_ROUNDS && !mv.error; r++) {
		if (!wait_passes(1))
			break;
		vm_mem_region_move(t->vm, TEST_SLOT, MOVED_GPA);
		/* the vCPU writes into the vacated range for a while */
		usleep(2000);
		vm_mem_region_move(t->vm, TEST_SLOT, TEST_GPA);
		if (!wait_passes(2))
			break;
		/* harvest with the vCPU parked between two passes */
		if (!park_vcpu())
			break;
		harvest_check(t, prev, &changed, &lost, &spurious);
		atomic_store(&mv.pause, 0);
	}
	end_race(t, th, &words, mmio0, false, changed, lost, spurious);
	free(prev);
}

/* ---- delete: KVM_MR_DELETE of the logged memslot under a writing vCPU ---- */

/* The logged memslot on the same memory, behind the framework's back. */
static void set_test_slot(struct test *t, uint64_t size)
{
	vm_set_user_memory_region(t->vm, TEST_SLOT, KVM_MEM_LOG_DIRTY_PAGES, TEST_GPA,
				  size, t->hva);
}

static void test_delete(struct test *t)
{
	static const struct race_words words = { "delete", "deletions", "deleted",
						  " in the re-created slot" };
	uint64_t *prev = calloc(t->npages, sizeof(*prev)), i, lost = 0, spurious = 0, changed = 0;
	unsigned long mmio0;
	pthread_t th;
	int r;

	TEST_ASSERT(prev, "calloc");
	dirty_pages(t);
	atomic_store(&mv.pause, 0);
	/* the guest's passes write 2000, 2001, ... */
	th = start_race(t, 1999, &mmio0);
	for (r = 0; r < MOVE_ROUNDS && !mv.error; r++) {
		if (!wait_passes(1))
			break;
		/* deleted while the vCPU writes: its faults race the deletion */
		set_test_slot(t, 0);
		usleep(2000);
		if (!park_vcpu())
			break;
		/* what the deleted slot's log knew went with it */
		for (i = 0; i < t->npages; i++)
			prev[i] = page_value(t, t->hva, i);
		set_test_slot(t, t->npages * t->page_size);
		atomic_store(&mv.pause, 0);
		if (!wait_passes(2) || !park_vcpu())
			break;
		harvest_check(t, prev, &changed, &lost, &spurious);
		atomic_store(&mv.pause, 0);
	}
	end_race(t, th, &words, mmio0, true, changed, lost, spurious);
	free(prev);
}

#define NAME "s2_security_test"
#define MAX_PAGES (1u << 20)
#define MAX_ROUNDS 1000

static void help(void)
{
	char names[128];

	printf("usage: %s [-S STRATEGY] [-n PAGES] [-r ROUNDS] [-h]\n"
	       " -S: stage-2 strategy of the VM (%s);\n"
	       "     default: whatever the kernel uses now\n"
	       " -n: pages in the dirty-logged memslot, 1-%u (default: 256)\n"
	       " -r: fork rounds, 1-%u (default: 3)\n"
	       "exit status: 0 every check passed, 1 one failed, 2 bad arguments,\n"
	       "4 skipped (the kernel cannot select the strategy)\n",
	       NAME, s2_strategy_list(names, sizeof(names), NULL), MAX_PAGES, MAX_ROUNDS);
}

void s2_security_parse_args(int argc, char **argv, struct s2_security_args *a)
{
	char buf[128];
	uint64_t v;
	int opt;

	*a = (struct s2_security_args){ .npages = 256, .rounds = 3 };
	opterr = 0;
	while ((opt = getopt(argc, argv, ":S:n:r:h")) != -1) {
		switch (opt) {
		case 'S':
			if (s2_strategy_index(optarg) < 0)
				s2_bad_arg(NAME, "-S: '%s' is not %s", optarg,
					   s2_strategy_list(buf, sizeof(buf), "or"));
			a->strategy = optarg;
			break;
		case 'n':
			if (s2_parse_uint(optarg, MAX_PAGES, &v) || !v)
				s2_bad_arg(NAME, "-n: '%s' is not a page count (1-%u)", optarg, MAX_PAGES);
			a->npages = v;
			break;
		case 'r':
			if (s2_parse_uint(optarg, MAX_ROUNDS, &v) || !v)
				s2_bad_arg(NAME, "-r: '%s' is not a number of rounds (1-%u)", optarg,
					   MAX_ROUNDS);
			a->rounds = v;
			break;
		case 'h':
			help();
			exit(0);
		default:
			s2_bad_option(NAME, opt, argv);
		}
	}
	if (optind < argc)
		s2_bad_arg(NAME, "unexpected argument '%s'", argv[optind]);
}

int main(int argc, char *argv[])
{
	struct s2_security_args args;
	const char *strategy;
	uint64_t npages, rounds;
	struct test t = {};
	char buf[128];
	int i;

	s2_security_parse_args(argc, argv, &args);
	strategy = args.strategy;
	npages = args.npages;
	rounds = args.rounds;

	if (strategy && s2_set_strategy(strategy, buf, sizeof(buf))) {
		printf("# SKIP: %s\n", buf);
		return S2_EXIT_SKIP;
	}

	t.vm = vm_create_with_one_vcpu(&t.vcpu, guest_code);
	t.npages = npages;
	t.page_size = t.vm->page_size;
	if (s2_vm_strategy(t.vm, buf, sizeof(buf)) == 0)
		printf("# VM strategy: %s\n", buf);
	if (strategy)
		check(s2_vm_strategy(t.vm, buf, sizeof(buf)) == 0 && !strcmp(buf, strategy),
		      "the VM was created with strategy %s", strategy);

	vm_userspace_mem_region_add(t.vm, VM_MEM_SRC_ANONYMOUS, TEST_GPA, TEST_SLOT,
				    npages, KVM_MEM_LOG_DIRTY_PAGES);
	virt_map(t.vm, TEST_GPA, TEST_GPA, npages);
	vm_userspace_mem_region_add(t.vm, VM_MEM_SRC_ANONYMOUS, RO_GPA, RO_SLOT,
				    1, KVM_MEM_READONLY);
	virt_map(t.vm, RO_GPA, RO_GPA, 1);
	t.hva = addr_gpa2hva(t.vm, TEST_GPA);
	t.ro_hva = addr_gpa2hva(t.vm, RO_GPA);
	t.bitmap = calloc((npages + 63) / 64, 8);
	TEST_ASSERT(t.bitmap, "calloc");

	guest_npages = npages;
	guest_page_size = t.page_size;
	sync_global_to_guest(t.vm, guest_npages);
	sync_global_to_guest(t.vm, guest_page_size);
	TEST_ASSERT(run_to_sync(&t), "guest did not start");

	/* First touch (translation faults), then a logged pass. */
	write_pass(&t, 1, "populate");
	write_pass(&t, 2, "dirty pass");
	for (i = 0; i < (int)rounds; i++)
		test_fork(&t, i);
	test_mprotect(&t);
	test_ksm(&t);
	test_readonly(&t);
	test_move(&t);
	test_delete(&t);

	set_cmd(&t, CMD_DONE, 0);
	vcpu_run(t.vcpu);
	check(get_ucall(t.vcpu, NULL) == UCALL_DONE, "guest finished");

	kvm_vm_free(t.vm);
	free(t.bitmap);
	printf("%d passed, %d failed\n", checks - failures, failures);
	return failures ? 1 : 0;
}
