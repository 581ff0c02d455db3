/* SPDX-License-Identifier: MIT */
#include "oci/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"

static struct json_object *get(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int want(struct json_object *v, enum json_type t, const char *where)
{
	static const char *const names[] = { "null",	  "a boolean", "a number", "an integer",
					     "an object", "an array",  "a string" };
	if (v && !json_object_is_type(v, t) && !(t == json_type_double && json_object_is_type(v, json_type_int)))
		return err_set(-EINVAL, "config.json: %s must be %s", where, names[t]);
	return 0;
}

static int get_str(struct json_object *o, const char *key, const char *where, const char **out)
{
	struct json_object *v = get(o, key);
	int r = want(v, json_type_string, where);

	*out = r == 0 && v ? json_object_get_string(v) : NULL;
	return r;
}

static int get_u32(struct json_object *o, const char *key, const char *where, uint32_t *out, bool required)
{
	struct json_object *v = get(o, key);
	int64_t n;

	if (!v)
		return required ? err_set(-EINVAL, "config.json: %s is missing", where) : 0;
	if (!json_object_is_type(v, json_type_int) || (n = json_object_get_int64(v)) < 0 || n > UINT32_MAX)
		return err_set(-EINVAL, "config.json: %s must be a number from 0 to 4294967295", where);
	*out = (uint32_t)n;
	return 0;
}

/* A NULL-terminated array of the strings of a JSON array (borrowed). */
static int strings(struct json_object *arr, const char *where, char ***out)
{
	size_t n;
	char **v;

	*out = NULL;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return err_set(-EINVAL, "config.json: %s must be an array of strings", where);
	n = json_object_array_length(arr);
	if (!(v = calloc(n + 1, sizeof(*v))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(e, json_type_string)) {
			free(v);
			return err_set(-EINVAL, "config.json: %s[%zu] must be a string", where, i);
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

static int parse_rlimits(struct json_object *arr, struct oci_process *p, const char *where)
{
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > OCI_MAX_RLIMITS)
		return err_set(-EINVAL, "config.json: %s.rlimits must be an array of at most %d", where,
			       OCI_MAX_RLIMITS);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *v;
		const char *type = NULL;
		struct oci_rlimit *l = &p->rlimits[p->nrlimits];
		int r = get_str(e, "type", "process.rlimits[].type", &type);
		if (r < 0)
			return r;
		l->resource = -1;
		for (size_t k = 0; type && k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
			if (!strcmp(type, rlimit_names[k].name)) {
				l->resource = rlimit_names[k].resource;
				l->name = rlimit_names[k].name;
			}
		if (l->resource < 0)
			return err_set(-EINVAL, "config.json: %s.rlimits[%zu]: unknown type '%s'", where, i,
				       type ? type : "");
		if (!(v = get(e, "soft")) || !json_object_is_type(v, json_type_int))
			return err_set(-EINVAL, "config.json: %s.rlimits[%zu].soft must be a number", where, i);
		l->soft = (uint64_t)json_object_get_uint64(v);
		if (!(v = get(e, "hard")) || !json_object_is_type(v, json_type_int))
			return err_set(-EINVAL, "config.json: %s.rlimits[%zu].hard must be a number", where, i);
		l->hard = (uint64_t)json_object_get_uint64(v);
		if (l->soft > l->hard)
			return err_set(-EINVAL, "config.json: %s.rlimits[%zu]: soft is above hard", where, i);
		p->nrlimits++;
	}
	return 0;
}

int oci_process_parse(struct json_object *p, struct oci_process *out, const char *where)
{
	struct json_object *v, *user;
	uint32_t n;
	int r;

	memset(out, 0, sizeof(*out));
	if (!p || !json_object_is_type(p, json_type_object))
		return err_set(-EINVAL, "config.json: %s must be an object", where);
	if ((v = get(p, "terminal")) && (r = want(v, json_type_boolean, "process.terminal")) < 0)
		return r;
	out->terminal = v && json_object_get_boolean(v);
	if ((v = get(p, "consoleSize"))) {
		uint32_t h = 0, w = 0;
		if ((r = get_u32(v, "height", "process.consoleSize.height", &h, true)) < 0 ||
		    (r = get_u32(v, "width", "process.consoleSize.width", &w, true)) < 0)
			return r;
		out->rows = (unsigned short)h;
		out->cols = (unsigned short)w;
	}
	if (!(user = get(p, "user")))
		return err_set(-EINVAL, "config.json: %s.user is missing", where);
	if ((r = get_u32(user, "uid", "process.user.uid", &n, true)) < 0)
		return r;
	out->uid = n;
	if ((r = get_u32(user, "gid", "process.user.gid", &n, true)) < 0)
		return r;
	out->gid = n;
	if ((v = get(user, "umask"))) {
		if ((r = get_u32(user, "umask", "process.user.umask", &n, false)) < 0)
			return r;
		out->has_umask = true;
		out->umask = (mode_t)(n & 07777);
	}
	if ((v = get(user, "additionalGids"))) {
		if (!json_object_is_type(v, json_type_array) || json_object_array_length(v) > OCI_MAX_GROUPS)
			return err_set(-EINVAL,
				       "config.json: process.user.additionalGids must be an array of at most %d",
				       OCI_MAX_GROUPS);
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			struct json_object *g = json_object_array_get_idx(v, i);
			if (!json_object_is_type(g, json_type_int) || json_object_get_int64(g) < 0)
				return err_set(-EINVAL, "config.json: process.user.additionalGids[%zu] must be a gid",
					       i);
			out->groups[out->ngroups++] = (gid_t)json_object_get_int64(g);
		}
	}
	if ((r = strings(get(p, "args"), "process.args", &out->args)) < 0 ||
	    (r = strings(get(p, "env"), "process.env", &out->env)) < 0)
		return r;
	if (!out->args || !out->args[0])
		return err_set(-EINVAL, "config.json: %s.args must name a program", where);
	if ((r = get_str(p, "cwd", "process.cwd", &out->cwd)) < 0)
		return r;
	if (!out->cwd)
		out->cwd = "/";
	if (out->cwd[0] != '/')
		return err_set(-EINVAL, "config.json: process.cwd must be an absolute path (got '%s')", out->cwd);
	if ((r = caps_parse(get(p, "capabilities"), &out->caps)) < 0)
		return err_prefix(r, "config.json: process.capabilities");
	if ((r = parse_rlimits(get(p, "rlimits"), out, where)) < 0)
		return r;
	if ((v = get(p, "noNewPrivileges")))
		out->no_new_privileges = json_object_get_boolean(v);
	if ((v = get(p, "oomScoreAdj"))) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) < -1000 ||
		    json_object_get_int(v) > 1000)
			return err_set(-EINVAL, "config.json: process.oomScoreAdj must be -1000 to 1000");
		out->has_oom_score_adj = true;
		out->oom_score_adj = json_object_get_int(v);
	}
	return 0;
}

