/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Disk images.  qemu-img does the block-level work (it is QEMU's own block
 * layer, and `qemu-img check` is the judge of every image hv makes); hv
 * owns validation, naming, placement and clear errors.  Every image hv
 * writes is written beside its final name and renamed into place, so an
 * interrupted operation never leaves a half image under a real name.
 * Formats are never guessed once a guest could have written to an image:
 * they are stated or recorded at adoption (image_adopt), and every
 * qemu-img and QEMU call is told them (-f, -F, format=).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* Adopt an image the user names (hv create --disk, --disk-from,
 * attach-disk, hv run --disk, hv disk on a file outside the store): its
 * format is the stated one ("raw"/"qcow2"), or, when stated is NULL,
 * guessed from its header once, here, before any guest could have
 * written to it through hv.  A guessed qcow2 that names a backing file
 * or an external data file is refused (a guest can write such a header
 * into a raw disk: see docs/security.md); so is a qcow2 whose backing
 * file has no recorded format.  The format goes to fmt. */
/* Split a disk argument "PATH[,format=raw|qcow2]": *path is malloc'ed,
 * fmt is "" when no format was stated. */
int image_spec_parse(const char *spec, char **path, char *fmt, size_t n);
int image_adopt(const char *path, const char *stated, char *fmt, size_t n);
/* Before QEMU opens a disk hv recorded: a qcow2 disk must still be a
 * qcow2 image, and one that hv made (backing != NULL; "" for none) must
 * name exactly that backing file and no external data file.  Raw disks
 * pass: QEMU opens them as raw whatever their bytes say. */
int image_verify(const char *path, const char *format, const char *backing);
/* The backing format a qcow2 overlay's header records (raw or qcow2). */
int image_backing_format(const char *path, char *fmt, size_t n);
/* Create an image (format "qcow2" or "raw"); backing (may be NULL) makes
 * a qcow2 overlay recorded with backing_format, size 0 then means the
 * backing file's size. */
int image_create(const char *path, const char *format, uint64_t size, const char *backing, const char *backing_format);
/* qemu-img info as JSON (with the whole backing chain: an array).  Every
 * qemu-img call below is told the format (-f): qemu-img never guesses. */
int image_info(const char *path, const char *format, bool chain, struct json_object **out);
/* hv's lock on an image file (flock on fd, an open description of path):
 * exclusive to write it, shared to only read it.  QEMU's own image locks
 * are off on the files hv passes it (docs/security.md), so this is what
 * keeps a running VM's disk to that VM: jail_open takes it for QEMU, and
 * the calls below that change an image take it around qemu-img.  -EBUSY,
 * naming path, while another holder conflicts. */
int image_flock(int fd, const char *path, bool write);
/* The calls that change an existing image (resize, snapshot, flatten,
 * repair) hold its lock exclusively, so they refuse a running VM's disk. */
int image_resize(const char *path, const char *format, uint64_t size, bool shrink);
/* Convert (or copy) src to dst in format; snapshot (may be NULL) reads an
 * internal snapshot; force_share reads an image a running QEMU holds.
 * dst appears only when complete. */
int image_convert(const char *src, const char *src_format, const char *dst, const char *format, const char *snapshot,
		  bool force_share);
/* A plain copy (reflinked when the file system can, sparse otherwise),
 * appearing at dst only when complete. */
int image_copy(const char *src, const char *dst);
/* 0 when qemu-img check finds the image clean; -EIO with the report. */
int image_check(const char *path, const char *format, char **report);
/* Reclaim clusters a killed QEMU left allocated in a qcow2 image. */
int image_repair_leaks(const char *path);
/* Internal snapshots of a qcow2 image: 'c'reate, 'a'pply, 'd'elete. */
int image_snapshot(const char *path, char op, const char *name);
/* Does the qcow2 image (itself, not its backing chain) hold snapshot name? */
int image_has_snapshot(const char *path, const char *name, bool force_share);
/* How many internal snapshots the qcow2 image (not its chain) holds. */
int image_snapshot_count(const char *path);
/* 1 when a qcow2 overlay holds no data of its own (everything comes from
 * its backing chain), 0 when it does. */
int image_overlay_unchanged(const char *path);
/* Make a qcow2 image independent: pull every block of its backing chain in. */
int image_flatten(const char *path);
/* Run qemu-img; its stdout into *out (may be NULL), its last stderr line
 * into the error on failure. */
int qemu_img(const char *const args[], char **out);
