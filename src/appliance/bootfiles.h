/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A Linux system's kernel, initrd and root file system UUID, read out of
 * its disk through the appliance: what `hv image import` records so that
 * an imported image can boot its own kernel directly (--boot kernel).
 */
#include <stdbool.h>

#define BOOTFILES_KERNEL_MAX (64ULL << 20)
#define BOOTFILES_INITRD_MAX (192ULL << 20)

struct bootfiles {
	char root_uuid[37]; /* the root file system's UUID */
	bool initrd;	    /* an initrd was found (written as initrd.img) */
};

/* The script sent to the appliance (malloc'ed). */
int bootfiles_script(char **out);
/* Read its report ("root DEV", "kernel SIZE", "initrd SIZE", "uuid HEX"). */
int bootfiles_report_parse(const char *out, unsigned long long *kernel, unsigned long long *initrd, char uuid[37]);
/* Read the kernel and initrd of the system on disk (a qcow2 image, not
 * written: the appliance sees an overlay made in work) into work's
 * vmlinuz and initrd.img.  work is a folder the caller owns. */
int bootfiles_read(const char *disk, int workfd, const char *work, struct bootfiles *bf);
