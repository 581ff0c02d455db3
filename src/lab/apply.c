/* SPDX-License-Identifier: MIT */
/* A lab's plan carried out through the manager (networks, then VMs), and hv down / hv status. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"
#include "manager/netcmd.h"
#include "manager/power.h"
#include "manager/status.h"
#include "manager/vm.h"
#include "network/net.h"
#include "util/cleanup.h"
#include "util/err.h"

static int create_vm(const struct lab *l, const struct lab_vm *v)
{
	struct vm_os_opts os = { .image = v->image,
				 .user = v->user,
				 .cloud_init = v->cloud_init,
				 .disk_size = v->disk_size,
				 .nkeys = v->nkeys };
	struct vm_create_opts o = { .name = v->full,
				    .cpus = v->cpus ? v->cpus : 1,
				    .memory_mib = v->memory_mib ? v->memory_mib : 256,
				    .machine = v->image ? MACHINE_Q35 : MACHINE_MICROVM,
				    .accel = ACCEL_AUTO,
				    .ndisks = v->ndisks,
				    .nshares = v->nshares,
				    .os = v->image ? &os : NULL,
				    .lab = l->name };

	for (unsigned i = 0; i < v->nkeys; i++)
		os.keys[i] = v->ssh_keys[i];
	for (unsigned i = 0; i < v->ndisks; i++)
		o.disks[i] = v->disks[i];
	for (unsigned i = 0; i < v->nshares; i++)
		o.shares[i] = v->shares[i];
	for (unsigned i = 0; i < v->nnics; i++)
		o.nics.specs[i] = v->nics[i];
	o.nics.nspecs = v->nnics;
	o.nics.none = v->no_nics;
	for (unsigned i = 0; i < v->nforwards; i++)
		o.nics.forwards[i] = v->forwards[i];
	o.nics.nforwards = v->nforwards;
	return vm_create(&o);
}

/* The forwards of a VM's nat NIC made the file's: the ones it no longer
 * names removed, the new ones added (hv forward's way). */
static int set_forwards(const struct lab_vm *v)
{
	struct nic_forward have[NIC_MAX_FORWARDS], f;
	unsigned n = NIC_MAX_FORWARDS;
	char spec[64];
	int r;

	if ((r = vm_forward_list(v->full, have, &n)) < 0)
		return r;
	for (unsigned i = 0; i < n; i++) {
		bool keep = false;
		for (unsigned k = 0; k < v->nforwards && !keep; k++)
			keep = forward_parse(v->forwards[k], &f) == 0 && forward_same_host_port(&f, &have[i]) &&
			       f.guest_port == have[i].guest_port && !strcmp(f.proto, have[i].proto);
		forward_format(&have[i], spec, sizeof(spec));
		if (!keep && (r = vm_forward_change(v->full, false, spec)) < 0)
			return r;
	}
	if ((r = vm_forward_list(v->full, have, &n)) < 0)
		return r;
	for (unsigned k = 0; k < v->nforwards; k++) {
		bool present = false;
		if ((r = forward_parse(v->forwards[k], &f)) < 0)
			return r;
		for (unsigned i = 0; i < n && !present; i++)
			present = forward_same_host_port(&f, &have[i]);
		if (!present && (r = vm_forward_change(v->full, true, v->forwards[k])) < 0)
			return r;
	}
	return 0;
}

/* cpus, memory, NICs with their forwards, shares of a stopped VM. */
static int set_vm(const struct lab_vm *v)
{
	unsigned cpus = v->cpus ? v->cpus : 1;
	uint64_t mem = v->memory_mib ? v->memory_mib : 256;
	struct nic_request nics = { .nspecs = v->nnics, .none = v->no_nics };
	const char *tags[SHARE_MAX];
	struct vmdef d;
	struct vm_status st;
	int r;

	for (unsigned i = 0; i < v->nnics; i++)
		nics.specs[i] = v->nics[i];
	if (!v->nnics && !v->no_nics)
		nics.specs[nics.nspecs++] = "nat";
	if ((r = vm_inspect(v->full, &d, &st)) < 0)
		return r;
	for (unsigned i = 0; i < d.shares.n; i++)
		tags[i] = d.shares.v[i].tag;
	/* every old share out, every wanted one in: one change, all or nothing */
	r = v->nshares || d.shares.n
		? vm_set_shares(v->full, (const char *const *)v->shares, v->nshares, tags, d.shares.n)
		: 0;
	vmdef_free(&d);
	if (r < 0 || (r = vm_set(v->full, &cpus, &mem, &nics)) < 0)
		return r;
	return set_forwards(v);
}

/* A running VM changed: stopped, changed, started again.  When the
 * change fails, the VM is started as it was. */
static int restart_set_vm(const struct lab_vm *v)
{
	struct vm_started started;
	struct vm_status final;
	struct err_saved e;
	int r;

	if ((r = vm_stop(v->full, 60, VM_STOP_AUTO, &final)) < 0)
		return r;
	if ((r = set_vm(v)) < 0) {
		err_save(&e);
		vm_start(v->full, &started);
		return err_restore(&e);
	}
	return vm_start(v->full, &started);
}

