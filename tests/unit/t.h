/* SPDX-License-Identifier: MIT */
#pragma once
/* A tiny test harness: each CHECK is one assertion, reported as a line;
 * main() ends with T_DONE(), which prints "N passed, N failed" and sets the
 * exit status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int t_pass, t_fail;

/* A unit test binary is never hv: should library code start it as hv's
 * monitor (/proc/self/exe __monitor), stop at once instead of running the
 * tests again, which would do the same, and so on. */
__attribute__((constructor)) static void t_not_hv(int argc, char **argv)
{
	if (argc > 1 && !strncmp(argv[1], "__", 2)) {
		fprintf(stderr, "a unit test was started as 'hv %s': set HV_EXE to build/hv\n", argv[1]);
		_exit(99);
	}
}

#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (cond) {                                                                                            \
			t_pass++;                                                                                      \
		} else {                                                                                               \
			t_fail++;                                                                                      \
			printf("FAIL %s:%d: ", __FILE__, __LINE__);                                                    \
			printf(__VA_ARGS__);                                                                           \
			printf("  [%s]\n", #cond);                                                                     \
		}                                                                                                      \
	} while (0)

#define CHECK_STR(got, want, what)                                                                                     \
	do {                                                                                                           \
		const char *g_ = (got), *w_ = (want);                                                                  \
		CHECK(g_ &&w_ && !strcmp(g_, w_), "%s: got '%s', want '%s'", what, g_ ? g_ : "(null)", w_);            \
	} while (0)

#define T_DONE()                                                                                                       \
	do {                                                                                                           \
		printf("%d passed, %d failed\n", t_pass, t_fail);                                                      \
		return t_fail ? 1 : 0;                                                                                 \
	} while (0)
