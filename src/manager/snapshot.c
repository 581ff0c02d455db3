/* SPDX-License-Identifier: MIT */
#include "manager/snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/ops.h"
#include "engine/qmp-ops.h"
#include "manager/linked.h"
#include "manager/power.h"
#include "manager/vmops.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define MIGRATE_TIMEOUT_MS 300000

struct tree {
	struct snap_info s[SNAP_MAX];
	size_t n;
	char current[64];
};

static int tree_entry(struct json_object *e, size_t i, const char *path, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("name", JSON_REQUIRED, struct snap_info, name),
		JSON_FIELD_BUF("parent", JSON_NULLABLE, struct snap_info, parent),
		JSON_FIELD_BUF("description", JSON_NULLABLE, struct snap_info, description),
		JSON_FIELD("created", JSON_INT64, 0, struct snap_info, created),
		JSON_FIELD("paused", JSON_BOOL, 0, struct snap_info, paused),
		JSON_FIELD_END,
	};
	struct tree *t = ctx;
	struct snap_info *s = &t->s[t->n];
	int r;

	(void)i;
	memset(s, 0, sizeof(*s));
	if ((r = json_dispatch(e, fields, s, path, 0)) < 0)
		return r;
	if (vm_name_validate(s->name) < 0)
		return err_set(-EINVAL, "%s.name: '%s' is not a valid snapshot name", path, s->name);
	t->n++;
	return 0;
}

/* snapshots/snapshots.json.  Whether a snapshot holds VM state is the
 * existence of its vmstate file, never a flag that could disagree. */
static int tree_load(int dirfd, struct tree *t)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("current", JSON_NULLABLE, struct tree, current),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *arr = NULL;
	int r = json_read_object(dirfd, "snapshots/snapshots.json", 1 << 20, &o);

	memset(t, 0, sizeof(*t));
	if (r == -ENOENT) {
		err_clear();
		return 0;
	}
	if (r < 0 || (r = json_dispatch(o, fields, t, "snapshots.json", 0)) < 0)
		return r;
	if ((r = json_get_array(o, "snapshots", "snapshots.json", &arr)) == -ENOENT)
		return 0;
	if (r < 0 || (r = json_array_each(arr, "snapshots.json: snapshots", SNAP_MAX, tree_entry, t)) < 0)
		return r;
	for (size_t i = 0; i < t->n; i++) {
		_cleanup_free_ char *state = NULL;
		if (asprintf(&state, "snapshots/%s/vmstate", t->s[i].name) < 0)
			return err_set(-ENOMEM, "out of memory");
		t->s[i].vmstate = fs_exists_at(dirfd, state);
	}
	return 0;
}

static int tree_alloc_load(int dirfd, struct tree **t)
{
	if (!(*t = calloc(1, sizeof(**t))))
		return err_set(-ENOMEM, "out of memory");
	return tree_load(dirfd, *t);
}

static int tree_save(int dirfd, const struct tree *t)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	json_object_object_add(o, "current", t->current[0] ? json_object_new_string(t->current) : NULL);
	for (size_t i = 0; i < t->n; i++) {
		struct json_object *e = json_object_new_object();
		json_object_object_add(e, "name", json_object_new_string(t->s[i].name));
		json_object_object_add(e, "parent", t->s[i].parent[0] ? json_object_new_string(t->s[i].parent) : NULL);
		json_object_object_add(e, "description", json_object_new_string(t->s[i].description));
		json_object_object_add(e, "created", json_object_new_int64((int64_t)t->s[i].created));
		json_object_object_add(e, "paused", json_object_new_boolean(t->s[i].paused));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "snapshots", arr);
	mkdirat(dirfd, "snapshots", 0700);
	return json_write_atomic(dirfd, "snapshots/snapshots.json",
				 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

static struct snap_info *tree_find(struct tree *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].name, name))
			return &t->s[i];
	return NULL;
}

