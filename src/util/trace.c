/* SPDX-License-Identifier: MIT */
/* The debug trace of QMP, channel and agent traffic (see trace.h). */
#include "util/trace.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"

/* -1: not decided yet, 0: off, 1: on */
static _Atomic int trace_state = -1;

bool trace_enabled(void)
{
	if (trace_state < 0) {
		const char *v = getenv("HV_DEBUG");
		trace_state = v && *v && strcmp(v, "0") ? 1 : 0;
	}
	return trace_state == 1;
}

void trace_enable(void)
{
	const char *v = getenv("HV_DEBUG");

	if (!v || !*v || !strcmp(v, "0"))
		setenv("HV_DEBUG", "1", 1);
	trace_state = 1;
}

/* One whole line per write, so lines of several processes do not mix. */
static void trace_emit(const char *line, size_t n)
{
	const char *dest = getenv("HV_DEBUG");
	int fd = 2, opened = -1;

	if (dest && dest[0] == '/') {
		opened = open(dest, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
		if (opened < 0)
			return;
		fd = opened;
	}
	(void)write_all(fd, line, n);
	if (opened >= 0)
		close(opened);
}

/* Escape what a terminal would interpret: C0, DEL, and bytes >= 0x80. */
static size_t escape(char *out, size_t room, const unsigned char *s, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 5 < room; i++) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, room - o, "\\x%02x", c);
	}
	out[o] = '\0';
	return o;
}

void trace_printf(const char *topic, const char *fmt, ...)
{
	char raw[1024], line[4200];
	va_list ap;
	int n;

	if (!trace_enabled())
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(raw))
		n = sizeof(raw) - 1;
	size_t h = (size_t)snprintf(line, sizeof(line), "hv[%d] %s: ", (int)getpid(), topic);
	h += escape(line + h, sizeof(line) - h - 1, (const unsigned char *)raw, (size_t)n);
	line[h++] = '\n';
	trace_emit(line, h);
}

void trace_data(const char *topic, const char *what, const void *data, size_t len)
{
	char line[4200];
	size_t show = len > 512 ? 512 : len;

	if (!trace_enabled())
		return;
	size_t h = (size_t)snprintf(line, sizeof(line), "hv[%d] %s: %s (%zu bytes) ", (int)getpid(), topic, what, len);
	h += escape(line + h, sizeof(line) - h - 8, data, show);
	if (show < len)
		h += (size_t)snprintf(line + h, sizeof(line) - h, "...");
	line[h++] = '\n';
	trace_emit(line, h);
}
