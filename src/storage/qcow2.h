/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What a qcow2 header says about other files: its backing file (and that
 * file's recorded format) and an external data file.  Read in C from the
 * header itself (docs/interop/qcow2.txt: the header, the header
 * extensions "backing file format name" 0xe2792aca and "external data
 * file name" 0x44415441), so hv can decide whether QEMU may open those
 * files before any QEMU or qemu-img process sees the image.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define QCOW2_NAME_MAX 1023 /* QEMU's own bound on the backing file name */

struct qcow2_meta {
	uint32_t version;		    /* 2 or 3 */
	uint64_t size;			    /* virtual size in bytes */
	char backing[QCOW2_NAME_MAX + 1];   /* "" when none */
	char backing_format[32];	    /* "" when not recorded */
	char data_file[QCOW2_NAME_MAX + 1]; /* "" when none */
	bool external_data;		    /* incompatible feature bit 2 */
	bool encrypted;
};

/* 1 when the first bytes of fd are the qcow2 magic, 0 when not. */
int qcow2_is(int fd);
/* Parse the header of the qcow2 image open at fd; path names it in
 * messages.  A truncated or inconsistent header is -EINVAL. */
int qcow2_read_meta(int fd, const char *path, struct qcow2_meta *m);
