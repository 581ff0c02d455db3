/* SPDX-License-Identifier: MIT */
/*
 * The "process" object of an OCI config (runtime-spec config.md
 * "Process"): args, env, cwd, user, rlimits, umask, oomScoreAdj, console
 * size and the LSM labels, read from config.json and, for exec, from a
 * process.json; and the strings-array helper spec.c uses too.
 */
#include "oci/spec.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "oci/spec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"

int spec_strings(struct json_object *arr, const char *where, char ***out)
{
	size_t n;
	char **v;

	*out = NULL;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return err_set(-EINVAL, "%s: expected an array of strings, got %s", where, json_kind_name(arr));
	n = json_object_array_length(arr);
	if (!(v = calloc(n + 1, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string)) {
			free(v);
			return err_set(-EINVAL, "%s[%zu]: expected a string, got %s", where, i, json_kind_name(e));
		}
		v[i] = (char *)json_object_get_string(e);
	}
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

struct rlimit_json {
	const char *type;
	uint64_t soft, hard;
};

static int parse_rlimit(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("type", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct rlimit_json, type),
		JSON_FIELD("soft", JSON_UINT64, JSON_REQUIRED | JSON_NULLABLE, struct rlimit_json, soft),
		JSON_FIELD("hard", JSON_UINT64, JSON_REQUIRED | JSON_NULLABLE, struct rlimit_json, hard),
		JSON_FIELD_END,
	};
	struct oci_process *p = ctx;
	struct oci_rlimit *l = &p->rlimits[i];
	struct rlimit_json j = { 0 };
	int r;

	if ((r = json_dispatch(e, fields, &j, epath, 0)) < 0)
		return r;
	l->resource = -1;
	for (size_t k = 0; k < ARRAY_SIZE(rlimit_names); k++)
		if (!strcmp(j.type, rlimit_names[k].name)) {
			l->resource = rlimit_names[k].resource;
			l->name = rlimit_names[k].name;
		}
	if (l->resource < 0)
		return err_set(-EINVAL, "%s: unknown type '%s'", epath, j.type);
	if (j.soft > j.hard)
		return err_set(-EINVAL, "%s: soft is above hard", epath);
	l->soft = j.soft;
	l->hard = j.hard;
	p->nrlimits++;
	return 0;
}

static int parse_gid(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	struct oci_process *p = ctx;
	int64_t g;

	if (!json_object_is_type(e, json_type_int) || (g = json_object_get_int64(e)) < 0 || g > UINT32_MAX)
		return err_set(-EINVAL, "%s must be a gid (got %s)", epath, json_kind_name(e));
	p->groups[i] = (gid_t)g;
	p->ngroups++;
	return 0;
}

/* An optional number and whether it was given. */
struct opt_int {
	int64_t v;
	bool set;
};

static int parse_umask(struct json_object *v, void *dst, const char *path)
{
	struct opt_int *o = dst;

	if (!json_object_is_type(v, json_type_int) || (o->v = json_object_get_int64(v)) < 0 || o->v > UINT32_MAX)
		return err_set(-EINVAL, "%s must be a number from 0 to 4294967295", path);
	o->v &= 07777;
	o->set = true;
	return 0;
}

struct user_json {
	unsigned uid, gid;
	struct opt_int umask;
	struct json_object *gids;
};

static int parse_user(struct json_object *o, struct oci_process *out, const char *where)
{
	static const struct json_field fields[] = {
		JSON_FIELD("uid", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct user_json, uid),
		JSON_FIELD("gid", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct user_json, gid),
		JSON_FIELD_CUSTOM("umask", JSON_NULLABLE, struct user_json, umask, parse_umask),
		JSON_FIELD("additionalGids", JSON_ARRAY, JSON_NULLABLE, struct user_json, gids),
		JSON_FIELD_END,
	};
	struct user_json u = { 0 };
	char path[512];
	int r;

	snprintf(path, sizeof(path), "%s.user", where);
	if ((r = json_dispatch(o, fields, &u, path, 0)) < 0)
		return r;
	out->uid = u.uid;
	out->gid = u.gid;
	out->has_umask = u.umask.set;
	out->umask = (mode_t)u.umask.v;
	snprintf(path, sizeof(path), "%s.user.additionalGids", where);
	return spec_each(u.gids, path, OCI_MAX_GROUPS, parse_gid, out);
}

