/* SPDX-License-Identifier: MIT */
#include "manager/virtiofs.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/sock.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define VIRTIOFSD_DEFAULT "/usr/lib/qemu/virtiofsd"
#define PLAN_FILE	  "virtiofs.json"

/* In the child, before exec (system calls only): a mount namespace of its
 * own where the source is a read-only bind mount, submounts included.
 * virtiofsd's own sandbox bind-mounts the source again, and a bind mount
 * keeps the read-only flag of the mount it copies. */
static int readonly_namespace(void *arg)
{
	const char *src = arg;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_RDONLY };

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 ||
	    mount(src, src, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    mount_setattr(AT_FDCWD, src, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return -errno;
	return 0;
}

/* virtiofsd's -o takes a comma-separated list: escape ',' and '\'. */
static char *source_option(const char *src)
{
	size_t n = strlen("source=") + 1;
	char *out, *p;

	for (const char *c = src; *c; c++)
		n += *c == ',' || *c == '\\' ? 2 : 1;
	if (!(out = malloc(n)))
		return NULL;
	p = stpcpy(out, "source=");
	for (const char *c = src; *c; c++) {
		if (*c == ',' || *c == '\\')
			*p++ = '\\';
		*p++ = *c;
	}
	*p = '\0';
	return out;
}

/* One virtiofsd on a fresh listening socket, and QEMU's connected end. */
static int start_one(const struct share *s, unsigned i, int dirfd, int logfd, const char *exe, pid_t *pid, int *qemu_fd)
{
	_cleanup_close_ int lfd = -1, cfd = -1, devnull = -1;
	_cleanup_free_ char *srcopt = source_option(s->source);
	char name[32], fdopt[16];
	int r;

	snprintf(name, sizeof(name), "fs%u.sock", i);
	if (!srcopt)
		return err_set(-ENOMEM, "out of memory");
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0)
		return err_errno(-errno, "/dev/null");
	if ((r = sock_listen_at(dirfd, name, false, &lfd)) < 0)
		return err_prefix(r, "virtiofsd");
	snprintf(fdopt, sizeof(fdopt), "--fd=%d", 3);
	{
		char *argv[] = {
			(char *)exe,	      fdopt, "-o", srcopt, "-o", "cache=auto", "-o", "sandbox=namespace", "-o",
			"announce_submounts", NULL
		};
		struct spawn_fd map[] = { { devnull, 0 },
					  { logfd >= 0 ? logfd : devnull, 1 },
					  { logfd >= 0 ? logfd : devnull, 2 },
					  { lfd, 3 } };
		struct spawn_opts o = { .new_pgrp = true,
					.pdeathsig = SIGKILL,
					.pre_exec = s->readonly ? readonly_namespace : NULL,
					.pre_exec_arg = s->source,
					.pre_exec_what = "cannot make a read-only view of the shared folder" };
		r = proc_spawn_opts(argv, map, sizeof(map) / sizeof(map[0]), &o, pid);
	}
	if (r < 0) {
		unlinkat(dirfd, name, 0);
		return err_prefix(r, "shared folder '%s'", s->tag);
	}
	/* the connection waits in the backlog until virtiofsd accepts it */
	r = sock_connect_at(dirfd, name, &cfd);
	if (r < 0)
		err_prefix(r, "virtiofsd");
	unlinkat(dirfd, name, 0);
	if (r < 0) {
		kill(-*pid, SIGKILL);
		waitpid(*pid, NULL, 0);
		return r;
	}
	*qemu_fd = TAKE_FD(cfd);
	return 0;
}

