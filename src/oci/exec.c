/* SPDX-License-Identifier: MIT */
/*
 * hv-runc exec: a new process in a running container.  A helper process
 * joins the container's cgroup and namespaces (the user namespace first,
 * the mount namespace last); since a pid namespace applies to children
 * only, the helper forks the process itself, which becomes the
 * configured user and executes.  Errors come back over a socket before
 * the exec; the socket closing (close-on-exec) says the exec happened.
 */
#include "oci/container.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "oci/lsm.h"
#include "oci/seccomp.h"
#include "oci/spec.h"
#include "oci/state.h"
#include "oci/sync.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define NS_COUNT 7
static const struct {
	const char *name;
	int type;
} ns_order[NS_COUNT] = { { "user", CLONE_NEWUSER }, { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS },
			 { "net", CLONE_NEWNET },   { "pid", CLONE_NEWPID }, { "cgroup", CLONE_NEWCGROUP },
			 { "mnt", CLONE_NEWNS } };

/* Open the init's namespaces that differ from ours. */
static int open_namespaces(pid_t pid, int fds[NS_COUNT])
{
	for (int i = 0; i < NS_COUNT; i++) {
		char theirs[64], ours[64];
		struct stat a, b;
		fds[i] = -1;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, ns_order[i].name);
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", ns_order[i].name);
		if (stat(theirs, &a) < 0)
			return err_errno(-errno, "cannot see the container's namespaces");
		if (stat(ours, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		if ((fds[i] = open(theirs, O_RDONLY | O_CLOEXEC)) < 0)
			return err_errno(-errno, "cannot open %s", theirs);
	}
	return 0;
}

/* The init's root, for a container that shares our mount namespace. */
static int open_root(pid_t pid)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	if ((fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", path);
	return fd;
}

static int parse_user(const char *u, struct oci_process *p)
{
	char *end;
	unsigned long uid = strtoul(u, &end, 10), gid = 0;

	if (end == u || (*end && *end != ':'))
		return err_set(-EINVAL, "--user '%s': use UID[:GID] (numbers)", u);
	if (*end == ':') {
		const char *g = end + 1;
		gid = strtoul(g, &end, 10);
		if (end == g || *end)
			return err_set(-EINVAL, "--user '%s': use UID[:GID] (numbers)", u);
	}
	p->uid = (uid_t)uid;
	p->gid = (gid_t)gid;
	return 0;
}

/* The process to run: --process FILE, or the container's with new args. */
static int exec_process(const struct ctr_exec_opts *o, const struct oci_spec *s, struct oci_process *p,
			struct json_object **json, char ***env_owned)
{
	int r;

	*json = NULL;
	*env_owned = NULL;
	if (o->process_file) {
		char where[256];
		snprintf(where, sizeof(where), "--process %s", o->process_file);
		if ((r = json_read_object(AT_FDCWD, o->process_file, 1 << 20, json)) < 0)
			return err_prefix(r, "--process %s is not a JSON object", o->process_file);
		return oci_process_parse(*json, p, where);
	}
	if (!o->args || !o->args[0])
		return err_set(-EINVAL, "exec needs a command (or --process FILE)");
	*p = s->process;
	p->args = o->args;
	p->terminal = o->tty;
	if (o->cwd)
		p->cwd = o->cwd;
	if (o->user && (r = parse_user(o->user, p)) < 0)
		return r;
	if (o->env && o->env[0]) {
		size_t n = 0, k = 0;
		for (char **e = s->process.env; e && *e; e++)
			n++;
		for (char **e = o->env; *e; e++)
			n++;
		char **v = calloc(n + 1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		for (char **e = s->process.env; e && *e; e++)
			v[k++] = *e;
		for (char **e = o->env; *e; e++)
			v[k++] = *e;
		p->env = *env_owned = v;
	}
	return 0;
}

static void exec_child(const struct oci_process *p, struct oci_seccomp *sc, int sync, int nsfds[NS_COUNT], int rootfd,
		       struct cgroup *cg, bool detach, int preserve_fds)
{
	struct lsm_exec lsm = LSM_EXEC_INIT;
	char prog[4096];
	pid_t pid;
	int status;

	if (cg_add_self(cg, false) < 0)
		goto fail;
	for (int i = 0; i < NS_COUNT; i++)
		if (nsfds[i] >= 0 && setns(nsfds[i], ns_order[i].type) < 0) {
			err_errno(-errno, "cannot join the container's %s namespace", ns_order[i].name);
			goto fail;
		}
	/* a container in our mount namespace is chrooted (init.c) */
	if (rootfd >= 0 && (fchdir(rootfd) < 0 || chroot(".") < 0)) {
		err_errno(-errno, "cannot enter the container's root");
		goto fail;
	}
	if ((pid = fork()) < 0) {
		err_errno(-errno, "fork");
		goto fail;
	}
	if (pid == 0) {
		if (p->terminal) {
			if (oci_setup_terminal(p, sync) < 0)
				goto fail;
		} else {
			setsid();
		}
		proc_cloexec_fds_from(3 + preserve_fds); /* before seccomp */
		if (lsm_exec_prepare(p, &lsm) < 0 || oci_process_enter(p, &sc) < 0 ||
		    oci_find_program(p, prog, sizeof(prog)) < 0)
			goto fail;
		if (lsm_exec_apply(&lsm) < 0) {
			err_errno(-errno, "cannot set the process's security label");
			goto fail;
		}
		if (sc && oci_seccomp_load(sc) < 0)
			goto fail;
		execve(prog, p->args, p->env ? p->env : (char *[]){ NULL });
		err_errno(-errno, "exec %s", prog);
		goto fail;
	}
	char text[32];
	snprintf(text, sizeof(text), "%d", (int)pid);
	sync_send(sync, SYNC_PID, text, -1);
	close(sync);
	if (detach)
		_exit(0);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(1);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
fail:
	sync_send(sync, SYNC_ERROR, err_msg(), -1);
	_exit(127);
}

/* What the exec helper sends until its socket @sock closes: the terminal
 * (passed on to --console-socket), the process's pid, or an error. */
static int exec_collect(int sock, const struct ctr_exec_opts *o, pid_t *proc)
{
	char msg[1024];
	bool failed = false;
	int k, fd;

	while ((k = sync_recv(sock, msg, sizeof(msg), &fd)) > 0) {
		if (k == SYNC_PTY) {
			if (console_socket_send(o->console_socket, fd) < 0)
				failed = true;
			close(fd);
		} else if (k == SYNC_PID) {
			*proc = atoi(msg);
		} else if (k == SYNC_ERROR) {
			err_set(-EIO, "%s", msg);
			failed = true;
		}
	}
	return failed ? -EIO : 0;
}

int ctr_exec(const struct ctr_exec_opts *o)
{
	struct ctr_state st;
	struct oci_spec *s = NULL;
	struct oci_process p;
	struct oci_seccomp *sc = NULL;
	struct json_object *pjson = NULL;
	struct cgroup cg;
	char **env_owned = NULL;
	int nsfds[NS_COUNT], sp[2] = { -1, -1 }, r, status;
	_cleanup_close_ int rootfd = -1;
	pid_t helper = -1, proc = 0;

	for (int i = 0; i < NS_COUNT; i++)
		nsfds[i] = -1;
	if ((r = ctr_state_load(o->root, o->id, &st)) < 0)
		return r;
	if (ctr_status(o->root, &st) != CTR_RUNNING)
		return err_set(-EINVAL, "container %s is %s: exec needs a running container", o->id,
			       ctr_status_name(ctr_status(o->root, &st)));
	if ((r = oci_spec_load(st.bundle, &s)) < 0)
		return r;
	memset(&p, 0, sizeof(p));
	if ((r = exec_process(o, s, &p, &pjson, &env_owned)) < 0 || (r = oci_seccomp_build(s->seccomp, &sc)) < 0 ||
	    (r = lsm_check(&p, NULL, "process")) < 0 || (r = cg_open(&cg, st.cgroup, st.cgroup_parents)) < 0 ||
	    (r = open_namespaces(st.pid, nsfds)) < 0)
		goto out;
	if (nsfds[NS_COUNT - 1] < 0 && (rootfd = open_root(st.pid)) < 0) {
		r = rootfd;
		goto out;
	}
	if (p.terminal && !o->console_socket) {
		r = err_set(-EINVAL, "--tty needs --console-socket");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = err_errno(-errno, "socketpair");
		goto out;
	}
	if ((helper = fork()) < 0) {
		r = err_errno(-errno, "fork");
		goto out;
	}
	if (helper == 0) {
		close(sp[0]);
		exec_child(&p, sc, sp[1], nsfds, rootfd, &cg, o->detach, o->preserve_fds > 0 ? o->preserve_fds : 0);
	}
	close(sp[1]);
	sp[1] = -1;
	if ((r = exec_collect(sp[0], o, &proc)) < 0) {
		waitpid(helper, NULL, 0);
		goto out;
	}
	if (o->pid_file && proc > 0 && (r = ctr_write_pid_file(o->pid_file, proc)) < 0)
		goto out;
	while (waitpid(helper, &status, 0) < 0 && errno == EINTR)
		;
	r = o->detach ? 0 : (WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
out:
	for (int i = 0; i < NS_COUNT; i++)
		if (nsfds[i] >= 0)
			close(nsfds[i]);
	for (int i = 0; i < 2; i++)
		if (sp[i] >= 0)
			close(sp[i]);
	if (pjson)
		oci_process_free(&p);
	json_object_put(pjson);
	free(env_owned);
	oci_seccomp_free(sc);
	oci_spec_free(s);
	return r;
}
