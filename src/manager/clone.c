/* SPDX-License-Identifier: MIT */
#include "manager/clone.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appliance/identity.h"
#include "engine/qmp-ops.h"
#include "manager/nics.h"
#include "manager/store.h"
#include "manager/vmops.h"
#include "network/net.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

/* The identity a clone must not share with its source: name, UUID (the
 * instance-id of its cloud-init seed), MACs and network addresses.  The
 * guest-side identity is reset on its disks (reset_guest). */
static int clone_identity(struct vmdef *d, const char *name)
{
	int r;

	snprintf(d->name, sizeof(d->name), "%s", name);
	d->created = time(NULL);
	if ((r = uuid_generate(d->uuid)) < 0)
		return r;
	for (unsigned i = 0; i < d->nnics; i++) {
		if ((r = mac_random(d->nics[i].mac)) < 0)
			return r;
		/* host ports are unique: forwards stay with the source */
		d->nics[i].nfwd = 0;
		d->nics[i].ip = 0;
		if (d->nics[i].mode == NIC_NETWORK &&
		    (r = net_reserve(d->nics[i].target, name, d->nics[i].mac, &d->nics[i].ip)) < 0)
			return r;
	}
	return 0;
}

/* A temporary internal snapshot of disk i of a running VM. */
static int live_snapshot(const struct vm_handle *h, unsigned i, const char *name, bool create)
{
	struct qmp *q = NULL;
	char dev[16];
	int r;

	if ((r = vm_qmp_open(h, &q)) < 0)
		return r;
	snprintf(dev, sizeof(dev), "disk%u", i);
	r = create ? qmp_snapshot_internal(q, dev, name) : qmp_snapshot_delete_internal(q, dev, name);
	qmp_close(q);
	return r;
}

/* Which image of a disk's chain holds snapshot snap: the disk itself, or
 * (after a linked clone moved its data) its base.  *path is replaced. */
static int snapshot_image(char **path, const struct vmdef_disk *k, const char *snap)
{
	if (snap && image_has_snapshot(*path, snap, true) == 0 && k->backing[0] &&
	    image_has_snapshot(k->backing, snap, true) > 0) {
		free(*path);
		if (!(*path = strdup(k->backing)))
			return err_set(-ENOMEM, "out of memory");
	}
	err_clear();
	return 0;
}

/* A full copy of one disk (a point-in-time copy when the source runs). */
static int full_copy(const struct vm_handle *h, unsigned i, const struct vmdef_disk *k, const char *snap, bool active,
		     const char *dst)
{
	_cleanup_free_ char *src = NULL;
	char tmpsnap[64];
	int r;

	if ((r = vm_disk_path(h->dir, k, &src)) < 0 || (r = snapshot_image(&src, k, snap)) < 0)
		return r;
	if (strcmp(k->format, "qcow2"))
		return image_copy(src, dst);
	/* a self-contained qcow2 without snapshots is copied as it is:
	 * instantly where the file system reflinks, sparsely otherwise */
	if (!snap && !active && !k->backing[0] && image_snapshot_count(src) == 0)
		return image_copy(src, dst);
	if (snap || !active)
		return image_convert(src, "qcow2", dst, "qcow2", snap, active);
	/* a running source: read a moment of it through a temporary snapshot */
	snprintf(tmpsnap, sizeof(tmpsnap), "hv-clone-%d", (int)getpid());
	if ((r = live_snapshot(h, i, tmpsnap, true)) < 0)
		return r;
	r = image_convert(src, "qcow2", dst, "qcow2", tmpsnap, true);
	live_snapshot(h, i, tmpsnap, false);
	return r;
}

bool clone_resets_guest(const struct vmdef *d)
{
	return d->ndisks > 0 && (d->image[0] || d->firmware != FIRMWARE_NONE || d->boot_kernel);
}

/* Reset the guest identity on the clone's disks in the stage folder
 * (never the source's: a linked clone's writes land in its overlay). */
