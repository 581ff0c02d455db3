/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Linux security modules for a container's processes: the AppArmor
 * profile (process.apparmorProfile) and the SELinux process and mount
 * labels (process.selinuxLabel, linux.mountLabel).  A label the host's
 * kernel cannot apply is refused before anything is made, never dropped.
 */
#include <stdbool.h>

struct oci_process;

bool lsm_apparmor_enabled(void);
bool lsm_selinux_enabled(void);
/* Refuse p's labels (and mount_label, may be NULL) the host cannot
 * apply; where names the process in messages ("config.json: process"). */
int lsm_check(const struct oci_process *p, const char *mount_label, const char *where);

/* The exec attributes of the calling thread, opened while its /proc is
 * reachable and written just before execve (runc: aa_change_onexec and
 * setexeccon), so that nothing the runtime runs before is confined. */
struct lsm_exec {
	int apparmor_fd, selinux_fd;
	const char *profile, *label;
};
#define LSM_EXEC_INIT                                                                                                  \
	{                                                                                                              \
		-1, -1, NULL, NULL                                                                                     \
	}
int lsm_exec_prepare(const struct oci_process *p, struct lsm_exec *l);
/* Async-signal-safe: write(2) and close(2) only. */
int lsm_exec_apply(struct lsm_exec *l);
