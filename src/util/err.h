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
#include <stdbool.h>
#include <stddef.h>

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

/* Warnings: what a library function noticed and repaired on its own (a
 * damaged runtime record rebuilt from the processes), one line each, for
 * the CLI to show.  Kept per thread until taken; at most ERR_MAX_WARNINGS
 * (later ones, and a repeat of the last one, are dropped). */
#define ERR_MAX_WARNINGS 8
void err_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The oldest warning not taken yet, copied into buf; false when none. */
bool err_warning_take(char *buf, size_t n);
