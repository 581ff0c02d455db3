/* SPDX-License-Identifier: MIT */
/* Fuzz target: a VM's own files as hv reads them back after a disk error
 * or a hand edit: vm.json (manager/vmdef.c, with its shares and NICs) and
 * status.json (manager/status.c).  The first byte picks the file, the
 * rest is its content, written into a VM folder made once.  A definition
 * that loads is saved and loaded again, and must say the same. */
#include <fcntl.h>
#include <stdio.h>

#include "manager/status.h"
#include "manager/vmdef.h"
#include "util/err.h"
#include "fuzz.h"

static char dir[64];
static int dirfd = -1;

static void cleanup(void)
{
	unlinkat(dirfd, "vm.json", 0);
	unlinkat(dirfd, "status.json", 0);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "/tmp/fuzz_statefiles.XXXXXX");
	if (!mkdtemp(dir) || (dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

static void put(const char *name, const uint8_t *data, size_t size)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1) {
		struct vm_status st;
		put("status.json", data + 1, size - 1);
		status_load(dirfd, &st);
	} else {
		struct vmdef d, again;
		vmdef_init(&d);
		vmdef_init(&again);
		put("vm.json", data + 1, size - 1);
		if (vmdef_load(dirfd, &d) == 0) {
			if (vmdef_save(dirfd, &d) < 0 || vmdef_load(dirfd, &again) < 0 || strcmp(d.name, again.name) ||
			    d.cpus != again.cpus || d.memory_mib != again.memory_mib)
				abort();
		}
		vmdef_free(&again);
		vmdef_free(&d);
	}
	err_clear();
	return 0;
}
