/* SPDX-License-Identifier: MIT */
/*
 * Control groups for containers (OCI runtime spec, config-linux.md
 * "Control groups" and "linux.resources"), on cgroup v1 (one hierarchy
 * per controller, Documentation/admin-guide/cgroup-v1/) and v2 (the
 * unified hierarchy, Documentation/admin-guide/cgroup-v2.rst): finding
 * the hierarchy, creating and opening a container's cgroup, applying
 * linux.resources, moving processes in, listing, killing and freezing
 * them, and removing the cgroup.
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
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "oci/cgroups-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/proc.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_WAIT_MS	5000 /* freezing, and rmdir while processes exit */
#define CG_READ_MAX	(16u << 20)

static const char *cg_root = CG_DEFAULT_ROOT;
static enum cg_version cg_forced;

/* The v1 controllers hv uses; each is its own mount under the root. */
static const char *const cg_v1_controllers[] = { "memory", "cpu",     "cpuacct", "cpuset",
						 "pids",   "freezer", "devices", "blkio" };
/* On v1, hierarchies without controllers that a container joins too, as
 * runc does: systemd's named one, and the unified (v2) one of a hybrid
 * host, so that tools in the container see its own cgroup there. */
static const struct {
	const char *name;
	long magic; /* CGROUP2_SUPER_MAGIC: the unified one */
} cg_v1_extras[] = { { "systemd", CGROUP_SUPER_MAGIC }, { "unified", CGROUP2_SUPER_MAGIC } };
/* What hv enables for its cgroups on v2, where the parent offers it. */
static const char *const cg_v2_controllers[] = { "cpu", "memory", "pids", "cpuset", "io" };

void cg_use_root(const char *root, enum cg_version v)
{
	cg_root = root ? root : CG_DEFAULT_ROOT;
	cg_forced = root ? v : 0;
}

enum cg_version cg_detect(void)
{
	struct statfs st;

