/* SPDX-License-Identifier: MIT */
/* The guest end of the hv guest channel: a named virtio-serial port, framed (proto.h). */
#include "chan.h"

#include "../../src/guest/proto.h"
#include "sys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PORT_NAME "org.hv.channel.0"

static int chan = -1;

/* The /dev node of the port named PORT_NAME, from sysfs (no udev here:
 * devtmpfs names the nodes vportNpM). */
static int find_port(char *dev, size_t n)
{
	DIR *d = opendir("/sys/class/virtio-ports");
	struct dirent *de;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (de = readdir(d))) {
		char path[300], name[64] = "";
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/virtio-ports/%s/name", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t k = read(fd, name, sizeof(name) - 1);
		close(fd);
		if (k > 0 && name[k - 1] == '\n')
			k--;
		if (k == (ssize_t)strlen(PORT_NAME) && !memcmp(name, PORT_NAME, (size_t)k)) {
			snprintf(dev, n, "/dev/%s", de->d_name);
			found = 0;
		}
	}
	closedir(d);
	return found;
}

int gchan_open(int wait_ms)
{
	char dev[300];

	if (chan >= 0)
		return chan;
	/* the port appears when the host announces it, shortly after the
	 * driver binds; its node a moment later */
	for (int waited = 0;; waited += 10) {
		if (find_port(dev, sizeof(dev)) == 0 && (chan = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC)) >= 0)
			return chan;
		if (waited >= wait_ms)
			return -1;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

int gchan_fd(void)
{
	return chan;
}

void gchan_send(int type, unsigned session, const void *data, size_t len)
{
	uint8_t hdr[HVP_HDR];
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)data, len } };
	size_t left = sizeof(hdr) + len;

	if (chan < 0)
		return;
	hvp_put_header(hdr, type, session, len);
	/* one writev per frame: one trip through the virtqueue when it fits */
	while (left) {
		ssize_t k = writev(chan, iov, iov[1].iov_len ? 2 : 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return;
		left -= (size_t)k;
		for (int i = 0; i < 2 && k > 0; i++) {
			size_t t = (size_t)k < iov[i].iov_len ? (size_t)k : iov[i].iov_len;
			iov[i].iov_base = (char *)iov[i].iov_base + t;
			iov[i].iov_len -= t;
			k -= (ssize_t)t;
		}
		if (!iov[0].iov_len) {
			iov[0] = iov[1];
			iov[1].iov_len = 0;
		}
	}
}
