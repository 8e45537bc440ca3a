// SPDX-License-Identifier: GPL-2.0
/*
 * s2stats: read the KVM binary stats (KVM_GET_STATS_FD) of another
 * process's VM and vCPUs as they stand when that process has exited, for
 * tests/t-stats-target.sh to hold against perf's tracepoint counts of the
 * same run.
 *
 * The VM and vCPU fds are duplicated from the process with pidfd_getfd();
 * a stats fd holds a reference on its VM, so the figures can still be read
 * once the process is gone and every event of the run has been counted.
 * Output, one line per stat: "vm NAME V..." and "vcpuN NAME V..." (a
 * histogram prints all its buckets).
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/kvm.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#define MAX_VCPUS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: s2stats -p PID [-n VCPUS] [-t SECS] [-h]\n"
		"Wait until process PID has a KVM VM fd and VCPUS vCPU fds, take their\n"
		"binary stats fds, print \"ready\", and when PID has exited print every\n"
		"stat of the VM and of each vCPU.\n"
		"  -p PID    the VMM process                    (required)\n"
		"  -n VCPUS  vCPU fds to wait for               (default: 1)\n"
		"  -t SECS   give up waiting for them after     (default: 60)\n"
		"  -h        this help\n");
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* The fd numbers of PID's VM (vm) and vCPUs (vcpu[id]); returns vCPUs found. */
static int find_fds(int pid, int *vm, int *vcpu)
{
	char dir[64], path[320], link[128];
	struct dirent *de;
	int n = 0, id;
	DIR *d;
	ssize_t l;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
	d = opendir(dir);
	if (!d)
		return -1;
	*vm = -1;
	while ((de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		l = readlink(path, link, sizeof(link) - 1);
		if (l <= 0)
			continue;
		link[l] = 0;
		if (!strcmp(link, "anon_inode:kvm-vm"))
			*vm = atoi(de->d_name);
		else if (sscanf(link, "anon_inode:kvm-vcpu:%d", &id) == 1 &&
			 id >= 0 && id < MAX_VCPUS) {
			vcpu[id] = atoi(de->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

static int stats_fd(int pidfd, int fd)
{
	int mine = syscall(SYS_pidfd_getfd, pidfd, fd, 0), sfd;

	if (mine < 0)
		return -1;
	sfd = ioctl(mine, KVM_GET_STATS_FD, NULL);
	close(mine);
	return sfd;
}

static int dump(int sfd, const char *who)
{
	struct kvm_stats_header h;
	struct kvm_stats_desc *d;
	size_t dsz;
	char *descs;
	__u32 i, j;

	if (pread(sfd, &h, sizeof(h), 0) != sizeof(h))
		return -1;
	dsz = sizeof(*d) + h.name_size;
	descs = calloc(h.num_desc, dsz);
	if (!descs)
		return -1;
	if (pread(sfd, descs, h.num_desc * dsz, h.desc_offset) != (ssize_t)(h.num_desc * dsz)) {
		free(descs);
		return -1;
	}
	for (i = 0; i < h.num_desc; i++) {
		__u64 v[256];

		d = (struct kvm_stats_desc *)(descs + i * dsz);
		if (d->size > 256 ||
		    pread(sfd, v, d->size * sizeof(__u64), h.data_offset + d->offset) !=
		    (ssize_t)(d->size * sizeof(__u64))) {
			free(descs);
			return -1;
		}
		printf("%s %s", who, d->name);
		for (j = 0; j < d->size; j++)
			printf(" %llu", (unsigned long long)v[j]);
		printf("\n");
	}
	free(descs);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "vcpus", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int pid = 0, nvcpus = 1, secs = 60, c, i, pidfd, vm = -1, vcpu[MAX_VCPUS];
	int vm_sfd, vcpu_sfd[MAX_VCPUS];
	struct pollfd pfd;
	char who[16];

	while ((c = getopt_long(argc, argv, "p:n:t:h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_int(optarg, 1, 1 << 30, &pid))
				goto bad;
			break;
		case 'n':
			if (parse_int(optarg, 1, MAX_VCPUS, &nvcpus))
				goto bad;
			break;
		case 't':
			if (parse_int(optarg, 1, 3600, &secs))
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "s2stats: unknown option (see -h)\n");
			return 2;
		}
	}
	if (!pid || optind != argc) {
		fprintf(stderr, "s2stats: -p PID is required, and nothing else (see -h)\n");
		return 2;
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		fprintf(stderr, "s2stats: pidfd_open %d: %s\n", pid, strerror(errno));
		return 1;
	}
	for (i = 0; i < secs * 100; i++) {
		memset(vcpu, -1, sizeof(vcpu));
		if (find_fds(pid, &vm, vcpu) >= nvcpus && vm >= 0)
			break;
		usleep(10000);
	}
	if (i == secs * 100) {
		fprintf(stderr, "s2stats: %d has no VM with %d vCPUs after %d s\n", pid, nvcpus, secs);
		return 1;
	}
	vm_sfd = stats_fd(pidfd, vm);
	for (i = 0; i < nvcpus; i++)
		vcpu_sfd[i] = vcpu[i] < 0 ? -1 : stats_fd(pidfd, vcpu[i]);
	if (vm_sfd < 0) {
		fprintf(stderr, "s2stats: no stats fd for the VM: %s\n", strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	pfd.fd = pidfd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
		;
	if (dump(vm_sfd, "vm"))
		fprintf(stderr, "s2stats: cannot read the VM's stats\n");
	for (i = 0; i < nvcpus; i++) {
		snprintf(who, sizeof(who), "vcpu%d", i);
		if (vcpu_sfd[i] < 0 || dump(vcpu_sfd[i], who)) {
			fprintf(stderr, "s2stats: cannot read vCPU %d's stats\n", i);
			return 1;
		}
	}
	return 0;
bad:
	fprintf(stderr, "s2stats: bad value '%s' for -%c (see -h)\n", optarg, c);
	return 2;
}
