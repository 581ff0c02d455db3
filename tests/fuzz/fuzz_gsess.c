/* SPDX-License-Identifier: MIT */
/* Fuzz target: the host's side of one command in the default guest
 * (guest/session.c over guest/channel.c), as hv exec runs it: the input
 * is everything the VM's monitor says on the connection, after the first
 * byte, which says whether the command has a terminal and some stdin. */
#include <fcntl.h>

#include "guest/session.h"
#include "util/err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[] = { "sh", "-c", "cat", NULL }, *env[] = { "A=1", NULL };
	struct exec_request req = { .argv = argv, .env = env, .in = -1 };
	struct exec_status st;
	int sp[2], in[2] = { -1, -1 };
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++;
	size--;
	req.tty = flags & 1;
	req.workdir = flags & 4 ? "/tmp" : NULL;
	req.user = flags & 8 ? "nobody" : NULL;
	if (flags & 2) {
		/* some stdin, then its end */
		if (pipe2(in, O_CLOEXEC) < 0 || write(in[1], "input\n", 6) != 6)
			abort();
		close(in[1]);
		req.in = in[0];
	}
	req.out = req.err = open("/dev/null", O_WRONLY | O_CLOEXEC);
	fz_peer(data, size, sp);
	gsess_run(sp[0], &req, -1, &st);
	close(sp[0]);
	close(sp[1]);
	close(req.out);
	if (in[0] >= 0)
		close(in[0]);
	err_clear();
	return 0;
}