static int apply_change(const struct lab *l, const struct lab_change *c)
{
	struct vm_started started;
	int r;

	switch (c->kind) {
	case LAB_NET_CREATE: {
		const struct lab_net *n = &l->nets[c->index];
		return net_create(n->full, n->mode, n->subnet, l->name, NULL);
	}
	case LAB_VM_CREATE:
		return create_vm(l, &l->vms[c->index]);
	case LAB_VM_RECREATE:
		if ((r = vm_delete(l->vms[c->index].full, true, false, false, NULL)) < 0)
			return r;
		return create_vm(l, &l->vms[c->index]);
	case LAB_VM_SET:
		return c->restart ? restart_set_vm(&l->vms[c->index]) : set_vm(&l->vms[c->index]);
	case LAB_VM_START:
		return vm_start(l->vms[c->index].full, &started);
	}
	return -EINVAL;
}

int lab_apply(const struct lab *l, const struct lab_plan *p, void (*done)(const char *text, void *ctx), void *ctx)
{
	int r;

	for (unsigned i = 0; i < p->n; i++) {
		if ((r = apply_change(l, &p->v[i])) < 0)
			return err_prefix(r, "%s", p->v[i].text);
		if (done)
			done(p->v[i].text, ctx);
	}
	return 0;
}

static int state_vms(const char *lab, struct lab_state *s)
{
	struct vmdef_iter it;
	int r;

	for (r = vmdef_iter_open(&it, false); r >= 0 && (r = vmdef_iter_next(&it)) > 0;) {
		struct vm_status st;
		if (strcmp(it.def.lab, lab) || s->nvms == ARRAY_SIZE(s->vms))
			continue;
		struct lab_vm_state *v = &s->vms[s->nvms];
		if (status_derive(it.vm.dirfd, it.vm.dir, &st) < 0) {
			err_clear();
			st.state = VM_CRASHED;
		}
		snprintf(v->name, sizeof(v->name), "%s", it.vm.name);
		snprintf(v->state, sizeof(v->state), "%s", vm_state_name(st.state));
		if ((r = vmdef_dup(&it.def, &v->def)) < 0)
			break;
		vm_nic_addresses(v->name, &v->def);
		s->nvms++;
	}
	vmdef_iter_close(&it);
	return r < 0 ? r : 0;
}

static int state_nets(const char *lab, struct lab_state *s)
{
	char **names;
	size_t n;
	int r;

	if ((r = net_list(&names, &n)) < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct lab_net_state *ns = &s->nets[s->nnets];
		struct net_state up;
		if (s->nnets < ARRAY_SIZE(s->nets) && net_load(names[i], &ns->def) == 0 && !strcmp(ns->def.lab, lab)) {
			ns->up = net_state(names[i], &up) == 0 && up.bridge;
			s->nnets++;
		}
		free(names[i]);
	}
	free(names);
	err_clear();
	return 0;
}

int lab_state(const char *lab, struct lab_state *s)
{
	int r;

	memset(s, 0, sizeof(*s));
	if ((r = state_vms(lab, s)) < 0 || (r = state_nets(lab, s)) < 0) {
		lab_state_free(s);
		return r;
	}
	return 0;
}

void lab_state_free(struct lab_state *s)
{
	for (unsigned i = 0; i < s->nvms; i++)
		vmdef_free(&s->vms[i].def);
	s->nvms = 0;
}

static void tell(void (*done)(const char *, void *), void *ctx, const char *fmt, const char *name)
{
	char text[256];

	snprintf(text, sizeof(text), fmt, name);
	if (done)
		done(text, ctx);
}

int lab_down(const char *lab, bool del, int timeout_s, void (*done)(const char *text, void *ctx), void *ctx)
{
	struct lab_state *s = calloc(1, sizeof(*s));
	struct vm_status final;
	int r;

	if (!s)
		return err_set(-ENOMEM, "out of memory");
	if ((r = lab_state(lab, s)) < 0) {
		free(s);
		return r;
	}
	for (unsigned i = 0; i < s->nvms && r >= 0; i++) {
		const char *name = s->vms[i].name;
		bool active = strcmp(s->vms[i].state, "stopped") && strcmp(s->vms[i].state, "crashed");
		if (active && (r = vm_stop(name, timeout_s, VM_STOP_AUTO, &final)) < 0)
			r = err_prefix(r, "stop vm %s", name);
		else if (active)
			tell(done, ctx, "stop vm %s", name);
		if (r >= 0 && del && (r = vm_delete(name, true, false, false, NULL)) < 0)
			r = err_prefix(r, "delete vm %s", name);
		else if (r >= 0 && del)
			tell(done, ctx, "delete vm %s", name);
	}
	for (unsigned i = 0; i < s->nnets && r >= 0; i++) {
		const char *name = s->nets[i].def.name;
		if (del && (r = vm_net_delete(name, false)) < 0)
			r = err_prefix(r, "delete network %s", name);
		else if (del)
			tell(done, ctx, "delete network %s", name);
		else if (s->nets[i].up && (r = net_down(name)) < 0)
			r = err_prefix(r, "stop network %s", name);
		else if (s->nets[i].up)
			tell(done, ctx, "stop network %s", name);
	}
	lab_state_free(s);
	free(s);
	return r < 0 ? r : 0;
}
