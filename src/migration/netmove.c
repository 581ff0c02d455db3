/* SPDX-License-Identifier: MIT */
/* A migrating VM's hv networks and port forwards at both ends (see netmove.h). */
#include "migration/netmove.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "migration/checks.h"
#include "network/addr.h"
#include "network/net.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"

static bool seen_before(const struct vmdef *d, unsigned i)
{
	for (unsigned k = 0; k < i; k++)
		if (d->nics[k].mode == NIC_NETWORK && !strcmp(d->nics[k].target, d->nics[i].target))
			return true;
	return false;
}

/* The VM's reserved address on network net here (0: none). */
static int reserved_ip(const char *net, const char *vm, uint32_t *ip)
{
	_cleanup_free_ struct net_reservation *res = calloc(NET_MAX_RESERVED, sizeof(*res));
	size_t n;
	int r;

	*ip = 0;
	if (!res)
		return err_set(-ENOMEM, "out of memory");
	if ((r = net_reservations(net, res, NET_MAX_RESERVED, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(res[i].vm, vm))
			*ip = res[i].ip;
	return *ip ? 0 : err_set(-ENOENT, "VM '%s' has no address reserved on network %s", vm, net);
}

static struct json_object *describe_one(const char *vm, const struct netdef *n, uint32_t ip)
{
	struct json_object *o = json_object_new_object(), *fw = json_object_new_array();
	char sub[32], spec[128];

	if (!o || !fw) {
		json_object_put(o);
		json_object_put(fw);
		return NULL;
	}
	ip4_format(n->subnet, sub, sizeof(sub));
	snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), "/%d", n->prefix);
	json_object_object_add(o, "name", json_object_new_string(n->name));
	json_object_object_add(o, "mode", json_object_new_string(net_mode_name(n->mode)));
	json_object_object_add(o, "subnet", json_object_new_string(sub));
	ip4_format(ip, sub, sizeof(sub));
	json_object_object_add(o, "ip", json_object_new_string(sub));
	for (unsigned f = 0; f < n->nfwd; f++)
		if (!strcmp(n->fwd[f].vm, vm)) {
			snprintf(spec, sizeof(spec), "%s:%u:%s:%u", n->fwd[f].proto, n->fwd[f].host_port, vm,
				 n->fwd[f].vm_port);
			json_object_array_add(fw, json_object_new_string(spec));
		}
	json_object_object_add(o, "forwards", fw);
	return o;
}

int mig_networks_describe(const char *vm, const struct vmdef *d, struct json_object **out)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return err_set(-ENOMEM, "out of memory");
	for (unsigned i = 0; i < d->nnics; i++) {
		struct netdef n;
		struct json_object *o;
		uint32_t ip;
		int r;
		if (d->nics[i].mode != NIC_NETWORK || seen_before(d, i))
			continue;
		if ((r = net_load(d->nics[i].target, &n)) < 0 || (r = reserved_ip(n.name, vm, &ip)) < 0)
			return r;
		if (!(o = describe_one(vm, &n, ip)))
			return err_set(-ENOMEM, "out of memory");
		json_object_array_add(arr, o);
	}
	*out = arr;
	arr = NULL;
	return 0;
}

/* One network as the source described it; its forwards to the VM. */
struct wanted {
	struct netdef def;
	uint32_t ip; /* the VM's address on it */
	struct json_object *forwards;
};

static int wanted_parse(struct json_object *o, const char *path, struct wanted *w)
{
	const char *name, *mode, *subnet, *ip;
	int r;

	memset(w, 0, sizeof(*w));
	if ((r = json_need_str(o, "name", path, &name)) < 0 || (r = json_need_str(o, "mode", path, &mode)) < 0 ||
	    (r = json_need_str(o, "subnet", path, &subnet)) < 0 || (r = json_need_str(o, "ip", path, &ip)) < 0 ||
	    ((r = json_get_array(o, "forwards", path, &w->forwards)) < 0 && r != -ENOENT))
		return r;
	if ((r = net_name_validate(name)) < 0 || (r = net_mode_parse(mode, &w->def.mode)) < 0 ||
	    (r = ip4_parse_cidr(subnet, &w->def.subnet, &w->def.prefix)) < 0 || (r = ip4_parse(ip, &w->ip)) < 0)
		return err_prefix(r, "%s", path);
	snprintf(w->def.name, sizeof(w->def.name), "%s", name);
	return 0;
}

