/* SPDX-License-Identifier: MIT */
/*
 * The appliance is a one-shot VM (manager/oneshot) whose command is
 * `/bin/sh -c SCRIPT`.  Its stdin is /dev/null; its stdout and stderr go
 * to anonymous memory files, read back when the VM has powered off, so
 * nothing reaches the caller's terminal and no file is left behind.
 */
#include "appliance/appliance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "manager/oneshot.h"
#include "util/cleanup.h"
#include "util/err.h"

/* Read back what the VM wrote into a memory file (at most the cap). */
static int read_back(int fd, char **out, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	size_t n, got = 0;
	char *buf;

	if (end < 0)
		return err_errno(-errno, "appliance: cannot read its output");
	n = (size_t)end > APPLIANCE_OUTPUT_MAX ? APPLIANCE_OUTPUT_MAX : (size_t)end;
	if (!(buf = malloc(n + 1)))
		return err_set(-ENOMEM, "out of memory");
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)got);
		if (k <= 0) {
			free(buf);
			return err_errno(k < 0 ? -errno : -EIO, "appliance: cannot read its output");
		}
		got += (size_t)k;
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return 0;
}

/* Why a run that did not report the script's status failed. */
static int run_failed(const struct oneshot_result *res)
{
	switch (res->end) {
	case ONESHOT_PANIC:
		return err_set(-EIO, "appliance: the guest kernel panicked");
	case ONESHOT_ESCAPED:
		return err_set(-EINTR, "appliance: interrupted");
	default:
		if (res->guest_error[0])
			return err_set(-EIO, "appliance: %s", res->guest_error);
		return err_set(-EIO, "appliance: the VM stopped before the script reported its exit status");
	}
}

void appliance_output_free(struct appliance_output *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
	res->out_len = res->err_len = 0;
}

int appliance_run(const char *const *disks, size_t ndisks, const char *script, struct appliance_output *res)
{
	_cleanup_close_ int in = -1, out = -1, err = -1;
	_cleanup_free_ struct oneshot_result * or = calloc(1, sizeof(* or));
	char *argv[] = { "/bin/sh", "-c", (char *)script, NULL };
	struct oneshot_plan *plan;
	struct oneshot_opts o;
	const char *why;
	int fds[3], r;

	memset(res, 0, sizeof(*res));
	if (! or)
		return err_set(-ENOMEM, "out of memory");
	if (ndisks > ENGINE_MAX_DISKS)
		return err_set(-E2BIG, "appliance: at most %d disks", ENGINE_MAX_DISKS);
	in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	out = memfd_create("hv-appliance-out", MFD_CLOEXEC);
	err = memfd_create("hv-appliance-err", MFD_CLOEXEC);
	if (in < 0 || out < 0 || err < 0)
		return err_errno(-errno, "appliance: cannot create its output files");
	fds[0] = in;
	fds[1] = out;
	fds[2] = err;
	o = (struct oneshot_opts){ .cpus = 1,
				   .memory_mib = 256,
				   .machine = MACHINE_MICROVM,
				   .command = argv,
				   .stdio = fds,
				   .ndisks = ndisks,
				   .name_prefix = "appliance" };
	o.nics.none = true;
	for (size_t i = 0; i < ndisks; i++)
		o.disks[i] = disks[i];
	if ((r = accel_resolve(ACCEL_AUTO, &o.accel, &why)) < 0 || (r = oneshot_prepare(&o, &plan)) < 0 ||
	    (r = oneshot_run(plan, or)) < 0)
		return err_prefix(r, "appliance");
	if (or->end != ONESHOT_EXITED)
		return run_failed(or);
	res->status = or->status;
	if ((r = read_back(out, &res->out, &res->out_len)) < 0 || (r = read_back(err, &res->err, &res->err_len)) < 0) {
		appliance_output_free(res);
		return r;
	}
	return 0;
}
