/* SPDX-License-Identifier: MIT */
/* hv image import FILE: a raw or qcow2 disk into the store, self-contained. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appliance/bootfiles.h"
#include "image/build.h"
#include "image/catalog.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"
#include "util/size.h"

/* qemu-img check on the adopted qcow2 (a truncated one fails here, named). */
static int check_source(const char *file, const char *fmt)
{
	_cleanup_free_ char *report = NULL;
	int r;

	if (strcmp(fmt, "qcow2"))
		return 0;
	if ((r = image_check(file, fmt, &report)) < 0)
		return err_set(-EINVAL, "%s is a damaged or truncated qcow2 image (qemu-img check failed)", file);
	return 0;
}

static int virtual_size(const char *path, uint64_t *size)
{
	_cleanup_json_ struct json_object *info = NULL;
	int64_t v;
	int r;

	if ((r = image_info(path, "qcow2", false, &info)) < 0)
		return r;
	if ((r = json_get_int64(info, "virtual-size", "qemu-img info", &v)) < 0 || v <= 0)
		return r < 0 && r != -ENOENT ? r : err_set(-EINVAL, "qemu-img info: no virtual-size");
	*size = (uint64_t)v;
	return 0;
}

/* What firmware can boot the disk, from its first 34 sectors (read by
 * qemu-img dd in the adopted format): BIOS when the MBR carries boot code
 * and its signature, UEFI when a GPT (UEFI spec 5.3) or an MBR partition
 * (type 0xEF) is an EFI system partition. */
static const unsigned char esp_guid[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
					    0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };

static void firmware_of(const unsigned char *d, size_t len, bool *bios, bool *uefi)
{
	bool sig = len >= 512 && d[510] == 0x55 && d[511] == 0xaa;

	*bios = *uefi = false;
	if (!sig)
		return;
	for (size_t i = 0; i < 440 && !*bios; i++)
		*bios = d[i] != 0;
	for (int i = 0; i < 4; i++)
		if (d[446 + 16 * i + 4] == 0xef)
			*uefi = true;
	if (len >= 34 * 512 && !memcmp(d + 512, "EFI PART", 8))
		for (size_t e = 2 * 512; e + 128 <= 34 * 512; e += 128)
			if (!memcmp(d + e, esp_guid, 16))
				*uefi = true;
}

static int detect_firmware(const char *stage, const char *disk, bool *bios, bool *uefi)
{
	_cleanup_free_ char *of = NULL, *iff = NULL, *outf = NULL, *data = NULL;
	size_t len = 0;
	int r;

	if (asprintf(&of, "%s/.head", stage) < 0 || asprintf(&iff, "if=%s", disk) < 0 ||
	    asprintf(&outf, "of=%s", of) < 0)
		return err_set(-ENOMEM, "out of memory");
	const char *args[] = { "dd", "-f", "qcow2", "-O", "raw", "bs=512", "count=34", iff, outf, NULL };
	if ((r = qemu_img(args, NULL)) < 0)
		return r;
	r = fs_read_all(AT_FDCWD, of, 34 * 512, &data, &len);
	unlink(of);
	if (r < 0)
		return r;
	firmware_of((unsigned char *)data, len, bios, uefi);
	return 0;
}

/* A bootable Linux image: its kernel, initrd and root UUID read through
 * the appliance, so that it can boot its own kernel (--boot kernel).  An
 * image without a Linux root or a kernel in /boot is imported as it is. */
