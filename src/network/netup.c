/* SPDX-License-Identifier: MIT */
/* Bringing an hv network onto the host and taking it off again. */
#include "network/netup.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "network/dnsmasq.h"
#include "network/netlink.h"
#include "network/nft.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define NETNS_DIR "/run/netns"
/* in the networks folder while hv has turned forwarding on */
#define FORWARD_MARK ".ip_forward-by-hv"

static int write_sysctl(const char *path, const char *value)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, value, strlen(value)) < 0)
		return err_errno(-errno, "cannot set %s", path);
	return 0;
}

/* Forwarding is global: turn it on, and remember that hv did, so the last
 * natnet network to go can turn it off again. */
static int forwarding_on(void)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_RDONLY | O_CLOEXEC), dfd = -1;
	char cur[4] = "";
	int r;

	if (fd < 0 || read(fd, cur, 1) != 1)
		return err_errno(-errno, "cannot read /proc/sys/net/ipv4/ip_forward");
	if (cur[0] == '1')
		return 0;
	if ((r = nets_dir(&dir)) < 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", dir);
	fs_write_atomic(dfd, FORWARD_MARK, "0\n", 2, 0600);
	return write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
}

static void forwarding_restore(void)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dfd = -1;
	char **names;
	size_t n;
	bool natnet_left = false;

	if (nets_dir(&dir) < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    !fs_exists_at(dfd, FORWARD_MARK) || net_list(&names, &n) < 0) {
		err_clear();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct netdef d;
		char br[32];
		net_bridge_name(names[i], br, sizeof(br));
		if (net_load(names[i], &d) == 0 && d.mode == NET_NATNET && nl_link_exists(br))
			natnet_left = true;
		free(names[i]);
	}
	free(names);
	if (!natnet_left && write_sysctl("/proc/sys/net/ipv4/ip_forward", "0") == 0)
		unlinkat(dfd, FORWARD_MARK, 0);
	err_clear();
}

static int ensure_addr(const char *ifname, uint32_t ip, int prefix)
{
	uint32_t ips[16];
	int prefixes[16], n = nl_addr_list(ifname, ips, prefixes, 16);

	for (int i = 0; i < n; i++)
		if (ips[i] == ip && prefixes[i] == prefix)
			return 0;
	return nl_addr_add(ifname, ip, prefix);
}

struct in_netns {
	const char *path;
	int (*fn)(const struct netdef *);
	const struct netdef *d;
	int r;
	char msg[512];
};

static void *in_netns_thread(void *arg)
{
	struct in_netns *t = arg;
	_cleanup_close_ int fd = open(t->path, O_RDONLY | O_CLOEXEC);

	/* the network namespace is per thread: only this one moves */
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		t->r = err_errno(-errno, "cannot enter the namespace %s", t->path);
	else
		t->r = t->fn(t->d);
	if (t->r < 0)
		snprintf(t->msg, sizeof(t->msg), "%s", err_msg_for(t->r));
	return NULL;
}

/* Run fn inside the network namespace at path, in a thread of its own
 * (no fork: the caller may be a server with threads of its own, and
 * neither it nor its other threads change namespace). */
static int in_netns(const char *path, int (*fn)(const struct netdef *), const struct netdef *d)
{
	struct in_netns t = { .path = path, .fn = fn, .d = d };
	pthread_t th;
	int e = pthread_create(&th, NULL, in_netns_thread, &t);

	if (e)
		return err_errno(-e, "cannot configure the namespace %s", path);
	pthread_join(th, NULL);
	if (t.r < 0)
		return err_set(t.r, "cannot configure the namespace %s: %s", path, t.msg);
	return 0;
}

static int configure_ns_side(const struct netdef *d)
{
	char veth[32];
	int r;

	snprintf(veth, sizeof(veth), "hvn-%s", d->name);
	if ((r = nl_link_set_up("lo", true)) < 0 || (r = ensure_addr(veth, net_gateway(d), d->prefix)) < 0)
		return r;
	return nl_link_set_up(veth, true);
}

