/* SPDX-License-Identifier: MIT */
#include "oci/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

int ctr_id_validate(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n >= 128)
		return err_set(-EINVAL, "invalid container id '%s': use 1 to 127 characters", id);
	for (const char *p = id; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_-.+", *p))
			return err_set(-EINVAL, "invalid container id '%s': use letters, digits, '_', '-', '.' and '+'",
				       id);
	if (id[0] == '.')
		return err_set(-EINVAL, "invalid container id '%s'", id);
	return 0;
}

int ctr_root(const char *option, char *buf, size_t n)
{
	int r = fs_path(buf, n, "%s", option && *option ? option : "/run/hv-runc");

	if (r < 0)
		return r;
	if (buf[0] != '/')
		return err_set(-EINVAL, "--root must be an absolute path (got '%s')", buf);
	return fs_mkdir_p(buf, 0700);
}

int ctr_dir(const char *root, const char *id, char **out)
{
	int r = ctr_id_validate(id);

	*out = NULL;
	if (r < 0)
		return r;
	if (asprintf(out, "%s/%s", root, id) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

int ctr_open_dir(const char *root, const char *id)
{
	_cleanup_close_ int rfd = -1;
	int r = ctr_id_validate(id), fd;

	if (r < 0)
		return r;
	if ((rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (fd = openat(rfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(-ENOENT, "container %s does not exist", id);
	return fd;
}

static const struct json_field state_fields[] = {
	JSON_FIELD_BUF("id", JSON_REQUIRED, struct ctr_state, id),
	JSON_FIELD_BUF("bundle", 0, struct ctr_state, bundle),
	JSON_FIELD_BUF("rootfs", 0, struct ctr_state, rootfs),
	JSON_FIELD_BUF("cgroup", 0, struct ctr_state, cgroup),
	JSON_FIELD_BUF("cgroupParents", 0, struct ctr_state, cgroup_parents),
	JSON_FIELD_BUF("created", 0, struct ctr_state, created),
	JSON_FIELD_RANGE("pid", JSON_INT, JSON_REQUIRED, struct ctr_state, pid, 1, INT_MAX),
	JSON_FIELD("pid_start", JSON_UINT64, 0, struct ctr_state, pid_start),
	JSON_FIELD("started", JSON_BOOL, 0, struct ctr_state, started),
	JSON_FIELD("owner", JSON_UINT, 0, struct ctr_state, owner),
	JSON_FIELD_END,
};

int ctr_state_parse(const char *text, size_t len, const char *id, struct ctr_state *st)
{
	_cleanup_json_ struct json_object *o = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = json_parse_object(text, len, "state.json", &o)) < 0 ||
	    (r = json_dispatch(o, state_fields, st, "state.json", 0)) < 0)
		return r;
	if (strcmp(st->id, id))
		return err_set(-EINVAL, "state.json: the id is '%.64s'", st->id);
	return 0;
}

/* The cgroup a live process is in, as /proc/PID/cgroup says: the unified
 * hierarchy's line on v2, the memory controller's on v1. */
static void cgroup_of(pid_t pid, char *out, size_t n)
{
	_cleanup_free_ char *text = NULL;
	char path[64];
	bool v2 = cg_detect() == CG_V2;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if (fs_read_all(AT_FDCWD, path, 65536, &text, NULL) < 0)
		return;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c = strchr(line, ':'), *p = c ? strchr(c + 1, ':') : NULL;
		if (!p || p[1] != '/')
			continue;
		*p = '\0';
		if (v2 ? !strcmp(c + 1, "") : (strstr(c + 1, "memory") != NULL)) {
			snprintf(out, n, "%s", p + 1);
			return;
		}
	}
}

/* The container's init from what is left: hookstate.json (the OCI state
 * written for the hooks at create) names it; else the oldest process in
 * the default cgroup.  A pid is believed only when that process is in the
 * container's cgroup now. */
static void find_init(int dfd, const char *id, struct ctr_state *st)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("pid", JSON_INT, JSON_REQUIRED, struct ctr_state, pid, 1, INT_MAX),
		JSON_FIELD_BUF("bundle", 0, struct ctr_state, bundle),
		JSON_FIELD_BUF("rootfs", 0, struct ctr_state, rootfs),
		JSON_FIELD_BUF("created", 0, struct ctr_state, created),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	struct cgroup cg;
	char where[512] = "";
	size_t n = 0;

	snprintf(st->cgroup, sizeof(st->cgroup), "/hv-runc/%s", id);
	if (json_read_object(dfd, "hookstate.json", 1 << 20, &o) == 0 && json_dispatch(o, fields, st, "", 0) == 0) {
		cgroup_of(st->pid, where, sizeof(where));
		if (where[0])
			snprintf(st->cgroup, sizeof(st->cgroup), "%s", where);
	} else if (cg_open(&cg, st->cgroup, NULL) == 0 && cg_pids(&cg, &pids, &n) == 0) {
		uint64_t best = UINT64_MAX, t;
		for (size_t i = 0; i < n; i++)
			if (proc_start_time(pids[i], &t) == 0 && t < best) {
				best = t;
				st->pid = pids[i];
			}
	}
	err_clear();
	/* the recorded init is alive only if it still is in a cgroup of the container */
	cgroup_of(st->pid, where, sizeof(where));
	if (st->pid > 0 && !strcmp(where, st->cgroup))
		proc_start_time(st->pid, &st->pid_start);
	err_clear();
}

/* state.json is damaged: rebuilt from hookstate.json and the processes,
 * rewritten, and reported with err_warn(). */
static int state_rederive(int dfd, const char *root, const char *id, struct ctr_state *st, const char *why)
{
	struct stat sb;
	int r;

	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	find_init(dfd, id, st);
	if (st->pid <= 0)
		return err_set(-EIO,
			       "container %s has a damaged state file (%s) and its init cannot be found: hv-runc "
			       "delete --force %s removes it",
			       id, why, id);
	st->started = !fs_exists_at(dfd, "exec.fifo");
	st->owner = fstat(dfd, &sb) == 0 ? sb.st_uid : 0;
	if ((r = ctr_state_save(root, st)) < 0)
		return err_prefix(r, "container %s: state.json is damaged (%s) and cannot be rewritten", id, why);
	err_warn("container %s: state.json was damaged (%s): rewritten from hookstate.json and the processes "
		 "(init pid %d, %s)",
		 id, why, (int)st->pid, st->pid_start ? "alive" : "gone");
	return 0;
}

int ctr_state_load(const char *root, const char *id, struct ctr_state *st)
{
	_cleanup_close_ int dfd = -1;
	_cleanup_free_ char *text = NULL;
	char why[512];
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	if ((dfd = ctr_open_dir(root, id)) < 0)
		return dfd;
	err_clear();
	r = fs_read_all(dfd, "state.json", 1 << 20, &text, &len);
	/* ENOENT: being created (or the create died): not a record to rebuild */
	if (r < 0 && r != -EFBIG)
		return err_set(-EIO, "container %s has no readable state (%s): hv-runc delete --force %s removes it",
			       id, err_msg_for(r), id);
	if (r == 0 && (r = ctr_state_parse(text, len, id, st)) == 0)
		return 0;
	if (r == -ENOMEM)
		return r;
	snprintf(why, sizeof(why), "%s", err_msg());
	return state_rederive(dfd, root, id, st, why);
}

int ctr_write_pid_file(const char *file, pid_t pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d", (int)pid);
	return fs_write_atomic(AT_FDCWD, file, text, strlen(text), 0644);
}

int ctr_state_save(const char *root, const struct ctr_state *st)
{
	_cleanup_close_ int dfd = ctr_open_dir(root, st->id);
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (dfd < 0)
		return dfd;
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "cgroup", json_object_new_string(st->cgroup));
	if (st->cgroup_parents[0])
		json_object_object_add(o, "cgroupParents", json_object_new_string(st->cgroup_parents));
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "pid", json_object_new_int(st->pid));
	json_object_object_add(o, "pid_start", json_object_new_int64((int64_t)st->pid_start));
	json_object_object_add(o, "started", json_object_new_boolean(st->started));
	json_object_object_add(o, "owner", json_object_new_int((int)st->owner));
	return json_write_atomic(dfd, "state.json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}

static bool init_alive(const struct ctr_state *st)
{
	struct proc_id id = { .pid = st->pid, .start = st->pid_start };

	if (st->pid <= 0)
		return false;
	/* the record has no boot id: /run does not survive a reboot anyway */
	if (proc_boot_id(id.boot_id) < 0)
		return false;
	return proc_id_alive(&id);
}

enum ctr_status ctr_status(const char *root, const struct ctr_state *st)
{
	struct cgroup cg;
	bool frozen = false;

	if (!st->pid)
		return CTR_CREATING;
	if (!init_alive(st))
		return CTR_STOPPED;
	if (!st->started) {
		_cleanup_close_ int dfd = ctr_open_dir(root, st->id);
		bool fifo = dfd >= 0 && fs_exists_at(dfd, "exec.fifo");
		err_clear();
		if (fifo)
			return CTR_CREATED;
	}
	if (st->cgroup[0] && cg_open(&cg, st->cgroup, st->cgroup_parents) == 0 && cg_is_frozen(&cg, &frozen) == 0 &&
	    frozen)
		return CTR_PAUSED;
	err_clear();
	return CTR_RUNNING;
}

const char *ctr_status_name(enum ctr_status s)
{
	static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
	return (unsigned)s < 5 ? names[s] : "unknown";
}

struct json_object *ctr_state_json(const char *root, const struct ctr_state *st)
{
	struct json_object *o = json_object_new_object(), *cfg = NULL, *ann = NULL;
	enum ctr_status s = ctr_status(root, st);
	_cleanup_close_ int bfd = open(st->bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (!o)
		return NULL;
	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "status", json_object_new_string(ctr_status_name(s)));
	json_object_object_add(o, "pid", json_object_new_int(s == CTR_STOPPED ? 0 : st->pid));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "owner", json_object_new_string(st->owner ? "user" : "root"));
	/* the bundle's annotations, when its config.json still reads */
	if (bfd >= 0 && json_read_object(bfd, "config.json", 16 << 20, &cfg) == 0 &&
	    json_get_object(cfg, "annotations", "config.json", &ann) == 0)
		json_object_object_add(o, "annotations", json_object_get(ann));
	json_object_put(cfg);
	err_clear();
	return o;
}

int ctr_list(const char *root, char ***ids, size_t *n)
{
	int r = fs_list_names(root, ctr_id_validate, ids, n);

	if (r == -ENOENT) { /* no container was ever made here */
		err_clear();
		return 0;
	}
	return r;
}
