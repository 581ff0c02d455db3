/* SPDX-License-Identifier: MIT */
#include "manager/vmdef.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "manager/store.h"
#include "network/netlink.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/size.h"

void vmdef_init(struct vmdef *d)
{
	memset(d, 0, sizeof(*d));
	d->cpus = 1;
	d->memory_mib = 256;
	d->machine = MACHINE_MICROVM;
	d->accel = ACCEL_AUTO;
}

void vmdef_free(struct vmdef *d)
{
	free(d->kernel);
	free(d->initrd);
	free(d->cmdline);
	d->kernel = d->initrd = d->cmdline = NULL;
	free(d->cdrom);
	d->cdrom = NULL;
	for (unsigned i = 0; i < d->ci.n_ssh_keys; i++)
		free(d->ci.ssh_keys[i]);
	d->ci.n_ssh_keys = 0;
	free(d->ci.password_hash);
	d->ci.password_hash = NULL;
	free(d->ci.identity);
	d->ci.identity = NULL;
	share_set_free(&d->shares);
}

static uint64_t host_memory_mib(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

	return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size / SIZE_MIB : 0;
}

int vmdef_check_cpus(unsigned long cpus)
{
	if (cpus < 1 || cpus > VM_MAX_CPUS)
		return err_set(-EINVAL, "--cpus must be between 1 and %d (got %lu)", VM_MAX_CPUS, cpus);
	return 0;
}

/* typed: the value as the user wrote it, for the message */
static int check_memory(uint64_t mib, const char *typed)
{
	uint64_t host = host_memory_mib();
	char have[32];

	if (mib < VM_MIN_MEMORY_MIB)
		return err_set(-EINVAL, "--memory must be at least %dM (got %s)", VM_MIN_MEMORY_MIB, typed);
	size_format(host * SIZE_MIB, have, sizeof(have));
	if (host && mib > host)
		return err_set(-EINVAL, "--memory %s exceeds this host's %s of RAM", typed, have);
	return 0;
}

int vmdef_parse_memory(const char *s, uint64_t *mib)
{
	uint64_t bytes;
	int r = size_parse(s, SIZE_MIB, &bytes);

	if (r < 0)
		return err_prefix(r, "--memory");
	if (bytes % SIZE_MIB)
		return err_set(-EINVAL, "--memory %s is not a whole number of MiB", s);
	*mib = bytes / SIZE_MIB;
	return check_memory(*mib, s);
}

int vmdef_parse_cpus(const char *s, unsigned *cpus)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-')
		return err_set(-EINVAL, "--cpus needs a whole number (got '%s')", s);
	if (vmdef_check_cpus(v) < 0)
		return -EINVAL;
	*cpus = (unsigned)v;
	return 0;
}

int uuid_generate(char out[37])
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		return err_errno(-errno, "getrandom");
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}

/* --- vm.json, read through field tables (util/json.h) --- */

/* Each field of vm.json as JSON gives it, before the checks that need
 * more than a type. */
struct disk_json {
	const char *path, *format, *backing;
	bool owned;
};

static const struct json_field disk_fields[] = {
	JSON_FIELD("path", JSON_STR, JSON_REQUIRED, struct disk_json, path),
	JSON_FIELD("format", JSON_STR, JSON_REQUIRED, struct disk_json, format),
	JSON_FIELD("owned", JSON_BOOL, 0, struct disk_json, owned),
	JSON_FIELD("backing", JSON_STR, JSON_NULLABLE, struct disk_json, backing),
	JSON_FIELD_END,
};

