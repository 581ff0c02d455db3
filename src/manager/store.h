/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The store: $HV_HOME (default /var/lib/hv for root, ~/.local/share/hv
 * otherwise) holds vms/NAME/, one folder per VM:
 *   vm.json       the definition (written by hv commands under the lock)
 *   status.json   the runtime record (written by the VM's monitor)
 *   lock          flock'ed by every command that changes the VM
 *   qemu.args     the exact QEMU command line of the last start
 *   qemu.log      QEMU's own messages;  console.log  the serial console
 *   qmp.sock, console.sock   while it runs;  disk0.qcow2 ... its disks
 * A folder appears complete (staged, then renamed into place) and
 * disappears at once (renamed aside, then removed).
 */
#include <stdbool.h>
#include <stddef.h>

#define VM_NAME_MAX 63

struct vm_handle {
	char name[VM_NAME_MAX + 1];
	char *dir; /* absolute path of the VM folder (malloc'ed, freed by vm_close) */
	int dirfd;
	int lockfd; /* -1 unless locked */
};

/* The store root, created on first use (mode 0700). */
int store_root(char *buf, size_t n);
int store_vms_dir(char *buf, size_t n);
/* The same as malloc'ed strings (*out freed by the caller). */
int store_root_alloc(char **out);
int store_vms_dir_alloc(char **out);
/* An open O_DIRECTORY fd of $HV_HOME/vms (created on first use), for
 * I/O relative to it; the caller closes it. */
int store_vms_open(void);
/* Names: 1-63 characters from [A-Za-z0-9._-], starting with a letter or
 * digit (they become folder names and guest hostnames). */
int vm_name_validate(const char *name);

/* Open an existing VM (no lock). */
int vm_open(const char *name, struct vm_handle *h);
/* Open and lock; waits up to timeout_ms for another command to finish. */
int vm_open_locked(const char *name, int timeout_ms, struct vm_handle *h);
void vm_close(struct vm_handle *h);

/* Each VM of the store in name order, its folder open:
 *	struct store_iter it;
 *	for (r = store_vm_iter_open(&it); r >= 0 && (r = store_vm_iter_next(&it)) > 0;)
 *		... it.name, it.dirfd, it.dir ...
 *	store_vm_iter_close(&it);
 * next returns 1 with the next VM, 0 at the end, or a negative errno.  A
 * VM deleted meanwhile is skipped; it.dirfd and it.dir are valid until
 * the next call.  (vmdef.h has the same with each definition loaded.) */
struct store_iter {
	int vmsfd;
	char *vms;
	char **names;
	size_t n, i;
	const char *name;
	int dirfd;
	char *dir;
};
int store_vm_iter_open(struct store_iter *it);
int store_vm_iter_next(struct store_iter *it);
void store_vm_iter_close(struct store_iter *it);

/* Names of all VMs, sorted; *names is a malloc'ed array of malloc'ed strings. */
int store_list(char ***names, size_t *n);
void store_list_free(char **names, size_t n);
