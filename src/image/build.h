/* SPDX-License-Identifier: MIT */
#pragma once
/* Making images: build one from Debian packages, or import a disk file. */
#include <stddef.h>
#include <stdint.h>

#include "image/tool.h"

#define IMAGE_DEFAULT_SIZE (8ULL << 30)
/* The .deb cache shared by builds (outside any repository or store). */
#define IMAGE_APT_CACHE "/var/cache/hv/apt/archives"

struct image_build_opts {
	const char *os;	      /* only "debian-12" */
	const char *name;     /* NULL: the OS name */
	uint64_t size;	      /* 0: IMAGE_DEFAULT_SIZE */
	const char *packages; /* "a,b" extra packages, or NULL */
	const char *mirror;   /* NULL: the host's configured Debian mirror */
};

/* Build an image into the store: mmdebstrap ("debootstrap" phase), the
 * disk layout ("filesystem", "bootloader"), qemu-img ("convert").  The
 * image appears under its name only when complete. */
int image_build(const struct image_build_opts *o, const struct image_progress *p);
/* The host's Debian mirror: the first http(s) URI of a Debian archive in
 * /etc/apt/sources.list or sources.list.d (one-line or deb822 format). */
int image_host_mirror(char **uri);

/* Adopt file (format "raw"/"qcow2" or NULL: read from its header through
 * image_adopt, which refuses a guessed qcow2 naming other files) and
 * convert it into the store as a self-contained qcow2 named name (NULL:
 * from the file's name); the name used goes to chosen[n]. */
int image_import(const char *file, const char *name, const char *format, const struct image_progress *p, char *chosen,
		 size_t n);
