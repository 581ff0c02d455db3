/* SPDX-License-Identifier: MIT */
#pragma once
/* Helpers for unit tests that check their output with other programs
 * (isoinfo, xorriso, ssh-keygen, python3): run a shell command made from
 * test-made paths only, and compare a file with bytes. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/fs.h"

/* The standard output of a shell command, NUL-terminated; NULL when it
 * exits non-zero. */
static char *t_run(const char *fmt, ...) __attribute__((format(printf, 1, 2), unused));
static char *t_run(const char *fmt, ...)
{
	char *cmd, *buf = NULL;
	size_t cap = 0, len = 0, r;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	if (vasprintf(&cmd, fmt, ap) < 0)
		abort();
	va_end(ap);
	fflush(stdout);
	p = popen(cmd, "r");
	free(cmd);
	if (!p)
		return NULL;
	do {
		if (cap - len < 4096 && !(buf = realloc(buf, cap += 65536)))
			abort();
		r = fread(buf + len, 1, cap - len - 1, p);
		len += r;
	} while (r > 0);
	buf[len] = 0;
	if (pclose(p) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool t_file_is(const char *path, const void *data, size_t len) __attribute__((unused));
static bool t_file_is(const char *path, const void *data, size_t len)
{
	_cleanup_free_ char *got = NULL;
	size_t n;

	if (fs_read_all(AT_FDCWD, path, 1 << 24, &got, &n) < 0)
		return false;
	return n == len && (len == 0 || !memcmp(got, data, len));
}

/* Write len bytes to path (created 0600); false on failure. */
static bool t_write(const char *path, const void *data, size_t len) __attribute__((unused));
static bool t_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	bool ok = f && fwrite(data, 1, len, f) == len;

	if (f && fclose(f) != 0)
		ok = false;
	return ok;
}
