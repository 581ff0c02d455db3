/* SPDX-License-Identifier: MIT */
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[1024];

static void err_vformat(const char *fmt, va_list ap)
{
	vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vformat(fmt, ap);
	va_end(ap);
	return code;
}

int err_errno(int code, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	err_vformat(fmt, ap);
	va_end(ap);
	n = strlen(err_buf);
	snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(code < 0 ? -code : code));
	return code;
}

int err_prefix(int code, const char *fmt, ...)
{
	char old[sizeof(err_buf)];
	va_list ap;
	size_t n;

	memcpy(old, err_buf, sizeof(old));
	va_start(ap, fmt);
	err_vformat(fmt, ap);
	va_end(ap);
	n = strlen(err_buf);
	if (old[0] && n + 3 < sizeof(err_buf)) {
		/* the context comes first; what does not fit is cut */
		size_t room = sizeof(err_buf) - n - 3, len = strnlen(old, room);
		memcpy(err_buf + n, ": ", 2);
		memcpy(err_buf + n + 2, old, len);
		err_buf[n + 2 + len] = '\0';
	}
	return code;
}

const char *err_msg(void)
{
	if (!err_buf[0])
		return "unknown error";
	return err_buf;
}

void err_clear(void)
{
	err_buf[0] = '\0';
}
