/* SPDX-License-Identifier: MIT */
#include "oci/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "oci/devices.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

static int open_in_root(int rootfd, const char *path, int flags)
{
	struct open_how how = { .flags = (uint64_t)(flags | O_CLOEXEC),
				.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
	while (*path == '/')
		path++;
	int fd = (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

/* Create every missing component of path inside the root; the last one
 * is a directory, or an empty file when file is true.  A dangling symlink
 * on the way is followed as the kernel would inside the root (its target,
 * made relative to the root, replaces it), so that what is created is
 * what RESOLVE_IN_ROOT will later find, and never outside the root. */
static int mkpath_in_root(int rootfd, const char *path, bool file)
{
	char buf[4096], next[4096], target[4096];
	int r, links = 0;

	if (strlen(path) >= sizeof(buf))
		return err_set(-ENAMETOOLONG, "path too long: %s", path);
	snprintf(buf, sizeof(buf), "%s", path);
restart:
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';
		if (*p != '/' && !last)
			continue;
		*p = '\0';
		int fd = open_in_root(rootfd, buf, O_PATH);
		if (fd >= 0) {
			close(fd);
		} else if (fd == -ENOENT) {
			char *slash = strrchr(buf, '/');
			_cleanup_close_ int parent = -1;
			*slash = '\0';
			parent = open_in_root(rootfd, buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
			*slash = '/';
			if (parent < 0)
				return err_errno(parent, "cannot create %s in the container", buf);
			ssize_t n = readlinkat(parent, slash + 1, target, sizeof(target) - 1);
			if (n >= 0) {
				/* a dangling link: go on from its target */
				target[n] = '\0';
				if (++links > 40)
					return err_set(-ELOOP, "cannot create %s in the container: too many links",
						       path);
				*slash = '\0';
				int k = snprintf(next, sizeof(next), "%s/%s%s%s", target[0] == '/' ? "" : buf, target,
						 last ? "" : "/", last ? "" : p + 1);
				if (k < 0 || (size_t)k >= sizeof(next))
					return err_set(-ENAMETOOLONG, "path too long: %s", path);
				snprintf(buf, sizeof(buf), "%s", next);
				goto restart;
			}
			if (last && file)
				r = (fd = openat(parent, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644)) < 0
					? -errno
					: (close(fd), 0);
			else
				r = mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST ? -errno : 0;
			if (r < 0)
				return err_errno(r, "cannot create %s in the container", buf);
		} else {
			return err_errno(fd, "cannot resolve %s in the container", buf);
		}
		if (last)
			return 0;
		*p = '/';
	}
}

/* Mount onto a destination resolved inside the root (through its fd). */
static int mount_at(int rootfd, const char *dest, const char *src, const char *type, unsigned long flags,
		    const char *data)
{
	char proc[64];
	_cleanup_close_ int fd = open_in_root(rootfd, dest, O_PATH);

	if (fd < 0)
		return err_errno(fd, "mount destination %s", dest);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (mount(src, proc, type, flags, data) < 0)
		return err_errno(-errno, "cannot mount %s on %s", src ? src : type, dest);
	return 0;
}

static int mount_cgroup(int rootfd, const struct oci_mount *m, const struct cgroup *cg)
{
	static const char *const ctrls[] = { "memory",	"cpu",	   "cpuacct", "cpuset",	 "pids",
					     "freezer", "devices", "blkio",   "systemd", "unified" };
	unsigned long ro = m->flags & MS_RDONLY;
	int r;

	if (cg_detect() == CG_V2)
		return mount_at(rootfd, m->destination, "cgroup2", "cgroup2", m->flags, NULL);
	/* v1: a tmpfs with the container's own cgroup of each controller */
	if ((r = mount_at(rootfd, m->destination, "tmpfs", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755")) < 0)
		return r;
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char src[PATH_MAX], dst[700];
		if (cg_dir(cg, ctrls[i], src, sizeof(src)) < 0 || access(src, F_OK) < 0)
			continue;
		snprintf(dst, sizeof(dst), "%s/%s", m->destination, ctrls[i]);
		if ((r = mkpath_in_root(rootfd, dst, false)) < 0 ||
		    (r = mount_at(rootfd, dst, src, NULL, MS_BIND, NULL)) < 0)
			return r;
		if (ro && (r = mount_at(rootfd, dst, NULL, NULL,
					MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) < 0)
			return r;
	}
	if (ro)
		return mount_at(rootfd, m->destination, NULL, NULL,
				MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755");
	return 0;
}

/* linux.mountLabel: SELinux's context= option on the file systems runc
 * labels (not proc, sysfs, mqueue, cgroups or bind mounts). */
static int mount_data(const struct oci_mount *m, const char *label, char *buf, size_t n)
{
	static const char *const unlabelled[] = { "proc", "sysfs", "mqueue", "cgroup", "cgroup2" };
	int k;

	for (size_t i = 0; label && i < sizeof(unlabelled) / sizeof(unlabelled[0]); i++)
		if (!strcmp(m->type, unlabelled[i]))
			label = NULL;
	if (label)
		k = snprintf(buf, n, "%s%scontext=\"%s\"", m->data, m->data[0] ? "," : "", label);
	else
		k = snprintf(buf, n, "%s", m->data);
	if (k < 0 || (size_t)k >= n)
		return err_set(-ENAMETOOLONG, "the options of mount %s are too long with linux.mountLabel",
			       m->destination);
	return 0;
}

static int do_mount(int rootfd, const struct oci_mount *m, const struct cgroup *cg, const char *label)
{
	char data[1024];
	bool file = false;
	int r;

	if (m->bind) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			return err_errno(-errno, "mount source %s", m->source);
		file = !S_ISDIR(st.st_mode);
	}
	if ((r = mkpath_in_root(rootfd, m->destination, file)) < 0)
		return r;
	if (!strcmp(m->type, "cgroup"))
		return mount_cgroup(rootfd, m, cg);
	if (m->bind) {
		if ((r = mount_at(rootfd, m->destination, m->source, NULL, MS_BIND | (m->flags & MS_REC), NULL)) < 0)
			return r;
		/* bind mounts take their other flags only through a remount */
		unsigned long rest = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
		if (rest && (r = mount_at(rootfd, m->destination, NULL, NULL, MS_BIND | MS_REMOUNT | rest, NULL)) < 0)
			return r;
	} else {
		/* tmpcopyup: the directory's contents, read through an fd
		 * opened before the tmpfs hides them */
		_cleanup_close_ int under = -1, over = -1;
		bool copyup = m->tmpcopyup && !strcmp(m->type, "tmpfs");
		if ((r = mount_data(m, label, data, sizeof(data))) < 0)
			return r;
		if (copyup && (under = open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY)) < 0)
			return err_errno(under, "tmpcopyup: cannot open %s", m->destination);
		if ((r = mount_at(rootfd, m->destination, m->source ? m->source : m->type, m->type,
				  m->flags & ~(MS_REMOUNT | (copyup ? MS_RDONLY : 0)), data[0] ? data : NULL)) < 0)
			return r;
		if (copyup) {
			if ((over = open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY)) < 0)
				return err_errno(over, "tmpcopyup: cannot open %s", m->destination);
			if ((r = fs_copy_tree(under, over)) < 0)
				return err_prefix(r, "tmpcopyup into %s", m->destination);
		}
		if (copyup && (m->flags & MS_RDONLY) &&
		    (r = mount_at(rootfd, m->destination, NULL, NULL, MS_REMOUNT | (m->flags & ~MS_REMOUNT),
				  data[0] ? data : NULL)) < 0)
			return r;
	}
	if (m->propagation)
		return mount_at(rootfd, m->destination, NULL, NULL, m->propagation, NULL);
	return 0;
}

/* A device node, or (in a user namespace, where mknod is denied) a bind
 * mount of the host's. */
static int make_device(int rootfd, const char *path, char type, unsigned maj, unsigned min, mode_t mode, uid_t uid,
		       gid_t gid, bool userns)
{
	_cleanup_close_ int dir = -1;
	char parent[4096];
	const char *base;
	int r;

	if (type == 'u')
		type = 'c';
	if (userns) {
		if ((r = mkpath_in_root(rootfd, path, true)) < 0)
			return r;
		return mount_at(rootfd, path, path, NULL, MS_BIND, NULL);
	}
	snprintf(parent, sizeof(parent), "%s", path);
	*strrchr(parent, '/') = '\0';
	if ((r = mkpath_in_root(rootfd, parent[0] ? parent : "/", false)) < 0)
		return r;
	if ((dir = open_in_root(rootfd, parent[0] ? parent : "/", O_PATH | O_DIRECTORY)) < 0)
		return err_errno(dir, "cannot open %s in the container", parent);
	base = strrchr(path, '/') + 1;
	unlinkat(dir, base, 0);
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	if (mknodat(dir, base, kind | (mode & 0777), makedev(maj, min)) < 0)
		return err_errno(-errno, "cannot create device %s", path);
	if (fchownat(dir, base, uid, gid, 0) < 0)
		return err_errno(-errno, "cannot chown device %s", path);
	/* the mode as given, not as the umask left it */
	if (fchmodat(dir, base, mode & 07777, 0) < 0)
		return err_errno(-errno, "cannot chmod device %s", path);
	return 0;
}

static int setup_dev(int rootfd, const struct oci_spec *s, bool userns)
{
	static const char *const links[][2] = { { "/proc/self/fd", "/dev/fd" },
						{ "/proc/self/fd/0", "/dev/stdin" },
						{ "/proc/self/fd/1", "/dev/stdout" },
						{ "/proc/self/fd/2", "/dev/stderr" },
						{ "pts/ptmx", "/dev/ptmx" } };
	int r;

	for (size_t i = 0; i < oci_n_std_devices; i++)
		if ((r = make_device(rootfd, oci_std_devices[i].path, 'c', oci_std_devices[i].maj,
				     oci_std_devices[i].min, 0666, 0, 0, userns)) < 0)
			return r;
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct oci_device *d = &s->devices[i];
		if ((r = make_device(rootfd, d->path, d->type, (unsigned)d->major, (unsigned)d->minor, d->mode, d->uid,
				     d->gid, userns)) < 0)
			return r;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		_cleanup_close_ int dev = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
		if (dev < 0)
			return err_errno(dev, "no /dev in the container");
		unlinkat(dev, links[i][1] + 5, 0);
		if (symlinkat(links[i][0], dev, links[i][1] + 5) < 0 && errno != EEXIST)
			return err_errno(-errno, "cannot link %s", links[i][1]);
	}
	return 0;
}

int rootfs_prepare(const struct oci_spec *s, const struct cgroup *cg, bool userns)
{
	_cleanup_close_ int rootfd = -1;
	int r;

	/* nothing the container mounts may propagate back to the host */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return err_errno(-errno, "cannot make / a slave mount");
	if (mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return err_errno(-errno, "cannot bind-mount the root file system %s", s->rootfs);
	if ((rootfd = open(s->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", s->rootfs);
	for (size_t i = 0; i < s->nmounts; i++)
		if ((r = do_mount(rootfd, &s->mounts[i], cg, s->mount_label)) < 0)
			return err_prefix(r, "mounts[%zu]", i);
	return setup_dev(rootfd, s, userns);
}

int rootfs_chroot(const struct oci_spec *s)
{
	if (chdir(s->rootfs) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return err_errno(-errno, "cannot change the root to %s", s->rootfs);
	return 0;
}

int rootfs_pivot(const struct oci_spec *s, bool no_pivot)
{
	if (chdir(s->rootfs) < 0)
		return err_errno(-errno, "cannot enter %s", s->rootfs);
	if (no_pivot) {
		if (mount(s->rootfs, "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0)
			return err_errno(-errno, "cannot move into %s", s->rootfs);
	} else {
		/* pivot onto itself, then detach the old root stacked beneath */
		if (syscall(SYS_pivot_root, ".", ".") < 0)
			return err_errno(-errno, "pivot_root into %s (try --no-pivot)", s->rootfs);
		if (umount2(".", MNT_DETACH) < 0)
			return err_errno(-errno, "cannot detach the old root");
	}
	if (chdir("/") < 0)
		return err_errno(-errno, "chdir /");
	if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
		return err_errno(-errno, "cannot set the root's propagation");
	return 0;
}

int rootfs_finish(const struct oci_spec *s)
{
	struct stat st;

	for (size_t i = 0; i < s->nmasked; i++) {
		const char *p = s->masked[i];
		if (stat(p, &st) < 0)
			continue;
		/* a directory becomes an empty read-only tmpfs, a file /dev/null */
		if (S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0") < 0
					: mount("/dev/null", p, NULL, MS_BIND, NULL) < 0)
			return err_errno(-errno, "cannot mask %s", p);
	}
	for (size_t i = 0; i < s->nreadonly; i++) {
		const char *p = s->readonly_paths[i];
		if (stat(p, &st) < 0)
			continue;
		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
		    mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  NULL) < 0)
			return err_errno(-errno, "cannot make %s read-only", p);
	}
	if (s->readonly && mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return err_errno(-errno, "cannot make the root file system read-only");
	return 0;
}