static int load_disk(struct json_object *o, size_t i, const char *path, void *ctx)
{
	struct vmdef *d = ctx;
	struct vmdef_disk *k = &d->disks[i];
	struct disk_json j = { 0 };
	int r;

	if ((r = json_dispatch(o, disk_fields, &j, path, 0)) < 0)
		return r;
	if (strcmp(j.format, "raw") && strcmp(j.format, "qcow2"))
		return err_set(-EINVAL, "%s.format: must be raw or qcow2 (got '%s')", path, j.format);
	if (!*j.path || strlen(j.path) >= sizeof(k->path))
		return err_set(-EINVAL, "%s.path: empty or too long", path);
	/* an owned disk lives in the VM folder: never let vm.json point elsewhere */
	if (j.owned && (strchr(j.path, '/') || j.path[0] == '.'))
		return err_set(-EINVAL, "%s.path: owned disk '%s' must be a plain file name", path, j.path);
	if (j.backing && (j.backing[0] != '/' || strlen(j.backing) >= sizeof(k->backing)))
		return err_set(-EINVAL, "%s.backing: must be an absolute path", path);
	snprintf(k->path, sizeof(k->path), "%s", j.path);
	snprintf(k->format, sizeof(k->format), "%s", j.format);
	snprintf(k->backing, sizeof(k->backing), "%s", j.backing ? j.backing : "");
	k->owned = j.owned;
	d->ndisks++;
	return 0;
}

struct nic_json {
	const char *mode, *mac, *network, *bridge, *ip;
	struct json_object *forwards;
};

static const struct json_field nic_fields[] = {
	JSON_FIELD("mode", JSON_STR, JSON_REQUIRED, struct nic_json, mode),
	JSON_FIELD("mac", JSON_STR, JSON_REQUIRED, struct nic_json, mac),
	JSON_FIELD("network", JSON_STR, 0, struct nic_json, network),
	JSON_FIELD("bridge", JSON_STR, 0, struct nic_json, bridge),
	/* written by older versions and ignored: the network's reservation is
	 * the one record of a NIC's address (vm_nic_addresses) */
	JSON_FIELD("ip", JSON_STR, JSON_NULLABLE, struct nic_json, ip),
	JSON_FIELD("forwards", JSON_ARRAY, JSON_NULLABLE, struct nic_json, forwards),
	JSON_FIELD_END,
};

static int load_forward(struct json_object *v, size_t i, const char *path, void *ctx)
{
	struct nic *n = ctx;
	int r;

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	if ((r = forward_parse(json_object_get_string(v), &n->fwd[i])) < 0)
		return err_prefix(r, "%s", path);
	n->nfwd++;
	return 0;
}

static int load_nic(struct json_object *o, size_t i, const char *path, void *ctx)
{
	struct vmdef *d = ctx;
	struct nic *n = &d->nics[i];
	struct nic_json j = { 0 };
	char fpath[512];
	int r;

	memset(n, 0, sizeof(*n));
	if ((r = json_dispatch(o, nic_fields, &j, path, 0)) < 0)
		return r;
	if ((r = nic_mode_parse(j.mode, &n->mode)) < 0)
		return err_prefix(r, "%s.mode", path);
	if ((r = mac_parse(j.mac, n->mac)) < 0)
		return err_prefix(r, "%s.mac", path);
	n->mac_set = true;
	if (n->mode != NIC_NAT) {
		const char *key = n->mode == NIC_NETWORK ? "network" : "bridge";
		const char *target = n->mode == NIC_NETWORK ? j.network : j.bridge;
		if (!target)
			return err_set(-EINVAL, "%s.%s is missing (a %s NIC names its %s)", path, key, j.mode, key);
		if (!*target || strlen(target) >= sizeof(n->target))
			return err_set(-EINVAL, "%s.%s: empty or too long", path, key);
		snprintf(n->target, sizeof(n->target), "%s", target);
	}
	snprintf(fpath, sizeof(fpath), "%s.forwards", path);
	if (j.forwards && (r = json_array_each(j.forwards, fpath, NIC_MAX_FORWARDS, load_forward, n)) < 0)
		return r;
	d->nnics++;
	return 0;
}

struct vm_json {
	const char *name, *uuid, *machine, *accel, *firmware, *image, *boot, *display, *lab;
	struct json_object *cloud_init;
	unsigned cpus;
	uint64_t memory;
	int64_t created;
	struct json_object *disks, *nics, *shares;
	bool transient;
};

