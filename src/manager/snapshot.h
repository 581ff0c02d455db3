/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Snapshots of a VM (VBoxManage snapshot / virsh snapshot-*), kept in the
 * VM's folder:
 *   snapshots/snapshots.json   the tree: name, parent, time, description,
 *                              whether the VM was paused; and "current"
 *   snapshots/NAME/vm.json     the definition when it was taken
 *   snapshots/NAME/vmstate     memory and device state (running VMs)
 * Disk contents are qcow2 internal snapshots of the same name in every
 * disk (so deleting one never invalidates another: each is complete).
 * A running VM is paused while its disks and memory are captured, so the
 * snapshot is consistent; a snapshot with VM state resumes exactly where
 * it was taken.  hv save keeps the state in saved/ instead: the next hv
 * start continues from it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SNAP_MAX 256

struct snap_info {
	char name[64];
	char parent[64]; /* "" for a root */
	char description[256];
	time_t created;
	bool vmstate; /* snapshots/NAME/vmstate exists */
	bool paused;  /* the VM was paused when taken */
	unsigned long long state_bytes;
};

int snap_create(const char *vm, const char *snap, bool disk_only, const char *description);
int snap_list(const char *vm, struct snap_info *out, size_t max, size_t *n, char current[64]);
int snap_revert(const char *vm, const char *snap, bool *started);
int snap_delete(const char *vm, const char *snap);
/* Suspend to disk: keep the state, stop QEMU. */
int vm_save(const char *vm);
