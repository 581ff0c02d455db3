/* SPDX-License-Identifier: MIT */
/*
 * Where a container's cgroups live: which hierarchies there are (cgroup
 * v1, one per controller, Documentation/admin-guide/cgroup-v1/, or the
 * v2 unified one, Documentation/admin-guide/cgroup-v2.rst), a cgroup's
 * directory in each (below the root, or below the runtime's own cgroup
 * for a relative linux.cgroupsPath), and creating or opening it, with
 * the cgroup file reads and writes cgroups.c uses as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "oci/cgroups-internal.h"
#include "oci/cgroups.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"

#define CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define CG_READ_MAX	(16u << 20)

static const char *cg_root = CG_DEFAULT_ROOT; /* tests point it elsewhere */
static enum cg_version cg_forced;

/* The v1 controllers hv uses; each is its own mount under the root. */
const char *const cg_v1_controllers[CG_N_V1_CONTROLLERS] = { "memory", "cpu",	  "cpuacct", "cpuset",
							     "pids",   "freezer", "devices", "blkio" };
/* On v1, hierarchies without controllers that a container joins too, as
 * runc does: systemd's named one, and the unified (v2) one of a hybrid
 * host, so that tools in the container see its own cgroup there. */
static const struct {
	const char *name;
	long magic; /* CGROUP2_SUPER_MAGIC: the unified one */
} cg_v1_extras[CG_N_V1_EXTRAS] = { { "systemd", CGROUP_SUPER_MAGIC }, { "unified", CGROUP2_SUPER_MAGIC } };
/* What hv enables for its cgroups on v2, where the parent offers it. */
static const char *const cg_v2_controllers[] = { "cpu", "memory", "pids", "cpuset", "io" };

const char *cg_root_dir(void)
{
	return cg_root;
}

bool cg_extra_is_unified(size_t i)
{
	return cg_v1_extras[i].magic == CGROUP2_SUPER_MAGIC;
}

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

bool cg_v1_mounted(const char *controller)
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
	return cg_extra_is_unified(i) ? "" : cg_v1_extras[i].name;
}

bool cg_extra_mounted(size_t i, char *dir, size_t n, const struct cgroup *cg)
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

int cg_write_at(const char *dir, const char *file, const char *value)
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

int cg_read_at(const char *dir, const char *file, char **out)
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