static const struct json_field vm_fields[] = {
	JSON_FIELD("name", JSON_STR, JSON_REQUIRED, struct vm_json, name),
	JSON_FIELD("uuid", JSON_STR, JSON_REQUIRED, struct vm_json, uuid),
	JSON_FIELD_RANGE("cpus", JSON_UINT, JSON_REQUIRED, struct vm_json, cpus, 1, VM_MAX_CPUS),
	JSON_FIELD("memory", JSON_UINT64, JSON_REQUIRED, struct vm_json, memory),
	JSON_FIELD("machine", JSON_STR, JSON_REQUIRED, struct vm_json, machine),
	JSON_FIELD("accel", JSON_STR, JSON_REQUIRED, struct vm_json, accel),
	JSON_FIELD("created", JSON_INT64, JSON_NULLABLE, struct vm_json, created),
	JSON_FIELD("disks", JSON_ARRAY, JSON_NULLABLE, struct vm_json, disks),
	JSON_FIELD("nics", JSON_ARRAY, JSON_NULLABLE, struct vm_json, nics),
	JSON_FIELD("firmware", JSON_STR, JSON_NULLABLE, struct vm_json, firmware),
	JSON_FIELD("image", JSON_STR, JSON_NULLABLE, struct vm_json, image),
	JSON_FIELD("boot", JSON_STR, JSON_NULLABLE, struct vm_json, boot),
	JSON_FIELD("display", JSON_STR, JSON_NULLABLE, struct vm_json, display),
	JSON_FIELD("cloud_init", JSON_OBJECT, JSON_NULLABLE, struct vm_json, cloud_init),
	JSON_FIELD("shares", JSON_ARRAY, JSON_NULLABLE, struct vm_json, shares),
	JSON_FIELD("transient", JSON_BOOL, JSON_NULLABLE, struct vm_json, transient),
	JSON_FIELD("lab", JSON_STR, JSON_NULLABLE, struct vm_json, lab),
	JSON_FIELD_END,
};

struct ci_json {
	const char *user, *password_hash, *identity;
	struct json_object *ssh_keys;
	bool user_data;
};

static const struct json_field ci_fields[] = {
	JSON_FIELD("user", JSON_STR, JSON_REQUIRED, struct ci_json, user),
	JSON_FIELD("ssh_keys", JSON_ARRAY, JSON_NULLABLE, struct ci_json, ssh_keys),
	JSON_FIELD("password_hash", JSON_STR, JSON_NULLABLE, struct ci_json, password_hash),
	JSON_FIELD("user_data", JSON_BOOL, JSON_NULLABLE, struct ci_json, user_data),
	JSON_FIELD("identity", JSON_STR, JSON_NULLABLE, struct ci_json, identity),
	JSON_FIELD_END,
};

static int load_key(struct json_object *v, size_t i, const char *path, void *ctx)
{
	struct vmdef_cloud_init *ci = ctx;

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	if (!(ci->ssh_keys[i] = strdup(json_object_get_string(v))))
		return -ENOMEM;
	ci->n_ssh_keys++;
	return 0;
}

static int load_cloud_init(struct json_object *o, struct vmdef_cloud_init *ci)
{
	struct ci_json j = { 0 };
	int r;

	if ((r = json_dispatch(o, ci_fields, &j, "cloud_init", 0)) < 0)
		return r;
	if (!*j.user || strlen(j.user) >= sizeof(ci->user))
		return err_set(-EINVAL, "cloud_init.user: empty or longer than %zu characters", sizeof(ci->user) - 1);
	snprintf(ci->user, sizeof(ci->user), "%s", j.user);
	if (j.ssh_keys &&
	    (r = json_array_each(j.ssh_keys, "cloud_init.ssh_keys", VMDEF_MAX_SSH_KEYS, load_key, ci)) < 0)
		return r;
	if (j.password_hash && !(ci->password_hash = strdup(j.password_hash)))
		return -ENOMEM;
	if (j.identity && (j.identity[0] != '/' || !(ci->identity = strdup(j.identity))))
		return j.identity[0] != '/' ? err_set(-EINVAL, "cloud_init.identity: must be an absolute path")
					    : -ENOMEM;
	ci->user_data = j.user_data;
	ci->enabled = true;
	return 0;
}

