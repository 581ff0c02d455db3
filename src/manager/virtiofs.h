/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The processes behind shared folders: one virtiofsd (QEMU's C daemon,
 * /usr/lib/qemu/virtiofsd, $HV_VIRTIOFSD overrides) per share, started
 * before QEMU and stopped after it.  hv makes the listening socket, hands
 * it to virtiofsd (--fd) and connects to it at once, so QEMU gets an
 * inherited, connected socket: no path to wait for, nothing left behind.
 * A read-only share is a read-only bind mount in virtiofsd's own mount
 * namespace (this virtiofsd has no read-only option): the host kernel
 * refuses writes whatever the guest does.  virtiofsd dies with the
 * thread that started it (PR_SET_PDEATHSIG), so a killed hv or monitor
 * cannot leave it behind.
 */
#include <sys/types.h>

#include "manager/share.h"

struct virtiofs {
	pid_t pid[SHARE_MAX];
	int qemu_fd[SHARE_MAX]; /* QEMU's end of each connection, -1 once handed over */
	unsigned n;
};

/* Start one virtiofsd per share.  The sockets are made in dirfd (the VM
 * folder), or in a private temporary folder when dirfd < 0; stderr of
 * virtiofsd goes to logfd (or nowhere when < 0).  On failure nothing is
 * left running. */
int virtiofs_start(const struct share_set *set, int dirfd, int logfd, struct virtiofs *out);
/* Close QEMU's ends (after QEMU has inherited them). */
void virtiofs_close_qemu_ends(struct virtiofs *v);
/* Stop every virtiofsd (TERM, then KILL after a second) and reap it. */
void virtiofs_stop(struct virtiofs *v);

/* A persistent VM's shares as hv start built QEMU's command line for
 * them, for the monitor: saved beside qemu.args (removed when none). */
int virtiofs_save_plan(int dirfd, const struct share_set *set);
int virtiofs_load_plan(int dirfd, struct share_set *set);
