/* SPDX-License-Identifier: MIT */
#include "manager/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

int store_root_alloc(char **out)
{
	char root[PATH_MAX];
	int r = store_root(root, sizeof(root));

	*out = NULL;
	if (r < 0)
		return r;
	if (!(*out = strdup(root)))
		return err_set(-ENOMEM, "out of memory");
	return 0;
}

int store_vms_dir_alloc(char **out)
{
	_cleanup_free_ char *root = NULL;
	int r;

	*out = NULL;
	if ((r = store_root_alloc(&root)) < 0)
		return r;
	if (asprintf(out, "%s/vms", root) < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if ((r = fs_mkdir_p(*out, 0700)) < 0) {
		free(*out);
		*out = NULL;
		return err_prefix(r, "cannot create the store (HV_HOME=%s)", root);
	}
	return 0;
}

int store_vms_dir(char *buf, size_t n)
{
	_cleanup_free_ char *vms = NULL;
	int r = store_vms_dir_alloc(&vms);

	return r < 0 ? r : fs_path(buf, n, "%s", vms);
}

int store_vms_open(void)
{
	_cleanup_free_ char *vms = NULL;
	int r = store_vms_dir_alloc(&vms), fd;

	if (r < 0)
		return r;
	fd = open(vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_errno(-errno, "cannot open %s", vms);
	return fd;
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

/* Open vms/NAME relative to vmsfd; h->dir is vms + "/" + name. */
static int vm_open_at(int vmsfd, const char *vms, const char *name, struct vm_handle *h)
{
	int r;

	h->dirfd = h->lockfd = -1;
	h->dir = NULL;
	snprintf(h->name, sizeof(h->name), "%s", name);
	if (asprintf(&h->dir, "%s/%s", vms, name) < 0) {
		h->dir = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	h->dirfd = openat(vmsfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (h->dirfd < 0 || !fs_exists_at(h->dirfd, "vm.json")) {
		r = h->dirfd < 0 ? errno : 0;
		vm_close(h);
		if (r == ENOENT || r == ENOTDIR || r == ELOOP || r == 0)
			return err_set(-ENOENT, "no VM named '%s' (see: hv list --all)", name);
		return err_errno(-r, "cannot open VM '%s'", name);
	}
	return 0;
}

int vm_open(const char *name, struct vm_handle *h)
{
	_cleanup_free_ char *vms = NULL;
	_cleanup_close_ int vmsfd = -1;
	int r;

	h->dirfd = h->lockfd = -1;
	h->dir = NULL;
	if ((r = vm_name_validate(name)) < 0 || (r = store_vms_dir_alloc(&vms)) < 0)
		return r;
	if ((vmsfd = open(vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open %s", vms);
	return vm_open_at(vmsfd, vms, name, h);
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
	free(h->dir);
	h->dir = NULL;
}

int store_vm_iter_open(struct store_iter *it)
{
	int r;

	*it = (struct store_iter){ .vmsfd = -1, .dirfd = -1 };
	if ((r = store_vms_dir_alloc(&it->vms)) < 0 ||
	    (r = fs_list_names(it->vms, vm_name_validate, &it->names, &it->n)) < 0)
		goto fail;
	if ((it->vmsfd = open(it->vms, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = err_errno(-errno, "cannot open %s", it->vms);
		goto fail;
	}
	return 0;
fail:
	store_vm_iter_close(it);
	return r;
}

int store_vm_iter_next(struct store_iter *it)
{
	if (it->dirfd >= 0)
		close(it->dirfd);
	it->dirfd = -1;
	free(it->dir);
	it->dir = NULL;
	it->name = NULL;
	for (; it->i < it->n; it->i++) {
		const char *name = it->names[it->i];
		/* vm.json tells a VM from a folder being staged or removed */
		int fd = openat(it->vmsfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || !fs_exists_at(fd, "vm.json")) {
			if (fd >= 0)
				close(fd);
			continue; /* deleted meanwhile */
		}
		if (asprintf(&it->dir, "%s/%s", it->vms, name) < 0) {
			it->dir = NULL;
			close(fd);
			return err_set(-ENOMEM, "out of memory");
		}
		it->dirfd = fd;
		it->name = name;
		it->i++;
		return 1;
	}
	return 0;
}

void store_vm_iter_close(struct store_iter *it)
{
	if (it->dirfd >= 0)
		close(it->dirfd);
	if (it->vmsfd >= 0)
		close(it->vmsfd);
	free(it->dir);
	free(it->vms);
	fs_names_free(it->names, it->n);
	*it = (struct store_iter){ .vmsfd = -1, .dirfd = -1 };
}

int store_list(char ***names, size_t *n)
{
	_cleanup_free_ char *vms = NULL;
	int r;

	*names = NULL;
	*n = 0;
	if ((r = store_vms_dir_alloc(&vms)) < 0)
		return r;
	return fs_list_names(vms, vm_name_validate, names, n);
}

void store_list_free(char **names, size_t n)
{
	fs_names_free(names, n);
}