int vmdef_display_parse(const char *s, struct vmdef_display *out)
{
	memset(out, 0, sizeof(*out));
	if (!strcmp(s, "none"))
		return 0;
	if (!strcmp(s, "vnc")) {
		out->vnc = true;
		return 0;
	}
	if (strncmp(s, "vnc=", 4))
		return err_set(-EINVAL, "graphics '%s': use none, vnc, or vnc=127.0.0.1:PORT", s);
	const char *colon = strrchr(s + 4, ':');
	char *end;
	unsigned long port;
	if (!colon || colon == s + 4 || (size_t)(colon - (s + 4)) >= sizeof(out->host))
		return err_set(-EINVAL, "graphics '%s': use vnc=ADDRESS:PORT, e.g. vnc=127.0.0.1:5901", s);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 5900 || port > 65535)
		return err_set(-EINVAL, "graphics '%s': the VNC port must be from 5900 to 65535", s);
	memcpy(out->host, s + 4, (size_t)(colon - (s + 4)));
	out->host[colon - (s + 4)] = '\0';
	if (strchr(out->host, ','))
		return err_set(-EINVAL, "graphics '%s': bad address", s);
	out->vnc = true;
	out->port = (unsigned)port;
	return 0;
}

void vmdef_display_format(const struct vmdef_display *d, char *buf, size_t n)
{
	if (!d->vnc)
		snprintf(buf, n, "none");
	else if (!d->host[0])
		snprintf(buf, n, "vnc");
	else
		snprintf(buf, n, "vnc=%s:%u", d->host, d->port);
}

/* The fields of a distribution VM (absent in older vm.json files). */
static int load_os(const struct vm_json *j, struct vmdef *d)
{
	int r;

	d->firmware = FIRMWARE_NONE;
	if (j->firmware && strcmp(j->firmware, "none") && (r = firmware_parse(j->firmware, &d->firmware)) < 0)
		return err_prefix(r, "firmware");
	if (j->image) {
		if (!*j->image || strlen(j->image) >= sizeof(d->image) || strchr(j->image, '/'))
			return err_set(-EINVAL, "image: not an image name");
		snprintf(d->image, sizeof(d->image), "%s", j->image);
	}
	if (j->boot && strcmp(j->boot, "kernel") && strcmp(j->boot, "firmware"))
		return err_set(-EINVAL, "boot: must be kernel or firmware (got '%s')", j->boot);
	d->boot_kernel = j->boot && !strcmp(j->boot, "kernel");
	if (j->display && (r = vmdef_display_parse(j->display, &d->display)) < 0)
		return err_prefix(r, "display");
	if (j->cloud_init && (r = load_cloud_init(j->cloud_init, &d->ci)) < 0)
		return r;
	if (d->firmware != FIRMWARE_NONE && d->machine != MACHINE_Q35)
		return err_set(-EINVAL, "firmware: %s boot needs machine q35", firmware_name(d->firmware));
	return 0;
}

/* The free-form strings go straight into the definition. */
static const struct json_field vm_strings[] = {
	JSON_FIELD("cdrom", JSON_STRDUP, JSON_NULLABLE, struct vmdef, cdrom),
	JSON_FIELD("kernel", JSON_STRDUP, JSON_NULLABLE, struct vmdef, kernel),
	JSON_FIELD("initrd", JSON_STRDUP, JSON_NULLABLE, struct vmdef, initrd),
	JSON_FIELD("cmdline", JSON_STRDUP, JSON_NULLABLE, struct vmdef, cmdline),
	JSON_FIELD_END,
};

