/* SPDX-License-Identifier: MIT */
/* Fuzz target: what a qcow2 header names (storage/qcow2.c), read from an
 * image file whose bytes are the input (a memfd). */
#include <sys/mman.h>

#include "storage/qcow2.h"
#include "util/err.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qcow2_meta m;
	int fd = memfd_create("fuzz.qcow2", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	qcow2_is(fd);
	if (qcow2_read_meta(fd, "fuzz.qcow2", &m) == 0 &&
	    (strlen(m.backing) > QCOW2_NAME_MAX || strlen(m.data_file) > QCOW2_NAME_MAX ||
	     (m.version != 2 && m.version != 3)))
		abort();
	close(fd);
	err_clear();
	return 0;
}
