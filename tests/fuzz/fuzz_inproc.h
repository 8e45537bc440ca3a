/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For harnesses that include a tool's source whole and call its renamed
 * main(): exit() (which a rejected command line ends with) returns to the
 * harness, and, with FUZZ_WRAP_LIBBPF, so does libbpf_set_print(), the
 * collector's and s2top's first call once their options are parsed
 * (status -1: accepted). Link with -Wl,--wrap=exit (and
 * -Wl,--wrap=libbpf_set_print). Call the tool between setjmp(fuzz_back)
 * and fuzz_in_call = true; fuzz_exit_status says how it ended.
 */
#ifndef FUZZ_INPROC_H
#define FUZZ_INPROC_H

#include <setjmp.h>
#include <stdbool.h>

void __real_exit(int status) __attribute__((noreturn));

static jmp_buf fuzz_back;
static bool fuzz_in_call;
static int fuzz_exit_status;

/* exit() of the code under test returns to the harness; libFuzzer's is real. */
void __wrap_exit(int status)
{
	if (fuzz_in_call) {
		fuzz_exit_status = status;
		fuzz_in_call = false;
		longjmp(fuzz_back, 1);
	}
	__real_exit(status);
}

#ifdef FUZZ_WRAP_LIBBPF
libbpf_print_fn_t __real_libbpf_set_print(libbpf_print_fn_t fn);

/* The first thing the tool's main() does once the options are parsed. */
libbpf_print_fn_t __wrap_libbpf_set_print(libbpf_print_fn_t fn)
{
	if (fuzz_in_call) {
		fuzz_exit_status = -1;	/* accepted */
		fuzz_in_call = false;
		longjmp(fuzz_back, 1);
	}
	return __real_libbpf_set_print(fn);
}
#endif

#endif /* FUZZ_INPROC_H */
