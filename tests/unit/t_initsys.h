/* SPDX-License-Identifier: MIT */
#pragma once
/* The fakes of hv's init's sys.h and its environment, for code of
 * guest/init built into a host program (test_initsess, fuzz_initsess):
 * nothing is logged and no terminal is taken. */
static char *fake_environ[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TERM=linux", NULL };
char *const *init_environ = fake_environ;

void init_log(const char *fmt, ...)
{
	(void)fmt;
}

int init_take_tty(const char *path, int rows, int cols)
{
	(void)path;
	(void)rows;
	(void)cols;
	return -1;
}
