/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Control groups for containers, v1 (one hierarchy per controller, as on
 * this project's hosts) and v2 (the unified hierarchy, the norm
 * elsewhere) behind one interface.  A container's cgroup is named by the
 * config's linux.cgroupsPath: "/a/b" is below each hierarchy's root; a
 * relative "a/b" is below the runtime's own cgroup, as runc places it
 * (libcontainer/cgroups/fs/paths.go, fs2/defaultpath.go): on v1 the
 * caller's cgroup in each hierarchy, on v2 the parent of the caller's
 * cgroup (which holds no processes, so it can hand controllers down).
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct json_object;

#include "oci/cgroup-types.h"

/* v2 when /sys/fs/cgroup is a cgroup2 mount, else v1. */
enum cg_version cg_detect(void);
/* Create the cgroup (every v1 controller hv uses / the unified one with
 * the controllers enabled in its parents); existing is fine.  A relative
 * path is placed below the caller's cgroups, recorded in cg->parents. */
int cg_create(struct cgroup *cg, const char *path);
/* Describe an existing cgroup (no changes); parents: cg->parents as
 * cg_create recorded them (NULL or "" for an absolute path). */
int cg_open(struct cgroup *cg, const char *path, const char *parents);
/* linux.resources: memory (limit, reservation, swap), cpu (shares,
 * quota, period, cpus, mems), pids (limit), blockIO weight, devices (v1:
 * devices.allow/deny; v2: an eBPF program, see cgroups-bpf.h). */
int cg_apply(struct cgroup *cg, struct json_object *resources);
int cg_add_pid(struct cgroup *cg, pid_t pid);
/* Move the calling single-threaded process in: through the v1 "tasks"
 * files ("0", the calling thread, which the kernel moves without the
 * global lock that makes each cgroup.procs write cost ~10 ms here), and
 * the v2 (or hybrid unified) cgroup.procs unless in_unified says the
 * process was born there (clone3 CLONE_INTO_CGROUP on cg_unified_fd). */
int cg_add_self(struct cgroup *cg, bool in_unified);
/* A directory fd of the cgroup in the v2 hierarchy (v2, or a hybrid
 * host's unified one), for CLONE_INTO_CGROUP; -ENOENT when there is none. */
int cg_unified_fd(struct cgroup *cg);
/* The pids in the cgroup (malloc'ed). */
int cg_pids(struct cgroup *cg, pid_t **pids, size_t *n);
/* Signal every process (also in nested cgroups); SIGKILL also thaws a
 * frozen cgroup so that its processes can die. */
int cg_kill_all(struct cgroup *cg, int sig);
int cg_freeze(struct cgroup *cg, bool frozen);
int cg_is_frozen(struct cgroup *cg, bool *frozen);
/* Remove the cgroup (its processes must be gone; waits briefly). */
int cg_destroy(struct cgroup *cg);
/* Where the cgroup lives for a controller ("memory"; v2: any), for the
 * container's /sys/fs/cgroup view and for tests. */
int cg_dir(const struct cgroup *cg, const char *controller, char *buf, size_t n);
