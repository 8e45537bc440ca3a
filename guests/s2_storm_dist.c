// SPDX-License-Identifier: GPL-2.0
/*
 * s2_storm's disturbers (s2_storm.h): host threads that invalidate
 * (MADV_DONTNEED), age (page_idle), reclaim (memory.reclaim) and fork()
 * at random places and times while the vCPUs write and the host
 * harvests; each says why when this host cannot run it.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <mntent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "s2_storm.h"

static uint64_t dist_rand(struct dist *d)
{
	d->rng = storm_mix(d->rng);
	return d->rng;
}

static void dist_pause(struct dist *d, uint64_t scale)
{
	uint64_t us = opt.pause_us * scale;

	usleep(us / 2 + dist_rand(d) % (us + 1));
}

/* A random chunk of the test memory, aligned to the backing page. */
static uint64_t dist_chunk(struct dist *d)
{
	uint64_t hps = st.wl->host_page_size;
	uint64_t slots = (st.total * st.wl->page_size - opt.chunk) / hps + 1;

	return dist_rand(d) % slots * hps;
}

/* Why a disturber did not run (vsnprintf: a long path is cut, not refused). */
static void __attribute__((format(printf, 2, 3))) dist_why(struct dist *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	d->unavailable = d->why;
}

static void dist_error(struct dist *d, int err)
{
	if (!d->errors++)
		d->first_errno = err;
}

static void *dontneed_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, t;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		t = s2wl_now_ns();
		if (madvise(st.wl->hva + off, opt.chunk, MADV_DONTNEED)) {
			dist_error(d, errno);
		} else {
			s2wl_series_add(&d->t, s2wl_now_ns() - t);
			d->calls++;
			d->bytes += opt.chunk;
		}
		dist_pause(d, 1);
	}
	return NULL;
}

/* The PFNs of the base pages of [off, off + chunk), present ones only. */
static uint64_t age_pfns(struct dist *d, uint64_t off)
{
	return s2wl_idle_pfns(&d->idle, st.wl->hva + off, opt.chunk, d->pfns);
}

/*
 * Mark @pfns idle (clear_young through the MMU notifiers: the stage-2
 * access flags go) or count how many are no longer idle.
 */
static uint64_t age_bits(struct dist *d, const uint64_t *pfns, uint64_t n, bool mark)
{
	uint64_t idle = s2wl_idle_bits(&d->idle, pfns, n, mark);

	return mark ? 0 : n - idle;
}

static void *age_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, n, t;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		/* PFNs change under MADV_DONTNEED and CoW: look them up each time. */
		n = age_pfns(d, off);
		t = s2wl_now_ns();
		age_bits(d, d->pfns, n, true);
		s2wl_series_add(&d->t, s2wl_now_ns() - t);
		d->calls++;
		d->bytes += opt.chunk;
		d->a += n;
		dist_pause(d, 1);
		/* Read back: pages the guest touched since (an approximate count). */
		d->b += age_bits(d, d->pfns, n, false);
	}
	/* page_idle's and pagemap's failures are the aging's errors */
	d->errors = d->idle.errors;
	d->first_errno = d->idle.first_errno;
	return NULL;
}

static void *reclaim_thread(void *arg)
{
	struct dist *d = arg;
	char req[32];
	uint64_t t;
	int len;

	len = snprintf(req, sizeof(req), "%" PRIu64, opt.chunk);
	while (!st.dist_stop) {
		t = s2wl_now_ns();
		if (write(d->reclaim_fd, req, len) == len) {
			d->calls++;
		} else if (errno == EAGAIN) {
			/* Less than asked could be reclaimed: normal without swap. */
			d->calls++;
			d->a++;
		} else {
			dist_error(d, errno);
		}
		s2wl_series_add(&d->t, s2wl_now_ns() - t);
		d->bytes += opt.chunk;
		dist_pause(d, 1);
	}
	return NULL;
}

