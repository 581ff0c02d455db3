/* SPDX-License-Identifier: MIT */
/* A lab checked against the host and the store before anything changes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image/catalog.h"
#include "lab/lab.h"
#include "manager/vm.h"
#include "network/addr.h"
#include "network/net.h"
#include "util/cleanup.h"
#include "util/err.h"

static int check_unique(const struct lab *l)
{
	for (unsigned i = 0; i < l->nnets; i++)
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(l->nets[i].name, l->nets[j].name))
				return err_set(-EINVAL, "networks[%u].name: two networks are named '%s'", i,
					       l->nets[i].name);
	for (unsigned i = 0; i < l->nvms; i++)
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(l->vms[i].name, l->vms[j].name))
				return err_set(-EINVAL, "vms[%u].name: two VMs are named '%s'", i, l->vms[i].name);
	return 0;
}

/* A network of the lab: new (its subnet free), or the lab's own, unchanged. */
static int check_net(const struct lab *l, unsigned i)
{
	const struct lab_net *n = &l->nets[i];
	struct netdef d;
	uint32_t a, b;
	int pa, pb, r;

	if (net_load(n->full, &d) == 0) {
		if (strcmp(d.lab, l->name))
			return err_set(-EEXIST, "networks[%u]: a network named '%s' exists and is not part of lab '%s'",
				       i, n->full, l->name);
		if (d.mode != n->mode)
			return err_set(-EINVAL,
				       "networks[%u]: network '%s' is %s, the file says %s (hv down --delete, then hv "
				       "up, makes it anew)",
				       i, n->full, net_mode_name(d.mode), net_mode_name(n->mode));
		return 0;
	}
	err_clear();
	if (!n->subnet)
		return 0;
	if ((r = net_subnet_check(n->full, n->subnet)) < 0)
		return err_prefix(r, "networks[%u].subnet", i);
	ip4_parse_cidr(n->subnet, &a, &pa);
	for (unsigned j = 0; j < i; j++)
		if (l->nets[j].subnet && ip4_parse_cidr(l->nets[j].subnet, &b, &pb) == 0 && ip4_overlap(a, pa, b, pb))
			return err_set(-EINVAL, "networks[%u].subnet: %s overlaps network '%s' (%s)", i, n->subnet,
				       l->nets[j].name, l->nets[j].subnet);
	return 0;
}

static bool lab_has_net(const struct lab *l, const char *full)
{
	for (unsigned i = 0; i < l->nnets; i++)
		if (!strcmp(l->nets[i].full, full))
			return true;
	return false;
}

static int check_nics(const struct lab *l, unsigned i, bool *nat)
{
	const struct lab_vm *v = &l->vms[i];
	struct nic n;
	int r;

	*nat = !v->nnics && !v->no_nics;
	for (unsigned k = 0; k < v->nnics; k++) {
		if ((r = nic_parse(v->nics[k], &n)) < 0)
			return err_prefix(r, "vms[%u].nics[%u]", i, k);
		*nat |= n.mode == NIC_NAT;
		if (n.mode != NIC_NETWORK || lab_has_net(l, n.target))
			continue;
		_cleanup_close_ int fd = net_open_dir(n.target);
		if (fd < 0)
			return err_set(-ENOENT, "vms[%u].nics[%u]: no network named '%s' in the lab or in hv net list",
				       i, k, n.target);
	}
	return 0;
}

/* Does the VM already hold this forward while it runs (so its port is
 * in use by the lab itself)? */
static bool holds_forward(const struct vmdef *d, bool running, const struct nic_forward *f)
{
	for (unsigned k = 0; running && k < d->nnics; k++)
		for (unsigned j = 0; j < d->nics[k].nfwd; j++)
			if (forward_same_host_port(&d->nics[k].fwd[j], f))
				return true;
	return false;
}

static int check_forwards(const struct lab *l, unsigned i, bool nat, const struct vmdef *cur, bool running)
{
	const struct lab_vm *v = &l->vms[i];
	struct nic_forward f, g;
	int r;

	if (v->nforwards && !nat)
		return err_set(-EINVAL, "vms[%u].forwards: forwards need a nat NIC (add \"nat\" to nics)", i);
	for (unsigned k = 0; k < v->nforwards; k++) {
		if ((r = forward_parse(v->forwards[k], &f)) < 0)
			return err_prefix(r, "vms[%u].forwards[%u]", i, k);
		for (unsigned j = 0; j <= i; j++)
			for (unsigned m = 0; m < (j == i ? k : l->vms[j].nforwards); m++)
				if (forward_parse(l->vms[j].forwards[m], &g) == 0 && forward_same_host_port(&f, &g))
					return err_set(-EINVAL, "vms[%u].forwards[%u]: host port %u is forwarded twice",
						       i, k, f.host_port);
		if (cur && holds_forward(cur, running, &f))
			continue;
		if ((r = host_port_check(f.proto, f.host_addr, f.host_port)) < 0)
			return err_prefix(r, "vms[%u].forwards[%u]", i, k);
	}
	return 0;
}

static int check_files(const struct lab *l, unsigned i)
{
	const struct lab_vm *v = &l->vms[i];
	uint64_t size;
	int r;

	for (unsigned k = 0; k < v->ndisks; k++)
		if ((r = vm_disk_spec_check(v->disks[k], &size)) < 0)
			return err_prefix(r, "vms[%u].disks[%u]", i, k);
	for (unsigned k = 0; k < v->nshares; k++) {
		struct share s = { 0 };
		r = share_parse(v->shares[k], &s);
		free(s.source);
		if (r < 0)
			return err_prefix(r, "vms[%u].shares[%u]", i, k);
	}
	for (unsigned k = 0; k < v->nkeys; k++)
		if (access(v->ssh_keys[k], R_OK) < 0)
			return err_errno(-errno, "vms[%u].ssh_keys[%u]: cannot read %s", i, k, v->ssh_keys[k]);
	if (v->cloud_init && access(v->cloud_init, R_OK) < 0)
		return err_errno(-errno, "vms[%u].cloud_init: cannot read %s", i, v->cloud_init);
	if (v->image) {
		struct hv_image img;
		if ((r = image_lookup(v->image, &img)) < 0)
			return r == -ENOENT
				   ? err_set(r, "vms[%u].image: no image named '%s' (see hv image list)", i, v->image)
				   : err_prefix(r, "vms[%u].image", i);
		image_free(&img);
	}
	return 0;
}

static int check_vm(const struct lab *l, unsigned i)
{
	const struct lab_vm *v = &l->vms[i];
	struct vmdef d;
	struct vm_status st;
	bool nat, exists;
	int r;

	exists = vm_inspect(v->full, &d, &st) == 0;
	err_clear();
	if (exists && strcmp(d.lab, l->name)) {
		vmdef_free(&d);
		return err_set(-EEXIST, "vms[%u]: a VM named '%s' exists and is not part of lab '%s'", i, v->full,
			       l->name);
	}
	if ((r = check_nics(l, i, &nat)) == 0 &&
	    (r = check_forwards(l, i, nat, exists ? &d : NULL, exists && vm_state_active(st.state))) == 0)
		r = check_files(l, i);
	if (exists)
		vmdef_free(&d);
	return r;
}

int lab_validate(const struct lab *l)
{
	int r;

	if ((r = check_unique(l)) < 0)
		return r;
	for (unsigned i = 0; i < l->nnets; i++)
		if ((r = check_net(l, i)) < 0)
			return r;
	for (unsigned i = 0; i < l->nvms; i++)
		if ((r = check_vm(l, i)) < 0)
			return r;
	return 0;
}
