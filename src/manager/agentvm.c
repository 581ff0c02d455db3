/* SPDX-License-Identifier: MIT */
/* Guest agent questions by VM name (see agentvm.h). */
#include "manager/agentvm.h"

#include <errno.h>

#include "manager/status.h"
#include "manager/store.h"
#include "util/err.h"
#include "util/fs.h"

int vm_guest_os(const char *name, struct agent_osinfo *os)
{
	_cleanup_qga_ struct qga *g = NULL;
	struct vm_handle h;
	struct vm_status st;
	int r = vm_open(name, &h);

	if (r < 0)
		return r;
	if ((r = status_derive(h.dirfd, h.dir, &st)) == 0 &&
	    (st.state != VM_RUNNING || !fs_exists_at(h.dirfd, "agent.sock"))) {
		err_clear();
		r = -ENOENT;
	}
	if (r == 0 && (r = qga_open_at(h.dirfd, QGA_PROBE_TIMEOUT_MS, QGA_PROBE_TIMEOUT_MS, &g)) == 0)
		r = agent_get_osinfo(g, QGA_PROBE_TIMEOUT_MS, os);
	vm_close(&h);
	return r;
}
