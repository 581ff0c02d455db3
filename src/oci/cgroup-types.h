/* SPDX-License-Identifier: MIT */
#pragma once
/* A container's cgroup as a value: the types oci/cgroups.h works on, apart
 * so that the cgroup code's private header (cgroups-internal.h) needs them
 * without including the interface it implements. */

enum cg_version { CG_V1 = 1, CG_V2 = 2 };

struct cgroup {
	enum cg_version version;
	char path[512]; /* "/hv-runc/ID": below each hierarchy's root or parent */
	/* A relative cgroupsPath: the parent in each hierarchy, "CONTROLLERS:PATH"
	 * lines as /proc/self/cgroup had them at creation ("" otherwise). */
	char parents[2048];
};
