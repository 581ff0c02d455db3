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

#include "engine/qmp.h"
#include "manager/clone.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define MIGRATE_TIMEOUT_MS 300000

struct tree {
	struct snap_info s[SNAP_MAX];
	size_t n;
	char current[64];
};

static int tree_load(int dirfd, struct tree *t)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *arr, *v;
	int r = json_read_object(dirfd, "snapshots/snapshots.json", 1 << 20, &o);

	memset(t, 0, sizeof(*t));
	if (r == -ENOENT) {
		err_clear();
		return 0;
	}
	if (r < 0)
		return r;
	if (json_object_object_get_ex(o, "current", &v) && json_object_is_type(v, json_type_string))
		snprintf(t->current, sizeof(t->current), "%s", json_object_get_string(v));
	if (!json_object_object_get_ex(o, "snapshots", &arr) || !json_object_is_type(arr, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr) && t->n < SNAP_MAX; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		struct snap_info *s = &t->s[t->n];
		if (!json_object_object_get_ex(e, "name", &v) || vm_name_validate(json_object_get_string(v)) < 0)
			continue;
		snprintf(s->name, sizeof(s->name), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "parent", &v) && json_object_is_type(v, json_type_string))
			snprintf(s->parent, sizeof(s->parent), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "description", &v) && json_object_is_type(v, json_type_string))
			snprintf(s->description, sizeof(s->description), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(e, "created", &v))
			s->created = (time_t)json_object_get_int64(v);
		if (json_object_object_get_ex(e, "vmstate", &v))
			s->vmstate = json_object_get_boolean(v);
		if (json_object_object_get_ex(e, "paused", &v))
			s->paused = json_object_get_boolean(v);
		t->n++;
	}
	err_clear();
	return 0;
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
		json_object_object_add(e, "vmstate", json_object_new_boolean(t->s[i].vmstate));
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
			return err_set(-EINVAL, "%s needs qcow2 disks, and %s is %s: convert it (hv disk convert) first",
				       what, d->disks[i].path, d->disks[i].format);
	return 0;
}

static void disk_path(const struct vm_handle *h, const struct vmdef *d, unsigned i, char *buf, size_t n)
{
	if (d->disks[i].owned)
		snprintf(buf, n, "%s/%s", h->dir, d->disks[i].path);
	else
		snprintf(buf, n, "%s", d->disks[i].path);
}

static int open_qmp(const struct vm_handle *h, struct qmp **q)
{
	char path[4200];
	int r = fs_path(path, sizeof(path), "%s/qmp.sock", h->dir);

	return r < 0 ? r : qmp_open_path(path, 5000, q);
}

bool vm_qemu_running(struct qmp *q)
{
	struct json_object *ret = NULL, *v;
	bool running = false;

	if (qmp_execute(q, "query-status", NULL, &ret, 5000) == 0 && json_object_object_get_ex(ret, "running", &v))
		running = json_object_get_boolean(v);
	json_object_put(ret);
	return running;
}

int vm_settle(struct qmp *q)
{
	struct json_object *ret = NULL, *v;
	const char *st;
	int r = 0;

	/* a state save whose hv was killed may still be running: cancel it */
	for (int i = 0; i < 500; i++) {
		if (qmp_execute(q, "query-migrate", NULL, &ret, 5000) < 0)
			break;
		st = json_object_object_get_ex(ret, "status", &v) ? json_object_get_string(v) : "none";
		bool busy = strcmp(st, "none") && strcmp(st, "completed") && strcmp(st, "failed") &&
			    strcmp(st, "cancelled");
		json_object_put(ret);
		ret = NULL;
		if (!busy)
			break;
		if (i == 0)
			qmp_execute(q, "migrate_cancel", NULL, NULL, 5000);
		proc_sleep_ms(10);
	}
	/* a completed one left the disks inactive: only cont takes them back */
	if (qmp_execute(q, "query-status", NULL, &ret, 5000) == 0 && json_object_object_get_ex(ret, "status", &v) &&
	    !strcmp(json_object_get_string(v), "postmigrate")) {
		if ((r = qmp_execute(q, "cont", NULL, NULL, 5000)) == 0)
			r = qmp_execute(q, "stop", NULL, NULL, 5000);
	}
	json_object_put(ret);
	err_clear();
	return r;
}

