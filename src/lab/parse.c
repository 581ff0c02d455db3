/* SPDX-License-Identifier: MIT */
/* A lab file's text into a typed model (struct lab): syntax, keys, types, local values. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/size.h"

#define LAB_MAX_FILE (1 << 20)

static const char *const top_keys[] = { "name", "networks", "vms", NULL };
static const char *const net_keys[] = { "name", "mode", "subnet", NULL };
static const char *const vm_keys[] = { "name",	"cpus", "memory",   "disks",	  "nics",      "forwards", "shares",
				       "image", "user", "ssh_keys", "cloud_init", "disk_size", NULL };

size_t lab_edit_distance(const char *a, const char *b)
{
	size_t na = strnlen(a, 64), nb = strnlen(b, 64), row[65];

	for (size_t j = 0; j <= nb; j++)
		row[j] = j;
	for (size_t i = 1; i <= na; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= nb; j++) {
			size_t up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[nb];
}

/* Every key of o must be one of known: the first that is not is named,
 * with the nearest known key when one is close. */
static int check_keys(struct json_object *o, const char *const *known, const char *path)
{
	json_object_object_foreach(o, key, val)
	{
		const char *best = NULL;
		size_t bestd = (size_t)-1;
		bool ok = false;
		(void)val;
		for (const char *const *k = known; *k && !ok; k++) {
			size_t d = lab_edit_distance(key, *k);
			ok = d == 0;
			if (d < bestd) {
				bestd = d;
				best = *k;
			}
		}
		if (ok)
			continue;
		if (best && bestd <= (strlen(best) > 4 ? 3 : 2))
			return err_set(-EINVAL, "%s%s%s: unknown key (did you mean %s?)", path, path[0] ? "." : "", key,
				       best);
		return err_set(-EINVAL, "%s%s%s: unknown key", path, path[0] ? "." : "", key);
	}
	return 0;
}

/* A path from the file, made absolute from the lab's folder. */
static int lab_path(const struct lab *l, const char *p, char **out)
{
	if (p[0] == '/')
		*out = strdup(p);
	else if (asprintf(out, "%s/%s", l->dir, p) < 0)
		*out = NULL;
	return *out ? 0 : err_set(-ENOMEM, "out of memory");
}

enum str_kind { STR_PLAIN, STR_PATH, STR_DISK, STR_SHARE, STR_NIC };

/* network=NET[,...] naming one of the lab's networks: its full name. */
static int nic_spec(const struct lab *l, const char *s, char **out)
{
	size_t n;

	if (strncmp(s, "network=", 8))
		return (*out = strdup(s)) ? 0 : -ENOMEM;
	n = strcspn(s + 8, ",");
	for (unsigned i = 0; i < l->nnets; i++)
		if (strlen(l->nets[i].name) == n && !strncmp(s + 8, l->nets[i].name, n))
			return asprintf(out, "network=%s%s", l->nets[i].full, s + 8 + n) < 0 ? -ENOMEM : 0;
	return (*out = strdup(s)) ? 0 : -ENOMEM;
}

static int str_value(const struct lab *l, const char *s, enum str_kind kind, char **out)
{
	uint64_t size;

	*out = NULL;
	switch (kind) {
	case STR_PATH:
		return lab_path(l, s, out);
	case STR_DISK: /* a SIZE, else an image PATH */
		if (size_parse(s, SIZE_MIB, &size) == 0)
			break;
		err_clear();
		return lab_path(l, s, out);
	case STR_SHARE:
		return lab_path(l, s, out);
	case STR_NIC:
		return nic_spec(l, s, out) < 0 ? err_set(-ENOMEM, "out of memory") : 0;
	case STR_PLAIN:
		break;
	}
	return (*out = strdup(s)) ? 0 : err_set(-ENOMEM, "out of memory");
}

/* An optional array of strings. */
static int str_list(const struct lab *l, struct json_object *o, const char *key, const char *path, enum str_kind kind,
		    char **out, unsigned max, unsigned *n)
{
	struct json_object *arr;
	char epath[256];
	int r = json_get_array(o, key, path, &arr);

	*n = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (json_object_array_length(arr) > max)
		return err_set(-EINVAL, "%s.%s: at most %u entries", path, key, max);
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *e = json_object_array_get_idx(arr, i);
		snprintf(epath, sizeof(epath), "%s.%s[%zu]", path, key, i);
		if (!json_object_is_type(e, json_type_string))
			return err_set(-EINVAL, "%s: expected a string, got %s", epath, json_kind_name(e));
		if ((r = str_value(l, json_object_get_string(e), kind, &out[*n])) < 0)
			return r;
		(*n)++;
	}
	return 0;
}

static int opt_str(const struct lab *l, struct json_object *o, const char *key, const char *path, enum str_kind kind,
		   char **out)
{
	const char *s;
	int r = json_get_str(o, key, path, &s);

	if (r == -ENOENT)
		return 0;
	return r < 0 ? r : str_value(l, s, kind, out);
}

