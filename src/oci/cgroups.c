/* SPDX-License-Identifier: MIT */
/*
 * Control groups for containers (OCI runtime spec, config-linux.md
 * "Control groups" and "linux.resources"), on cgroup v1 and v2: applying
 * linux.resources, moving processes in, listing, killing and freezing
 * them, and removing the cgroup.  Where the cgroup lives (detection,
 * paths, creation) is cgroups-layout.c.
 *
 * linux.resources is validated whole and turned into a plan of file
 * writes (cgroups-resources.c) before anything is written, so a bad
 * config changes nothing; cg_apply executes the plan.
 */
#include "oci/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cgroups-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#define CG_WAIT_MS 5000 /* freezing, and rmdir while processes exit */

static int cg_file_dir(const struct cgroup *cg, const char *file, char *dir, size_t n)
{
	char controller[32];
	size_t len = strcspn(file, ".");

	if (len >= sizeof(controller))
		return err_set(-EINVAL, "bad cgroup file name %s", file);
	memcpy(controller, file, len);
	controller[len] = '\0';
	if (cg->version == CG_V1 && !cg_v1_mounted(controller))
		return err_set(-ENOENT, "the v1 %s controller is not mounted under %s", controller, cg_root_dir());
	return cg_dir(cg, controller, dir, n);
}

static int cg_apply_one(const struct cgroup *cg, const struct cg_write *w)
{
	char dir[PATH_MAX];
	int r;

	r = cg_file_dir(cg, w->file, dir, sizeof(dir));
	if (r == 0)
		r = cg_write_at(dir, w->file, w->value);
	if (r == -ENOENT && w->alt_file && cg_file_dir(cg, w->alt_file, dir, sizeof(dir)) == 0)
		r = cg_write_at(dir, w->alt_file, w->alt_value);
	if (r == -ENOENT && w->skip_if_missing)
		return 0;
	if (r == -ENOENT && w->missing_hint)
		return err_set(-ENOTSUP, "%s: %s", w->field, w->missing_hint);
	if (r < 0)
		return err_prefix(r, "%s", w->field);
	return 0;
}

static int cg_apply_devices(const struct cgroup *cg, const struct cg_plan *plan)
{
	char dir[PATH_MAX];
	int r;

	r = cg_dir(cg, NULL, dir, sizeof(dir));
	if (r < 0)
		return r;
	return cg_bpf_devices_apply(dir, plan->dev, plan->n_dev);
}

int cg_apply(struct cgroup *cg, struct json_object *resources)
{
	struct cg_plan plan;
	int r;

	r = cg_plan_resources(cg->version, resources, &plan);
	if (r < 0)
		return r;
	for (size_t i = 0; i < plan.n && r == 0; i++) {
		r = cg_apply_one(cg, &plan.w[i]);
		/* a limit above the current memory+swap limit goes in after it */
		if (r == -EINVAL && plan.w[i].swap_pair && i + 1 < plan.n) {
			r = cg_apply_one(cg, &plan.w[i + 1]);
			if (r == 0)
				r = cg_apply_one(cg, &plan.w[i]);
			i++;
		}
	}
	if (r == 0 && plan.n_dev > 0)
		r = cg_apply_devices(cg, &plan);
	cg_plan_free(&plan);
	return r;
}

/* Write value into the membership file of every hierarchy hv uses: v2's
 * cgroup.procs, or on v1 each controller's and extra hierarchy's.  self:
 * value is "0" and v1 hierarchies take it through "tasks" (the calling
 * thread, moved without the global lock); skip_unified leaves out the v2
 * hierarchy the process was born into. */
static int cg_join(struct cgroup *cg, const char *value, bool self, bool skip_unified)
{
	const char *v1_file = self ? "tasks" : "cgroup.procs";
	char dir[PATH_MAX];
	int r;

	if (cg->version == CG_V2) {
		if (skip_unified)
			return 0;
		if ((r = cg_dir(cg, NULL, dir, sizeof(dir))) < 0)
			return r;
		return cg_write_at(dir, "cgroup.procs", value);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		if (!cg_v1_mounted(cg_v1_controllers[i]))
			continue;
		if ((r = cg_dir(cg, cg_v1_controllers[i], dir, sizeof(dir))) < 0 ||
		    (r = cg_write_at(dir, v1_file, value)) < 0)
			return r;
	}
	for (size_t i = 0; i < CG_N_V1_EXTRAS; i++) {
		bool unified = cg_extra_is_unified(i);
		if (!cg_extra_mounted(i, dir, sizeof(dir), cg) || (unified && skip_unified))
			continue;
		if ((r = cg_write_at(dir, unified ? "cgroup.procs" : v1_file, value)) < 0)
			return r;
	}
	return 0;
}

