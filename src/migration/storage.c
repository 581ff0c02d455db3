/* SPDX-License-Identifier: MIT */
/* hv migrate --copy-storage: the disks mirrored over NBD (see storage.h). */
#include "migration/storage.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/qmp-block.h"
#include "engine/qmp-ops.h"
#include "manager/vmdef.h"
#include "migration/peer.h"
#include "storage/image.h"
#include "storage/qcow2.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define PROGRESS_MS	  500
#define FINISH_TIMEOUT_MS 30000

/* hv's names: the drive (qemu.c), the NBD export, the source's node and job */
static void names(unsigned i, char drive[16], char node[24])
{
	snprintf(drive, 16, "disk%u", i);
	snprintf(node, 24, QMP_MIRROR_NODE_FMT, i);
}

static int disk_size(int vmdirfd, const struct vmdef_disk *k, uint64_t *size)
{
	_cleanup_close_ int fd = openat(vmdirfd, k->path, O_RDONLY | O_CLOEXEC);
	struct qcow2_meta m;
	off_t end;
	int r;

	if (fd < 0)
		return err_errno(-errno, "cannot open disk %s", k->path);
	if (!strcmp(k->format, "qcow2")) {
		if ((r = qcow2_read_meta(fd, k->path, &m)) < 0)
			return r;
		*size = m.size;
		return 0;
	}
	if ((end = lseek(fd, 0, SEEK_END)) < 0)
		return err_errno(-errno, "disk %s", k->path);
	*size = (uint64_t)end;
	return 0;
}

int storage_disk_sizes(int vmdirfd, const struct vmdef *d, struct json_object **out)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	int r;

	if (!arr)
		return err_set(-ENOMEM, "out of memory");
	for (unsigned i = 0; i < d->ndisks; i++) {
		uint64_t size = 0;
		if ((r = disk_size(vmdirfd, &d->disks[i], &size)) < 0)
			return r;
		if (json_object_array_add(arr, json_object_new_int64((int64_t)size)) < 0)
			return err_set(-ENOMEM, "out of memory");
	}
	*out = arr;
	arr = NULL;
	return 0;
}

static void show(const struct storage_mirror *s, const struct migrate_opts *o, uint64_t t0)
{
	struct migrate_progress p = { .phase = "disks", .expected_downtime_ms = -1 };
	char drive[16], node[24];

	if (!o->progress)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		struct qmp_block_job j;
		names(i, drive, node);
		if (qmp_block_job(s->q, node, &j) < 0)
			continue;
		p.transferred += j.offset;
		p.total += j.len;
	}
	err_clear();
	p.remaining = p.total - p.transferred;
	p.elapsed_ms = proc_now_ms() - t0;
	o->progress(&p, o->ctx);
}

/* Take the events that arrived: which jobs are READY, which failed. */
static int take_events(struct storage_mirror *s, bool *ready)
{
	char drive[16], node[24];
	struct qmp_event ev;
	int r;

	while ((r = qmp_event_next(s->q, 0, &ev)) == 0 || r == -EBADMSG) {
		if (r < 0 || (ev.kind != QMP_EVENT_BLOCK_JOB_READY && ev.kind != QMP_EVENT_BLOCK_JOB_COMPLETED &&
			      ev.kind != QMP_EVENT_BLOCK_JOB_CANCELLED))
			continue;
		for (unsigned i = 0; i < s->n; i++) {
			names(i, drive, node);
			if (strcmp(ev.job, node))
				continue;
			if (ev.kind == QMP_EVENT_BLOCK_JOB_READY) {
				ready[i] = true;
				continue;
			}
			s->started[i] = false;
			return err_set(-EIO, "the copy of disk %u to the destination %s%s%s", i,
				       ev.kind == QMP_EVENT_BLOCK_JOB_CANCELLED ? "was cancelled" : "failed",
				       ev.error[0] ? ": " : "", ev.error);
		}
	}
	return r == -ETIMEDOUT ? 0 : err_prefix(r, "the source QEMU");
}