void oci_process_free(struct oci_process *p)
{
	free(p->args);
	free(p->env);
	p->args = p->env = NULL;
}

/* --- mounts --- */

static const struct {
	const char *name;
	unsigned long set, clear;
	bool propagation;
} mount_opts[] = {
	{ "ro", MS_RDONLY, 0, false },
	{ "rw", 0, MS_RDONLY, false },
	{ "nosuid", MS_NOSUID, 0, false },
	{ "suid", 0, MS_NOSUID, false },
	{ "nodev", MS_NODEV, 0, false },
	{ "dev", 0, MS_NODEV, false },
	{ "noexec", MS_NOEXEC, 0, false },
	{ "exec", 0, MS_NOEXEC, false },
	{ "sync", MS_SYNCHRONOUS, 0, false },
	{ "async", 0, MS_SYNCHRONOUS, false },
	{ "dirsync", MS_DIRSYNC, 0, false },
	{ "remount", MS_REMOUNT, 0, false },
	{ "mand", MS_MANDLOCK, 0, false },
	{ "nomand", 0, MS_MANDLOCK, false },
	{ "atime", 0, MS_NOATIME, false },
	{ "noatime", MS_NOATIME, 0, false },
	{ "diratime", 0, MS_NODIRATIME, false },
	{ "nodiratime", MS_NODIRATIME, 0, false },
	{ "relatime", MS_RELATIME, 0, false },
	{ "norelatime", 0, MS_RELATIME, false },
	{ "strictatime", MS_STRICTATIME, 0, false },
	{ "nostrictatime", 0, MS_STRICTATIME, false },
	{ "bind", MS_BIND, 0, false },
	{ "rbind", MS_BIND | MS_REC, 0, false },
	{ "private", MS_PRIVATE, 0, true },
	{ "rprivate", MS_PRIVATE | MS_REC, 0, true },
	{ "shared", MS_SHARED, 0, true },
	{ "rshared", MS_SHARED | MS_REC, 0, true },
	{ "slave", MS_SLAVE, 0, true },
	{ "rslave", MS_SLAVE | MS_REC, 0, true },
	{ "unbindable", MS_UNBINDABLE, 0, true },
	{ "runbindable", MS_UNBINDABLE | MS_REC, 0, true },
};