struct process_json {
	bool terminal, no_new_privileges;
	struct json_object *console, *user, *args, *env, *caps, *rlimits;
	const char *cwd;
	struct opt_int oom_score_adj;
	const char *apparmor, *selinux;
};

static int parse_oom(struct json_object *v, void *dst, const char *path)
{
	struct opt_int *o = dst;

	if (!json_object_is_type(v, json_type_int) || (o->v = json_object_get_int64(v)) < -1000 || o->v > 1000)
		return err_set(-EINVAL, "%s must be -1000 to 1000", path);
	o->set = true;
	return 0;
}

struct console_json {
	unsigned height, width;
};

int oci_process_parse(struct json_object *p, struct oci_process *out, const char *where)
{
	static const struct json_field fields[] = {
		JSON_FIELD("terminal", JSON_BOOL, JSON_NULLABLE, struct process_json, terminal),
		JSON_FIELD("consoleSize", JSON_OBJECT, JSON_NULLABLE, struct process_json, console),
		JSON_FIELD("user", JSON_OBJECT, JSON_REQUIRED | JSON_NULLABLE, struct process_json, user),
		JSON_FIELD("args", JSON_ARRAY, JSON_NULLABLE, struct process_json, args),
		JSON_FIELD("env", JSON_ARRAY, JSON_NULLABLE, struct process_json, env),
		JSON_FIELD("cwd", JSON_STR, JSON_NULLABLE, struct process_json, cwd),
		JSON_FIELD("capabilities", JSON_ANY, JSON_NULLABLE, struct process_json, caps),
		JSON_FIELD("rlimits", JSON_ARRAY, JSON_NULLABLE, struct process_json, rlimits),
		JSON_FIELD("noNewPrivileges", JSON_BOOL, JSON_NULLABLE, struct process_json, no_new_privileges),
		JSON_FIELD_CUSTOM("oomScoreAdj", JSON_NULLABLE, struct process_json, oom_score_adj, parse_oom),
		JSON_FIELD("apparmorProfile", JSON_STR, JSON_NULLABLE, struct process_json, apparmor),
		JSON_FIELD("selinuxLabel", JSON_STR, JSON_NULLABLE, struct process_json, selinux),
		JSON_FIELD_END,
	};
	static const struct json_field console_fields[] = {
		JSON_FIELD("height", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct console_json, height),
		JSON_FIELD("width", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct console_json, width),
		JSON_FIELD_END,
	};
	struct process_json j = { 0 };
	char path[512];
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s", where);
	if (!p)
		return err_set(-EINVAL, "%s is missing", path);
	if ((r = json_dispatch(p, fields, &j, path, 0)) < 0)
		return r;
	out->terminal = j.terminal;
	if (j.console) {
		struct console_json c = { 0 };
		snprintf(path, sizeof(path), "%s.consoleSize", where);
		if ((r = json_dispatch(j.console, console_fields, &c, path, 0)) < 0)
			return r;
		out->rows = (unsigned short)c.height;
		out->cols = (unsigned short)c.width;
	}
	if ((r = parse_user(j.user, out, where)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s.args", where);
	if ((r = spec_strings(j.args, path, &out->args)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s.env", where);
	if ((r = spec_strings(j.env, path, &out->env)) < 0)
		return r;
	if (!out->args || !out->args[0])
		return err_set(-EINVAL, "%s.args must name a program", where);
	out->cwd = j.cwd ? j.cwd : "/";
	if (out->cwd[0] != '/')
		return err_set(-EINVAL, "%s.cwd must be an absolute path (got '%s')", where, out->cwd);
	if ((r = caps_parse(j.caps, &out->caps)) < 0)
		return err_prefix(r, "%s.capabilities", where);
	snprintf(path, sizeof(path), "%s.rlimits", where);
	if ((r = spec_each(j.rlimits, path, OCI_MAX_RLIMITS, parse_rlimit, out)) < 0)
		return r;
	out->no_new_privileges = j.no_new_privileges;
	out->has_oom_score_adj = j.oom_score_adj.set;
	out->oom_score_adj = (int)j.oom_score_adj.v;
	out->apparmor_profile = j.apparmor && *j.apparmor ? j.apparmor : NULL;
	out->selinux_label = j.selinux && *j.selinux ? j.selinux : NULL;
	return 0;
}

void oci_process_free(struct oci_process *p)
{
	free(p->args);
	free(p->env);
	p->args = p->env = NULL;
}
