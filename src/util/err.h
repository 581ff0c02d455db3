/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The one error convention of hv: a fallible function returns 0 (or a
 * non-negative result) on success and a negative errno on failure, after
 * recording a one-line human reason with err_set()/err_errno() where the
 * problem is known.  Callers that add context use err_prefix().  Only the
 * CLI prints err_msg(); library code never prints and never exits.
 */
#include <stdarg.h>

int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like err_set() but appends ": <strerror(-code)>". */
int err_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends "<context>: " to the recorded message, returns code. */
int err_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_msg(void);
void err_clear(void);
