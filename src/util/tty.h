/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

/* Ctrl-]: leaves hv console (the VM keeps running) and ends hv run. */
#define TTY_ESCAPE 0x1d

struct tty_saved {
	int fd;
	bool active;
	struct termios t;
};

/* Put a terminal in raw mode (no echo, no signals, bytes pass through). */
int tty_raw_enter(int fd, struct tty_saved *s);
void tty_restore(struct tty_saved *s);
/* Terminal size of fd; false when fd is not a terminal. */
bool tty_size(int fd, int *rows, int *cols);
/* Index of the escape byte in buf, or -1. */
long tty_find_escape(const char *buf, size_t n);