static int reset_guest(const struct vmdef *c, const char *stage, const struct clone_opts *o)
{
	char *specs[VMDEF_MAX_DISKS] = { 0 };
	struct identity_report rep;
	int r = 0;

	if (o->keep_identity || !clone_resets_guest(c))
		return 0;
	if (o->progress)
		o->progress(o->ctx, "resetting the guest identity (machine-id, SSH host keys, DHCP leases)");
	for (unsigned i = 0; r == 0 && i < c->ndisks; i++)
		if (asprintf(&specs[i], "%s/%s,format=%s", stage, c->disks[i].path, c->disks[i].format) < 0) {
			specs[i] = NULL;
			r = err_set(-ENOMEM, "out of memory");
		}
	if (r == 0)
		r = identity_reset((const char *const *)specs, c->ndisks, &rep);
	for (unsigned i = 0; i < c->ndisks; i++)
		free(specs[i]);
	return r < 0 ? err_prefix(r, "clone '%s'", c->name) : 0;
}

/* What making a base changed in the source, so a failure can undo it. */
struct base_undo {
	char *made;	/* a base file this clone created (removed on undo) */
	char *src;	/* the source disk now an overlay on made (NULL: untouched) */
	mode_t mode;	/* the source disk's mode before it became the base */
	char *backing;	/* its backing before */
	char format[8]; /* and its format */
};

static void base_undo(struct base_undo *u)
{
	if (u->src && u->made) {
		/* the base is the source's original inode: give its name back */
		if (rename(u->made, u->src) == 0) {
			chmod(u->src, u->mode);
			free(u->made);
			u->made = NULL;
		}
	}
	if (u->made)
		unlink(u->made);
	free(u->made);
	free(u->src);
	free(u->backing);
	u->made = u->src = u->backing = NULL;
}

/* Can disk k be cloned as asked?  Checked for every disk before any is
 * touched, so a refusal never leaves the source half changed. */
static int clone_check_disk(const struct vm_handle *h, const struct vmdef_disk *k, bool linked, const char *snap,
			    bool active)
{
	bool raw = !strcmp(k->format, "raw");

	if (snap && raw)
		return err_set(-EINVAL, "disk %s is raw and holds no snapshots", k->path);
	if (linked && !k->owned)
		return err_set(-EINVAL,
			       "disk %s was given by path, not made by hv: a linked clone needs hv's own disks; "
			       "use a full clone",
			       k->path);
	if (linked && !snap && active)
		return err_set(-EBUSY,
			       "VM '%s' is running: a linked clone of its current state needs it stopped; stop "
			       "it, or clone one of its snapshots (--snapshot)",
			       h->name);
	if (!linked && raw && active)
		return err_set(-EBUSY, "VM '%s' is running and its disk %s is raw: stop it to clone it", h->name,
			       k->path);
	return 0;
}

/* The base a linked clone sits on, created once in the source's folder. */
static int make_base(const struct vm_handle *h, struct vmdef_disk *k, unsigned i, const char *snap, bool active,
		     char *base, size_t n, char bfmt[8], struct base_undo *u)
{
	_cleanup_free_ char *src = NULL, *ovl = NULL;
	struct stat sb;
	int r;

	if ((r = vm_disk_path(h->dir, k, &src)) < 0)
		return r;
	if (snap) {
		if ((r = snapshot_image(&src, k, snap)) < 0)
			return r;
		/* a snapshot is frozen already: export it once, share it */
		if ((r = fs_path(base, n, "%s/disk%u.%s.base.qcow2", h->dir, i, snap)) < 0)
			return r;
		snprintf(bfmt, 8, "qcow2");
		if (access(base, F_OK) == 0)
			return 0;
		if ((r = image_convert(src, "qcow2", base, "qcow2", snap, active)) < 0)
			return r;
		chmod(base, 0444);
		return (u->made = strdup(base)) ? 0 : err_set(-ENOMEM, "out of memory");
	}
	/* nothing written since the last linked clone: share that base
	 * rather than stacking another one on it */
	if (k->backing[0] && image_snapshot_count(src) == 0 && image_overlay_unchanged(src) == 1) {
		if ((r = fs_path(base, n, "%s", k->backing)) < 0)
			return r;
		/* the overlay's header recorded the base's format when hv made it */
		return image_backing_format(src, bfmt, 8);
	}
	err_clear();
	for (int gen = 1;; gen++) {
		if ((r = fs_path(base, n, "%s/disk%u.base-%d.qcow2", h->dir, i, gen)) < 0)
			return r;
		if (access(base, F_OK) < 0)
			break;
	}
	if (stat(src, &sb) < 0)
		return err_errno(-errno, "cannot read %s", src);
	/* the disk as it is becomes the base (a second name, then the source's
	 * name moves to a fresh overlay: at no moment is the disk missing) */
	if (link(src, base) < 0)
		return err_errno(-errno, "cannot make a base image of %s", src);
	if (asprintf(&ovl, "%s/.%s.overlay-%d", h->dir, k->path, (int)getpid()) < 0) {
		unlink(base);
		return err_set(-ENOMEM, "out of memory");
	}
	snprintf(bfmt, 8, "%s", k->format);
	if ((r = image_create(ovl, "qcow2", 0, base, bfmt)) < 0) {
		unlink(base);
		return r;
	}
	if (rename(ovl, src) < 0) {
		r = err_errno(-errno, "cannot switch %s to its overlay", src);
		unlink(ovl);
		unlink(base);
		return r;
	}
	chmod(base, 0444);
	u->mode = sb.st_mode & 07777;
	u->backing = strdup(k->backing);
	snprintf(u->format, sizeof(u->format), "%s", k->format);
	u->made = strdup(base);
	u->src = TAKE_PTR(src);
	snprintf(k->backing, sizeof(k->backing), "%s", base);
	/* the disk's name now holds a qcow2 overlay, even where the disk was raw */
	snprintf(k->format, sizeof(k->format), "qcow2");
	return u->made && u->backing ? 0 : err_set(-ENOMEM, "out of memory");
}