/* Snapshots live in qcow2 images: refuse anything else up front. */
static int check_disks(const struct vmdef *d, const char *what)
{
	for (unsigned i = 0; i < d->ndisks; i++)
		if (strcmp(d->disks[i].format, "qcow2"))
			return err_set(-EINVAL,
				       "%s needs qcow2 disks, and %s is %s: convert it (hv disk convert) first", what,
				       d->disks[i].path, d->disks[i].format);
	return 0;
}

/* QEMU's name for disk i (qemu.c gives drive i the id "diskI"). */
static void disk_device(unsigned i, char *dev, size_t n)
{
	snprintf(dev, n, "disk%u", i);
}

/* One disk's snapshot: through QEMU while it runs, else in the image. */
static int disk_snapshot(struct qmp *q, const struct vm_handle *h, const struct vmdef *d, unsigned i, const char *snap,
			 bool create)
{
	_cleanup_free_ char *path = NULL;
	char dev[16];
	int r;

	if (q) {
		disk_device(i, dev, sizeof(dev));
		return create ? qmp_snapshot_internal(q, dev, snap) : qmp_snapshot_delete_internal(q, dev, snap);
	}
	if ((r = vm_disk_path(h->dir, &d->disks[i], &path)) < 0)
		return r;
	return image_snapshot(path, create ? 'c' : 'd', snap);
}

/* Memory and device state of a paused VM into dirfd/file.  A local file
 * takes the state as fast as the disk can: QEMU's default migration
 * bandwidth (128 MiB/s) would make it several times slower. */
/* QEMU cannot migrate a vhost-user-fs device (its state lives in
 * virtiofsd): say so before anything is made. */
static int check_shares(const struct vmdef *d, const char *what)
{
	if (!d->shares.n)
		return 0;
	return err_set(-EOPNOTSUPP,
		       "VM '%s' has shared folders, and QEMU cannot save the memory of a VM using virtio-fs: %s",
		       d->name, what);
}

static int vmstate_save(struct qmp *q, int dirfd, const char *file)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return err_errno(-errno, "cannot create %s", file);
	return qmp_save_state(q, fd, QMP_BANDWIDTH_UNLIMITED, MIGRATE_TIMEOUT_MS);
}

/* Pause a running VM for a consistent capture (QEMU's word, not the
 * record: a resume may be in flight).  *was_running: it must run again. */
static int pause_for_capture(struct qmp *q, bool *was_running)
{
	struct qmp_status qs;
	int r;

	*was_running = false;
	if ((r = qmp_settle(q)) < 0 || (r = qmp_query_status(q, &qs)) < 0)
		return r;
	if (qs.running && (r = qmp_stop(q)) < 0)
		return r;
	*was_running = qs.running;
	return 0;
}

#define FREEZE_TIMEOUT_MS 60000 /* fsfreeze syncs every file system first: slow under TCG */

/* Quiesce a running guest's file systems through its agent, so the disk
 * snapshot holds them clean (libvirt's --quiesce).  No agent (or one that
 * cannot freeze): *g stays NULL and the snapshot is taken as it is. */
static void guest_freeze(const struct vm_handle *h, struct qga **g)
{
	_cleanup_qga_ struct qga *a = NULL;
	int r;

	*g = NULL;
	if (!fs_exists_at(h->dirfd, "agent.sock") ||
	    qga_open_at(h->dirfd, QGA_PROBE_TIMEOUT_MS, QGA_PROBE_TIMEOUT_MS, &a) < 0) {
		err_clear();
		return;
	}
	if ((r = agent_fsfreeze_freeze(a, FREEZE_TIMEOUT_MS, NULL)) < 0) {
		/* a freeze that failed half way leaves some frozen */
		agent_fsfreeze_thaw(a, FREEZE_TIMEOUT_MS, NULL);
		err_clear();
		return;
	}
	*g = TAKE_PTR(a);
}

