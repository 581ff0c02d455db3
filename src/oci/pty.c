/* SPDX-License-Identifier: MIT */
#include "oci/pty.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/tty.h"

static void copy_size(int master)
{
	struct winsize ws;

	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

int pty_relay(int master)
{
	struct tty_saved saved = { 0 };
	_cleanup_close_ int sig = -1;
	sigset_t winch, old;
	char buf[16384];
	bool in_open = true, is_tty = isatty(STDIN_FILENO);
	int r = 0;

	if (is_tty) {
		copy_size(master);
		if (tty_raw_enter(STDIN_FILENO, &saved) < 0)
			is_tty = false;
	}
	sigemptyset(&winch);
	sigaddset(&winch, SIGWINCH);
	sigprocmask(SIG_BLOCK, &winch, &old);
	sig = signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);
	for (;;) {
		struct pollfd p[3] = { { master, POLLIN, 0 },
				       { in_open ? STDIN_FILENO : -1, POLLIN, 0 },
				       { sig, POLLIN, 0 } };
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = err_errno(-errno, "poll");
			break;
		}
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;
			while (read(sig, &si, sizeof(si)) == sizeof(si))
				;
			if (is_tty)
				copy_size(master);
		}
		if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(master, buf, sizeof(buf));
			if (k <= 0) {
				if (k < 0 && errno == EINTR)
					continue;
				break; /* EIO: no process holds the terminal any more */
			}
			if (write_all(STDOUT_FILENO, buf, (size_t)k) < 0)
				break;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t k = read(STDIN_FILENO, buf, sizeof(buf));
			if (k <= 0) {
				/* end of input: the terminal's EOF character, like a
				 * user typing ^D */
				char eof = 4;
				in_open = false;
				(void)!write(master, &eof, 1);
				continue;
			}
			if (write_all(master, buf, (size_t)k) < 0)
				break;
		}
	}
	tty_restore(&saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}