/* Make the clone's disk i in the stage folder. */
static int clone_disk(const struct vm_handle *h, struct vmdef *d, struct vmdef *c, unsigned i, const char *stage,
		      bool linked, const char *snap, bool active, struct base_undo *u)
{
	struct vmdef_disk *k = &c->disks[i];
	bool raw = !strcmp(d->disks[i].format, "raw");
	_cleanup_free_ char *path = NULL;
	int r;

	snprintf(k->path, sizeof(k->path), "disk%u.%s", i, linked || !raw ? "qcow2" : "raw");
	k->owned = true;
	k->backing[0] = '\0';
	if (asprintf(&path, "%s/%s", stage, k->path) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (linked) {
		char base[sizeof(k->backing)], bfmt[8];
		if ((r = make_base(h, &d->disks[i], i, snap, active, base, sizeof(base), bfmt, u)) < 0 ||
		    (r = image_create(path, "qcow2", 0, base, bfmt)) < 0)
			return r;
		snprintf(k->format, sizeof(k->format), "qcow2");
		memcpy(k->backing, base, sizeof(k->backing));
		return 0;
	}
	if ((r = full_copy(h, i, &d->disks[i], snap, active, path)) < 0)
		return r;
	snprintf(k->format, sizeof(k->format), "%s", raw ? "raw" : "qcow2");
	return 0;
}

/* The files of a VM's folder a clone takes along besides its disks: the
 * UEFI variable store (boot entries) and the user's cloud-init user-data.
 * Not known_hosts: the clone's guest makes its own host keys. */
static int clone_files(int from, int to)
{
	static const char *const files[] = { "uefi-vars.fd", "user-data.in" };
	int r;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		_cleanup_free_ char *data = NULL;
		size_t len;
		if ((r = fs_read_all(from, files[i], 64 << 20, &data, &len)) == -ENOENT)
			continue;
		if (r < 0 || (r = fs_write_atomic(to, files[i], data, len, 0600)) < 0)
			return err_prefix(r, "cannot copy %s", files[i]);
	}
	err_clear();
	return 0;
}

/* What a failed clone undoes: the staged folder, the clone's addresses,
 * and the source's disks and definition as they were.  The failure's
 * message is kept. */
static void clone_rollback(struct vm_handle *h, struct vmdef *d, struct vmdef *c, const char *dst, const char *stage,
			   struct base_undo *undo, bool src_saved)
{
	struct err_saved e;

	err_save(&e);
	fs_rm_rf_at(AT_FDCWD, stage);
	vm_release_addresses(dst, c);
	for (unsigned i = 0; i < d->ndisks; i++) {
		if (undo[i].src) {
			snprintf(d->disks[i].backing, sizeof(d->disks[i].backing), "%s",
				 undo[i].backing ? undo[i].backing : "");
			snprintf(d->disks[i].format, sizeof(d->disks[i].format), "%s", undo[i].format);
		}
		base_undo(&undo[i]);
	}
	if (src_saved)
		vmdef_save(h->dirfd, d);
	err_restore(&e);
}