static int parse_mount(struct json_object *o, size_t i, struct oci_mount *m)
{
	struct json_object *opts;
	char where[64];
	int r;

	snprintf(where, sizeof(where), "mounts[%zu]", i);
	if ((r = get_str(o, "destination", where, &m->destination)) < 0 ||
	    (r = get_str(o, "type", where, &m->type)) < 0 || (r = get_str(o, "source", where, &m->source)) < 0)
		return r;
	if (!m->destination || m->destination[0] != '/')
		return err_set(-EINVAL, "config.json: %s.destination must be an absolute path", where);
	/* ".." could climb out of the root file system: refuse it outright */
	for (const char *p = m->destination; (p = strstr(p, "..")); p += 2)
		if ((p == m->destination || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return err_set(-EINVAL, "config.json: %s.destination '%s' contains '..'", where,
				       m->destination);
	if ((opts = get(o, "options"))) {
		if (!json_object_is_type(opts, json_type_array))
			return err_set(-EINVAL, "config.json: %s.options must be an array of strings", where);
		for (size_t k = 0; k < json_object_array_length(opts); k++) {
			const char *opt = json_object_get_string(json_object_array_get_idx(opts, k));
			bool known = false;
			for (size_t t = 0; opt && t < sizeof(mount_opts) / sizeof(mount_opts[0]); t++) {
				if (strcmp(opt, mount_opts[t].name))
					continue;
				known = true;
				if (mount_opts[t].propagation)
					m->propagation = mount_opts[t].set;
				else {
					m->flags = (m->flags & ~mount_opts[t].clear) | mount_opts[t].set;
					m->bind |= (mount_opts[t].set & MS_BIND) != 0;
				}
			}
			if (opt && !strcmp(opt, "tmpcopyup")) {
				m->tmpcopyup = known = true;
			}
			if (!known && opt) {
				/* the file system's own options (mode=755, size=65536k, ...) */
				size_t len = strlen(m->data);
				if (len + strlen(opt) + 2 > sizeof(m->data))
					return err_set(-EINVAL, "config.json: %s.options are too long", where);
				snprintf(m->data + len, sizeof(m->data) - len, "%s%s", len ? "," : "", opt);
			}
		}
	}
	if (!m->type)
		m->type = m->bind ? "bind" : "none";
	if (!strcmp(m->type, "bind"))
		m->bind = true, m->flags |= MS_BIND;
	if (m->bind && !m->source)
		return err_set(-EINVAL, "config.json: %s is a bind mount without a source", where);
	return 0;
}

/* --- linux --- */

static const struct {
	const char *name;
	int type;
} ns_names[] = { { "pid", CLONE_NEWPID },      { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		 { "ipc", CLONE_NEWIPC },      { "uts", CLONE_NEWUTS },	    { "user", CLONE_NEWUSER },
		 { "cgroup", CLONE_NEWCGROUP } };

static int parse_namespaces(struct json_object *arr, struct oci_spec *s)
{
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > 8)
		return err_set(-EINVAL, "config.json: linux.namespaces must be an array");
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		const char *type, *path;
		int r, t = 0;
		if ((r = get_str(e, "type", "linux.namespaces[].type", &type)) < 0 ||
		    (r = get_str(e, "path", "linux.namespaces[].path", &path)) < 0)
			return r;
		for (size_t k = 0; type && k < sizeof(ns_names) / sizeof(ns_names[0]); k++)
			if (!strcmp(type, ns_names[k].name))
				t = ns_names[k].type;
		if (!t)
			return err_set(-EINVAL, "config.json: linux.namespaces[%zu]: unknown type '%s'", i,
				       type ? type : "");
		for (size_t k = 0; k < s->nns; k++)
			if (s->ns[k].type == t)
				return err_set(-EINVAL, "config.json: linux.namespaces: '%s' twice", type);
		if (path && access(path, F_OK) < 0)
			return err_errno(-errno, "config.json: linux.namespaces[%zu].path %s", i, path);
		s->ns[s->nns++] = (struct oci_namespace){ t, path };
	}
	return 0;
}

static int parse_idmaps(struct json_object *arr, struct oci_idmap *out, size_t *n, const char *where)
{
	*n = 0;
	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > OCI_MAX_IDMAP)
		return err_set(-EINVAL, "config.json: %s must be an array of at most %d", where, OCI_MAX_IDMAP);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		int r;
		if ((r = get_u32(e, "containerID", where, &out[i].container, true)) < 0 ||
		    (r = get_u32(e, "hostID", where, &out[i].host, true)) < 0 ||
		    (r = get_u32(e, "size", where, &out[i].size, true)) < 0)
			return r;
		if (out[i].size == 0)
			return err_set(-EINVAL, "config.json: %s[%zu].size must not be 0", where, i);
		(*n)++;
	}
	return 0;
}