/* Thaw what guest_freeze froze (the guest must run again first). */
static int guest_thaw(struct qga **g)
{
	int r = 0;

	if (!*g)
		return 0;
	for (int i = 0; i < 3 && (r = agent_fsfreeze_thaw(*g, FREEZE_TIMEOUT_MS, NULL)) < 0; i++)
		;
	qga_close(*g);
	*g = NULL;
	return r < 0 ? err_prefix(r, "the guest's file systems may still be frozen (hv stop --force ends that)") : 0;
}

/* Whether VM @vm's snapshot @snap can be taken: a free name, room in the
 * tree, disks that can hold one (and no shares when it keeps VM state). */
static int snap_precheck(const char *vm, const char *snap, struct tree *t, const struct vmdef *d, bool state)
{
	int r;

	if (tree_find(t, snap))
		return err_set(-EEXIST, "VM '%s' already has a snapshot named '%s'", vm, snap);
	if (t->n == SNAP_MAX)
		return err_set(-ENOSPC, "VM '%s' has %d snapshots already", vm, SNAP_MAX);
	if ((r = check_disks(d, state ? "a snapshot with VM state" : "a snapshot")) < 0 ||
	    (state && (r = check_shares(d, "take a --disk-only snapshot, or stop it first")) < 0))
		return r;
	if (!state && d->ndisks == 0)
		return err_set(-EINVAL, "VM '%s' has no disk and is not running: there is nothing to snapshot", vm);
	return 0;
}

/* What one snap_create is doing, so a failure can be undone step by step. */
struct capture {
	struct vm_handle *h;
	struct vmdef *d;
	struct qmp *q;
	struct qga *frozen;
	unsigned made; /* disks switched to their overlay */
	bool was_running;
};

/* Take the disks' overlays (and the memory when @state) at one instant of a
 * paused guest, then let it run as it did; @tmp holds the vmstate file. */
static int snap_capture(struct capture *c, const struct vm_status *st, const char *snap, const char *tmp, bool state)
{
	bool active = vm_state_active(st->state);
	_cleanup_free_ char *state_file = NULL;
	int r;

	if (asprintf(&state_file, "%s/vmstate", tmp) < 0)
		return err_set(-ENOMEM, "out of memory");
	/* a disk-only snapshot of a running guest holds its file systems
	 * frozen (never one with VM state: it would resume frozen) */
	if (active && !state && st->state == VM_RUNNING)
		guest_freeze(c->h, &c->frozen);
	/* one instant for every disk and the memory: pause around it */
	if (active && ((r = vm_qmp_open(c->h, &c->q)) < 0 || (r = pause_for_capture(c->q, &c->was_running)) < 0))
		return r;
	for (; c->made < c->d->ndisks; c->made++)
		if ((r = disk_snapshot(c->q, c->h, c->d, c->made, snap, true)) < 0)
			return r;
	if (state && (r = vmstate_save(c->q, c->h->dirfd, state_file)) < 0)
		return r;
	if (c->was_running && (r = qmp_cont(c->q)) < 0)
		return r;
	if ((r = guest_thaw(&c->frozen)) < 0)
		return r;
	/* a completed migration leaves the disks inactive (for a destination
	 * that never comes): only "cont" takes them back, so a paused VM runs
	 * for an instant and is paused again */
	if (state && !c->was_running && ((r = qmp_cont(c->q)) < 0 || (r = qmp_stop(c->q)) < 0))
		return r;
	c->was_running = false;
	return 0;
}

/* Undo what snap_capture did: the VM runs on, no half snapshot remains. */
static void snap_undo(struct capture *c, const char *snap, const char *tmp)
{
	struct err_saved e;

	err_save(&e);
	for (unsigned i = 0; i < c->made; i++)
		disk_snapshot(c->q, c->h, c->d, i, snap, false);
	if (c->was_running)
		qmp_cont(c->q);
	guest_thaw(&c->frozen);
	fs_rm_rf_at(c->h->dirfd, tmp);
	err_restore(&e);
}