int cg_add_pid(struct cgroup *cg, pid_t pid)
{
	char num[24];

	if (pid <= 0)
		return err_set(-EINVAL, "cannot add pid %d to cgroup %s", (int)pid, cg->path);
	snprintf(num, sizeof(num), "%d", (int)pid);
	return cg_join(cg, num, false, false);
}

int cg_add_self(struct cgroup *cg, bool in_unified)
{
	return cg_join(cg, "0", true, in_unified);
}

int cg_unified_fd(struct cgroup *cg)
{
	char dir[PATH_MAX];
	int fd;

	if (cg->version == CG_V2) {
		if ((fd = cg_dir(cg, NULL, dir, sizeof(dir))) < 0)
			return fd;
	} else {
		size_t i = 0;
		while (i < CG_N_V1_EXTRAS && !cg_extra_is_unified(i))
			i++;
		if (i == CG_N_V1_EXTRAS || !cg_extra_mounted(i, dir, sizeof(dir), cg))
			return -ENOENT;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

struct pid_list {
	pid_t *v;
	size_t n, cap;
};

static int pid_list_add(struct pid_list *l, pid_t pid)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		pid_t *nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return err_set(-ENOMEM, "out of memory");
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = pid;
	return 0;
}

static bool pid_list_has(const struct pid_list *l, pid_t pid)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == pid)
			return true;
	return false;
}

/* The processes of dir and of the cgroups below it (a container may
 * make its own). */
