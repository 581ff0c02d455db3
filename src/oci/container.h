/* SPDX-License-Identifier: MIT */
#pragma once
/* The lifecycle of OCI containers (runtime.md "Operations"). */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oci/lsm.h"

struct ctr_opts {
	const char *root; /* the runtime's state root */
	const char *id;
	const char *bundle;
	const char *pid_file;
	const char *console_socket;
	bool no_pivot;
	bool detach; /* run: return once started */
	int preserve_fds;
	int *pty_master; /* run: keep the terminal here when there is no console socket */
};

int ctr_create(const struct ctr_opts *o, pid_t *pid);
int ctr_start(const char *root, const char *id);
/* run = create + start (+ wait and delete unless detached): returns the
 * container's exit status (>= 0) or a negative errno. */
int ctr_run(const struct ctr_opts *o);
int ctr_kill(const char *root, const char *id, int sig, bool all);
int ctr_delete(const char *root, const char *id, bool force);
int ctr_pause(const char *root, const char *id, bool pause);
/* runc update: new linux.resources for a live container (devices excepted). */
struct json_object;
int ctr_update(const char *root, const char *id, struct json_object *resources);
int ctr_pids(const char *root, const char *id, pid_t **pids, size_t *n);
int ctr_signal_parse(const char *s, int *sig);

struct ctr_exec_opts {
	const char *root, *id;
	const char *process_file; /* a process.json, or: */
	char **args;		  /* the command */
	char **env;		  /* extra NAME=value */
	const char *cwd, *user;
	bool tty, detach;
	const char *console_socket, *pid_file;
	int preserve_fds;
};
/* Returns the process's exit status (not detached) or 0, or a negative errno. */
int ctr_exec(const struct ctr_exec_opts *o);

/* Internal: the container's first process, from clone to execve. */
struct oci_spec;
struct oci_seccomp;
struct cgroup;
struct init_args {
	const struct oci_spec *s;
	int sync;
	int fifo;	      /* O_PATH fd of exec.fifo */
	struct cgroup *cg;    /* to join first thing, unless in a new user namespace */
	bool in_unified;      /* born in its v2 cgroup (CLONE_INTO_CGROUP) */
	const char *hookfile; /* the state JSON for hooks, a host path */
	struct oci_seccomp *seccomp;
	bool no_pivot, new_userns, new_cgroupns;
	int lock;	     /* the runtime's lock on the container: not the init's to keep */
	int preserve_fds;    /* fds 3..3+N-1 pass to the process; the rest close at exec */
	struct lsm_exec lsm; /* the process's AppArmor profile / SELinux label */
};
void container_init(struct init_args *a) __attribute__((noreturn));
/* Shared by init and exec: rlimits, capabilities, groups, uid and gid,
 * umask, cwd and no_new_privs of a process.  Without no_new_privs,
 * loading a seccomp filter needs CAP_SYS_ADMIN, so sc is loaded here,
 * before the identity change, and *sc cleared; with it, the caller loads
 * the filter last, just before execve, as fewer syscalls then run under it. */
struct oci_process;
int oci_process_enter(const struct oci_process *p, struct oci_seccomp **sc);
/* The program of args[0] on the process's PATH, checked before the
 * container is declared ready. */
int oci_find_program(const struct oci_process *p, char *out, size_t n);
/* The terminal: a pty from the container's devpts; the master goes to
 * the runtime (sync socket), the slave becomes the controlling tty. */
int oci_setup_terminal(const struct oci_process *p, int sync);
