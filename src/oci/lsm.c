/* SPDX-License-Identifier: MIT */
/* AppArmor profiles and SELinux labels for container processes (lsm.h). */
#include "oci/lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "oci/spec.h"
#include "util/err.h"

#define SELINUXFS_MAGIC 0xf97cff8cL

/* runc's test (libcontainer/apparmor): securityfs shows AppArmor and the
 * module says it is enabled. */
bool lsm_apparmor_enabled(void)
{
	char c = 0;
	int fd;

	if (access("/sys/kernel/security/apparmor", F_OK) < 0)
		return false;
	if ((fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if (read(fd, &c, 1) != 1)
		c = 0;
	close(fd);
	return c == 'Y';
}

/* go-selinux's test, in short: selinuxfs is mounted at /sys/fs/selinux. */
bool lsm_selinux_enabled(void)
{
	struct statfs st;

	return statfs("/sys/fs/selinux", &st) == 0 && st.f_type == SELINUXFS_MAGIC;
}

int lsm_check(const struct oci_process *p, const char *mount_label, const char *where)
{
	if (p->apparmor_profile && *p->apparmor_profile && !lsm_apparmor_enabled())
		return err_set(-ENOTSUP,
			       "%s.apparmorProfile '%s' needs AppArmor, which this host does not have enabled "
			       "(/sys/module/apparmor/parameters/enabled)",
			       where, p->apparmor_profile);
	if (p->selinux_label && *p->selinux_label && !lsm_selinux_enabled())
		return err_set(-ENOTSUP,
			       "%s.selinuxLabel '%s' needs SELinux, which this host does not have enabled (no "
			       "selinuxfs at /sys/fs/selinux)",
			       where, p->selinux_label);
	if (mount_label && *mount_label && !lsm_selinux_enabled())
		return err_set(-ENOTSUP,
			       "config.json: linux.mountLabel '%s' needs SELinux, which this host does not have "
			       "enabled (no selinuxfs at /sys/fs/selinux)",
			       mount_label);
	return 0;
}

static int open_attr(const char *lsm, int *fd)
{
	char path[64];

	/* Linux 5.1+ gives each module its own directory; the shared
	 * file is the old convention (and SELinux's) */
	if (lsm) {
		snprintf(path, sizeof(path), "/proc/thread-self/attr/%s/exec", lsm);
		if ((*fd = open(path, O_WRONLY | O_CLOEXEC)) >= 0)
			return 0;
	}
	if ((*fd = open("/proc/thread-self/attr/exec", O_WRONLY | O_CLOEXEC)) >= 0)
		return 0;
	return err_errno(-errno, "cannot open /proc/thread-self/attr/exec for the %s label (is /proc mounted?)",
			 lsm ? lsm : "selinux");
}

int lsm_exec_prepare(const struct oci_process *p, struct lsm_exec *l)
{
	int r;

	if (p->apparmor_profile && *p->apparmor_profile) {
		if ((r = open_attr("apparmor", &l->apparmor_fd)) < 0)
			return r;
		l->profile = p->apparmor_profile;
	}
	if (p->selinux_label && *p->selinux_label) {
		if ((r = open_attr(NULL, &l->selinux_fd)) < 0)
			return r;
		l->label = p->selinux_label;
	}
	return 0;
}

static int write_attr(int *fd, const char *prefix, const char *value)
{
	char buf[4096];
	size_t a = strlen(prefix), b = strlen(value);
	ssize_t n;

	if (a + b >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, prefix, a);
	memcpy(buf + a, value, b);
	n = write(*fd, buf, a + b);
	close(*fd);
	*fd = -1;
	return n == (ssize_t)(a + b) ? 0 : -errno;
}

int lsm_exec_apply(struct lsm_exec *l)
{
	int r;

	/* AppArmor's change_onexec syntax; SELinux takes the bare context */
	if (l->apparmor_fd >= 0 && (r = write_attr(&l->apparmor_fd, "exec ", l->profile)) < 0)
		return r;
	if (l->selinux_fd >= 0 && (r = write_attr(&l->selinux_fd, "", l->label)) < 0)
		return r;
	return 0;
}
