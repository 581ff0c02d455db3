/* SPDX-License-Identifier: MIT */
/*
 * The appliance sees the image through a throwaway overlay (an ext4
 * mount, even read-only, may replay a journal) and a sparse scratch disk
 * (/dev/vdb): the kernel is copied to its start, the initrd 64 MiB in,
 * and only their sizes and the root's UUID travel on stdout.  The kernel
 * is the one /vmlinuz names (Debian, Ubuntu), else the last
 * /boot/vmlinuz-*; the initrd is the one of the same version, else the
 * one /initrd.img names.  Links that leave the root are not followed.
 */
#include "appliance/bootfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "appliance/appliance.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"

#define INITRD_OFFSET (64ULL << 20)
#define SCRATCH_SIZE  (INITRD_OFFSET + BOOTFILES_INITRD_MAX)

enum { ST_NO_KERNEL = 6, ST_TOO_BIG = 7 };

#define SCRIPT_BODY                                                                                                    \
	"cd /mnt/root || exit 1\n"                                                                                     \
	"pick() {\n"                                                                                                   \
	"\tt=\n"                                                                                                       \
	"\tif [ -L \"$1\" ]; then\n"                                                                                   \
	"\t\tt=$(readlink \"$1\")\n"                                                                                   \
	"\t\tt=${t#/}\n"                                                                                               \
	"\t\tcase \"$t\" in *..*) t= ;; esac\n"                                                                        \
	"\t\t[ -n \"$t\" ] && [ -f \"$t\" ] && [ ! -L \"$t\" ] || t=\n"                                                \
	"\tfi\n"                                                                                                       \
	"\tif [ -z \"$t\" ]; then\n"                                                                                   \
	"\t\tfor f in $2-*; do\n"                                                                                      \
	"\t\t\t[ -f \"$f\" ] && [ ! -L \"$f\" ] && t=$f\n"                                                             \
	"\t\tdone\n"                                                                                                   \
	"\tfi\n"                                                                                                       \
	"\techo \"$t\"\n"                                                                                              \
	"}\n"                                                                                                          \
	"k=$(pick vmlinuz boot/vmlinuz)\n"                                                                             \
	"[ -n \"$k\" ] || exit 6\n"                                                                                    \
	"i=boot/initrd.img-${k#boot/vmlinuz-}\n"                                                                       \
	"[ -f \"$i\" ] && [ ! -L \"$i\" ] || i=$(pick initrd.img boot/initrd.img)\n"                                   \
	"ks=$(($(wc -c <\"$k\")))\n"                                                                                   \
	"[ \"$ks\" -le %llu ] || exit 7\n"                                                                             \
	"dd if=\"$k\" of=/dev/vdb bs=1M 2>/dev/null || exit 1\n"                                                       \
	"echo \"kernel $ks\"\n"                                                                                        \
	"if [ -n \"$i\" ]; then\n"                                                                                     \
	"\tis=$(($(wc -c <\"$i\")))\n"                                                                                 \
	"\t[ \"$is\" -le %llu ] || exit 7\n"                                                                           \
	"\tdd if=\"$i\" of=/dev/vdb bs=1M seek=%llu 2>/dev/null || exit 1\n"                                           \
	"\techo \"initrd $is\"\n"                                                                                      \
	"fi\n" /* ext4's superblock is 1024 bytes in; s_uuid 0x68 bytes into it */                                     \
	"echo \"uuid $(dd if=/dev/$found bs=1 skip=1128 count=16 2>/dev/null | od -An -tx1 -v | tr -d ' \\n')\"\n"     \
	"cd /\n"                                                                                                       \
	"umount /mnt/root\n"                                                                                           \
	"sync\n"                                                                                                       \
	"exit 0\n"

int bootfiles_script(char **out)
{
	if (asprintf(out, "set -u\n" APPLIANCE_FIND_ROOT SCRIPT_BODY, BOOTFILES_KERNEL_MAX, BOOTFILES_INITRD_MAX,
		     INITRD_OFFSET >> 20) < 0)
		return err_set(-ENOMEM, "out of memory");
	return 0;
}

static int parse_size(const char *s, size_t len, unsigned long long max, unsigned long long *v)
{
	unsigned long long n = 0;

	if (len == 0 || len > 12)
		return -EPROTO;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EPROTO;
		n = n * 10 + (unsigned long long)(s[i] - '0');
	}
	if (n == 0 || n > max)
		return -EPROTO;
	*v = n;
	return 0;
}

