/* SPDX-License-Identifier: MIT */
#pragma once
/* Linux capabilities of a container process (OCI runtime spec,
 * config.md "process.capabilities"): the five sets, by name. */
#include <stdbool.h>
#include <stdint.h>

struct json_object;

struct oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
	bool given; /* process.capabilities was present */
};

/* "CAP_NET_ADMIN" -> 12; -EINVAL (reason recorded) for an unknown name. */
int caps_from_name(const char *name);
const char *caps_name(int cap);
/* The highest capability this kernel knows (/proc/sys/kernel/cap_last_cap). */
int caps_last(void);
/* Parse process.capabilities (may be NULL: nothing given). */
int caps_parse(struct json_object *caps, struct oci_caps *out);
/* In the container's init, as root, before changing user: drop from the
 * bounding set what it does not hold, keep capabilities across setuid. */
int caps_prepare(const struct oci_caps *c);
/* After the user change: set effective/permitted/inheritable and raise
 * the ambient set (capset + prctl(PR_CAP_AMBIENT)). */
int caps_apply(const struct oci_caps *c);
/* A set as a JSON array of names (for hv ctr spec and features). */
struct json_object *caps_to_json(uint64_t set);
