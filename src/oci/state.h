/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A container's record in the runtime's root (--root, default
 * /run/hv-runc): ROOT/ID/state.json, written atomically, and
 * ROOT/ID/exec.fifo between create and start.  The status is derived:
 * "created" while the init waits on the fifo, "running" after, "paused"
 * when its cgroup is frozen, "stopped" once the init (same pid, same
 * start time) is gone.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct json_object;

struct ctr_state {
	char id[128];
	char bundle[4096];
	char rootfs[4096];
	char cgroup[512];
	char cgroup_parents[2048]; /* struct cgroup's parents: a relative cgroupsPath */
	pid_t pid;
	uint64_t pid_start; /* /proc/PID/stat start time */
	char created[40];   /* RFC 3339 */
	bool started;
	uid_t owner;
};

enum ctr_status { CTR_CREATING, CTR_CREATED, CTR_RUNNING, CTR_PAUSED, CTR_STOPPED };

int ctr_id_validate(const char *id);
int ctr_root(const char *option, char *buf, size_t n);
/* ROOT/ID (the folder need not exist); *out is malloc'ed. */
int ctr_dir(const char *root, const char *id, char **out);
/* ROOT/ID opened (-ENOENT, "container ID does not exist", when it is not there). */
int ctr_open_dir(const char *root, const char *id);
/* A damaged state.json (not JSON, wrong types, another id) is state,
 * not definition: it is rebuilt from hookstate.json and the processes in
 * the container's cgroup, rewritten, and reported with err_warn(); when
 * no init can be found the error says "hv-runc delete --force ID". */
int ctr_state_load(const char *root, const char *id, struct ctr_state *st);
/* state.json's text for container id (pure, for tests). */
int ctr_state_parse(const char *text, size_t len, const char *id, struct ctr_state *st);
int ctr_state_save(const char *root, const struct ctr_state *st);
/* --pid-file: pid as decimal text in file, written whole (create, exec). */
int ctr_write_pid_file(const char *file, pid_t pid);
enum ctr_status ctr_status(const char *root, const struct ctr_state *st);
const char *ctr_status_name(enum ctr_status s);
/* The OCI state JSON (runtime.md "State"), with annotations from the bundle. */
struct json_object *ctr_state_json(const char *root, const struct ctr_state *st);
/* Every container id in root (malloc'ed strings). */
int ctr_list(const char *root, char ***ids, size_t *n);
