/* SPDX-License-Identifier: MIT */
/* Fuzz target: replies of the QEMU guest agent (agent/qga.c framing and
 * resync, agent/ops.c reply shapes).  The input is everything the agent
 * says.  hv sends, in this order: guest-sync-delimited, guest-ping,
 * guest-get-osinfo, guest-network-get-interfaces, guest-fsfreeze-status,
 * guest-fsfreeze-freeze, guest-exec, guest-exec-status, guest-file-open,
 * guest-file-read, guest-file-write, guest-file-close, guest-shutdown,
 * with a new guest-sync-delimited before the command after any failure.
 * The sync ids are 1, 2, ...: getrandom() is replaced below, so the
 * fuzzer can answer them.  The agent answers as qemu-ga does, after each
 * command: poll() is replaced too, and when hv waits for the agent with
 * nothing to read, the next line of the input arrives (the agent's port
 * closes when the input runs out). */
#include <errno.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/syscall.h>

#include "agent/ops.h"
#include "util/err.h"
#include "fuzz.h"

/* qga.c seeds its ids from getrandom(); here they start at 1 */
ssize_t getrandom(void *buf, size_t n, unsigned flags)
{
	(void)flags;
	memset(buf, 0, n);
	return (ssize_t)n;
}

static struct fz script;
static int hv_end = -1, agent_end = -1;

/* The agent's next line arrives when hv waits for one; after the last,
 * the port closes. */
static void agent_speaks(void)
{
	const uint8_t *nl, *line;
	size_t len;

	if (!script.n) {
		shutdown(agent_end, SHUT_WR);
		return;
	}
	nl = memchr(script.p, '\n', script.n);
	line = fz_take(&script, nl ? (size_t)(nl - script.p) + 1 : script.n, &len);
	if (write(agent_end, line, len) != (ssize_t)len)
		abort();
}

int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	int avail = 0;

	if (n == 1 && fds[0].fd == hv_end && (fds[0].events & POLLIN) && ioctl(hv_end, FIONREAD, &avail) == 0 &&
	    avail == 0)
		agent_speaks();
	return (int)syscall(SYS_poll, fds, n, timeout);
}

static void commands(struct qga *g)
{
	char *argv[] = { "/bin/echo", "hi", NULL }, *env[] = { "A=1", NULL };
	struct agent_osinfo os;
	struct agent_iface ifs[AGENT_MAX_IFACES];
	struct agent_exec_state st = { 0 };
	unsigned n = 0;
	int64_t pid = 0, h = 0;
	uint8_t *data = NULL;
	size_t len = 0;
	bool b = false;
	int count = 0;
	const int t = 1000;

	agent_ping(g, t);
	agent_get_osinfo(g, t, &os);
	agent_network_interfaces(g, t, ifs, &n);
	agent_fsfreeze_status(g, t, &b);
	agent_fsfreeze_freeze(g, t, &count);
	agent_exec_start(g, t, argv, env, "in", 2, true, &pid);
	agent_exec_status(g, t, pid, &st);
	agent_exec_state_free(&st);
	agent_file_open(g, t, "/etc/hostname", "r", &h);
	if (agent_file_read(g, t, h, 4096, &data, &len, &b) == 0)
		free(data);
	agent_file_write(g, t, h, "hello", 5);
	agent_file_close(g, t, h);
	agent_shutdown(g, "powerdown");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qga *g = NULL;
	int sp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
	script = (struct fz){ data, size };
	hv_end = sp[0];
	agent_end = sp[1];
	if (qga_open_fd(sp[0], 1000, &g) == 0) {
		commands(g);
		qga_close(g);
	}
	close(sp[1]);
	hv_end = agent_end = -1;
	err_clear();
	return 0;
}
