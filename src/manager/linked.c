/* SPDX-License-Identifier: MIT */
/* Linked clones' dependence on the base images in their source's folder. */
#include "manager/linked.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager/store.h"
#include "manager/vmops.h"
#include "storage/image.h"
#include "util/cleanup.h"
#include "util/err.h"

/* "$HV_HOME/vms/VM/": what the backing path of a dependant starts with */
static int base_prefix(const char *vm, char **prefix)
{
	char vms[4096];
	int r;

	*prefix = NULL;
	if ((r = store_vms_dir(vms, sizeof(vms))) < 0)
		return r;
	return asprintf(prefix, "%s/%s/", vms, vm) < 0 ? err_set(-ENOMEM, "out of memory") : 0;
}

int linked_dependants(const char *vm, char ***out, size_t *nout)
{
	_cleanup_free_ char *prefix = NULL;
	char **names, **deps;
	size_t n, k = 0;
	int r;

	*out = NULL;
	*nout = 0;
	if ((r = base_prefix(vm, &prefix)) < 0 || (r = store_list(&names, &n)) < 0)
		return r;
	deps = calloc(n + 1, sizeof(*deps));
	for (size_t i = 0; deps && i < n; i++) {
		struct vm_handle h;
		struct vmdef d;
		bool dep = false;
		if (!strcmp(names[i], vm) || vm_open(names[i], &h) < 0)
			continue;
		if (vmdef_load(h.dirfd, &d) == 0) {
			for (unsigned j = 0; j < d.ndisks; j++)
				dep |= !strncmp(d.disks[j].backing, prefix, strlen(prefix));
			vmdef_free(&d);
		}
		vm_close(&h);
		if (dep)
			deps[k++] = strdup(names[i]);
	}
	store_list_free(names, n);
	err_clear();
	if (!deps)
		return -ENOMEM;
	*out = deps;
	*nout = k;
	return 0;
}

void linked_dependants_text(const char *vm, char *buf, size_t n)
{
	char **deps;
	size_t k;

	buf[0] = '\0';
	if (linked_dependants(vm, &deps, &k) < 0)
		return;
	for (size_t i = 0; i < k; i++)
		snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? ", " : "", deps[i]);
	store_list_free(deps, k);
}

int linked_flatten(const char *vm, bool check_only)
{
	_cleanup_free_ char *prefix = NULL;
	char **deps;
	size_t k;
	int r;

	if ((r = base_prefix(vm, &prefix)) < 0 || (r = linked_dependants(vm, &deps, &k)) < 0)
		return r;
	for (size_t i = 0; i < k && r == 0; i++) {
		struct vm_handle h;
		struct vmdef d;
		struct vm_status st;
		if ((r = vm_lock_and_load(deps[i], &h, &d, &st)) < 0)
			break;
		if (vm_state_active(st.state))
			r = err_set(-EBUSY, "linked clone '%s' is running: stop it so that it can be flattened",
				    deps[i]);
		for (unsigned j = 0; r == 0 && !check_only && j < d.ndisks; j++) {
			if (strncmp(d.disks[j].backing, prefix, strlen(prefix)))
				continue;
			_cleanup_free_ char *path = NULL;
			if ((r = vm_disk_path(h.dir, &d.disks[j], &path)) == 0 && (r = image_flatten(path)) == 0) {
				d.disks[j].backing[0] = '\0';
				r = vmdef_save(h.dirfd, &d);
			}
		}
		vmdef_free(&d);
		vm_close(&h);
	}
	store_list_free(deps, k);
	return r;
}
