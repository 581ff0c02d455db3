/* SPDX-License-Identifier: MIT */
#pragma once
/* Commands in a running VM (hv exec, hv cp): through hv's channel for the
 * default guest, through the QEMU guest agent for other guests. */
#include "guest/exec.h"
#include "manager/store.h"
#include "manager/vmdef.h"

enum guest_way {
	GUEST_WAY_CHANNEL, /* hv's init answers on the hv channel */
	GUEST_WAY_AGENT,   /* a distribution: the QEMU guest agent, if installed */
};

enum guest_way vm_guest_way(const struct vmdef *d);
/* Run req in VM name to its end.  sigfd: see gsess_run.  Returns 0 with
 * *st filled, or a negative errno with the reason recorded (the VM is not
 * running, has no way in, the connection broke). */
int vm_exec(const char *name, const struct exec_request *req, int sigfd, struct exec_status *st);
/* Open VM name when it is reached through the QEMU guest agent: 1 with
 * *h open and the VM checked to be running (vm_close it), 0 (nothing
 * open) when it has hv's channel instead. */
int vm_agent_open(const char *name, struct vm_handle *h);
