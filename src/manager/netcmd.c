/* SPDX-License-Identifier: MIT */
#include "manager/netcmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/ops.h"
#include "engine/qmp-ops.h"
#include "manager/store.h"
#include "manager/vmops.h"
#include "guest/ciinfo.h"
#include "network/net.h"
#include "network/netlink.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

/* One entry of guest.json: its ipv4 when its mac is want. */
struct guest_nic_want {
	const char *mac;
	uint32_t *ip;
	int *prefix;
};

static int guest_nic(struct json_object *e, size_t i, const char *path, void *ctx)
{
	struct guest_nic_want *w = ctx;
	const char *mac, *ipv4 = NULL;
	int r;

	(void)i;
	if ((r = json_need_str(e, "mac", path, &mac)) < 0 ||
	    ((r = json_get_str(e, "ipv4", path, &ipv4)) < 0 && r != -ENOENT))
		return r;
	if (!strcasecmp(mac, w->mac) && ipv4 && ip4_parse_host_prefix(ipv4, w->ip, w->prefix) < 0)
		return err_prefix(-EINVAL, "%s.ipv4", path);
	return 0;
}

/* The guest's own report (guest.json, written by the VM's monitor).  A
 * damaged one is replaced by an empty report (the guest's next one
 * rewrites it) and said in a warning. */
static void guest_report(int dirfd, const uint8_t mac[6], uint32_t *ip, int *prefix)
{
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ char *text = NULL;
	struct json_object *nics;
	char want[32], why[512];
	struct guest_nic_want w = { want, ip, prefix };
	size_t len;
	int r;

	*ip = 0;
	*prefix = 0;
	mac_format(mac, want, sizeof(want));
	if ((r = fs_read_all(dirfd, "guest.json", 65536, &text, &len)) == -ENOENT)
		return;
	if (r < 0 || (r = json_parse_object(text, len, "guest.json", &o)) < 0 ||
	    (r = json_get_array(o, "nics", "guest.json", &nics)) < 0 ||
	    (r = json_array_each(nics, "guest.json.nics", 64, guest_nic, &w)) < 0) {
		snprintf(why, sizeof(why), "%s", r == -ENOENT ? "guest.json: nics is missing" : err_msg_for(r));
		*ip = 0;
		*prefix = 0;
		if (json_write_atomic(dirfd, "guest.json", "{ \"nics\": [] }") == 0)
			err_warn("guest.json was damaged (%s): replaced by an empty report until the guest reports "
				 "again",
				 why);
	}
	err_clear();
}

/* What a cloud-init guest printed on its console since this boot began. */
static bool console_report(int dirfd, const uint8_t mac[6], uint32_t *ip, int *prefix)
{
	_cleanup_free_ char *log = NULL;
	size_t len, from;
	char m[32];

	if (vm_boot_console(dirfd, &log, &len, &from) < 0)
		return false;
	mac_format(mac, m, sizeof(m));
	return ciinfo_find_ipv4(log + from, len - from, m, ip, prefix) == 1;
}

/* The guest agent's view of the interfaces, asked once per hv ip. */
struct agent_view {
	bool asked;
	struct agent_iface ifs[AGENT_MAX_IFACES];
	unsigned n;
};

static bool agent_report(int dirfd, struct agent_view *v, const uint8_t mac[6], uint32_t *ip, int *prefix)
{
	if (!v->asked) {
		_cleanup_qga_ struct qga *g = NULL;
		v->asked = true;
		if (!fs_exists_at(dirfd, "agent.sock") ||
		    qga_open_at(dirfd, QGA_PROBE_TIMEOUT_MS, QGA_PROBE_TIMEOUT_MS, &g) < 0 ||
		    agent_network_interfaces(g, QGA_PROBE_TIMEOUT_MS, v->ifs, &v->n) < 0)
			v->n = 0;
		err_clear();
	}
	for (unsigned i = 0; i < v->n; i++) {
		if (!v->ifs[i].has_mac || memcmp(v->ifs[i].mac, mac, 6))
			continue;
		for (unsigned k = 0; k < v->ifs[i].naddrs; k++)
			if (!v->ifs[i].addrs[k].ipv6 && ip4_parse(v->ifs[i].addrs[k].text, ip) == 0) {
				*prefix = v->ifs[i].addrs[k].prefix > 32 ? 0 : v->ifs[i].addrs[k].prefix;
				return true;
			}
	}
	err_clear();
	return false;
}

