/* SPDX-License-Identifier: MIT */
/* GPT, ext4 root, ESP and GRUB (BIOS and UEFI) in a plain disk file. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/layout.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define SECTOR	     512ULL
#define BIOS_START   2048ULL			 /* 1 MiB */
#define BIOS_SECTORS 2048ULL			 /* 1 MiB */
#define ESP_START    (BIOS_START + BIOS_SECTORS) /* 2 MiB */
#define ESP_SECTORS  (64ULL * 2048)		 /* 64 MiB */
#define ROOT_START   (ESP_START + ESP_SECTORS)	 /* 66 MiB */
#define GPT_TAIL     34ULL			 /* backup GPT entries + header */
#define GRUB_PC_DIR  "/usr/lib/grub/i386-pc"
#define GRUB_EFI_DIR "/usr/lib/grub/x86_64-efi"

static int run(const char *const argv[], const struct image_progress *p)
{
	struct tool_output *o = malloc(sizeof(*o));
	int r;

	if (!o)
		return err_set(-ENOMEM, "out of memory");
	r = tool_run(argv, p, o);
	free(o);
	return r;
}

static int pathf(char **out, const char *fmt, const char *a, const char *b)
{
	if (asprintf(out, fmt, a, b) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

/* The last sector of the root partition: 1 MiB aligned, before the backup GPT. */
static uint64_t root_end(uint64_t size)
{
	uint64_t last = size / SECTOR - GPT_TAIL - 1;
	return (last + 1) / 2048 * 2048 - 1;
}

int layout_filesystem(const char *rootdir, const char *raw, uint64_t size, const char *uuid,
		      const struct image_progress *p)
{
	_cleanup_close_ int fd = -1;
	char n1[64], n2[64], n3[64], uu[64], blocks[32], opt[64];
	uint64_t end;
	int r;

	if (size < LAYOUT_MIN_SIZE)
		return err_set(-EINVAL, "the disk must be at least 512M");
	if ((fd = open(raw, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0)
		return err_errno(-errno, "cannot create %s", raw);
	if (ftruncate(fd, (off_t)size) < 0)
		return err_errno(-errno, "cannot size %s", raw);
	end = root_end(size);
	snprintf(n1, sizeof(n1), "1:%llu:%llu", BIOS_START, BIOS_START + BIOS_SECTORS - 1);
	snprintf(n2, sizeof(n2), "2:%llu:%llu", ESP_START, ESP_START + ESP_SECTORS - 1);
	snprintf(n3, sizeof(n3), "3:%llu:%llu", ROOT_START, (unsigned long long)end);
	snprintf(uu, sizeof(uu), "3:%s", uuid); /* the partition's GUID is the file system's UUID too */
	const char *gpt[] = { "sgdisk", "-a", "2048",	"-n",	  n1,	"-t",	 "1:EF02", "-c", "1:bios",
			      "-n",	n2,   "-t",	"2:EF00", "-c", "2:esp", "-n",	   n3,	 "-t",
			      "3:8304", "-c", "3:root", "-u",	  uu,	raw,	 NULL };
	if ((r = run(gpt, p)) < 0)
		return err_prefix(r, "partitioning");
	snprintf(blocks, sizeof(blocks), "%llu", (unsigned long long)((end - ROOT_START + 1) * SECTOR / 4096));
	snprintf(opt, sizeof(opt), "offset=%llu,nodiscard", ROOT_START * SECTOR);
	const char *mkfs[] = { "mke2fs", "-q", "-F", "-t",    "ext4", "-b", "4096", "-L",   "root",
			       "-U",	 uuid, "-d", rootdir, "-E",   opt,  raw,    blocks, NULL };
	if ((r = run(mkfs, p)) < 0)
		return err_prefix(r, "making the root file system");
	return 0;
}

int layout_grub_cfg(const char *uuid, const char *cmdline, char **out)
{
	if (asprintf(out,
		     "# written by hv image build: GRUB on the serial port and the screen\n"
		     "serial --unit=0 --speed=115200\n"
		     "terminal_input serial console\n"
		     "terminal_output serial console\n"
		     "set timeout=1\n"
		     "menuentry 'Debian GNU/Linux 12' {\n"
		     "\tsearch --no-floppy --fs-uuid --set=root %s\n"
		     "\tlinux /vmlinuz %s\n"
		     "\tinitrd /initrd.img\n"
		     "}\n",
		     uuid, cmdline) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

/* The configuration built into both GRUB images. */
static int write_embed_cfg(const char *path, const char *uuid)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = -1;

	if (asprintf(&text,
		     "search --no-floppy --fs-uuid --set=root %s\n"
		     "set prefix=($root)/boot/grub\n"
		     "configfile ($root)/boot/grub/grub.cfg\n",
		     uuid) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return err_errno(-errno, "cannot create %s", path);
	return write_all(fd, text, strlen(text)) < 0 ? err_errno(-errno, "cannot write %s", path) : 0;
}

static int read_file(const char *path, size_t max, char **buf, size_t *len)
{
	return fs_read_all(AT_FDCWD, path, max, buf, len);
}

static int pwrite_all(int fd, const void *buf, size_t n, off_t off)
{
	const char *p = buf;

	while (n) {
		ssize_t k = pwrite(fd, p, n, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -errno;
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* GRUB for SeaBIOS: boot.img in the MBR loads the first sector of core.img
 * (diskboot.img) from the BIOS boot partition, whose block list loads the
 * rest; grub-bios-setup does the same on a device. */
static int bios_grub(const char *work, const char *raw, const char *cfg, const struct image_progress *p)
{
	_cleanup_free_ char *core = NULL, *boot = NULL, *img = NULL;
	_cleanup_close_ int fd = -1;
	unsigned char mbr[512];
	size_t blen = 0, clen = 0;
	int r;

	if ((r = pathf(&core, "%s/%s", work, "core.img")) < 0)
		return r;
	const char *mk[] = { "grub-mkimage", "-O",	   "i386-pc",  "-d",
			     GRUB_PC_DIR,    "-c",	   cfg,	       "-p",
			     "/boot/grub",   "-o",	   core,       "biosdisk",
			     "part_gpt",     "ext2",	   "search",   "search_fs_uuid",
			     "normal",	     "configfile", "linux",    "echo",
			     "test",	     "serial",	   "terminal", "gzio",
			     "boot",	     "sleep",	   NULL };
	if ((r = run(mk, p)) < 0)
		return r;
	if ((r = read_file(GRUB_PC_DIR "/boot.img", 512, &boot, &blen)) < 0)
		return err_prefix(r, "install grub-pc-bin");
	if ((r = read_file(core, BIOS_SECTORS * SECTOR, &img, &clen)) < 0)
		return r;
	if (blen != 512 || clen < 512)
		return err_set(-EINVAL, "unexpected sizes of GRUB's boot.img (%zu) or core.img (%zu)", blen, clen);
	uint64_t nsec = (clen + SECTOR - 1) / SECTOR;
	/* diskboot.img's block list, the last 12 bytes of core.img's first
	 * sector: start LBA (8), sector count (2), load segment (2) */
	put_le((unsigned char *)img + 0x1f4, BIOS_START + 1, 8);
	put_le((unsigned char *)img + 0x1fc, nsec - 1, 2);
	if ((fd = open(raw, O_RDWR | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", raw);
	if (pread(fd, mbr, sizeof(mbr), 0) != (ssize_t)sizeof(mbr))
		return err_errno(-EIO, "cannot read the MBR of %s", raw);
	/* boot code only: the protective MBR's signature and partition table stay */
	memcpy(mbr, boot, 440);
	put_le(mbr + 0x5c, BIOS_START, 8); /* where core.img starts */
	mbr[0x66] = 0x90;		   /* a hard disk: skip the floppy drive check (as grub-bios-setup) */
	mbr[0x67] = 0x90;
	if ((r = pwrite_all(fd, img, clen, (off_t)(BIOS_START * SECTOR))) < 0 ||
	    (r = pwrite_all(fd, mbr, sizeof(mbr), 0)) < 0)
		return err_errno(r, "cannot write GRUB into %s", raw);
	return 0;
}

/* GRUB for UEFI at the removable-media path of a FAT ESP, made with
 * mkfs.vfat -C and mtools in a scratch file, then copied to its offset. */
static int efi_grub(const char *work, const char *raw, const char *cfg, const struct image_progress *p)
{
	_cleanup_free_ char *efi = NULL, *esp = NULL, *buf = NULL;
	_cleanup_close_ int in = -1, out = -1;
	char kib[32];
	int r;

	if ((r = pathf(&efi, "%s/%s", work, "BOOTX64.EFI")) < 0 || (r = pathf(&esp, "%s/%s", work, "esp.img")) < 0)
		return r;
	const char *mk[] = { "grub-mkimage",
			     "-O",
			     "x86_64-efi",
			     "-d",
			     GRUB_EFI_DIR,
			     "-c",
			     cfg,
			     "-p",
			     "/boot/grub",
			     "-o",
			     efi,
			     "part_gpt",
			     "ext2",
			     "fat",
			     "search",
			     "search_fs_uuid",
			     "normal",
			     "configfile",
			     "linux",
			     "echo",
			     "test",
			     "serial",
			     "terminal",
			     "gzio",
			     "boot",
			     "sleep",
			     "all_video",
			     "efi_gop",
			     NULL };
	if ((r = run(mk, p)) < 0)
		return r;
	unlink(esp);
	snprintf(kib, sizeof(kib), "%llu", ESP_SECTORS * SECTOR / 1024);
	const char *mkfs[] = { "mkfs.vfat", "-C", "-n", "EFI", esp, kib, NULL };
	const char *mmd[] = { "mmd", "-i", esp, "::/EFI", "::/EFI/BOOT", NULL };
	const char *mcopy[] = { "mcopy", "-i", esp, efi, "::/EFI/BOOT/BOOTX64.EFI", NULL };
	if ((r = run(mkfs, p)) < 0 || (r = run(mmd, p)) < 0 || (r = run(mcopy, p)) < 0)
		return err_prefix(r, "making the EFI system partition");
	if ((in = open(esp, O_RDONLY | O_CLOEXEC)) < 0 || (out = open(raw, O_WRONLY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot copy the EFI system partition");
	if (!(buf = malloc(1 << 20)))
		return err_set(-ENOMEM, "out of memory");
	for (off_t off = 0;;) {
		ssize_t k = pread(in, buf, 1 << 20, off);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_errno(-errno, "cannot read %s", esp);
		if (k == 0)
			break;
		if ((r = pwrite_all(out, buf, (size_t)k, (off_t)(ESP_START * SECTOR) + off)) < 0)
			return err_errno(r, "cannot write %s", raw);
		off += k;
	}
	unlink(esp);
	return 0;
}

int layout_bootloader(const char *work, const char *raw, const char *uuid, const struct image_progress *p)
{
	_cleanup_free_ char *cfg = NULL;
	int r;

	if ((r = pathf(&cfg, "%s/%s", work, "grub-embed.cfg")) < 0 || (r = write_embed_cfg(cfg, uuid)) < 0)
		return r;
	if ((r = bios_grub(work, raw, cfg, p)) < 0)
		return err_prefix(r, "installing GRUB for BIOS");
	if ((r = efi_grub(work, raw, cfg, p)) < 0)
		return err_prefix(r, "installing GRUB for UEFI");
	return 0;
}
