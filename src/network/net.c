/* SPDX-License-Identifier: MIT */
/* hv networks: creating and destroying them, reserving addresses and
 * forwarding ports; the store below (netdef.c) and what runs on the host
 * (netup.c, dnsmasq.c, nft.c) stay beneath this file. */
#include "network/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/addr.h"
#include "network/dnsmasq.h"
#include "network/netlink.h"
#include "network/nft.h"
#include "network/nic.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"

/* The reservations of a network, on the heap (NET_MAX_RESERVED of them). */
static struct net_reservation *reservations_new(void)
{
	struct net_reservation *res = calloc(NET_MAX_RESERVED, sizeof(*res));

	if (!res)
		err_set(-ENOMEM, "out of memory");
	return res;
}

/* A subnet must not overlap another hv network or anything the host routes. */
static int check_subnet(const char *name, uint32_t net, int prefix)
{
	char **names, dev[32], a[16], b[16];
	size_t n;
	uint32_t rnet;
	int rprefix, r;

	if ((r = net_list(&names, &n)) < 0)
		return r;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct netdef o;
		if (strcmp(names[i], name) && net_load(names[i], &o) == 0 &&
		    ip4_overlap(net, prefix, o.subnet, o.prefix)) {
			ip4_format(o.subnet, a, sizeof(a));
			r = err_set(-EEXIST, "the subnet overlaps network '%s' (%s/%d); pick another --subnet", o.name,
				    a, o.prefix);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r < 0)
		return r;
	r = nl_route_overlap(net, prefix, dev, sizeof(dev), &rnet, &rprefix);
	net_bridge_name(name, a, sizeof(a));
	/* the same network of another store on this host (one bridge hv-NAME
	 * for both: hv migrate moves VMs between them) */
	if (r > 0 && !strcmp(dev, a) && rnet == net && rprefix == prefix)
		return 0;
	if (r > 0) {
		ip4_format(net, a, sizeof(a));
		ip4_format(rnet, b, sizeof(b));
		return err_set(-EEXIST, "%s/%d is already routed on this host (%s/%d via %s); pick another --subnet", a,
			       prefix, b, rprefix, dev[0] ? dev : "?");
	}
	return r;
}

int net_subnet_check(const char *name, const char *cidr)
{
	uint32_t net;
	int prefix, r;

	if ((r = ip4_parse_cidr(cidr, &net, &prefix)) < 0)
		return r;
	return check_subnet(name, net, prefix);
}

