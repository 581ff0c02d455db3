/* SPDX-License-Identifier: MIT */
/*
 * "run" mode (hv run): say HELLO on the guest channel, run the one
 * command hv sends (session.c does the work, as for hv exec), report its
 * exit status and power off.  With a terminal the command gets the
 * console (ttyS0) as its controlling tty and only control frames use the
 * channel.
 */
#include "run.h"

#include "../../src/guest/proto.h"
#include "chan.h"
#include "net.h"
#include "session.h"
#include "sys.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

int run_main(void)
{
	sigset_t set;
	int sfd;
	bool waited_net = false;

	if (gchan_open(5000) < 0) {
		init_log("no hv channel (virtio-serial port org.hv.channel.0): was this VM started by hv run?");
		init_poweroff_now();
	}
	sess_init();
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	signal(SIGPIPE, SIG_IGN);
	gchan_send(HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));

	/* one command: the VM ends with it */
	while (sess_finished() == 0) {
		struct pollfd pf[SESS_MAX_POLL + 1];
		int timeout = -1, n;

		if (!waited_net) {
			/* the command may need the network at once: hold the EXEC
			 * in the channel until the leases are there */
			net_wait();
			waited_net = true;
		}
		n = sess_poll_fds(pf, &timeout);
		if (sess_finished())
			break; /* the command's EXIT is out */
		pf[n] = (struct pollfd){ sfd, POLLIN, 0 };
		if (poll(pf, (nfds_t)n + 1, timeout) < 0 && errno != EINTR)
			break;
		if (pf[n].revents & POLLIN) {
			struct signalfd_siginfo si;
			pid_t w;
			int st;
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0)
				sess_reaped(w, st);
		}
		if (sess_handle(pf, n) < 0 && sess_active() == 0) {
			init_log("guest channel closed before a command finished");
			break;
		}
	}
	/* a blocking write to the port returns once QEMU has taken the bytes:
	 * the EXIT frame is out */
	init_poweroff_now();
}
