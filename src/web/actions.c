/* SPDX-License-Identifier: MIT */
/* hv ui's API calls that take a JSON body (create, snapshot, revert,
 * clone, delete) and the lists the create form offers (images,
 * networks): the same manager functions as hv create/snapshot/clone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "image/catalog.h"
#include "manager/clone.h"
#include "manager/snapshot.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "network/netdef.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/size.h"
#include "web/actions.h"

static int parse_body(const char *body, size_t len, const struct json_field *fields, void *out, const char *what,
		      struct json_object **obj)
{
	int r;

	if ((r = json_parse_object(len ? body : "{}", len ? len : 2, what, obj)) < 0)
		return r;
	return json_dispatch(*obj, fields, out, what, JSON_STRICT);
}

struct name_body {
	char name[64];
	char confirm[VM_NAME_MAX + 1];
	bool linked;
};

int action_with_body(const char *vm, const char *action, const char *body, size_t len, bool *handled)
{
	static const struct json_field named[] = {
		JSON_FIELD_BUF("name", JSON_REQUIRED, struct name_body, name),
		JSON_FIELD("linked", JSON_BOOL, 0, struct name_body, linked),
		JSON_FIELD_END,
	};
	static const struct json_field confirm[] = {
		JSON_FIELD_BUF("confirm", JSON_REQUIRED, struct name_body, confirm),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	struct name_body b = { 0 };
	bool started;
	int r;

	*handled = true;
	if (!strcmp(action, "delete")) {
		/* the body repeats the name: a stray POST cannot delete */
		if ((r = parse_body(body, len, confirm, &b, "delete request", &o)) < 0)
			return r;
		if (strcmp(b.confirm, vm))
			return err_set(-EINVAL, "delete: confirm with the VM's name ('%s')", vm);
		return vm_delete(vm, false, false, false, NULL);
	}
	if (!strcmp(action, "snapshot") || !strcmp(action, "revert") || !strcmp(action, "clone")) {
		if ((r = parse_body(body, len, named, &b, action, &o)) < 0)
			return r;
		if (!strcmp(action, "snapshot"))
			return snap_create(vm, b.name, false, "taken in hv ui");
		if (!strcmp(action, "revert"))
			return snap_revert(vm, b.name, &started);
		if ((r = vm_name_validate(b.name)) < 0)
			return r;
		struct clone_opts co = { .linked = b.linked };
		return vm_clone(vm, b.name, &co);
	}
	*handled = false;
	return 0;
}

struct create_body {
	char name[VM_NAME_MAX + 1];
	unsigned cpus;
	char memory[32], disk[32], nic[64], image[64];
	char ssh_key[4096];
	bool graphics;
};

/* A pasted public key as a file vmos can read: a memfd, named by path. */
static int key_file(const char *key, int *fd, char *path, size_t n)
{
	if (strchr(key, '\n') && strchr(key, '\n')[1])
		return err_set(-EINVAL, "ssh_key: one public key, one line");
	if ((*fd = memfd_create("hv-ui-ssh-key", MFD_CLOEXEC)) < 0)
		return err_errno(-errno, "memfd_create");
	if (write_all(*fd, key, strlen(key)) < 0)
		return err_errno(-errno, "ssh_key");
	snprintf(path, n, "/proc/self/fd/%d", *fd);
	return 0;
}

