/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Typed QMP for block nodes, NBD exports and block jobs (qapi/
 * block-core.json, block-export.json, block.json, job.json of QEMU 7.2):
 * what hv migrate --copy-storage uses to mirror a VM's disks into the
 * destination's QEMU.  Sockets are made by hv and handed over (getfd):
 * the jailed QEMU opens none itself.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/qmp-conn.h"

/* query-block: the node name and virtual size of the image behind a
 * drive ("disk0"). */
struct qmp_block_node {
	char node[128];
	uint64_t size;
};
int qmp_block_node(struct qmp *q, const char *device, struct qmp_block_node *out);

/* nbd-server-start on a listening socket (getfd; addr type "fd"), and
 * nbd-server-stop (which also ends the NBD exports). */
int qmp_nbd_server_start_fd(struct qmp *q, int listen_fd);
int qmp_nbd_server_stop(struct qmp *q);
/* block-export-add: export node as NBD export name (id: name too). */
int qmp_nbd_export_add(struct qmp *q, const char *name, const char *node, bool writable);
int qmp_block_export_del(struct qmp *q, const char *name);

/* blockdev-add of an NBD client node named node, connected through fd
 * (getfd; server type "fd") to the export export. */
int qmp_blockdev_add_nbd_fd(struct qmp *q, const char *node, int fd, const char *export);
int qmp_blockdev_del(struct qmp *q, const char *node);
/* blockdev-mirror device (a drive or node) into target, sync full,
 * as job job, at most speed bytes per second of data (0: no limit;
 * zeroes are not counted); READY once the target caught up (then new
 * writes are copied as they come). */
int qmp_blockdev_mirror(struct qmp *q, const char *job, const char *device, const char *target, uint64_t speed);
/* block-job-cancel: a READY mirror ends in sync without pivoting (force:
 * at once, in any state). */
int qmp_block_job_cancel(struct qmp *q, const char *job, bool force);

/* query-block-jobs, the job named job; -ENOENT when there is none. */
struct qmp_block_job {
	uint64_t offset, len; /* progress: bytes done of len (len grows with new writes) */
	bool ready;
	char status[24]; /* JobStatus: "running", "ready", "concluded", ... */
	char error[128]; /* "" unless the job failed */
};
int qmp_block_job(struct qmp *q, const char *job, struct qmp_block_job *out);

/* hv migrate --copy-storage's NBD client node and mirror job of disk N
 * at the source, "hvmig-diskN"; JOB_PREFIX starts each. */
#define QMP_MIRROR_PREFIX   "hvmig-"
#define QMP_MIRROR_NODE_FMT QMP_MIRROR_PREFIX "disk%u"
/* Undo such a mirror of disks 0..n-1: force-cancel the jobs, wait (up to
 * a few seconds) until they are gone, delete the nodes; what is not
 * there is skipped, errors are dropped.  Used by hv migrate on failure
 * and by the monitor when hv migrate died. */
void qmp_block_mirror_drop(struct qmp *q, unsigned n);