static int cg_collect(const char *dir, struct pid_list *l, int depth)
{
	_cleanup_free_ char *procs = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	char *save = NULL;
	int r;

	if (depth > 64)
		return err_set(-ELOOP, "cgroups nest too deeply under %s", dir);
	r = cg_read_at(dir, "cgroup.procs", &procs);
	if (r < 0)
		return r;
	for (char *t = strtok_r(procs, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		r = pid_list_add(l, (pid_t)atoi(t));
		if (r < 0)
			return r;
	}
	d = opendir(dir);
	if (!d)
		return err_errno(-errno, "cannot list %s", dir);
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = fs_path(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (r == 0)
			r = cg_collect(sub, l, depth + 1);
		if (r < 0 && r != -ENOENT)
			return r;
	}
	return 0;
}

/* Where the process list is read: v1 memory (or else pids, or any). */
static int cg_procs_dir(const struct cgroup *cg, char *dir, size_t n)
{
	static const char *const order[] = {
		"memory", "pids", "freezer", "cpu", "cpuacct", "cpuset", "devices", "blkio"
	};

	if (cg->version == CG_V2)
		return cg_dir(cg, NULL, dir, n);
	for (size_t i = 0; i < ARRAY_SIZE(order); i++)
		if (cg_v1_mounted(order[i]))
			return cg_dir(cg, order[i], dir, n);
	return err_set(-ENOENT, "no cgroup v1 controller is mounted under %s", cg_root_dir());
}

int cg_pids(struct cgroup *cg, pid_t **pids, size_t *n)
{
	struct pid_list l = { 0 };
	char dir[PATH_MAX];
	int r;

	*pids = NULL;
	*n = 0;
	r = cg_procs_dir(cg, dir, sizeof(dir));
	if (r < 0)
		return r;
	r = cg_collect(dir, &l, 0);
	if (r < 0) {
		free(l.v);
		return r;
	}
	*pids = l.v;
	*n = l.n;
	return 0;
}

int cg_kill_all(struct cgroup *cg, int sig)
{
	struct pid_list seen = { 0 };
	char dir[PATH_MAX];
	bool frozen = false;
	int r = 0, quiet = 0;

	if (sig == SIGKILL && cg->version == CG_V2 && cg_dir(cg, NULL, dir, sizeof(dir)) == 0)
		cg_write_at(dir, "cgroup.kill", "1"); /* Linux 5.14+; the loop below covers older kernels */
	/* Each process is signalled once; passes continue until a few in a
	 * row find nobody new (a process may fork while it is signalled). */
	for (int pass = 0; pass < 100 && quiet < 3 && r == 0; pass++) {
		pid_t *pids;
		size_t n;
		bool fresh = false;

		r = cg_pids(cg, &pids, &n);
		if (r == -ENOENT) {
			r = 0; /* no cgroup, no processes */
			break;
		}
		for (size_t i = 0; i < n && r == 0; i++) {
			if (pid_list_has(&seen, pids[i]))
				continue;
			fresh = true;
			r = pid_list_add(&seen, pids[i]);
			if (r == 0 && kill(pids[i], sig) < 0 && errno != ESRCH)
				r = err_errno(-errno, "cannot signal process %d of cgroup %s", (int)pids[i], cg->path);
		}
		free(pids);
		if (n == 0)
			break; /* empty: nobody is left to fork into it */
		quiet = fresh ? 0 : quiet + 1;
		if (r == 0)
			proc_sleep_ms(5);
	}
	free(seen.v);
	/* frozen processes die only once thawed */
	if (r == 0 && sig == SIGKILL && cg_is_frozen(cg, &frozen) == 0 && frozen)
		r = cg_freeze(cg, false);
	return r;
}

static int cg_freezer_dir(const struct cgroup *cg, char *dir, size_t n)
{
	if (cg->version == CG_V1 && !cg_v1_mounted("freezer"))
		return err_set(-ENOTSUP, "cannot freeze cgroup %s: the v1 freezer controller is not mounted", cg->path);
	return cg_dir(cg, "freezer", dir, n);
}

/* v2 cgroup.events holds "frozen 0|1" on a line of its own. */
static int cg_v2_frozen(const char *dir, bool *frozen)
{
	_cleanup_free_ char *ev = NULL;
	const char *f;
	int r;

	r = cg_read_at(dir, "cgroup.events", &ev);
	if (r < 0)
		return r;
	f = strstr(ev, "frozen ");
	if (!f || (f != ev && f[-1] != '\n'))
		return err_set(-EIO, "%s/cgroup.events has no 'frozen' line", dir);
	*frozen = f[7] == '1';
	return 0;
}

int cg_is_frozen(struct cgroup *cg, bool *frozen)
{
	_cleanup_free_ char *state = NULL;
	char dir[PATH_MAX];
	int r;

	*frozen = false;
	r = cg_freezer_dir(cg, dir, sizeof(dir));
	if (r < 0)
		return r;
	if (cg->version == CG_V2)
		return cg_v2_frozen(dir, frozen);
	r = cg_read_at(dir, "freezer.state", &state);
	if (r < 0)
		return r;
	/* FREEZING is not frozen yet */
	*frozen = !strcmp(state, "FROZEN");
	return 0;
}

int cg_freeze(struct cgroup *cg, bool frozen)
{
	const char *value = cg->version == CG_V2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	const char *file = cg->version == CG_V2 ? "cgroup.freeze" : "freezer.state";
	uint64_t deadline = proc_now_ms() + CG_WAIT_MS;
	char dir[PATH_MAX];
	int r;

	r = cg_freezer_dir(cg, dir, sizeof(dir));
	if (r < 0)
		return r;
	/* The write starts the change; the state says when it is done.  A
	 * v1 freeze can stall in FREEZING, and writing FROZEN again retries. */
	for (;;) {
		bool now = false;

		r = cg_write_at(dir, file, value);
		if (r == 0)
			r = cg_is_frozen(cg, &now);
		if (r < 0)
			return r;
		if (now == frozen)
			return 0;
		if (proc_now_ms() > deadline)
			return err_set(-ETIMEDOUT, "cgroup %s did not become %s within %d s", cg->path,
				       frozen ? "frozen" : "thawed", CG_WAIT_MS / 1000);
		proc_sleep_ms(10);
	}
}

/* rmdir dir after the cgroups below it; EBUSY lasts while exiting
 * processes are still being reaped. */
static int cg_rmdir_tree(const char *dir, uint64_t deadline, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	int r;

	if (depth > 64)
		return err_set(-ELOOP, "cgroups nest too deeply under %s", dir);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : err_errno(-errno, "cannot list %s", dir);
	while ((de = readdir(d))) {
		char sub[PATH_MAX];
		if (de->d_type != DT_DIR || !strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		r = fs_path(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		if (r == 0)
			r = cg_rmdir_tree(sub, deadline, depth + 1);
		if (r < 0)
			return r;
	}
	while (rmdir(dir) < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno != EBUSY || proc_now_ms() > deadline)
			return err_errno(-errno, "cannot remove cgroup %s", dir);
		proc_sleep_ms(10);
	}
	return 0;
}

int cg_destroy(struct cgroup *cg)
{
	uint64_t deadline = proc_now_ms() + CG_WAIT_MS;
	char dir[PATH_MAX], why[512] = "";
	int r, first = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		if (cg->version == CG_V1 && !cg_v1_mounted(cg_v1_controllers[i]))
			continue;
		r = cg_dir(cg, cg_v1_controllers[i], dir, sizeof(dir));
		if (r == 0)
			r = cg_rmdir_tree(dir, deadline, 0);
		/* carry on with the other controllers, report the first failure */
		if (r < 0 && first == 0) {
			first = r;
			snprintf(why, sizeof(why), "%s", err_msg());
		}
		if (cg->version == CG_V2)
			break;
	}
	for (size_t i = 0; cg->version == CG_V1 && i < CG_N_V1_EXTRAS; i++) {
		if (!cg_extra_mounted(i, dir, sizeof(dir), cg) || access(dir, F_OK) < 0)
			continue;
		if ((r = cg_rmdir_tree(dir, deadline, 0)) < 0 && first == 0) {
			first = r;
			snprintf(why, sizeof(why), "%s", err_msg());
		}
	}
	if (first < 0)
		return err_set(first, "%s", why);
	return 0;
}
