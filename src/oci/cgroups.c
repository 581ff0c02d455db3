/* SPDX-License-Identifier: MIT */
/*
 * Control groups for containers (OCI runtime spec, config-linux.md
 * "Control groups" and "linux.resources"), on cgroup v1 (one hierarchy
 * per controller, Documentation/admin-guide/cgroup-v1/) and v2 (the
 * unified hierarchy, Documentation/admin-guide/cgroup-v2.rst).
 *
 * linux.resources is validated whole and turned into a list of file
 * writes before anything is written, so a bad config changes nothing.
 */
#include "oci/cgroups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
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

int cg_dir(const struct cgroup *cg, const char *controller, char *buf, size_t n)
{
	if (cg->version == CG_V2)
		return fs_path(buf, n, "%s%s", cg_root, cg->path);
	if (!controller || !*controller || strchr(controller, '/'))
		return err_set(-EINVAL, "a cgroup v1 directory needs a controller name, not '%s'",
			       controller ? controller : "(none)");
	return fs_path(buf, n, "%s/%s%s", cg_root, controller, cg->path);
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

static int cg_init(struct cgroup *cg, const char *path)
{
	memset(cg, 0, sizeof(*cg));
	cg->version = cg_detect();
	return cg_path_normalize(path, cg->path, sizeof(cg->path));
}

int cg_create(struct cgroup *cg, const char *path)
{
	char base[PATH_MAX];
	int r;

	r = cg_init(cg, path);
	if (r < 0)
		return r;
	if (cg->version == CG_V2)
		return cg_mkdir_levels(cg_root, cg->path, false, true);
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		const char *c = cg_v1_controllers[i];
		if (!cg_v1_mounted(c))
			continue;
		r = fs_path(base, sizeof(base), "%s/%s", cg_root, c);
		if (r < 0)
			return r;
		r = cg_mkdir_levels(base, cg->path, !strcmp(c, "cpuset"), false);
		if (r < 0)
			return r;
	}
	return 0;
}

int cg_open(struct cgroup *cg, const char *path)
{
	char dir[PATH_MAX];
	int r;

	r = cg_init(cg, path);
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

/* ---- linux.resources -> file writes ---------------------------------- */

uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

void cg_plan_free(struct cg_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->w[i].value);
		free(plan->w[i].alt_value);
	}
	free(plan->w);
	free(plan->dev);
	memset(plan, 0, sizeof(*plan));
}

static struct cg_write *plan_add(struct cg_plan *p, const char *field, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct cg_write *plan_add(struct cg_plan *p, const char *field, const char *file, const char *fmt, ...)
{
	struct cg_write *w;
	va_list ap;
	int k;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct cg_write *nw = realloc(p->w, cap * sizeof(*nw));
		if (!nw)
			return NULL;
		p->w = nw;
		p->cap = cap;
	}
	w = &p->w[p->n];
	memset(w, 0, sizeof(*w));
	va_start(ap, fmt);
	k = vasprintf(&w->value, fmt, ap);
	va_end(ap);
	if (k < 0)
		return NULL;
	w->field = field;
	w->file = file;
	p->n++;
	return w;
}

#define PLAN_ADD(p, ...)                                                                                               \
	({                                                                                                             \
		struct cg_write *w_ = plan_add(p, __VA_ARGS__);                                                        \
		if (!w_)                                                                                               \
			return err_set(-ENOMEM, "out of memory");                                                      \
		w_;                                                                                                    \
	})

/* A member that is absent or null counts as not given. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int get_section(struct json_object *res, const char *key, const char *field, struct json_object **out)
{
	*out = member(res, key);
	if (*out && !json_object_is_type(*out, json_type_object))
		return err_set(-EINVAL, "%s must be an object", field);
	return 0;
}

static int get_int(struct json_object *o, const char *key, const char *field, int64_t *out, bool *set)
{
	struct json_object *v = member(o, key);

	*set = false;
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		/* 1e9 is a JSON number too */
		double d = json_object_get_double(v);
		if (!(d > -9.2e18 && d < 9.2e18) || (double)(int64_t)d != d)
			return err_set(-EINVAL, "%s must be a whole number, not %g", field, d);
		*out = (int64_t)d;
	} else {
		return err_set(-EINVAL, "%s must be a number", field);
	}
	*set = true;
	return 0;
}

