/* SPDX-License-Identifier: MIT */
#pragma once
/* The base of hv's init (PID 1 of the default guest): what every other
 * part uses.  It depends on libc only. */
#include <stdbool.h>
#include <stddef.h>

/* PATH, HOME, TERM: the environment commands start with. */
extern char *const *init_environ;

/* One line on the console, with the kernel's timestamp. */
void init_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int init_write_all(int fd, const void *buf, size_t n);
/* Make fd the controlling terminal and stdio of the calling (new-session) process. */
int init_take_tty(const char *path, int rows, int cols);
/* Stop everything and power the machine off (reboot=true: restart). */
void init_shutdown(const char *why, bool reboot) __attribute__((noreturn));
/* Power off at once (the one-shot path, nothing to stop). */
void init_poweroff_now(void) __attribute__((noreturn));
