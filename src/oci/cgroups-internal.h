/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What cgroups.c, cgroups-layout.c and cgroups-resources.c share, and the
 * unit tests reach:
 * linux.resources is first turned into a list of cgroup file writes
 * (cgroups-resources.c; pure: no file is touched, so the v2 mapping is
 * checked on v1 hosts too), then the list is written (cgroups.c).  Not
 * for other modules.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "oci/cgroups-bpf.h"
#include "oci/cgroup-types.h"

struct json_object;

struct cg_write {
	const char *field; /* "linux.resources.memory.limit", for messages */
	const char *file;  /* "memory.max"; on v1 the prefix names the controller */
	char *value;
	/* Tried when file is missing (blkio.weight -> blkio.bfq.weight). */
	const char *alt_file;
	char *alt_value;
	/* A missing file is skipped quietly; else it is an error, explained
	 * by missing_hint when there is one. */
	bool skip_if_missing;
	const char *missing_hint;
	/* v1 memory limit followed by memory+swap, which must stay >= the
	 * limit: when this write fails with EINVAL, the next one goes first. */
	bool swap_pair;
};

struct cg_plan {
	struct cg_write *w;
	size_t n, cap;
	/* v2: linux.resources.devices (when not empty), which an eBPF
	 * program enforces (cgroups-bpf.c) */
	struct cg_dev_rule *dev;
	size_t n_dev;
};

/* Validate linux.resources (NULL: nothing) and list its writes for v. */
int cg_plan_resources(enum cg_version v, struct json_object *resources, struct cg_plan *plan);
void cg_plan_free(struct cg_plan *plan);
/* cpu.shares (2..262144) -> cgroup v2 cpu.weight (1..10000). */
uint64_t cg_shares_to_weight(uint64_t shares);
/* ---- cgroups-layout.c: the hierarchies, for cgroups.c ---- */
#define CG_N_V1_CONTROLLERS 8
#define CG_N_V1_EXTRAS	    2
/* The v1 controllers hv uses; each is its own mount under the root. */
extern const char *const cg_v1_controllers[CG_N_V1_CONTROLLERS];
/* "/sys/fs/cgroup", or where cg_use_root pointed the module. */
const char *cg_root_dir(void);
bool cg_v1_mounted(const char *controller);
/* v1 hierarchies without controllers a container joins too (systemd's
 * named one, a hybrid host's unified one), by index: whether extra i is
 * mounted, and then its directory for cg (or its root for cg NULL). */
bool cg_extra_mounted(size_t i, char *dir, size_t n, const struct cgroup *cg);
bool cg_extra_is_unified(size_t i);
/* dir/file: one write() of value; the content without trailing newlines. */
int cg_write_at(const char *dir, const char *file, const char *value);
int cg_read_at(const char *dir, const char *file, char **out);

/* Point the module at another cgroupfs root with a fixed version (tests
 * use the v2 mount of hybrid hosts); NULL restores /sys/fs/cgroup. */
void cg_use_root(const char *root, enum cg_version v);