	if (cg_forced)
		return cg_forced;
	if (statfs(cg_root, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return CG_V2;
	return CG_V1;
}

static bool cg_v1_mounted(const char *controller)
{
	char p[PATH_MAX];
	struct statfs st;

	if (fs_path(p, sizeof(p), "%s/%s", cg_root, controller) < 0)
		return false;
	return statfs(p, &st) == 0 && st.f_type == CGROUP_SUPER_MAGIC;
}

/* Does a /proc/self/cgroup hierarchy (its controller list) match key:
 * "" the unified one ("0::"), "systemd" the named "name=systemd", else
 * a controller of the comma-separated list ("cpu" in "cpu,cpuacct"). */
static bool cg_list_has(const char *list, size_t len, const char *key)
{
	size_t k;

	if (!*key)
		return len == 0;
	if (!strcmp(key, "systemd"))
		key = "name=systemd";
	k = strlen(key);
	for (const char *p = list, *end = list + len; p < end;) {
		size_t item = strcspn(p, ",:\n");
		if (p + item > end)
			item = (size_t)(end - p);
		if (item == k && !memcmp(p, key, k))
			return true;
		p += item + 1;
	}
	return false;
}

/* Where a relative cgroup hangs in hierarchy key (cg_list_has): "" for
 * the root, and for an absolute cgroups path. */
static int cg_parent(const struct cgroup *cg, const char *key, char *buf, size_t n)
{
	buf[0] = '\0';
	for (const char *l = cg->parents; *l;) {
		size_t len = strcspn(l, "\n");
		const char *colon = memchr(l, ':', len);
		if (colon && cg_list_has(l, (size_t)(colon - l), key)) {
			const char *path = colon + 1;
			size_t plen = len - (size_t)(path - l);
			if (plen == 1 && *path == '/')
				plen = 0;
			return fs_path(buf, n, "%.*s", (int)plen, path);
		}
		l += len + (l[len] == '\n');
	}
	return 0;
}

/* root/name + the parent in that hierarchy + the cgroup's path */
static int cg_hier_path(const struct cgroup *cg, const char *name, const char *key, char *buf, size_t n)
{
	char parent[PATH_MAX];
	int r = cg_parent(cg, key, parent, sizeof(parent));

	if (r < 0)
		return r;
	return fs_path(buf, n, "%s%s%s%s%s", cg_root, *name ? "/" : "", name, parent, cg->path);
}

static const char *cg_extra_key(size_t i)
{
	return cg_v1_extras[i].magic == CGROUP2_SUPER_MAGIC ? "" : cg_v1_extras[i].name;
}

static bool cg_extra_mounted(size_t i, char *dir, size_t n, const struct cgroup *cg)
{
	struct statfs st;

	return fs_path(dir, n, "%s/%s", cg_root, cg_v1_extras[i].name) == 0 && statfs(dir, &st) == 0 &&
	       st.f_type == cg_v1_extras[i].magic &&
	       (!cg || cg_hier_path(cg, cg_v1_extras[i].name, cg_extra_key(i), dir, n) == 0);
}

int cg_dir(const struct cgroup *cg, const char *controller, char *buf, size_t n)
{
	if (cg->version == CG_V2)
		return cg_hier_path(cg, "", "", buf, n);
	if (!controller || !*controller || strchr(controller, '/'))
		return err_set(-EINVAL, "a cgroup v1 directory needs a controller name, not '%s'",
			       controller ? controller : "(none)");
	return cg_hier_path(cg, controller, strcmp(controller, "unified") ? controller : "", buf, n);
}

/* The caller's cgroups as parents for a relative path: each line of
 * /proc/self/cgroup without its hierarchy id ("memory:/a/b"); on v2 only
 * the unified one, and its parent (runc's rule: the caller's own cgroup
 * most likely holds processes, so it cannot delegate controllers). */
static int cg_read_parents(enum cg_version v, char *out, size_t n)
{
	_cleanup_free_ char *text = NULL;
	char *save = NULL;
	size_t o = 0;
	int r;

	out[0] = '\0';
	if ((r = fs_read_all(AT_FDCWD, "/proc/self/cgroup", 1 << 20, &text, NULL)) < 0)
		return err_errno(r, "cannot read /proc/self/cgroup");
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *rest = strchr(line, ':'), *path = rest ? strchr(rest + 1, ':') : NULL;
		int k;
		if (!path || path[1] != '/')
			continue;
		rest++;
		if (v == CG_V2) {
			if (path != rest)
				continue;
			char *slash = strrchr(path + 1, '/');
			if (slash && slash != path + 1)
				*slash = '\0';
			else
				path[2] = '\0';
		}
		k = snprintf(out + o, n - o, "%s\n", rest);
		if (k < 0 || (size_t)k >= n - o)
			return err_set(-ENAMETOOLONG,
				       "the runtime's own cgroups (/proc/self/cgroup) are too long to record");
		o += (size_t)k;
	}
	if (o == 0)
		return err_set(-ENOENT, "/proc/self/cgroup names no cgroup for a relative linux.cgroupsPath");
	return 0;
}

/* "/a//b/" -> "/a/b"; refuses the root itself, "." and "..". */
static int cg_path_normalize(const char *path, char *out, size_t n)
{
	size_t o = 0;

	if (!path || !*path)
		return err_set(-EINVAL, "the cgroup path is empty");
	for (const char *p = path; *p;) {
		size_t len;

		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len == 0)
			break;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return err_set(-EINVAL, "cgroup path '%s' has a '%.*s' component", path, (int)len, p);
		if (o + 1 + len >= n)
			return err_set(-ENAMETOOLONG, "cgroup path '%s' is longer than %zu bytes", path, n - 1);
		out[o++] = '/';
		memcpy(out + o, p, len);
		o += len;
		p += len;
	}
	if (o == 0)
		return err_set(-EINVAL, "cgroup path '%s' names the root of the hierarchy, which hv does not manage",
			       path);
	out[o] = '\0';
	return 0;
}