static int get_str(struct json_object *o, const char *key, const char *field, const char **out)
{
	struct json_object *v = member(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s must be a string", field);
	*out = json_object_get_string(v);
	return 0;
}

static int get_bool(struct json_object *o, const char *key, const char *field, bool *out, bool *set)
{
	struct json_object *v = member(o, key);

	*set = false;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(-EINVAL, "%s must be true or false", field);
	*out = json_object_get_boolean(v);
	*set = true;
	return 0;
}

/* A byte count: -1 is "no limit"; 0 is "not set" (Go-generated configs
 * write zero values). */
static int get_bytes(struct json_object *o, const char *key, const char *field, int64_t *out, bool *set)
{
	int r = get_int(o, key, field, out, set);

	if (r < 0 || !*set)
		return r;
	if (*out == 0)
		*set = false;
	else if (*out < -1)
		return err_set(-EINVAL, "%s must be -1 (no limit) or a number of bytes, not %lld", field,
			       (long long)*out);
	return 0;
}

static int plan_memory(enum cg_version v, struct json_object *mem, struct cg_plan *p)
{
	int64_t limit = 0, resv = 0, swap = 0;
	bool has_limit, has_resv, has_swap, no_oom, has_oom;
	int r;

	if ((r = get_bytes(mem, "limit", "linux.resources.memory.limit", &limit, &has_limit)) < 0 ||
	    (r = get_bytes(mem, "reservation", "linux.resources.memory.reservation", &resv, &has_resv)) < 0 ||
	    (r = get_bytes(mem, "swap", "linux.resources.memory.swap", &swap, &has_swap)) < 0 ||
	    (r = get_bool(mem, "disableOOMKiller", "linux.resources.memory.disableOOMKiller", &no_oom, &has_oom)) < 0)
		return r;
	/* OCI's swap is memory plus swap, so it bounds the limit from above */
	if (has_swap && swap != -1) {
		if (!has_limit || limit == -1)
			return err_set(-EINVAL, "linux.resources.memory.swap (memory plus swap) needs a "
						"linux.resources.memory.limit that is not -1");
		if (swap < limit)
			return err_set(-EINVAL,
				       "linux.resources.memory.swap (%lld) must be at least "
				       "linux.resources.memory.limit (%lld): it counts memory plus swap",
				       (long long)swap, (long long)limit);
	}
	bool swap_is_noop = swap == -1 || (has_limit && swap == limit);
	if (v == CG_V1) {
		if (has_limit)
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.limit_in_bytes", "%lld", (long long)limit)
			    ->swap_pair = has_swap;
		if (has_swap) {
			struct cg_write *w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.memsw.limit_in_bytes",
						      "%lld", (long long)swap);
			w->skip_if_missing = swap_is_noop;
			w->missing_hint = "this host does not account swap (no memory.memsw.limit_in_bytes; the "
					  "kernel needs swapaccount=1)";
		}
		if (has_resv)
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.soft_limit_in_bytes", "%lld",
				 (long long)resv);
		if (has_oom)
			PLAN_ADD(p, "linux.resources.memory.disableOOMKiller", "memory.oom_control", "%d", no_oom);
		return 0;
	}
	if (has_limit) {
		if (limit == -1)
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "%lld", (long long)limit);
	}
	if (has_swap) {
		struct cg_write *w;
		/* v2 limits swap alone */
		if (swap == -1)
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "max");
		else
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "%lld",
				     (long long)(swap - limit));
		w->skip_if_missing = swap_is_noop;
		w->missing_hint = "this host does not account swap (no memory.swap.max)";
	}
	if (has_resv) {
		if (resv == -1)
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "%lld", (long long)resv);
	}
	/* v2 has no switch for the OOM killer of one cgroup (memory.oom.group
	 * is something else), so disableOOMKiller has nothing to set. */
	return 0;
}

/* "0-3,8" style lists, as cpuset.cpus/mems take them. */
static int check_cpu_list(const char *s, const char *field)
{
	if (strspn(s, "0123456789,-") != strlen(s))
		return err_set(-EINVAL, "%s must be a list like \"0-3,8\", not \"%s\"", field, s);
	return 0;
}

