// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl(2) through s2compat for a program that has no wrapper of its own:
 * the upstream performance tests relinked by guests/Makefile.
 */
#include <stdarg.h>

#include "s2compat.h"

int __wrap_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return s2compat_ioctl(fd, req, arg);
}
