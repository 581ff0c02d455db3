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
/* Stop a locked, running VM at once, recording why. */
int vm_hard_stop_locked(struct vm_handle *h, const char *why, struct vm_status *final);
/* ACPI power button, hard stop after timeout_s; force: hard stop now. */
int vm_stop(const char *name, int timeout_s, bool force, struct vm_status *final);
int vm_kill(const char *name, struct vm_status *final);
int vm_pause(const char *name);
int vm_resume(const char *name);

/* The per-VM monitor process (hv __monitor): QEMU's parent, which
 * records every state change and how QEMU ended. */
int monitor_main(const char *vmdir, int report_fd, const char *accel, int ntaps, bool state);
/* fds of the monitor and of QEMU (QEMU's are named in qemu.args) */
enum {
	MONITOR_REPORT_FD = 3, /* in the monitor: the pipe to hv start */
	MONITOR_TAP_FD = 10,   /* in the monitor: TAP i at 10 + i */
	MONITOR_STATE_FD = 9,  /* in the monitor: a saved VM state to load */
	QEMU_QMP_FD = 3,       /* in QEMU: the monitor's private QMP */
	QEMU_CHANNEL_FD = 4,   /* in QEMU: the guest channel */
	QEMU_TAP_FD = 5,       /* in QEMU: TAP i at 5 + i */
	QEMU_STATE_FD = 9,     /* in QEMU: the saved VM state (-incoming fd:9) */
	QEMU_FS_FD = 10,       /* in QEMU: shared folder i's virtiofsd at 10 + i */
};
