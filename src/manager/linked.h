/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Linked clones (manager/clone.h) are qcow2 overlays on base images kept
 * in their source's folder: the source cannot be deleted, nor its
 * snapshots reverted, while they depend on them, unless they are
 * flattened first.  Apart from clone.c so that deleting a VM (manager/vm)
 * does not depend on making clones.
 */
#include <stdbool.h>
#include <stddef.h>

/* VMs whose disks are backed by base images in vm's folder. */
int linked_dependants(const char *vm, char ***names, size_t *n);
/* The same as "a, b, c" in buf ("" when there are none). */
void linked_dependants_text(const char *vm, char *buf, size_t n);
/* Copy the base's blocks into every dependant (they must be stopped;
 * check_only: only verify that). */
int linked_flatten(const char *vm, bool check_only);
