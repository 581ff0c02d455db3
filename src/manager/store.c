/* SPDX-License-Identifier: MIT */
#include "manager/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/home.h"
#include "util/proc.h"

int store_root(char *buf, size_t n)
{
	return hv_home(buf, n);
}

int store_vms_dir(char *buf, size_t n)
{
	char root[4000];
	int r = store_root(root, sizeof(root));

	if (r < 0)
		return r;
	if ((r = fs_path(buf, n, "%s/vms", root)) < 0)
		return r;
	if ((r = fs_mkdir_p(buf, 0700)) < 0)
		return err_prefix(r, "cannot create the store (HV_HOME=%s)", root);
	return 0;
}

int vm_name_validate(const char *name)
{
	size_t n = strlen(name);

	if (n == 0)
		return err_set(-EINVAL, "empty VM name");
	if (n > VM_NAME_MAX)
		return err_set(-EINVAL, "VM name '%.20s...' is too long (at most %d characters)", name, VM_NAME_MAX);
	if (!isalnum((unsigned char)name[0]))
		return err_set(-EINVAL, "invalid VM name '%s': it must start with a letter or digit", name);
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return err_set(-EINVAL, "invalid VM name '%s': use only letters, digits, '-', '_' and '.'",
				       name);
	if (strstr(name, ".."))
		return err_set(-EINVAL, "invalid VM name '%s': '..' is not allowed", name);
	return 0;
}

int vm_open(const char *name, struct vm_handle *h)
{
	char vms[4050];
	int r;

	h->dirfd = h->lockfd = -1;
	if ((r = vm_name_validate(name)) < 0)
		return r;
	if ((r = store_vms_dir(vms, sizeof(vms))) < 0)
		return r;
	snprintf(h->name, sizeof(h->name), "%s", name);
	if ((r = fs_path(h->dir, sizeof(h->dir), "%s/%s", vms, name)) < 0)
		return r;
	h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (h->dirfd < 0 || !fs_exists_at(h->dirfd, "vm.json")) {
		r = errno;
		vm_close(h);
		if (r == ENOENT || r == ENOTDIR || r == 0)
			return err_set(-ENOENT, "no VM named '%s' (see: hv list --all)", name);
		return err_errno(-r, "cannot open VM '%s'", name);
	}
	return 0;
}

int vm_open_locked(const char *name, int timeout_ms, struct vm_handle *h)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)timeout_ms;
	int r = vm_open(name, h);

	if (r < 0)
		return r;
	for (;;) {
		r = fs_lock_at(h->dirfd, "lock", false, &h->lockfd);
		if (r == 0)
			break;
		if (r != -EWOULDBLOCK || proc_now_ms() >= deadline) {
			vm_close(h);
			if (r == -EWOULDBLOCK)
				return err_set(-EBUSY,
					       "VM '%s' is busy: another hv command is working on it; try again", name);
			return r;
		}
		proc_sleep_ms(20);
	}
	/* the VM may have been deleted while we waited for its lock */
	if (!fs_exists_at(h->dirfd, "vm.json")) {
		vm_close(h);
		return err_set(-ENOENT, "no VM named '%s' (see: hv list --all)", name);
	}
	return 0;
}

void vm_close(struct vm_handle *h)
{
	if (h->lockfd >= 0)
		close(h->lockfd);
	if (h->dirfd >= 0)
		close(h->dirfd);
	h->lockfd = h->dirfd = -1;
}

int store_list(char ***names, size_t *n)
{
	char vms[4096];
	int r;

	*names = NULL;
	*n = 0;
	if ((r = store_vms_dir(vms, sizeof(vms))) < 0)
		return r;
	return fs_list_names(vms, vm_name_validate, names, n);
}

void store_list_free(char **names, size_t n)
{
	fs_names_free(names, n);
}
