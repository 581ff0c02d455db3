/* SPDX-License-Identifier: MIT */
/* Linux capabilities of a container process (OCI runtime spec, config.md
 * "process.capabilities"), applied with raw capget/capset and prctl so hv
 * needs no libcap.  See capabilities(7) for the rules this follows. */
#include "oci/caps.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"

/* Indexed by capability number, as in linux/capability.h. */
static const char *const cap_names[] = {
	[CAP_CHOWN] = "CAP_CHOWN",
	[CAP_DAC_OVERRIDE] = "CAP_DAC_OVERRIDE",
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_FOWNER] = "CAP_FOWNER",
	[CAP_FSETID] = "CAP_FSETID",
	[CAP_KILL] = "CAP_KILL",
	[CAP_SETGID] = "CAP_SETGID",
	[CAP_SETUID] = "CAP_SETUID",
	[CAP_SETPCAP] = "CAP_SETPCAP",
	[CAP_LINUX_IMMUTABLE] = "CAP_LINUX_IMMUTABLE",
	[CAP_NET_BIND_SERVICE] = "CAP_NET_BIND_SERVICE",
	[CAP_NET_BROADCAST] = "CAP_NET_BROADCAST",
	[CAP_NET_ADMIN] = "CAP_NET_ADMIN",
	[CAP_NET_RAW] = "CAP_NET_RAW",
	[CAP_IPC_LOCK] = "CAP_IPC_LOCK",
	[CAP_IPC_OWNER] = "CAP_IPC_OWNER",
	[CAP_SYS_MODULE] = "CAP_SYS_MODULE",
	[CAP_SYS_RAWIO] = "CAP_SYS_RAWIO",
	[CAP_SYS_CHROOT] = "CAP_SYS_CHROOT",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_PACCT] = "CAP_SYS_PACCT",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYS_BOOT] = "CAP_SYS_BOOT",
	[CAP_SYS_NICE] = "CAP_SYS_NICE",
	[CAP_SYS_RESOURCE] = "CAP_SYS_RESOURCE",
	[CAP_SYS_TIME] = "CAP_SYS_TIME",
	[CAP_SYS_TTY_CONFIG] = "CAP_SYS_TTY_CONFIG",
	[CAP_MKNOD] = "CAP_MKNOD",
	[CAP_LEASE] = "CAP_LEASE",
	[CAP_AUDIT_WRITE] = "CAP_AUDIT_WRITE",
	[CAP_AUDIT_CONTROL] = "CAP_AUDIT_CONTROL",
	[CAP_SETFCAP] = "CAP_SETFCAP",
	[CAP_MAC_OVERRIDE] = "CAP_MAC_OVERRIDE",
	[CAP_MAC_ADMIN] = "CAP_MAC_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[CAP_WAKE_ALARM] = "CAP_WAKE_ALARM",
	[CAP_BLOCK_SUSPEND] = "CAP_BLOCK_SUSPEND",
	[CAP_AUDIT_READ] = "CAP_AUDIT_READ",
	[CAP_PERFMON] = "CAP_PERFMON",
	[CAP_BPF] = "CAP_BPF",
	[CAP_CHECKPOINT_RESTORE] = "CAP_CHECKPOINT_RESTORE",
};

#define CAPS_TABLE_LAST ((int)ARRAY_SIZE(cap_names) - 1)
/* The sets are 64-bit masks. */
#define CAPS_MAX 63

int caps_from_name(const char *name)
{
	for (int i = 0; i <= CAPS_TABLE_LAST; i++)
		if (cap_names[i] && !strcmp(cap_names[i], name))
			return i;
	return err_set(-EINVAL, "unknown capability '%s'", name);
}

const char *caps_name(int cap)
{
	if (cap < 0 || cap > CAPS_TABLE_LAST)
		return NULL;
	return cap_names[cap];
}

int caps_last(void)
{
	_cleanup_free_ char *buf = NULL;
	char *end;
	long n;

	if (fs_read_all(AT_FDCWD, "/proc/sys/kernel/cap_last_cap", 64, &buf, NULL) < 0)
		return CAPS_TABLE_LAST; /* no /proc: trust the headers hv was built with */
	n = strtol(buf, &end, 10);
	if (end == buf || n < 0)
		return CAPS_TABLE_LAST;
	return n > CAPS_MAX ? CAPS_MAX : (int)n;
}

struct cap_set {
	int last;
	uint64_t *out;
};

