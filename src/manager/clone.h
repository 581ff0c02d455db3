/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Clones (VBoxManage clonevm, virt-clone).  A full clone copies the disks
 * (reflinked where the file system can, flattened qcow2 otherwise).  A
 * linked clone is a qcow2 overlay on a base image: the source's disk as it
 * is (the source then continues on an overlay of its own) or one of its
 * snapshots exported once.  Bases live in the source's folder, read-only
 * (mode 0444, and hv only ever opens them as backing files); the source
 * cannot be deleted while clones depend on them, unless they are
 * flattened first.
 */
#include <stdbool.h>
#include <stddef.h>

#include "manager/vmdef.h"

struct clone_opts {
	bool linked;
	const char *snapshot; /* clone this snapshot of src (NULL: its current state) */
	/* A clone of a real operating system gets a fresh guest identity
	 * (appliance/identity.h) unless this is set. */
	bool keep_identity;
	/* Told before a step that takes seconds (NULL: not told). */
	void (*progress)(void *ctx, const char *step);
	void *ctx;
};
int vm_clone(const char *src, const char *dst, const struct clone_opts *o);
/* Whether a clone of d gets its guest identity reset: a VM of a real
 * operating system (made from an image, or booted through firmware). */
bool clone_resets_guest(const struct vmdef *d);