int net_create(const char *name, enum net_mode mode, const char *cidr, const char *lab, struct netdef *out)
{
	_cleanup_free_ char *dir = NULL, *stage = NULL;
	struct netdef d = { .mode = mode, .created = time(NULL) };
	int r;

	if ((r = net_name_validate(name)) < 0 || (r = net_dir(name, &dir)) < 0)
		return r;
	if (access(dir, F_OK) == 0)
		return err_set(-EEXIST, "a network named '%s' already exists", name);
	snprintf(d.name, sizeof(d.name), "%s", name);
	if (lab && strlen(lab) >= sizeof(d.lab))
		return err_set(-EINVAL, "lab name '%s' is longer than %zu characters", lab, sizeof(d.lab) - 1);
	snprintf(d.lab, sizeof(d.lab), "%s", lab ? lab : "");
	if (cidr) {
		if ((r = ip4_parse_cidr(cidr, &d.subnet, &d.prefix)) < 0 ||
		    (r = check_subnet(name, d.subnet, d.prefix)) < 0)
			return r;
	} else {
		/* the first free 10.77.N.0/24 */
		for (int i = 1; i < 255; i++) {
			d.subnet = htonl((10u << 24) | (77u << 16) | ((uint32_t)i << 8));
			d.prefix = 24;
			if ((r = check_subnet(name, d.subnet, d.prefix)) == 0)
				break;
			if (r != -EEXIST)
				return r;
		}
		if (r < 0)
			return err_set(-ENOSPC, "no free subnet in 10.77.0.0/16: give one with --subnet");
		err_clear();
	}
	/* stage (networks/.NAME.new-PID), then rename into place: a network
	 * appears whole or not at all */
	{
		const char *slash = strrchr(dir, '/');
		if (asprintf(&stage, "%.*s/.%s.new-%d", (int)(slash - dir), dir, slash + 1, (int)getpid()) < 0) {
			stage = NULL;
			return -ENOMEM;
		}
	}
	if (mkdir(stage, 0755) < 0)
		return err_errno(-errno, "cannot create %s", stage);
	{
		int sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		char buf[64];
		_cleanup_json_ struct json_object *o = json_object_new_object();
		ip4_format(d.subnet, buf, sizeof(buf));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d", d.prefix);
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "mode", json_object_new_string(net_mode_name(mode)));
		json_object_object_add(o, "subnet", json_object_new_string(buf));
		json_object_object_add(o, "created", json_object_new_int64((int64_t)d.created));
		json_object_object_add(o, "forwards", json_object_new_array());
		if (d.lab[0])
			json_object_object_add(o, "lab", json_object_new_string(d.lab));
		r = sfd < 0 ? -errno
			    : json_write_atomic(sfd, "net.json",
						json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
		if (r == 0)
			r = fs_write_atomic(sfd, "lock", "", 0, 0600);
		if (sfd >= 0)
			close(sfd);
	}
	if (r == 0 && renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_NOREPLACE) < 0)
		r = errno == EEXIST ? err_set(-EEXIST, "a network named '%s' already exists", name)
				    : err_errno(-errno, "cannot create %s", dir);
	if (r < 0) {
		fs_rm_rf_at(AT_FDCWD, stage);
		return r;
	}
	if (out)
		*out = d;
	return 0;
}

int net_destroy(const char *name)
{
	_cleanup_free_ char *dir = NULL, *trash = NULL;
	int r;

	if ((r = net_down(name)) < 0 || (r = net_dir(name, &dir)) < 0)
		return r;
	{
		const char *slash = strrchr(dir, '/');
		if (asprintf(&trash, "%.*s/.deleted-%s-%d", (int)(slash - dir), dir, name, (int)getpid()) < 0) {
			trash = NULL;
			return -ENOMEM;
		}
	}
	if (rename(dir, trash) < 0)
		return err_errno(-errno, "cannot remove %s", dir);
	return fs_rm_rf_at(AT_FDCWD, trash);
}

/* After a change: dnsmasq's hosts file and the forwards' targets follow. */
static int refresh(const char *net, const struct net_reservation *res, size_t n)
{
	struct netdef d;
	int r;

	if ((r = net_load(net, &d)) < 0 || (r = dhcp_write_hosts(&d, res, n)) < 0)
		return r;
	if (dhcp_running(net, NULL))
		dhcp_reload(net);
	if (nft_present(net))
		return nft_apply(&d, res, n);
	return 0;
}

/* A network's folder, locked, and its reservations (res holds
 * NET_MAX_RESERVED; NULL: out of memory). */
static int reservations_locked(const char *net, int *dfd, int *lock, struct net_reservation *res, size_t *n)
{
	int r;

	if (!res)
		return -ENOMEM;
	if ((*dfd = net_open_dir(net)) < 0)
		return *dfd;
	if ((r = fs_lock_at(*dfd, "lock", true, lock)) < 0 ||
	    (r = net_reservations_load(*dfd, net, res, NET_MAX_RESERVED, n)) < 0)
		return r;
	return 0;
}

int net_refresh(const char *net)
{
	_cleanup_free_ struct net_reservation *res = reservations_new();
	_cleanup_close_ int dfd = -1, lock = -1;
	size_t n;
	int r;

	if ((r = reservations_locked(net, &dfd, &lock, res, &n)) < 0)
		return r;
	return refresh(net, res, n);
}

