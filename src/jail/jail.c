/* SPDX-License-Identifier: MIT */
/* The unprivileged identity and private mount namespace QEMU runs in. */
#include "jail/jail.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"

uid_t jail_uid(pid_t qemu_pid)
{
	return (uid_t)(JAIL_UID_BASE + (unsigned)qemu_pid);
}

static int add_mask(struct qemu_jail *j, const char *path)
{
	if (j->nmasks >= JAIL_MAX_MASKS)
		return err_set(-E2BIG, "too many folders to hide from QEMU");
	if (snprintf(j->masks[j->nmasks], JAIL_PATH_MAX, "%s", path) >= JAIL_PATH_MAX)
		return err_set(-ENAMETOOLONG, "%s: path too long to hide from QEMU", path);
	j->nmasks++;
	return 0;
}

/* A folder that holds the program to run stays visible ($HV_QEMU may
 * name a QEMU anywhere). */
static bool holds(const char *dir, const char *exe)
{
	size_t n = strlen(dir);

	return exe && !strncmp(exe, dir, n) && exe[n] == '/';
}

int qemu_jail_prepare(struct qemu_jail *j, const char *home, const char *exe)
{
	/* where a QEMU could read other users' files or leave files behind */
	static const char *const hidden[] = { "/home", "/root", "/tmp", "/var/tmp", "/dev/shm",
					      "/run",  "/srv",	"/mnt", "/media" };
	struct stat st;
	int r;

	memset(j, 0, sizeof(*j));
	if (stat("/dev/kvm", &st) == 0) {
		j->kvm = true;
		j->kvm_gid = st.st_gid;
	}
	for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
		if (!holds(hidden[i], exe) && (r = add_mask(j, hidden[i])) < 0)
			return r;
	return home && !holds(home, exe) ? add_mask(j, home) : 0;
}

/* In the child, still root: a private mount namespace where the host is
 * read-only and nosuid, and the masks are empty read-only tmpfs. */
static int jail_mounts(const struct qemu_jail *j)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID };

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	for (size_t i = 0; i < j->nmasks; i++)
		if (mount("tmpfs", j->masks[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=4k,mode=0555") < 0 &&
		    errno != ENOENT && errno != ENOTDIR)
			return -errno;
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)) < 0)
		return -errno;
	return 0;
}

/* The pre-exec hook: system calls only (async-signal-safe). */
static int jail_enter(void *arg)
{
	const struct qemu_jail *j = arg;
	uid_t id = jail_uid(getpid());
	int r;

	if ((r = jail_mounts(j)) < 0)
		return r;
	/* nothing QEMU executes could hold a capability again */
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	if (chdir("/") < 0 || setgroups(j->kvm ? 1 : 0, &j->kvm_gid) < 0 || setresgid(id, id, id) < 0 ||
	    setresuid(id, id, id) < 0)
		return -errno;
	/* from root to a uid: the kernel has cleared every capability set
	 * but the bounding one; no exec can give any back */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

void qemu_jail_spawn_opts(struct qemu_jail *j, struct spawn_opts *o)
{
	o->cwd = NULL;
	o->pre_exec = jail_enter;
	o->pre_exec_arg = j;
	o->pre_exec_what = "cannot confine QEMU (unprivileged uid, private mount namespace)";
}
