// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"
#include "s2common.h"

void s2_vbad_arg(const char *prog, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (see %s -h)\n", prog);
	exit(S2_EXIT_USAGE);
}

void s2_bad_arg(const char *prog, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	s2_vbad_arg(prog, fmt, ap);
}

void s2_bad_option(const char *prog, int opt, char **argv)
{
	if (opt == ':')
		s2_bad_arg(prog, "-%c needs a value", optopt);
	if (optopt)
		s2_bad_arg(prog, "unknown option -%c", optopt);
	s2_bad_arg(prog, "unknown option '%s'", argv[optind - 1]);
}

int s2_param_set(const char *param, const char *value, char *why, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), S2_PARAMS "%s", param);
	fd = open(path, O_WRONLY);
	if (fd < 0) {
		snprintf(why, len, "%s: %s (kernel without the s2perf patches?)",
			 path, strerror(errno));
		return -1;
	}
	n = write(fd, value, strlen(value));
	if (n < 0) {
		snprintf(why, len, "kvm.%s=%s refused by the kernel: %s",
			 param, value, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

void s2_param_get(const char *param, char *buf, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), S2_PARAMS "%s", param);
	f = fopen(path, "r");
	buf[0] = 0;
	if (!f)
		return;
	if (!fgets(buf, len, f))
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	fclose(f);
}

int s2_set_strategy(const char *name, char *why, size_t len)
{
	return s2_param_set("stage2_strategy", name, why, len);
}

void s2_get_strategy(char *buf, size_t len)
{
	s2_param_get("stage2_strategy", buf, len);
}

int s2_vm_strategy(struct kvm_vm *vm, char *buf, size_t len)
{
	return s2_vm_debugfs(vm, "stage2_strategy", buf, len);
}

int s2_vm_debugfs(struct kvm_vm *vm, const char *file, char *buf, size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s",
		 getpid(), vm->fd, file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}