/* A private folder for the sockets of a VM that has none (hv run). */
static int private_dir(char **path, int *fd)
{
	const char *tmp = getenv("TMPDIR");

	if (asprintf(path, "%s/hv-fs.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
		return *path = NULL, err_set(-ENOMEM, "out of memory");
	if (!mkdtemp(*path))
		return err_errno(-errno, "cannot create a folder for virtiofsd's sockets");
	if ((*fd = open(*path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = -errno;
		rmdir(*path);
		return err_errno(e, "cannot open %s", *path);
	}
	return 0;
}

int virtiofs_start(const struct share_set *set, int dirfd, int logfd, struct virtiofs *out)
{
	_cleanup_free_ char *exe = NULL, *tmp = NULL;
	_cleanup_close_ int tmpfd = -1;
	const char *env = getenv("HV_VIRTIOFSD");
	int r = 0;

	memset(out, 0, sizeof(*out));
	if (!set->n)
		return 0;
	if ((r = share_set_check(set)) < 0)
		return r;
	if (proc_find_exe(env && *env ? env : VIRTIOFSD_DEFAULT, &exe) < 0)
		return err_set(-ENOENT, "%s not found; install it with: apt-get install qemu-system-common",
			       env && *env ? env : VIRTIOFSD_DEFAULT);
	if (dirfd < 0) {
		if ((r = private_dir(&tmp, &tmpfd)) < 0)
			return r;
		dirfd = tmpfd;
	}
	for (unsigned i = 0; i < set->n && r == 0; i++) {
		r = start_one(&set->v[i], i, dirfd, logfd, exe, &out->pid[i], &out->qemu_fd[i]);
		if (r == 0)
			out->n++;
	}
	if (tmp)
		rmdir(tmp);
	if (r < 0) {
		struct err_saved e;
		err_save(&e);
		virtiofs_stop(out);
		err_restore(&e);
	}
	return r;
}

void virtiofs_close_qemu_ends(struct virtiofs *v)
{
	for (unsigned i = 0; i < v->n; i++)
		if (v->qemu_fd[i] >= 0) {
			close(v->qemu_fd[i]);
			v->qemu_fd[i] = -1;
		}
}

void virtiofs_stop(struct virtiofs *v)
{
	virtiofs_close_qemu_ends(v);
	/* each virtiofsd leads its process group, with its sandboxed child */
	for (unsigned i = 0; i < v->n; i++)
		kill(-v->pid[i], SIGTERM);
	for (unsigned i = 0; i < v->n; i++) {
		int left = 1000;
		while (waitpid(v->pid[i], NULL, WNOHANG) == 0 && left > 0) {
			proc_sleep_ms(10);
			left -= 10;
		}
		if (left <= 0) {
			kill(-v->pid[i], SIGKILL);
			waitpid(v->pid[i], NULL, 0);
		}
	}
	v->n = 0;
}

int virtiofs_save_plan(int dirfd, const struct share_set *set)
{
	_cleanup_json_ struct json_object *o = NULL;

	if (!set->n) {
		if (unlinkat(dirfd, PLAN_FILE, 0) < 0 && errno != ENOENT)
			return err_errno(-errno, "cannot remove %s", PLAN_FILE);
		return 0;
	}
	if (!(o = json_object_new_object()))
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(o, "shares", share_set_json(set));
	return json_write_atomic(dirfd, PLAN_FILE, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

struct plan_json {
	struct json_object *shares;
};

static const struct json_field plan_fields[] = {
	JSON_FIELD("shares", JSON_ARRAY, JSON_REQUIRED, struct plan_json, shares),
	JSON_FIELD_END,
};

int virtiofs_load_plan(int dirfd, struct share_set *set)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *text = NULL;
	struct plan_json j = { 0 };
	size_t len;
	int r;

	memset(set, 0, sizeof(*set));
	r = fs_read_all(dirfd, PLAN_FILE, 1 << 20, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return err_errno(r, "cannot read %s", PLAN_FILE);
	if ((r = json_parse_object(text, len, PLAN_FILE, &root)) < 0 ||
	    (r = json_dispatch(root, plan_fields, &j, PLAN_FILE, 0)) < 0 ||
	    (r = share_set_from_json(j.shares, PLAN_FILE ": shares", set)) < 0) {
		share_set_free(set);
		return r;
	}
	return 0;
}
