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

/* --- JSON --- */

static int get_str(struct json_object *o, const char *key, bool required, const char **out)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null)) {
		if (required)
			return err_set(-EINVAL, "vm.json: missing \"%s\"", key);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "vm.json: \"%s\" must be a string", key);
	*out = json_object_get_string(v);
	return 0;
}

static int get_uint(struct json_object *o, const char *key, uint64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) < 0)
		return err_set(-EINVAL, "vm.json: \"%s\" must be a non-negative integer", key);
	*out = (uint64_t)json_object_get_int64(v);
	return 0;
}

static int dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return -ENOMEM;
	return 0;
}

static int load_disks(struct json_object *root, struct vmdef *d)
{
	struct json_object *arr;

	if (!json_object_object_get_ex(root, "disks", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > VMDEF_MAX_DISKS)
		return err_set(-EINVAL, "vm.json: \"disks\" must be an array of at most %d disks", VMDEF_MAX_DISKS);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *o = json_object_array_get_idx(arr, i), *v;
		const char *path, *format;
		int r;
		if ((r = get_str(o, "path", true, &path)) < 0 || (r = get_str(o, "format", true, &format)) < 0)
			return r;
		if (strcmp(format, "raw") && strcmp(format, "qcow2"))
			return err_set(-EINVAL, "vm.json: disk format must be raw or qcow2 (got '%s')", format);
		if (strlen(path) >= sizeof(d->disks[0].path) || !*path)
			return err_set(-EINVAL, "vm.json: bad disk path");
		snprintf(d->disks[i].path, sizeof(d->disks[i].path), "%s", path);
		snprintf(d->disks[i].format, sizeof(d->disks[i].format), "%s", format);
		d->disks[i].owned = json_object_object_get_ex(o, "owned", &v) && json_object_get_boolean(v);
		/* an owned disk lives in the VM folder: never let vm.json point elsewhere */
		if (d->disks[i].owned && (strchr(path, '/') || path[0] == '.'))
			return err_set(-EINVAL, "vm.json: owned disk '%s' must be a plain file name", path);
		const char *backing;
		if ((r = get_str(o, "backing", false, &backing)) < 0)
			return r;
		if (backing && (backing[0] != '/' || strlen(backing) >= sizeof(d->disks[i].backing)))
			return err_set(-EINVAL, "vm.json: a disk's backing file must be an absolute path");
		snprintf(d->disks[i].backing, sizeof(d->disks[i].backing), "%s", backing ? backing : "");
		d->ndisks++;
	}
	return 0;
}

static int load_nic(struct json_object *o, struct nic *n)
{
	struct json_object *fw, *v;
	const char *mode, *target, *mac, *ip;
	int r;

	memset(n, 0, sizeof(*n));
	if ((r = get_str(o, "mode", true, &mode)) < 0 || (r = nic_mode_parse(mode, &n->mode)) < 0 ||
	    (r = get_str(o, "mac", true, &mac)) < 0 || (r = mac_parse(mac, n->mac)) < 0)
		return err_prefix(r, "vm.json: NIC");
	n->mac_set = true;
	if (n->mode != NIC_NAT) {
		if ((r = get_str(o, n->mode == NIC_NETWORK ? "network" : "bridge", true, &target)) < 0)
			return r;
		if (!*target || strlen(target) >= sizeof(n->target))
			return err_set(-EINVAL, "vm.json: bad NIC %s name", mode);
		snprintf(n->target, sizeof(n->target), "%s", target);
	}
	if ((r = get_str(o, "ip", false, &ip)) < 0 || (ip && (r = ip4_parse(ip, &n->ip)) < 0))
		return err_prefix(r, "vm.json: NIC ip");
	if (!json_object_object_get_ex(o, "forwards", &fw))
		return 0;
	if (!json_object_is_type(fw, json_type_array) || json_object_array_length(fw) > NIC_MAX_FORWARDS)
		return err_set(-EINVAL, "vm.json: \"forwards\" must be an array of at most %d", NIC_MAX_FORWARDS);
	for (size_t i = 0; i < json_object_array_length(fw); i++) {
		v = json_object_array_get_idx(fw, i);
		if (!json_object_is_type(v, json_type_string) ||
		    (r = forward_parse(json_object_get_string(v), &n->fwd[n->nfwd])) < 0)
			return err_prefix(-EINVAL, "vm.json: forward");
		n->nfwd++;
	}
	return 0;
}