/* Messages name the field: "cpus: expected an integer, got null" (the
 * caller puts the file's name in front). */
static int vmdef_from_json(struct json_object *root, struct vmdef *d)
{
	struct vm_json j = { 0 };
	int r;

	if ((r = json_dispatch(root, vm_fields, &j, "", 0)) < 0 || (r = json_dispatch(root, vm_strings, d, "", 0)) < 0)
		return r;
	if ((r = vm_name_validate(j.name)) < 0)
		return err_prefix(r, "name");
	if (strlen(j.uuid) >= sizeof(d->uuid))
		return err_set(-EINVAL, "uuid: longer than %zu characters", sizeof(d->uuid) - 1);
	if (j.memory < VM_MIN_MEMORY_MIB)
		return err_set(-EINVAL, "memory: %llu MiB is below the minimum of %d MiB", (unsigned long long)j.memory,
			       VM_MIN_MEMORY_MIB);
	if (j.memory > VM_MAX_MEMORY_MIB)
		return err_set(-EINVAL, "memory: %llu MiB is above the maximum of %llu MiB", (unsigned long long)j.memory,
			       VM_MAX_MEMORY_MIB);
	if ((r = machine_parse(j.machine, &d->machine)) < 0)
		return err_prefix(r, "machine");
	if ((r = accel_parse(j.accel, &d->accel)) < 0)
		return err_prefix(r, "accel");
	snprintf(d->name, sizeof(d->name), "%s", j.name);
	snprintf(d->uuid, sizeof(d->uuid), "%s", j.uuid);
	d->cpus = j.cpus;
	d->memory_mib = j.memory;
	d->created = (time_t)j.created;
	d->transient = j.transient;
	if (j.lab && strlen(j.lab) >= sizeof(d->lab))
		return err_set(-EINVAL, "lab: longer than %zu characters", sizeof(d->lab) - 1);
	snprintf(d->lab, sizeof(d->lab), "%s", j.lab ? j.lab : "");
	if (j.disks && (r = json_array_each(j.disks, "disks", VMDEF_MAX_DISKS, load_disk, d)) < 0)
		return r;
	if (j.nics && (r = json_array_each(j.nics, "nics", NIC_MAX, load_nic, d)) < 0)
		return r;
	if (d->cdrom && d->cdrom[0] != '/')
		return err_set(-EINVAL, "cdrom: must be an absolute path");
	if (j.shares && (r = share_set_from_json(j.shares, "shares", &d->shares)) < 0)
		return r;
	return load_os(&j, d);
}

/* with_ip: the address reserved on the NIC's network, for people and
 * scripts; vm.json never keeps it (the network's reservations.json is
 * the one record of it, see vm_nic_addresses). */
static struct json_object *nic_json(const struct nic *n, bool with_ip)
{
	struct json_object *o = json_object_new_object(), *fw = json_object_new_array();
	char buf[64];

	json_object_object_add(o, "mode", json_object_new_string(nic_mode_name(n->mode)));
	if (n->mode != NIC_NAT)
		json_object_object_add(o, n->mode == NIC_NETWORK ? "network" : "bridge",
				       json_object_new_string(n->target));
	mac_format(n->mac, buf, sizeof(buf));
	json_object_object_add(o, "mac", json_object_new_string(buf));
	if (with_ip && n->ip) {
		ip4_format(n->ip, buf, sizeof(buf));
		json_object_object_add(o, "ip", json_object_new_string(buf));
	}
	for (unsigned i = 0; i < n->nfwd; i++) {
		forward_format(&n->fwd[i], buf, sizeof(buf));
		json_object_array_add(fw, json_object_new_string(buf));
	}
	json_object_object_add(o, "forwards", fw);
	return o;
}

struct json_object *vmdef_nic_json(const struct nic *n)
{
	return nic_json(n, true);
}

int vmdef_load(int dirfd, struct vmdef *d)
{
	return vmdef_load_at(dirfd, NULL, d);
}

