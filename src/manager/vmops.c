/* SPDX-License-Identifier: MIT */
/* The lowest layer of operations on one VM (see vmops.h). */
#include "manager/vmops.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "engine/qmp-ops.h"
#include "network/net.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

#define QMP_CONNECT_TIMEOUT_MS 5000

int vm_lock_and_load(const char *name, struct vm_handle *h, struct vmdef *d, struct vm_status *st)
{
	int r = vm_open_locked(name, VM_LOCK_TIMEOUT_MS, h);

	if (r < 0)
		return r;
	if ((r = vmdef_load_vm(h, d)) < 0) {
		vm_close(h);
		return r;
	}
	if ((r = status_derive(h->dirfd, h->dir, st)) < 0) {
		vmdef_free(d);
		vm_close(h);
	}
	return r;
}

void vm_release_addresses(const char *name, const struct vmdef *d)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].mode == NIC_NETWORK)
			net_unreserve(d->nics[i].target, name);
	err_clear();
}

int vm_disk_path(const char *vmdir, const struct vmdef_disk *k, char **out)
{
	int n = k->owned ? asprintf(out, "%s/%s", vmdir, k->path) : asprintf(out, "%s", k->path);

	if (n < 0) {
		*out = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

int vm_qmp_open(const struct vm_handle *h, struct qmp **q)
{
	return qmp_open_at(h->dirfd, "qmp.sock", QMP_CONNECT_TIMEOUT_MS, q);
}

void vm_mark_boot(int dirfd)
{
	struct stat st;
	char text[64];

	snprintf(text, sizeof(text), "{ \"console_offset\": %lld }",
		 fstatat(dirfd, "console.log", &st, 0) == 0 ? (long long)st.st_size : 0LL);
	json_write_atomic(dirfd, "boot.json", text);
	err_clear();
}

int vm_boot_console(int dirfd, char **log, size_t *len, size_t *from)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ struct json_object *o = NULL;
	int64_t off = 0;
	size_t tlen;
	int r;

	*log = NULL;
	*len = *from = 0;
	if ((r = fs_read_all(dirfd, "boot.json", 4096, &text, &tlen)) != -ENOENT &&
	    (r < 0 || (r = json_parse_object(text, tlen, "boot.json", &o)) < 0 ||
	     ((r = json_get_int64(o, "console_offset", "boot.json", &off)) < 0 && r != -ENOENT))) {
		/* damaged: where this boot began is lost; all of console.log is this boot's */
		char why[512];
		snprintf(why, sizeof(why), "%s", err_msg_for(r));
		off = 0;
		if (json_write_atomic(dirfd, "boot.json", "{ \"console_offset\": 0 }") == 0)
			err_warn("boot.json was damaged (%s): rewritten; this boot's console output is taken "
				 "from the start of console.log",
				 why);
	}
	err_clear();
	if ((r = fs_read_all(dirfd, "console.log", 4 << 20, log, len)) < 0)
		return r;
	/* rotated since (or no record): this boot's output is all there is */
	*from = off >= 0 && (uint64_t)off <= *len ? (size_t)off : 0;
	return 0;
}
