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
#include "util/fs.h"
#include "util/proc.h"

/* Kernel parameters of the default guest, each measured (bench/boot.sh):
 * loglevel=3 keeps the serial console (slow under TCG) free of all but
 * critical messages (the rest is in dmesg); panic=-1 turns a panic into an
 * immediate exit path; cryptomgr.notests skips ~0.5 s of crypto
 * self-tests under TCG. */
#define DEFAULT_CMDLINE "console=ttyS0 loglevel=3 panic=-1 cryptomgr.notests"

int guest_default_dir(char *buf, size_t n)
{
	const char *env = getenv("HV_GUEST_DIR");
	char self[4096];
	int r;

	if (env && *env)
		return fs_path(buf, n, "%s", env);
	if ((r = proc_self_dir(self, sizeof(self))) < 0)
		return r;
	return fs_path(buf, n, "%s/guest", self);
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

int guest_boot_resolve(const char *kernel, const char *initrd, const char *cmdline, const char *mode, const char *name,
		       enum machine m, enum accel a, struct guest_boot *out)
{
	char dir[4000], extra[256];
	int r, k;

	memset(out, 0, sizeof(*out));
	if ((r = guest_default_dir(dir, sizeof(dir))) < 0)
		return r;
	if (kernel) {
		if ((r = fs_path(out->kernel, sizeof(out->kernel), "%s", kernel)) < 0)
			return r;
	} else {
		if ((r = fs_path(out->kernel, sizeof(out->kernel), "%s/vmlinux", dir)) < 0)
			return r;
		if (access(out->kernel, R_OK) < 0)
			return err_set(-ENOENT, "the default guest is not built (%s is missing): run make",
				       out->kernel);
	}
	if ((r = guest_check_kernel(out->kernel)) < 0)
		return r;
	if (initrd) {
		if (access(initrd, R_OK) < 0)
			return err_errno(-errno, "cannot read initrd %s", initrd);
		if ((r = fs_path(out->initrd, sizeof(out->initrd), "%s", initrd)) < 0)
			return r;
	} else {
		if ((r = fs_path(out->initrd, sizeof(out->initrd), "%s/initramfs.cpio", dir)) < 0)
			return r;
		if (access(out->initrd, R_OK) < 0)
			return err_set(-ENOENT, "the default guest is not built (%s is missing): run make",
				       out->initrd);
		out->hv_init = true;
	}
	if ((r = qemu_kernel_params(m, a, a == ACCEL_TCG ? host_tsc_khz() : 0, extra, sizeof(extra))) < 0)
		return r;
	k = snprintf(out->cmdline, sizeof(out->cmdline), "%s%s%s", cmdline ? cmdline : DEFAULT_CMDLINE,
		     extra[0] ? " " : "", extra);
	if (out->hv_init && k > 0 && (size_t)k < sizeof(out->cmdline))
		k += snprintf(out->cmdline + k, sizeof(out->cmdline) - (size_t)k, " hv.mode=%s hv.name=%s", mode,
			      name ? name : "hv");
	if (k < 0 || (size_t)k >= sizeof(out->cmdline))
		return err_set(-E2BIG, "kernel command line too long (at most %zu bytes)", sizeof(out->cmdline) - 1);
	return 0;
}