int vmdef_save(int dirfd, const struct vmdef *d)
{
	return vmdef_save_at(dirfd, NULL, d);
}

int vmdef_load_at(int dirfd, const char *sub, struct vmdef *d)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ char *file = NULL, *text = NULL;
	size_t len;
	int r;

	vmdef_init(d);
	if (asprintf(&file, "%s%svm.json", sub ? sub : "", sub ? "/" : "") < 0)
		return -ENOMEM;
	err_clear(); /* fs_read_all records a reason for some failures only */
	r = fs_read_all(dirfd, file, 1 << 20, &text, &len);
	if (r == -ENOENT)
		return err_set(r, "%s is missing", file);
	if (r < 0)
		return err_code() ? r : err_errno(r, "cannot read %s", file);
	if ((r = json_parse_object(text, len, file, &root)) < 0)
		return r;
	if ((r = vmdef_from_json(root, d)) < 0) {
		vmdef_free(d);
		return err_prefix(r, "%s", file);
	}
	return 0;
}

int vmdef_damaged(const char *name, const char *vmdir, int r)
{
	char why[512], file[512];
	const char *m = err_msg_for(r);
	bool named = !strncmp(m, "vm.json", 7);

	if (r == -ENOMEM)
		return r;
	/* "vm.json: cpus: ..." -> "/home/vms/NAME/vm.json: cpus: ..." */
	snprintf(why, sizeof(why), "%s", named ? m + 7 : m);
	snprintf(file, sizeof(file), "%s%s", named && vmdir ? vmdir : "", named ? "/vm.json" : "");
	return err_set(r, "VM '%s': %s%s (repair or restore the file, or remove the VM with: hv delete --force %s)",
		       name, file, why, name);
}

int vmdef_load_vm(const struct vm_handle *h, struct vmdef *d)
{
	int r = vmdef_load(h->dirfd, d);

	return r < 0 ? vmdef_damaged(h->name, h->dir, r) : 0;
}

int vmdef_iter_open(struct vmdef_iter *it, bool keep_broken)
{
	vmdef_init(&it->def);
	it->keep_broken = keep_broken;
	it->load_error = 0;
	return store_vm_iter_open(&it->vm);
}

int vmdef_iter_next(struct vmdef_iter *it)
{
	int r;

	vmdef_free(&it->def);
	while ((r = store_vm_iter_next(&it->vm)) > 0) {
		it->load_error = vmdef_load(it->vm.dirfd, &it->def);
		if (it->load_error < 0)
			vmdef_damaged(it->vm.name, it->vm.dir, it->load_error);
		if (it->load_error == 0 || it->keep_broken)
			return 1;
		err_clear(); /* a broken VM is none of this caller's business */
	}
	return r;
}

