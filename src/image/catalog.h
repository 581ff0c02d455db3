/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The image store: $HV_HOME/images/NAME/, one folder per image, read-only
 * once it appears:
 *   disk.qcow2    the image (mode 0444), a self-contained qcow2 (no backing file)
 *   image.json    {"name", "os", "format": "qcow2", "virtual_size" (bytes),
 *                  "created" (unix time), "source": "built"|"imported",
 *                  "firmware": ["bios","uefi"] (what it boots with),
 *                  "root": "UUID=...", "kernel": "vmlinuz", "initrd": "initrd.img",
 *                  "cmdline": "root=UUID=... ro ..."}  (the last four only for built images)
 *   vmlinuz, initrd.img   copies of the image's kernel and initrd (built images),
 *                  for a direct kernel boot that skips firmware and GRUB.
 * An image folder is staged as .new-NAME-PID and renamed into place when
 * complete (RENAME_NOREPLACE: an existing image is never replaced), so an
 * interrupted build or import leaves nothing under the real name.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IMAGE_NAME_MAX 63

struct hv_image {
	char name[IMAGE_NAME_MAX + 1];
	char os[64];	/* "debian-12", or what import was told ("" unknown) */
	char format[8]; /* "qcow2" */
	uint64_t virtual_size;
	int64_t created;
	char source[16]; /* "built" | "imported" */
	bool bios, uefi; /* firmware it can boot with */
	char root[64];	 /* "UUID=..." ("" when unknown) */
	char *cmdline;	 /* suggested kernel command line (NULL when unknown) */
	/* absolute paths (malloc'ed); kernel and initrd are NULL when absent */
	char *dir, *disk, *kernel, *initrd;
};

void image_free(struct hv_image *img);

/* $HV_HOME/images (created, mode 0700), malloc'ed. */
int image_store_dir(char **out);
/* Names: [a-z0-9][a-z0-9._-]{0,62}. */
int image_name_validate(const char *name);
/* Read NAME's image.json (through a field table) and fill img;
 * -ENOENT "no image named NAME" when there is none. */
int image_lookup(const char *name, struct hv_image *img);
/* Every image, sorted by name (an unreadable one is skipped). */
int image_list(struct hv_image **imgs, size_t *n);
void image_list_free(struct hv_image *imgs, size_t n);
/* Remove an image folder (renamed aside first, so it vanishes at once).
 * Whether VMs still use it is the caller's check. */
int image_remove(const char *name);
/* Is path (a VM disk's backing file) inside image folder dir? */
bool image_contains(const struct hv_image *img, const char *path);

/* img as image.json has it (paths false: file names beside it), or with
 * absolute paths and "disk" added (hv image info --json); NULL: no memory. */
struct json_object;
struct json_object *image_to_json(const struct hv_image *img, bool paths);

/* Staging, for build and import: a fresh .new-NAME-PID folder (stale ones
 * of dead processes are removed first), refused when NAME exists. */
struct image_stage {
	char *store; /* $HV_HOME/images */
	char *name;  /* .new-NAME-PID */
	char *path;  /* store/name */
	int dirfd;
};
int image_stage_begin(const char *name, struct image_stage *st);
/* Write image.json from img (name, os, format, virtual_size, created,
 * source, firmware, root, kernel/initrd when set, cmdline) into the stage. */
int image_stage_write_meta(struct image_stage *st, const struct hv_image *img);
/* Rename the stage to NAME (never over an existing image). */
int image_stage_commit(struct image_stage *st, const char *name);
/* Remove the stage and free it (safe after commit: it only frees). */
void image_stage_end(struct image_stage *st);
