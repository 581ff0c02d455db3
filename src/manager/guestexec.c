/* SPDX-License-Identifier: MIT */
/* Commands in a running VM, through whichever way in it has (guestexec.h). */
#include "manager/guestexec.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "agent/agent.h"
#include "guest/session.h"
#include "manager/status.h"
#include "manager/store.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/sock.h"

enum guest_way vm_guest_way(const struct vmdef *d)
{
	/* hv's init runs from hv's initramfs (a custom --kernel keeps it) */
	if (!d->initrd && !d->image[0] && d->firmware == FIRMWARE_NONE)
		return GUEST_WAY_CHANNEL;
	return GUEST_WAY_AGENT;
}

/* The VM must be running (not paused: its guest could not answer). */
static int check_running(const struct vm_handle *h)
{
	struct vm_status st;
	int r = status_derive(h->dirfd, h->dir, &st);

	if (r < 0)
		return r;
	if (st.state == VM_PAUSED)
		return err_set(-EAGAIN, "VM '%s' is paused; resume it first: hv resume %s", h->name, h->name);
	if (st.state != VM_RUNNING)
		return err_set(-ESRCH, "VM '%s' is not running; start it first: hv start %s", h->name, h->name);
	return 0;
}

static int exec_channel(const struct vm_handle *h, const struct exec_request *req, int sigfd, struct exec_status *st)
{
	int fd = -1, r;

	if ((r = sock_connect_at(h->dirfd, "exec.sock", &fd)) == -ENOENT)
		return err_set(r,
			       "VM '%s' has no exec socket: it was started by an older hv; restart it (hv stop %s && "
			       "hv start %s)",
			       h->name, h->name, h->name);
	if (r < 0)
		return err_set(r,
			       "VM '%s': its monitor does not answer on exec.sock (%s); restart the VM (hv kill %s && "
			       "hv start %s)",
			       h->name, strerror(-r), h->name, h->name);
	r = gsess_run(fd, req, sigfd, st);
	close(fd);
	return r;
}

int vm_exec(const char *name, const struct exec_request *req, int sigfd, struct exec_status *st)
{
	struct vm_handle h;
	struct vmdef d;
	int r;

	if ((r = vm_open(name, &h)) < 0)
		return r;
	vmdef_init(&d);
	if ((r = vmdef_load_vm(&h, &d)) < 0 || (r = check_running(&h)) < 0)
		goto out;
	if (d.transient) {
		/* hv run speaks to its guest on the channel itself */
		r = err_set(-EBUSY,
			    "VM '%s' belongs to an hv run, whose command has its guest channel; run another "
			    "command with hv run, or make a persistent VM (hv create + hv start)",
			    name);
		goto out;
	}
	if (vm_guest_way(&d) == GUEST_WAY_CHANNEL)
		r = exec_channel(&h, req, sigfd, st);
	else
		r = agent_exec(h.dirfd, req, sigfd, st);
out:
	vmdef_free(&d);
	vm_close(&h);
	return r;
}

int vm_agent_open(const char *name, struct vm_handle *h)
{
	struct vmdef d;
	int r;

	if ((r = vm_open(name, h)) < 0)
		return r;
	vmdef_init(&d);
	if ((r = vmdef_load_vm(h, &d)) == 0 && vm_guest_way(&d) == GUEST_WAY_AGENT && (r = check_running(h)) == 0)
		r = 1;
	vmdef_free(&d);
	if (r <= 0)
		vm_close(h);
	return r;
}