static int netns_create(const char *path)
{
	int fd, status;
	pid_t pid;

	if (mkdir(NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return err_errno(-errno, "cannot create " NETNS_DIR);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	if (fd < 0)
		return err_errno(-errno, "cannot create %s", path);
	close(fd);
	pid = fork();
	if (pid == 0) {
		/* a new namespace, kept alive by a bind mount as `ip netns` does */
		if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
			_exit(1);
		_exit(0);
	}
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		unlink(path);
		return err_set(-EIO, "cannot create the network namespace %s", path);
	}
	return 0;
}

static void netns_delete(const char *path)
{
	umount2(path, MNT_DETACH);
	unlink(path);
}

/* internal: DHCP lives in a namespace joined to the bridge by a veth. */
static int up_internal(const struct netdef *d, const char *br)
{
	char ns[128], host_end[32], ns_end[32];
	_cleanup_close_ int fd = -1;
	int r;

	snprintf(ns, sizeof(ns), NETNS_DIR "/hv-%s", d->name);
	snprintf(host_end, sizeof(host_end), "hvd-%s", d->name);
	snprintf(ns_end, sizeof(ns_end), "hvn-%s", d->name);
	if (access(ns, F_OK) < 0 && (r = netns_create(ns)) < 0)
		return r;
	if (!nl_link_exists(host_end)) {
		if ((r = nl_veth_create(host_end, ns_end)) < 0)
			return r;
		fd = open(ns, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return err_errno(-errno, "cannot open %s", ns);
		if ((r = nl_link_set_netns_fd(ns_end, fd)) < 0)
			return r;
	}
	if ((r = nl_link_set_master(host_end, br)) < 0 || (r = nl_link_set_up(host_end, true)) < 0)
		return r;
	return in_netns(ns, configure_ns_side, d);
}

int net_up(const char *name, char *bridge, size_t n)
{
	_cleanup_free_ struct net_reservation *res = calloc(NET_MAX_RESERVED, sizeof(*res));
	_cleanup_close_ int lock = -1;
	char br[32], path[128];
	struct netdef d;
	size_t nres;
	int r;

	if (!res)
		return err_set(-ENOMEM, "out of memory");
	if ((r = net_lock(name, &lock)) < 0 || (r = net_load(name, &d)) < 0 ||
	    (r = net_reservations(name, res, NET_MAX_RESERVED, &nres)) < 0)
		return r;
	net_bridge_name(name, br, sizeof(br));
	if (bridge)
		snprintf(bridge, n, "%s", br);
	if (!nl_link_exists(br) && (r = nl_bridge_create(br)) < 0)
		return r;
	if ((r = nl_link_set_up(br, true)) < 0)
		return r;
	if (d.mode == NET_INTERNAL) {
		if ((r = up_internal(&d, br)) < 0)
			return r;
	} else if ((r = ensure_addr(br, net_gateway(&d), d.prefix)) < 0) {
		return r;
	}
	if (d.mode == NET_NATNET) {
		/* port forwards to 127.0.0.1 are DNAT'ed out of this bridge */
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/route_localnet", br);
		if ((r = write_sysctl(path, "1")) < 0 || (r = forwarding_on()) < 0)
			return r;
	}
	if ((r = nft_apply(&d, res, nres)) < 0 || (r = dhcp_write_hosts(&d, res, nres)) < 0)
		return r;
	return dhcp_start(&d);
}

int net_down(const char *name)
{
	char br[32], ns[128], veth[32];
	struct netdef d;
	int r = 0;

	if (net_load(name, &d) < 0)
		err_clear(); /* tear down what can be found even with a damaged definition */
	dhcp_stop(name);
	if (nft_remove(name) < 0 && r == 0)
		r = -EIO;
	snprintf(veth, sizeof(veth), "hvd-%s", name);
	if (nl_link_exists(veth))
		nl_link_delete(veth);
	snprintf(ns, sizeof(ns), NETNS_DIR "/hv-%s", name);
	if (access(ns, F_OK) == 0)
		netns_delete(ns);
	net_bridge_name(name, br, sizeof(br));
	if (nl_link_exists(br) && nl_link_delete(br) < 0 && r == 0)
		r = -EIO;
	forwarding_restore();
	return r < 0 ? err_prefix(r, "cannot take network %s off the host", name) : 0;
}

int net_state(const char *name, struct net_state *st)
{
	char br[32];

	memset(st, 0, sizeof(*st));
	net_bridge_name(name, br, sizeof(br));
	st->bridge = nl_link_exists(br);
	st->table = nft_present(name);
	st->dhcp = dhcp_running(name, &st->dhcp_pid);
	return 0;
}
