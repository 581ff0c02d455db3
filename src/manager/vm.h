/* SPDX-License-Identifier: MIT */
#pragma once
/* Persistent VMs: define, inspect, change and remove them, and drive
 * their lifecycle.  Every operation locks the VM's folder. */
#include <stdbool.h>
#include <stdint.h>

#include "manager/status.h"
#include "manager/nics.h"
#include "manager/vmdef.h"

#define VM_LOCK_TIMEOUT_MS 30000

struct vm_create_opts {
	const char *name;
	unsigned cpus;
	uint64_t memory_mib;
	enum machine machine;
	enum accel accel;
	const char *kernel, *initrd, *cmdline;
	const char *disks[VMDEF_MAX_DISKS]; /* each a SIZE (new qcow2) or an existing image PATH */
	unsigned ndisks;
	struct nic_request nics;
};

int vm_create(const struct vm_create_opts *o);
/* Lock a VM and read its definition and true state; on failure nothing
 * is held.  On success the caller owns h (vm_close) and d (vmdef_free). */
struct vm_handle;
int vm_lock_and_load(const char *name, struct vm_handle *h, struct vmdef *d, struct vm_status *st);
/* Definition and true state of one VM. */
int vm_inspect(const char *name, struct vmdef *def, struct vm_status *st);
/* NULL leaves a setting unchanged.  Refused while the VM runs. */
int vm_set(const char *name, const unsigned *cpus, const uint64_t *memory_mib, const struct nic_request *nics);
/* Disks of a stopped VM: attach an existing image; detach by path (an
 * owned disk is moved to $HV_HOME/disks/NAME/, moved_to says where). */
/* The format of an image named on hv disk's command line
 * (PATH[,format=F]): the stated one, else the one recorded for the VM
 * whose disk it is, else adopted (image_adopt).  *path: absolute. */
int vm_disk_format(const char *spec, char **path, char *fmt, size_t n);
int vm_attach_disk(const char *name, const char *spec); /* PATH[,format=raw|qcow2] */
int vm_detach_disk(const char *name, const char *path, char *moved_to, size_t n);
/* Give up the network addresses reserved for a VM's NICs. */
void vm_release_addresses(const char *name, const struct vmdef *d);
/* kept_dir receives where --keep-disks put the disks (may be NULL). */
int vm_delete(const char *name, bool force, bool keep_disks, bool flatten, char *kept_dir, size_t kept_n);

struct vm_started {
	int pid;
	enum accel accel;
	const char *tcg_reason; /* why TCG was chosen automatically, or NULL */
	bool resumed;		/* it continued from a state saved by hv save */
};
int vm_start(const char *name, struct vm_started *out);
/* Start a locked VM, optionally from a saved VM state (paused: stay paused). */
int vm_start_locked(struct vm_handle *h, const struct vmdef *d, const char *state, bool paused,
		    struct vm_started *out);
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
};
