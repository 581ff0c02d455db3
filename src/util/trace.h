/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The debug trace: `hv --debug ...` or HV_DEBUG=1 writes one line per
 * QMP message, guest-channel frame and agent exchange to stderr;
 * HV_DEBUG=/path/to/file appends them to that file instead (so the
 * per-VM monitor, which has no terminal, can be traced too).  Lines are
 * "hv[PID] TOPIC: text", with control characters escaped.
 */
#include <stdbool.h>
#include <stddef.h>

/* Is tracing on?  Cheap: the environment is read once per process. */
bool trace_enabled(void);
/* Turn tracing on for this process and its children (--debug). */
void trace_enable(void);
void trace_printf(const char *topic, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Trace len bytes of data (at most 512 shown), escaped. */
void trace_data(const char *topic, const char *what, const void *data, size_t len);