void vmdef_iter_close(struct vmdef_iter *it)
{
	vmdef_free(&it->def);
	store_vm_iter_close(&it->vm);
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

static int save_os(struct json_object *root, const struct vmdef *d)
{
	char disp[96];

	if (d->firmware != FIRMWARE_NONE)
		json_object_object_add(root, "firmware", json_object_new_string(firmware_name(d->firmware)));
	if (d->image[0])
		json_object_object_add(root, "image", json_object_new_string(d->image));
	if (d->boot_kernel)
		json_object_object_add(root, "boot", json_object_new_string("kernel"));
	if (d->cdrom)
		json_object_object_add(root, "cdrom", json_object_new_string(d->cdrom));
	if (d->display.vnc) {
		vmdef_display_format(&d->display, disp, sizeof(disp));
		json_object_object_add(root, "display", json_object_new_string(disp));
	}
	if (d->ci.enabled) {
		struct json_object *ci = json_object_new_object(), *keys = json_object_new_array();
		if (!ci || !keys) {
			json_object_put(ci);
			json_object_put(keys);
			return -ENOMEM;
		}
		json_object_object_add(ci, "user", json_object_new_string(d->ci.user));
		for (unsigned i = 0; i < d->ci.n_ssh_keys; i++)
			json_object_array_add(keys, json_object_new_string(d->ci.ssh_keys[i]));
		json_object_object_add(ci, "ssh_keys", keys);
		if (d->ci.password_hash)
			json_object_object_add(ci, "password_hash", json_object_new_string(d->ci.password_hash));
		json_object_object_add(ci, "user_data", json_object_new_boolean(d->ci.user_data));
		if (d->ci.identity)
			json_object_object_add(ci, "identity", json_object_new_string(d->ci.identity));
		json_object_object_add(root, "cloud_init", ci);
	}
	return 0;
}

int vmdef_save_at(int dirfd, const char *sub, const struct vmdef *d)
{
	_cleanup_free_ char *file = NULL;
	struct json_object *root = json_object_new_object(), *disks = json_object_new_array();
	const char *text;
	int r;

	if (!root || !disks)
		return -ENOMEM;
	json_object_object_add(root, "name", json_object_new_string(d->name));
	json_object_object_add(root, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(root, "cpus", json_object_new_int64(d->cpus));
	json_object_object_add(root, "memory", json_object_new_int64((int64_t)d->memory_mib));
	json_object_object_add(root, "machine", json_object_new_string(machine_name(d->machine)));
	json_object_object_add(root, "accel", json_object_new_string(accel_name(d->accel)));
	json_object_object_add(root, "kernel", str_or_null(d->kernel));
	json_object_object_add(root, "initrd", str_or_null(d->initrd));
	json_object_object_add(root, "cmdline", str_or_null(d->cmdline));
	for (unsigned i = 0; i < d->ndisks; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(d->disks[i].path));
		json_object_object_add(o, "format", json_object_new_string(d->disks[i].format));
		json_object_object_add(o, "owned", json_object_new_boolean(d->disks[i].owned));
		json_object_object_add(o, "backing",
				       d->disks[i].backing[0] ? json_object_new_string(d->disks[i].backing) : NULL);
		json_object_array_add(disks, o);
	}
	json_object_object_add(root, "disks", disks);
	struct json_object *nics = json_object_new_array();
	for (unsigned i = 0; i < d->nnics; i++)
		json_object_array_add(nics, nic_json(&d->nics[i], false));
	json_object_object_add(root, "nics", nics);
	json_object_object_add(root, "created", json_object_new_int64((int64_t)d->created));
	if (d->shares.n)
		json_object_object_add(root, "shares", share_set_json(&d->shares));
	if (d->transient)
		json_object_object_add(root, "transient", json_object_new_boolean(true));
	if (d->lab[0])
		json_object_object_add(root, "lab", json_object_new_string(d->lab));
	if ((r = save_os(root, d)) < 0) {
		json_object_put(root);
		return r;
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	if (asprintf(&file, "%s%svm.json", sub ? sub : "", sub ? "/" : "") < 0)
		r = -ENOMEM;
	else
		r = json_write_atomic(dirfd, file, text);
	json_object_put(root);
	return r;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	return src && !(*dst = strdup(src)) ? -ENOMEM : 0;
}

int vmdef_dup(const struct vmdef *src, struct vmdef *dst)
{
	int r = 0;

	*dst = *src;
	/* every heap field gets its own copy, so both can be freed */
	r |= dup_str(&dst->kernel, src->kernel);
	r |= dup_str(&dst->initrd, src->initrd);
	r |= dup_str(&dst->cmdline, src->cmdline);
	r |= dup_str(&dst->cdrom, src->cdrom);
	r |= dup_str(&dst->ci.password_hash, src->ci.password_hash);
	r |= dup_str(&dst->ci.identity, src->ci.identity);
	for (unsigned i = 0; i < src->ci.n_ssh_keys; i++)
		r |= dup_str(&dst->ci.ssh_keys[i], src->ci.ssh_keys[i]);
	memset(&dst->shares, 0, sizeof(dst->shares));
	r |= share_set_dup(&src->shares, &dst->shares) < 0;
	if (r) {
		vmdef_free(dst);
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}
