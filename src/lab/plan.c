/* SPDX-License-Identifier: MIT */
/* The changes that make the store match a lab: the store's definitions compared with the file. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/cidata.h"
#include "lab/lab.h"
#include "manager/vm.h"
#include "network/net.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/size.h"
#include "util/strv.h"

/* A growing "what -> what" list: "memory 256M -> 512M, cpus 1 -> 2". */
struct diff {
	char text[400];
	size_t len;
};

static void diff_add(struct diff *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void diff_add(struct diff *d, const char *fmt, ...)
{
	va_list ap;

	if (d->len && d->len + 2 < sizeof(d->text))
		d->len += (size_t)snprintf(d->text + d->len, sizeof(d->text) - d->len, ", ");
	if (d->len >= sizeof(d->text))
		return;
	va_start(ap, fmt);
	int k = vsnprintf(d->text + d->len, sizeof(d->text) - d->len, fmt, ap);
	va_end(ap);
	d->len = k < 0 ? d->len : d->len + (size_t)k;
	if (d->len >= sizeof(d->text))
		d->len = sizeof(d->text) - 1;
}

static int add(struct lab_plan *p, enum lab_change_kind kind, unsigned index, bool restart, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int add(struct lab_plan *p, enum lab_change_kind kind, unsigned index, bool restart, const char *fmt, ...)
{
	va_list ap;

	if (p->n == LAB_MAX_CHANGES)
		return err_set(-E2BIG, "too many changes");
	struct lab_change *c = &p->v[p->n++];
	*c = (struct lab_change){ .kind = kind, .index = index, .restart = restart };
	va_start(ap, fmt);
	vsnprintf(c->text, sizeof(c->text), fmt, ap);
	va_end(ap);
	return 0;
}

/* The NICs as text ("nat,network=demo-lan"), from the file and from vm.json. */
static void nics_want(const struct lab_vm *v, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	if (!v->nnics && !v->no_nics)
		snprintf(buf, n, "nat");
	for (unsigned i = 0; i < v->nnics && len < n; i++) {
		struct nic x;
		if (nic_parse(v->nics[i], &x) < 0)
			continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s", i ? "," : "", nic_mode_name(x.mode),
					x.target[0] ? "=" : "", x.target);
	}
	err_clear();
}

static void nics_have(const struct vmdef *d, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->nnics && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s%s%s", i ? "," : "", nic_mode_name(d->nics[i].mode),
					d->nics[i].target[0] ? "=" : "", d->nics[i].target);
}

static void forwards_want(const struct lab_vm *v, char *buf, size_t n)
{
	size_t len = 0;
	char t[64];

	buf[0] = '\0';
	for (unsigned i = 0; i < v->nforwards && len < n; i++) {
		struct nic_forward f;
		if (forward_parse(v->forwards[i], &f) < 0)
			continue;
		forward_format(&f, t, sizeof(t));
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", t);
	}
	err_clear();
}

static void forwards_have(const struct vmdef *d, char *buf, size_t n)
{
	size_t len = 0;
	char t[64];

	buf[0] = '\0';
	for (unsigned i = 0; i < d->nnics; i++)
		for (unsigned j = 0; j < d->nics[i].nfwd && len < n; j++) {
			forward_format(&d->nics[i].fwd[j], t, sizeof(t));
			len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", t);
		}
}

static void shares_want(const struct lab_vm *v, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < v->nshares && len < n; i++) {
		struct share s = { 0 };
		if (share_parse(v->shares[i], &s) == 0)
			len += (size_t)snprintf(buf + len, n - len, "%s%s:%s%s", len ? "," : "", s.source, s.tag,
						s.readonly ? ",ro" : "");
		free(s.source);
	}
	err_clear();
}

static void shares_have(const struct vmdef *d, char *buf, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->shares.n && len < n; i++)
		len += (size_t)snprintf(buf + len, n - len, "%s%s:%s%s", len ? "," : "", d->shares.v[i].source,
					d->shares.v[i].tag, d->shares.v[i].readonly ? ",ro" : "");
}

/* The same comma-separated items in any order (forwards are kept in the
 * order they were added, the file may list them in another). */
static bool same_items(const char *a, const char *b)
{
	size_t na = 0, nb = 0;

	for (const char *p = a; *p; p += strcspn(p, ","), p += *p == ',') {
		size_t len = strcspn(p, ",");
		bool found = false;
		for (const char *q = b; *q && !found; q += strcspn(q, ","), q += *q == ',')
			found = strcspn(q, ",") == len && !strncmp(p, q, len);
		if (!found)
			return false;
		na++;
	}
	for (const char *q = b; *q; q += strcspn(q, ","), q += *q == ',')
		nb++;
	return na == nb;
}

/* What hv set can change on a stopped VM: cpus, memory, NICs, forwards, shares. */
static void settable_diff(const struct lab_vm *v, const struct vmdef *d, struct diff *df)
{
	char want[2048], have[2048], a[32], b[32];
	unsigned cpus = v->cpus ? v->cpus : 1;
	uint64_t mem = v->memory_mib ? v->memory_mib : 256;

	if (cpus != d->cpus)
		diff_add(df, "cpus %u -> %u", d->cpus, cpus);
	if (mem != d->memory_mib) {
		size_format(d->memory_mib * SIZE_MIB, a, sizeof(a));
		size_format(mem * SIZE_MIB, b, sizeof(b));
		diff_add(df, "memory %s -> %s", a, b);
	}
	nics_want(v, want, sizeof(want));
	nics_have(d, have, sizeof(have));
	if (strcmp(want, have))
		diff_add(df, "nics %s -> %s", have[0] ? have : "none", want[0] ? want : "none");
	forwards_want(v, want, sizeof(want));
	forwards_have(d, have, sizeof(have));
	if (!same_items(want, have))
		diff_add(df, "forwards %s -> %s", have[0] ? have : "none", want[0] ? want : "none");
	shares_want(v, want, sizeof(want));
	shares_have(d, have, sizeof(have));
	if (strcmp(want, have))
		diff_add(df, "shares %s -> %s", have[0] ? have : "none", want[0] ? want : "none");
}

