/* SPDX-License-Identifier: MIT */
/* hv networks: definitions, address plans and reservations in the store. */
#include "network/netdef.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "network/addr.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/home.h"
#include "util/json.h"
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

int net_lower_name_validate(const char *kind, const char *name, size_t max)
{
	size_t n = strlen(name);

	if (n == 0 || n > max)
		return err_set(-EINVAL, "invalid %s name '%s': use 1 to %zu characters", kind, name, max);
	if (!islower((unsigned char)name[0]) && !isdigit((unsigned char)name[0]))
		return err_set(-EINVAL, "invalid %s name '%s': start with a lower-case letter or digit", kind, name);
	for (const char *p = name; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return err_set(-EINVAL, "invalid %s name '%s': use a-z, 0-9 and '-'", kind, name);
	return 0;
}

int net_name_validate(const char *name)
{
	return net_lower_name_validate("network", name, NET_NAME_MAX);
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

int nets_dir(char **out)
{
	char root[4096];
	int r = hv_home(root, sizeof(root));

	*out = NULL;
	if (r < 0)
		return r;
	if (asprintf(out, "%s/networks", root) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	if ((r = fs_mkdir_p(*out, 0700)) < 0) {
		free(*out);
		*out = NULL;
	}
	return r;
}

int net_dir(const char *name, char **out)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	*out = NULL;
	if ((r = net_name_validate(name)) < 0 || (r = nets_dir(&dir)) < 0)
		return r;
	if (asprintf(out, "%s/%s", dir, name) < 0) {
		*out = NULL;
		return -ENOMEM;
	}
	return 0;
}

int net_open_dir(const char *name)
{
	_cleanup_free_ char *dir = NULL;
	int fd, r = net_dir(name, &dir);

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
	_cleanup_close_ int dfd = net_open_dir(name);

	if (dfd < 0)
		return dfd;
	return fs_lock_at(dfd, "lock", true, fd);
}

int net_list(char ***names, size_t *n)
{
	_cleanup_free_ char *dir = NULL;
	int r;

	*names = NULL;
	*n = 0;
	if ((r = nets_dir(&dir)) < 0)
		return r;
	return fs_list_names(dir, net_name_validate, names, n);
}

static int parse_mode(struct json_object *v, void *dst, const char *path)
{
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	return net_mode_parse(json_object_get_string(v), dst) < 0 ? err_prefix(-EINVAL, "%s", path) : 0;
}

static int parse_forward(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	struct netdef *d = ctx;

	(void)i;
	if (!json_object_is_type(e, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", epath, json_kind_name(e));
	if (net_forward_parse(json_object_get_string(e), &d->fwd[d->nfwd]) < 0)
		return err_prefix(-EINVAL, "%s", epath);
	d->nfwd++;
	return 0;
}

/* net.json as written by net_save. */
struct netjson {
	enum net_mode mode;
	const char *subnet;
	int64_t created;
	struct json_object *forwards;
	const char *lab;
};

/* A damaged net.json: one line with the file and the way out. */
static int net_damaged(const char *name, int r)
{
	_cleanup_free_ char *dir = NULL;
	char why[512];

	if (r == -ENOMEM)
		return r;
	snprintf(why, sizeof(why), "%s", err_msg_for(r));
	net_dir(name, &dir);
	return err_set(r,
		       "network %s: %s (in %s; repair or restore the file, or remove the network with: hv net "
		       "delete --force %s)",
		       name, why, dir ? dir : "the store", name);
}

int net_load(const char *name, struct netdef *d)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("mode", JSON_REQUIRED | JSON_NULLABLE, struct netjson, mode, parse_mode),
		JSON_FIELD("subnet", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct netjson, subnet),
		JSON_FIELD("created", JSON_INT64, 0, struct netjson, created),
		JSON_FIELD("forwards", JSON_ARRAY, JSON_NULLABLE, struct netjson, forwards),
		JSON_FIELD("lab", JSON_STR, JSON_NULLABLE, struct netjson, lab),
		JSON_FIELD_END,
	};
	_cleanup_close_ int dfd = net_open_dir(name);
	_cleanup_json_ struct json_object *o = NULL;
	struct netjson j = { 0 };
	int r;

	memset(d, 0, sizeof(*d));
	if (dfd < 0)
		return dfd;
	if ((r = json_read_object(dfd, "net.json", 1 << 20, &o)) < 0)
		return net_damaged(name, r);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if ((r = json_dispatch(o, fields, &j, "net.json", 0)) < 0)
		return net_damaged(name, r);
	if (ip4_parse_cidr(j.subnet, &d->subnet, &d->prefix) < 0)
		return net_damaged(name, err_prefix(-EINVAL, "net.json.subnet"));
	d->mode = j.mode;
	d->created = (time_t)j.created;
	if (j.lab && strlen(j.lab) >= sizeof(d->lab))
		return net_damaged(name,
				   err_set(-EINVAL, "net.json.lab: longer than %zu characters", sizeof(d->lab) - 1));
	snprintf(d->lab, sizeof(d->lab), "%s", j.lab ? j.lab : "");
	if (j.forwards &&
	    (r = json_array_each(j.forwards, "net.json.forwards", NET_MAX_FORWARDS, parse_forward, d)) < 0)
		return net_damaged(name, r);
	return 0;
}

static void forward_text(const struct net_forward *f, char *buf, size_t n)
{
	snprintf(buf, n, "%s:%u:%s:%u", f->proto, f->host_port, f->vm, f->vm_port);
}

int net_save(const struct netdef *d)
{
	_cleanup_close_ int dfd = net_open_dir(d->name);
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *fw = json_object_new_array();
	char buf[160];

	if (dfd < 0) /* a new network: its folder exists, net.json not yet */ {
		_cleanup_free_ char *dir = NULL;
		int r = net_dir(d->name, &dir);
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
	if (d->lab[0])
		json_object_object_add(o, "lab", json_object_new_string(d->lab));
	return json_write_atomic(dfd, "net.json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

/* --- reservations: reservations.json, {"VM": {"mac": M, "ip": I}} --- */

static int reservations_parse(const char *text, size_t len, struct net_reservation *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *o = NULL;
	char path[128];
	int r;

	*n = 0;
	if ((r = json_parse_object(text, len, "reservations.json", &o)) < 0)
		return r;
	json_object_object_foreach(o, vm, val)
	{
		const char *mac, *ip;
		if (*n == max)
			break;
		snprintf(path, sizeof(path), "reservations.json: %.64s", vm);
		if (strlen(vm) >= sizeof(out[*n].vm))
			return err_set(-EINVAL, "%s: the VM name is too long", path);
		if ((r = json_need_str(val, "mac", path, &mac)) < 0 || (r = json_need_str(val, "ip", path, &ip)) < 0)
			return r;
		if (mac_parse(mac, out[*n].mac) < 0 || ip4_parse(ip, &out[*n].ip) < 0)
			return err_prefix(-EINVAL, "%s", path);
		snprintf(out[*n].vm, sizeof(out[*n].vm), "%s", vm);
		(*n)++;
	}
	return 0;
}

/* The copy dnsmasq reads (NET_RUN_DIR/NAME/hosts, "MAC,IP,VM" lines,
 * written by dhcp_write_hosts at every change): well-formed lines only. */
static void reservations_from_hosts(const char *net, struct net_reservation *out, size_t max, size_t *n)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	*n = 0;
	if (asprintf(&path, NET_RUN_DIR "/%s/hosts", net) < 0 ||
	    fs_read_all(AT_FDCWD, path, 1 << 20, &text, NULL) < 0) {
		err_clear();
		return;
	}
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && *n < max;
	     line = strtok_r(NULL, "\n", &save)) {
		char mac[18], ip[16], vm[64], extra;
		if (sscanf(line, "%17[^,],%15[^,],%63[^,\n]%c", mac, ip, vm, &extra) == 3 &&
		    mac_parse(mac, out[*n].mac) == 0 && ip4_parse(ip, &out[*n].ip) == 0) {
			snprintf(out[*n].vm, sizeof(out[*n].vm), "%s", vm);
			(*n)++;
		}
	}
	err_clear();
}

int net_reservations_load(int dfd, const char *net, struct net_reservation *out, size_t max, size_t *n)
{
	_cleanup_free_ char *text = NULL, *now = NULL;
	char why[512];
	size_t len;
	int r = fs_read_all(dfd, "reservations.json", 1 << 20, &text, &len);

	*n = 0;
	if (r == -ENOENT) {
		err_clear();
		return 0;
	}
	if (r < 0 && r != -EFBIG)
		return r;
	if (r == 0 && (r = reservations_parse(text, len, out, max, n)) == 0)
		return 0;
	if (r == -ENOMEM)
		return r;
	/* damaged: the addresses are state; dnsmasq's copy has them */
	snprintf(why, sizeof(why), "%s", err_msg());
	reservations_from_hosts(net, out, max, n);
	/* never overwrite what another hv command wrote meanwhile */
	if (fs_read_all(dfd, "reservations.json", 1 << 20, &now, &len) == 0 && text && strcmp(now, text))
		return reservations_parse(now, len, out, max, n);
	if ((r = net_reservations_save(dfd, out, *n)) < 0)
		return err_prefix(r, "network %s: reservations.json is damaged (%s) and cannot be rewritten", net, why);
	err_warn("network %s: reservations.json was damaged (%s): rewritten from dnsmasq's hosts file (%zu "
		 "address%s)",
		 net, why, *n, *n == 1 ? "" : "es");
	return 0;
}

int net_reservations_save(int dfd, const struct net_reservation *res, size_t n)
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
	_cleanup_close_ int dfd = net_open_dir(net);

	*n = 0;
	if (dfd < 0)
		return dfd;
	return net_reservations_load(dfd, net, out, max, n);
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
