/* SPDX-License-Identifier: MIT */
#include "oci/state.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/cgroups.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
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

int ctr_dir(const char *root, const char *id, char *buf, size_t n)
{
	int r = ctr_id_validate(id);

	return r < 0 ? r : fs_path(buf, n, "%s/%s", root, id);
}

int ctr_state_load(const char *root, const char *id, struct ctr_state *st)
{
	char dir[4300];
	_cleanup_close_ int dfd = -1;
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;
	int r;

	memset(st, 0, sizeof(*st));
	if ((r = ctr_dir(root, id, dir, sizeof(dir))) < 0)
		return r;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_set(-ENOENT, "container %s does not exist", id);
	if (json_read_object(dfd, "state.json", 1 << 20, &o) < 0)
		return err_set(-EIO, "container %s has no readable state (%s): hv-runc delete --force %s removes it",
			       id, err_msg(), id);
#define STR(key, field)                                                                                                \
	if (json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string))                         \
	snprintf(st->field, sizeof(st->field), "%s", json_object_get_string(v))
	STR("id", id);
	STR("bundle", bundle);
	STR("rootfs", rootfs);
	STR("cgroup", cgroup);
	STR("created", created);
#undef STR
	if (json_object_object_get_ex(o, "pid", &v))
		st->pid = (pid_t)json_object_get_int(v);
	if (json_object_object_get_ex(o, "pid_start", &v))
		st->pid_start = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "started", &v))
		st->started = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "owner", &v))
		st->owner = (uid_t)json_object_get_int(v);
	if (st->pid <= 0 || strcmp(st->id, id))
		return err_set(-EIO, "container %s has a corrupt state file: hv-runc delete --force %s removes it", id,
			       id);
	return 0;
}

int ctr_state_save(const char *root, const struct ctr_state *st)
{
	char dir[4300];
	_cleanup_close_ int dfd = -1;
	_cleanup_json_ struct json_object *o = json_object_new_object();
	int r;

	if ((r = ctr_dir(root, st->id, dir, sizeof(dir))) < 0)
		return r;
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", dir);
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "cgroup", json_object_new_string(st->cgroup));
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
	char fifo[4400];
	struct cgroup cg;
	bool frozen = false;

	if (!st->pid)
		return CTR_CREATING;
	if (!init_alive(st))
		return CTR_STOPPED;
	if (!st->started && snprintf(fifo, sizeof(fifo), "%s/%s/exec.fifo", root, st->id) > 0 &&
	    access(fifo, F_OK) == 0)
		return CTR_CREATED;
	if (st->cgroup[0] && cg_open(&cg, st->cgroup) == 0 && cg_is_frozen(&cg, &frozen) == 0 && frozen)
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
	struct json_object *o = json_object_new_object(), *cfg = NULL, *ann;
	enum ctr_status s = ctr_status(root, st);
	char path[4200];

	json_object_object_add(o, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(o, "id", json_object_new_string(st->id));
	json_object_object_add(o, "status", json_object_new_string(ctr_status_name(s)));
	json_object_object_add(o, "pid", json_object_new_int(s == CTR_STOPPED ? 0 : st->pid));
	json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
	json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
	json_object_object_add(o, "created", json_object_new_string(st->created));
	json_object_object_add(o, "owner", json_object_new_string(st->owner ? "user" : "root"));
	snprintf(path, sizeof(path), "%s/config.json", st->bundle);
	if ((cfg = json_object_from_file(path)) && json_object_object_get_ex(cfg, "annotations", &ann))
		json_object_object_add(o, "annotations", json_object_get(ann));
	json_object_put(cfg);
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
