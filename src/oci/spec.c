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
#include <unistd.h>

#include "oci/spec-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

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

struct mount_json {
	const char *destination, *type, *source;
	struct json_object *options;
};

static int mount_option(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	struct oci_mount *m = ctx;
	const char *opt;
	bool known = false;

	(void)i;
	if (!json_object_is_type(e, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", epath, json_kind_name(e));
	opt = json_object_get_string(e);
	for (size_t t = 0; t < ARRAY_SIZE(mount_opts); t++) {
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
	if (!strcmp(opt, "tmpcopyup"))
		m->tmpcopyup = known = true;
	if (!known) {
		/* the file system's own options (mode=755, size=65536k, ...) */
		size_t len = strlen(m->data);
		if (len + strlen(opt) + 2 > sizeof(m->data))
			return err_set(-EINVAL, "%s: the options are too long", epath);
		snprintf(m->data + len, sizeof(m->data) - len, "%s%s", len ? "," : "", opt);
	}
	return 0;
}

static int parse_mount(struct json_object *o, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("destination", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct mount_json, destination),
		JSON_FIELD("type", JSON_STR, JSON_NULLABLE, struct mount_json, type),
		JSON_FIELD("source", JSON_STR, JSON_NULLABLE, struct mount_json, source),
		JSON_FIELD("options", JSON_ARRAY, JSON_NULLABLE, struct mount_json, options),
		JSON_FIELD_END,
	};
	struct oci_spec *s = ctx;
	struct oci_mount *m = &s->mounts[i];
	struct mount_json j = { 0 };
	char path[512];
	int r;

	if ((r = json_dispatch(o, fields, &j, epath, 0)) < 0)
		return r;
	m->destination = j.destination;
	m->type = j.type;
	m->source = j.source;
	if (m->destination[0] != '/')
		return err_set(-EINVAL, "%s.destination must be an absolute path", epath);
	/* ".." could climb out of the root file system: refuse it outright */
	for (const char *p = m->destination; (p = strstr(p, "..")); p += 2)
		if ((p == m->destination || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return err_set(-EINVAL, "%s.destination '%s' contains '..'", epath, m->destination);
	snprintf(path, sizeof(path), "%s.options", epath);
	if (j.options && (r = json_array_each(j.options, path, 0, mount_option, m)) < 0)
		return r;
	if (!m->type)
		m->type = m->bind ? "bind" : "none";
	if (!strcmp(m->type, "bind"))
		m->bind = true, m->flags |= MS_BIND;
	if (m->bind && !m->source)
		return err_set(-EINVAL, "%s is a bind mount without a source", epath);
	s->nmounts++;
	return 0;
}

/* --- linux --- */

static const struct {
	const char *name;
	int type;
} ns_names[] = { { "pid", CLONE_NEWPID },      { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
		 { "ipc", CLONE_NEWIPC },      { "uts", CLONE_NEWUTS },	    { "user", CLONE_NEWUSER },
		 { "cgroup", CLONE_NEWCGROUP } };

struct ns_json {
	const char *type, *path;
};

static int parse_namespace(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("type", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct ns_json, type),
		JSON_FIELD("path", JSON_STR, JSON_NULLABLE, struct ns_json, path),
		JSON_FIELD_END,
	};
	struct oci_spec *s = ctx;
	struct ns_json j = { 0 };
	int r, t = 0;

	if ((r = json_dispatch(e, fields, &j, epath, 0)) < 0)
		return r;
	for (size_t k = 0; k < ARRAY_SIZE(ns_names); k++)
		if (!strcmp(j.type, ns_names[k].name))
			t = ns_names[k].type;
	if (!t)
		return err_set(-EINVAL, "%s: unknown type '%s'", epath, j.type);
	for (size_t k = 0; k < s->nns; k++)
		if (s->ns[k].type == t)
			return err_set(-EINVAL, CFG "linux.namespaces: '%s' twice", j.type);
	if (j.path && access(j.path, F_OK) < 0)
		return err_errno(-errno, "%s.path %s", epath, j.path);
	(void)i;
	s->ns[s->nns++] = (struct oci_namespace){ t, j.path };
	return 0;
}

struct idmaps {
	struct oci_idmap *map;
	size_t *n;
};

static int parse_idmap(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("containerID", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct oci_idmap, container),
		JSON_FIELD("hostID", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct oci_idmap, host),
		JSON_FIELD("size", JSON_UINT, JSON_REQUIRED | JSON_NULLABLE, struct oci_idmap, size),
		JSON_FIELD_END,
	};
	struct idmaps *m = ctx;
	int r;

	if ((r = json_dispatch(e, fields, &m->map[i], epath, 0)) < 0)
		return r;
	if (m->map[i].size == 0)
		return err_set(-EINVAL, "%s.size must not be 0", epath);
	(*m->n)++;
	return 0;
}

struct device_json {
	const char *path, *type;
	int64_t major, minor;
	unsigned mode, uid, gid;
};

static int parse_device(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("path", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct device_json, path),
		JSON_FIELD("type", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct device_json, type),
		JSON_FIELD("major", JSON_INT64, JSON_NULLABLE, struct device_json, major),
		JSON_FIELD("minor", JSON_INT64, JSON_NULLABLE, struct device_json, minor),
		JSON_FIELD("fileMode", JSON_UINT, JSON_NULLABLE, struct device_json, mode),
		JSON_FIELD("uid", JSON_UINT, JSON_NULLABLE, struct device_json, uid),
		JSON_FIELD("gid", JSON_UINT, JSON_NULLABLE, struct device_json, gid),
		JSON_FIELD_END,
	};
	struct oci_spec *s = ctx;
	struct oci_device *d = &s->devices[i];
	struct device_json j = { .mode = 0666 };
	int r;

	if ((r = json_dispatch(e, fields, &j, epath, 0)) < 0)
		return r;
	if (j.path[0] != '/' || strstr(j.path, ".."))
		return err_set(-EINVAL, "%s.path must be an absolute path", epath);
	if (strlen(j.type) != 1 || !strchr("cbup", j.type[0]))
		return err_set(-EINVAL, "%s.type must be c, b, u or p", epath);
	*d = (struct oci_device){ .path = j.path,
				  .type = j.type[0],
				  .major = (long)j.major,
				  .minor = (long)j.minor,
				  .mode = (mode_t)j.mode,
				  .uid = j.uid,
				  .gid = j.gid };
	s->ndevices++;
	return 0;
}

static int parse_paths(struct json_object *arr, const char ***out, size_t *n, const char *where)
{
	char **v;
	int r = spec_strings(arr, where, &v);

	*out = (const char **)v;
	*n = 0;
	for (size_t i = 0; v && v[i]; i++, (*n)++)
		if (v[i][0] != '/')
			return err_set(-EINVAL, "%s[%zu] must be an absolute path", where, i);
	return r;
}

struct hook_json {
	const char *path;
	struct json_object *args, *env;
	int timeout;
};

static int parse_hook(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("path", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct hook_json, path),
		JSON_FIELD("args", JSON_ARRAY, JSON_NULLABLE, struct hook_json, args),
		JSON_FIELD("env", JSON_ARRAY, JSON_NULLABLE, struct hook_json, env),
		JSON_FIELD_RANGE("timeout", JSON_INT, JSON_NULLABLE, struct hook_json, timeout, 1, INT_MAX),
		JSON_FIELD_END,
	};
	struct oci_hook *h = (struct oci_hook *)ctx + i;
	struct hook_json j = { 0 };
	char path[256];
	int r;

	if ((r = json_dispatch(e, fields, &j, epath, 0)) < 0)
		return r;
	h->path = j.path;
	h->timeout = j.timeout;
	if (h->path[0] != '/')
		return err_set(-EINVAL, "%s.path must be an absolute path", epath);
	snprintf(path, sizeof(path), "%s.args", epath);
	if ((r = spec_strings(j.args, path, &h->args)) < 0)
		return r;
	snprintf(path, sizeof(path), "%s.env", epath);
	return spec_strings(j.env, path, &h->env);
}

static const char *const hook_keys[HOOK_KINDS] = { "prestart",	     "createRuntime", "createContainer",
						   "startContainer", "poststart",     "poststop" };

static int parse_hooks(struct json_object *hooks, struct oci_spec *s)
{
	for (int k = 0; hooks && k < HOOK_KINDS; k++) {
		struct json_object *arr = NULL;
		char where[128];
		int r = json_get_array(hooks, hook_keys[k], CFG "hooks", &arr);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return r;
		if (!(s->hooks[k] = calloc(json_object_array_length(arr) + 1, sizeof(*s->hooks[k]))))
			return -ENOMEM;
		/* all of them, so that oci_spec_free frees a half-parsed one */
		s->nhooks[k] = json_object_array_length(arr);
		snprintf(where, sizeof(where), CFG "hooks.%s", hook_keys[k]);
		if ((r = spec_each(arr, where, 0, parse_hook, s->hooks[k])) < 0)
			return r;
	}
	return 0;
}

const char *oci_hook_name(enum oci_hook_kind k)
{
	return (unsigned)k < HOOK_KINDS ? hook_keys[k] : "?";
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

struct linux_json {
	struct json_object *namespaces, *uidmap, *gidmap, *devices, *masked, *readonly;
	const char *cgroups_path, *propagation, *mount_label;
	struct json_object *resources, *seccomp, *sysctl;
};

static int check_sysctl(struct json_object *sysctl)
{
	json_object_object_foreach(sysctl, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return err_set(-EINVAL, CFG "linux.sysctl.%s: expected a string, got %s", key,
				       json_kind_name(val));
	}
	return 0;
}

static int parse_linux(struct json_object *l, struct oci_spec *s)
{
	static const struct json_field fields[] = {
		JSON_FIELD("namespaces", JSON_ARRAY, JSON_NULLABLE, struct linux_json, namespaces),
		JSON_FIELD("uidMappings", JSON_ARRAY, JSON_NULLABLE, struct linux_json, uidmap),
		JSON_FIELD("gidMappings", JSON_ARRAY, JSON_NULLABLE, struct linux_json, gidmap),
		JSON_FIELD("devices", JSON_ARRAY, JSON_NULLABLE, struct linux_json, devices),
		JSON_FIELD("maskedPaths", JSON_ARRAY, JSON_NULLABLE, struct linux_json, masked),
		JSON_FIELD("readonlyPaths", JSON_ARRAY, JSON_NULLABLE, struct linux_json, readonly),
		JSON_FIELD("cgroupsPath", JSON_STR, JSON_NULLABLE, struct linux_json, cgroups_path),
		JSON_FIELD("rootfsPropagation", JSON_STR, JSON_NULLABLE, struct linux_json, propagation),
		JSON_FIELD("resources", JSON_OBJECT, JSON_NULLABLE, struct linux_json, resources),
		JSON_FIELD("seccomp", JSON_OBJECT, JSON_NULLABLE, struct linux_json, seccomp),
		JSON_FIELD("sysctl", JSON_OBJECT, JSON_NULLABLE, struct linux_json, sysctl),
		JSON_FIELD("mountLabel", JSON_STR, JSON_NULLABLE, struct linux_json, mount_label),
		JSON_FIELD_END,
	};
	struct linux_json j = { 0 };
	struct idmaps uid = { s->uidmap, &s->nuidmap }, gid = { s->gidmap, &s->ngidmap };
	const char *userns_path = NULL;
	int r;

	s->rootfs_propagation = MS_SLAVE | MS_REC;
	if (!l)
		return 0;
	if ((r = json_dispatch(l, fields, &j, CFG "linux", 0)) < 0)
		return r;
	if (j.devices && !(s->devices = calloc(json_object_array_length(j.devices) + 1, sizeof(*s->devices))))
		return -ENOMEM;
	if ((r = spec_each(j.namespaces, CFG "linux.namespaces", ARRAY_SIZE(s->ns), parse_namespace, s)) < 0 ||
	    (r = spec_each(j.uidmap, CFG "linux.uidMappings", OCI_MAX_IDMAP, parse_idmap, &uid)) < 0 ||
	    (r = spec_each(j.gidmap, CFG "linux.gidMappings", OCI_MAX_IDMAP, parse_idmap, &gid)) < 0 ||
	    (r = spec_each(j.devices, CFG "linux.devices", 0, parse_device, s)) < 0 ||
	    (r = parse_paths(j.masked, &s->masked, &s->nmasked, CFG "linux.maskedPaths")) < 0 ||
	    (r = parse_paths(j.readonly, &s->readonly_paths, &s->nreadonly, CFG "linux.readonlyPaths")) < 0)
		return r;
	s->cgroups_path = j.cgroups_path;
	s->mount_label = j.mount_label && *j.mount_label ? j.mount_label : NULL;
	if (j.propagation && (r = parse_propagation(j.propagation, &s->rootfs_propagation)) < 0)
		return r;
	s->resources = j.resources;
	s->seccomp = j.seccomp;
	s->sysctl = j.sysctl;
	if (s->sysctl && (r = check_sysctl(s->sysctl)) < 0)
		return r;
	bool userns = oci_spec_has_ns(s, CLONE_NEWUSER, NULL);
	if (userns && (!s->nuidmap || !s->ngidmap) && !oci_spec_has_ns(s, CLONE_NEWUSER, &userns_path))
		return err_set(-EINVAL, CFG "a user namespace needs linux.uidMappings and gidMappings");
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

/* Without a mount namespace the container shares the host's mounts, as
 * runc runs it: the process is chrooted into root.path and hv mounts
 * nothing (runc would mount the config's mounts into the host's
 * namespace, where they outlive the container).  What needs a mount of
 * its own is refused, not dropped. */
static int check_host_mounts(const struct oci_spec *s)
{
	const char *what = NULL;

	if (oci_spec_has_ns(s, CLONE_NEWNS, NULL))
		return 0;
	if (s->nmasked || s->nreadonly)
		/* runc's words (libcontainer/configs/validate) */
		return err_set(-EINVAL, CFG "unable to restrict sys entries (linux.maskedPaths, linux.readonlyPaths) "
					    "without a private mount namespace (linux.namespaces: mount)");
	if (s->nmounts)
		what = "mounts";
	else if (s->readonly)
		what = "root.readonly";
	else if (s->ndevices)
		what = "linux.devices";
	if (what)
		return err_set(-EINVAL,
			       CFG "%s needs a mount namespace (linux.namespaces: mount): without one the container "
				   "shares the host's mounts, which hv does not change",
			       what);
	return 0;
}

struct config_json {
	const char *version, *hostname, *domainname;
	struct json_object *root, *process, *mounts, *linux_, *hooks, *annotations;
};

struct root_json {
	const char *path;
	bool readonly;
};

/* The fields of config.json; the spec's tree stays the owner of the strings. */
static int parse_config(struct oci_spec *s, const char *abs)
{
	static const struct json_field fields[] = {
		JSON_FIELD("ociVersion", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct config_json, version),
		JSON_FIELD("root", JSON_OBJECT, JSON_REQUIRED | JSON_NULLABLE, struct config_json, root),
		JSON_FIELD("hostname", JSON_STR, JSON_NULLABLE, struct config_json, hostname),
		JSON_FIELD("domainname", JSON_STR, JSON_NULLABLE, struct config_json, domainname),
		JSON_FIELD("process", JSON_OBJECT, JSON_NULLABLE, struct config_json, process),
		JSON_FIELD("mounts", JSON_ARRAY, JSON_NULLABLE, struct config_json, mounts),
		JSON_FIELD("linux", JSON_OBJECT, JSON_NULLABLE, struct config_json, linux_),
		JSON_FIELD("hooks", JSON_OBJECT, JSON_NULLABLE, struct config_json, hooks),
		JSON_FIELD("annotations", JSON_OBJECT, JSON_NULLABLE, struct config_json, annotations),
		JSON_FIELD_END,
	};
	static const struct json_field root_fields[] = {
		JSON_FIELD("path", JSON_STR, JSON_REQUIRED | JSON_NULLABLE, struct root_json, path),
		JSON_FIELD("readonly", JSON_BOOL, JSON_NULLABLE, struct root_json, readonly),
		JSON_FIELD_END,
	};
	struct config_json c = { 0 };
	struct root_json root = { 0 };
	_cleanup_free_ char *rootfs = NULL, *real = NULL;
	int r;

	if ((r = json_dispatch(s->root, fields, &c, "config.json", 0)) < 0)
		return r;
	if (strncmp(c.version, "1.", 2))
		return err_set(-EINVAL, CFG "ociVersion must be 1.x (got '%s')", c.version);
	if ((r = json_dispatch(c.root, root_fields, &root, CFG "root", 0)) < 0)
		return r;
	s->readonly = root.readonly;
	if (asprintf(&rootfs, "%s%s%s", root.path[0] == '/' ? "" : abs, root.path[0] == '/' ? "" : "/", root.path) <
	    0) {
		rootfs = NULL;
		return -ENOMEM;
	}
	if (!(real = realpath(rootfs, NULL)))
		return err_errno(-errno, "root file system %s", rootfs);
	if (fs_path(s->rootfs, sizeof(s->rootfs), "%s", real) < 0)
		return err_set(-ENAMETOOLONG, "root file system %s: the path is too long", real);
	s->hostname = c.hostname;
	s->domainname = c.domainname;
	if ((r = oci_process_parse(c.process, &s->process, CFG "process")) < 0)
		return r;
	if (c.mounts && !(s->mounts = calloc(json_object_array_length(c.mounts) + 1, sizeof(*s->mounts))))
		return -ENOMEM;
	if ((r = spec_each(c.mounts, CFG "mounts", 0, parse_mount, s)) < 0 || (r = parse_linux(c.linux_, s)) < 0 ||
	    (r = parse_hooks(c.hooks, s)) < 0 || (r = check_host_mounts(s)) < 0)
		return r;
	s->annotations = c.annotations;
	return 0;
}

int oci_spec_load(const char *bundle, struct oci_spec **out)
{
	struct oci_spec *s = calloc(1, sizeof(*s));
	_cleanup_free_ char *abs = NULL;
	_cleanup_close_ int dfd = -1;
	int r;

	if (!s)
		return -ENOMEM;
	if (!(abs = realpath(bundle, NULL))) {
		r = err_errno(-errno, "bundle %s", bundle);
		goto fail;
	}
	if ((r = fs_path(s->bundle, sizeof(s->bundle), "%s", abs)) < 0)
		goto fail;
	if ((dfd = open(abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = err_errno(-errno, "bundle %s", abs);
		goto fail;
	}
	r = json_read_object(dfd, "config.json", 16 << 20, &s->root);
	if (r == -ENOENT)
		r = err_set(r, "bundle %s has no config.json (hv ctr spec writes one)", abs);
	else if (r < 0)
		r = err_prefix(r, "bundle %s", abs);
	else
		r = parse_config(s, abs);
	if (r < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	oci_spec_free(s);
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
