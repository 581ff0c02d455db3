/* SPDX-License-Identifier: MIT */
#include "oci/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/err.h"

int sync_send(int sock, char kind, const char *text, int fd)
{
	char buf[1024], cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	size_t n;

	buf[0] = kind;
	snprintf(buf + 1, sizeof(buf) - 1, "%s", text ? text : "");
	n = 1 + strlen(buf + 1);
	iov = (struct iovec){ buf, n };
	if (fd >= 0) {
		struct cmsghdr *c;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	/* SOCK_SEQPACKET: one message, one record */
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int sync_recv(int sock, char *text, size_t n, int *fd)
{
	char buf[1024], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	ssize_t k;

	*fd = -1;
	while ((k = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
		if (errno != EINTR)
			return -errno;
	if (k == 0)
		return 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(c), sizeof(int));
	buf[k] = '\0';
	if (text)
		snprintf(text, n, "%s", buf + 1);
	return (unsigned char)buf[0];
}

int console_socket_send(const char *path, int fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s, r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(-ENAMETOOLONG, "console socket path too long: %s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_errno(-errno, "socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = err_errno(-errno, "cannot connect to the console socket %s", path);
		close(s);
		return r;
	}
	r = sync_send(s, 'c', "/dev/pts/ptmx", fd);
	close(s);
	return r < 0 ? err_errno(r, "cannot send the terminal to %s", path) : 0;
}
