/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * QEMU without root (docs/security.md).  Each QEMU runs as its own
 * unprivileged uid, JAIL_UID_BASE + its pid: unique among live processes
 * without any allocation state, so no two QEMUs ever share a uid (a shared
 * uid would let one compromised QEMU signal, ptrace or read the fds of
 * every other one through /proc).  The uid owns no file: everything QEMU
 * needs is opened by hv and passed as an fd (engine_pass_fds, jail_open).
 * QEMU also gets a private mount namespace in which the host is read-only
 * and the store, homes and world-writable folders are empty, no
 * capabilities, no_new_privs, and keeps its own seccomp sandbox.
 */
#include <stdbool.h>
#include <json-c/json.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "util/proc.h"

/* Above systemd's container ranges (up to 0x6FFFFFFF), below its foreign
 * range (0x7FFE0000) and 2^31; pids stay below 2^22 (pid_max's limit). */
#define JAIL_UID_BASE  0x7E000000u
#define JAIL_MAX_MASKS 16
#define JAIL_PATH_MAX  512

/* Everything the child needs, computed before the fork (the child may
 * only make system calls). */
struct qemu_jail {
	gid_t kvm_gid; /* /dev/kvm's group, kept as the only supplementary group */
	bool kvm;
	char masks[JAIL_MAX_MASKS][JAIL_PATH_MAX]; /* folders QEMU sees empty */
	size_t nmasks;
};

/* The uid (and gid) of the QEMU whose pid is given. */
uid_t jail_uid(pid_t qemu_pid);
/* Fill j for a QEMU of the store at home (hidden from it); exe: the
 * program to run (a hidden folder holding it stays visible). */
int qemu_jail_prepare(struct qemu_jail *j, const char *home, const char *exe);
/* The spawn options that put the child in the jail (cwd "/", the hook). */
void qemu_jail_spawn_opts(struct qemu_jail *j, struct spawn_opts *o);

/* The fds of a plan (engine_pass_fds): each file opened (as root) or
 * listening socket made, paths relative to dirfd; fds[i] belongs at
 * plan->v[i].fd.  Block files (those in fd sets) are flock()ed for the VM:
 * one QEMU writing a file excludes any other using it, and -EBUSY names it.
 * On failure nothing stays open. */
struct jail_locks {
	int fd[ENGINE_MAX_PASS_FDS]; /* copies of the block files' descriptions */
	bool write[ENGINE_MAX_PASS_FDS];
	size_t n;
};
/* later non-NULL (a live migration's destination, whose source still holds
 * the locks): no lock is taken now; later keeps what jail_locks_take locks
 * once the source's QEMU is gone (-EBUSY while it is not). */
int jail_open(int dirfd, const struct engine_pass_fds *plan, int fds[ENGINE_MAX_PASS_FDS], struct jail_locks *later);
int jail_locks_take(struct jail_locks *l);
void jail_locks_drop(struct jail_locks *l);
void jail_close(const struct engine_pass_fds *plan, int fds[ENGINE_MAX_PASS_FDS]);

/* The plan on disk (qemu.fds beside qemu.args, written by hv start and
 * read by the VM's monitor).  A loaded plan borrows its paths from json. */
struct jail_plan {
	struct engine_pass_fds fds;
	struct json_object *json;
};
int jail_plan_save(int dirfd, const struct engine_pass_fds *fds);
int jail_plan_load(int dirfd, struct jail_plan *out);
void jail_plan_free(struct jail_plan *p);

/* The images under a disk (paths relative to dirfd), read from their
 * qcow2 headers by hv: d->backing[] point into c until jail_chain_free. */
struct jail_chain {
	char *path[ENGINE_MAX_BACKING];
	char format[ENGINE_MAX_BACKING][32];
};
int jail_disk_chain(int dirfd, struct engine_disk *d, struct jail_chain *c);
void jail_chain_free(struct jail_chain *c);