int bootfiles_report_parse(const char *out, unsigned long long *kernel, unsigned long long *initrd, char uuid[37])
{
	*kernel = *initrd = 0;
	uuid[0] = '\0';
	for (const char *line = out; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		if (len > 7 && !memcmp(line, "kernel ", 7)) {
			if (parse_size(line + 7, len - 7, BOOTFILES_KERNEL_MAX, kernel) < 0)
				return err_set(-EPROTO, "appliance: unexpected kernel size in its report");
		} else if (len > 7 && !memcmp(line, "initrd ", 7)) {
			if (parse_size(line + 7, len - 7, BOOTFILES_INITRD_MAX, initrd) < 0)
				return err_set(-EPROTO, "appliance: unexpected initrd size in its report");
		} else if (len > 5 && !memcmp(line, "uuid ", 5)) {
			static const char hex[] = "0123456789abcdef";
			size_t k = 0;
			if (len - 5 != 32)
				return err_set(-EPROTO, "appliance: unexpected root UUID in its report");
			for (size_t i = 0; i < 32; i++) {
				char c = line[5 + i];
				if (!memchr(hex, c, 16) || !c)
					return err_set(-EPROTO, "appliance: unexpected root UUID in its report");
				if (i == 8 || i == 12 || i == 16 || i == 20)
					uuid[k++] = '-';
				uuid[k++] = c;
			}
			uuid[k] = '\0';
		}
		line += len + (nl ? 1 : 0);
	}
	if (!*kernel)
		return err_set(-EPROTO, "appliance: no kernel size in its report");
	if (!uuid[0] || !strcmp(uuid, "00000000-0000-0000-0000-000000000000"))
		return err_set(-EPROTO, "appliance: the root file system has no UUID");
	return 0;
}

/* Copy len bytes at off of the scratch disk into workfd's name. */
static int copy_out(int scratch, unsigned long long off, unsigned long long len, int workfd, const char *name)
{
	_cleanup_close_ int fd = openat(workfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0444);
	loff_t in = (loff_t)off;

	if (fd < 0)
		return err_errno(-errno, "cannot create %s", name);
	while (len) {
		ssize_t n = copy_file_range(scratch, &in, fd, NULL, len, 0);
		if (n <= 0)
			return err_errno(n < 0 ? -errno : -EIO, "cannot write %s", name);
		len -= (unsigned long long)n;
	}
	return fsync(fd) < 0 ? err_errno(-errno, "cannot write %s", name) : 0;
}

static int run(const char *view, const char *scratch, int workfd, struct bootfiles *bf)
{
	_cleanup_free_ char *script = NULL, *d0 = NULL, *d1 = NULL;
	_cleanup_close_ int sfd = -1;
	struct appliance_output o = { 0 };
	unsigned long long klen, ilen;
	int r;

	if (asprintf(&d0, "%s,format=qcow2", view) < 0)
		d0 = NULL;
	if (asprintf(&d1, "%s,format=raw", scratch) < 0)
		d1 = NULL;
	if (!d0 || !d1)
		return err_set(-ENOMEM, "out of memory");
	const char *disks[] = { d0, d1 };
	if ((r = bootfiles_script(&script)) < 0 || (r = appliance_run(disks, 2, script, &o)) < 0)
		return r;
	if (o.status == APPLIANCE_NO_ROOT)
		r = err_set(-ENOENT, "no Linux root file system (ext2/3/4) found on the image");
	else if (o.status == ST_NO_KERNEL)
		r = err_set(-ENOENT, "no kernel found in the image's /boot");
	else if (o.status == ST_TOO_BIG)
		r = err_set(-EFBIG, "the image's kernel or initrd is too large");
	else if (o.status != 0)
		r = err_set(-EIO, "reading the image's kernel failed in the appliance (status %d)", o.status);
	else
		r = bootfiles_report_parse(o.out, &klen, &ilen, bf->root_uuid);
	appliance_output_free(&o);
	if (r < 0)
		return r;
	if ((sfd = open(scratch, O_RDONLY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", scratch);
	if ((r = copy_out(sfd, 0, klen, workfd, "vmlinuz")) < 0)
		return r;
	bf->initrd = ilen > 0;
	return ilen ? copy_out(sfd, INITRD_OFFSET, ilen, workfd, "initrd.img") : 0;
}

int bootfiles_read(const char *disk, int workfd, const char *work, struct bootfiles *bf)
{
	_cleanup_free_ char *view = NULL, *scratch = NULL;
	_cleanup_close_ int sfd = -1;
	int r;

	memset(bf, 0, sizeof(*bf));
	if (asprintf(&view, "%s/.appliance-view.qcow2", work) < 0)
		view = NULL;
	if (asprintf(&scratch, "%s/.appliance-scratch.raw", work) < 0)
		scratch = NULL;
	if (!view || !scratch)
		return err_set(-ENOMEM, "out of memory");
	if ((r = image_create(view, "qcow2", 0, disk, "qcow2")) < 0)
		return r;
	sfd = open(scratch, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sfd < 0 || ftruncate(sfd, (off_t)SCRATCH_SIZE) < 0)
		r = err_errno(-errno, "cannot create %s", scratch);
	else
		r = run(view, scratch, workfd, bf);
	unlink(view);
	unlink(scratch);
	return r;
}
