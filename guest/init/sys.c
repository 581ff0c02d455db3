/* SPDX-License-Identifier: MIT */
/* What every part of hv's init uses: the console log, whole writes, the
 * controlling terminal, the default environment, power off. */
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static char *default_env[] = {
	"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	"HOME=/root",
	"TERM=linux",
	NULL,
};
char *const *init_environ = default_env;

void init_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	struct timespec ts;

	/* the same clock as the kernel's message timestamps */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = snprintf(buf, sizeof(buf), "[%5ld.%06ld] hv-init: ", (long)ts.tv_sec, ts.tv_nsec / 1000);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 3)
		n = (int)sizeof(buf) - 3;
	buf[n++] = '\r';
	buf[n++] = '\n';
	int fd = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		init_write_all(fd, buf, (size_t)n);
		/* out of the tty before going on: a hangup (the console's
		 * shell leaving at shutdown) discards what is still queued */
		tcdrain(fd);
		close(fd);
	}
}

int init_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;

	while (n > 0) {
		ssize_t k = write(fd, p, n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int init_take_tty(const char *path, int rows, int cols)
{
	int fd = open(path, O_RDWR);
	struct termios t;

	if (fd < 0)
		return -1;
	ioctl(fd, TIOCSCTTY, 1);
	if (tcgetattr(fd, &t) == 0) {
		/* a sane cooked terminal, whatever the previous user left */
		t.c_iflag |= ICRNL | IXON;
		t.c_oflag |= OPOST | ONLCR;
		t.c_lflag |= ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | ISIG | IEXTEN;
		tcsetattr(fd, TCSANOW, &t);
	}
	if (rows > 0 && cols > 0) {
		struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
		ioctl(fd, TIOCSWINSZ, &ws);
	}
	for (int i = 0; i < 3; i++)
		dup2(fd, i);
	if (fd > 2)
		close(fd);
	tcsetpgrp(0, getpgrp());
	return 0;
}

void init_poweroff_now(void)
{
	sync();
	reboot(RB_POWER_OFF);
	/* Only reached when ACPI poweroff is unavailable. */
	reboot(RB_HALT_SYSTEM);
	for (;;)
		pause();
}

void init_shutdown(const char *why, bool restart)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };

	init_log("%s: stopping all processes", why);
	/* interactive shells ignore SIGTERM but leave on SIGHUP */
	kill(-1, SIGTERM);
	kill(-1, SIGHUP);
	kill(-1, SIGCONT);
	for (int i = 0; i < 60; i++) { /* up to 3 s for a polite exit */
		pid_t w;
		while ((w = waitpid(-1, NULL, WNOHANG)) > 0)
			;
		/* every process ends up a child of init: none left, all gone
		 * (kill(-1, 0) cannot tell, it also counts kernel threads) */
		if (w < 0 && errno == ECHILD)
			break;
		nanosleep(&ts, NULL);
	}
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	init_log("%s", restart ? "rebooting" : "powering off");
	if (restart)
		reboot(RB_AUTOBOOT);
	init_poweroff_now();
}
