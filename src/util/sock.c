/* SPDX-License-Identifier: MIT */
/* Unix stream sockets named relative to a folder (sock.h). */
#include "util/sock.h"

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/err.h"

static int sock_addr(int dirfd, const char *name, struct sockaddr_un *sa)
{
	int n;

	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path))
		return err_set(-ENAMETOOLONG, "socket name %s is too long", name);
	return 0;
}

int sock_listen_at(int dirfd, const char *name, bool nonblock, int *fd)
{
	struct sockaddr_un sa;
	int r, s;

	if ((r = sock_addr(dirfd, name, &sa)) < 0)
		return r;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0)) < 0)
		return err_errno(-errno, "socket");
	unlinkat(dirfd, name, 0);
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 16) < 0) {
		r = -errno;
		close(s);
		return err_errno(r, "cannot listen on %s", name);
	}
	*fd = s;
	return 0;
}

int sock_connect_at(int dirfd, const char *name, int *fd)
{
	struct sockaddr_un sa;
	int r, s;

	if ((r = sock_addr(dirfd, name, &sa)) < 0)
		return r;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return err_errno(-errno, "socket");
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(s);
		return err_errno(r, "cannot connect to %s", name);
	}
	*fd = s;
	return 0;
}
