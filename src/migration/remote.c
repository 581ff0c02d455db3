/* SPDX-License-Identifier: MIT */
/* A migration between hosts: files, disks and the stream's address (see remote.h). */
#include "migration/remote.h"

#include <errno.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "manager/vmdef.h"
#include "util/base64.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

#define FILE_MAX (768 << 10) /* a UEFI variable store is 528 KiB; the line stays under PEER_LINE_MAX */

const char *const migrate_travelling[] = { "user-data.in", "known_hosts", "uefi-vars.fd", NULL };

int migrate_files_pack(int dirfd, struct json_object *msg)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(msg, "files", arr);
	for (const char *const *f = migrate_travelling; *f; f++) {
		_cleanup_free_ char *data = NULL, *b64 = NULL;
		struct json_object *o;
		size_t len = 0;
		int r;
		if (!fs_exists_at(dirfd, *f))
			continue;
		if ((r = fs_read_all(dirfd, *f, FILE_MAX, &data, &len)) < 0)
			return err_prefix(r, "%s", *f);
		if (!(b64 = base64_encode(data, len)) || !(o = json_object_new_object()))
			return err_set(-ENOMEM, "out of memory");
		json_object_array_add(arr, o);
		json_object_object_add(o, "name", json_object_new_string(*f));
		json_object_object_add(o, "data", json_object_new_string(b64));
	}
	return 0;
}

static bool travelling(const char *name)
{
	for (const char *const *f = migrate_travelling; *f; f++)
		if (!strcmp(*f, name))
			return true;
	return false;
}

int migrate_files_unpack(struct json_object *files, int stagefd)
{
	size_t n = files ? json_object_array_length(files) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(files, i);
		const char *name = NULL, *b64 = NULL;
		_cleanup_free_ uint8_t *data = NULL;
		size_t len = 0;
		int r;
		if ((r = json_need_str(o, "name", "prepare: files", &name)) < 0 ||
		    (r = json_need_str(o, "data", "prepare: files", &b64)) < 0)
			return r;
		if (!travelling(name))
			return err_set(-EPROTO, "prepare: '%s' is not a file that travels with a VM", name);
		if ((r = base64_decode(b64, strlen(b64), &data, &len)) < 0)
			return r == -ENOMEM ? err_set(r, "out of memory")
					    : err_set(-EPROTO, "prepare: %s: bad base64", name);
		if ((r = fs_write_atomic(stagefd, name, data, len, 0600)) < 0)
			return r;
	}
	return 0;
}

int migrate_disks_shared(const struct vmdef *d, const char *host)
{
	for (unsigned i = 0; i < d->ndisks; i++)
		if (d->disks[i].owned)
			return err_set(
			    -EXDEV,
			    "disk %s of VM '%s' is in this host's store, which %s cannot open: migrate with "
			    "--copy-storage, or keep the disk on shared storage (a path outside the store, the "
			    "same on both hosts, attached with --disk PATH)",
			    d->disks[i].path, d->name, host);
	return 0;
}

int migrate_disks_reachable(const struct vmdef *d)
{
	for (unsigned i = 0; i < d->ndisks; i++) {
		const struct vmdef_disk *k = &d->disks[i];
		if (k->owned)
			return err_set(-EXDEV, "disk %s is in the source's store: over ssh it needs --copy-storage",
				       k->path);
		if (access(k->path, R_OK | W_OK) < 0)
			return err_errno(
			    -errno,
			    "disk %s is not on shared storage here (over ssh a disk must be at the same path on "
			    "both hosts, or use --copy-storage)",
			    k->path);
		if (k->backing[0] && access(k->backing, R_OK) < 0)
			return err_errno(-errno, "the backing file %s of disk %s is not here", k->backing, k->path);
	}
	return 0;
}

/* The 3rd field of SSH_CONNECTION ("client port server port"). */
static int ssh_server_addr(char *host, size_t n)
{
	const char *c = getenv("SSH_CONNECTION");
	char a[4][64];

	if (!c || sscanf(c, "%63s %63s %63s %63s", a[0], a[1], a[2], a[3]) != 4)
		return err_set(-ENOENT, "SSH_CONNECTION is not set: hv __migrate-in runs under ssh's server here");
	if (snprintf(host, n, "%s", a[2]) >= (int)n)
		return err_set(-ENAMETOOLONG, "SSH_CONNECTION: address too long");
	return 0;
}

static int numeric_addr(const char *host, const char *port, int flags, struct addrinfo **ai)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | flags, .ai_socktype = SOCK_STREAM };
	int r = getaddrinfo(host, port, &hints, ai);

	return r ? err_set(-EINVAL, "bad address '%s': %s", host, gai_strerror(r)) : 0;
}

int migrate_listen(bool remote, int *lfd, char *host, size_t n, int *port)
{
	struct addrinfo *ai = NULL;
	struct sockaddr_storage a;
	socklen_t alen = sizeof(a);
	int r;

	if (remote) {
		if ((r = ssh_server_addr(host, n)) < 0)
			return r;
	} else if (snprintf(host, n, "127.0.0.1") >= (int)n) {
		return err_set(-ENAMETOOLONG, "address too long");
	}
	if ((r = numeric_addr(host, "0", AI_PASSIVE, &ai)) < 0)
		return r;
	*lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = *lfd < 0 || bind(*lfd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(*lfd, 1) < 0 ||
		    getsockname(*lfd, (struct sockaddr *)&a, &alen) < 0
		? err_errno(-errno, "cannot listen for the migration stream on %s", host)
		: 0;
	freeaddrinfo(ai);
	if (r == 0)
		*port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port
						      : ((struct sockaddr_in *)&a)->sin_port);
	return r;
}

int migrate_connect(const char *host, int port, int *fd)
{
	struct addrinfo *ai = NULL;
	char serv[16];
	int r;

	snprintf(serv, sizeof(serv), "%d", port);
	if ((r = numeric_addr(host, serv, 0, &ai)) < 0)
		return err_prefix(r, "the destination's migration address");
	*fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	r = *fd < 0 || connect(*fd, ai->ai_addr, ai->ai_addrlen) < 0
		? err_errno(-errno, "cannot connect to the destination's migration port %s:%d", host, port)
		: 0;
	freeaddrinfo(ai);
	return r;
}
