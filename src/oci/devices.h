/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The devices every container gets (/dev/null, zero, full, random,
 * urandom, tty) and the device rules its cgroup enforces: the config's
 * linux.resources.devices, then allow rules for those standard devices,
 * the pseudo-terminals and the config's linux.devices, so that a
 * "deny all" config still leaves the container a working /dev.
 */
#include <stddef.h>

#include "oci/spec.h"

struct oci_std_device {
	const char *path;
	unsigned maj, min;
};

extern const struct oci_std_device oci_std_devices[];
extern const size_t oci_n_std_devices;

/* linux.resources with the device rules completed (a new object the
 * caller puts), or NULL for no resources; NULL with -ENOMEM set on error. */
int oci_cgroup_resources(const struct oci_spec *s, struct json_object **out);
