/* SPDX-License-Identifier: MIT */
/* A VM's NICs: from options to definitions, and from definitions to the
 * TAPs and slirp forwards QEMU gets. */
#include "manager/nics.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "manager/store.h"
#include "manager/vmdef.h"
#include "network/net.h"
#include "network/netlink.h"
#include "util/err.h"

/* Is mac used by any NIC in the store (or earlier in out)? */
static bool mac_taken(const uint8_t mac[6], const struct nic *out, unsigned n)
{
	struct vmdef_iter it;
	bool taken = false;

	for (unsigned i = 0; i < n; i++)
		if (!memcmp(out[i].mac, mac, 6))
			return true;
	for (int r = vmdef_iter_open(&it, false); r >= 0 && !taken && (r = vmdef_iter_next(&it)) > 0;)
		for (unsigned k = 0; k < it.def.nnics; k++)
			taken |= !memcmp(it.def.nics[k].mac, mac, 6);
	vmdef_iter_close(&it);
	err_clear();
	return taken;
}

static int check_target(const struct nic *n)
{
	struct netdef d;

	if (n->mode == NIC_NETWORK)
		return net_load(n->target, &d);
	if (n->mode == NIC_BRIDGE && !nl_link_is_bridge(n->target))
		return err_set(-ENODEV,
			       "%s is not a bridge on this host (--nic bridge=%s); create it first, or use "
			       "--nic network=NET",
			       n->target, n->target);
	return 0;
}

int nics_resolve(const struct nic_request *req, const char *vm_name, const struct nic *old, unsigned nold,
		 struct nic *out, unsigned *nout)
{
	struct nic_forward fwd;
	int nat = -1, r;

	*nout = 0;
	if (req->none && req->nspecs)
		return err_set(-EINVAL, "--nic none cannot be combined with other --nic options");
	for (unsigned i = 0; i < req->nspecs; i++) {
		if ((r = nic_parse(req->specs[i], &out[i])) < 0 || (r = check_target(&out[i])) < 0)
			return r;
		(*nout)++;
	}
	if (!req->none && req->nspecs == 0) {
		memset(&out[0], 0, sizeof(out[0])); /* the default: one NAT NIC */
		*nout = 1;
	}
	for (unsigned i = 0; i < *nout; i++) {
		if (out[i].mode == NIC_NAT && nat < 0)
			nat = (int)i;
		if (out[i].mac_set)
			continue;
		/* a NIC that keeps its place and kind keeps its MAC */
		if (i < nold && old[i].mode == out[i].mode && !strcmp(old[i].target, out[i].target)) {
			memcpy(out[i].mac, old[i].mac, 6);
			out[i].nfwd = old[i].nfwd;
			memcpy(out[i].fwd, old[i].fwd, sizeof(out[i].fwd));
		} else {
			do {
				if ((r = mac_random(out[i].mac)) < 0)
					return r;
			} while (mac_taken(out[i].mac, out, i));
		}
		out[i].mac_set = true;
	}
	for (unsigned i = 0; i < *nout; i++)
		for (unsigned k = 0; k < i; k++)
			if (!memcmp(out[i].mac, out[k].mac, 6))
				return err_set(-EEXIST, "two NICs have the same MAC");
	if (req->nforwards && nat < 0)
		return err_set(-EINVAL, "--forward needs a nat NIC (port forwards of hv networks: hv net forward)");
	for (unsigned i = 0; i < req->nforwards; i++) {
		struct nic *n = &out[nat];
		if ((r = forward_parse(req->forwards[i], &fwd)) < 0)
			return r;
		for (unsigned k = 0; k < n->nfwd; k++)
			if (forward_same_host_port(&n->fwd[k], &fwd))
				return err_set(-EEXIST, "--forward %s: host port %u is forwarded twice",
					       req->forwards[i], fwd.host_port);
		if (n->nfwd == NIC_MAX_FORWARDS)
			return err_set(-ENOSPC, "at most %d forwards per NIC", NIC_MAX_FORWARDS);
		/* taken now is likely taken at start: say so at once */
		if ((r = host_port_check(fwd.proto, fwd.host_addr, fwd.host_port)) < 0)
			return r;
		n->fwd[n->nfwd++] = fwd;
	}
	/* fixed addresses on hv networks, so forwards and names stay put */
	for (unsigned i = 0; vm_name && i < *nout; i++)
		if (out[i].mode == NIC_NETWORK && (r = net_reserve(out[i].target, vm_name, out[i].mac, &out[i].ip)) < 0)
			return r;
	return 0;
}

int nics_prepare(const struct nic *nics, unsigned n, const char *hostname, int first_fd, struct nics_host *h,
		 struct engine_vm *vm)
{
	char bridge[32];
	int r;

	memset(h, 0, sizeof(*h));
	for (unsigned i = 0; i < ENGINE_MAX_NICS; i++)
		h->tap_fds[i] = -1;
	for (unsigned i = 0; i < n && i < ENGINE_MAX_NICS; i++, h->n++) {
		struct engine_nic *e = &vm->nics[i];
		memset(e, 0, sizeof(*e));
		memcpy(e->mac, nics[i].mac, 6);
		e->tap_fd = -1;
		if (nics[i].mode == NIC_NAT) {
			e->user = true;
			e->hostname = hostname;
			for (unsigned f = 0; f < nics[i].nfwd && f < ENGINE_MAX_HOSTFWD; f++) {
				/* QEMU would fail later with a vaguer message */
				if ((r = host_port_check(nics[i].fwd[f].proto, nics[i].fwd[f].host_addr,
							 nics[i].fwd[f].host_port)) < 0)
					goto fail;
				forward_qemu(&nics[i].fwd[f], h->hostfwd[i][f], sizeof(h->hostfwd[i][f]));
				e->hostfwd[e->nhostfwd++] = h->hostfwd[i][f];
			}
			continue;
		}
		if (nics[i].mode == NIC_NETWORK) {
			if ((r = net_up(nics[i].target, bridge, sizeof(bridge))) < 0)
				goto fail;
		} else {
			snprintf(bridge, sizeof(bridge), "%s", nics[i].target);
			if (!nl_link_is_bridge(bridge)) {
				r = err_set(-ENODEV, "bridge %s does not exist on this host", bridge);
				goto fail;
			}
		}
		if ((r = nl_tap_open("hvt%d", h->tap_names[i], sizeof(h->tap_names[i]))) < 0)
			goto fail;
		h->tap_fds[i] = r;
		if ((r = nl_link_set_master(h->tap_names[i], bridge)) < 0 ||
		    (r = nl_link_set_up(h->tap_names[i], true)) < 0)
			goto fail;
		e->tap_fd = first_fd + (int)i;
	}
	vm->nnics = h->n;
	return 0;
fail:
	nics_release(h);
	return r;
}

void nics_release(struct nics_host *h)
{
	for (unsigned i = 0; i < ENGINE_MAX_NICS; i++)
		if (h->tap_fds[i] >= 0) {
			close(h->tap_fds[i]);
			h->tap_fds[i] = -1;
		}
}
