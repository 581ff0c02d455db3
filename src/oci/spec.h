/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * An OCI bundle's config.json (runtime-spec 1.x, config.md and
 * config-linux.md), parsed and validated before anything is created:
 * a bad config fails with the field's name and nothing left behind.
 * Strings point into the JSON tree, which the spec owns.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "oci/caps.h"

struct json_object;

#define OCI_MAX_IDMAP	16
#define OCI_MAX_GROUPS	64
#define OCI_MAX_RLIMITS 16

struct oci_rlimit {
	int resource;
	const char *name; /* "RLIMIT_NOFILE" */
	uint64_t soft, hard;
};

struct oci_process {
	bool terminal;
	unsigned short rows, cols;
	uid_t uid;
	gid_t gid;
	gid_t groups[OCI_MAX_GROUPS];
	size_t ngroups;
	bool has_umask;
	mode_t umask;
	char **args; /* NULL-terminated, malloc'ed array of borrowed strings */
	char **env;
	const char *cwd;
	struct oci_caps caps;
	struct oci_rlimit rlimits[OCI_MAX_RLIMITS];
	size_t nrlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	const char *apparmor_profile, *selinux_label; /* NULL: none (lsm.h) */
};

struct oci_mount {
	const char *destination, *type, *source;
	unsigned long flags;	   /* MS_* for the mount itself */
	unsigned long propagation; /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE (| MS_REC), 0: none */
	bool bind;		   /* bind or rbind: flags other than MS_BIND|MS_REC need a remount */
	bool tmpcopyup;		   /* tmpfs: starts with what the directory held */
	char data[512];		   /* the options mount(2) does not take as flags */
};

struct oci_namespace {
	int type; /* CLONE_NEW* */
	const char *path;
};

struct oci_idmap {
	uint32_t container, host, size;
};

struct oci_device {
	const char *path;
	char type; /* c, b, u, p */
	long major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct oci_hook {
	const char *path;
	char **args;
	char **env;
	int timeout; /* seconds, 0: none */
};

enum oci_hook_kind {
	HOOK_PRESTART,
	HOOK_CREATE_RUNTIME,
	HOOK_CREATE_CONTAINER,
	HOOK_START_CONTAINER,
	HOOK_POSTSTART,
	HOOK_POSTSTOP,
	HOOK_KINDS
};

struct oci_spec {
	struct json_object *root;
	char bundle[4096], rootfs[4096];
	bool readonly;
	const char *hostname, *domainname;
	struct oci_process process;
	struct oci_mount *mounts;
	size_t nmounts;
	struct oci_namespace ns[8];
	size_t nns;
	struct oci_idmap uidmap[OCI_MAX_IDMAP], gidmap[OCI_MAX_IDMAP];
	size_t nuidmap, ngidmap;
	const char *cgroups_path;
	const char *mount_label; /* linux.mountLabel (SELinux) */
	struct json_object *resources, *seccomp, *sysctl, *annotations;
	struct oci_device *devices;
	size_t ndevices;
	const char **masked, **readonly_paths;
	size_t nmasked, nreadonly;
	unsigned long rootfs_propagation;
	struct oci_hook *hooks[HOOK_KINDS];
	size_t nhooks[HOOK_KINDS];
};

int oci_spec_load(const char *bundle, struct oci_spec **out);
void oci_spec_free(struct oci_spec *s);
/* A "process" object on its own (hv-runc exec --process FILE); where
 * names it in messages ("config.json: process", "--process FILE"). */
int oci_process_parse(struct json_object *p, struct oci_process *out, const char *where);
void oci_process_free(struct oci_process *p);
bool oci_spec_has_ns(const struct oci_spec *s, int type, const char **path);
/* The default config.json of hv ctr spec. */
struct json_object *oci_spec_default(void);
const char *oci_hook_name(enum oci_hook_kind k);
