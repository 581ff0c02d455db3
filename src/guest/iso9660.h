/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A writer of small ISO 9660 (ECMA-119) volumes with Joliet names: one
 * root directory holding regular files, built in memory.  Enough for a
 * cloud-init NoCloud seed (volume "cidata" with meta-data, user-data,
 * network-config); the Joliet tree keeps the lower-case names, the
 * primary tree carries upper-case ISO names (META_DATA.;1) for readers
 * without Joliet.  Both trees point at the same file data.
 */
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define ISO9660_SECTOR	  2048
#define ISO9660_LABEL_MAX 16 /* Joliet volume identifier: 16 UCS-2 characters */
#define ISO9660_NAME_MAX  64 /* Joliet file identifier: 64 UCS-2 characters */
#define ISO9660_FILES_MAX 256

struct iso9660_file {
	/* 1..ISO9660_NAME_MAX characters of [A-Za-z0-9._-], not "." or ".." */
	const char *name;
	const void *data;
	size_t len; /* < 4 GiB */
};

/* Build a volume labelled label (1..ISO9660_LABEL_MAX of [A-Za-z0-9_],
 * written as given, as genisoimage -V does) holding files in its root,
 * every date set to mtime.  *out (malloc'ed, *out_len bytes, a multiple
 * of ISO9660_SECTOR) on success; -EINVAL naming the bad label or file
 * name, -EEXIST when two names are the same file in the primary tree,
 * -EFBIG when the volume would be too large. */
int iso9660_build(const char *label, const struct iso9660_file *files, size_t n, time_t mtime, void **out,
		  size_t *out_len);

/* Build as above (dated now) and replace dirfd/name atomically: a temporary
 * file beside it, fsync, rename, fsync of the folder. */
int iso9660_write_at(int dirfd, const char *name, mode_t mode, const char *label, const struct iso9660_file *files,
		     size_t n);
