/* SPDX-License-Identifier: MIT */
#pragma once
/* hv start --wait: follow a booting VM until it is usable (readywait.c). */
#include <stdint.h>

#include "manager/ready.h"

/* Where this boot's console output will begin (call before hv start). */
int vm_console_mark(const char *name, uint64_t *offset);
/* Follow the console from offset `from` through the boot phases until the
 * guest is ready: cloud-init finished and sshd answering on the VM's SSH
 * endpoint (distribution VMs), or hv's init up (the default guest).
 * progress() is called at each new phase with the seconds since the
 * call.  Fails on a dead end the console shows (nothing to boot, a
 * panic, emergency mode), when the VM stops, or after idle_timeout_s
 * seconds without any new console output. */
int vm_wait_ready(const char *name, uint64_t from, int idle_timeout_s,
		  void (*progress)(enum ready_phase phase, double secs, void *ctx), void *ctx, struct ready_scan *out);
/* The phase a running VM's boot has reached (from its console since the
 * start, and its SSH endpoint); failure names a dead end. */
int vm_boot_phase(const char *name, enum ready_phase *phase, char *failure, size_t n);
