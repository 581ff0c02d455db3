/* SPDX-License-Identifier: MIT */
/* hv image build debian-12: mmdebstrap into a folder, then the disk. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/build.h"
#include "image/catalog.h"
#include "image/layout.h"
#include "manager/vmdef.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/size.h"
#include "storage/image.h"

/* What every image has: a cloud-ready systemd server (ifupdown and
 * isc-dhcp-client: cloud-init's ENI renderer on Debian). */
static const char base_packages[] = "linux-image-cloud-amd64,systemd-sysv,udev,dbus,openssh-server,cloud-init,"
				    "qemu-guest-agent,ifupdown,isc-dhcp-client,sudo,initramfs-tools";

/* Debian package names (policy 5.6.1): [a-z0-9][a-z0-9+.-]+ */
static int check_packages(const char *list)
{
	const char *s = list;

	if (!*s)
		return err_set(-EINVAL, "--packages is empty");
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n < 2 || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
			return err_set(-EINVAL, "--packages: '%.*s' is not a Debian package name", (int)n, s);
		for (size_t i = 1; i < n; i++)
			if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || strchr("+.-", s[i])))
				return err_set(-EINVAL, "--packages: '%.*s' is not a Debian package name", (int)n, s);
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int check_mirror(const char *uri)
{
	if (strncmp(uri, "http://", 7) && strncmp(uri, "https://", 8) && strncmp(uri, "file:/", 6))
		return err_set(-EINVAL, "mirror '%s': expected an http://, https:// or file:/ URL", uri);
	if (strlen(uri) > 1024)
		return err_set(-EINVAL, "mirror URL is too long");
	for (const char *c = uri; *c; c++)
		if (!isgraph((unsigned char)*c) || strchr("\"'\\`$;", *c))
			return err_set(-EINVAL, "mirror '%s': unexpected character in the URL", uri);
	return 0;
}

/* One "URIs:" (deb822) or "deb URI ..." line naming a Debian archive
 * (not debian-security, not another vendor's repository). */