static void *fork_thread(void *arg)
{
	struct dist *d = arg;
	uint64_t off, t, i, hps = st.wl->host_page_size;
	int status;
	pid_t pid;

	while (!st.dist_stop) {
		off = dist_chunk(d);
		t = s2wl_now_ns();
		pid = fork();
		if (pid == 0) {
			/* Only memory and _exit(): this child of a threaded process. */
			for (i = 0; i < opt.chunk; i += hps) {
				volatile uint8_t *b = (volatile uint8_t *)st.wl->hva + off + i + 8;

				if (st.shared)
					(void)*b;
				else
					*b = *b + 1;
			}
			_exit(0);
		}
		if (pid < 0) {
			dist_error(d, errno);
		} else {
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			s2wl_series_add(&d->t, s2wl_now_ns() - t);
			d->calls++;
			d->bytes += opt.chunk;
			if (WIFSIGNALED(status))
				d->a++;
		}
		dist_pause(d, 50);
	}
	return NULL;
}

/* Where cgroup2 is mounted, mounting it if the kernel has it and nobody did. */
static bool find_cgroup2(struct dist *d, char *mnt, size_t len)
{
	struct mntent *m;
	char line[128];
	bool have = false;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	while (f && (m = getmntent(f)))
		if (!strcmp(m->mnt_type, "cgroup2") &&
		    snprintf(mnt, len, "%s", m->mnt_dir) < (int)len) {
			endmntent(f);
			return true;
		}
	if (f)
		endmntent(f);
	f = fopen("/proc/filesystems", "r");
	while (f && fgets(line, sizeof(line), f))
		have |= strstr(line, "\tcgroup2\n") != NULL;
	if (f)
		fclose(f);
	if (!have) {
		dist_why(d, "this kernel has no cgroup2 file system "
			 "(no CONFIG_CGROUPS/CONFIG_MEMCG), so no memory.reclaim");
		return false;
	}
	snprintf(d->mounted, sizeof(d->mounted), "/tmp/s2_storm-cgroup.XXXXXX");
	if (!mkdtemp(d->mounted)) {
		dist_why(d, "cgroup2 is not mounted and no directory to mount "
			 "it on: %s", strerror(errno));
		d->mounted[0] = 0;
		return false;
	}
	if (mount("cgroup2", d->mounted, "cgroup2", 0, NULL)) {
		dist_why(d, "cgroup2 is not mounted and mounting it failed: %s",
			 strerror(errno));
		rmdir(d->mounted);
		d->mounted[0] = 0;
		return false;
	}
	return snprintf(mnt, len, "%s", d->mounted) < (int)len;
}

static void reclaim_setup(struct dist *d)
{
	char mnt[256], line[512], *path = NULL;
	FILE *f;

	if (!find_cgroup2(d, mnt, sizeof(mnt)))
		return;
	f = fopen("/proc/self/cgroup", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			path = line + 3;
			break;
		}
	if (f)
		fclose(f);
	if (!path) {
		dist_why(d, "this process is in no cgroup2 group (/proc/self/cgroup)");
		return;
	}
	/*
	 * Our own group: reclaim then falls on this process (in the target, the
	 * root group, i.e. the whole machine, which is all ours).
	 */
	if (snprintf(d->cg_file, sizeof(d->cg_file), "%s%s/memory.reclaim", mnt,
		     strcmp(path, "/") ? path : "") >= (int)sizeof(d->cg_file))
		errno = ENAMETOOLONG;
	else
		d->reclaim_fd = open(d->cg_file, O_WRONLY);
	if (d->reclaim_fd < 0) {
		dist_why(d, "%s: %s (the memory controller is not enabled "
			 "for this group, or the kernel has no CONFIG_MEMCG)", d->cg_file, strerror(errno));
		return;
	}
	f = fopen("/proc/swaps", "r");
	while (f && fgets(line, sizeof(line), f))
		d->swap |= strncmp(line, "Filename", 8) != 0;
	if (f)
		fclose(f);
}

static void age_setup(struct dist *d)
{
	uint64_t n, i, any = 0, e, psz = getpagesize();

	if (s2wl_idle_open(&d->idle, d->why, sizeof(d->why))) {
		d->unavailable = d->why;
		return;
	}
	d->pfns = calloc(opt.chunk / psz, sizeof(uint64_t));
	TEST_ASSERT(d->pfns, "out of memory");
	/* After the first touch every page is present; without PFNs we are not root. */
	n = st.total * st.wl->page_size / psz;
	for (i = 0; i < n && !any; i += n / 16 + 1)
		any = s2wl_idle_pfns(&d->idle, st.wl->hva + i * psz, psz, &e);
	if (!any)
		dist_why(d, "/proc/self/pagemap shows no page frame numbers (needs CAP_SYS_ADMIN)");
}

