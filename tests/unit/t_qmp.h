/* SPDX-License-Identifier: MIT */
#pragma once
/* A fake QEMU for QMP tests: greets, then answers each command line with
 * the next scripted reply (which may carry events before it). */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/qmp-ops.h"

/* The same, keeping what the client sent in log (one command a line)
 * when log is given. */
static inline pid_t scripted_log(struct qmp **q, const char *const *replies, const char *log, int *rc)
{
	int sp[2];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	pid = fork();
	if (pid == 0) {
		FILE *f = log ? fopen(log, "w") : NULL;
		char c;
		close(sp[0]);
		dprintf(sp[1], "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
		for (int i = 0; replies[i]; i++) {
			while (read(sp[1], &c, 1) == 1 && c != '\n')
				if (f)
					fputc(c, f);
			if (f) {
				fputc('\n', f);
				fflush(f);
			}
			dprintf(sp[1], "%s\r\n", replies[i]);
		}
		if (f)
			fclose(f);
		while (read(sp[1], &c, 1) > 0)
			;
		_exit(0);
	}
	close(sp[1]);
	*rc = qmp_open_fd(sp[0], 2000, q);
	return pid;
}

static inline pid_t scripted(struct qmp **q, const char *const *replies, int *rc)
{
	return scripted_log(q, replies, NULL, rc);
}
