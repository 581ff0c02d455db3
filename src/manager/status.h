/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A VM's runtime record (status.json), written by its monitor process at
 * every transition, and the derivation of the true state from it: a
 * record that says "running" is believed only while the QEMU process it
 * names is alive (same pid, same start time, same boot of the host).
 */
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "util/proc.h"

enum vm_state { VM_STOPPED, VM_RUNNING, VM_PAUSED, VM_CRASHED };

/* The reason of a crash the monitor saw as a guest kernel panic (pvpanic). */
#define VM_REASON_PANIC "the guest kernel panicked (see console.log)"

struct vm_status {
	enum vm_state state;
	char reason[512]; /* why it stopped or crashed */
	struct proc_id qemu, monitor;
	char accel[8];
	time_t since;
};

const char *vm_state_name(enum vm_state s);
/* The record as written (absent: stopped, never started).  A record that
 * is not JSON, or has a wrong or missing field, is -EBADMSG (reason
 * recorded); status_derive rebuilds it. */
int status_load(int dirfd, struct vm_status *st);
/* The same from text (pure, for tests). */
int status_parse(const char *text, size_t len, struct vm_status *st);
int status_save(int dirfd, const struct vm_status *st);
/* The truth now: a dead QEMU behind a "running" record becomes crashed
 * (or the monitor's final record, if it is about to write one), and a
 * live QEMU whose monitor died is asked over QMP.  A damaged record is
 * re-derived from the processes working in the VM's folder (QEMU and the
 * monitor), rewritten, and reported with err_warn(). */
int status_derive(int dirfd, const char *vmdir, struct vm_status *st);
/* What a process working in a VM's folder is, by its argv (NUL-separated,
 * len bytes): QEMU (accel gets its "-accel" value), hv's monitor, or
 * something else (virtiofsd, a user's shell). */
enum status_proc { STATUS_PROC_OTHER, STATUS_PROC_QEMU, STATUS_PROC_MONITOR };
enum status_proc status_proc_kind(const char *argv, size_t len, char *accel, size_t accel_size);
static inline bool vm_state_active(enum vm_state s)
{
	return s == VM_RUNNING || s == VM_PAUSED;
}
