/* SPDX-License-Identifier: MIT */
#pragma once
/* hv create for distribution VMs (see vmos.c). */
#include <stddef.h>
#include <stdint.h>

#include "manager/vmdef.h"

#define VMOS_MAX_KEYS 16

struct vm_os_opts {
	const char *image;		 /* a catalogue image: the VM's disk is an overlay on it */
	const char *user;		 /* default: the invoking user */
	const char *keys[VMOS_MAX_KEYS]; /* --ssh-key files; default: ~/.ssh/ (every .pub) */
	unsigned nkeys;
	const char *password_file;
	const char *cloud_init; /* the user's own user-data, merged */
	uint64_t disk_size;	/* the overlay's size (0: the image's) */
	const char *firmware;	/* bios | uefi */
	const char *boot;	/* kernel | firmware */
	const char *cdrom;	/* an installer ISO */
	const char *graphics;	/* none | vnc | vnc=ADDR:PORT */
};

/* Fill the distribution fields of d; *base (malloc'ed) is the image's
 * disk for an overlay of *disk_size bytes (0: the image's size). */
int vmos_plan(const struct vm_os_opts *os, struct vmdef *d, char **base, char *base_format, size_t n,
	      uint64_t *disk_size);
/* Files of the new VM's folder: the UEFI variable store, the user-data. */
int vmos_stage(const struct vm_os_opts *os, const struct vmdef *d, int stagefd);
