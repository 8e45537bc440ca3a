// SPDX-License-Identifier: GPL-2.0
/*
 * The part of every s2perf workload that is not the workload: options, the
 * VM and its vCPU threads, the guest loop, timing and the JSON document.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "s2common.h"
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

static uint64_t s2wl_t0_ns(const struct s2wl *wl)
{
	return (uint64_t)wl->t0.tv_sec * 1000000000ull + wl->t0.tv_nsec;
}

/*
 * Every KVM_RUN the process makes, the framework's too (on x86 get_ucall()
 * re-enters with immediate_exit to complete port I/O, which returns
 * -EINTR): the Makefile links with --wrap=ioctl so that these counts are
 * the ones a tracer sees at the syscall boundary.
 */
static uint64_t s2wl_kvm_run_calls, s2wl_kvm_run_eintr;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	r = __real_ioctl(fd, req, arg);
	if (req == KVM_RUN) {
		int err = errno;

		__atomic_fetch_add(&s2wl_kvm_run_calls, 1, __ATOMIC_RELAXED);
		if (r < 0 && err == EINTR)
			__atomic_fetch_add(&s2wl_kvm_run_eintr, 1, __ATOMIC_RELAXED);
		errno = err;
	}
	return r;
}

/* ---- JSON ---- */

json_t *s2wl_j_int(uint64_t v, const char *unit)
{
	return json_pack("{s:I, s:s}", "value", (json_int_t)v, "unit", unit);
}

json_t *s2wl_j_real(double v, const char *unit)
{
	return json_pack("{s:f, s:s}", "value", v, "unit", unit);
}

json_t *s2wl_j_unavailable(const char *reason)
{
	return json_pack("{s:b, s:s}", "available", 0, "reason", reason);
}

void s2wl_series_stats(const uint64_t *v, size_t n, double *mean, double *sd,
		       uint64_t *min, uint64_t *max)
{
	double sum = 0, sq = 0;
	size_t i;

	*min = n ? v[0] : 0;
	*max = n ? v[0] : 0;
	for (i = 0; i < n; i++) {
		sum += v[i];
		if (v[i] < *min)
			*min = v[i];
		if (v[i] > *max)
			*max = v[i];
	}
	*mean = n ? sum / n : 0;
	for (i = 0; i < n; i++)
		sq += (v[i] - *mean) * (v[i] - *mean);
	/* Sample standard deviation: these are a few repetitions, not a population. */
	*sd = n > 1 ? sqrt(sq / (n - 1)) : 0;
}

/* Up to this many values are kept; beyond, only the statistics. */
#define S2WL_SERIES_MAX_VALUES 4096

json_t *s2wl_j_series(const uint64_t *v, size_t n, const char *unit)
{
	uint64_t min, max;
	double mean, sd;
	json_t *o, *vals;
	size_t i;

	s2wl_series_stats(v, n, &mean, &sd, &min, &max);
	o = json_pack("{s:s, s:I, s:f, s:f, s:I, s:I}", "unit", unit,
		      "n", (json_int_t)n, "mean", mean, "stddev", sd,
		      "min", (json_int_t)min, "max", (json_int_t)max);
	if (n <= S2WL_SERIES_MAX_VALUES) {
		vals = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(vals, json_integer(v[i]));
		json_object_set_new(o, "values", vals);
	}
	return o;
}

uint64_t s2wl_phase(struct s2wl *wl, const char *name, uint64_t start)
{
	uint64_t end = s2wl_now_ns();

	json_array_append_new(wl->phases,
		json_pack("{s:s, s:o, s:o}", "name", name,
			  "start", s2wl_j_int(start - s2wl_t0_ns(wl), "ns"),
			  "duration", s2wl_j_int(end - start, "ns")));
	return end - start;
}

FILE *s2wl_out(const struct s2wl *wl)
{
	return wl->p.output ? stdout : stderr;
}