/* The first free address of the reserved range, or want (0: any). */
static int pick_address(const struct netdef *d, const struct net_reservation *res, size_t n, uint32_t want,
			uint32_t *ip)
{
	uint32_t lo, hi, dlo, dhi;
	char a[16];

	net_ranges(d, &lo, &hi, &dlo, &dhi);
	for (uint32_t h = ntohl(lo); h <= ntohl(hi); h++) {
		bool used = false;
		if (want && h != ntohl(want))
			continue;
		for (size_t i = 0; i < n && !used; i++)
			used = ntohl(res[i].ip) == h;
		if (!used) {
			*ip = htonl(h);
			return 0;
		}
	}
	if (!want)
		return err_set(-ENOSPC, "network %s has no free address to reserve", d->name);
	ip4_format(want, a, sizeof(a));
	for (size_t i = 0; i < n; i++)
		if (res[i].ip == want)
			return err_set(-EADDRINUSE, "address %s of network %s is reserved for VM '%s'", a, d->name,
				       res[i].vm);
	return err_set(-ERANGE, "address %s is outside the reserved range of network %s", a, d->name);
}

int net_reserve_at(const char *net, const char *vm, const uint8_t mac[6], uint32_t want, uint32_t *ip)
{
	_cleanup_free_ struct net_reservation *res = reservations_new();
	_cleanup_close_ int dfd = -1, lock = -1;
	struct netdef d;
	size_t n;
	int r;

	if ((r = reservations_locked(net, &dfd, &lock, res, &n)) < 0 || (r = net_load(net, &d)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(res[i].vm, vm))
			continue;
		if (!want || res[i].ip == want) {
			/* one address per VM and network: a new MAC takes it over */
			memcpy(res[i].mac, mac, 6);
			*ip = res[i].ip;
			return net_reservations_save(dfd, res, n) ?: refresh(net, res, n);
		}
		/* one address per VM: the one asked for replaces it */
		memmove(&res[i], &res[i + 1], (n - i - 1) * sizeof(*res));
		n--;
		break;
	}
	if (n == NET_MAX_RESERVED)
		return err_set(-ENOSPC, "network %s has no free address to reserve", net);
	if ((r = pick_address(&d, res, n, want, ip)) < 0)
		return r;
	snprintf(res[n].vm, sizeof(res[n].vm), "%s", vm);
	memcpy(res[n].mac, mac, 6);
	res[n].ip = *ip;
	n++;
	if ((r = net_reservations_save(dfd, res, n)) < 0)
		return r;
	return refresh(net, res, n);
}

int net_reserve(const char *net, const char *vm, const uint8_t mac[6], uint32_t *ip)
{
	return net_reserve_at(net, vm, mac, 0, ip);
}

