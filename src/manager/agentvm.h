/* SPDX-License-Identifier: MIT */
#pragma once
/* What hv commands ask a running VM's QEMU guest agent, by VM name. */
#include "agent/ops.h"

/* The guest's OS (guest-get-osinfo), asked with a short timeout: -ENOENT
 * (nothing recorded) when the VM does not run or has no agent port,
 * another error when no agent answers. */
int vm_guest_os(const char *name, struct agent_osinfo *os);
