/* SPDX-License-Identifier: MIT */
#pragma once
/* How a VM boots: the default guest (build/guest) or the user's kernel,
 * and the kernel command line hv composes for it. */
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

/* The x86 kernel's COMMAND_LINE_SIZE: longer lines are cut. */
#define GUEST_CMDLINE_MAX 2048

struct guest_boot {
	char *kernel;
	char *initrd; /* "" : none */
	char *cmdline;
	bool hv_init; /* the initramfs is hv's: the guest channel and hv.* options work */
};

void guest_boot_free(struct guest_boot *b);
#define _cleanup_guest_boot_ __attribute__((cleanup(guest_boot_free)))

/* Folder of the default guest: $HV_GUEST_DIR, else guest/ beside hv (heap string). */
int guest_default_dir(char **out);
/* Check that a file looks like a bootable Linux kernel (bzImage or ELF). */
int guest_check_kernel(const char *path);
/* kernel/initrd/cmdline NULL mean the defaults; mode is "run" or "service".
 * out is filled on success (free it with guest_boot_free) and left empty
 * on failure. */
int guest_boot_resolve(const char *kernel, const char *initrd, const char *cmdline, const char *mode, const char *name,
		       enum machine m, enum accel a, struct guest_boot *out);