/* Fill the staged folder: a new identity, the disks, the guest's reset,
 * the VM's files and its vm.json.  *src_saved: the source's definition
 * was rewritten (its disks became overlays). */
static int clone_stage(struct vm_handle *h, struct vmdef *d, struct vmdef *c, const char *dst, const char *stage,
		       const struct clone_opts *o, bool active, struct base_undo *undo, bool *src_saved)
{
	_cleanup_close_ int stagefd = -1;
	int r;

	if ((r = clone_identity(c, dst)) < 0)
		return r;
	for (unsigned i = 0; i < d->ndisks; i++)
		if ((r = clone_disk(h, d, c, i, stage, o->linked, o->snapshot, active, &undo[i])) < 0)
			return r;
	if ((r = reset_guest(c, stage, o)) < 0)
		return r;
	if ((stagefd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", stage);
	if ((r = clone_files(h->dirfd, stagefd)) < 0 || (r = vmdef_save(stagefd, c)) < 0 ||
	    (r = fs_write_atomic(stagefd, "lock", "", 0, 0600)) < 0)
		return r;
	for (unsigned i = 0; i < d->ndisks; i++)
		if (undo[i].src && !*src_saved) {
			if ((r = vmdef_save(h->dirfd, d)) < 0)
				return r;
			*src_saved = true;
		}
	return 0;
}

/* The source locked and loaded, and nothing in the way of the clone. */
static int clone_open_source(const char *src, const struct clone_opts *o, struct vm_handle *h, struct vmdef *d,
			     bool *active)
{
	struct vm_status st;
	char sd[160];
	int r;

	if ((r = vm_lock_and_load(src, h, d, &st)) < 0)
		return r;
	*active = vm_state_active(st.state);
	snprintf(sd, sizeof(sd), "snapshots/%s/vm.json", o->snapshot ? o->snapshot : "");
	if (o->snapshot && !fs_exists_at(h->dirfd, sd))
		r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s'", src, o->snapshot);
	/* every disk first: nothing is changed for a clone that cannot be made */
	for (unsigned i = 0; r == 0 && i < d->ndisks; i++)
		r = clone_check_disk(h, &d->disks[i], o->linked, o->snapshot, *active);
	if (r < 0) {
		vmdef_free(d);
		vm_close(h);
	}
	return r;
}

int vm_clone(const char *src, const char *dst, const struct clone_opts *o)
{
	_cleanup_free_ char *stage = NULL, *final = NULL;
	_cleanup_close_ int vmsfd = -1;
	struct base_undo undo[VMDEF_MAX_DISKS];
	char vms[4096], stage_name[128];
	struct vm_handle h;
	struct vmdef d, c;
	bool active, src_saved = false;
	int r;

	memset(undo, 0, sizeof(undo));
	if ((r = vm_name_validate(dst)) < 0 || (r = store_vms_dir(vms, sizeof(vms))) < 0)
		return r;
	if (asprintf(&final, "%s/%s", vms, dst) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (access(final, F_OK) == 0)
		return err_set(-EEXIST, "a VM named '%s' already exists", dst);
	if ((r = clone_open_source(src, o, &h, &d, &active)) < 0)
		return r;
	if ((r = vmdef_dup(&d, &c)) < 0)
		goto out;
	snprintf(stage_name, sizeof(stage_name), ".new-%s-%d", dst, (int)getpid());
	if (asprintf(&stage, "%s/%s", vms, stage_name) < 0) {
		r = err_set(-ENOMEM, "out of memory");
		goto out_c;
	}
	if (mkdir(stage, 0700) < 0) {
		r = err_errno(-errno, "cannot create %s", stage);
		goto out_c;
	}
	if ((r = clone_stage(&h, &d, &c, dst, stage, o, active, undo, &src_saved)) < 0)
		goto fail;
	vmsfd = open(vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vmsfd < 0 || renameat2(vmsfd, stage_name, vmsfd, dst, RENAME_NOREPLACE) < 0) {
		r = errno == EEXIST ? err_set(-EEXIST, "a VM named '%s' already exists", dst)
				    : err_errno(-errno, "cannot create %s", final);
		goto fail;
	}
	for (unsigned i = 0; i < d.ndisks; i++) {
		free(undo[i].made);
		free(undo[i].src);
		free(undo[i].backing);
	}
	goto out_c;
fail:
	clone_rollback(&h, &d, &c, dst, stage, undo, src_saved);
out_c:
	vmdef_free(&c);
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}
