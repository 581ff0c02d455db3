/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A bootable GPT disk built into a plain file, without mounting anything:
 *   partition 1  BIOS boot (1 MiB, EF02): GRUB's core.img for SeaBIOS
 *   partition 2  EFI system partition (64 MiB, EF00): /EFI/BOOT/BOOTX64.EFI
 *   partition 3  the ext4 root (the rest, type 8304), made by mke2fs -d
 *                straight into the file at its offset
 * plus GRUB's boot.img in the MBR's boot code area.  Both GRUBs carry an
 * embedded configuration that finds the root by its UUID and reads its
 * /boot/grub/grub.cfg.
 */
#include <stdint.h>

#include "image/tool.h"

#define LAYOUT_MIN_SIZE (512ULL * 1024 * 1024)

/* Make raw (size bytes, sparse): the GPT and the root file system from rootdir. */
int layout_filesystem(const char *rootdir, const char *raw, uint64_t size, const char *uuid,
		      const struct image_progress *p);
/* GRUB for BIOS and UEFI into raw; work is a scratch folder. */
int layout_bootloader(const char *work, const char *raw, const char *uuid, const struct image_progress *p);
/* The grub.cfg the root file system carries (malloc'ed). */
int layout_grub_cfg(const char *uuid, const char *cmdline, char **out);