static int read_kernel(struct image_stage *st, const char *disk, const struct image_progress *p, struct hv_image *img,
		       char **cmdline)
{
	struct bootfiles bf;
	int r;

	if (p && p->line)
		p->line(p->ctx, "reading the image's kernel (a helper VM)");
	if ((r = bootfiles_read(disk, st->dirfd, st->path, &bf)) == -ENOENT || r == -EFBIG) {
		err_clear();
		return 0;
	}
	if (r < 0)
		return err_prefix(r, "reading the image's kernel");
	if (asprintf(cmdline, "root=UUID=%s ro console=tty0 console=ttyS0,115200", bf.root_uuid) < 0) {
		*cmdline = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	snprintf(img->root, sizeof(img->root), "UUID=%s", bf.root_uuid);
	img->kernel = "vmlinuz";
	img->initrd = bf.initrd ? "initrd.img" : NULL;
	img->cmdline = *cmdline;
	return 0;
}

/* "debian-12-generic-amd64.qcow2" -> "debian-12-generic-amd64" (lower-cased,
 * other characters to '-'), when no name is given. */
static int default_name(const char *file, char *out, size_t n)
{
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t k = 0;

	for (const char *c = base; *c && k + 1 < n && k < IMAGE_NAME_MAX; c++) {
		if (!strcmp(c, ".qcow2") || !strcmp(c, ".raw") || !strcmp(c, ".img"))
			break;
		char ch = (*c >= 'A' && *c <= 'Z') ? (char)(*c - 'A' + 'a') : *c;
		out[k++] = ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
			       ? ch
			       : '-';
	}
	out[k] = '\0';
	return image_name_validate(out);
}

int image_import(const char *file, const char *name, const char *format, const struct image_progress *p, char *chosen,
		 size_t n)
{
	_cleanup_free_ char *dst = NULL, *cmdline = NULL;
	struct image_stage st;
	struct hv_image img = { 0 };
	struct tool_output *out = NULL;
	char fmt[8] = "", defname[IMAGE_NAME_MAX + 1];
	struct stat sb;
	int r;

	if (!name) {
		if ((r = default_name(file, defname, sizeof(defname))) < 0)
			return err_prefix(r, "give the image a name (hv image import FILE NAME)");
		name = defname;
	}
	if ((r = image_name_validate(name)) < 0)
		return r;
	snprintf(chosen, n, "%s", name);
	if (stat(file, &sb) < 0)
		return err_errno(-errno, "%s", file);
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode))
		return err_set(-EINVAL, "%s is not a file", file);
	if (S_ISREG(sb.st_mode) && sb.st_size == 0)
		return err_set(-EINVAL, "%s is empty, not a disk image", file);
	if ((r = image_adopt(file, format, fmt, sizeof(fmt))) < 0)
		return r;
	if (!strcmp(fmt, "raw") && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size < SIZE_MIB)
		return err_set(-EINVAL,
			       "%s is only %lld bytes: too small for a disk image (a raw image is at least 1 MiB)",
			       file, (long long)sb.st_size);
	if ((r = check_source(file, fmt)) < 0)
		return r;
	if ((r = tool_need("qemu-img", "qemu-utils")) < 0)
		return r;
	if ((r = image_stage_begin(name, &st)) < 0)
		goto out;
	if (asprintf(&dst, "%s/disk.qcow2", st.path) < 0) {
		r = err_set(-ENOMEM, "out of memory");
		goto out;
	}
	/* -f always: the format is the adopted one, never qemu-img's guess;
	 * convert pulls any backing chain in (the result stands alone) */
	const char *conv[] = { "qemu-img", "convert", "-p", "-f", fmt, "-O", "qcow2", file, dst, NULL };
	if (!(out = malloc(sizeof(*out)))) {
		r = err_set(-ENOMEM, "out of memory");
		goto out;
	}
	if ((r = tool_run(conv, p, out)) < 0)
		goto out;
	if (fchmodat(st.dirfd, "disk.qcow2", 0444, 0) < 0) {
		r = err_errno(-errno, "chmod disk.qcow2");
		goto out;
	}
	snprintf(img.name, sizeof(img.name), "%s", name);
	snprintf(img.source, sizeof(img.source), "imported");
	img.created = (int64_t)time(NULL);
	if ((r = detect_firmware(st.path, dst, &img.bios, &img.uefi)) < 0 ||
	    ((img.bios || img.uefi) && (r = read_kernel(&st, dst, p, &img, &cmdline)) < 0) ||
	    (r = virtual_size(dst, &img.virtual_size)) < 0 || (r = image_stage_write_meta(&st, &img)) < 0)
		goto out;
	if (fchmodat(st.dirfd, "image.json", 0444, 0) < 0) {
		r = err_errno(-errno, "chmod image.json");
		goto out;
	}
	r = image_stage_commit(&st, name);
out:
	free(out);
	image_stage_end(&st);
	return r;
}
