/* SPDX-License-Identifier: MIT */
/*
 * The container's first process, from clone() to execve(): it waits for
 * the runtime to map its ids and place it in its cgroup, joins the
 * namespaces given by path, builds its file system view, pivots into it,
 * becomes the configured user with the configured capabilities, reports
 * "ready", and waits on exec.fifo until `start` (runtime.md: create
 * prepares, start runs the program).  Any error goes back to the runtime
 * as text over the sync socket, so `create` fails with the reason.
 */
#include "oci/container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "oci/caps.h"
#include "oci/cgroups.h"
#include "oci/hooks.h"
#include "oci/lsm.h"
#include "oci/mounts.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "oci/sync.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

static const char *env_get(char **env, const char *name)
{
	size_t n = strlen(name);

	for (; env && *env; env++)
		if (!strncmp(*env, name, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

int oci_find_program(const struct oci_process *p, char *out, size_t n)
{
	const char *prog = p->args[0], *path;

	if (strchr(prog, '/')) {
		if (access(prog, X_OK) < 0)
			return err_errno(-errno, "exec: %s", prog);
		snprintf(out, n, "%s", prog);
		return 0;
	}
	path = env_get(p->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		snprintf(out, n, "%.*s/%s", (int)len, path, prog);
		struct stat st;
		if (len && stat(out, &st) == 0 && S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		path += len + (path[len] == ':');
	}
	return err_set(-ENOENT, "exec: \"%s\": executable file not found in $PATH", prog);
}

int oci_setup_terminal(const struct oci_process *p, int sync)
{
	int master, slave;
	char name[64];

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return err_errno(-errno, "cannot open /dev/ptmx in the container");
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, name, sizeof(name)) != 0) {
		close(master);
		return err_errno(-errno, "cannot set up the terminal");
	}
	if ((slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
		close(master);
		return err_errno(-errno, "cannot open %s", name);
	}
	if (p->rows && p->cols) {
		struct winsize ws = { .ws_row = p->rows, .ws_col = p->cols };
		ioctl(slave, TIOCSWINSZ, &ws);
	}
	if (sync_send(sync, SYNC_PTY, name, master) < 0) {
		close(master);
		close(slave);
		return err_set(-EIO, "cannot hand the terminal to the runtime");
	}
	close(master);
	if (setsid() < 0 || ioctl(slave, TIOCSCTTY, 0) < 0)
		return err_errno(-errno, "cannot make %s the controlling terminal", name);
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return err_errno(-errno, "dup2");
	if (slave > 2)
		close(slave);
	return 0;
}

int oci_process_enter(const struct oci_process *p, struct oci_seccomp **sc)
{
	int r;

	for (size_t i = 0; i < p->nrlimits; i++) {
		struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
		struct rlimit now;
		if (setrlimit(p->rlimits[i].resource, &rl) == 0)
			continue;
		if (errno == EPERM && getrlimit(p->rlimits[i].resource, &now) == 0 && rl.rlim_max > now.rlim_max)
			return err_set(-EPERM,
				       "process.rlimits: %s hard limit %llu is above this host's %llu and raising it "
				       "needs CAP_SYS_RESOURCE (lower it; podman: --ulimit TYPE=SOFT:HARD)",
				       p->rlimits[i].name, (unsigned long long)rl.rlim_max,
				       (unsigned long long)now.rlim_max);
		return err_errno(-errno, "process.rlimits: cannot set %s", p->rlimits[i].name);
	}
	if (p->has_oom_score_adj) {
		char v[16];
		snprintf(v, sizeof(v), "%d", p->oom_score_adj);
		int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			(void)!write(fd, v, strlen(v));
			close(fd);
		}
	}
	if (*sc && !p->no_new_privileges) {
		if ((r = oci_seccomp_load(*sc)) < 0)
			return r;
		*sc = NULL;
	}
	if (p->caps.given && (r = caps_prepare(&p->caps)) < 0)
		return r;
	if (setgroups(p->ngroups, p->groups) < 0 && errno != EPERM)
		return err_errno(-errno, "setgroups");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return err_errno(-errno, "setgid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return err_errno(-errno, "setuid %u", p->uid);
	if (p->caps.given && (r = caps_apply(&p->caps)) < 0)
		return r;
	if (p->has_umask)
		umask(p->umask);
	if (chdir(p->cwd) < 0)
		return err_errno(-errno, "cannot enter the working directory %s", p->cwd);
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_errno(-errno, "no_new_privs");
	return 0;
}

static int join_namespaces(const struct oci_spec *s)
{
	/* the user namespace first: the others are owned by it */
	static const int order[] = { CLONE_NEWUSER, CLONE_NEWIPC,    CLONE_NEWUTS,
				     CLONE_NEWNET,  CLONE_NEWCGROUP, CLONE_NEWNS };

	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (size_t i = 0; i < s->nns; i++) {
			if (s->ns[i].type != order[k] || !s->ns[i].path)
				continue;
			int fd = open(s->ns[i].path, O_RDONLY | O_CLOEXEC);
			if (fd < 0 || setns(fd, s->ns[i].type) < 0) {
				int e = errno;
				if (fd >= 0)
					close(fd);
				return err_errno(-e, "cannot join the namespace %s", s->ns[i].path);
			}
			close(fd);
		}
	return 0;
}

static int apply_sysctl(const struct oci_spec *s)
{
	if (!s->sysctl)
		return 0;
	json_object_object_foreach(s->sysctl, key, val)
	{
		char path[512];
		const char *v = json_object_get_string(val);
		int fd;
		if (strstr(key, "..") || strchr(key, '/'))
			return err_set(-EINVAL, "config.json: linux.sysctl: bad key '%s'", key);
		snprintf(path, sizeof(path), "/proc/sys/%s", key);
		for (char *c = path + 10; *c; c++)
			if (*c == '.')
				*c = '/';
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) < 0 || write(fd, v, strlen(v)) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd);
			return err_errno(-e, "cannot set sysctl %s", key);
		}
		close(fd);
	}
	return 0;
}