int action_create(const char *body, size_t len, char *name, size_t name_len)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("name", JSON_REQUIRED, struct create_body, name),
		JSON_FIELD("cpus", JSON_UINT, JSON_NULLABLE, struct create_body, cpus),
		JSON_FIELD_BUF("memory", JSON_NULLABLE, struct create_body, memory),
		JSON_FIELD_BUF("disk", JSON_NULLABLE, struct create_body, disk),
		JSON_FIELD_BUF("nic", JSON_NULLABLE, struct create_body, nic),
		JSON_FIELD_BUF("image", JSON_NULLABLE, struct create_body, image),
		JSON_FIELD_BUF("ssh_key", JSON_NULLABLE, struct create_body, ssh_key),
		JSON_FIELD("graphics", JSON_BOOL, JSON_NULLABLE, struct create_body, graphics),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	_cleanup_close_ int keyfd = -1;
	struct create_body b = { 0 };
	struct vm_os_opts os = { 0 };
	struct vm_create_opts c = { .cpus = 1, .memory_mib = 256, .machine = MACHINE_MICROVM, .accel = ACCEL_AUTO };
	char keypath[64];
	int r;

	if ((r = parse_body(body, len, fields, &b, "create request", &o)) < 0)
		return r;
	if ((r = vm_name_validate(b.name)) < 0)
		return r;
	c.name = b.name;
	if (b.cpus && (r = vmdef_check_cpus(b.cpus)) < 0)
		return r;
	if (b.cpus)
		c.cpus = b.cpus;
	if (b.memory[0] && (r = vmdef_parse_memory(b.memory, &c.memory_mib)) < 0)
		return r;
	if (b.disk[0])
		c.disks[c.ndisks++] = b.disk;
	if (!strcmp(b.nic, "none"))
		c.nics.none = true;
	else if (b.nic[0])
		c.nics.specs[c.nics.nspecs++] = b.nic;
	if (b.image[0] || b.graphics) {
		os.image = b.image[0] ? b.image : NULL;
		os.graphics = b.graphics ? "vnc" : NULL;
		if (b.ssh_key[0]) {
			if ((r = key_file(b.ssh_key, &keyfd, keypath, sizeof(keypath))) < 0)
				return r;
			os.keys[os.nkeys++] = keypath;
		}
		c.machine = MACHINE_Q35;
		c.os = &os;
	} else if (b.ssh_key[0])
		return err_set(-EINVAL, "ssh_key: only VMs made from an image take a key (cloud-init)");
	if ((r = vm_create(&c)) < 0)
		return r;
	snprintf(name, name_len, "%s", b.name);
	return 0;
}

struct json_object *action_images_json(void)
{
	struct hv_image *imgs = NULL;
	size_t n = 0;
	struct json_object *arr = json_object_new_array();

	if (!arr || image_list(&imgs, &n) < 0) {
		err_clear();
		return arr;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(imgs[i].name));
		json_object_object_add(o, "os", json_object_new_string(imgs[i].os));
		json_object_object_add(o, "size", json_object_new_int64((int64_t)imgs[i].virtual_size));
		json_object_array_add(arr, o);
	}
	image_list_free(imgs, n);
	return arr;
}

struct json_object *action_networks_json(void)
{
	char **names = NULL;
	size_t n = 0;
	struct json_object *arr = json_object_new_array();

	if (!arr || net_list(&names, &n) < 0) {
		err_clear();
		return arr;
	}
	for (size_t i = 0; i < n; i++) {
		struct netdef d;
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(names[i]));
		if (net_load(names[i], &d) == 0)
			json_object_object_add(o, "mode", json_object_new_string(net_mode_name(d.mode)));
		err_clear();
		json_object_array_add(arr, o);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return arr;
}

struct json_object *action_snapshots_json(const char *vm)
{
	_cleanup_free_ struct snap_info *s = calloc(SNAP_MAX, sizeof(*s));
	struct json_object *arr;
	char current[64] = "";
	size_t n = 0;
	int r;

	if (!s)
		return NULL;
	if ((r = snap_list(vm, s, SNAP_MAX, &n, current)) < 0)
		return NULL;
	if (!(arr = json_object_new_array()))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(s[i].name));
		json_object_object_add(o, "parent", json_object_new_string(s[i].parent));
		json_object_object_add(o, "created", json_object_new_int64(s[i].created));
		json_object_object_add(o, "current", json_object_new_boolean(!strcmp(s[i].name, current)));
		json_object_array_add(arr, o);
	}
	return arr;
}
