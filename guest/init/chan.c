/* SPDX-License-Identifier: MIT */
/* The guest end of the hv guest channel: ttyS1, raw, framed (proto.h). */
#include "chan.h"

#include "../../src/guest/proto.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define CHANNEL "/dev/ttyS1"

static int chan = -1;

int gchan_open(void)
{
	struct termios t;

	if (chan >= 0)
		return chan;
	chan = open(CHANNEL, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (chan < 0)
		return -1;
	/* a UART that is not there (plain QEMU without hv's channel) fails here */
	if (tcgetattr(chan, &t) < 0) {
		close(chan);
		chan = -1;
		return -1;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	t.c_cflag &= ~(tcflag_t)CRTSCTS;
	cfsetspeed(&t, B115200);
	tcsetattr(chan, TCSANOW, &t);
	return chan;
}

int gchan_fd(void)
{
	return chan;
}

void gchan_send(int type, const void *data, size_t len)
{
	uint8_t hdr[HVP_HDR];

	if (chan < 0)
		return;
	hvp_put_header(hdr, type, len);
	init_write_all(chan, hdr, sizeof(hdr));
	if (len)
		init_write_all(chan, data, len);
}
