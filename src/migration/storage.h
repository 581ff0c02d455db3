/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv migrate --copy-storage: the disks move with the VM.  The destination
 * creates each disk anew (same format and virtual size, no backing file:
 * the mirror is sync=full, so a backing chain arrives flattened) and its
 * QEMU exports them over NBD; the source's QEMU mirrors every disk into
 * an NBD client node (blockdev-mirror) until each job is READY, then RAM
 * moves; in "pre-switchover" the jobs are cancelled (a READY mirror ends
 * in sync, without pivoting) and the nodes deleted; the destination stops
 * its NBD server before the VM runs there.  docs/migration.md.
 */
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "migration/migration.h"

struct json_object;
struct qmp;
struct vmdef;
struct peer;

/* The source's side. */
struct storage_mirror {
	struct qmp *q;
	unsigned n;			/* disks */
	bool started[ENGINE_MAX_DISKS]; /* mirror job hvmig-diskN started */
	uint64_t bytes;			/* disk bytes sent until every job was READY */
	uint64_t ms;			/* time from the first job to the last READY */
};
/* The virtual size of each of the VM's disks (its folder at vmdirfd), as
 * a JSON array for the destination. */
int storage_disk_sizes(int vmdirfd, const struct vmdef *d, struct json_object **out);
/* Mirror each disk N (drive diskN) into the destination's export diskN
 * through fds[N], connected sockets to its NBD server (taken); return
 * once every job is READY.  Gives up on o->cancel_fd, o->timeout_s, a
 * failed job, or a word from the destination. */
int storage_mirror(struct storage_mirror *s, struct qmp *q, unsigned n, int *fds, const struct migrate_opts *o,
		   struct peer *peer, uint64_t t0);
/* In "pre-switchover" (the source paused): end every job in sync and
 * delete the nodes.  An error means the copies are not known to be whole. */
int storage_mirror_finish(struct storage_mirror *s);
/* On any failure: force-cancel the jobs and delete the nodes (errors
 * ignored).  Also clears what a killed hv migrate left in this QEMU. */
void storage_mirror_abort(struct storage_mirror *s);

/* The destination's side.  Create each disk of d in the staged folder
 * (path dir, open at dirfd) with the sizes the source sent, owned and
 * without backing, and save d there; with copy_from (the source's folder,
 * an offline move on one host) the images are converted from the
 * source's (flattened) instead. */
int storage_create_disks(int dirfd, const char *dir, struct vmdef *d, struct json_object *sizes, const char *copy_from);
/* Serve each disk N as NBD export diskN (writable) on the listening
 * socket lfd (QEMU takes a copy). */
int storage_export(struct qmp *q, unsigned n, int lfd);
/* Close the exports and the NBD server. */
int storage_unexport(struct qmp *q, unsigned n);