static int mirror_from_line(char *line, bool deb822, char **uri)
{
	char *tok, *save = NULL;

	if (deb822) {
		if (strncasecmp(line, "URIs:", 5))
			return 0;
		line += 5;
	} else {
		while (isspace((unsigned char)*line))
			line++;
		if (strncmp(line, "deb ", 4) && strncmp(line, "deb\t", 4))
			return 0;
		line += 4;
		while (isspace((unsigned char)*line))
			line++;
		if (*line == '[' && (line = strchr(line, ']')))
			line++;
		if (!line)
			return 0;
	}
	for (tok = strtok_r(line, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		size_t n = strlen(tok);
		while (n && tok[n - 1] == '/')
			tok[--n] = '\0';
		if (n > 7 && !strcmp(tok + n - 7, "/debian") && check_mirror(tok) == 0) {
			if (!(*uri = strdup(tok)))
				return -ENOMEM;
			return 1;
		}
	}
	err_clear();
	return 0;
}

static int mirror_from_file(int dirfd, const char *name, bool deb822, char **uri)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;
	size_t len;
	int r;

	if (fs_read_all(dirfd, name, 1 << 20, &text, &len) < 0) {
		err_clear();
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if ((r = mirror_from_line(line, deb822, uri)) != 0)
			return r;
	return 0;
}

int image_host_mirror(char **uri)
{
	_cleanup_close_ int dfd = -1;
	int r = 0;

	*uri = NULL;
	if ((r = mirror_from_file(AT_FDCWD, "/etc/apt/sources.list", false, uri)) != 0)
		return r < 0 ? err_set(r, "out of memory") : 0;
	if ((dfd = open("/etc/apt/sources.list.d", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		_cleanup_closedir_ DIR *d = fdopendir(dup(dfd));
		struct dirent *de;
		while (d && (de = readdir(d)) && r == 0) {
			size_t l = strlen(de->d_name);
			if (l > 8 && !strcmp(de->d_name + l - 8, ".sources"))
				r = mirror_from_file(dfd, de->d_name, true, uri);
			else if (l > 5 && !strcmp(de->d_name + l - 5, ".list"))
				r = mirror_from_file(dfd, de->d_name, false, uri);
		}
	}
	if (r < 0)
		return err_set(r, "out of memory");
	if (!*uri)
		return err_set(-ENOENT, "no Debian mirror is configured in /etc/apt/sources.list(.d); give one with "
					"--mirror http://deb.debian.org/debian");
	return 0;
}

static int tools_present(void)
{
	static const char *const need[][2] = {
		{ "mmdebstrap", "mmdebstrap" },	   { "unshare", "util-linux" },	  { "sgdisk", "gdisk" },
		{ "mke2fs", "e2fsprogs" },	   { "mkfs.vfat", "dosfstools" }, { "mcopy", "mtools" },
		{ "grub-mkimage", "grub-common" }, { "qemu-img", "qemu-utils" },
	};
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(need); i++)
		if ((r = tool_need(need[i][0], need[i][1])) < 0)
			return r;
	if (access("/usr/lib/grub/i386-pc/boot.img", R_OK) < 0)
		return err_set(-ENOENT, "GRUB for BIOS is missing; install it with: apt-get install grub-pc-bin");
	if (access("/usr/lib/grub/x86_64-efi/linux.mod", R_OK) < 0)
		return err_set(-ENOENT,
			       "GRUB for UEFI is missing; install it with: apt-get install grub-efi-amd64-bin");
	return 0;
}

/* mmdebstrap's output says why a download failed. */
static bool mirror_unreachable(const char *tail)
{
	static const char *const signs[] = { "Failed to fetch",	   "Could not connect",		  "Unable to connect",
					     "Connection refused", "Temporary failure resolving", "Could not resolve",
					     "404  Not Found",	   "does not have a Release file" };
	for (size_t i = 0; i < ARRAY_SIZE(signs); i++)
		if (strstr(tail, signs[i]))
			return true;
	return false;
}

static int debootstrap(const char *root, const struct image_build_opts *o, const char *mirror,
		       const struct image_progress *p)
{
	_cleanup_free_ char *include = NULL, *src = NULL;
	struct tool_output *out;
	int r;

	if ((r = fs_mkdir_p(IMAGE_APT_CACHE, 0755)) < 0)
		return r;
	if (asprintf(&include, "--include=%s%s%s", base_packages, o->packages ? "," : "",
		     o->packages ? o->packages : "") < 0 ||
	    asprintf(&src, "deb %s bookworm main", mirror) < 0)
		return err_set(-ENOMEM, "out of memory");
	/* a private mount namespace: the /proc, /sys and /dev mounts
	 * mmdebstrap makes in the chroot vanish with it, even if killed.
	 * The hooks are fixed text: the .deb cache is kept between builds. */
	const char *argv[] = { "unshare", "--mount", "--propagation", "private", "--", "mmdebstrap", "--mode=root",
			       "--variant=minbase", "--format=directory", include, "--aptopt=Acquire::Retries \"1\"",
			       "--skip=download/empty",
			       /* no fsync per file while dpkg unpacks: the image is synced once, whole */
			       "--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata",
			       /* documentation and translations: a server image does without */
			       "--dpkgopt=path-exclude=/usr/share/man/*", "--dpkgopt=path-exclude=/usr/share/locale/*",
			       "--dpkgopt=path-exclude=/usr/share/doc/*",
			       "--dpkgopt=path-include=/usr/share/doc/*/copyright",
			       "--setup-hook=mkdir -p \"$1\"/var/cache/apt/archives",
			       "--setup-hook=sync-in " IMAGE_APT_CACHE " /var/cache/apt/archives/",
			       "--customize-hook=sync-out /var/cache/apt/archives " IMAGE_APT_CACHE,
			       "--customize-hook=rm -f \"$1\"/var/cache/apt/archives/*.deb", "bookworm", root, src,
			       NULL };
	if (!(out = malloc(sizeof(*out))))
		return err_set(-ENOMEM, "out of memory");
	r = tool_run(argv, p, out);
	if (r < 0 && mirror_unreachable(out->tail)) {
		const char *l = strstr(out->tail, "Could not connect") ?: strstr(out->tail, "Failed to fetch");
		char why[200] = "";
		if (l)
			snprintf(why, sizeof(why), " (%.*s)", (int)strcspn(l, "\n"), l);
		r = err_set(-EHOSTUNREACH, "no Debian mirror reachable at %s%s", mirror, why);
	}
	free(out);
	return r;
}

static int put_file(int rootfd, const char *path, const char *text, mode_t mode)
{
	_cleanup_close_ int fd = -1;

	unlinkat(rootfd, path, 0);
	if ((fd = openat(rootfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
		return err_errno(-errno, "cannot write /%s in the image", path);
	if (write_all(fd, text, strlen(text)) < 0)
		return err_errno(-errno, "cannot write /%s in the image", path);
	return 0;
}

/* Remove /etc/ssh/ssh_host_*: each VM makes its own on first boot. */
static int drop_host_keys(int rootfd)
{
	_cleanup_closedir_ DIR *d = NULL;
	int fd = openat(rootfd, "etc/ssh", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;

	if (fd < 0)
		return err_errno(-errno, "the image has no /etc/ssh");
	if (!(d = fdopendir(fd))) {
		close(fd);
		return err_errno(-errno, "cannot read /etc/ssh in the image");
	}
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "ssh_host_", 9) && unlinkat(dirfd(d), de->d_name, 0) < 0)
			return err_errno(-errno, "cannot remove /etc/ssh/%s", de->d_name);
	return 0;
}

/* The image's own configuration: unique per VM (machine-id, host keys),
 * root by UUID, cloud-init limited to NoCloud, GRUB's menu. */
static int configure_root(const char *root, const char *uuid, const char *cmdline)
{
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_free_ char *fstab = NULL, *grub = NULL;
	int r;

	if (rfd < 0)
		return err_errno(-errno, "cannot open %s", root);
	if (asprintf(&fstab,
		     "# <file system> <mount point> <type> <options> <dump> <pass>\nUUID=%s / ext4 "
		     "errors=remount-ro 0 1\n",
		     uuid) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = layout_grub_cfg(uuid, cmdline, &grub)) < 0)
		return r;
	if (mkdirat(rfd, "boot/grub", 0755) < 0 && errno != EEXIST)
		return err_errno(-errno, "cannot create /boot/grub in the image");
	if (mkdirat(rfd, "etc/cloud/cloud.cfg.d", 0755) < 0 && errno != EEXIST)
		return err_errno(-errno, "cannot create /etc/cloud/cloud.cfg.d in the image");
	if ((r = put_file(rfd, "etc/fstab", fstab, 0644)) < 0 ||
	    (r = put_file(rfd, "etc/hostname", "localhost\n", 0644)) < 0 ||
	    (r = put_file(rfd, "etc/machine-id", "", 0444)) < 0 ||
	    (r = put_file(rfd, "boot/grub/grub.cfg", grub, 0644)) < 0 ||
	    (r = put_file(rfd, "etc/cloud/cloud.cfg.d/90-hv.cfg",
			  "# hv gives each VM a NoCloud seed (a cidata CD-ROM); nothing else is probed\n"
			  "datasource_list: [NoCloud, None]\n",
			  0644)) < 0)
		return r;
	if (unlinkat(rfd, "var/lib/dbus/machine-id", 0) < 0 && errno != ENOENT)
		return err_errno(-errno, "cannot remove /var/lib/dbus/machine-id in the image");
	return drop_host_keys(rfd);
}

/* vmlinuz and initrd.img beside the disk, for a direct kernel boot. */
static int copy_boot_files(const char *root, const struct image_stage *st)
{
	static const char *const files[][2] = { { "vmlinuz", "vmlinuz" }, { "initrd.img", "initrd.img" } };
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *src = NULL, *real = NULL, *dst = NULL;
		_cleanup_free_ char *dir = realpath(root, NULL);
		if (!dir || asprintf(&src, "%s/%s", dir, files[i][0]) < 0)
			return err_set(-ENOMEM, "out of memory");
		if (!(real = realpath(src, NULL)) || strncmp(real, dir, strlen(dir)))
			return err_set(-ENOENT, "the image has no /%s (is linux-image-cloud-amd64 installed?)",
				       files[i][0]);
		if (asprintf(&dst, "%s/%s", st->path, files[i][1]) < 0)
			return err_set(-ENOMEM, "out of memory");
		if ((r = image_copy(real, dst)) < 0)
			return r;
		if (fchmodat(st->dirfd, files[i][1], 0444, 0) < 0)
			return err_errno(-errno, "chmod %s", files[i][1]);
	}
	return 0;
}

struct phase_clock {
	const struct image_progress *p;
	uint64_t t;
};

static void phase_done(struct phase_clock *c, const char *name)
{
	uint64_t now = proc_now_ms();

	if (c->p && c->p->phase)
		c->p->phase(c->p->ctx, name, now - c->t);
	c->t = now;
}

static int build_in(struct image_stage *st, const struct image_build_opts *o, const char *name, const char *mirror,
		    const struct image_progress *p)
{
	_cleanup_free_ char *root = NULL, *raw = NULL, *qcow = NULL, *cmdline = NULL, *work = NULL;
	struct phase_clock clock = { p, proc_now_ms() };
	struct hv_image img = { 0 };
	char uuid[37];
	int r;

	if (asprintf(&root, "%s/root", st->path) < 0 || asprintf(&raw, "%s/disk.raw", st->path) < 0 ||
	    asprintf(&qcow, "%s/disk.qcow2", st->path) < 0 || asprintf(&work, "%s/work", st->path) < 0)
		return err_set(-ENOMEM, "out of memory");
	if (mkdirat(st->dirfd, "work", 0700) < 0)
		return err_errno(-errno, "cannot create %s", work);
	if ((r = uuid_generate(uuid)) < 0)
		return r;
	if (asprintf(&cmdline, "root=UUID=%s ro console=tty0 console=ttyS0,115200", uuid) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = debootstrap(root, o, mirror, p)) < 0)
		return r;
	phase_done(&clock, "debootstrap");
	if ((r = configure_root(root, uuid, cmdline)) < 0 || (r = copy_boot_files(root, st)) < 0)
		return r;
	if ((r = layout_filesystem(root, raw, o->size, uuid, p)) < 0)
		return r;
	if ((r = fs_rm_rf_at(st->dirfd, "root")) < 0)
		return r;
	phase_done(&clock, "filesystem");
	if ((r = layout_bootloader(work, raw, uuid, p)) < 0)
		return r;
	phase_done(&clock, "bootloader");
	const char *conv[] = { "qemu-img", "convert", "-p", "-f", "raw", "-O", "qcow2", raw, qcow, NULL };
	struct tool_output *out = malloc(sizeof(*out));
	if (!out)
		return err_set(-ENOMEM, "out of memory");
	r = tool_run(conv, p, out);
	free(out);
	if (r < 0)
		return r;
	unlink(raw);
	if ((r = fs_rm_rf_at(st->dirfd, "work")) < 0)
		return r;
	if (fchmodat(st->dirfd, "disk.qcow2", 0444, 0) < 0)
		return err_errno(-errno, "chmod disk.qcow2");
	phase_done(&clock, "convert");
	snprintf(img.name, sizeof(img.name), "%s", name);
	snprintf(img.os, sizeof(img.os), "debian-12");
	snprintf(img.source, sizeof(img.source), "built");
	snprintf(img.root, sizeof(img.root), "UUID=%s", uuid);
	img.virtual_size = o->size;
	img.created = (int64_t)time(NULL);
	img.bios = img.uefi = true;
	img.kernel = "vmlinuz";
	img.initrd = "initrd.img";
	img.cmdline = cmdline;
	if ((r = image_stage_write_meta(st, &img)) < 0)
		return r;
	if (fchmodat(st->dirfd, "image.json", 0444, 0) < 0)
		return err_errno(-errno, "chmod image.json");
	return image_stage_commit(st, name);
}

int image_build(const struct image_build_opts *opts, const struct image_progress *p)
{
	_cleanup_free_ char *mirror = NULL;
	struct image_build_opts o = *opts;
	struct image_stage st;
	const char *name;
	int r;

	if (strcmp(o.os, "debian-12"))
		return err_set(-EINVAL, "unknown OS '%s': hv image build supports only debian-12", o.os);
	name = o.name ? o.name : o.os;
	if ((r = image_name_validate(name)) < 0)
		return r;
	if (!o.size)
		o.size = IMAGE_DEFAULT_SIZE;
	if (o.size < 2 * SIZE_GIB)
		return err_set(-EINVAL, "--size must be at least 2G (the system takes about 600M)");
	o.size = (o.size + (1 << 20) - 1) & ~((uint64_t)(1 << 20) - 1);
	if (o.packages && (r = check_packages(o.packages)) < 0)
		return r;
	if (o.mirror) {
		if ((r = check_mirror(o.mirror)) < 0)
			return r;
		if (!(mirror = strdup(o.mirror)))
			return err_set(-ENOMEM, "out of memory");
	} else if ((r = image_host_mirror(&mirror)) < 0)
		return r;
	if (geteuid() != 0)
		return err_set(-EPERM, "hv image build needs root (mmdebstrap installs packages in a chroot)");
	if ((r = tools_present()) < 0)
		return r;
	if ((r = image_stage_begin(name, &st)) < 0) {
		image_stage_end(&st);
		return r;
	}
	r = build_in(&st, &o, name, mirror, p);
	image_stage_end(&st);
	return r;
}
