/* SPDX-License-Identifier: MIT */
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[1024];
static _Thread_local int err_last;
static _Thread_local char err_fallback[128];
static _Thread_local char warn_buf[ERR_MAX_WARNINGS][512];
static _Thread_local unsigned warn_first, warn_count;

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
	err_last = code;
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
	err_last = code;
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
	} else if (!old[0]) {
		/* nothing was recorded below: say what the code means */
		if (n + 3 < sizeof(err_buf) && code < 0)
			snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(-code));
	}
	err_last = code;
	return code;
}

const char *err_msg(void)
{
	if (!err_buf[0])
		return "unknown error";
	return err_buf;
}

int err_code(void)
{
	return err_buf[0] ? err_last : 0;
}

void err_clear(void)
{
	err_buf[0] = '\0';
	err_last = 0;
}

const char *err_msg_for(int code)
{
	/* -1: a caller that only says "failed" (the reason is what was recorded) */
	if (err_buf[0] && (code >= -1 || err_last == code))
		return err_buf;
	if (code < 0) {
		snprintf(err_fallback, sizeof(err_fallback), "%s", strerror(-code));
		return err_fallback;
	}
	return err_msg();
}

void err_save(struct err_saved *s)
{
	s->code = err_last;
	memcpy(s->msg, err_buf, sizeof(s->msg));
}

int err_restore(const struct err_saved *s)
{
	memcpy(err_buf, s->msg, sizeof(err_buf));
	err_last = s->code;
	return s->code;
}

void err_warn(const char *fmt, ...)
{
	char line[sizeof(warn_buf[0])];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* a loop that meets the same damage again says it once */
	if (warn_count == ERR_MAX_WARNINGS ||
	    (warn_count && !strcmp(warn_buf[(warn_first + warn_count - 1) % ERR_MAX_WARNINGS], line)))
		return;
	memcpy(warn_buf[(warn_first + warn_count) % ERR_MAX_WARNINGS], line, sizeof(line));
	warn_count++;
}

bool err_warning_take(char *buf, size_t n)
{
	if (!warn_count)
		return false;
	snprintf(buf, n, "%s", warn_buf[warn_first]);
	warn_first = (warn_first + 1) % ERR_MAX_WARNINGS;
	warn_count--;
	return true;
}