static int cg_write_at(const char *dir, const char *file, const char *value)
{
	char p[PATH_MAX];
	_cleanup_close_ int fd = -1;
	int r;

	r = fs_path(p, sizeof(p), "%s/%s", dir, file);
	if (r < 0)
		return r;
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(-errno, "cannot open %s", p);
	/* cgroupfs takes a value in a single write() */
	r = write_all(fd, value, strlen(value));
	if (r < 0)
		return err_errno(r, "cannot write '%s' to %s", value, p);
	return 0;
}

/* Read dir/file with the trailing newline removed. */
static int cg_read_at(const char *dir, const char *file, char **out)
{
	char p[PATH_MAX];
	size_t len;
	int r;

	r = fs_path(p, sizeof(p), "%s/%s", dir, file);
	if (r < 0)
		return r;
	r = fs_read_all(AT_FDCWD, p, CG_READ_MAX, out, &len);
	if (r < 0)
		return err_errno(r, "cannot read %s", p);
	while (len > 0 && (*out)[len - 1] == '\n')
		(*out)[--len] = '\0';
	return 0;
}

static bool cg_word_in(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/*
 * An empty cpuset.cpus/mems admits no task (adding one fails with
 * ENOSPC), and v1 leaves a new cpuset cgroup empty: inherit the parent's.
 */
static int cg_cpuset_inherit(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char parent[PATH_MAX];
	char *slash;
	int r;

	r = fs_path(parent, sizeof(parent), "%s", dir);
	if (r < 0)
		return r;
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return 0;
	*slash = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;

		r = cg_read_at(dir, files[i], &mine);
		if (r < 0)
			return r;
		if (*mine)
			continue;
		r = cg_read_at(parent, files[i], &theirs);
		if (r < 0)
			return r;
		r = cg_write_at(dir, files[i], theirs);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Enable hv's controllers in dir/cgroup.subtree_control, where offered. */
static int cg_v2_delegate(const char *dir)
{
	_cleanup_free_ char *offered = NULL, *enabled = NULL;
	char add[128] = "";
	size_t o = 0;
	int r;

	r = cg_read_at(dir, "cgroup.controllers", &offered);
	if (r < 0)
		return r;
	r = cg_read_at(dir, "cgroup.subtree_control", &enabled);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(cg_v2_controllers); i++) {
		const char *c = cg_v2_controllers[i];
		if (cg_word_in(offered, c) && !cg_word_in(enabled, c))
			o += (size_t)snprintf(add + o, sizeof(add) - o, "%s+%s", o ? " " : "", c);
	}
	if (o == 0)
		return 0; /* nothing to write, so nothing can fail */
	r = cg_write_at(dir, "cgroup.subtree_control", add);
	if (r == -EBUSY)
		return err_set(
		    r,
		    "cannot enable '%s' in %s/cgroup.subtree_control: the cgroup holds processes itself, and "
		    "cgroup v2 hands controllers only to the children of a cgroup without processes (move "
		    "them into a leaf cgroup first)",
		    add, dir);
	return r;
}

/* mkdir base+path one level at a time.  On v2 each parent first hands
 * its controllers down; on v1 each cpuset level gets CPUs and nodes. */
static int cg_mkdir_levels(const char *base, const char *path, bool cpuset, bool v2)
{
	char dir[PATH_MAX];
	size_t o;
	int r;

	r = fs_path(dir, sizeof(dir), "%s", base);
	if (r < 0)
		return r;
	o = strlen(dir);
	for (const char *p = path; *p;) {
		size_t len;

		p++; /* the normalized path has exactly one '/' before each name */
		len = strcspn(p, "/");
		if (v2) {
			r = cg_v2_delegate(dir);
			if (r < 0)
				return r;
		}
		if (o + 1 + len >= sizeof(dir))
			return err_set(-ENAMETOOLONG, "cgroup directory %s%s is too long", base, path);
		dir[o++] = '/';
		memcpy(dir + o, p, len);
		o += len;
		dir[o] = '\0';
		p += len;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_errno(-errno, "cannot create cgroup %s", dir);
		if (cpuset) {
			r = cg_cpuset_inherit(dir);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int cg_init(struct cgroup *cg, const char *path, const char *parents)
{
	memset(cg, 0, sizeof(*cg));
	cg->version = cg_detect();
	if (parents && fs_path(cg->parents, sizeof(cg->parents), "%s", parents) < 0)
		return err_set(-ENAMETOOLONG, "the recorded parents of cgroup %s are too long", path);
	return cg_path_normalize(path, cg->path, sizeof(cg->path));
}

int cg_create(struct cgroup *cg, const char *path)
{
	char base[PATH_MAX], parent[PATH_MAX];
	int r;

	r = cg_init(cg, path, NULL);
	if (r < 0)
		return r;
	if (path[0] != '/' && (r = cg_read_parents(cg->version, cg->parents, sizeof(cg->parents))) < 0)
		return r;
	if (cg->version == CG_V2) {
		if ((r = cg_parent(cg, "", parent, sizeof(parent))) < 0 ||
		    (r = fs_path(base, sizeof(base), "%s%s", cg_root, parent)) < 0)
			return r;
		return cg_mkdir_levels(base, cg->path, false, true);
	}
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		const char *c = cg_v1_controllers[i];
		if (!cg_v1_mounted(c))
			continue;
		if ((r = cg_parent(cg, c, parent, sizeof(parent))) < 0 ||
		    (r = fs_path(base, sizeof(base), "%s/%s%s", cg_root, c, parent)) < 0)
			return r;
		r = cg_mkdir_levels(base, cg->path, !strcmp(c, "cpuset"), false);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_extras); i++) {
		if (!cg_extra_mounted(i, base, sizeof(base), NULL))
			continue;
		if ((r = cg_parent(cg, cg_extra_key(i), parent, sizeof(parent))) < 0 ||
		    (r = fs_path(base, sizeof(base), "%s/%s%s", cg_root, cg_v1_extras[i].name, parent)) < 0 ||
		    (r = cg_mkdir_levels(base, cg->path, false, false)) < 0)
			return r;
	}
	return 0;
}

int cg_open(struct cgroup *cg, const char *path, const char *parents)
{
	char dir[PATH_MAX];
	int r;

	r = cg_init(cg, path, parents);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		const char *c = cg_v1_controllers[i];
		if (cg->version == CG_V1 && !cg_v1_mounted(c))
			continue;
		r = cg_dir(cg, c, dir, sizeof(dir));
		if (r < 0)
			return r;
		if (access(dir, F_OK) == 0)
			return 0;
		if (cg->version == CG_V2)
			break;
	}
	return err_set(-ENOENT, "cgroup %s does not exist", cg->path);
}

/* ---- applying, processes, freezing, removal --------------------------- */

static int cg_file_dir(const struct cgroup *cg, const char *file, char *dir, size_t n)
{
	char controller[32];
	size_t len = strcspn(file, ".");

	if (len >= sizeof(controller))
		return err_set(-EINVAL, "bad cgroup file name %s", file);
	memcpy(controller, file, len);
	controller[len] = '\0';
	if (cg->version == CG_V1 && !cg_v1_mounted(controller))
		return err_set(-ENOENT, "the v1 %s controller is not mounted under %s", controller, cg_root);
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
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_extras); i++) {
		bool unified = cg_v1_extras[i].magic == CGROUP2_SUPER_MAGIC;
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
		while (i < ARRAY_SIZE(cg_v1_extras) && cg_v1_extras[i].magic != CGROUP2_SUPER_MAGIC)
			i++;
		if (i == ARRAY_SIZE(cg_v1_extras) || !cg_extra_mounted(i, dir, sizeof(dir), cg))
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
	return err_set(-ENOENT, "no cgroup v1 controller is mounted under %s", cg_root);
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
	for (size_t i = 0; cg->version == CG_V1 && i < ARRAY_SIZE(cg_v1_extras); i++) {
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
