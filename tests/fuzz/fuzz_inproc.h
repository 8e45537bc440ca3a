/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For harnesses that include a tool's source whole and call its renamed
 * main(): exit() (which a rejected command line ends with) returns to the
 * harness, and, with FUZZ_WRAP_LIBBPF, so does libbpf_set_print(), the
 * collector's and s2top's first call once their options are parsed
 * (status -1: accepted). Link with -Wl,--wrap=exit (and
 * -Wl,--wrap=libbpf_set_print). Call the tool between setjmp(fuzz_back)
 * and fuzz_in_call = true; fuzz_exit_status says how it ended. With
 * FUZZ_WRAP_LIBBPF, fuzz_until_libbpf() and fuzz_args_input() are the
 * whole of such a harness but its check of what the tool accepted.
 * Include it after fuzz_common.h.
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

/*
 * @main_fn (the tool's renamed main()) on a command line: the status it
 * exits with, or 0 when it gets as far as libbpf_set_print() and then
 * @accepted (the harness's check of the options it accepted) returns.
 */
static int fuzz_until_libbpf(const char *name, int (*main_fn)(int, char **),
			     void (*accepted)(void), int argc, char **argv)
{
	if (setjmp(fuzz_back)) {
		if (fuzz_exit_status != -1)
			return fuzz_exit_status;
		accepted();
		return 0;
	}
	fuzz_in_call = true;
	main_fn(argc, argv);
	fuzz_in_call = false;
	fuzz_die("%s's main() returned before libbpf_set_print()\n", name);
}

#define FUZZ_MAX_ARGS 32

/*
 * One input: the arguments after @name, one a line, through @call (which
 * fuzz_call() runs with stderr captured); a rejected command line must be
 * status 2 and one line, an accepted one status 0.
 */
static int fuzz_args_input(const char *name, int (*call)(int, char **), const uint8_t *data,
			   size_t size)
{
	char *argv[FUZZ_MAX_ARGS + 2] = { (char *)name }, *words;
	const char *err;
	int argc, rc;

	fuzz_setup(name);
	fuzz_clean();
	argc = fuzz_words(data, size, argv, 1, FUZZ_MAX_ARGS + 1, &words);
	rc = fuzz_call(call, argc, argv, &err);
	fuzz_check_status(name, rc, err, 0);
	free(words);
	return 0;
}
#endif

#endif /* FUZZ_INPROC_H */
