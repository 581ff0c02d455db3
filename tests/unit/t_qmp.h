/* SPDX-License-Identifier: MIT */
#pragma once
/* A fake QEMU for QMP tests: greets, then answers each command line with
 * the next scripted reply (which may carry events before it). */
#include <sys/socket.h>
#include <unistd.h>

#include "engine/qmp-ops.h"

static pid_t scripted(struct qmp **q, const char *const *replies, int *rc)
{
	int sp[2];
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp);
	pid = fork();
	if (pid == 0) {
		char c;
		close(sp[0]);
		dprintf(sp[1], "{\"QMP\": {\"version\": {}, \"capabilities\": []}}\r\n");
		for (int i = 0; replies[i]; i++) {
			while (read(sp[1], &c, 1) == 1 && c != '\n')
				;
			dprintf(sp[1], "%s\r\n", replies[i]);
		}
		while (read(sp[1], &c, 1) > 0)
			;
		_exit(0);
	}
	close(sp[1]);
	*rc = qmp_open_fd(sp[0], 2000, q);
	return pid;
}
