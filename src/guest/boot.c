/* SPDX-License-Identifier: MIT */
#include "guest/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/home.h"
#include "util/fs.h"
#include "util/proc.h"

/* Kernel parameters of the default guest, each measured (bench/boot.sh):
 * loglevel=3 keeps the serial console (slow under TCG) free of all but
 * critical messages (the rest is in dmesg); panic=-1 turns a panic into an
 * immediate exit path; cryptomgr.notests skips ~0.5 s of crypto
 * self-tests under TCG. */
#define DEFAULT_CMDLINE "console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests"

void guest_boot_free(struct guest_boot *b)
{
	free(b->kernel);
	free(b->initrd);
	free(b->cmdline);
	*b = (struct guest_boot){ 0 };
}

int guest_default_dir(char **out)
{
	const char *env = getenv("HV_GUEST_DIR");

	if (env && *env)
		return (*out = strdup(env)) ? 0 : err_set(-ENOMEM, "out of memory");
	return hv_data_dir("guest", out);
}

int guest_check_kernel(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char hdr[0x206];
	ssize_t n;

	if (fd < 0)
		return err_errno(-errno, "cannot open kernel %s", path);
	n = pread(fd, hdr, sizeof(hdr), 0);
	if (n >= 4 && !memcmp(hdr,
			      "\x7f"
			      "ELF",
			      4))
		return 0;
	if (n >= 0x206 && !memcmp(hdr + 0x202, "HdrS", 4))
		return 0;
	return err_set(-EINVAL, "%s is not a Linux kernel (neither a bzImage nor an ELF vmlinux)", path);
}

static int guest_boot_fill(const char *kernel, const char *initrd, const char *cmdline, const char *mode,
			   const char *name, enum machine m, enum accel a, struct guest_boot *out)
{
	_cleanup_free_ char *dir = NULL;
	char extra[256];
	int r, k;

	if ((r = guest_default_dir(&dir)) < 0)
		return r;
	if (kernel) {
		if (!(out->kernel = strdup(kernel)))
			return err_set(-ENOMEM, "out of memory");
	} else {
		if (asprintf(&out->kernel, "%s/vmlinux", dir) < 0)
			return out->kernel = NULL, err_set(-ENOMEM, "out of memory");
		if (access(out->kernel, R_OK) < 0)
			return err_set(-ENOENT, "the default guest is not built (%s is missing): run make",
				       out->kernel);
	}
	if ((r = guest_check_kernel(out->kernel)) < 0)
		return r;
	if (initrd) {
		if (access(initrd, R_OK) < 0)
			return err_errno(-errno, "cannot read initrd %s", initrd);
		if (!(out->initrd = strdup(initrd)))
			return err_set(-ENOMEM, "out of memory");
	} else {
		if (asprintf(&out->initrd, "%s/initramfs.cpio", dir) < 0)
			return out->initrd = NULL, err_set(-ENOMEM, "out of memory");
		if (access(out->initrd, R_OK) < 0)
			return err_set(-ENOENT, "the default guest is not built (%s is missing): run make",
				       out->initrd);
		out->hv_init = true;
	}
	if ((r = qemu_kernel_params(m, a, a == ACCEL_TCG ? host_tsc_khz() : 0, extra, sizeof(extra))) < 0)
		return r;
	if (out->hv_init)
		k = asprintf(&out->cmdline, "%s%s%s hv.mode=%s hv.name=%s", cmdline ? cmdline : DEFAULT_CMDLINE,
			     extra[0] ? " " : "", extra, mode, name ? name : "hv");
	else
		k = asprintf(&out->cmdline, "%s%s%s", cmdline ? cmdline : DEFAULT_CMDLINE, extra[0] ? " " : "", extra);
	if (k < 0)
		return out->cmdline = NULL, err_set(-ENOMEM, "out of memory");
	/* the kernel's own limit (COMMAND_LINE_SIZE on x86) */
	if ((size_t)k >= GUEST_CMDLINE_MAX)
		return err_set(-E2BIG, "kernel command line too long (at most %d bytes)", GUEST_CMDLINE_MAX - 1);
	return 0;
}

int guest_boot_resolve(const char *kernel, const char *initrd, const char *cmdline, const char *mode, const char *name,
		       enum machine m, enum accel a, struct guest_boot *out)
{
	int r;

	*out = (struct guest_boot){ 0 };
	if ((r = guest_boot_fill(kernel, initrd, cmdline, mode, name, m, a, out)) < 0)
		guest_boot_free(out);
	return r;
}