static int parse_devices(struct json_object *arr, struct oci_spec *s)
{
	size_t n;

	if (!arr)
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return err_set(-EINVAL, "config.json: linux.devices must be an array");
	n = json_object_array_length(arr);
	if (!(s->devices = calloc(n + 1, sizeof(*s->devices))))
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(arr, i), *v;
		struct oci_device *d = &s->devices[i];
		const char *type;
		uint32_t u;
		int r;
		if ((r = get_str(e, "path", "linux.devices[].path", &d->path)) < 0 ||
		    (r = get_str(e, "type", "linux.devices[].type", &type)) < 0)
			return r;
		if (!d->path || d->path[0] != '/' || strstr(d->path, ".."))
			return err_set(-EINVAL, "config.json: linux.devices[%zu].path must be an absolute path", i);
		if (!type || strlen(type) != 1 || !strchr("cbup", type[0]))
			return err_set(-EINVAL, "config.json: linux.devices[%zu].type must be c, b, u or p", i);
		d->type = type[0];
		d->major = (v = get(e, "major")) ? json_object_get_int64(v) : 0;
		d->minor = (v = get(e, "minor")) ? json_object_get_int64(v) : 0;
		d->mode = (v = get(e, "fileMode")) ? (mode_t)json_object_get_int(v) : 0666;
		if ((r = get_u32(e, "uid", "linux.devices[].uid", &u, false)) < 0)
			return r;
		d->uid = u;
		u = 0;
		if ((r = get_u32(e, "gid", "linux.devices[].gid", &u, false)) < 0)
			return r;
		d->gid = u;
		s->ndevices++;
	}
	return 0;
}

static int parse_paths(struct json_object *arr, const char ***out, size_t *n, const char *where)
{
	char **v;
	int r = strings(arr, where, &v);

	*out = (const char **)v;
	*n = 0;
	for (size_t i = 0; v && v[i]; i++, (*n)++)
		if (v[i][0] != '/')
			return err_set(-EINVAL, "config.json: %s[%zu] must be an absolute path", where, i);
	return r;
}

