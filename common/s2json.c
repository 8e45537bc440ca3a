// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include "s2json.h"

json_t *s2_jint(uint64_t v, const char *unit)
{
	return json_pack("{s:I, s:s}", "value", (json_int_t)v, "unit", unit);
}

json_t *s2_jreal(double v, const char *unit)
{
	return json_pack("{s:f, s:s}", "value", v, "unit", unit);
}

json_t *s2_junavail(const char *reason)
{
	return json_pack("{s:b, s:s}", "available", 0, "reason", reason);
}

/*
 * target/launch puts s2perf.clock=icount on the command line of a target
 * whose QEMU counts instructions: its CLOCK_MONOTONIC then advances 1 ns per
 * emulated instruction.  Anywhere else (a real host, a realtime target) the
 * clock is the machine's own.
 */
const char *s2_clock(void)
{
	static const char *clock;
	char line[4096];
	FILE *f;

	if (clock)
		return clock;
	clock = "realtime";
	f = fopen("/proc/cmdline", "r");
	if (!f)
		return clock;
	if (fgets(line, sizeof(line), f)) {
		for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n"))
			if (!strcmp(w, "s2perf.clock=icount"))
				clock = "icount";
	}
	fclose(f);
	return clock;
}

int s2_fault_timing(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/stage2_fault_timing", "r");
	int c;

	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	return c == 'Y' || c == '1';
}
