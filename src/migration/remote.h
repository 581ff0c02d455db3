/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What differs when the other end of a migration is on another host
 * (ssh://, remote/ssh.h): the files of the VM folder travel inside the
 * prepare message instead of being hard-linked, disks must be on shared
 * storage (outside the store, the same path on both hosts) unless
 * --copy-storage, and the destination listens for the migration stream
 * on the address the source reached it by (ssh's SSH_CONNECTION).
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct vmdef;

/* Files of a VM folder besides its disks that travel with it. */
extern const char *const migrate_travelling[];

/* The source: add "files": [{"name", "data" (base64)}] for the
 * travelling files present in the VM folder dirfd. */
int migrate_files_pack(int dirfd, struct json_object *msg);
/* The destination: write them into the staged folder. */
int migrate_files_unpack(struct json_object *files, int stagefd);
/* The source, over ssh without --copy-storage: the disks must be
 * outside the store (shared storage), else refuse with the fix. */
int migrate_disks_shared(const struct vmdef *d, const char *host);
/* The destination, over ssh: every disk opens here. */
int migrate_disks_reachable(const struct vmdef *d);
/* The destination: listen on the address ssh reached us by (remote), or
 * on the loopback; host (numeric) and port for the ready message. */
int migrate_listen(bool remote, int *lfd, char *host, size_t n, int *port);
/* The source: connect to the destination's migration port. */
int migrate_connect(const char *host, int port, int *fd);