/* Add @snap to the tree as the child of the current state, now current. */
static void tree_add(struct tree *t, const char *snap, const char *description, bool paused)
{
	struct snap_info *s = &t->s[t->n++];

	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", snap);
	snprintf(s->parent, sizeof(s->parent), "%s", t->current);
	snprintf(s->description, sizeof(s->description), "%s", description ? description : "");
	s->created = time(NULL);
	s->paused = paused;
	snprintf(t->current, sizeof(t->current), "%s", snap);
}

int snap_create(const char *vm, const char *snap, bool disk_only, const char *description)
{
	_cleanup_free_ struct tree *t = NULL;
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct capture c = { .h = &h, .d = &d };
	char tmp[128], dir[128];
	bool state;
	int r;

	if ((r = vm_name_validate(snap)) < 0)
		return err_prefix(r, "snapshot name");
	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	state = vm_state_active(st.state) && !disk_only;
	if ((r = tree_alloc_load(h.dirfd, &t)) < 0 || (r = snap_precheck(vm, snap, t, &d, state)) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "snapshots/.tmp-%s", snap);
	snprintf(dir, sizeof(dir), "snapshots/%s", snap);
	mkdirat(h.dirfd, "snapshots", 0700);
	fs_rm_rf_at(h.dirfd, tmp); /* left by an interrupted attempt */
	if (mkdirat(h.dirfd, tmp, 0700) < 0) {
		r = err_errno(-errno, "cannot create %s", tmp);
		goto out;
	}
	if ((r = snap_capture(&c, &st, snap, tmp, state)) < 0)
		goto fail;
	/* the definition it belongs to, then the snapshot appears whole */
	if ((r = vmdef_save_at(h.dirfd, tmp, &d)) < 0 || renameat(h.dirfd, tmp, h.dirfd, dir) < 0) {
		r = r < 0 ? r : err_errno(-errno, "cannot store snapshot %s", snap);
		goto fail;
	}
	tree_add(t, snap, description, state && st.state == VM_PAUSED);
	if ((r = tree_save(h.dirfd, t)) < 0) {
		fs_rm_rf_at(h.dirfd, dir);
		goto fail;
	}
	goto out;
fail:
	snap_undo(&c, snap, tmp);
out:
	qga_close(c.frozen);
	qmp_close(c.q);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int snap_list(const char *vm, struct snap_info *out, size_t max, size_t *n, char current[64])
{
	_cleanup_free_ struct tree *t = NULL;
	struct vm_handle h;
	int r;

	*n = 0;
	if ((r = vm_open(vm, &h)) < 0)
		return r;
	if ((r = tree_alloc_load(h.dirfd, &t)) == 0) {
		for (size_t i = 0; i < t->n && i < max; i++) {
			struct stat sb;
			char p[160];
			out[i] = t->s[i];
			snprintf(p, sizeof(p), "snapshots/%s/vmstate", t->s[i].name);
			if (fstatat(h.dirfd, p, &sb, 0) == 0)
				out[i].state_bytes = (unsigned long long)sb.st_blocks * 512;
			(*n)++;
		}
		snprintf(current, 64, "%s", t->current);
	}
	vm_close(&h);
	return r;
}

/* Where is a snapshot's data for each disk?  In the image itself; in the
 * base image that linked clones share (after a linked clone moved the
 * disk's data there); or nowhere any more (an interrupted delete). */
enum snap_where { SNAP_IN_IMAGE, SNAP_IN_BASE, SNAP_GONE };

static int snap_locate(const struct vm_handle *h, const struct vmdef_disk *k, const char *backing, const char *snap,
		       enum snap_where *w)
{
	_cleanup_free_ char *path = NULL;
	int r;

	if ((r = vm_disk_path(h->dir, k, &path)) < 0 || (r = image_has_snapshot(path, snap, true)) < 0)
		return r;
	*w = SNAP_IN_IMAGE;
	if (r > 0)
		return 0;
	*w = SNAP_GONE;
	if (backing[0] && (r = image_has_snapshot(backing, snap, true)) > 0)
		*w = SNAP_IN_BASE;
	err_clear();
	return 0;
}

static int refuse_in_base(const struct vm_handle *h, const char *snap, const char *what)
{
	char users[512];

	linked_dependants_text(h->name, users, sizeof(users));
	return err_set(-EBUSY,
		       "cannot %s snapshot '%s': its disk data is in the base image that linked clones depend on (%s)",
		       what, snap, users[0] ? users : "none left; the base is read-only");
}

/* Every disk must hold the snapshot itself to revert to it.  at is the
 * definition the snapshot was taken with; cur says where a disk's data
 * went since (a linked clone made the disk an overlay on a base). */
static int check_revertible(const struct vm_handle *h, const struct vmdef *cur, const struct vmdef *d, const char *snap)
{
	for (unsigned i = 0; i < d->ndisks; i++) {
		const struct vmdef_disk *now = i < cur->ndisks ? &cur->disks[i] : &d->disks[i];
		enum snap_where w;
		int r = snap_locate(h, &d->disks[i], now->backing, snap, &w);
		if (r < 0)
			return r;
		if (w == SNAP_IN_BASE)
			return refuse_in_base(h, snap, "revert to");
		if (w == SNAP_GONE)
			return err_set(-ENOENT,
				       "cannot revert to snapshot '%s': disk %s no longer holds it (an earlier "
				       "delete was interrupted); finish that with hv snapshot delete",
				       snap, d->disks[i].path);
	}
	return 0;
}

int snap_revert(const char *vm, const char *snap, bool *started)
{
	_cleanup_free_ struct tree *t = NULL;
	_cleanup_free_ struct vmdef *at = NULL;
	_cleanup_free_ char *state = NULL;
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st, final;
	struct vm_started s;
	struct snap_info *si;
	char dir[160];
	bool loaded = false;
	int r;

	*started = false;
	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	if ((r = tree_alloc_load(h.dirfd, &t)) < 0)
		goto out;
	if (!(si = tree_find(t, snap))) {
		r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s' (see: hv snapshot list %s)", vm, snap, vm);
		goto out;
	}
	snprintf(dir, sizeof(dir), "snapshots/%s", snap);
	if (!(at = malloc(sizeof(*at)))) {
		r = err_set(-ENOMEM, "out of memory");
		goto out;
	}
	if ((r = vmdef_load_at(h.dirfd, dir, at)) < 0)
		goto out;
	loaded = true;
	/* refuse everything that cannot work before anything changes */
	if ((r = check_disks(at, "revert")) < 0 || (r = check_revertible(&h, &d, at, snap)) < 0)
		goto out;
	if (vm_state_active(st.state) && (r = vm_hard_stop_locked(&h, "stopped to revert to a snapshot", &final)) < 0)
		goto out;
	for (unsigned i = 0; i < at->ndisks; i++) {
		_cleanup_free_ char *path = NULL;
		if ((r = vm_disk_path(h.dir, &at->disks[i], &path)) < 0 || (r = image_snapshot(path, 'a', snap)) < 0)
			goto out;
	}
	/* the definition it was taken with; a saved state belongs to the past */
	snprintf(at->name, sizeof(at->name), "%s", vm);
	if ((r = vmdef_save(h.dirfd, at)) < 0)
		goto out;
	fs_rm_rf_at(h.dirfd, "saved");
	snprintf(t->current, sizeof(t->current), "%s", snap);
	if ((r = tree_save(h.dirfd, t)) < 0)
		goto out;
	if (si->vmstate) {
		if (asprintf(&state, "%s/%s/vmstate", h.dir, dir) < 0) {
			r = err_set(-ENOMEM, "out of memory");
			goto out;
		}
		struct vm_start_opts o = VM_START_OPTS_INIT;
		o.state = state;
		o.paused = si->paused;
		if ((r = vm_start_locked(&h, at, &o, &s)) == 0)
			*started = true;
	}
out:
	if (loaded)
		vmdef_free(at);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

/* Deleting a snapshot cannot be undone disk by disk (a deleted internal
 * snapshot is gone), so it is resumable instead: a disk that no longer
 * holds the snapshot was done by an earlier, interrupted attempt and is
 * skipped; the snapshot leaves the tree only when every disk is done. */
int snap_delete(const char *vm, const char *snap)
{
	_cleanup_free_ struct tree *t = NULL;
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct snap_info *si;
	struct qmp *q = NULL;
	enum snap_where where[VMDEF_MAX_DISKS];
	char dir[160], parent[64];
	unsigned done = 0, todo = 0;
	int r;

	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	if ((r = tree_alloc_load(h.dirfd, &t)) < 0)
		goto out;
	if (!(si = tree_find(t, snap))) {
		r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s'", vm, snap);
		goto out;
	}
	/* check every disk before touching any */
	for (unsigned i = 0; i < d.ndisks; i++) {
		if ((r = snap_locate(&h, &d.disks[i], d.disks[i].backing, snap, &where[i])) < 0)
			goto out;
		if (where[i] == SNAP_IN_BASE) {
			r = refuse_in_base(&h, snap, "delete");
			goto out;
		}
		todo += where[i] == SNAP_IN_IMAGE;
	}
	if (todo && vm_state_active(st.state) && (r = vm_qmp_open(&h, &q)) < 0)
		goto out;
	for (unsigned i = 0; i < d.ndisks; i++) {
		if (where[i] != SNAP_IN_IMAGE)
			continue;
		if ((r = disk_snapshot(q, &h, &d, i, snap, false)) < 0) {
			r = err_prefix(
			    r,
			    "snapshot '%s' was deleted from %u of its %u disks, not from %s; run hv snapshot "
			    "delete again to finish",
			    snap, done, todo, d.disks[i].path);
			goto out;
		}
		done++;
	}
	/* children move up to the deleted snapshot's parent: the tree stays whole */
	snprintf(parent, sizeof(parent), "%s", si->parent);
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->s[i].parent, snap))
			snprintf(t->s[i].parent, sizeof(t->s[i].parent), "%s", parent);
	if (!strcmp(t->current, snap))
		snprintf(t->current, sizeof(t->current), "%s", parent);
	*si = t->s[--t->n];
	if ((r = tree_save(h.dirfd, t)) < 0)
		goto out;
	snprintf(dir, sizeof(dir), "snapshots/%s", snap);
	r = fs_rm_rf_at(h.dirfd, dir);
out:
	qmp_close(q);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int vm_save(const char *vm)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st, final;
	struct qmp *q = NULL;
	bool running = false;
	int r;

	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	if (!vm_state_active(st.state)) {
		r = err_set(-ESRCH, "VM '%s' is not running (it is %s)", vm, vm_state_name(st.state));
		goto out;
	}
	if ((r = check_shares(&d, "stop it instead")) < 0)
		goto out;
	fs_rm_rf_at(h.dirfd, ".saving");
	if (mkdirat(h.dirfd, ".saving", 0700) < 0) {
		r = err_errno(-errno, "cannot create the saved state folder");
		goto out;
	}
	if ((r = vm_qmp_open(&h, &q)) < 0 || (r = pause_for_capture(q, &running)) < 0)
		goto fail;
	if ((r = vmstate_save(q, h.dirfd, ".saving/vmstate")) < 0)
		goto fail;
	if (!running && (r = fs_write_atomic(h.dirfd, ".saving/paused", "", 0, 0600)) < 0)
		goto fail;
	/* the state is complete: publish it, then stop QEMU */
	fs_rm_rf_at(h.dirfd, "saved");
	if (renameat(h.dirfd, ".saving", h.dirfd, "saved") < 0) {
		r = err_errno(-errno, "cannot store the saved state");
		goto fail;
	}
	qmp_close(q);
	q = NULL;
	r = vm_hard_stop_locked(&h, "saved (hv save): hv start resumes it", &final);
	goto out;
fail : {
	struct err_saved e;
	err_save(&e);
	if (q && running)
		qmp_cont(q);
	fs_rm_rf_at(h.dirfd, ".saving");
	err_restore(&e);
}
out:
	qmp_close(q);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}
