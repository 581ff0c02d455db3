/* SPDX-License-Identifier: MIT */
#pragma once
/* How a VM boots: the default guest (build/guest) or the user's kernel,
 * and the kernel command line hv composes for it. */
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

struct guest_boot {
	char kernel[4096];
	char initrd[4096]; /* empty: none */
	char cmdline[2048];
	bool hv_init; /* the initramfs is hv's: the guest channel and hv.* options work */
};

/* Folder of the default guest: $HV_GUEST_DIR, else guest/ beside hv. */
int guest_default_dir(char *buf, size_t n);
/* Check that a file looks like a bootable Linux kernel (bzImage or ELF). */
int guest_check_kernel(const char *path);
/* kernel/initrd/cmdline NULL mean the defaults; mode is "run" or "service". */
int guest_boot_resolve(const char *kernel, const char *initrd, const char *cmdline, const char *mode, const char *name,
		       enum machine m, enum accel a, struct guest_boot *out);