static int qmp_disk_snapshot(struct qmp *q, unsigned disk, const char *name, bool create)
{
	struct json_object *args = json_object_new_object();
	char dev[16];
	int r;

	snprintf(dev, sizeof(dev), "disk%u", disk);
	json_object_object_add(args, "device", json_object_new_string(dev));
	json_object_object_add(args, "name", json_object_new_string(name));
	r = qmp_execute(q, create ? "blockdev-snapshot-internal-sync" : "blockdev-snapshot-delete-internal-sync", args,
			NULL, 60000);
	json_object_put(args);
	return r;
}

/* Memory and device state of a paused VM into dir/vmstate (migrate to an fd). */
int vmstate_save(struct qmp *q, int dirfd, const char *file)
{
	_cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct json_object *args, *ret = NULL, *v;
	uint64_t deadline = proc_now_ms() + MIGRATE_TIMEOUT_MS;
	int r;

	if (fd < 0)
		return err_errno(-errno, "cannot create %s", file);
	if ((r = qmp_send_fd(q, fd, "hvstate", 5000)) < 0)
		return r;
	args = json_object_new_object();
	json_object_object_add(args, "uri", json_object_new_string("fd:hvstate"));
	r = qmp_execute(q, "migrate", args, NULL, 5000);
	json_object_put(args);
	if (r < 0)
		return r;
	for (;;) {
		const char *st = "";
		if ((r = qmp_execute(q, "query-migrate", NULL, &ret, 5000)) < 0)
			return r;
		if (json_object_object_get_ex(ret, "status", &v))
			st = json_object_get_string(v);
		if (!strcmp(st, "completed")) {
			json_object_put(ret);
			break;
		}
		if (!strcmp(st, "failed") || !strcmp(st, "cancelled")) {
			const char *why = json_object_object_get_ex(ret, "error-desc", &v) ? json_object_get_string(v) : st;
			r = err_set(strstr(why, "space") ? -ENOSPC : -EIO, "saving the VM state failed: %s", why);
			json_object_put(ret);
			return r;
		}
		json_object_put(ret);
		ret = NULL;
		if (proc_now_ms() > deadline)
			return err_set(-ETIMEDOUT, "saving the VM state did not finish in time");
		proc_sleep_ms(20);
	}
	if (fsync(fd) < 0)
		return err_errno(-errno, "cannot write the VM state");
	return 0;
}