void s2wl_print_series(const struct s2wl *wl, const char *label, const uint64_t *v,
		       size_t n, double scale, const char *unit, const char *note)
{
	uint64_t min, max;
	double mean, sd;
	int prec = scale == 1 ? 0 : 1;

	s2wl_series_stats(v, n, &mean, &sd, &min, &max);
	fprintf(s2wl_out(wl), "  %-16s %10.*f %-7s mean, min %.*f, max %.*f, sd %.*f (n=%zu%s%s)\n",
		label, prec, mean / scale, unit, prec, min / scale, prec, max / scale,
		prec, sd / scale, n, note ? ", " : "", note ? note : "");
}

void s2wl_progress(const struct s2wl *wl, const char *fmt, ...)
{
	va_list ap;

	if (wl->p.quiet)
		return;
	fprintf(stderr, "%s: ", wl->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * The framework's constructor prints its guest random seed on stdout, where
 * it would spoil the JSON document; s2perf workloads do not use that seed.
 * Ours runs first and parks stdout on /dev/null until main() starts.
 */
static int s2wl_saved_stdout = -1;

static void __attribute__((constructor(101))) s2wl_early(void)
{
	int null = open("/dev/null", O_WRONLY);

	/*
	 * The framework loads the guest code from the file named by
	 * program_invocation_name, which is not a path when started from PATH.
	 */
	program_invocation_name = "/proc/self/exe";

	if (null < 0)
		return;
	s2wl_saved_stdout = dup(STDOUT_FILENO);
	dup2(null, STDOUT_FILENO);
	close(null);
}

static void s2wl_restore_stdout(void)
{
	if (s2wl_saved_stdout < 0)
		return;
	fflush(stdout);
	dup2(s2wl_saved_stdout, STDOUT_FILENO);
	close(s2wl_saved_stdout);
	s2wl_saved_stdout = -1;
}

/* ---- options ---- */

int s2wl_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	uint64_t shift = 0;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v == 0 || v > (UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

int s2wl_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

void s2wl_bad_arg(const struct s2wl *wl, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", wl->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see %s -h)\n", wl->name);
	exit(S2WL_EXIT_USAGE);
}

static const char *backing_name(enum vm_mem_backing_src_type t)
{
	return vm_mem_backing_src_alias(t)->name;
}

void s2wl_usage_common(const struct s2wl *wl)
{
	const struct s2wl_params *p = &wl->p;
	char size[32];

	if (p->bytes_per_vcpu % (1ull << 20) == 0)
		snprintf(size, sizeof(size), "%" PRIu64 "M", p->bytes_per_vcpu >> 20);
	else
		snprintf(size, sizeof(size), "%" PRIu64, p->bytes_per_vcpu);
	printf("common options:\n"
	       "  -v, --vcpus N        vCPUs, each with its own share of memory (default %d)\n"
	       "  -b, --bytes SIZE     guest memory per vCPU, e.g. 512M, 2G (default %s)\n"
	       "  -s, --backing TYPE   backing memory: anonymous, anonymous_thp,\n"
	       "                       anonymous_hugetlb, shmem, shared_hugetlb, or a sized\n"
	       "                       anonymous_hugetlb_2mb ... (default %s)\n"
	       "  -i, --iterations N   %s (default %d)\n"
	       "  -w, --write PCT      share of page accesses that write, 0-100 (default %d)\n"
	       "  -A, --access MODE    sequential or random page order (default %s)\n"
	       "  -r, --seed N         seed for random choices (default %" PRIu64 ", fixed)\n"
	       "  -c, --cpus LIST      pin vCPU i to the i-th CPU of LIST, e.g. 0,1 (default: no pinning)\n"
	       "  -S, --strategy NAME  stage-2 locking strategy for this VM: exclusive, rwlock,\n"
	       "                       rcu, fastpath (needs the s2perf kernel; default: the\n"
	       "                       kernel's current kvm.stage2_strategy)\n"
	       "  -o, --output FILE    write the JSON document to FILE and the summary to\n"
	       "                       stdout (default: JSON on stdout, summary on stderr)\n"
	       "  -q, --quiet          no progress lines\n"
	       "  -h, --help           this help\n"
	       "exit status: 0 ok, 1 the run failed a check, 2 bad arguments, 4 skipped\n"
	       "(this host cannot run it; the reason is printed and in the JSON)\n",
	       p->vcpus, size, backing_name(p->backing),
	       !strcmp(wl->name, "s2_populate") ? "VMs created and populated, one after another" :
	       !strcmp(wl->name, "s2_unmap") ? "passes each vCPU makes while the host invalidates" :
	       "passes over the memory after the first touch",
	       p->iterations, p->write_pct,
	       p->access == S2WL_RANDOM ? "random" : "sequential", p->seed);
}

void s2wl_init(struct s2wl *wl, const char *name, int argc, char **argv,
	       const char *extra_opts, s2wl_opt_fn extra, void (*extra_help)(void))
{
	static const struct option longopts[] = {
		{ "vcpus", required_argument, NULL, 'v' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "backing", required_argument, NULL, 's' },
		{ "iterations", required_argument, NULL, 'i' },
		{ "write", required_argument, NULL, 'w' },
		{ "access", required_argument, NULL, 'A' },
		{ "seed", required_argument, NULL, 'r' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "strategy", required_argument, NULL, 'S' },
		{ "output", required_argument, NULL, 'o' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	char optstr[128];
	uint64_t v;
	int opt, t;

	s2wl_restore_stdout();
	wl->name = name;
	clock_gettime(CLOCK_MONOTONIC, &wl->t0);
	snprintf(optstr, sizeof(optstr), ":v:b:s:i:w:A:r:c:S:o:qh%s", extra_opts ? extra_opts : "");
	opterr = 0;
	while ((opt = getopt_long(argc, argv, optstr, longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			if (s2wl_parse_uint(optarg, S2WL_MAX_VCPUS, &v) || !v)
				s2wl_bad_arg(wl, "-v: '%s' is not a vCPU count (1-%d)", optarg, S2WL_MAX_VCPUS);
			wl->p.vcpus = v;
			break;
		case 'b':
			if (s2wl_parse_size(optarg, &wl->p.bytes_per_vcpu))
				s2wl_bad_arg(wl, "-b: '%s' is not a size (e.g. 64M, 2G)", optarg);
			break;
		case 's':
			for (t = 0; t < NUM_SRC_TYPES; t++)
				if (!strcmp(optarg, backing_name(t)))
					break;
			if (t == NUM_SRC_TYPES)
				s2wl_bad_arg(wl, "-s: unknown backing '%s'", optarg);
			wl->p.backing = t;
			break;
		case 'i':
			if (s2wl_parse_uint(optarg, 1000000, &v) || !v)
				s2wl_bad_arg(wl, "-i: '%s' is not a positive count", optarg);
			wl->p.iterations = v;
			break;
		case 'w':
			if (s2wl_parse_uint(optarg, 100, &v))
				s2wl_bad_arg(wl, "-w: '%s' is not a percentage (0-100)", optarg);
			wl->p.write_pct = v;
			break;
		case 'A':
			if (!strcmp(optarg, "sequential") || !strcmp(optarg, "seq"))
				wl->p.access = S2WL_SEQUENTIAL;
			else if (!strcmp(optarg, "random"))
				wl->p.access = S2WL_RANDOM;
			else
				s2wl_bad_arg(wl, "-A: '%s' is not sequential or random", optarg);
			break;
		case 'r':
			if (s2wl_parse_uint(optarg, UINT64_MAX, &wl->p.seed))
				s2wl_bad_arg(wl, "-r: '%s' is not a number", optarg);
			break;
		case 'c':
			wl->p.pin = optarg;
			break;
		case 'S':
			if (strcmp(optarg, "exclusive") && strcmp(optarg, "rwlock") &&
			    strcmp(optarg, "rcu") && strcmp(optarg, "fastpath"))
				s2wl_bad_arg(wl, "-S: '%s' is not exclusive, rwlock, rcu or fastpath", optarg);
			wl->p.strategy = optarg;
			break;
		case 'o':
			wl->p.output = optarg;
			break;
		case 'q':
			wl->p.quiet = true;
			break;
		case 'h':
			printf("usage: %s [options]\n\n", name);
			if (extra_help)
				extra_help();
			s2wl_usage_common(wl);
			exit(0);
		case ':':
			s2wl_bad_arg(wl, "-%c needs a value", optopt);
		case '?':
			if (optopt)
				s2wl_bad_arg(wl, "unknown option -%c", optopt);
			s2wl_bad_arg(wl, "unknown option '%s'", argv[optind - 1]);
		default:
			if (!extra || extra(wl, opt, optarg))
				s2wl_bad_arg(wl, "unknown option -%c", opt);
		}
	}
	if (optind < argc)
		s2wl_bad_arg(wl, "unexpected argument '%s'", argv[optind]);

	wl->doc = json_object();
	wl->phases = json_array();
	pthread_mutex_init(&wl->lock, NULL);
	pthread_cond_init(&wl->cond, NULL);
}

/* ---- skip / finish ---- */

/* The head of the document goes first, then what the workload recorded. */
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

/*
 * Adds stats fd sfd's s2_* stats to wl->kstats[scope], read with the
 * selftests framework's binary-stats helpers (which assert on a short
 * read: a stats fd KVM just gave us does not fail to read).
 */
static void s2wl_read_kstats(struct s2wl *wl, int sfd, const char *scope)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *descs, *d;
	uint64_t v[64];
	uint32_t i;

	read_stats_header(sfd, &h);
	descs = read_stats_descriptors(sfd, &h);
	for (i = 0; i < h.num_desc; i++) {
		d = get_stats_descriptor(descs, i, &h);
		if (strncmp(d->name, "s2_", 3) || d->size > 64)
			continue;
		read_stat_data(sfd, &h, d, v, d->size);
		s2wl_kstat_add(json_object_get(wl->kstats, scope), d, v);
		wl->kstats_found++;
	}
	free(descs);
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
		close(sfd[i]);
	}
}

/*
 * A log2 histogram as the other documents give one: {unit, count, sum,
 * buckets: [{le, count}]}. KVM's bucket i holds the values v with
 * fls64(v) == i, that is [2^(i-1), 2^i - 1] (bucket 0: v = 0), the last
 * one everything above. sum is the matching "<name>_time_ns" stat
 * (s2_fault_hist: s2_fault_time_ns); without one it is absent.
 */
static void s2wl_kstats_hists(json_t *scope)
{
	const char *name;
	json_t *o, *c, *b, *t;
	char tname[96];
	json_int_t n = 0, v;
	size_t i, len;

	json_object_foreach(scope, name, o) {
		c = json_object_get(o, "counts");
		if (!c || json_object_get(o, "count"))
			continue;
		b = json_array();
		n = 0;
		for (i = 0; i < json_array_size(c); i++) {
			v = json_integer_value(json_array_get(c, i));
			n += v;
			json_array_append_new(b, i + 1 == json_array_size(c) ?
				json_pack("{s:s, s:I}", "le", "+Inf", "count", v) :
				json_pack("{s:I, s:I}", "le", (json_int_t)((1ull << i) - 1), "count", v));
		}
		json_object_set_new(o, "count", json_integer(n));
		len = strlen(name);
		if (len > 5 && !strcmp(name + len - 5, "_hist")) {
			snprintf(tname, sizeof(tname), "%.*s_time_ns", (int)(len - 5), name);
			t = json_object_get(scope, tname);
			if (t && json_object_get(t, "value"))
				json_object_set(o, "sum", json_object_get(t, "value"));
		}
		json_object_set_new(o, "buckets", b);
		json_object_del(o, "counts");
	}
}

static json_t *s2wl_j_kstats(struct s2wl *wl)
{
	if (wl->kstats_why)
		return s2wl_j_unavailable(wl->kstats_why);
	if (!wl->kstats)
		return s2wl_j_unavailable("no VM was created");
	if (!wl->kstats_found)
		return s2wl_j_unavailable("the kernel has no stage-2 binary stats (no s2_* in KVM_GET_STATS_FD)");
	s2wl_kstats_hists(json_object_get(wl->kstats, "vcpu"));
	s2wl_kstats_hists(json_object_get(wl->kstats, "vm"));
	json_object_set_new(wl->kstats, "source", json_string("KVM_GET_STATS_FD"));
	return json_incref(wl->kstats);
}

static json_t *s2wl_doc_head(struct s2wl *wl, int status, const char *why)
{
	const struct s2wl_params *p = &wl->p;
	json_t *o, *doc = json_object();
	struct utsname u;

	uname(&u);
	if (!wl->pages_per_vcpu)
		wl->pages_per_vcpu = p->bytes_per_vcpu / vm_guest_mode_params[VM_MODE_DEFAULT].page_size;
	json_object_set_new(doc, "schema", json_string(S2WL_SCHEMA));
	json_object_set_new(doc, "workload", json_string(wl->name + 3));
	json_object_set_new(doc, "status",
		json_string(status == S2WL_EXIT_OK ? "ok" :
			    status == S2WL_EXIT_SKIP ? "skipped" : "failed"));
	json_object_set_new(doc, "reason", why ? json_string(why) : json_null());
	json_object_set_new(doc, "system",
		json_pack("{s:s, s:s, s:s, s:i, s:i}", "arch", u.machine,
			  "kernel", u.release, "hostname", u.nodename,
			  "pid", (int)getpid(), "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN)));
	o = json_pack("{s:i, s:o, s:o, s:s, s:i, s:s, s:I, s:i}",
		      "vcpus", p->vcpus,
		      "bytes_per_vcpu", s2wl_j_int(p->bytes_per_vcpu, "bytes"),
		      "pages_per_vcpu", s2wl_j_int(wl->pages_per_vcpu, "pages"),
		      "backing", backing_name(p->backing),
		      "iterations", p->iterations,
		      "access", p->access == S2WL_RANDOM ? "random" : "sequential",
		      "seed", (json_int_t)p->seed, "write_percent", p->write_pct);
	if (wl->page_size)
		json_object_set_new(o, "guest_page_size", s2wl_j_int(wl->page_size, "bytes"));
	if (wl->host_page_size)
		json_object_set_new(o, "backing_page_size", s2wl_j_int(wl->host_page_size, "bytes"));
	json_object_set_new(o, "pin", p->pin ? json_string(p->pin) : json_null());
	json_object_set_new(o, "guest_mode", json_string(vm_guest_mode_string(VM_MODE_DEFAULT)));
	json_object_set_new(doc, "params", o);
	if (!json_object_get(wl->doc, "strategy"))
		json_object_set_new(doc, "strategy",
			json_pack("{s:o, s:o}", "requested",
				  p->strategy ? json_string(p->strategy) : json_null(),
				  "in_force", s2wl_j_unavailable("no VM was created")));
	json_object_update(doc, wl->doc);
	json_decref(wl->doc);
	wl->doc = doc;
	return doc;
}

int s2wl_finish(struct s2wl *wl, int status, const char *why)
{
	FILE *f = stdout;
	uint64_t vfull = wl->old_ring_full_exits;
	int i;

	for (i = 0; wl->vcpus && i < wl->p.vcpus; i++)
		vfull += wl->vcpus[i].ring_full_exits;
	json_object_set_new(wl->doc, "exits",
		json_pack("{s:o, s:o, s:o}",
			  "kvm_run_returns", s2wl_j_int(s2wl_kvm_run_calls, "exits"),
			  "kvm_run_eintr", s2wl_j_int(s2wl_kvm_run_eintr, "exits"),
			  "dirty_ring_full", s2wl_j_int(vfull, "exits")));
	json_object_set_new(wl->doc, "kvm_stats", s2wl_j_kstats(wl));
	s2wl_doc_head(wl, status, why);
	json_object_set_new(wl->doc, "phases", wl->phases);
	json_object_set_new(wl->doc, "wall_time", s2wl_j_int(s2wl_now_ns() - s2wl_t0_ns(wl), "ns"));

	if (wl->p.output) {
		f = fopen(wl->p.output, "w");
		if (!f) {
			fprintf(stderr, "%s: cannot write %s: %s\n", wl->name,
				wl->p.output, strerror(errno));
			return S2WL_EXIT_FAIL;
		}
	}
	if (json_dumpf(wl->doc, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER) || fputc('\n', f) == EOF ||
	    (wl->p.output && fclose(f))) {
		fprintf(stderr, "%s: cannot write the JSON document: %s\n", wl->name, strerror(errno));
		return S2WL_EXIT_FAIL;
	}
	if (why)
		fprintf(s2wl_out(wl), "%s: %s: %s\n", wl->name,
			status == S2WL_EXIT_SKIP ? "skipped" : "FAILED", why);
	return status;
}

void s2wl_skip(struct s2wl *wl, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	exit(s2wl_finish(wl, S2WL_EXIT_SKIP, why));
}

/* ---- the VM ---- */

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
				  backing_name(t), sz >> 10, path);
		fclose(f);
		if (free_pages * sz < bytes)
			s2wl_skip(wl, "%s: %" PRIu64 " free %" PRIu64 " kB huge pages, %" PRIu64
				  " needed (echo N > /sys/kernel/mm/hugepages/hugepages-%" PRIu64
				  "kB/nr_hugepages)", backing_name(t), free_pages, sz >> 10,
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
		if (s2wl_parse_uint(tok, ncpu - 1, &v) || n == max)
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
	char why[256], old[32] = "";
	int cpus[S2WL_MAX_VCPUS], ncpus = 0, i;
	FILE *f;

	wl->host_page_size = get_backing_src_pagesz(p->backing);
	wl->page_size = vm_guest_mode_params[VM_MODE_DEFAULT].page_size;
	if (p->bytes_per_vcpu % wl->page_size)
		s2wl_bad_arg(wl, "-b: %" PRIu64 " bytes is not a multiple of the guest page size %" PRIu64,
			     p->bytes_per_vcpu, wl->page_size);
	if (p->bytes_per_vcpu % wl->host_page_size)
		s2wl_bad_arg(wl, "-b: %" PRIu64 " bytes is not a multiple of the %s page size %" PRIu64,
			     p->bytes_per_vcpu, backing_name(p->backing), wl->host_page_size);
	wl->pages_per_vcpu = p->bytes_per_vcpu / wl->page_size;
	if (wl->pages_per_vcpu > S2WL_MAX_PAGES_PER_VCPU)
		s2wl_bad_arg(wl, "-b: too large");
	total_pages = wl->pages_per_vcpu * p->vcpus;
	s2wl_check_backing(wl, p->bytes_per_vcpu * p->vcpus);
	if (p->pin)
		ncpus = s2wl_parse_cpus(wl, cpus, S2WL_MAX_VCPUS);

	/* The parameter is global: set it for this VM only, then restore it. */
	if (p->strategy) {
		f = fopen(S2_PARAM_STRATEGY, "r");
		if (f) {
			if (!fgets(old, sizeof(old), f))
				old[0] = 0;
			old[strcspn(old, "\n")] = 0;
			fclose(f);
		}
		if (s2_set_strategy(p->strategy, why, sizeof(why)))
			s2wl_skip(wl, "cannot select stage-2 strategy '%s': %s", p->strategy, why);
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
	wl->vm = __vm_create(VM_SHAPE_DEFAULT, p->vcpus, total_pages);
	if (old[0] && s2_set_strategy(old, why, sizeof(why)))
		fprintf(stderr, "%s: warning: could not restore kvm.stage2_strategy=%s: %s\n",
			wl->name, old, why);
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
				  "in_force", s2wl_j_unavailable(
				  "the kernel does not report a per-VM stage-2 strategy "
				  "(no s2perf patches, or no debugfs)")));
	}
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
