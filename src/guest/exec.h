/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A command to run in a guest, as `hv exec` and `hv cp` describe it to
 * either way in: hv's own channel (the default guest) or the QEMU guest
 * agent (distribution images).
 */
#include <stdbool.h>

struct exec_request {
	char *const *argv;   /* argv[0] is looked up in the guest's PATH */
	char *const *env;    /* extra "NAME=value" entries, NULL-terminated, or NULL */
	const char *workdir; /* NULL: the user's home (root: /root), else "/" */
	const char *user;    /* NULL: root */
	bool tty;	     /* give the command a terminal (the host's fd 0 is one) */
	int in, out, err;    /* host file descriptors to relay: stdin (-1: none), stdout, stderr */
	/* called as data moves (stdin sent plus output written, in total so
	 * far), for progress bars; may be NULL */
	void (*progress)(void *ctx, unsigned long long bytes);
	void *progress_ctx;
};

/* How a command ended. */
struct exec_status {
	bool signaled;	   /* killed by a signal: code is the signal number */
	int code;	   /* exit status (127: not found, 126: not executable) */
	char message[256]; /* what the guest said went wrong (e.g. not found), sanitized; "" if nothing */
};