int snap_create(const char *vm, const char *snap, bool disk_only, const char *description)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct tree t;
	struct qmp *q = NULL;
	char tmp[128], dir[128], path[4300];
	unsigned made = 0;
	bool active, was_running = false, state;
	int r;

	if ((r = vm_name_validate(snap)) < 0)
		return err_prefix(r, "snapshot name");
	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	active = vm_state_active(st.state);
	state = active && !disk_only;
	if ((r = tree_load(h.dirfd, &t)) < 0)
		goto out;
	if (tree_find(&t, snap)) {
		r = err_set(-EEXIST, "VM '%s' already has a snapshot named '%s'", vm, snap);
		goto out;
	}
	if (t.n == SNAP_MAX) {
		r = err_set(-ENOSPC, "VM '%s' has %d snapshots already", vm, SNAP_MAX);
		goto out;
	}
	if ((r = check_disks(&d, state ? "a snapshot with VM state" : "a snapshot")) < 0)
		goto out;
	if (!state && d.ndisks == 0) {
		r = err_set(-EINVAL, "VM '%s' has no disk and is not running: there is nothing to snapshot", vm);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "snapshots/.tmp-%s", snap);
	snprintf(dir, sizeof(dir), "snapshots/%s", snap);
	mkdirat(h.dirfd, "snapshots", 0700);
	fs_rm_rf_at(h.dirfd, tmp); /* left by an interrupted attempt */
	if (mkdirat(h.dirfd, tmp, 0700) < 0) {
		r = err_errno(-errno, "cannot create %s", tmp);
		goto out;
	}
	if (active) {
		/* one instant for every disk and the memory: pause around it
		 * (QEMU's word, not the record: a resume may be in flight) */
		if ((r = open_qmp(&h, &q)) < 0 || (r = vm_settle(q)) < 0)
			goto fail;
		was_running = vm_qemu_running(q);
		if (was_running && (r = qmp_execute(q, "stop", NULL, NULL, 5000)) < 0)
			goto fail;
	}
	for (; made < d.ndisks; made++) {
		disk_path(&h, &d, made, path, sizeof(path));
		r = active ? qmp_disk_snapshot(q, made, snap, true) : image_snapshot(path, 'c', snap);
		if (r < 0)
			goto fail;
	}
	if (state && (r = vmstate_save(q, h.dirfd, strcat(strcpy(path, tmp), "/vmstate"))) < 0)
		goto fail;
	if (was_running && (r = qmp_execute(q, "cont", NULL, NULL, 5000)) < 0)
		goto fail;
	/* a completed migration leaves the disks inactive (for a destination
	 * that never comes): only "cont" takes them back, so a paused VM runs
	 * for an instant and is paused again */
	if (state && !was_running &&
	    ((r = qmp_execute(q, "cont", NULL, NULL, 5000)) < 0 || (r = qmp_execute(q, "stop", NULL, NULL, 5000)) < 0))
		goto fail;
	was_running = false;
	/* the definition it belongs to, then the snapshot appears whole */
	if ((r = vmdef_save_at(h.dirfd, tmp, &d)) < 0 || renameat(h.dirfd, tmp, h.dirfd, dir) < 0) {
		r = r < 0 ? r : err_errno(-errno, "cannot store snapshot %s", snap);
		goto fail;
	}
	struct snap_info *s = &t.s[t.n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", snap);
	snprintf(s->parent, sizeof(s->parent), "%s", t.current);
	snprintf(s->description, sizeof(s->description), "%s", description ? description : "");
	s->created = time(NULL);
	s->vmstate = state;
	s->paused = state && st.state == VM_PAUSED;
	snprintf(t.current, sizeof(t.current), "%s", snap);
	if ((r = tree_save(h.dirfd, &t)) < 0) {
		fs_rm_rf_at(h.dirfd, dir);
		goto fail;
	}
	goto out;
fail : {
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", err_msg());
	/* undo what was done: the VM runs on, no half snapshot remains */
	for (unsigned i = 0; i < made; i++) {
		disk_path(&h, &d, i, path, sizeof(path));
		if (active)
			qmp_disk_snapshot(q, i, snap, false);
		else
			image_snapshot(path, 'd', snap);
	}
	if (was_running)
		qmp_execute(q, "cont", NULL, NULL, 5000);
	fs_rm_rf_at(h.dirfd, tmp);
	err_set(r, "%s", msg);
}
out:
	qmp_close(q);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int snap_list(const char *vm, struct snap_info *out, size_t max, size_t *n, char current[64])
{
	struct vm_handle h;
	struct tree t;
	int r;

	*n = 0;
	if ((r = vm_open(vm, &h)) < 0)
		return r;
	if ((r = tree_load(h.dirfd, &t)) == 0) {
		for (size_t i = 0; i < t.n && i < max; i++) {
			struct stat sb;
			char p[160];
			out[i] = t.s[i];
			snprintf(p, sizeof(p), "snapshots/%s/vmstate", t.s[i].name);
			if (fstatat(h.dirfd, p, &sb, 0) == 0)
				out[i].state_bytes = (unsigned long long)sb.st_blocks * 512;
			(*n)++;
		}
		snprintf(current, 64, "%s", t.current);
	}
	vm_close(&h);
	return r;
}

/* Where does the snapshot's disk data live?  In the image itself, or in a
 * base image that linked clones share (then it cannot be touched). */
static int check_in_image(const struct vm_handle *h, const struct vmdef *d, const char *snap, const char *what)
{
	char path[4300];

	for (unsigned i = 0; i < d->ndisks; i++) {
		disk_path(h, d, i, path, sizeof(path));
		int has = image_has_snapshot(path, snap, true);
		if (has < 0)
			return has;
		if (!has) {
			char users[512];
			clone_dependants_text(h->name, users, sizeof(users));
			return err_set(-EBUSY, "cannot %s snapshot '%s': its disk data is in the base image that linked "
					       "clones depend on (%s)",
				       what, snap, users[0] ? users : "none left; the base is read-only");
		}
	}
	return 0;
}

int snap_revert(const char *vm, const char *snap, bool *started)
{
	struct vm_handle h;
	struct vmdef d, at;
	struct vm_status st, final;
	struct vm_started s;
	struct tree t;
	struct snap_info *si;
	char path[4300], dir[160];
	int r;

	*started = false;
	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	if ((r = tree_load(h.dirfd, &t)) < 0)
		goto out;
	if (!(si = tree_find(&t, snap))) {
		r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s' (see: hv snapshot list %s)", vm, snap, vm);
		goto out;
	}
	snprintf(dir, sizeof(dir), "snapshots/%s", snap);
	if ((r = vmdef_load_at(h.dirfd, dir, &at)) < 0)
		goto out;
	/* refuse everything that cannot work before anything changes */
	if ((r = check_disks(&at, "revert")) < 0 || (r = check_in_image(&h, &at, snap, "revert to")) < 0)
		goto out_at;
	if (vm_state_active(st.state) && (r = vm_hard_stop_locked(&h, "stopped to revert to a snapshot", &final)) < 0)
		goto out_at;
	for (unsigned i = 0; i < at.ndisks; i++) {
		disk_path(&h, &at, i, path, sizeof(path));
		if ((r = image_snapshot(path, 'a', snap)) < 0)
			goto out_at;
	}
	/* the definition it was taken with; a saved state belongs to the past */
	snprintf(at.name, sizeof(at.name), "%s", vm);
	if ((r = vmdef_save(h.dirfd, &at)) < 0)
		goto out_at;
	fs_rm_rf_at(h.dirfd, "saved");
	snprintf(t.current, sizeof(t.current), "%s", snap);
	if ((r = tree_save(h.dirfd, &t)) < 0)
		goto out_at;
	if (si->vmstate) {
		snprintf(path, sizeof(path), "%s/%s/vmstate", h.dir, dir);
		if ((r = vm_start_locked(&h, &at, path, si->paused, &s)) == 0)
			*started = true;
	}
out_at:
	vmdef_free(&at);
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int snap_delete(const char *vm, const char *snap)
{
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct tree t;
	struct snap_info *si;
	struct qmp *q = NULL;
	char path[4300], dir[160];
	int r;

	if ((r = vm_lock_and_load(vm, &h, &d, &st)) < 0)
		return r;
	if ((r = tree_load(h.dirfd, &t)) < 0)
		goto out;
	if (!(si = tree_find(&t, snap))) {
		r = err_set(-ENOENT, "VM '%s' has no snapshot named '%s'", vm, snap);
		goto out;
	}
	if ((r = check_in_image(&h, &d, snap, "delete")) < 0)
		goto out;
	if (vm_state_active(st.state) && (r = open_qmp(&h, &q)) < 0)
		goto out;
	for (unsigned i = 0; i < d.ndisks; i++) {
		disk_path(&h, &d, i, path, sizeof(path));
		r = q ? qmp_disk_snapshot(q, i, snap, false) : image_snapshot(path, 'd', snap);
		if (r < 0)
			goto out;
	}
	/* children move up to the deleted snapshot's parent: the tree stays whole */
	char parent[64];
	snprintf(parent, sizeof(parent), "%s", si->parent);
	for (size_t i = 0; i < t.n; i++)
		if (!strcmp(t.s[i].parent, snap))
			snprintf(t.s[i].parent, sizeof(t.s[i].parent), "%s", parent);
	if (!strcmp(t.current, snap))
		snprintf(t.current, sizeof(t.current), "%s", parent);
	*si = t.s[--t.n];
	if ((r = tree_save(h.dirfd, &t)) < 0)
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
	fs_rm_rf_at(h.dirfd, ".saving");
	if (mkdirat(h.dirfd, ".saving", 0700) < 0) {
		r = err_errno(-errno, "cannot create the saved state folder");
		goto out;
	}
	if ((r = open_qmp(&h, &q)) < 0 || (r = vm_settle(q)) < 0)
		goto fail;
	running = vm_qemu_running(q);
	if (running && (r = qmp_execute(q, "stop", NULL, NULL, 5000)) < 0)
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
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s", err_msg());
	if (q && running)
		qmp_execute(q, "cont", NULL, NULL, 5000);
	fs_rm_rf_at(h.dirfd, ".saving");
	err_set(r, "%s", msg);
}
out:
	qmp_close(q);
	vmdef_free(&d);
	vm_close(&h);
	return r;
}