int vm_addresses(const char *name, struct vm_nic_addr *out, unsigned *n, bool *running)
{
	_cleanup_free_ struct agent_view *agent = calloc(1, sizeof(*agent));
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	int r;

	*n = 0;
	if (!agent)
		return err_set(-ENOMEM, "out of memory");
	if ((r = vm_open(name, &h)) < 0)
		return r;
	if ((r = vmdef_load_vm(&h, &d)) < 0 || (r = status_derive(h.dirfd, h.dir, &st)) < 0) {
		vm_close(&h);
		return r;
	}
	*running = vm_state_active(st.state);
	for (unsigned i = 0; i < d.nnics; i++) {
		struct vm_nic_addr *a = &out[(*n)++];
		char ifname[32];
		memset(a, 0, sizeof(*a));
		a->nic = d.nics[i];
		if (a->nic.mode == NIC_NAT)
			snprintf(a->mode_text, sizeof(a->mode_text), "nat");
		else
			snprintf(a->mode_text, sizeof(a->mode_text), "%s=%s", nic_mode_name(a->nic.mode),
				 a->nic.target);
		if (!*running)
			continue;
		guest_report(h.dirfd, a->nic.mac, &a->guest_ip, &a->guest_prefix);
		if (a->nic.mode == NIC_NETWORK && net_lease_ip(a->nic.target, a->nic.mac, &a->ip) > 0) {
			struct netdef nd;
			a->source = "dhcp-lease";
			if (net_load(a->nic.target, &nd) == 0)
				a->prefix = nd.prefix;
		} else if (a->nic.mode == NIC_BRIDGE &&
			   nl_neigh_find_mac(a->nic.mac, &a->ip, ifname, sizeof(ifname)) > 0) {
			a->source = "neighbour";
		} else if (a->guest_ip) {
			a->ip = a->guest_ip;
			a->prefix = a->guest_prefix;
			a->source = "guest";
		} else if (agent_report(h.dirfd, agent, a->nic.mac, &a->guest_ip, &a->guest_prefix)) {
			/* qemu-guest-agent: guest-network-get-interfaces */
			a->ip = a->guest_ip;
			a->prefix = a->guest_prefix;
			a->source = "agent";
		} else if (console_report(h.dirfd, a->nic.mac, &a->guest_ip, &a->guest_prefix)) {
			/* cloud-init's table on the console of this boot */
			a->ip = a->guest_ip;
			a->prefix = a->guest_prefix;
			a->source = "cloud-init";
		}
		err_clear();
	}
	vmdef_free(&d);
	vm_close(&h);
	return 0;
}

static int first_nat(const struct vmdef *d)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].mode == NIC_NAT)
			return (int)i;
	return -1;
}