static int start_jobs(struct storage_mirror *s, int *fds, uint64_t speed)
{
	char drive[16], node[24];
	int r;

	for (unsigned i = 0; i < s->n; i++) {
		names(i, drive, node);
		r = qmp_blockdev_add_nbd_fd(s->q, node, fds[i], drive);
		close(fds[i]);
		fds[i] = -1;
		if (r < 0)
			return err_prefix(r, "disk %u: cannot reach the destination's NBD export", i);
		if ((r = qmp_blockdev_mirror(s->q, node, drive, node, speed)) < 0)
			return err_prefix(r, "disk %u: cannot start its copy", i);
		s->started[i] = true;
	}
	return 0;
}

int storage_mirror(struct storage_mirror *s, struct qmp *q, unsigned n, int *fds, const struct migrate_opts *o,
		   struct peer *peer, uint64_t t0)
{
	uint64_t start = proc_now_ms(), next = 0;
	uint64_t deadline = o->timeout_s ? start + (uint64_t)o->timeout_s * 1000 : 0;
	bool ready[ENGINE_MAX_DISKS] = { false };
	unsigned nready;
	int r;

	memset(s, 0, sizeof(*s));
	s->q = q;
	s->n = n;
	/* what a killed hv migrate may have left in this QEMU */
	storage_mirror_abort(s);
	s->n = n;
	if ((r = start_jobs(s, fds, o->bandwidth)) < 0)
		return r;
	for (;;) {
		struct pollfd pf[3] = { { qmp_fd(q), POLLIN, 0 },
					{ peer->in, POLLIN, 0 },
					{ o->cancel_fd, POLLIN, 0 } };
		/* progress first: events that come with its replies are
		 * buffered, and poll would not wake for them */
		if (proc_now_ms() >= next) {
			show(s, o, t0);
			next = proc_now_ms() + PROGRESS_MS;
		}
		if ((r = take_events(s, ready)) < 0)
			return r;
		nready = 0;
		for (unsigned i = 0; i < n; i++)
			nready += ready[i];
		if (nready == n)
			break;
		if (deadline && proc_now_ms() >= deadline)
			return err_set(-ETIMEDOUT,
				       "the disks did not reach the destination within %u s (the guest writes faster "
				       "than the link sends, or the link is slow: try a longer --timeout)",
				       o->timeout_s);
		if (poll(pf, 3, qmp_queued(q) ? 0 : PROGRESS_MS) < 0 && errno != EINTR)
			return err_errno(-errno, "poll");
		if (pf[1].revents || peer_has_line(peer)) {
			_cleanup_json_ struct json_object *m = NULL;
			const char *op;
			if ((r = peer_recv(peer, 1000, &m, &op)) < 0)
				return r;
			return err_set(-EPROTO, "the destination sent '%s' during the copy of the disks", op);
		}
		if (pf[2].revents)
			return err_set(-ECANCELED, "cancelled; the VM runs on at the source");
	}
	s->ms = proc_now_ms() - start;
	for (unsigned i = 0; i < n; i++) {
		struct qmp_block_job j;
		char drive[16], node[24];
		names(i, drive, node);
		if (qmp_block_job(q, node, &j) == 0)
			s->bytes += j.offset;
	}
	err_clear();
	show(s, o, t0);
	return 0;
}

/* Wait until no job of ours is left (ok: each ended in sync). */
static int wait_jobs_gone(struct storage_mirror *s, int timeout_ms, bool *ok)
{
	uint64_t end = proc_now_ms() + (uint64_t)timeout_ms;
	char drive[16], node[24];

	for (;;) {
		struct qmp_event ev;
		unsigned left = 0;
		int r;
		while ((r = qmp_event_next(s->q, 0, &ev)) == 0 || r == -EBADMSG)
			if (r == 0 && ev.kind == QMP_EVENT_BLOCK_JOB_COMPLETED && ev.error[0])
				for (unsigned i = 0; i < s->n; i++) {
					names(i, drive, node);
					if (!strcmp(ev.job, node))
						ok[i] = false;
				}
		if (r != -ETIMEDOUT)
			return err_prefix(r, "the source QEMU");
		for (unsigned i = 0; i < s->n; i++) {
			struct qmp_block_job j;
			names(i, drive, node);
			if (!s->started[i])
				continue;
			if ((r = qmp_block_job(s->q, node, &j)) == -ENOENT)
				s->started[i] = false;
			else if (r < 0)
				return r;
			else
				left++;
		}
		if (!left)
			return 0;
		if (proc_now_ms() >= end)
			return err_set(-ETIMEDOUT, "the copies of the disks did not end within %d s",
				       timeout_ms / 1000);
		proc_sleep_ms(10);
	}
}