static int plan_cpu(enum cg_version v, struct json_object *cpu, struct cg_plan *p)
{
	int64_t shares = 0, quota = 0, period = 0;
	bool has_shares, has_quota, has_period;
	const char *cpus, *mems;
	int r;

	if ((r = get_int(cpu, "shares", "linux.resources.cpu.shares", &shares, &has_shares)) < 0 ||
	    (r = get_int(cpu, "quota", "linux.resources.cpu.quota", &quota, &has_quota)) < 0 ||
	    (r = get_int(cpu, "period", "linux.resources.cpu.period", &period, &has_period)) < 0 ||
	    (r = get_str(cpu, "cpus", "linux.resources.cpu.cpus", &cpus)) < 0 ||
	    (r = get_str(cpu, "mems", "linux.resources.cpu.mems", &mems)) < 0)
		return r;
	/* zero is "not set", as for the byte counts */
	has_shares = has_shares && shares != 0;
	has_quota = has_quota && quota != 0;
	has_period = has_period && period != 0;
	if (has_shares && (shares < 2 || shares > 262144))
		return err_set(-EINVAL, "linux.resources.cpu.shares must be between 2 and 262144, not %lld",
			       (long long)shares);
	if (has_quota && quota != -1 && quota < 1000)
		return err_set(
		    -EINVAL, "linux.resources.cpu.quota must be -1 (no limit) or at least 1000 microseconds, not %lld",
		    (long long)quota);
	if (has_period && (period < 1000 || period > 1000000))
		return err_set(-EINVAL,
			       "linux.resources.cpu.period must be between 1000 and 1000000 microseconds, not %lld",
			       (long long)period);
	if (cpus && *cpus) {
		if ((r = check_cpu_list(cpus, "linux.resources.cpu.cpus")) < 0)
			return r;
		PLAN_ADD(p, "linux.resources.cpu.cpus", "cpuset.cpus", "%s", cpus);
	}
	if (mems && *mems) {
		if ((r = check_cpu_list(mems, "linux.resources.cpu.mems")) < 0)
			return r;
		PLAN_ADD(p, "linux.resources.cpu.mems", "cpuset.mems", "%s", mems);
	}
	if (v == CG_V1) {
		if (has_shares)
			PLAN_ADD(p, "linux.resources.cpu.shares", "cpu.shares", "%lld", (long long)shares);
		if (has_period)
			PLAN_ADD(p, "linux.resources.cpu.period", "cpu.cfs_period_us", "%lld", (long long)period);
		if (has_quota)
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.cfs_quota_us", "%lld", (long long)quota);
		return 0;
	}
	if (has_shares)
		PLAN_ADD(p, "linux.resources.cpu.shares", "cpu.weight", "%llu",
			 (unsigned long long)cg_shares_to_weight((uint64_t)shares));
	if (has_quota || has_period) {
		char q[32] = "max";
		if (has_quota && quota != -1)
			snprintf(q, sizeof(q), "%lld", (long long)quota);
		/* without a period, cpu.max keeps the one it has */
		if (has_period)
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.max", "%s %lld", q, (long long)period);
		else
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.max", "%s", q);
	}
	return 0;
}

static int plan_pids(struct json_object *pids, struct cg_plan *p)
{
	int64_t limit;
	bool set;
	int r;

	if ((r = get_int(pids, "limit", "linux.resources.pids.limit", &limit, &set)) < 0 || !set)
		return r;
	if (limit <= 0)
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "max");
	else
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "%lld", (long long)limit);
	return 0;
}