/* A forward the destination's network has already: the same VM's is no conflict. */
static int forward_free(const struct netdef *have, const struct net_forward *f, const char *vm, bool *present)
{
	*present = false;
	for (unsigned i = 0; i < have->nfwd; i++) {
		const struct net_forward *h = &have->fwd[i];
		if (strcmp(h->proto, f->proto) || h->host_port != f->host_port)
			continue;
		if (strcmp(h->vm, vm))
			return err_set(
			    -EADDRINUSE,
			    "%s port %u of network %s goes to VM '%s' at the destination: remove that forward "
			    "there (hv net forward remove), or this one here",
			    f->proto, f->host_port, have->name, h->vm);
		*present = true;
	}
	return 0;
}

/* Everything of one network, before anything is reserved anywhere. */
static int check_one(const char *vm, const struct wanted *w)
{
	struct netdef have;
	bool missing;
	int r = net_load(w->def.name, &have);

	missing = r == -ENOENT;
	if (r < 0 && !missing)
		return r;
	err_clear();
	if ((r = migcheck_network(&w->def, missing ? NULL : &have)) < 0)
		return r;
	for (size_t i = 0; w->forwards && i < json_object_array_length(w->forwards); i++) {
		struct json_object *e = json_object_array_get_idx(w->forwards, i);
		struct net_forward f;
		bool present;
		if (!json_object_is_type(e, json_type_string) || net_forward_parse(json_object_get_string(e), &f) < 0 ||
		    strcmp(f.vm, vm))
			return err_set(-EPROTO, "prepare: network %s: a bad forward", w->def.name);
		if ((r = forward_free(&have, &f, vm, &present)) < 0)
			return r;
	}
	return 0;
}

static const struct nic *nic_on(const struct vmdef *d, const char *net)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].mode == NIC_NETWORK && !strcmp(d->nics[i].target, net))
			return &d->nics[i];
	return NULL;
}

static int take_one(const char *vm, const struct vmdef *d, const struct wanted *w)
{
	const struct nic *n = nic_on(d, w->def.name);
	struct netdef have;
	uint32_t ip;
	int r;

	if (!n)
		return err_set(-EPROTO, "prepare: the VM has no NIC on network %s", w->def.name);
	if ((r = net_reserve_at(w->def.name, vm, n->mac, w->ip, &ip)) < 0)
		return err_prefix(r, "the VM's address at the destination");
	if ((r = net_load(w->def.name, &have)) < 0)
		return r;
	for (size_t i = 0; w->forwards && i < json_object_array_length(w->forwards); i++) {
		const char *spec = json_object_get_string(json_object_array_get_idx(w->forwards, i));
		struct net_forward f;
		bool present;
		if ((r = net_forward_parse(spec, &f)) < 0 || (r = forward_free(&have, &f, vm, &present)) < 0)
			return r;
		if (!present && (r = net_forward_add(w->def.name, spec)) < 0)
			return err_prefix(r, "network %s at the destination", w->def.name);
	}
	return 0;
}

int mig_networks_take(const char *vm, const struct vmdef *d, struct json_object *arr, unsigned *taken)
{
	size_t n = arr ? json_object_array_length(arr) : 0;
	struct wanted w;
	char path[64];
	int r;

	*taken = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "prepare.networks[%zu]", i);
		if ((r = wanted_parse(json_object_array_get_idx(arr, i), path, &w)) < 0 || (r = check_one(vm, &w)) < 0)
			return r;
	}
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "prepare.networks[%zu]", i);
		if ((r = wanted_parse(json_object_array_get_idx(arr, i), path, &w)) < 0)
			return r;
		(*taken)++;
		if ((r = take_one(vm, d, &w)) < 0)
			return r;
	}
	return 0;
}

void mig_networks_undo(const char *vm, const struct vmdef *d, unsigned taken)
{
	for (unsigned i = 0; i < d->nnics && taken; i++)
		if (d->nics[i].mode == NIC_NETWORK && !seen_before(d, i))
			net_unreserve(d->nics[i].target, vm); /* its forwards go with it */
	err_clear();
}

void mig_networks_refresh(const struct vmdef *d)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].mode == NIC_NETWORK && !seen_before(d, i))
			net_refresh(d->nics[i].target);
	err_clear();
}

int mig_forwards_check(const struct vmdef *d, bool same_host, pid_t source_qemu)
{
	for (unsigned i = 0; i < d->nnics; i++)
		for (unsigned k = 0; k < d->nics[i].nfwd; k++) {
			const struct nic_forward *f = &d->nics[i].fwd[k];
			if (host_port_check(f->proto, f->host_addr, f->host_port) == 0)
				continue;
			if (same_host && mig_port_held_by(f->proto, f->host_port, source_qemu) == 1) {
				err_clear(); /* the source's own forward: it moves at the switchover */
				continue;
			}
			return err_set(
			    -EADDRINUSE,
			    "%s port %u (a forward of the VM's nat NIC) is taken at the destination by another "
			    "program: free it there, or change the forward here (hv forward %s remove|add)",
			    f->proto, f->host_port, d->name);
		}
	return 0;
}
