/* SPDX-License-Identifier: MIT */
/* hv networks: definitions, address plans and reservations in the store. */
#include "network/net.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "network/netlink.h"
#include "network/nic.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/home.h"
#include "util/jsonfile.h"

static const char *const mode_names[] = { "natnet", "host-only", "internal" };

const char *net_mode_name(enum net_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

int net_mode_parse(const char *s, enum net_mode *m)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum net_mode)i;
			return 0;
		}
	return err_set(-EINVAL, "unknown network mode '%s' (use natnet, host-only or internal)", s);
}

int net_name_validate(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NET_NAME_MAX)
		return err_set(-EINVAL, "invalid network name '%s': use 1 to %d characters", name, NET_NAME_MAX);
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return err_set(-EINVAL, "invalid network name '%s': start with a lower-case letter or digit", name);
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return err_set(-EINVAL, "invalid network name '%s': use a-z, 0-9 and '-'", name);
	return 0;
}

static uint32_t host_part(const struct netdef *d, uint32_t i)
{
	return htonl(ntohl(d->subnet) + i);
}

uint32_t net_gateway(const struct netdef *d)
{
	return host_part(d, 1);
}

void net_ranges(const struct netdef *d, uint32_t *res_lo, uint32_t *res_hi, uint32_t *dyn_lo, uint32_t *dyn_hi)
{
	uint32_t size = 1u << (32 - d->prefix); /* prefix <= 30: at least 4 */
	uint32_t half = size / 2;

	*res_lo = host_part(d, 2);
	*res_hi = host_part(d, half - 1);
	*dyn_lo = host_part(d, half);
	*dyn_hi = host_part(d, size - 2);
}

void net_bridge_name(const char *net, char *buf, size_t n)
{
	snprintf(buf, n, "hv-%s", net);
}

int nets_dir(char *buf, size_t n)
{
	char root[4000];
	int r = hv_home(root, sizeof(root));

	if (r < 0 || (r = fs_path(buf, n, "%s/networks", root)) < 0)
		return r;
	return fs_mkdir_p(buf, 0700);
}

int net_dir(const char *name, char *buf, size_t n)
{
	char dir[4000];
	int r;

	if ((r = net_name_validate(name)) < 0 || (r = nets_dir(dir, sizeof(dir))) < 0)
		return r;
	return fs_path(buf, n, "%s/%s", dir, name);
}

static int open_net_dir(const char *name)
{
	char dir[4096];
	int fd, r = net_dir(name, dir, sizeof(dir));

	if (r < 0)
		return r;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !fs_exists_at(fd, "net.json")) {
		if (fd >= 0)
			close(fd);
		return err_set(-ENOENT, "no network named '%s' (see: hv net list)", name);
	}
	return fd;
}

int net_lock(const char *name, int *fd)
{
	_cleanup_close_ int dfd = open_net_dir(name);

	if (dfd < 0)
		return dfd;
	return fs_lock_at(dfd, "lock", true, fd);
}

int net_list(char ***names, size_t *n)
{
	char dir[4096];
	int r;

	*names = NULL;
	*n = 0;
	if ((r = nets_dir(dir, sizeof(dir))) < 0)
		return r;
	return fs_list_names(dir, net_name_validate, names, n);
}

int net_load(const char *name, struct netdef *d)
{
	_cleanup_close_ int dfd = open_net_dir(name);
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v, *fw;
	int r;

	memset(d, 0, sizeof(*d));
	if (dfd < 0)
		return dfd;
	if ((r = json_read_object(dfd, "net.json", 1 << 20, &o)) < 0)
		return err_prefix(r, "network %s", name);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (!json_object_object_get_ex(o, "mode", &v) || net_mode_parse(json_object_get_string(v), &d->mode) < 0 ||
	    !json_object_object_get_ex(o, "subnet", &v) ||
	    ip4_parse_cidr(json_object_get_string(v), &d->subnet, &d->prefix) < 0)
		return err_set(-EINVAL, "network %s: net.json is damaged", name);
	if (json_object_object_get_ex(o, "created", &v))
		d->created = (time_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "forwards", &fw) && json_object_is_type(fw, json_type_array))
		for (size_t i = 0; i < json_object_array_length(fw) && d->nfwd < NET_MAX_FORWARDS; i++)
			if (net_forward_parse(json_object_get_string(json_object_array_get_idx(fw, i)),
					      &d->fwd[d->nfwd]) == 0)
				d->nfwd++;
	err_clear();
	return 0;
}

static void forward_text(const struct net_forward *f, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%u:%s:%u", f->proto, f->host_port, f->vm, f->vm_port);
}

