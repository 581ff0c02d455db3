/* SPDX-License-Identifier: MIT */
/* Define, inspect, change and remove persistent VMs. */
#include "manager/vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guest/boot.h"
#include "manager/linked.h"
#include "manager/power.h"
#include "manager/store.h"
#include "manager/vmos.h"
#include "network/net.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/size.h"

static int absolute(const char *path, char **out, const char *what)
{
	char *p = realpath(path, NULL);

	if (!p)
		return err_errno(-errno, "%s %s", what, path);
	*out = p;
	return 0;
}

/* What vm_create makes for a disk: a new image of size bytes, or an
 * overlay on an adopted base of backing_format. */
struct disk_plan {
	uint64_t size;
	char backing_format[8];
};

/* Resolve and adopt an image the user names (PATH[,format=F]). */
static int adopt_spec(const char *spec, const char *what, char **abs, char *fmt, size_t n)
{
	_cleanup_free_ char *path = NULL;
	char stated[8];
	int r;

	*abs = NULL;
	if ((r = image_spec_parse(spec, &path, stated, sizeof(stated))) < 0)
		return r;
	if ((r = absolute(path, abs, what)) < 0)
		return r;
	if ((r = image_adopt(*abs, stated[0] ? stated : NULL, fmt, n)) < 0) {
		free(*abs);
		*abs = NULL;
	}
	return r;
}

int vm_disk_spec_check(const char *spec, uint64_t *size)
{
	_cleanup_free_ char *path = NULL;
	char stated[8];
	int r;

	if (size_parse(spec, SIZE_MIB, size) == 0)
		return *size < SIZE_MIB ? err_set(-EINVAL, "--disk %s is too small (at least 1M)", spec) : 0;
	*size = 0;
	if ((r = image_spec_parse(spec, &path, stated, sizeof(stated))) < 0)
		return r;
	if (access(path, F_OK) < 0)
		return err_set(-ENOENT, "--disk %s: no such image, and not a size such as 10G", spec);
	return 0;
}

/* "--disk 10G" will be a new qcow2 in the VM folder (plan->size > 0);
 * "--disk PATH[,format=F]" an existing image, adopted now: its format is
 * recorded and never guessed again.  Everything is checked before the
 * store is touched. */
static int plan_disk(struct vmdef *d, const char *spec, struct disk_plan *plan)
{
	struct vmdef_disk *disk = &d->disks[d->ndisks];
	_cleanup_free_ char *abs = NULL;
	int r;

	memset(plan, 0, sizeof(*plan));
	if (!strncmp(spec, "from:", 5)) {
		/* --disk-from IMAGE: a qcow2 overlay on IMAGE, created with the VM */
		if ((r = adopt_spec(spec + 5, "--disk-from", &abs, plan->backing_format,
				    sizeof(plan->backing_format))) < 0)
			return r;
		snprintf(disk->path, sizeof(disk->path), "disk%u.qcow2", d->ndisks);
		snprintf(disk->format, sizeof(disk->format), "qcow2");
		snprintf(disk->backing, sizeof(disk->backing), "%s", abs);
		disk->owned = true;
		d->ndisks++;
		return 0;
	}
	if ((r = vm_disk_spec_check(spec, &plan->size)) < 0)
		return r;
	if (plan->size) {
		snprintf(disk->path, sizeof(disk->path), "disk%u.qcow2", d->ndisks);
		snprintf(disk->format, sizeof(disk->format), "qcow2");
		disk->owned = true;
	} else {
		if ((r = adopt_spec(spec, "--disk", &abs, disk->format, sizeof(disk->format))) < 0)
			return r;
		snprintf(disk->path, sizeof(disk->path), "%s", abs);
	}
	d->ndisks++;
	return 0;
}