int net_unreserve(const char *net, const char *vm)
{
	_cleanup_free_ struct net_reservation *res = reservations_new();
	_cleanup_close_ int dfd = -1, lock = -1;
	size_t n, k = 0;
	int r;

	if ((r = reservations_locked(net, &dfd, &lock, res, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (strcmp(res[i].vm, vm))
			res[k++] = res[i];
	if (k == n)
		return 0;
	if ((r = net_reservations_save(dfd, res, k)) < 0)
		return r;
	/* forwards to a VM that left the network go with it */
	struct netdef d;
	if (net_load(net, &d) == 0) {
		unsigned kept = 0;
		for (unsigned i = 0; i < d.nfwd; i++)
			if (strcmp(d.fwd[i].vm, vm))
				d.fwd[kept++] = d.fwd[i];
		if (kept != d.nfwd) {
			d.nfwd = kept;
			if ((r = net_save(&d)) < 0)
				return r;
		}
	}
	return refresh(net, res, k);
}

void net_unreserve_all(const char *vm)
{
	char **names;
	size_t n;

	if (net_list(&names, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			net_unreserve(names[i], vm);
			free(names[i]);
		}
		free(names);
	}
	err_clear();
}

/* dnsmasq's lease file: "EXPIRY MAC IP HOSTNAME CLIENTID" per line.  The
 * file is written by dnsmasq from what DHCP clients (guests) said: lines
 * that do not parse are skipped. */
int net_lease_find(char *text, const uint8_t mac[6], uint32_t *ip)
{
	char want[32];

	*ip = 0;
	mac_format(mac, want, sizeof(want));
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char m[32], a[32];
		if (sscanf(line, "%*s %31s %31s", m, a) == 2 && !strcasecmp(m, want) && ip4_parse(a, ip) == 0)
			return 1;
	}
	*ip = 0;
	err_clear();
	return 0;
}

int net_lease_ip(const char *net, const uint8_t mac[6], uint32_t *ip)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *dir = NULL;
	int r;

	*ip = 0;
	if ((r = dhcp_dir(net, false, &dir)) < 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if ((r = fs_read_all(dfd, "leases", 1 << 20, &text, NULL)) < 0) {
		err_clear();
		return 0;
	}
	return net_lease_find(text, mac, ip);
}

int net_forward_add(const char *name, const char *spec)
{
	_cleanup_free_ struct net_reservation *res = reservations_new();
	struct net_forward f;
	struct netdef d;
	_cleanup_close_ int lock = -1;
	bool on_net = false;
	size_t n;
	int r;

	if (!res)
		return -ENOMEM;
	if ((r = net_forward_parse(spec, &f)) < 0 || (r = net_lock(name, &lock)) < 0 || (r = net_load(name, &d)) < 0)
		return r;
	if (d.mode != NET_NATNET)
		return err_set(-EINVAL, "network %s is %s: only natnet networks forward ports", name,
			       net_mode_name(d.mode));
	if ((r = net_reservations(name, res, NET_MAX_RESERVED, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		on_net |= !strcmp(res[i].vm, f.vm);
	if (!on_net)
		return err_set(-ENOENT, "VM '%s' is not on network %s (give it --nic network=%s)", f.vm, name, name);
	for (unsigned i = 0; i < d.nfwd; i++)
		if (!strcmp(d.fwd[i].proto, f.proto) && d.fwd[i].host_port == f.host_port)
			return err_set(-EEXIST, "network %s already forwards %s port %u", name, f.proto, f.host_port);
	if (d.nfwd == NET_MAX_FORWARDS)
		return err_set(-ENOSPC, "network %s has %d forwards already", name, NET_MAX_FORWARDS);
	if ((r = host_port_check(f.proto, 0, f.host_port)) < 0)
		return r;
	d.fwd[d.nfwd++] = f;
	if ((r = net_save(&d)) < 0)
		return r;
	return nft_present(name) ? nft_apply(&d, res, n) : 0;
}

int net_forward_remove(const char *name, const char *spec)
{
	_cleanup_free_ struct net_reservation *res = reservations_new();
	struct net_forward f;
	struct netdef d;
	_cleanup_close_ int lock = -1;
	size_t n;
	unsigned k = 0;
	int r;

	if (!res)
		return -ENOMEM;
	if ((r = net_forward_parse(spec, &f)) < 0 || (r = net_lock(name, &lock)) < 0 || (r = net_load(name, &d)) < 0)
		return r;
	for (unsigned i = 0; i < d.nfwd; i++)
		if (strcmp(d.fwd[i].proto, f.proto) || d.fwd[i].host_port != f.host_port)
			d.fwd[k++] = d.fwd[i];
	if (k == d.nfwd)
		return err_set(-ENOENT, "network %s has no forward of %s port %u", name, f.proto, f.host_port);
	d.nfwd = k;
	if ((r = net_save(&d)) < 0 || (r = net_reservations(name, res, NET_MAX_RESERVED, &n)) < 0)
		return r;
	return nft_present(name) ? nft_apply(&d, res, n) : 0;
}
