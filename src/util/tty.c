/* SPDX-License-Identifier: MIT */
#include "util/tty.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "util/err.h"

int tty_raw_enter(int fd, struct tty_saved *s)
{
	struct termios raw;

	s->fd = fd;
	s->active = false;
	if (tcgetattr(fd, &s->t) < 0)
		return err_errno(-errno, "cannot read terminal settings");
	raw = s->t;
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return err_errno(-errno, "cannot set raw terminal mode");
	s->active = true;
	return 0;
}

void tty_restore(struct tty_saved *s)
{
	if (!s->active)
		return;
	tcsetattr(s->fd, TCSADRAIN, &s->t);
	s->active = false;
}

bool tty_size(int fd, int *rows, int *cols)
{
	struct winsize ws;

	if (!isatty(fd) || ioctl(fd, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
		return false;
	*rows = ws.ws_row;
	*cols = ws.ws_col;
	return true;
}

long tty_find_escape(const char *buf, size_t n)
{
	const char *p = memchr(buf, TTY_ESCAPE, n);

	return p ? p - buf : -1;
}