/* LAB-NAME into buf (the caller checked that it fits). */
static void join_name(char *buf, const char *lab, const char *name)
{
	size_t a = strlen(lab), b = strlen(name);

	memcpy(buf, lab, a);
	buf[a] = '-';
	memcpy(buf + a + 1, name, b + 1);
}

static int parse_net(struct lab *l, struct json_object *o, const char *path)
{
	struct lab_net *n = &l->nets[l->nnets];
	const char *name, *mode = "internal";
	int r;

	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "%s: expected an object, got %s", path, json_kind_name(o));
	if ((r = check_keys(o, net_keys, path)) < 0 || (r = json_need_str(o, "name", path, &name)) < 0)
		return r;
	if ((r = json_get_str(o, "mode", path, &mode)) < 0 && r != -ENOENT)
		return r;
	if (net_mode_parse(mode, &n->mode) < 0)
		return err_set(-EINVAL, "%s.mode: '%s' is not natnet, host-only or internal", path, mode);
	if (strlen(name) + strlen(l->name) + 1 > NET_NAME_MAX)
		return err_set(-EINVAL,
			       "%s.name: '%s-%s' is longer than %d characters (the lab's name, '-', the network's: "
			       "shorten one)",
			       path, l->name, name, NET_NAME_MAX);
	snprintf(n->name, sizeof(n->name), "%s", name);
	join_name(n->full, l->name, name);
	if ((r = net_name_validate(n->full)) < 0)
		return err_prefix(r, "%s.name", path);
	if ((r = opt_str(l, o, "subnet", path, STR_PLAIN, &n->subnet)) < 0)
		return r;
	l->nnets++;
	return 0;
}

static int parse_memory(struct json_object *o, const char *path, struct lab_vm *v)
{
	struct json_object *m = NULL;
	char buf[32];
	const char *s = buf;
	int r;

	if (!json_object_object_get_ex(o, "memory", &m))
		return 0;
	if (json_object_is_type(m, json_type_int))
		snprintf(buf, sizeof(buf), "%lld", (long long)json_object_get_int64(m));
	else if (json_object_is_type(m, json_type_string))
		s = json_object_get_string(m);
	else
		return err_set(-EINVAL, "%s.memory: expected a size (512M, 2G) or MiB, got %s", path,
			       json_kind_name(m));
	if ((r = vmdef_parse_memory(s, &v->memory_mib)) < 0)
		return err_prefix(r, "%s.memory", path);
	return 0;
}

static int parse_sizes(struct json_object *o, const char *path, struct lab_vm *v)
{
	int64_t cpus;
	const char *ds;
	int r = json_get_int64(o, "cpus", path, &cpus);

	if (r == 0 && (cpus < 1 || vmdef_check_cpus((unsigned long)cpus) < 0))
		return err_set(-EINVAL, "%s.cpus: %lld is not between 1 and %d", path, (long long)cpus, VM_MAX_CPUS);
	if (r < 0 && r != -ENOENT)
		return r;
	v->cpus = r == 0 ? (unsigned)cpus : 0;
	if ((r = parse_memory(o, path, v)) < 0)
		return r;
	if ((r = json_get_str(o, "disk_size", path, &ds)) == 0 && size_parse(ds, SIZE_MIB, &v->disk_size) < 0)
		return err_prefix(-EINVAL, "%s.disk_size", path);
	return r == -ENOENT ? 0 : r;
}

static int parse_vm(struct lab *l, struct json_object *o, const char *path)
{
	struct lab_vm *v = &l->vms[l->nvms];
	const char *name;
	int r;

	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "%s: expected an object, got %s", path, json_kind_name(o));
	l->nvms++; /* freed with the lab from here on */
	if ((r = check_keys(o, vm_keys, path)) < 0 || (r = json_need_str(o, "name", path, &name)) < 0)
		return r;
	if (strlen(name) + strlen(l->name) + 1 > VM_NAME_MAX)
		return err_set(-EINVAL, "%s.name: '%s-%s' is longer than %d characters", path, l->name, name,
			       VM_NAME_MAX);
	snprintf(v->name, sizeof(v->name), "%s", name);
	join_name(v->full, l->name, name);
	if ((r = vm_name_validate(v->full)) < 0)
		return err_prefix(r, "%s.name", path);
	if ((r = parse_sizes(o, path, v)) < 0 ||
	    (r = str_list(l, o, "disks", path, STR_DISK, v->disks, VMDEF_MAX_DISKS, &v->ndisks)) < 0 ||
	    (r = str_list(l, o, "nics", path, STR_NIC, v->nics, NIC_MAX, &v->nnics)) < 0 ||
	    (r = str_list(l, o, "forwards", path, STR_PLAIN, v->forwards, NIC_MAX_FORWARDS, &v->nforwards)) < 0 ||
	    (r = str_list(l, o, "shares", path, STR_SHARE, v->shares, SHARE_MAX, &v->nshares)) < 0 ||
	    (r = str_list(l, o, "ssh_keys", path, STR_PATH, v->ssh_keys, VMOS_MAX_KEYS, &v->nkeys)) < 0 ||
	    (r = opt_str(l, o, "image", path, STR_PLAIN, &v->image)) < 0 ||
	    (r = opt_str(l, o, "user", path, STR_PLAIN, &v->user)) < 0 ||
	    (r = opt_str(l, o, "cloud_init", path, STR_PATH, &v->cloud_init)) < 0)
		return r;
	struct json_object *nics = json_object_object_get(o, "nics");
	v->no_nics = nics && json_object_array_length(nics) == 0;
	if (!v->image && (v->user || v->nkeys || v->cloud_init || v->disk_size))
		return err_set(-EINVAL, "%s: user, ssh_keys, cloud_init and disk_size need an image", path);
	return 0;
}

