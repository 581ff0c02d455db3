/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* A process identity that survives pid reuse and host reboots: the pid,
 * its start time in clock ticks since boot (/proc/PID/stat field 22) and
 * the boot it belongs to (/proc/sys/kernel/random/boot_id). */
struct proc_id {
	pid_t pid;
	uint64_t start;
	char boot_id[40];
};

int proc_start_time(pid_t pid, uint64_t *ticks);
int proc_boot_id(char out[40]);
int proc_identify(pid_t pid, struct proc_id *id);
/* True when id names a process that is alive now (same boot, same start). */
bool proc_id_alive(const struct proc_id *id);
/* The processes (other than the caller) whose working directory is the
 * directory dirfd names: pids[] gets up to max of them, *n how many. */
int proc_find_by_cwd(int dirfd, pid_t *pids, size_t max, size_t *n);
/* The children of parent (from /proc/PID/stat): up to max in pids[]. */
int proc_children(pid_t parent, pid_t *pids, size_t max, size_t *n);
/* A process's argv, NUL-separated in *out (malloc'ed, *len bytes). */
int proc_cmdline(pid_t pid, char **out, size_t *len);
/* Search $PATH (or a default one) for an executable; *out is malloc'ed. */
int proc_find_exe(const char *name, char **out);
/* The directory holding the running executable (for build/guest lookup). */
int proc_self_dir(char *buf, size_t n);
/* Close every fd >= lowfd except those listed in keep[nkeep] (at most
 * PROC_MAX_KEEP; -E2BIG beyond).  Both this and the next are safe between
 * fork and exec: close_range(2), no allocation, no directory listing. */
#define PROC_MAX_KEEP 128
int proc_close_fds_from(int lowfd, const int *keep, int nkeep);
/* Every fd from lowfd on closes at the next execve (they stay usable
 * until then). */
void proc_cloexec_fds_from(int lowfd);
/* Sleep helpers in milliseconds, and a monotonic clock in ms. */
uint64_t proc_now_ms(void);
void proc_sleep_ms(unsigned ms);

/* Map fd `from` of the parent to fd `to` in the child (at most
 * PROC_MAX_FDS of them). */
#define PROC_MAX_FDS 64
struct spawn_fd {
	int from, to;
};
/* fork+exec argv[0] with exactly the mapped fds open (plus nothing else),
 * in cwd (or unchanged), in a new process group when new_pgrp.  An exec
 * failure is reported here, not by a dead child. */
int proc_spawn(char *const argv[], const struct spawn_fd *map, size_t nmap, const char *cwd, bool new_pgrp, pid_t *pid);
/* The same with more to do in the child before the exec. */
struct spawn_opts {
	const char *cwd; /* or NULL: unchanged */
	bool new_pgrp;	 /* its own process group */
	int pdeathsig;	 /* > 0: this signal when the calling thread ends (prctl PR_SET_PDEATHSIG) */
	/* Runs in the child after the fds are in place; must be
	 * async-signal-safe (system calls only).  A negative errno fails the
	 * spawn with pre_exec_what as the reason. */
	int (*pre_exec)(void *arg);
	void *pre_exec_arg;
	const char *pre_exec_what;
};
int proc_spawn_opts(char *const argv[], const struct spawn_fd *map, size_t nmap, const struct spawn_opts *o,
		    pid_t *pid);
