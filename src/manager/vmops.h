/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The lowest layer of operations on one VM, shared by vm.c, power.c,
 * clone.c and snapshot.c, so that their includes form a DAG
 * (vm -> clone, power; snapshot -> clone, power; all -> vmops):
 * lock and load, where a disk lives, the QMP connection of a running VM,
 * and giving back network addresses.
 */
#include "manager/nics.h"
#include "manager/status.h"
#include "manager/store.h"
#include "manager/vmdef.h"

#define VM_LOCK_TIMEOUT_MS 30000

/* Lock a VM and read its definition and true state; on failure nothing
 * is held.  On success the caller owns h (vm_close) and d (vmdef_free). */
int vm_lock_and_load(const char *name, struct vm_handle *h, struct vmdef *d, struct vm_status *st);
/* Give up the network addresses reserved for a VM's NICs. */
void vm_release_addresses(const char *name, const struct vmdef *d);
/* The path of a disk: in the VM's folder when hv owns it, else as the
 * user gave it.  A heap string (the caller frees it). */
int vm_disk_path(const char *vmdir, const struct vmdef_disk *k, char **out);
/* Connect to the QEMU of a running VM (its qmp.sock). */
struct qmp;
int vm_qmp_open(const struct vm_handle *h, struct qmp **q);
/* Record where this boot's console output begins (boot.json), at start. */
void vm_mark_boot(int dirfd);
/* This boot's console output: *log (malloc'ed, *len bytes) from *from on. */
int vm_boot_console(int dirfd, char **log, size_t *len, size_t *from);
