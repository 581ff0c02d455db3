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
/* The code the recorded message was recorded with (0: none recorded). */
int err_code(void);
void err_clear(void);
/* The message for a failure that returned code: the recorded one when it
 * was recorded with that code, else strerror(-code) (a bare `return
 * -errno` records nothing, and an older message would be stale). */
const char *err_msg_for(int code);

/* Keep the first failure's reason while cleanup code that may fail too
 * runs: err_save() before the cleanup, err_restore() after. */
struct err_saved {
	int code;
	char msg[1024];
};
void err_save(struct err_saved *s);
int err_restore(const struct err_saved *s); /* returns the saved code */