int lab_name_validate(const char *name)
{
	return net_lower_name_validate("lab", name, LAB_NAME_MAX);
}

/* The lab's folder (absolute) and its name: the "name" key, else the folder's name. */
static int lab_identity(struct lab *l, struct json_object *root, const char *path)
{
	_cleanup_free_ char *copy = strdup(path), *cwd = getcwd(NULL, 0);
	const char *name, *dir;
	int r;

	if (!copy || !cwd)
		return err_set(-ENOMEM, "out of memory");
	dir = dirname(copy);
	if (dir[0] == '/')
		l->dir = strdup(dir);
	else if (!strcmp(dir, "."))
		l->dir = strdup(cwd);
	else if (asprintf(&l->dir, "%s/%s", cwd, dir) < 0)
		l->dir = NULL;
	if (!l->dir)
		return err_set(-ENOMEM, "out of memory");
	if ((r = json_get_str(root, "name", "", &name)) == -ENOENT) {
		name = strrchr(l->dir, '/') ? strrchr(l->dir, '/') + 1 : l->dir;
		if (lab_name_validate(name) < 0)
			return err_set(-EINVAL,
				       "the lab has no \"name\" and its folder's name '%s' is not one (a-z, 0-9, '-', "
				       "at most %d characters): add \"name\": \"NAME\"",
				       name, LAB_NAME_MAX);
	} else if (r < 0 || (r = lab_name_validate(name)) < 0)
		return err_prefix(r, "name");
	snprintf(l->name, sizeof(l->name), "%s", name);
	return 0;
}

static int parse_root(struct lab *l, struct json_object *root, const char *path)
{
	struct json_object *nets = NULL, *vms = NULL;
	char epath[64];
	int r;

	if ((r = check_keys(root, top_keys, "")) < 0 || (r = lab_identity(l, root, path)) < 0)
		return r;
	if ((r = json_get_array(root, "networks", "", &nets)) < 0 && r != -ENOENT)
		return r;
	if ((r = json_get_array(root, "vms", "", &vms)) < 0 && r != -ENOENT)
		return r;
	if (nets && json_object_array_length(nets) > LAB_MAX_NETS)
		return err_set(-EINVAL, "networks: at most %d", LAB_MAX_NETS);
	if (vms && json_object_array_length(vms) > LAB_MAX_VMS)
		return err_set(-EINVAL, "vms: at most %d", LAB_MAX_VMS);
	for (size_t i = 0; nets && i < json_object_array_length(nets); i++) {
		snprintf(epath, sizeof(epath), "networks[%zu]", i);
		if ((r = parse_net(l, json_object_array_get_idx(nets, i), epath)) < 0)
			return r;
	}
	for (size_t i = 0; vms && i < json_object_array_length(vms); i++) {
		snprintf(epath, sizeof(epath), "vms[%zu]", i);
		if ((r = parse_vm(l, json_object_array_get_idx(vms, i), epath)) < 0)
			return r;
	}
	return 0;
}

int lab_parse(const char *text, size_t len, const char *path, struct lab *l)
{
	_cleanup_json_ struct json_object *root = NULL;
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = json_parse_located(text, len, path, &root)) < 0)
		return r;
	if (!json_object_is_type(root, json_type_object))
		return err_set(-EINVAL, "%s: expected a JSON object, got %s", path, json_kind_name(root));
	if ((r = parse_root(l, root, path)) < 0) {
		lab_free(l);
		return err_prefix(r, "%s", path);
	}
	return 0;
}

int lab_load(const char *path, struct lab *l)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = fs_read_all(AT_FDCWD, path, LAB_MAX_FILE, &text, &len)) < 0)
		return r == -ENOENT  ? err_set(r, "%s: no such file (hv up -f FILE names a lab file)", path)
		       : r == -EFBIG ? r
				     : err_errno(r, "cannot read %s", path);
	return lab_parse(text, len, path, l);
}

static void free_strv(char **v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(v[i]);
}

void lab_free(struct lab *l)
{
	for (unsigned i = 0; i < l->nnets; i++)
		free(l->nets[i].subnet);
	for (unsigned i = 0; i < l->nvms; i++) {
		struct lab_vm *v = &l->vms[i];
		free_strv(v->disks, v->ndisks);
		free_strv(v->nics, v->nnics);
		free_strv(v->forwards, v->nforwards);
		free_strv(v->shares, v->nshares);
		free_strv(v->ssh_keys, v->nkeys);
		free(v->image);
		free(v->user);
		free(v->cloud_init);
	}
	free(l->dir);
	memset(l, 0, sizeof(*l));
}