static int load_nics(struct json_object *root, struct vmdef *d)
{
	struct json_object *arr;
	int r;

	if (!json_object_object_get_ex(root, "nics", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array) || json_object_array_length(arr) > NIC_MAX)
		return err_set(-EINVAL, "vm.json: \"nics\" must be an array of at most %d NICs", NIC_MAX);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		if ((r = load_nic(json_object_array_get_idx(arr, i), &d->nics[i])) < 0)
			return r;
		d->nnics++;
	}
	return 0;
}

struct json_object *vmdef_nic_json(const struct nic *n)
{
	struct json_object *o = json_object_new_object(), *fw = json_object_new_array();
	char buf[64];

	json_object_object_add(o, "mode", json_object_new_string(nic_mode_name(n->mode)));
	if (n->mode != NIC_NAT)
		json_object_object_add(o, n->mode == NIC_NETWORK ? "network" : "bridge",
				       json_object_new_string(n->target));
	mac_format(n->mac, buf, sizeof(buf));
	json_object_object_add(o, "mac", json_object_new_string(buf));
	if (n->ip) {
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
	char file[256];

	struct json_object *root;
	const char *name, *uuid, *machine, *accel, *s;
	uint64_t cpus, mem, created = 0;
	int r;

	vmdef_init(d);
	snprintf(file, sizeof(file), "%s%svm.json", sub ? sub : "", sub ? "/" : "");
	r = json_read_object(dirfd, file, 1 << 20, &root);
	if (r < 0)
		return r == -ENOENT ? err_set(r, "vm.json is missing") : r;
	if ((r = get_str(root, "name", true, &name)) < 0 || (r = get_str(root, "uuid", true, &uuid)) < 0 ||
	    (r = get_uint(root, "cpus", &cpus)) < 0 || (r = get_uint(root, "memory", &mem)) < 0 ||
	    (r = get_str(root, "machine", true, &machine)) < 0 || (r = get_str(root, "accel", true, &accel)) < 0)
		goto out;
	if ((r = vm_name_validate(name)) < 0 || (r = vmdef_check_cpus(cpus)) < 0 ||
	    (r = machine_parse(machine, &d->machine)) < 0 || (r = accel_parse(accel, &d->accel)) < 0)
		goto out;
	if (mem < VM_MIN_MEMORY_MIB) {
		r = err_set(-EINVAL, "vm.json: memory below %d MiB", VM_MIN_MEMORY_MIB);
		goto out;
	}
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
	d->cpus = (unsigned)cpus;
	d->memory_mib = mem;
	if ((r = get_str(root, "kernel", false, &s)) < 0 || (r = dup_opt(s, &d->kernel)) < 0 ||
	    (r = get_str(root, "initrd", false, &s)) < 0 || (r = dup_opt(s, &d->initrd)) < 0 ||
	    (r = get_str(root, "cmdline", false, &s)) < 0 || (r = dup_opt(s, &d->cmdline)) < 0)
		goto out;
	if ((r = load_disks(root, d)) < 0 || (r = load_nics(root, d)) < 0)
		goto out;
	if (json_object_object_get_ex(root, "created", NULL))
		get_uint(root, "created", &created);
	d->created = (time_t)created;
	r = 0;
out:
	json_object_put(root);
	if (r < 0)
		vmdef_free(d);
	return r;
}

static struct json_object *str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

int vmdef_save_at(int dirfd, const char *sub, const struct vmdef *d)
{
	char file[256];
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
		json_object_array_add(nics, vmdef_nic_json(&d->nics[i]));
	json_object_object_add(root, "nics", nics);
	json_object_object_add(root, "created", json_object_new_int64((int64_t)d->created));
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);
	snprintf(file, sizeof(file), "%s%svm.json", sub ? sub : "", sub ? "/" : "");
	r = json_write_atomic(dirfd, file, text);
	json_object_put(root);
	return r;
}
