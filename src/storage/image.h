/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Disk images.  qemu-img does the block-level work (it is QEMU's own block
 * layer, and `qemu-img check` is the judge of every image hv makes); hv
 * owns validation, naming, placement and clear errors.  Every image hv
 * writes is written beside its final name and renamed into place, so an
 * interrupted operation never leaves a half image under a real name.
 * Backing files are always recorded with their format (-F): QEMU never
 * probes the format of an image hv hands it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* The format of an existing image from its header: "qcow2" or "raw".
 * Fails clearly when the path is missing or not a regular file/device. */
int image_probe_format(const char *path, char *fmt, size_t n);
/* Create an image (format "qcow2" or "raw"); backing (may be NULL) makes
 * a qcow2 overlay, size 0 then means the backing file's size. */
int image_create(const char *path, const char *format, uint64_t size, const char *backing);
/* qemu-img info as JSON (with the whole backing chain: an array). */
int image_info(const char *path, bool chain, struct json_object **out);
int image_resize(const char *path, uint64_t size, bool shrink);
/* Convert (or copy) src to dst in format; snapshot (may be NULL) reads an
 * internal snapshot; force_share reads an image a running QEMU holds.
 * dst appears only when complete. */
int image_convert(const char *src, const char *dst, const char *format, const char *snapshot, bool force_share);
/* A plain copy (reflinked when the file system can, sparse otherwise),
 * appearing at dst only when complete. */
int image_copy(const char *src, const char *dst);
/* 0 when qemu-img check finds the image clean; -EIO with the report. */
int image_check(const char *path, char **report);
/* Internal snapshots of a qcow2 image: 'c'reate, 'a'pply, 'd'elete. */
int image_snapshot(const char *path, char op, const char *name);
/* Does the image (itself, not its backing chain) hold snapshot name? */
int image_has_snapshot(const char *path, const char *name, bool force_share);
/* How many internal snapshots the image (not its chain) holds. */
int image_snapshot_count(const char *path);
/* 1 when an overlay holds no data of its own (everything comes from its
 * backing chain), 0 when it does. */
int image_overlay_unchanged(const char *path);
/* Make dst an independent image: pull every block of its backing chain in. */
int image_flatten(const char *path);
/* Run qemu-img; its stdout into *out (may be NULL), its last stderr line
 * into the error on failure. */
int qemu_img(const char *const args[], char **out);