static int parse_hooks(struct json_object *hooks, struct oci_spec *s)
{
	static const char *const keys[HOOK_KINDS] = { "prestart",	"createRuntime", "createContainer",
						      "startContainer", "poststart",	 "poststop" };

	if (!hooks)
		return 0;
	for (int k = 0; k < HOOK_KINDS; k++) {
		struct json_object *arr = get(hooks, keys[k]);
		size_t n;
		if (!arr)
			continue;
		if (!json_object_is_type(arr, json_type_array))
			return err_set(-EINVAL, "config.json: hooks.%s must be an array", keys[k]);
		n = json_object_array_length(arr);
		if (!(s->hooks[k] = calloc(n + 1, sizeof(*s->hooks[k]))))
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(arr, i), *v;
			struct oci_hook *h = &s->hooks[k][i];
			int r;
			if ((r = get_str(e, "path", "hooks[].path", &h->path)) < 0)
				return r;
			if (!h->path || h->path[0] != '/')
				return err_set(-EINVAL, "config.json: hooks.%s[%zu].path must be an absolute path",
					       keys[k], i);
			if ((r = strings(get(e, "args"), "hooks[].args", &h->args)) < 0 ||
			    (r = strings(get(e, "env"), "hooks[].env", &h->env)) < 0)
				return r;
			if ((v = get(e, "timeout"))) {
				if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) <= 0)
					return err_set(-EINVAL, "config.json: hooks.%s[%zu].timeout must be positive",
						       keys[k], i);
				h->timeout = json_object_get_int(v);
			}
			s->nhooks[k]++;
		}
	}
	return 0;
}

const char *oci_hook_name(enum oci_hook_kind k)
{
	static const char *const names[HOOK_KINDS] = { "prestart",	 "createRuntime", "createContainer",
						       "startContainer", "poststart",	  "poststop" };
	return (unsigned)k < HOOK_KINDS ? names[k] : "?";
}

static int parse_propagation(const char *p, unsigned long *out)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} t[] = { { "private", MS_PRIVATE },	   { "rprivate", MS_PRIVATE | MS_REC },
		  { "slave", MS_SLAVE },	   { "rslave", MS_SLAVE | MS_REC },
		  { "shared", MS_SHARED },	   { "rshared", MS_SHARED | MS_REC },
		  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC } };

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(p, t[i].name)) {
			*out = t[i].flags;
			return 0;
		}
	return err_set(-EINVAL, "config.json: linux.rootfsPropagation: unknown '%s'", p);
}

static int parse_linux(struct json_object *l, struct oci_spec *s)
{
	const char *prop;
	int r;

	s->rootfs_propagation = MS_SLAVE | MS_REC;
	if (!l)
		return 0;
	if ((r = want(l, json_type_object, "linux")) < 0 || (r = parse_namespaces(get(l, "namespaces"), s)) < 0 ||
	    (r = parse_idmaps(get(l, "uidMappings"), s->uidmap, &s->nuidmap, "linux.uidMappings")) < 0 ||
	    (r = parse_idmaps(get(l, "gidMappings"), s->gidmap, &s->ngidmap, "linux.gidMappings")) < 0 ||
	    (r = parse_devices(get(l, "devices"), s)) < 0 ||
	    (r = parse_paths(get(l, "maskedPaths"), &s->masked, &s->nmasked, "linux.maskedPaths")) < 0 ||
	    (r = parse_paths(get(l, "readonlyPaths"), &s->readonly_paths, &s->nreadonly, "linux.readonlyPaths")) < 0 ||
	    (r = get_str(l, "cgroupsPath", "linux.cgroupsPath", &s->cgroups_path)) < 0 ||
	    (r = get_str(l, "rootfsPropagation", "linux.rootfsPropagation", &prop)) < 0)
		return r;
	if (prop && (r = parse_propagation(prop, &s->rootfs_propagation)) < 0)
		return r;
	s->resources = get(l, "resources");
	s->seccomp = get(l, "seccomp");
	s->sysctl = get(l, "sysctl");
	if ((r = want(s->resources, json_type_object, "linux.resources")) < 0 ||
	    (r = want(s->seccomp, json_type_object, "linux.seccomp")) < 0 ||
	    (r = want(s->sysctl, json_type_object, "linux.sysctl")) < 0)
		return r;
	bool userns = oci_spec_has_ns(s, CLONE_NEWUSER, NULL);
	if (userns && (!s->nuidmap || !s->ngidmap) && !oci_spec_has_ns(s, CLONE_NEWUSER, &prop))
		return err_set(-EINVAL, "config.json: a user namespace needs linux.uidMappings and gidMappings");
	return 0;
}

