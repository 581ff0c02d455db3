/* SPDX-License-Identifier: MIT */
#pragma once
/* The container's file system view, built inside its mount namespace:
 * the root (bind-mounted on itself), the config's mounts, /dev, then
 * pivot_root, masked and read-only paths.  Mount destinations are
 * resolved inside the root (openat2 RESOLVE_IN_ROOT): a symlink in the
 * image cannot make a mount land outside it. */
#include <stdbool.h>

#include "oci/spec.h"

/* Before pivot_root (host paths still visible).  cg: the container's
 * cgroup, for "cgroup" mounts on cgroup v1. */
struct cgroup;
int rootfs_prepare(const struct oci_spec *s, const struct cgroup *cg, bool userns);
int rootfs_pivot(const struct oci_spec *s, bool no_pivot);
/* Without a mount namespace: chroot into the root, the host's mounts
 * unchanged (as runc does). */
int rootfs_chroot(const struct oci_spec *s);
/* After pivot_root: masked paths, read-only paths, a read-only root. */
int rootfs_finish(const struct oci_spec *s);