static int fill_def(const struct vm_create_opts *o, struct vmdef *d)
{
	int r;

	vmdef_init(d);
	snprintf(d->name, sizeof(d->name), "%s", o->name);
	if ((r = uuid_generate(d->uuid)) < 0)
		return r;
	d->cpus = o->cpus ? o->cpus : 1;
	d->memory_mib = o->memory_mib ? o->memory_mib : 256;
	d->machine = o->machine;
	d->accel = o->accel;
	d->created = time(NULL);
	d->transient = o->transient;
	if (o->lab && strlen(o->lab) >= sizeof(d->lab))
		return err_set(-EINVAL, "lab name '%s' is longer than %zu characters", o->lab, sizeof(d->lab) - 1);
	snprintf(d->lab, sizeof(d->lab), "%s", o->lab ? o->lab : "");
	if (o->kernel &&
	    ((r = guest_check_kernel(o->kernel)) < 0 || (r = absolute(o->kernel, &d->kernel, "--kernel")) < 0))
		return r;
	if (o->initrd && (r = absolute(o->initrd, &d->initrd, "--initrd")) < 0)
		return r;
	if (o->cmdline && !(d->cmdline = strdup(o->cmdline)))
		return -ENOMEM;
	for (unsigned i = 0; i < o->nshares; i++)
		if ((r = share_set_add(&d->shares, o->shares[i])) < 0)
			return r;
	return 0;
}

void vm_nic_addresses(const char *name, struct vmdef *d)
{
	_cleanup_free_ struct net_reservation *res = calloc(NET_MAX_RESERVED, sizeof(*res));
	size_t n;

	for (unsigned i = 0; i < d->nnics; i++) {
		struct nic *nic = &d->nics[i];
		nic->ip = 0;
		if (nic->mode != NIC_NETWORK || !res || net_reservations(nic->target, res, NET_MAX_RESERVED, &n) < 0)
			continue;
		for (size_t k = 0; k < n; k++)
			if (!strcmp(res[k].vm, name))
				nic->ip = res[k].ip;
	}
	err_clear(); /* a network deleted meanwhile: no address */
}

/* Undo reservations after a failure, keeping the failure's message. */
static void release_keeping_error(const char *name, const struct vmdef *d)
{
	struct err_saved e;

	err_save(&e);
	vm_release_addresses(name, d);
	err_restore(&e);
}

/* A distribution VM: its first disk is an overlay on the catalogue image. */
static int plan_os(const struct vm_create_opts *o, struct vmdef *d, struct disk_plan *plans)
{
	_cleanup_free_ char *base = NULL;
	uint64_t size;
	int r;

	memset(&plans[0], 0, sizeof(plans[0]));
	if ((r = vmos_plan(o->os, d, &base, plans[0].backing_format, sizeof(plans[0].backing_format), &size)) < 0)
		return r;
	if (o->kernel || o->initrd)
		return err_set(-EINVAL, "--kernel and --initrd do not go with --image, --cdrom or --firmware");
	if (!base)
		return 0;
	struct vmdef_disk *disk = &d->disks[d->ndisks];
	snprintf(disk->path, sizeof(disk->path), "disk%u.qcow2", d->ndisks);
	snprintf(disk->format, sizeof(disk->format), "qcow2");
	snprintf(disk->backing, sizeof(disk->backing), "%s", base);
	disk->owned = true;
	plans[0].size = size;
	d->ndisks++;
	return 0;
}