/* *hook_state is malloc'ed: the state JSON the hooks read (any size). */
static int init_setup(struct init_args *a, char **hook_state, char *prog, size_t pn)
{
	const struct oci_spec *s = a->s;
	const struct oci_process *p = &s->process;
	int r, fd;

	if (a->new_userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		return err_errno(-errno, "cannot become root in the user namespace");
	if ((r = join_namespaces(s)) < 0)
		return r;
	if (a->new_cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		return err_errno(-errno, "cannot create the cgroup namespace");
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		return err_errno(-errno, "sethostname (does the container have a uts namespace?)");
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		return err_errno(-errno, "setdomainname");
	/* the hooks' state, read while host paths are still visible */
	if (fs_read_all(AT_FDCWD, a->hookfile, 64 << 20, hook_state, NULL) < 0 && !(*hook_state = strdup("{}")))
		return err_set(-ENOMEM, "out of memory");
	/* without a mount namespace: the host's mounts, chrooted (spec.c
	 * refused whatever would need mounts) */
	bool mntns = oci_spec_has_ns(s, CLONE_NEWNS, NULL);
	if (mntns && (r = rootfs_prepare(s, a->cg, a->new_userns)) < 0)
		return r;
	if ((r = hooks_run(s, HOOK_CREATE_CONTAINER, *hook_state)) < 0)
		return r;
	/* sysctls before /proc/sys turns read-only */
	if (mntns &&
	    ((r = rootfs_pivot(s, a->no_pivot)) < 0 || (r = apply_sysctl(s)) < 0 || (r = rootfs_finish(s)) < 0))
		return r;
	if (!mntns && ((r = apply_sysctl(s)) < 0 || (r = rootfs_chroot(s)) < 0))
		return r;
	if ((r = lsm_exec_prepare(p, &a->lsm)) < 0)
		return r;
	if (p->terminal) {
		if ((r = oci_setup_terminal(p, a->sync)) < 0)
			return r;
	} else if (setsid() < 0) {
		return err_errno(-errno, "setsid");
	}
	/* what the runtime had open stays out (--preserve-fds passes some);
	 * before seccomp, which might refuse close_range */
	proc_cloexec_fds_from(3 + a->preserve_fds);
	if ((r = oci_process_enter(p, &a->seccomp)) < 0)
		return r;
	if ((r = oci_find_program(p, prog, pn)) < 0)
		return r;
	(void)fd;
	return 0;
}

void container_init(struct init_args *a)
{
	char *hook_state = NULL, prog[4096], msg[1024], fifo[64];
	sigset_t none;
	int fd, k;

	close(a->lock);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* the runtime died before start: so do we */
	if (!a->new_userns) {
		if (cg_add_self(a->cg, a->in_unified) < 0) {
			sync_send(a->sync, SYNC_ERROR, err_msg(), -1);
			_exit(1);
		}
		sync_send(a->sync, SYNC_JOINED, NULL, -1);
	}
	k = sync_recv(a->sync, msg, sizeof(msg), &fd);
	if (k != SYNC_GO)
		_exit(1);
	if (init_setup(a, &hook_state, prog, sizeof(prog)) < 0) {
		sync_send(a->sync, SYNC_ERROR, err_msg(), -1);
		_exit(1);
	}
	/* `create` exits once we are ready: we must outlive it */
	prctl(PR_SET_PDEATHSIG, 0);
	sync_send(a->sync, SYNC_READY, NULL, -1);
	close(a->sync);
	/* wait for start: the open blocks until `start` opens the other end */
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", a->fifo);
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0", 1) != 1) {
		fprintf(stderr, "hv-runc: cannot report the start: %s\n", strerror(errno));
		_exit(1);
	}
	close(fd);
	close(a->fifo);
	if (hooks_run(a->s, HOOK_START_CONTAINER, hook_state) < 0) {
		fprintf(stderr, "hv-runc: %s\n", err_msg());
		_exit(1);
	}
	if (lsm_exec_apply(&a->lsm) < 0) {
		fprintf(stderr, "hv-runc: cannot set the process's security label: %s\n", strerror(errno));
		_exit(1);
	}
	if (a->seccomp && oci_seccomp_load(a->seccomp) < 0) {
		fprintf(stderr, "hv-runc: %s\n", err_msg());
		_exit(1);
	}
	execve(prog, a->s->process.args, a->s->process.env ? a->s->process.env : (char *[]){ NULL });
	fprintf(stderr, "hv-runc: exec %s: %s\n", prog, strerror(errno));
	_exit(127);
}
