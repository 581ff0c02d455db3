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

#include "engine/qmp.h"
#include "manager/nics.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "network/net.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

static void disk_path(const char *dir, const struct vmdef_disk *k, char *buf, size_t n)
{
	if (k->owned)
		snprintf(buf, n, "%s/%s", dir, k->path);
	else
		snprintf(buf, n, "%s", k->path);
}

/* The identity a clone must not share with its source: name, UUID, MACs
 * and network addresses.  Guest-side identity (machine-id, SSH host keys)
 * is reset at the clone's first boot; that step plugs in here. */
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
		if (d->nics[i].mode == NIC_NETWORK && (r = net_reserve(d->nics[i].target, name, d->nics[i].mac, &d->nics[i].ip)) < 0)
			return r;
	}
	return 0;
}

static int qmp_internal(const char *dir, unsigned disk, const char *name, bool create)
{
	char path[4200], dev[16];
	struct qmp *q = NULL;
	struct json_object *args;
	int r;

	if ((r = fs_path(path, sizeof(path), "%s/qmp.sock", dir)) < 0 || (r = qmp_open_path(path, 5000, &q)) < 0)
		return r;
	snprintf(dev, sizeof(dev), "disk%u", disk);
	args = json_object_new_object();
	json_object_object_add(args, "device", json_object_new_string(dev));
	json_object_object_add(args, "name", json_object_new_string(name));
	r = qmp_execute(q, create ? "blockdev-snapshot-internal-sync" : "blockdev-snapshot-delete-internal-sync", args,
			NULL, 60000);
	json_object_put(args);
	qmp_close(q);
	return r;
}

/* Which image of a disk's chain holds snapshot snap: the disk itself, or
 * (after a linked clone moved its data) its base. */
static void snapshot_image(char *path, size_t n, const struct vmdef_disk *k, const char *snap)
{
	if (snap && image_has_snapshot(path, snap, true) == 0 && k->backing[0] &&
	    image_has_snapshot(k->backing, snap, true) > 0)
		snprintf(path, n, "%s", k->backing);
	err_clear();
}

/* A full copy of one disk (a point-in-time copy when the source runs). */
static int full_copy(const struct vm_handle *h, unsigned i, const struct vmdef_disk *k, const char *snap, bool active,
		     const char *dst)
{
	char src[4300], tmpsnap[64];
	int r;

	disk_path(h->dir, k, src, sizeof(src));
	snapshot_image(src, sizeof(src), k, snap);
	if (strcmp(k->format, "qcow2")) {
		if (active)
			return err_set(-EBUSY, "VM '%s' is running and its disk %s is raw: stop it to clone it", h->name,
				       k->path);
		return image_copy(src, dst);
	}
	/* a self-contained qcow2 without snapshots is copied as it is:
	 * instantly where the file system reflinks, sparsely otherwise */
	if (!snap && !active && !k->backing[0] && image_snapshot_count(src) == 0)
		return image_copy(src, dst);
	if (snap || !active)
		return image_convert(src, "qcow2", dst, "qcow2", snap, active);
	/* a running source: read a moment of it through a temporary snapshot */
	snprintf(tmpsnap, sizeof(tmpsnap), "hv-clone-%d", (int)getpid());
	if ((r = qmp_internal(h->dir, i, tmpsnap, true)) < 0)
		return r;
	r = image_convert(src, "qcow2", dst, "qcow2", tmpsnap, true);
	qmp_internal(h->dir, i, tmpsnap, false);
	return r;
}