int vm_create(const struct vm_create_opts *o)
{
	_cleanup_free_ char *vms = NULL, *stage = NULL;
	_cleanup_close_ int vmsfd = -1, stagefd = -1;
	struct vmdef d;
	int r;

	if ((r = vm_name_validate(o->name)) < 0 || (r = store_vms_dir_alloc(&vms)) < 0)
		return r;
	if ((vmsfd = open(vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", vms);
	if (faccessat(vmsfd, o->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return err_set(-EEXIST, "a VM named '%s' already exists", o->name);
	struct disk_plan plans[VMDEF_MAX_DISKS];

	if ((r = fill_def(o, &d)) < 0)
		goto out;
	if ((r = nics_resolve(&o->nics, o->name, NULL, 0, d.nics, &d.nnics)) < 0)
		goto out_addr;
	if (o->os && (r = plan_os(o, &d, plans)) < 0)
		goto out_addr;
	for (unsigned i = 0; i < o->ndisks; i++) {
		if (d.ndisks == VMDEF_MAX_DISKS) {
			r = err_set(-E2BIG, "at most %d disks", VMDEF_MAX_DISKS);
			goto out_addr;
		}
		if ((r = plan_disk(&d, o->disks[i], &plans[d.ndisks])) < 0)
			goto out_addr;
	}
	/* build the folder aside, then rename it into place in one step */
	if (asprintf(&stage, ".new-%s-%d", o->name, (int)getpid()) < 0) {
		stage = NULL;
		r = err_set(-ENOMEM, "out of memory");
		goto out_addr;
	}
	if (mkdirat(vmsfd, stage, 0700) < 0) {
		r = err_errno(-errno, "cannot create %s/%s", vms, stage);
		goto out_addr;
	}
	stagefd = openat(vmsfd, stage, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (stagefd < 0) {
		r = err_errno(-errno, "cannot open %s/%s", vms, stage);
		goto out_rm;
	}
	for (unsigned i = 0; i < d.ndisks; i++) {
		_cleanup_free_ char *path = NULL;
		const char *base = d.disks[i].backing[0] ? d.disks[i].backing : NULL;
		if (!plans[i].size && !base)
			continue;
		/* qemu-img needs a path: the staged folder's, by name */
		if (asprintf(&path, "%s/%s/%s", vms, stage, d.disks[i].path) < 0) {
			path = NULL;
			r = err_set(-ENOMEM, "out of memory");
			goto out_rm;
		}
		if ((r = image_create(path, "qcow2", plans[i].size, base, plans[i].backing_format)) < 0)
			goto out_rm;
	}
	if (o->os && (r = vmos_stage(o->os, &d, stagefd)) < 0)
		goto out_rm;
	/* the lock file exists from the start: taking it never changes the folder */
	if ((r = vmdef_save(stagefd, &d)) < 0 || (r = fs_write_atomic(stagefd, "lock", "", 0, 0600)) < 0)
		goto out_rm;
	if (renameat2(vmsfd, stage, vmsfd, o->name, RENAME_NOREPLACE) < 0) {
		r = errno == EEXIST ? err_set(-EEXIST, "a VM named '%s' already exists", o->name)
				    : err_errno(-errno, "cannot create VM folder %s/%s", vms, o->name);
		goto out_rm;
	}
	fsync(vmsfd);
	r = 0;
	goto out;
out_rm:
	fs_rm_rf_at(vmsfd, stage);
out_addr:
	if (r < 0)
		release_keeping_error(o->name, &d);
out:
	vmdef_free(&d);
	return r;
}

int vm_inspect(const char *name, struct vmdef *def, struct vm_status *st)
{
	struct vm_handle h;
	int r = vm_open(name, &h);

	if (r < 0)
		return r;
	r = vmdef_load_vm(&h, def);
	if (r == 0 && (r = status_derive(h.dirfd, h.dir, st)) < 0)
		vmdef_free(def);
	if (r == 0)
		vm_nic_addresses(name, def);
	vm_close(&h);
	return r;
}

int vm_set(const char *name, const unsigned *cpus, const uint64_t *memory_mib, const struct nic_request *nics)
{
	struct vm_handle h;
	struct vm_status st;
	struct vmdef d;
	int r = vm_lock_and_load(name, &h, &d, &st);

	if (r < 0)
		return r;
	if (vm_state_active(st.state)) {
		/* microvm offers no CPU or memory hotplug: never pretend */
		r = err_set(-EBUSY, "VM '%s' is %s; stop it first (CPU and memory changes apply at the next start)",
			    name, vm_state_name(st.state));
		goto out_def;
	}
	if (cpus)
		d.cpus = *cpus;
	if (memory_mib)
		d.memory_mib = *memory_mib;
	if (nics) {
		struct vmdef old = d;
		if ((r = nics_resolve(nics, name, old.nics, old.nnics, d.nics, &d.nnics)) < 0)
			goto out_def;
		/* networks the VM left give its address back */
		for (unsigned i = 0; i < old.nnics; i++) {
			bool kept = false;
			for (unsigned k = 0; k < d.nnics; k++)
				kept |= d.nics[k].mode == NIC_NETWORK && !strcmp(d.nics[k].target, old.nics[i].target);
			if (old.nics[i].mode == NIC_NETWORK && !kept)
				net_unreserve(old.nics[i].target, name);
		}
	}
	r = vmdef_save(h.dirfd, &d);
out_def:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

/* Move the disks hv created out of the folder before it is removed. */
static int keep_owned_disks(struct vm_handle *h, const struct vmdef *d, char **kept_dir)
{
	_cleanup_free_ char *root = NULL, *dir = NULL;
	_cleanup_close_ int keepfd = -1;
	int r;

	if ((r = store_root_alloc(&root)) < 0)
		return r;
	if (asprintf(&dir, "%s/disks/%s", root, h->name) < 0) {
		dir = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < d->ndisks; i++) {
		if (!d->disks[i].owned)
			continue;
		if (keepfd < 0 && (r = fs_mkdir_p(dir, 0700)) < 0)
			return r;
		if (keepfd < 0 && (keepfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			return err_errno(-errno, "cannot open %s", dir);
		if (renameat2(h->dirfd, d->disks[i].path, keepfd, d->disks[i].path, RENAME_NOREPLACE) < 0 &&
		    errno != ENOENT)
			return err_errno(-errno, "cannot keep disk %s as %s/%s", d->disks[i].path, dir,
					 d->disks[i].path);
	}
	if (kept_dir)
		*kept_dir = TAKE_PTR(dir);
	return 0;
}

/* Kill VM @name for hv delete --force, under the lock held since the start:
 * dropping it for the kill let a concurrent hv start run the VM again, whose
 * folder was then removed under it. */
static int delete_stop(struct vm_handle *h, const char *name, bool force, struct vm_status *st)
{
	int r;

	if (!vm_state_active(st->state))
		return 0;
	if (!force)
		return err_set(-EBUSY, "VM '%s' is %s; stop it first, or delete it with --force", name,
			       vm_state_name(st->state));
	if ((r = vm_hard_stop_locked(h, "killed (hv delete --force)", st)) < 0 ||
	    (r = status_derive(h->dirfd, h->dir, st)) < 0)
		return r;
	if (vm_state_active(st->state))
		return err_set(-EBUSY, "VM '%s' is still %s after it was killed; not deleting it", name,
			       vm_state_name(st->state));
	return 0;
}

/* Take VM @name's folder out of sight in one step, then remove it. */
static int delete_folder(const struct vm_handle *h, const char *name)
{
	_cleanup_close_ int vmsfd = store_vms_open();
	char trash[VM_NAME_MAX + 32];

	if (vmsfd < 0)
		return vmsfd;
	snprintf(trash, sizeof(trash), ".deleted-%s-%d", name, (int)getpid());
	if (renameat(vmsfd, name, vmsfd, trash) < 0)
		return err_errno(-errno, "cannot remove VM folder %s", h->dir);
	fsync(vmsfd);
	return fs_rm_rf_at(vmsfd, trash);
}

/* Load @name's definition for deleting it; a damaged one must not make a VM
 * undeletable (everything hv owns is inside the folder anyway, and its
 * processes are found from status.json or /proc): with @force, *damaged is
 * set and @d left empty. */
static int delete_load(const struct vm_handle *h, const char *name, bool force, bool keep_disks, struct vmdef *d,
		       bool *damaged)
{
	int r;

	*damaged = false;
	if ((r = vmdef_load(h->dirfd, d)) >= 0)
		return r;
	vmdef_damaged(name, h->dir, r);
	if (keep_disks)
		return err_prefix(r, "cannot tell which disks to keep");
	if (!force)
		return r;
	*damaged = true;
	vmdef_init(d);
	err_clear();
	return 0;
}

int vm_delete(const char *name, bool force, bool keep_disks, bool flatten, char **kept_dir)
{
	struct vm_handle h;
	struct vm_status st;
	struct vmdef d;
	char users[512];
	bool damaged;
	int r = vm_open_locked(name, VM_LOCK_TIMEOUT_MS, &h);

	if (kept_dir)
		*kept_dir = NULL;
	if (r < 0)
		return r;
	if ((r = delete_load(&h, name, force, keep_disks, &d, &damaged)) < 0)
		goto out;
	if ((r = status_derive(h.dirfd, h.dir, &st)) < 0)
		goto out_def;
	/* linked clones sit on base images in this folder */
	linked_dependants_text(name, users, sizeof(users));
	if (users[0] && !flatten) {
		r = err_set(-EBUSY,
			    "linked clones depend on VM '%s' (%s): delete them first, or make them independent "
			    "with --flatten-clones",
			    name, users);
		goto out_def;
	}
	if ((users[0] && (r = linked_flatten(name, true)) < 0) ||
	    (r = delete_stop(&h, name, force, &st)) < 0 ||
	    (users[0] && (r = linked_flatten(name, false)) < 0) ||
	    (keep_disks && (r = keep_owned_disks(&h, &d, kept_dir)) < 0))
		goto out_def;
	if (damaged)
		net_unreserve_all(name); /* the definition no longer says where */
	else
		vm_release_addresses(name, &d);
	r = delete_folder(&h, name);
out_def:
	vmdef_free(&d);
out:
	vm_close(&h);
	return r;
}

/* Is path the file of disk dk of the VM in vmdir?  An owned disk is a
 * file name in the VM's folder. */
static bool disk_is(const struct vmdef_disk *dk, const char *vmdir, const char *path)
{
	size_t n = strlen(vmdir);

	if (!dk->owned)
		return !strcmp(dk->path, path);
	return !strncmp(path, vmdir, n) && path[n] == '/' && !strcmp(path + n + 1, dk->path);
}

/* An image may be attached to one VM only (two writers corrupt it).
 * Which VM has abs as a disk, and that disk's record (rec may be NULL). */
static int disk_user(const char *abs, const char *except, char *user, size_t n, struct vmdef_disk *rec)
{
	struct vmdef_iter it;
	int found = 0;

	for (int r = vmdef_iter_open(&it, false); r >= 0 && !found && (r = vmdef_iter_next(&it)) > 0;) {
		if (!strcmp(it.vm.name, except))
			continue;
		for (unsigned k = 0; k < it.def.ndisks && !found; k++) {
			found = disk_is(&it.def.disks[k], it.vm.dir, abs);
			if (found && rec)
				*rec = it.def.disks[k];
		}
		if (found)
			snprintf(user, n, "%s", it.vm.name);
	}
	vmdef_iter_close(&it);
	err_clear();
	return found;
}

int vm_disk_format(const char *spec, char **path, char *fmt, size_t n)
{
	_cleanup_free_ char *given = NULL;
	struct vmdef_disk rec;
	char user[64], stated[8];
	int r;

	*path = NULL;
	if ((r = image_spec_parse(spec, &given, stated, sizeof(stated))) < 0 || (r = absolute(given, path, "disk")) < 0)
		return r;
	if (!stated[0] && disk_user(*path, "", user, sizeof(user), &rec)) {
		/* a VM's disk: what hv recorded, never what the bytes say now */
		snprintf(fmt, n, "%s", rec.format);
		return 0;
	}
	if ((r = image_adopt(*path, stated[0] ? stated : NULL, fmt, n)) < 0) {
		free(*path);
		*path = NULL;
	}
	return r;
}

int vm_attach_disk(const char *name, const char *spec)
{
	_cleanup_free_ char *abs = NULL, *path = NULL;
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	char user[64], stated[8];
	int r;

	if ((r = image_spec_parse(spec, &path, stated, sizeof(stated))) < 0 || (r = absolute(path, &abs, "disk")) < 0)
		return r;
	if ((r = vm_lock_and_load(name, &h, &d, &st)) < 0)
		return r;
	if (vm_state_active(st.state))
		r = err_set(-EBUSY, "VM '%s' is %s: stop it to attach a disk (live attach is not supported yet)", name,
			    vm_state_name(st.state));
	else if (d.ndisks == VMDEF_MAX_DISKS)
		r = err_set(-ENOSPC, "VM '%s' has %d disks already", name, VMDEF_MAX_DISKS);
	else if (disk_user(abs, "", user, sizeof(user), NULL))
		r = err_set(-EBUSY, "%s is already a disk of VM '%s'", abs, user);
	if (r == 0) {
		struct vmdef_disk *k = &d.disks[d.ndisks];
		memset(k, 0, sizeof(*k));
		snprintf(k->path, sizeof(k->path), "%s", abs);
		if ((r = image_adopt(abs, stated[0] ? stated : NULL, k->format, sizeof(k->format))) == 0) {
			d.ndisks++;
			r = vmdef_save(h.dirfd, &d);
		}
	}
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int vm_detach_disk(const char *name, const char *path, char **moved_to)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	int r, at = -1;

	*moved_to = NULL;
	if ((r = vm_lock_and_load(name, &h, &d, &st)) < 0)
		return r;
	for (unsigned k = 0; k < d.ndisks; k++)
		if (!strcmp(d.disks[k].path, path) || disk_is(&d.disks[k], h.dir, path))
			at = (int)k;
	if (vm_state_active(st.state))
		r = err_set(-EBUSY, "VM '%s' is %s: stop it to detach a disk", name, vm_state_name(st.state));
	else if (at < 0)
		r = err_set(-ENOENT, "VM '%s' has no disk %s (see: hv info %s)", name, path, name);
	if (r == 0 && d.disks[at].owned) {
		/* the data is the user's: keep it where they can find it */
		struct vmdef one;
		vmdef_init(&one);
		one.disks[0] = d.disks[at];
		one.ndisks = 1;
		_cleanup_free_ char *dir = NULL;
		if ((r = keep_owned_disks(&h, &one, &dir)) == 0 &&
		    asprintf(moved_to, "%s/%s", dir, d.disks[at].path) < 0) {
			*moved_to = NULL;
			r = err_set(-ENOMEM, "out of memory");
		}
	}
	if (r == 0) {
		d.disks[at] = d.disks[--d.ndisks];
		r = vmdef_save(h.dirfd, &d);
	}
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

/* Change a stopped VM's definition: lock, load, refuse while it runs
 * (what says why the change waits for the next start), edit, save only
 * when edit succeeded. */
static int edit_stopped(const char *name, const char *what, int (*edit)(struct vmdef *d, const void *arg),
			const void *arg)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	int r;

	if ((r = vm_lock_and_load(name, &h, &d, &st)) < 0)
		return r;
	if (vm_state_active(st.state))
		r = err_set(-EBUSY, "VM '%s' is %s: stop it first (%s)", name, vm_state_name(st.state), what);
	if (r == 0)
		r = edit(&d, arg);
	if (r == 0)
		r = vmdef_save(h.dirfd, &d);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

struct share_edit {
	const char *const *add, *const *remove;
	unsigned nadd, nremove;
};

static int edit_shares(struct vmdef *d, const void *arg)
{
	const struct share_edit *e = arg;
	int r = 0;

	for (unsigned i = 0; r == 0 && i < e->nremove; i++)
		r = share_set_remove(&d->shares, e->remove[i]);
	for (unsigned i = 0; r == 0 && i < e->nadd; i++)
		r = share_set_add(&d->shares, e->add[i]);
	return r;
}

int vm_set_shares(const char *name, const char *const *add, unsigned nadd, const char *const *remove, unsigned nremove)
{
	struct share_edit e = { .add = add, .remove = remove, .nadd = nadd, .nremove = nremove };

	/* virtio-fs devices are not hot-plugged: never pretend */
	return edit_stopped(name, "shared folders change at the next start", edit_shares, &e);
}

struct os_edit {
	const char *name, *cdrom, *boot, *graphics;
};

static int edit_os(struct vmdef *d, const void *arg)
{
	const struct os_edit *e = arg;
	const char *name = e->name, *cdrom = e->cdrom, *boot = e->boot, *graphics = e->graphics;
	int r = 0;

	if (cdrom) {
		free(d->cdrom);
		d->cdrom = NULL;
		if (strcmp(cdrom, "none")) {
			if (!(d->cdrom = realpath(cdrom, NULL)) || access(d->cdrom, R_OK) < 0)
				r = err_errno(-errno, "--cdrom %s", cdrom);
			else if (d->machine != MACHINE_Q35)
				r = err_set(-EINVAL, "VM '%s' is a microvm, which has no CD drive", name);
			else if (d->firmware == FIRMWARE_NONE && !d->boot_kernel)
				d->firmware = FIRMWARE_BIOS;
		}
	}
	if (r == 0 && boot) {
		if (!strcmp(boot, "firmware")) {
			d->boot_kernel = false;
			if (d->firmware == FIRMWARE_NONE)
				d->firmware = FIRMWARE_BIOS;
		} else if (!strcmp(boot, "kernel")) {
			if (!d->image[0])
				r = err_set(-EINVAL,
					    "--boot kernel boots an image's own kernel; VM '%s' was not made from an "
					    "image (give it --kernel at create)",
					    name);
			d->boot_kernel = true;
		} else {
			r = err_set(-EINVAL, "--boot %s: use kernel or firmware", boot);
		}
	}
	if (r == 0 && graphics) {
		r = vmdef_display_parse(graphics, &d->display);
		if (r == 0 && d->display.vnc && d->machine != MACHINE_Q35)
			r = err_set(-EINVAL, "VM '%s' is a microvm, which has no display", name);
	}
	return r;
}

int vm_set_os(const char *name, const char *cdrom, const char *boot, const char *graphics)
{
	struct os_edit e = { name, cdrom, boot, graphics };

	return edit_stopped(name, "the change applies at the next start", edit_os, &e);
}