int vm_forward_list(const char *name, struct nic_forward *out, unsigned *n)
{
	struct vm_handle h;
	struct vmdef d;
	int r, k;

	*n = 0;
	if ((r = vm_open(name, &h)) < 0)
		return r;
	if ((r = vmdef_load_vm(&h, &d)) == 0 && (k = first_nat(&d)) >= 0) {
		memcpy(out, d.nics[k].fwd, d.nics[k].nfwd * sizeof(*out));
		*n = d.nics[k].nfwd;
	}
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

/* Apply to the running QEMU (the NAT NIC i is QEMU's netdev "netI"). */
static int forward_live(struct vm_handle *h, int nic, bool add, const struct nic_forward *f)
{
	struct qmp_hostfwd fwd = { .udp = !strcmp(f->proto, "udp"),
				   .host_addr = f->host_addr,
				   .host_port = f->host_port,
				   .guest_port = f->guest_port };
	struct qmp *q = NULL;
	char netdev[16];
	int r;

	snprintf(netdev, sizeof(netdev), "net%d", nic);
	if ((r = vm_qmp_open(h, &q)) < 0)
		return r;
	r = add ? qmp_hostfwd_add(q, netdev, &fwd) : qmp_hostfwd_remove(q, netdev, &fwd);
	qmp_close(q);
	return r;
}

int vm_forward_change(const char *name, bool add, const char *spec)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct nic_forward f;
	char text[64];
	int r, k;

	if ((r = forward_parse(spec, &f)) < 0) {
		/* remove needs only the host side: "tcp:8080" */
		char longer[96];
		snprintf(longer, sizeof(longer), "%s:1", spec);
		if (add || strlen(spec) > 80 || forward_parse(longer, &f) < 0)
			return r;
		err_clear();
	}
	if ((r = vm_lock_and_load(name, &h, &d, &st)) < 0)
		return r;
	if ((k = first_nat(&d)) < 0) {
		r = err_set(-EINVAL, "VM '%s' has no nat NIC (forwards of hv networks: hv net forward)", name);
		goto out;
	}
	struct nic *n = &d.nics[k];
	unsigned at = n->nfwd;
	for (unsigned i = 0; i < n->nfwd; i++)
		if (forward_same_host_port(&n->fwd[i], &f))
			at = i;
	forward_format(&f, text, sizeof(text));
	if (add && at < n->nfwd) {
		r = err_set(-EEXIST, "VM '%s' already forwards %s port %u", name, f.proto, f.host_port);
		goto out;
	}
	if (!add && at == n->nfwd) {
		r = err_set(-ENOENT, "VM '%s' has no forward of %s port %u", name, f.proto, f.host_port);
		goto out;
	}
	if (add && n->nfwd == NIC_MAX_FORWARDS) {
		r = err_set(-ENOSPC, "at most %d forwards per NIC", NIC_MAX_FORWARDS);
		goto out;
	}
	if (add && (r = host_port_check(f.proto, f.host_addr, f.host_port)) < 0)
		goto out;
	if (vm_state_active(st.state) && (r = forward_live(&h, k, add, add ? &f : &n->fwd[at])) < 0)
		goto out;
	if (add)
		n->fwd[n->nfwd++] = f;
	else
		n->fwd[at] = n->fwd[--n->nfwd];
	r = vmdef_save(h.dirfd, &d);
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int vms_on_network(const char *net, char ***out, size_t *nout)
{
	char **names, **users = NULL;
	size_t n, k = 0;
	int r = store_list(&names, &n);

	*out = NULL;
	*nout = 0;
	if (r < 0)
		return r;
	users = calloc(n + 1, sizeof(*users));
	for (size_t i = 0; users && i < n; i++) {
		struct vm_handle h;
		struct vmdef d;
		bool on = false;
		if (vm_open(names[i], &h) < 0)
			continue;
		if (vmdef_load(h.dirfd, &d) == 0) {
			for (unsigned j = 0; j < d.nnics; j++)
				on |= d.nics[j].mode == NIC_NETWORK && !strcmp(d.nics[j].target, net);
			vmdef_free(&d);
		}
		vm_close(&h);
		if (on)
			users[k++] = strdup(names[i]);
	}
	store_list_free(names, n);
	err_clear();
	if (!users)
		return -ENOMEM;
	*out = users;
	*nout = k;
	return 0;
}

int vm_net_delete(const char *net, bool force)
{
	char **users, list[512] = "";
	struct netdef d;
	size_t n;
	int r;

	/* a damaged definition must not make a network undeletable */
	if ((r = net_load(net, &d)) < 0 && (!force || r == -ENOENT || r == -ENOMEM))
		return r;
	err_clear();
	if ((r = vms_on_network(net, &users, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "", users[i]);
	}
	store_list_free(users, n);
	if (n)
		return err_set(-EBUSY,
			       "network %s is used by VM%s %s: change their --nic (hv set) or delete them first", net,
			       n > 1 ? "s" : "", list);
	return net_destroy(net);
}