/* The base a linked clone sits on, created once in the source's folder. */
static int make_base(const struct vm_handle *h, struct vmdef_disk *k, unsigned i, const char *snap, bool active,
		     char *base, size_t n, char bfmt[8])
{
	char src[4300], ovl[4400];
	int r;

	if (!k->owned)
		return err_set(-EINVAL, "disk %s was given by path, not made by hv: a linked clone needs hv's own disks; "
					"use a full clone",
			       k->path);
	disk_path(h->dir, k, src, sizeof(src));
	if (snap) {
		snapshot_image(src, sizeof(src), k, snap);
		/* a snapshot is frozen already: export it once, share it */
		if ((r = fs_path(base, n, "%s/disk%u.%s.base.qcow2", h->dir, i, snap)) < 0)
			return r;
		snprintf(bfmt, 8, "qcow2");
		if (access(base, F_OK) == 0)
			return 0;
		if ((r = image_convert(src, "qcow2", base, "qcow2", snap, active)) < 0)
			return r;
		chmod(base, 0444);
		return 0;
	}
	if (active)
		return err_set(-EBUSY, "VM '%s' is running: a linked clone of its current state needs it stopped; stop "
				       "it, or clone one of its snapshots (--snapshot)",
			       h->name);
	/* nothing written since the last linked clone: share that base
	 * rather than stacking another one on it */
	if (k->backing[0] && image_snapshot_count(src) == 0 && image_overlay_unchanged(src) == 1) {
		if (strlen(k->backing) >= n)
			return err_set(-ENAMETOOLONG, "path too long");
		memcpy(base, k->backing, strlen(k->backing) + 1);
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
	/* the disk as it is becomes the base (a second name, then the source's
	 * name moves to a fresh overlay: at no moment is the disk missing) */
	if (link(src, base) < 0)
		return err_errno(-errno, "cannot make a base image of %s", src);
	snprintf(bfmt, 8, "%s", k->format);
	if ((r = fs_path(ovl, sizeof(ovl), "%s/.%s.overlay-%d", h->dir, k->path, (int)getpid())) < 0 ||
	    (r = image_create(ovl, "qcow2", 0, base, bfmt)) < 0) {
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
	memcpy(k->backing, base, strlen(base) + 1 <= sizeof(k->backing) ? strlen(base) + 1 : 0);
	/* the disk's name now holds a qcow2 overlay, even where the disk was raw */
	snprintf(k->format, sizeof(k->format), "qcow2");
	return 0;
}

int vm_clone(const char *src, const char *dst, bool linked, const char *snap)
{
	char vms[4096], stage[4300], final[4300], path[4400];
	struct vm_handle h;
	struct vmdef d, c;
	struct vm_status st;
	bool active, src_changed = false;
	int r;

	if ((r = vm_name_validate(dst)) < 0 || (r = store_vms_dir(vms, sizeof(vms))) < 0 ||
	    (r = fs_path(final, sizeof(final), "%s/%s", vms, dst)) < 0)
		return r;
	if (access(final, F_OK) == 0)
		return err_set(-EEXIST, "a VM named '%s' already exists", dst);
	if ((r = vm_lock_and_load(src, &h, &d, &st)) < 0)
		return r;
	active = vm_state_active(st.state);
	if (snap) {
		char sd[160];
		snprintf(sd, sizeof(sd), "snapshots/%s/vm.json", snap);
		if (!fs_exists_at(h.dirfd, sd)) {
			r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s'", src, snap);
			goto out;
		}
	}
	c = d;
	c.kernel = d.kernel ? strdup(d.kernel) : NULL;
	c.initrd = d.initrd ? strdup(d.initrd) : NULL;
	c.cmdline = d.cmdline ? strdup(d.cmdline) : NULL;
	if ((r = fs_path(stage, sizeof(stage), "%s/.new-%s-%d", vms, dst, (int)getpid())) < 0)
		goto out_c;
	if (mkdir(stage, 0700) < 0) {
		r = err_errno(-errno, "cannot create %s", stage);
		goto out_c;
	}
	if ((r = clone_identity(&c, dst)) < 0)
		goto fail;
	for (unsigned i = 0; i < d.ndisks; i++) {
		struct vmdef_disk *k = &c.disks[i];
		bool raw = !strcmp(d.disks[i].format, "raw");
		snprintf(k->path, sizeof(k->path), "disk%u.%s", i, linked || !raw ? "qcow2" : "raw");
		snprintf(path, sizeof(path), "%s/%s", stage, k->path);
		k->owned = true;
		k->backing[0] = '\0';
		if (snap && raw) {
			r = err_set(-EINVAL, "disk %s is raw and holds no snapshots", d.disks[i].path);
			goto fail;
		}
		if (linked) {
			char base[sizeof(k->backing)], bfmt[8];
			if ((r = make_base(&h, &d.disks[i], i, snap, active, base, sizeof(base), bfmt)) < 0)
				goto fail;
			src_changed |= !snap;
			if ((r = image_create(path, "qcow2", 0, base, bfmt)) < 0)
				goto fail;
			snprintf(k->format, sizeof(k->format), "qcow2");
			memcpy(k->backing, base, sizeof(k->backing));
		} else {
			if ((r = full_copy(&h, i, &d.disks[i], snap, active, path)) < 0)
				goto fail;
			snprintf(k->format, sizeof(k->format), "%s", raw ? "raw" : "qcow2");
		}
	}
	{
		int sfd = open(stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = sfd < 0 ? err_errno(-errno, "cannot open %s", stage) : vmdef_save(sfd, &c);
		if (r == 0)
			r = fs_write_atomic(sfd, "lock", "", 0, 0600);
		if (sfd >= 0)
			close(sfd);
		if (r < 0)
			goto fail;
	}
	if (src_changed && (r = vmdef_save(h.dirfd, &d)) < 0)
		goto fail;
	if (renameat2(AT_FDCWD, stage, AT_FDCWD, final, RENAME_NOREPLACE) < 0) {
		r = errno == EEXIST ? err_set(-EEXIST, "a VM named '%s' already exists", dst)
				    : err_errno(-errno, "cannot create %s", final);
		goto fail;
	}
	goto out_c;
fail : {
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", err_msg());
	fs_rm_rf_at(AT_FDCWD, stage);
	vm_release_addresses(dst, &c);
	err_set(r, "%s", msg);
}
out_c:
	vmdef_free(&c);
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int clone_dependants(const char *vm, char ***out, size_t *nout)
{
	char vms[4096], prefix[4300], **names, **deps;
	size_t n, k = 0;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = store_vms_dir(vms, sizeof(vms))) < 0 || (r = fs_path(prefix, sizeof(prefix), "%s/%s/", vms, vm)) < 0 ||
	    (r = store_list(&names, &n)) < 0)
		return r;
	deps = calloc(n + 1, sizeof(*deps));
	for (size_t i = 0; deps && i < n; i++) {
		struct vm_handle h;
		struct vmdef d;
		bool dep = false;
		if (!strcmp(names[i], vm) || vm_open(names[i], &h) < 0)
			continue;
		if (vmdef_load(h.dirfd, &d) == 0) {
			for (unsigned j = 0; j < d.ndisks; j++)
				dep |= !strncmp(d.disks[j].backing, prefix, strlen(prefix));
			vmdef_free(&d);
		}
		vm_close(&h);
		if (dep)
			deps[k++] = strdup(names[i]);
	}
	store_list_free(names, n);
	err_clear();
	if (!deps)
		return -ENOMEM;
	*out = deps;
	*nout = k;
	return 0;
}

void clone_dependants_text(const char *vm, char *buf, size_t n)
{
	char **deps;
	size_t k;

	buf[0] = '\0';
	if (clone_dependants(vm, &deps, &k) < 0)
		return;
	for (size_t i = 0; i < k; i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? ", " : "", deps[i]);
	store_list_free(deps, k);
}

int clone_flatten_dependants(const char *vm, bool check_only)
{
	char vms[4096], prefix[4300], path[4400], **deps;
	size_t k;
	int r;

	if ((r = store_vms_dir(vms, sizeof(vms))) < 0 || (r = fs_path(prefix, sizeof(prefix), "%s/%s/", vms, vm)) < 0 ||
	    (r = clone_dependants(vm, &deps, &k)) < 0)
		return r;
	for (size_t i = 0; i < k && r == 0; i++) {
		struct vm_handle h;
		struct vmdef d;
		struct vm_status st;
		if ((r = vm_lock_and_load(deps[i], &h, &d, &st)) < 0)
			break;
		if (vm_state_active(st.state))
			r = err_set(-EBUSY, "linked clone '%s' is running: stop it so that it can be flattened", deps[i]);
		for (unsigned j = 0; r == 0 && !check_only && j < d.ndisks; j++) {
			if (strncmp(d.disks[j].backing, prefix, strlen(prefix)))
				continue;
			disk_path(h.dir, &d.disks[j], path, sizeof(path));
			if ((r = image_flatten(path)) == 0) {
				d.disks[j].backing[0] = '\0';
				r = vmdef_save(h.dirfd, &d);
			}
		}
		vmdef_free(&d);
		vm_close(&h);
	}
	store_list_free(deps, k);
	return r;
}