static int cap_element(struct json_object *v, size_t i, const char *epath, void *ctx)
{
	const struct cap_set *set = ctx;
	int cap;

	(void)i;
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s must be a string (a capability name such as \"CAP_CHOWN\"), got %s", epath,
			       json_kind_name(v));
	cap = caps_from_name(json_object_get_string(v));
	if (cap < 0)
		return err_prefix(cap, "%s", epath);
	if (cap > set->last)
		return err_set(-EINVAL, "%s: %s is not known to this kernel (its last capability is %d)", epath,
			       cap_names[cap], set->last);
	*set->out |= 1ULL << cap;
	return 0;
}

struct caps_json {
	struct json_object *sets[5];
};

int caps_parse(struct json_object *caps, struct oci_caps *out)
{
	/* Keys other than the five sets are ignored, as config.md's
	 * extensibility rule asks of runtimes. */
	static const struct json_field fields[] = {
		JSON_FIELD("bounding", JSON_ARRAY, JSON_NULLABLE, struct caps_json, sets[0]),
		JSON_FIELD("effective", JSON_ARRAY, JSON_NULLABLE, struct caps_json, sets[1]),
		JSON_FIELD("inheritable", JSON_ARRAY, JSON_NULLABLE, struct caps_json, sets[2]),
		JSON_FIELD("permitted", JSON_ARRAY, JSON_NULLABLE, struct caps_json, sets[3]),
		JSON_FIELD("ambient", JSON_ARRAY, JSON_NULLABLE, struct caps_json, sets[4]),
		JSON_FIELD_END,
	};
	uint64_t *outs[5] = { &out->bounding, &out->effective, &out->inheritable, &out->permitted, &out->ambient };
	struct caps_json j = { 0 };
	int last = caps_last(), r;

	memset(out, 0, sizeof(*out));
	if (!caps || json_object_is_type(caps, json_type_null))
		return 0;
	if (!json_object_is_type(caps, json_type_object))
		return err_set(-EINVAL, "must be an object of capability sets");
	if ((r = json_dispatch(caps, fields, &j, "", 0)) < 0)
		return r;
	for (size_t k = 0; k < 5; k++) {
		struct cap_set set = { last, outs[k] };
		if (j.sets[k] && (r = json_array_each(j.sets[k], fields[k].name, 0, cap_element, &set)) < 0)
			return r;
	}
	out->given = true;
	return 0;
}

/* The name for an error message, also for capabilities newer than the table. */
static const char *caps_label(int cap, char *buf, size_t n)
{
	const char *name = caps_name(cap);

	if (name)
		return name;
	snprintf(buf, n, "capability %d", cap);
	return buf;
}

int caps_prepare(const struct oci_caps *c)
{
	int last = caps_last();
	char buf[32];

	for (int cap = 0; cap <= last; cap++) {
		if (c->bounding & (1ULL << cap))
			continue;
		/* Dropping needs CAP_SETPCAP; skip what is already gone so
		 * a repeated call does not fail for nothing. */
		if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return err_errno(-errno, "cannot drop %s from the bounding set",
					 caps_label(cap, buf, sizeof(buf)));
	}
	/* Without it, the change to a non-root user would empty the
	 * permitted set before caps_apply() could narrow it. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_errno(-errno, "cannot keep capabilities across the user change (PR_SET_KEEPCAPS)");
	return 0;
}

int caps_apply(const struct oci_caps *c)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = { 0 };
	/* capabilities(7): an ambient capability must also be permitted and
	 * inheritable.  Configs from "runc spec" list ambient capabilities
	 * without the inheritable ones; like runc and crun, raise what the
	 * kernel can hold and leave the rest out. */
	uint64_t ambient = c->ambient & c->permitted & c->inheritable;
	int last = caps_last();
	char buf[32];

	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].effective = (uint32_t)(c->effective >> (32 * i));
		data[i].permitted = (uint32_t)(c->permitted >> (32 * i));
		data[i].inheritable = (uint32_t)(c->inheritable >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_errno(-errno, "cannot set the effective, permitted and inheritable capabilities");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) {
		/* Kernels before 4.3 have no ambient set: fine if none is asked. */
		if (errno == EINVAL && !ambient)
			return 0;
		return err_errno(-errno, "cannot clear the ambient capabilities");
	}
	for (int cap = 0; cap <= last; cap++) {
		if (!(ambient & (1ULL << cap)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return err_errno(-errno, "cannot raise %s in the ambient set",
					 caps_label(cap, buf, sizeof(buf)));
	}
	return 0;
}

struct json_object *caps_to_json(uint64_t set)
{
	struct json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	/* Bits without a name cannot come from caps_parse(); leave them out. */
	for (int cap = 0; cap <= CAPS_TABLE_LAST; cap++) {
		if (!(set & (1ULL << cap)))
			continue;
		if (json_object_array_add(arr, json_object_new_string(cap_names[cap])) < 0) {
			json_object_put(arr);
			return NULL;
		}
	}
	return arr;
}