static int plan_blockio(enum cg_version v, struct json_object *bio, struct cg_plan *p)
{
	struct cg_write *w;
	int64_t weight;
	bool set;
	int r;

	if ((r = get_int(bio, "weight", "linux.resources.blockIO.weight", &weight, &set)) < 0 || !set || weight == 0)
		return r;
	if (weight < 10 || weight > 1000)
		return err_set(-EINVAL, "linux.resources.blockIO.weight must be between 10 and 1000, not %lld",
			       (long long)weight);
	/* The weight file belongs to the I/O scheduler: CFQ's blkio.weight
	 * (v1) or iocost's io.weight (v2), else BFQ's; hosts with neither
	 * cannot weigh I/O, which is not worth refusing a container for. */
	if (v == CG_V1) {
		w = PLAN_ADD(p, "linux.resources.blockIO.weight", "blkio.weight", "%lld", (long long)weight);
		w->alt_file = "blkio.bfq.weight";
	} else {
		w = PLAN_ADD(p, "linux.resources.blockIO.weight", "io.weight", "default %lld", (long long)weight);
		w->alt_file = "io.bfq.weight";
	}
	if (asprintf(&w->alt_value, "%lld", (long long)weight) < 0) {
		w->alt_value = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	w->skip_if_missing = true;
	return 0;
}

static int parse_dev_rule(struct json_object *o, size_t i, struct cg_dev_rule *d)
{
	struct json_object *v;
	const char *type = NULL, *access = NULL;
	const char *keys[] = { "major", "minor" };
	int64_t *nums[] = { &d->major, &d->minor };
	bool set;

	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "linux.resources.devices[%zu] must be an object", i);
	v = member(o, "allow");
	if (!v || !json_object_is_type(v, json_type_boolean))
		return err_set(-EINVAL, "linux.resources.devices[%zu].allow must be true or false", i);
	d->allow = json_object_get_boolean(v);
	v = member(o, "type");
	if (v && json_object_is_type(v, json_type_string))
		type = json_object_get_string(v);
	if (v && (!type || strlen(type) != 1 || !strchr("acb", type[0])))
		return err_set(-EINVAL, "linux.resources.devices[%zu].type must be \"a\", \"c\" or \"b\"", i);
	d->type = type ? type[0] : 'a';
	for (size_t k = 0; k < 2; k++) {
		char field[64];
		snprintf(field, sizeof(field), "linux.resources.devices[%zu].%s", i, keys[k]);
		if (get_int(o, keys[k], field, nums[k], &set) < 0)
			return -EINVAL;
		if (!set)
			*nums[k] = -1;
		else if (*nums[k] < -1 || *nums[k] > UINT32_MAX)
			return err_set(-EINVAL, "%s must be -1 (any) or a device number, not %lld", field,
				       (long long)*nums[k]);
		else if (d->type == 'a' && *nums[k] != -1)
			return err_set(-EINVAL, "%s must be absent for type \"a\", which means every device", field);
	}
	v = member(o, "access");
	if (v && json_object_is_type(v, json_type_string))
		access = json_object_get_string(v);
	if (v && !access)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access must be a string", i);
	if (!access)
		access = "rwm";
	static const char rwm[] = "rwm";
	bool seen[3] = { false, false, false };
	size_t n = 0;
	for (const char *c = access; *c; c++) {
		const char *at = strchr(rwm, *c);
		if (!at || seen[at - rwm])
			return err_set(-EINVAL,
				       "linux.resources.devices[%zu].access must combine r, w and m, not \"%s\"", i,
				       access);
		seen[at - rwm] = true;
		d->access[n++] = *c;
	}
	d->access[n] = '\0';
	if (n == 0)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access is empty", i);
	/* the kernel applies an "a" rule to every access type */
	if (d->type == 'a' && n != 3)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access must be \"rwm\" for type \"a\"", i);
	return 0;
}

static void dev_num(int64_t v, char *buf, size_t n)
{
	if (v < 0)
		snprintf(buf, n, "*");
	else
		snprintf(buf, n, "%lld", (long long)v);
}

/* The rules are an allowlist (see cgroups-bpf.c): on v1, where a new
 * cgroup starts with its parent's list, a list that does not start by
 * resetting (an "a" rule) gets a deny-all first. */
static int plan_devices(enum cg_version v, struct json_object *devs, struct cg_plan *p)
{
	size_t n;

	if (!json_object_is_type(devs, json_type_array))
		return err_set(-EINVAL, "linux.resources.devices must be an array");
	n = json_object_array_length(devs);
	if (v == CG_V2 && n > 0 && !(p->dev = calloc(n, sizeof(*p->dev))))
		return err_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cg_dev_rule d = { 0 };
		char maj[24], min[24];
		int r = parse_dev_rule(json_object_array_get_idx(devs, i), i, &d);
		if (r < 0)
			return r;
		if (v == CG_V2) {
			p->dev[p->n_dev++] = d;
			continue;
		}
		if (i == 0 && d.type != 'a')
			PLAN_ADD(p, "linux.resources.devices", "devices.deny", "a *:* rwm");
		dev_num(d.major, maj, sizeof(maj));
		dev_num(d.minor, min, sizeof(min));
		PLAN_ADD(p, "linux.resources.devices", d.allow ? "devices.allow" : "devices.deny", "%c %s:%s %s",
			 d.type, maj, min, d.access);
	}
	return 0;
}

