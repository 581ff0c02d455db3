/* SPDX-License-Identifier: MIT */
#pragma once
/* The lifecycle of persistent VMs: start, stop, kill, pause, resume, and
 * the per-VM monitor process that hv start leaves behind. */
#include <stdbool.h>

#include "manager/vmops.h"

struct vm_started {
	int pid;
	enum accel accel;
	const char *tcg_reason; /* why TCG was chosen automatically, or NULL */
	bool resumed;		/* it continued from a state saved by hv save */
};
int vm_start(const char *name, struct vm_started *out);
/* Start a locked VM, optionally from a saved VM state (paused: stay paused). */
int vm_start_locked(struct vm_handle *h, const struct vmdef *d, const char *state, bool paused, struct vm_started *out);
/* Start a locked VM whose state will arrive by live migration: QEMU
 * waits (-incoming defer, paused) for migrate-incoming.  Until the
 * monitor reads MONITOR_GUARD_COMMIT from guard (a pipe's read end), the
 * end of guard means the migration was abandoned: the monitor kills
 * QEMU and removes the VM's folder. */
int vm_start_incoming(struct vm_handle *h, const struct vmdef *d, int guard, struct vm_started *out);
#define MONITOR_GUARD_COMMIT 'c'
/* Stop a locked, running VM at once, recording why. */
int vm_hard_stop_locked(struct vm_handle *h, const char *why, struct vm_status *final);
/* How hv stop asks the guest to power off. */
enum vm_stop_mode {
	VM_STOP_AUTO,  /* the ACPI power button, then the guest agent's guest-shutdown if the guest ignored it */
	VM_STOP_ACPI,  /* the ACPI power button only */
	VM_STOP_AGENT, /* the guest agent's guest-shutdown only (an error without an agent) */
	VM_STOP_FORCE, /* no asking: a hard stop now */
};
int vm_stop_mode_parse(const char *s, enum vm_stop_mode *mode);
/* Ask the guest to power off (by mode), hard stop after timeout_s. */
int vm_stop(const char *name, int timeout_s, enum vm_stop_mode mode, struct vm_status *final);
int vm_kill(const char *name, struct vm_status *final);
int vm_pause(const char *name);
int vm_resume(const char *name);

/* The per-VM monitor process (hv __monitor): QEMU's parent, which
 * records every state change and how QEMU ended. */
enum monitor_mode {
	MONITOR_MODE_FRESH,    /* boot */
	MONITOR_MODE_STATE,    /* load a saved VM state (MONITOR_STATE_FD) */
	MONITOR_MODE_INCOMING, /* wait for a live migration, guarded by MONITOR_GUARD_FD */
};
int monitor_main(const char *vmdir, int report_fd, const char *accel, int ntaps, enum monitor_mode mode);
/* fds of the monitor and of QEMU (QEMU's are named in qemu.args) */
enum {
	MONITOR_REPORT_FD = 3, /* in the monitor: the pipe to hv start */
	MONITOR_TAP_FD = 10,   /* in the monitor: TAP i at 10 + i */
	MONITOR_STATE_FD = 9,  /* in the monitor: a saved VM state to load */
	MONITOR_GUARD_FD = 9,  /* in the monitor: an incoming migration's guard */
	QEMU_QMP_FD = 3,       /* in QEMU: the monitor's private QMP */
	QEMU_CHANNEL_FD = 4,   /* in QEMU: the guest channel */
	QEMU_TAP_FD = 5,       /* in QEMU: TAP i at 5 + i */
	QEMU_STATE_FD = 9,     /* in QEMU: the saved VM state (-incoming fd:9) */
	QEMU_FS_FD = 10,       /* in QEMU: shared folder i's virtiofsd at 10 + i */
};