int net_save(const struct netdef *d)
{
	_cleanup_close_ int dfd = open_net_dir(d->name);
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *fw = json_object_new_array();
	char buf[160];

	if (dfd < 0) /* a new network: its folder exists, net.json not yet */ {
		char dir[4096];
		int r = net_dir(d->name, dir, sizeof(dir));
		if (r < 0 || (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return r < 0 ? r : err_errno(-errno, "cannot open %s", dir);
		err_clear();
	}
	json_object_object_add(o, "name", json_object_new_string(d->name));
	json_object_object_add(o, "mode", json_object_new_string(net_mode_name(d->mode)));
	ip4_format(d->subnet, buf, sizeof(buf));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%d", d->prefix);
	json_object_object_add(o, "subnet", json_object_new_string(buf));
	json_object_object_add(o, "created", json_object_new_int64((int64_t)d->created));
	for (unsigned i = 0; i < d->nfwd; i++) {
		forward_text(&d->fwd[i], buf, sizeof(buf));
		json_object_array_add(fw, json_object_new_string(buf));
	}
	json_object_object_add(o, "forwards", fw);
	return json_write_atomic(dfd, "net.json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
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
	if (r > 0) {
		ip4_format(net, a, sizeof(a));
		ip4_format(rnet, b, sizeof(b));
		return err_set(-EEXIST, "%s/%d is already routed on this host (%s/%d via %s); pick another --subnet", a,
			       prefix, b, rprefix, dev[0] ? dev : "?");
	}
	return r;
}

int net_create(const char *name, enum net_mode mode, const char *cidr, struct netdef *out)
{
	char dir[4096], stage[4200];
	struct netdef d = { .mode = mode, .created = time(NULL) };
	int r;

	if ((r = net_name_validate(name)) < 0 || (r = net_dir(name, dir, sizeof(dir))) < 0)
		return r;
	if (access(dir, F_OK) == 0)
		return err_set(-EEXIST, "a network named '%s' already exists", name);
	snprintf(d.name, sizeof(d.name), "%s", name);
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
	if ((r = fs_path(stage, sizeof(stage), "%s.new-%d", dir, (int)getpid())) < 0)
		return r;
	/* stage, then rename into place: a network appears whole or not at all */
	{
		char *slash = strrchr(stage, '/');
		memmove(slash + 2, slash + 1, strlen(slash + 1) + 1);
		slash[1] = '.';
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
	char dir[4096], trash[4200];
	int r;

	if ((r = net_down(name)) < 0)
		return r;
	if ((r = net_dir(name, dir, sizeof(dir))) < 0 || (r = fs_path(trash, sizeof(trash), "%s", dir)) < 0)
		return r;
	{
		char *slash = strrchr(trash, '/');
		snprintf(slash + 1, sizeof(trash) - (size_t)(slash + 1 - trash), ".deleted-%s-%d", name, (int)getpid());
	}
	if (rename(dir, trash) < 0)
		return err_errno(-errno, "cannot remove %s", dir);
	return fs_rm_rf_at(AT_FDCWD, trash);
}

/* --- reservations: reservations.json, {"VM": {"mac": M, "ip": I}} --- */

static int load_reservations(int dfd, struct net_reservation *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *o = NULL;
	int r = json_read_object(dfd, "reservations.json", 1 << 20, &o);

	*n = 0;
	if (r == -ENOENT) {
		err_clear();
		return 0;
	}
	if (r < 0)
		return r;
	json_object_object_foreach(o, vm, val)
	{
		struct json_object *m, *ip;
		if (*n == max)
			break;
		if (!json_object_object_get_ex(val, "mac", &m) || !json_object_object_get_ex(val, "ip", &ip) ||
		    mac_parse(json_object_get_string(m), out[*n].mac) < 0 ||
		    ip4_parse(json_object_get_string(ip), &out[*n].ip) < 0)
			continue;
		snprintf(out[*n].vm, sizeof(out[*n].vm), "%s", vm);
		(*n)++;
	}
	err_clear();
	return 0;
}

static int save_reservations(int dfd, const struct net_reservation *res, size_t n)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	char buf[32];

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();
		mac_format(res[i].mac, buf, sizeof(buf));
		json_object_object_add(e, "mac", json_object_new_string(buf));
		ip4_format(res[i].ip, buf, sizeof(buf));
		json_object_object_add(e, "ip", json_object_new_string(buf));
		json_object_object_add(o, res[i].vm, e);
	}
	return json_write_atomic(dfd, "reservations.json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

int net_reservations(const char *net, struct net_reservation *out, size_t max, size_t *n)
{
	_cleanup_close_ int dfd = open_net_dir(net);

	if (dfd < 0)
		return dfd;
	return load_reservations(dfd, out, max, n);
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

int net_reserve(const char *net, const char *vm, const uint8_t mac[6], uint32_t *ip)
{
	static struct net_reservation res[NET_MAX_RESERVED];
	_cleanup_close_ int dfd = open_net_dir(net), lock = -1;
	uint32_t lo, hi, dlo, dhi;
	struct netdef d;
	size_t n;
	int r;

	if (dfd < 0)
		return dfd;
	if ((r = fs_lock_at(dfd, "lock", true, &lock)) < 0 || (r = net_load(net, &d)) < 0 ||
	    (r = load_reservations(dfd, res, NET_MAX_RESERVED, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(res[i].vm, vm)) {
			/* one address per VM and network: a new MAC takes it over */
			memcpy(res[i].mac, mac, 6);
			*ip = res[i].ip;
			return save_reservations(dfd, res, n) ?: refresh(net, res, n);
		}
	if (n == NET_MAX_RESERVED)
		return err_set(-ENOSPC, "network %s has no free address to reserve", net);
	net_ranges(&d, &lo, &hi, &dlo, &dhi);
	for (uint32_t a = ntohl(lo); a <= ntohl(hi); a++) {
		bool used = false;
		for (size_t i = 0; i < n && !used; i++)
			used = ntohl(res[i].ip) == a;
		if (used)
			continue;
		snprintf(res[n].vm, sizeof(res[n].vm), "%s", vm);
		memcpy(res[n].mac, mac, 6);
		res[n].ip = htonl(a);
		*ip = res[n].ip;
		n++;
		if ((r = save_reservations(dfd, res, n)) < 0)
			return r;
		return refresh(net, res, n);
	}
	return err_set(-ENOSPC, "network %s has no free address to reserve", net);
}

int net_unreserve(const char *net, const char *vm)
{
	static struct net_reservation res[NET_MAX_RESERVED];
	_cleanup_close_ int dfd = open_net_dir(net), lock = -1;
	size_t n, k = 0;
	int r;

	if (dfd < 0)
		return dfd;
	if ((r = fs_lock_at(dfd, "lock", true, &lock)) < 0 ||
	    (r = load_reservations(dfd, res, NET_MAX_RESERVED, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (strcmp(res[i].vm, vm))
			res[k++] = res[i];
	if (k == n)
		return 0;
	if ((r = save_reservations(dfd, res, k)) < 0)
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

/* dnsmasq's lease file: "EXPIRY MAC IP HOSTNAME CLIENTID" per line. */
int net_lease_ip(const char *net, const uint8_t mac[6], uint32_t *ip)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	char want[32], dir[4096];
	int r;

	*ip = 0;
	if ((r = dhcp_dir(net, dir, sizeof(dir), false)) < 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	if ((r = fs_read_all(dfd, "leases", 1 << 20, &text, NULL)) < 0) {
		err_clear();
		return 0;
	}
	mac_format(mac, want, sizeof(want));
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char m[32], a[32];
		if (sscanf(line, "%*s %31s %31s", m, a) == 2 && !strcasecmp(m, want) && ip4_parse(a, ip) == 0)
			return 1;
	}
	err_clear();
	return 0;
}

/* --- port forwards --- */

int net_forward_parse(const char *spec, struct net_forward *f)
{
	char buf[128], *p[4];
	int n = 0;
	unsigned long hp, vp;
	char *e1, *e2;

	memset(f, 0, sizeof(*f));
	if (!spec || strlen(spec) >= sizeof(buf))
		return err_set(-EINVAL, "bad forward");
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *t = strtok_r(buf, ":", &save); t && n < 4; t = strtok_r(NULL, ":", &save))
		p[n++] = t;
	if (n != 4 || (strcmp(p[0], "tcp") && strcmp(p[0], "udp")))
		return err_set(-EINVAL, "invalid forward '%s': use tcp:HOSTPORT:VM:PORT (or udp:...)", spec);
	hp = strtoul(p[1], &e1, 10);
	vp = strtoul(p[3], &e2, 10);
	if (*e1 || *e2 || hp < 1 || hp > 65535 || vp < 1 || vp > 65535)
		return err_set(-EINVAL, "invalid forward '%s': ports are 1 to 65535", spec);
	if (strlen(p[2]) >= sizeof(f->vm) ||
	    strspn(p[2], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != strlen(p[2]))
		return err_set(-EINVAL, "invalid forward '%s': bad VM name", spec);
	snprintf(f->proto, sizeof(f->proto), "%s", p[0]);
	f->host_port = (uint16_t)hp;
	f->vm_port = (uint16_t)vp;
	snprintf(f->vm, sizeof(f->vm), "%s", p[2]);
	return 0;
}

int net_forward_add(const char *name, const char *spec)
{
	static struct net_reservation res[NET_MAX_RESERVED];
	struct net_forward f;
	struct netdef d;
	_cleanup_close_ int lock = -1;
	bool on_net = false;
	size_t n;
	int r;

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
	static struct net_reservation res[NET_MAX_RESERVED];
	struct net_forward f;
	struct netdef d;
	_cleanup_close_ int lock = -1;
	size_t n;
	unsigned k = 0;
	int r;

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
