/* SPDX-License-Identifier: MIT */
/* The destination's side of a migration (hv __migrate-in, see migration.h). */
#include "migration/migration.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "manager/power.h"
#include "migration/checks.h"
#include "migration/netmove.h"
#include "migration/peer.h"
#include "migration/storage.h"
#include "storage/image.h"
#include "migration/remote.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define PREPARE_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 60000
#define VANISH_TIMEOUT_MS  15000
#define LOAD_TIMEOUT_MS	   20000 /* below the source's COMMIT_TIMEOUT_MS */

struct incoming {
	struct peer peer;
	const char *name;
	bool live, postcopy;
	bool copy_storage; /* the disks are new here, filled over NBD (storage.h) */
	bool remote;	   /* the source is on another host (ssh): nothing to link from */
	char host[64];	   /* where the migration stream comes in */
	int vmsfd, stagefd;
	char *stage; /* .incoming-NAME-PID in vms/ */
	struct vm_handle h;
	struct vmdef d;
	int guard; /* the write end of the monitor's guard, until committed */
	struct qmp *q;
	int lfd;
	int nbd_port; /* copy_storage: the NBD server's, 0 if none */
	bool started, committed;
	unsigned nets_taken; /* networks where the VM's address is reserved (netmove.h) */
};

/* Hard links of every file under from, in the same folders under to. */
static int link_tree(int from, int to)
{
	DIR *d = fdopendir(dup(from));
	struct dirent *e;
	int r = 0;

	if (!d)
		return err_errno(-errno, "cannot read a folder");
	while (r == 0 && (e = readdir(d))) {
		_cleanup_close_ int sub = -1, dst = -1;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (e->d_type != DT_DIR) {
			if (linkat(from, e->d_name, to, e->d_name, 0) < 0)
				r = err_errno(-errno, "cannot link %s", e->d_name);
			continue;
		}
		if ((sub = openat(from, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		    mkdirat(to, e->d_name, 0700) < 0 ||
		    (dst = openat(to, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			r = err_errno(-errno, "cannot take %s", e->d_name);
		else
			r = link_tree(sub, dst);
	}
	closedir(d);
	return r;
}

/* Snapshots travel with the disks (their data is in the qcow2 images):
 * their folder is linked, file by file. */
static int take_snapshots(int srcfd, int stagefd)
{
	_cleanup_close_ int from = openat(srcfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC), to = -1;
	int r;

	if (from < 0)
		return errno == ENOENT ? 0 : err_errno(-errno, "cannot open the source's snapshots");
	if (mkdirat(stagefd, "snapshots", 0700) < 0 ||
	    (to = openat(stagefd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot create the snapshots folder");
	if ((r = link_tree(from, to)) < 0)
		return err_prefix(r, "cannot take the snapshots");
	return 0;
}

/* Snapshots live inside the disk images (qcow2 internal snapshots), which
 * --copy-storage does not carry: a VM that has any is refused. */
static int no_snapshots(struct incoming *x, int srcfd)
{
	_cleanup_close_ int fd = openat(srcfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *e;
	bool any = false;

	if (fd < 0)
		return errno == ENOENT ? 0 : err_errno(-errno, "cannot open the source's snapshots");
	if (!(d = fdopendir(TAKE_FD(fd))))
		return err_errno(-errno, "cannot read the source's snapshots");
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return any ? err_set(-ENOTSUP,
			     "VM '%s' has snapshots, which --copy-storage does not carry (they live inside its "
			     "disk images): delete them first (hv snapshot delete), or use shared storage",
			     x->name)
		   : 0;
}

/* A file of the source's folder into the staged one: a hard link, or a
 * copy when the stores are on different filesystems. */
static int take_file(struct incoming *x, int srcfd, const char *src, const char *f)
{
	_cleanup_free_ char *from = NULL, *to = NULL, *vms = NULL;
	int r;

	if (linkat(srcfd, f, x->stagefd, f, 0) == 0)
		return 0;
	if (errno != EXDEV)
		return err_errno(-errno, "cannot take %s", f);
	if ((r = store_vms_dir_alloc(&vms)) < 0)
		return r;
	if (asprintf(&from, "%s/%s", src, f) < 0 || asprintf(&to, "%s/%s/%s", vms, x->stage, f) < 0) {
		from = to = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	return image_copy(from, to);
}

/* Shared storage on one host is one filesystem (the disks are linked). */
static int not_shared(struct incoming *x, const char *disk)
{
	_cleanup_free_ char *root = NULL;

	if (store_root_alloc(&root) < 0)
		err_clear();
	return err_set(-EXDEV, "disk %s of VM '%s' is not reachable from %s (another filesystem): use --copy-storage",
		       disk, x->name, root ? root : "the destination store");
}

/* The disks: hard links to the source's (shared storage on one host),
 * or new images filled over NBD (--copy-storage). */
static int take_disks(struct incoming *x, int srcfd, const char *src, struct json_object *sizes)
{
	if (x->copy_storage) {
		_cleanup_free_ char *vms = NULL, *dir = NULL;
		int r = store_vms_dir_alloc(&vms);
		if (r < 0)
			return r;
		if (asprintf(&dir, "%s/%s", vms, x->stage) < 0) {
			dir = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
		return storage_create_disks(x->stagefd, dir, &x->d, sizes, x->live ? NULL : src);
	}
	for (unsigned i = 0; i < x->d.ndisks; i++) {
		const char *p = x->d.disks[i].path;
		if (!x->d.disks[i].owned)
			continue;
		if (strchr(p, '/') || p[0] == '.')
			return err_set(-EINVAL, "disk %u: a disk in the VM's folder with a bad name '%s'", i, p);
		if (linkat(srcfd, p, x->stagefd, p, 0) < 0)
			return errno == EXDEV ? not_shared(x, p) : err_errno(-errno, "cannot take disk %s", p);
	}
	return 0;
}

/* vm.json as sent, then the disks and the files that travel with it. */
static int stage_folder(struct incoming *x, struct json_object *msg)
{
	struct json_object *vm = NULL, *sizes = NULL, *files = NULL;
	const char *src = NULL;
	_cleanup_close_ int srcfd = -1;
	int r;

	if ((r = json_get_object(msg, "vm", "prepare", &vm)) < 0 ||
	    (r = json_need_str(msg, "source_dir", "prepare", &src)) < 0 ||
	    (r = json_get_bool(msg, "live", "prepare", &x->live)) < 0 ||
	    ((r = json_get_bool(msg, "postcopy", "prepare", &x->postcopy)) < 0 && r != -ENOENT) ||
	    ((r = json_get_bool(msg, "copy_storage", "prepare", &x->copy_storage)) < 0 && r != -ENOENT) ||
	    ((r = json_get_array(msg, "disk_sizes", "prepare", &sizes)) < 0 && r != -ENOENT) ||
	    ((r = json_get_bool(msg, "remote", "prepare", &x->remote)) < 0 && r != -ENOENT) ||
	    ((r = json_get_array(msg, "files", "prepare", &files)) < 0 && r != -ENOENT))
		return r < 0 && r != -ENOENT ? r : err_set(-EPROTO, "prepare: vm is missing");
	if (!vm)
		return err_set(-EPROTO, "prepare: vm is missing");
	if (!x->remote && (srcfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open the source's folder %s here", src);
	if ((x->vmsfd = store_vms_open()) < 0)
		return x->vmsfd;
	if (faccessat(x->vmsfd, x->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return err_set(-EEXIST, "a VM named '%s' already exists at the destination", x->name);
	if (asprintf(&x->stage, ".incoming-%s-%d", x->name, (int)getpid()) < 0) {
		x->stage = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	if (mkdirat(x->vmsfd, x->stage, 0700) < 0) {
		free(x->stage);
		x->stage = NULL;
		return err_errno(-errno, "cannot create a VM folder in the destination store");
	}
	if ((x->stagefd = openat(x->vmsfd, x->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_errno(-errno, "cannot open the staged folder");
	if ((r = json_write_atomic(x->stagefd, "vm.json",
				   json_object_to_json_string_ext(vm, JSON_C_TO_STRING_PRETTY))) < 0 ||
	    (r = fs_write_atomic(x->stagefd, "lock", "", 0, 0600)) < 0)
		return r;
	if ((r = vmdef_load(x->stagefd, &x->d)) < 0)
		return err_prefix(r, "the VM's definition");
	if (strcmp(x->d.name, x->name))
		return err_set(-EPROTO, "the definition is of VM '%s', not '%s'", x->d.name, x->name);
	if (x->remote) {
		/* another host: the files came in the message, the disks are
		 * shared storage or new ones filled over NBD */
		if (x->copy_storage && !x->live)
			return err_set(-ENOTSUP,
				       "an offline --copy-storage works between stores of one host only: "
				       "start VM '%s' and migrate it live",
				       x->name);
		if ((r = x->copy_storage ? take_disks(x, srcfd, src, sizes) : migrate_disks_reachable(&x->d)) < 0)
			return r;
		return migrate_files_unpack(files, x->stagefd);
	}
	if ((r = take_disks(x, srcfd, src, sizes)) < 0)
		return r;
	for (const char *const *f = migrate_travelling; *f; f++)
		if (faccessat(srcfd, *f, F_OK, AT_SYMLINK_NOFOLLOW) == 0 && (r = take_file(x, srcfd, src, *f)) < 0)
			return r;
	return x->copy_storage ? no_snapshots(x, srcfd) : take_snapshots(srcfd, x->stagefd);
}

/* The VM's hv networks and port forwards here (netmove.h). */
static int take_networks(struct incoming *x, struct json_object *msg)
{
	struct json_object *nets = NULL;
	const char *boot = NULL;
	char here[40];
	int64_t qpid = 0;
	bool same_host;
	int r;

	if (((r = json_get_array(msg, "networks", "prepare", &nets)) < 0 && r != -ENOENT) ||
	    ((r = json_get_str(msg, "source_boot_id", "prepare", &boot)) < 0 && r != -ENOENT) ||
	    ((r = json_get_int64(msg, "source_qemu_pid", "prepare", &qpid)) < 0 && r != -ENOENT))
		return r;
	same_host = boot && proc_boot_id(here) == 0 && !strcmp(here, boot);
	err_clear();
	if ((r = mig_forwards_check(&x->d, same_host, (pid_t)qpid)) < 0)
		return r;
	for (unsigned i = 0; !nets && i < x->d.nnics; i++)
		if (x->d.nics[i].mode == NIC_NETWORK)
			return err_set(-EPROTO, "prepare: the VM is on hv network %s, but no networks came",
				       x->d.nics[i].target);
	return mig_networks_take(x->name, &x->d, nets, &x->nets_taken);
}

/* A handle on the staged folder, locked, as hv start's code wants one. */
static int stage_handle(struct incoming *x)
{
	memset(&x->h, 0, sizeof(x->h));
	x->h.dirfd = x->h.lockfd = -1;
	snprintf(x->h.name, sizeof(x->h.name), "%s", x->name);
	{
		_cleanup_free_ char *vms = NULL;
		int r = store_vms_dir_alloc(&vms);
		if (r < 0)
			return r;
		if (asprintf(&x->h.dir, "%s/%s", vms, x->stage) < 0) {
			x->h.dir = NULL;
			return err_set(-ENOMEM, "out of memory");
		}
	}
	if ((x->h.dirfd = dup(x->stagefd)) < 0 || (x->h.lockfd = openat(x->stagefd, "lock", O_RDWR | O_CLOEXEC)) < 0 ||
	    flock(x->h.lockfd, LOCK_EX | LOCK_NB) < 0)
		return err_errno(-errno, "cannot lock the staged folder");
	return 0;
}

/* Start QEMU waiting for the state (forwards come once the source let
 * go of the ports), and listen for the source's QEMU. */
static int start_incoming(struct incoming *x, int *port)
{
	struct qmp_migrate_caps caps = { .postcopy = x->postcopy };
	struct vm_started started;
	struct vmdef run;
	int g[2], r;

	if ((r = stage_handle(x)) < 0 || (r = vmdef_dup(&x->d, &run)) < 0)
		return r;
	for (unsigned i = 0; i < run.nnics; i++)
		run.nics[i].nfwd = 0;
	if (pipe2(g, O_CLOEXEC) < 0) {
		vmdef_free(&run);
		return err_errno(-errno, "pipe");
	}
	{
		struct vm_start_opts so = VM_START_OPTS_INIT;
		so.owner_fd = g[0];
		so.incoming = true;
		r = vm_start_locked(&x->h, &run, &so, &started);
	}
	close(g[0]);
	vmdef_free(&run);
	x->guard = g[1];
	if (r < 0)
		return err_prefix(r, "the destination QEMU");
	x->started = true;
	if ((r = vm_qmp_open(&x->h, &x->q)) < 0 || (r = qmp_migrate_set_caps(x->q, &caps)) < 0)
		return r;
	if ((r = migrate_listen(x->remote, &x->lfd, x->host, sizeof(x->host), port)) < 0)
		return r;
	if (x->copy_storage) {
		_cleanup_close_ int nfd = -1;
		char nbd_host[64];
		if ((r = migrate_listen(x->remote, &nfd, nbd_host, sizeof(nbd_host), &x->nbd_port)) < 0 ||
		    (r = storage_export(x->q, x->d.ndisks, nfd)) < 0)
			return r;
	}
	return 0;
}

/* The source's QEMU connects; the stream goes to ours.  The listening
 * port closes at once. */
static int take_stream(struct incoming *x)
{
	struct pollfd pf[2] = { { x->lfd, POLLIN, 0 }, { x->peer.in, POLLIN, 0 } };
	_cleanup_close_ int c = -1;
	int r = poll(pf, 2, CONNECT_TIMEOUT_MS);

	if (r == 0)
		return err_set(-ETIMEDOUT, "the source's QEMU did not connect within %d s", CONNECT_TIMEOUT_MS / 1000);
	if (pf[1].revents && !(pf[0].revents))
		return err_set(-ECONNRESET, "the source gave up before its QEMU connected");
	if ((c = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return err_errno(-errno, "accept");
	close(x->lfd);
	x->lfd = -1;
	return qmp_migrate_incoming_fd(x->q, c);
}

/* The source's QEMU is done sending; ours may still be loading.  QEMU
 * decides the run state when the load ends: a cont before that is only
 * remembered ("autostart"), and a state sent paused (the paused copy under
 * TCG, docs/migration.md) ends paused whatever was remembered.  So the
 * load must be complete before the cont. */
static int wait_loaded(struct incoming *x)
{
	struct qmp_migration m;
	int r;

	for (uint64_t end = proc_now_ms() + LOAD_TIMEOUT_MS; proc_now_ms() < end; proc_sleep_ms(10)) {
		if ((r = qmp_query_migrate(x->q, &m)) < 0)
			return err_prefix(r, "the destination QEMU");
		if (m.state == QMP_MIG_COMPLETED)
			return 0;
		if (m.state == QMP_MIG_FAILED || m.state == QMP_MIG_CANCELLED)
			return err_set(-EIO, "the destination QEMU could not load the VM's state%s%s",
				       m.error[0] ? ": " : "", m.error);
	}
	return err_set(-ETIMEDOUT, "the destination QEMU did not finish loading the VM's state within %d s",
		       LOAD_TIMEOUT_MS / 1000);
}

/* The VM will not run here (its QEMU refused cont or died, or the staged
 * folder is gone): the guest never ran at the destination, so the source
 * may run it again.  A defined VM is stopped and its folder removed; the
 * source is told "retracted" instead of "ok". */
static int retract(struct incoming *x, bool defined)
{
	struct json_object *o;
	struct vm_status final;
	struct err_saved e;

	err_save(&e);
	if (defined) {
		qmp_close(x->q);
		x->q = NULL;
		/* its monitor may have removed it already (QEMU died) */
		if (faccessat(x->vmsfd, x->name, F_OK, AT_SYMLINK_NOFOLLOW) == 0) {
			if (vm_hard_stop_locked(&x->h, "the migrated VM did not resume here", &final) < 0 ||
			    renameat(x->vmsfd, x->name, x->vmsfd, x->stage) < 0) {
				err_restore(&e);
				return err_prefix(-EIO, "the VM is defined at the destination but did not resume, "
							"and could not be removed");
			}
			fs_rm_rf_at(x->vmsfd, x->stage);
			fsync(x->vmsfd);
		}
		x->committed = false;
	}
	err_restore(&e);
	if ((o = json_object_new_object()))
		json_object_object_add(o, "message", json_object_new_string(err_msg()));
	return peer_send(&x->peer, "retracted", o) < 0 ? -EIO : -ECANCELED;
}

/* The point of no return: the folder takes its name, the monitor stops
 * guarding, and the VM runs here. */
static int commit(struct incoming *x, struct json_object *msg)
{
	struct qmp_status qs;
	bool run = false;
	int r;

	if ((r = json_get_bool(msg, "run", "commit", &run)) < 0 && r != -ENOENT)
		return r;
	/* the guest has not run here: a failed load gives it back to the source */
	if (x->started && wait_loaded(x) < 0)
		return retract(x, false);
	/* the source let go of its NBD connections: none comes again */
	if (x->nbd_port && (r = storage_unexport(x->q, x->d.ndisks)) < 0) {
		err_prefix(r, "the destination's NBD server");
		return retract(x, false);
	}
	x->nbd_port = 0;
	if (renameat2(x->vmsfd, x->stage, x->vmsfd, x->name, RENAME_NOREPLACE) < 0) {
		err_errno(-errno, "cannot define VM '%s' at the destination", x->name);
		return retract(x, false);
	}
	fsync(x->vmsfd);
	x->committed = true;
	if (x->started) {
		char c = MONITOR_OWNER_RELEASE;
		(void)!write(x->guard, &c, 1);
		close(x->guard);
		x->guard = -1;
		/* a paused VM stays paused: its QEMU must still be there */
		if (run ? qmp_cont(x->q) < 0 : qmp_query_status(x->q, &qs) < 0)
			return retract(x, true);
	}
	return peer_send(&x->peer, "ok", NULL);
}

static int add_forwards(struct incoming *x)
{
	for (unsigned i = 0; x->q && i < x->d.nnics; i++)
		for (unsigned f = 0; f < x->d.nics[i].nfwd; f++) {
			const struct nic_forward *w = &x->d.nics[i].fwd[f];
			struct qmp_hostfwd h = { .udp = !strcmp(w->proto, "udp"),
						 .host_addr = w->host_addr,
						 .host_port = w->host_port,
						 .guest_port = w->guest_port };
			char netdev[16];
			int r;
			snprintf(netdev, sizeof(netdev), "net%u", i);
			if ((r = qmp_hostfwd_add(x->q, netdev, &h)) < 0)
				return err_prefix(r, "port forward %u of NIC %u", w->host_port, i);
		}
	return peer_send(&x->peer, "ok", NULL);
}

/* The source store let go of the VM's networks (on one host they are
 * shared by name): this store's reservations and forwards apply again. */
static int refresh_networks(struct incoming *x)
{
	mig_networks_refresh(&x->d);
	return peer_send(&x->peer, "ok", NULL);
}

/* Not committed: nothing stays.  A started QEMU is killed by its monitor
 * when the guard closes, and the monitor removes the folder. */
static void undo(struct incoming *x)
{
	if (x->committed || !x->stage)
		return;
	if (x->nets_taken)
		mig_networks_undo(x->name, &x->d, x->nets_taken);
	if (x->guard >= 0) {
		close(x->guard);
		x->guard = -1;
		for (uint64_t end = proc_now_ms() + VANISH_TIMEOUT_MS; proc_now_ms() < end;) {
			if (faccessat(x->vmsfd, x->stage, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
				return;
			proc_sleep_ms(20);
		}
	}
	fs_rm_rf_at(x->vmsfd, x->stage);
}

/* The source may first ask for this host's facts (checks.h); then comes
 * "prepare" (in *msg). */
static int answer_facts(struct incoming *x, struct json_object **msg)
{
	struct mig_facts f;
	struct json_object *o;
	const char *op;
	int r;

	if ((r = peer_recv(&x->peer, PREPARE_TIMEOUT_MS, msg, &op)) < 0)
		return r;
	if (!strcmp(op, "prepare"))
		return 0;
	if (strcmp(op, "facts"))
		return err_set(-EPROTO, "the source sent '%s' where 'facts' or 'prepare' was due", op);
	json_object_put(*msg);
	*msg = NULL;
	if ((r = mig_facts_gather(&f)) < 0)
		return r;
	if (!(o = mig_facts_to_json(&f)))
		return err_set(-ENOMEM, "out of memory");
	if ((r = peer_send(&x->peer, "facts", o)) < 0)
		return r;
	return peer_expect(&x->peer, PREPARE_TIMEOUT_MS, "prepare", msg);
}

static int serve(struct incoming *x)
{
	_cleanup_json_ struct json_object *msg = NULL;
	struct json_object *ready;
	const char *op;
	int r, port = 0;

	if ((r = answer_facts(x, &msg)) < 0 || (r = stage_folder(x, msg)) < 0 || (r = take_networks(x, msg)) < 0)
		return r;
	if (x->live && (r = start_incoming(x, &port)) < 0)
		return r;
	if (!(ready = json_object_new_object()))
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(ready, "port", json_object_new_int(port));
	if (x->nbd_port)
		json_object_object_add(ready, "nbd_port", json_object_new_int(x->nbd_port));
	if (x->host[0])
		json_object_object_add(ready, "host", json_object_new_string(x->host));
	if ((r = peer_send(&x->peer, "ready", ready)) < 0)
		return r;
	if (x->live && (r = take_stream(x)) < 0)
		return r;
	json_object_put(msg);
	msg = NULL;
	/* the source says when its QEMU is done (or gives up) */
	if ((r = peer_expect(&x->peer, -1, "commit", &msg)) < 0 || (r = commit(x, msg)) < 0)
		return r;
	for (;;) {
		json_object_put(msg);
		msg = NULL;
		if ((r = peer_recv(&x->peer, -1, &msg, &op)) < 0)
			return r == -ECONNRESET ? 0 : r;
		if (!strcmp(op, "forwards"))
			r = add_forwards(x);
		else if (!strcmp(op, "networks"))
			r = refresh_networks(x);
		else
			r = err_set(-EPROTO, "unexpected '%s' after the commit", op);
		if (r < 0)
			return r;
	}
}

int migrate_in_main(const char *name, int in, int out)
{
	struct incoming x = { .name = name, .vmsfd = -1, .stagefd = -1, .guard = -1, .lfd = -1 };
	int r;

	peer_init_fds(&x.peer, in, out, "the source");
	vmdef_init(&x.d);
	x.h.dirfd = x.h.lockfd = -1;
	r = vm_name_validate(name);
	if (r == 0)
		r = serve(&x);
	if (r < 0) {
		struct err_saved e;
		err_save(&e);
		peer_send_error(&x.peer);
		undo(&x);
		err_restore(&e);
	}
	qmp_close(x.q);
	if (x.lfd >= 0)
		close(x.lfd);
	if (x.h.dir || x.h.dirfd >= 0)
		vm_close(&x.h);
	vmdef_free(&x.d);
	if (x.stagefd >= 0)
		close(x.stagefd);
	if (x.vmsfd >= 0)
		close(x.vmsfd);
	free(x.stage);
	return r;
}