/* Set to anything but an empty value. */
static bool given(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) != 0;
	case json_type_array:
		return json_object_array_length(v) != 0;
	case json_type_object:
		return json_object_object_length(v) != 0;
	}
	return true;
}

/* Limits hv cannot apply are refused rather than silently dropped
 * (memory.kernel/kernelTCP, deprecated by the spec, are ignored). */
static int refuse_unsupported(struct json_object *res)
{
	static const char *const unsupported[][2] = {
		{ "memory", "swappiness" },
		{ "cpu", "realtimeRuntime" },
		{ "cpu", "realtimePeriod" },
		{ "cpu", "burst" },
		{ "cpu", "idle" },
		{ "blockIO", "leafWeight" },
		{ "blockIO", "weightDevice" },
		{ "blockIO", "throttleReadBpsDevice" },
		{ "blockIO", "throttleWriteBpsDevice" },
		{ "blockIO", "throttleReadIOPSDevice" },
		{ "blockIO", "throttleWriteIOPSDevice" },
		{ NULL, "hugepageLimits" },
		{ NULL, "network" },
		{ NULL, "rdma" },
		{ NULL, "unified" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		const char *sec = unsupported[i][0], *key = unsupported[i][1];
		struct json_object *o = sec ? member(res, sec) : res;
		if (o && json_object_is_type(o, json_type_object) && given(member(o, key)))
			return err_set(-ENOTSUP, "linux.resources.%s%s%s is not supported by hv", sec ? sec : "",
				       sec ? "." : "", key);
	}
	return 0;
}

int cg_plan_resources(enum cg_version v, struct json_object *res, struct cg_plan *plan)
{
	struct json_object *mem, *cpu, *pids, *bio, *devs;
	int r;

	memset(plan, 0, sizeof(*plan));
	if (!res)
		return 0;
	if (!json_object_is_type(res, json_type_object))
		return err_set(-EINVAL, "linux.resources must be an object");
	if ((r = get_section(res, "memory", "linux.resources.memory", &mem)) < 0 ||
	    (r = get_section(res, "cpu", "linux.resources.cpu", &cpu)) < 0 ||
	    (r = get_section(res, "pids", "linux.resources.pids", &pids)) < 0 ||
	    (r = get_section(res, "blockIO", "linux.resources.blockIO", &bio)) < 0 || (r = refuse_unsupported(res)) < 0)
		return r;
	devs = member(res, "devices");
	/* cpuset first: the other settings do not depend on it, but a
	 * process placed early should land on the right CPUs */
	if ((cpu && (r = plan_cpu(v, cpu, plan)) < 0) || (mem && (r = plan_memory(v, mem, plan)) < 0) ||
	    (pids && (r = plan_pids(pids, plan)) < 0) || (bio && (r = plan_blockio(v, bio, plan)) < 0) ||
	    (devs && (r = plan_devices(v, devs, plan)) < 0)) {
		cg_plan_free(plan);
		return r;
	}
	return 0;
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

int cg_add_pid(struct cgroup *cg, pid_t pid)
{
	char dir[PATH_MAX], num[24];
	int r;

	if (pid <= 0)
		return err_set(-EINVAL, "cannot add pid %d to cgroup %s", (int)pid, cg->path);
	snprintf(num, sizeof(num), "%d", (int)pid);
	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		if (cg->version == CG_V1 && !cg_v1_mounted(cg_v1_controllers[i]))
			continue;
		r = cg_dir(cg, cg_v1_controllers[i], dir, sizeof(dir));
		if (r == 0)
			r = cg_write_at(dir, "cgroup.procs", num);
		if (r < 0)
			return r;
		if (cg->version == CG_V2)
			break;
	}
	return 0;
}

int cg_add_self(struct cgroup *cg)
{
	char dir[PATH_MAX];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(cg_v1_controllers); i++) {
		if (cg->version == CG_V1 && !cg_v1_mounted(cg_v1_controllers[i]))
			continue;
		r = cg_dir(cg, cg_v1_controllers[i], dir, sizeof(dir));
		if (r == 0)
			r = cg_write_at(dir, cg->version == CG_V1 ? "tasks" : "cgroup.procs", "0");
		if (r < 0)
			return r;
		if (cg->version == CG_V2)
			break;
	}
	return 0;
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
	if (first < 0)
		return err_set(first, "%s", why);
	return 0;
}