static bool keys_differ(const struct lab_vm *v, const struct vmdef *d)
{
	_cleanup_strv_ struct strv keys = { 0 };

	for (unsigned i = 0; i < v->nkeys; i++)
		if (cidata_load_ssh_keys(v->ssh_keys[i], &keys) < 0)
			return true;
	if (keys.n != d->ci.n_ssh_keys)
		return true;
	for (size_t i = 0; i < keys.n; i++)
		if (strcmp(keys.v[i], d->ci.ssh_keys[i]))
			return true;
	return false;
}

/* The user's user-data as the VM keeps it (user-data.in) against the file's. */
static bool user_data_differs(const struct lab_vm *v, const struct vmdef *d)
{
	_cleanup_free_ char *want = NULL, *have = NULL;
	size_t nw = 0, nh = 0;
	struct vm_handle h;

	if (!v->cloud_init || !d->ci.user_data)
		return !v->cloud_init != !d->ci.user_data;
	if (vm_open(v->full, &h) < 0)
		return true;
	int a = fs_read_all(h.dirfd, "user-data.in", CIDATA_USER_DATA_MAX, &have, &nh);
	vm_close(&h);
	int b = fs_read_all(AT_FDCWD, v->cloud_init, CIDATA_USER_DATA_MAX, &want, &nw);
	return a < 0 || b < 0 || nw != nh || memcmp(want, have, nw);
}

/* What only a new VM can change: the image, the disks, cloud-init's user, keys, user-data. */
static void fixed_diff(const struct lab_vm *v, const struct vmdef *d, struct diff *df)
{
	unsigned ndisks = v->ndisks + (v->image ? 1 : 0);

	if (strcmp(v->image ? v->image : "", d->image))
		diff_add(df, "image %s -> %s", d->image[0] ? d->image : "none", v->image ? v->image : "none");
	if (ndisks != d->ndisks)
		diff_add(df, "disks %u -> %u", d->ndisks, ndisks);
	if (v->image && v->user && strcmp(v->user, d->ci.user))
		diff_add(df, "user %s -> %s", d->ci.user, v->user);
	if (v->image && v->nkeys && keys_differ(v, d))
		diff_add(df, "ssh_keys");
	if (v->image && user_data_differs(v, d))
		diff_add(df, "cloud_init");
	err_clear();
}

static int plan_vm(const struct lab *l, unsigned i, bool recreate, struct lab_plan *p)
{
	const struct lab_vm *v = &l->vms[i];
	struct vmdef d;
	struct vm_status st;
	struct diff fixed = { 0 }, set = { 0 };
	int r;

	if (vm_inspect(v->full, &d, &st) < 0) {
		err_clear();
		if ((r = add(p, LAB_VM_CREATE, i, false, "create vm %s", v->name)) < 0)
			return r;
		return add(p, LAB_VM_START, i, false, "start vm %s", v->name);
	}
	bool running = vm_state_active(st.state);
	fixed_diff(v, &d, &fixed);
	settable_diff(v, &d, &set);
	vmdef_free(&d);
	if (fixed.len) {
		if (!recreate)
			return err_set(-EPERM,
				       "vm %s: %s needs the VM made anew: hv up --recreate (its disks start over)",
				       v->name, fixed.text);
		if ((r = add(p, LAB_VM_RECREATE, i, false, "recreate vm %s (%s)", v->name, fixed.text)) < 0)
			return r;
		return add(p, LAB_VM_START, i, false, "start vm %s", v->name);
	}
	if (set.len && running && !recreate)
		return err_set(-EBUSY,
			       "vm %s runs and %s needs a restart: hv up --recreate (stops, changes and starts it), or "
			       "hv stop %s first",
			       v->name, set.text, v->full);
	if (set.len && (r = add(p, LAB_VM_SET, i, running, "set %s %s%s", v->name, set.text,
				running ? " (restarting it)" : "")) < 0)
		return r;
	if (!running && (r = add(p, LAB_VM_START, i, false, "start vm %s", v->name)) < 0)
		return r;
	return 0;
}

int lab_plan(const struct lab *l, bool recreate, struct lab_plan *p)
{
	int r;

	p->n = 0;
	for (unsigned i = 0; i < l->nnets; i++) {
		_cleanup_close_ int fd = net_open_dir(l->nets[i].full);
		err_clear();
		if (fd >= 0)
			continue;
		if ((r = add(p, LAB_NET_CREATE, i, false, "create network %s (%s%s%s)", l->nets[i].name,
			     net_mode_name(l->nets[i].mode), l->nets[i].subnet ? ", " : "",
			     l->nets[i].subnet ? l->nets[i].subnet : "")) < 0)
			return r;
	}
	for (unsigned i = 0; i < l->nvms; i++)
		if ((r = plan_vm(l, i, recreate, p)) < 0)
			return r;
	return 0;
}
