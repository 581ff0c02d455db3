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

int vm_clone(const char *src, const char *dst, bool linked, const char *snap);
/* VMs whose disks are backed by base images in vm's folder. */
int clone_dependants(const char *vm, char ***names, size_t *n);
void clone_dependants_text(const char *vm, char *buf, size_t n);
/* Copy the base's blocks into every dependant (they must be stopped;
 * check_only: only verify that). */
int clone_flatten_dependants(const char *vm, bool check_only);