int storage_mirror_finish(struct storage_mirror *s)
{
	bool ok[ENGINE_MAX_DISKS];
	char drive[16], node[24];
	int r;

	for (unsigned i = 0; i < s->n; i++) {
		ok[i] = true;
		names(i, drive, node);
		/* a job that failed since it was READY is gone: the copy is not whole */
		if ((r = qmp_block_job_cancel(s->q, node, false)) < 0)
			return err_prefix(r, "disk %u: its copy ended early", i);
	}
	if ((r = wait_jobs_gone(s, FINISH_TIMEOUT_MS, ok)) < 0)
		return r;
	for (unsigned i = 0; i < s->n; i++)
		if (!ok[i])
			return err_set(-EIO, "disk %u: its copy failed at the end", i);
	for (unsigned i = 0; i < s->n; i++) {
		names(i, drive, node);
		if ((r = qmp_blockdev_del(s->q, node)) < 0)
			return err_prefix(r, "disk %u: its NBD connection", i);
	}
	return 0;
}

void storage_mirror_abort(struct storage_mirror *s)
{
	if (!s->q)
		return;
	qmp_block_mirror_drop(s->q, s->n);
	memset(s->started, 0, sizeof(s->started));
}

int storage_create_disks(int dirfd, const char *dir, struct vmdef *d, struct json_object *sizes, const char *copy_from)
{
	int r;

	if (!sizes || !json_object_is_type(sizes, json_type_array) || json_object_array_length(sizes) != d->ndisks)
		return err_set(-EPROTO, "prepare: disk_sizes must list the size of each of the %u disks", d->ndisks);
	for (unsigned i = 0; i < d->ndisks; i++) {
		struct vmdef_disk *k = &d->disks[i];
		struct json_object *v = json_object_array_get_idx(sizes, i);
		_cleanup_free_ char *path = NULL, *src = NULL;
		char name[64];
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) <= 0)
			return err_set(-EPROTO, "prepare: disk_sizes[%u]: expected a positive integer", i);
		/* a disk outside the VM's folder becomes one of its own */
		if (k->owned && !strchr(k->path, '/') && k->path[0] != '.')
			snprintf(name, sizeof(name), "%.63s", k->path);
		else
			snprintf(name, sizeof(name), "disk%u-migrated.%s", i, k->format);
		if (asprintf(&path, "%s/%s", dir, name) < 0) {
			path = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		/* offline: from the source's image (in its folder, or where it is) */
		if (copy_from &&
		    (k->path[0] == '/' ? !(src = strdup(k->path)) : asprintf(&src, "%s/%s", copy_from, k->path) < 0)) {
			src = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		if (copy_from)
			r = image_convert(src, k->format, path, k->format, NULL, false);
		else
			r = image_create(path, k->format, (uint64_t)json_object_get_int64(v), NULL, NULL);
		if (r < 0)
			return err_prefix(r, "disk %u at the destination", i);
		snprintf(k->path, sizeof(k->path), "%s", name);
		k->owned = true;
		k->backing[0] = '\0';
	}
	return vmdef_save(dirfd, d);
}

int storage_export(struct qmp *q, unsigned n, int lfd)
{
	char drive[16], node[24];
	int r;

	if ((r = qmp_nbd_server_start_fd(q, lfd)) < 0)
		return err_prefix(r, "the destination's NBD server");
	for (unsigned i = 0; i < n; i++) {
		struct qmp_block_node b;
		names(i, drive, node);
		if ((r = qmp_block_node(q, drive, &b)) < 0 || (r = qmp_nbd_export_add(q, drive, b.node, true)) < 0)
			return err_prefix(r, "disk %u: cannot export it over NBD", i);
	}
	return 0;
}

int storage_unexport(struct qmp *q, unsigned n)
{
	char drive[16], node[24];

	for (unsigned i = 0; i < n; i++) {
		names(i, drive, node);
		if (qmp_block_export_del(q, drive) < 0)
			err_clear(); /* nbd-server-stop below ends it anyway */
	}
	return qmp_nbd_server_stop(q);
}
