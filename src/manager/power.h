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
	int monitor_pid;	/* the VM's monitor: a child of the caller until the caller exits */
};
int vm_start(const char *name, struct vm_started *out);
/* How vm_start_locked starts a VM.  The fds are -1 when not used. */
struct vm_start_opts {
	const char *state; /* load this saved VM state (hv save, snapshots), or NULL */
	bool paused;	   /* ... and stay paused after loading it */
	bool hold;	   /* QEMU starts with the CPUs stopped (-S) until "cont" */
	/* A transient VM's owner (hv run) holds the other end of this socket:
	 * a byte 'k' from it asks the monitor to stop the VM; its end
	 * closing (the owner died) stops the VM and deletes it. */
	int owner_fd;
	/* QEMU's end of the guest channel; the caller speaks to the guest on
	 * the other end itself (hv run), so the monitor has no hv exec. */
	int channel_fd;
};
#define VM_START_OPTS_INIT                                                                                             \
	{                                                                                                              \
		.state = NULL, .owner_fd = -1, .channel_fd = -1                                                        \
	}
int vm_start_locked(struct vm_handle *h, const struct vmdef *d, const struct vm_start_opts *o, struct vm_started *out);
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
struct monitor_args {
	const char *vmdir, *accel;
	int report_fd, ntaps;
	bool state;   /* a saved VM state at MONITOR_STATE_FD */
	bool owner;   /* a transient VM's owner at MONITOR_OWNER_FD */
	bool channel; /* QEMU's end of the guest channel at MONITOR_CHANNEL_FD */
};
int monitor_main(const struct monitor_args *a);
/* fds of the monitor and of QEMU (QEMU's are named in qemu.args) */
enum {
	MONITOR_REPORT_FD = 3,	/* in the monitor: the pipe to hv start */
	MONITOR_TAP_FD = 10,	/* in the monitor: TAP i at 10 + i */
	MONITOR_STATE_FD = 9,	/* in the monitor: a saved VM state to load */
	MONITOR_OWNER_FD = 7,	/* in the monitor: the transient VM's owner */
	MONITOR_CHANNEL_FD = 8, /* in the monitor: QEMU's end of the guest channel, handed over */
	QEMU_QMP_FD = 3,	/* in QEMU: the monitor's private QMP */
	QEMU_CHANNEL_FD = 4,	/* in QEMU: the guest channel */
	QEMU_TAP_FD = 5,	/* in QEMU: TAP i at 5 + i */
	QEMU_STATE_FD = 9,	/* in QEMU: the saved VM state (-incoming fd:9) */
	QEMU_FS_FD = 10,	/* in QEMU: shared folder i's virtiofsd at 10 + i */
};