static void *(*const dist_fn[NR_DIST])(void *) = {
	dontneed_thread, age_thread, reclaim_thread, fork_thread,
};

void dist_start(uint64_t seed)
{
	struct dist *d;
	int k;

	for (k = 0; k < NR_DIST; k++) {
		d = &st.d[k];
		d->kind = k;
		d->reclaim_fd = d->idle.fd = d->idle.pagemap = -1;
		/* One seed reproduces the vCPUs' order and every disturber's schedule. */
		d->rng = storm_mix(seed ^ (0xd157ull << 48) ^ k);
		if (opt.off[k]) {
			dist_why(d, "left out (-x %s)", dist_names[k]);
			continue;
		}
		if (k == D_AGE)
			age_setup(d);
		if (k == D_RECLAIM)
			reclaim_setup(d);
		if (d->unavailable)
			continue;
		TEST_ASSERT(!pthread_create(&d->thread, NULL, dist_fn[k], d),
			    "cannot start the %s thread", dist_names[k]);
		d->running = true;
	}
}

void dist_stop(void)
{
	struct dist *d;
	int k;

	st.dist_stop = true;
	for (k = 0; k < NR_DIST; k++) {
		d = &st.d[k];
		if (d->running)
			pthread_join(d->thread, NULL);
		d->running = false;
		if (d->mounted[0]) {
			if (d->reclaim_fd >= 0)
				close(d->reclaim_fd);
			d->reclaim_fd = -1;
			if (!umount(d->mounted))
				rmdir(d->mounted);
			d->mounted[0] = 0;
		}
	}
}

json_t *dist_json(const struct dist *d)
{
	json_t *o;

	if (d->unavailable)
		return s2_junavail(d->unavailable);
	o = json_pack("{s:o, s:o}", "calls", s2_jint(d->calls, "calls"),
		      "bytes", s2_jint(d->bytes, "bytes"));
	json_object_set_new(o, "time", d->t.n ? s2wl_j_series(d->t.v, d->t.n, "ns") :
			    s2_junavail("no call completed"));
	switch (d->kind) {
	case D_DONTNEED:
		json_object_set_new(o, "how", json_string("madvise(MADV_DONTNEED) of a random chunk"));
		break;
	case D_AGE:
		json_object_set_new(o, "how", json_string(
			"page_idle bits set on a random chunk's PFNs (clear_young), read back "
			"after a pause"));
		json_object_set_new(o, "pages_marked", s2_jint(d->a, "pages"));
		json_object_set_new(o, "pages_seen_accessed", s2_jint(d->b, "pages"));
		json_object_set_new(o, "pages_seen_accessed_is", json_string(
			"pages no longer idle when read back; approximate, as MADV_DONTNEED and "
			"CoW change PFNs meanwhile"));
		break;
	case D_RECLAIM:
		json_object_set_new(o, "how", json_string(d->cg_file));
		json_object_set_new(o, "short_calls", s2_jint(d->a, "calls"));
		json_object_set_new(o, "swap", json_boolean(d->swap));
		if (!d->swap)
			json_object_set_new(o, "note", json_string(
				"no swap: anonymous (guest) memory is not reclaimed, so reclaim "
				"only drops page cache and short calls are expected"));
		break;
	case D_FORK:
		json_object_set_new(o, "how", json_string(st.shared ?
			"fork(); the child reads a byte of each page of a random chunk (shared "
			"backing: a write would reach the guest) and exits" :
			"fork(); the child writes a byte of each page of a random chunk (its own "
			"CoW copies) and exits"));
		json_object_set_new(o, "children_signalled", s2_jint(d->a, "processes"));
		break;
	case NR_DIST:
		break;
	}
	json_object_set_new(o, "errors", s2_jint(d->errors, "calls"));
	if (d->errors)
		json_object_set_new(o, "first_error", json_string(strerror(d->first_errno)));
	return o;
}