bool oci_spec_has_ns(const struct oci_spec *s, int type, const char **path)
{
	for (size_t i = 0; i < s->nns; i++)
		if (s->ns[i].type == type) {
			if (path)
				*path = s->ns[i].path;
			return !path || s->ns[i].path;
		}
	return false;
}

int oci_spec_load(const char *bundle, struct oci_spec **out)
{
	_cleanup_free_ struct oci_spec *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *abs = NULL;
	struct json_object *root, *v;
	const char *version, *path;
	char where[64];
	int r, dfd;

	if (!s)
		return -ENOMEM;
	if (!(abs = realpath(bundle, NULL)))
		return err_errno(-errno, "bundle %s", bundle);
	snprintf(s->bundle, sizeof(s->bundle), "%s", abs);
	dfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_errno(-errno, "bundle %s", abs);
	r = json_read_object(dfd, "config.json", 16 << 20, &s->root);
	close(dfd);
	if (r == -ENOENT)
		return err_set(r, "bundle %s has no config.json (hv ctr spec writes one)", abs);
	if (r < 0)
		return err_prefix(r, "bundle %s", abs);
	root = s->root;
	if ((r = get_str(root, "ociVersion", "ociVersion", &version)) < 0)
		goto fail;
	if (!version || strncmp(version, "1.", 2)) {
		r = err_set(-EINVAL, "config.json: ociVersion must be 1.x (got '%s')", version ? version : "none");
		goto fail;
	}
	if (!(v = get(root, "root")) || (r = get_str(v, "path", "root.path", &path)) < 0 || !path) {
		r = r < 0 ? r : err_set(-EINVAL, "config.json: root.path is missing");
		goto fail;
	}
	s->readonly = get(v, "readonly") && json_object_get_boolean(get(v, "readonly"));
	if (path[0] == '/')
		snprintf(s->rootfs, sizeof(s->rootfs), "%s", path);
	else
		snprintf(s->rootfs, sizeof(s->rootfs), "%s/%s", abs, path);
	{
		char *real = realpath(s->rootfs, NULL);
		if (!real) {
			r = err_errno(-errno, "root file system %s", s->rootfs);
			goto fail;
		}
		snprintf(s->rootfs, sizeof(s->rootfs), "%s", real);
		free(real);
	}
	if ((r = get_str(root, "hostname", "hostname", &s->hostname)) < 0 ||
	    (r = get_str(root, "domainname", "domainname", &s->domainname)) < 0)
		goto fail;
	if ((r = oci_process_parse(get(root, "process"), &s->process, "process")) < 0)
		goto fail;
	if ((v = get(root, "mounts"))) {
		if (!json_object_is_type(v, json_type_array)) {
			r = err_set(-EINVAL, "config.json: mounts must be an array");
			goto fail;
		}
		s->nmounts = json_object_array_length(v);
		if (!(s->mounts = calloc(s->nmounts + 1, sizeof(*s->mounts)))) {
			r = -ENOMEM;
			goto fail;
		}
		for (size_t i = 0; i < s->nmounts; i++)
			if ((r = parse_mount(json_object_array_get_idx(v, i), i, &s->mounts[i])) < 0)
				goto fail;
	}
	if ((r = parse_linux(get(root, "linux"), s)) < 0 || (r = parse_hooks(get(root, "hooks"), s)) < 0)
		goto fail;
	s->annotations = get(root, "annotations");
	if ((r = want(s->annotations, json_type_object, "annotations")) < 0)
		goto fail;
	(void)where;
	*out = TAKE_PTR(s);
	return 0;
fail:
	oci_spec_free(TAKE_PTR(s));
	return r;
}

void oci_spec_free(struct oci_spec *s)
{
	if (!s)
		return;
	oci_process_free(&s->process);
	for (int k = 0; k < HOOK_KINDS; k++) {
		for (size_t i = 0; i < s->nhooks[k]; i++) {
			free(s->hooks[k][i].args);
			free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	free(s->mounts);
	free(s->devices);
	free(s->masked);
	free(s->readonly_paths);
	json_object_put(s->root);
	free(s);
}
