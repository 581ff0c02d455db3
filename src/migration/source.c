/* SPDX-License-Identifier: MIT */
/* The source's side of a migration: pre-checks, the destination's hv,
 * QEMU's migration followed by its events, switchover, and giving the VM
 * back to the source on any failure (see migration.h). */
#include "migration/migration.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "engine/qmp-ops.h"
#include "manager/linked.h"
#include "manager/migrec.h"
#include "manager/power.h"
#include "manager/vm.h"
#include "migration/checks.h"
#include "migration/netmove.h"
#include "migration/peer.h"
#include "migration/storage.h"
#include "migration/remote.h"
#include "remote/ssh.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define READY_TIMEOUT_MS  90000 /* the destination's QEMU up (TCG, a busy host) */
#define COMMIT_TIMEOUT_MS 30000
#define PROGRESS_MS	  500

struct outgoing {
	const struct migrate_opts *o;
	struct migrate_report *rep;
	struct vm_handle h;
	struct vmdef d;
	struct vm_status st;
	struct peer peer;
	struct qmp *q;
	struct storage_mirror mirror; /* --copy-storage */
	int nbd_port;
	bool live, was_running, migrating, mirroring, switchover;
	bool same_host;	    /* the destination is on this host (checks.h) */
	char dest_host[64]; /* the destination's address for the streams (ready's host) */
	uint64_t t0;
	struct remote_url url; /* an ssh:// destination (url.host set) */
	/* the link's rate, measured between progress reports (QEMU's mbps
	 * is a figure of its last 100 ms window, often stale) */
	uint64_t rate_bytes, rate_ms;
	double rate;
};

static int resolve_dest(struct outgoing *x, const char *dest, char *out, size_t n)
{
	_cleanup_free_ char *real = NULL, *root = NULL, *ours = NULL;
	int r;

	if (remote_is_url(dest)) {
		if ((r = remote_url_parse(dest, &x->url)) < 0)
			return r;
		if (snprintf(out, n, "%s", dest) >= (int)n)
			return err_set(-ENAMETOOLONG, "destination URL too long");
		return 0;
	}
	if (!(real = realpath(dest, NULL)))
		return err_errno(-errno, "destination store %s", dest);
	if ((r = store_root_alloc(&root)) < 0)
		return r;
	if ((ours = realpath(root, NULL)) && !strcmp(ours, real))
		return err_set(-EINVAL, "%s is this VM's own store", dest);
	if (snprintf(out, n, "%s", real) >= (int)n)
		return err_set(-ENAMETOOLONG, "destination path too long");
	return 0;
}

/* What cannot move (yet), said up front in one line each. */
static int prechecks(struct outgoing *x)
{
	const struct vmdef *d = &x->d;
	char users[512];

	if (d->shares.n)
		return err_set(-ENOTSUP,
			       "VM '%s' has shared folders (virtio-fs), whose state cannot migrate: remove them first",
			       d->name);
	if (fs_exists_at(x->h.dirfd, "saved/vmstate"))
		return err_set(-ENOTSUP, "VM '%s' was saved with hv save: start it, then migrate it live", d->name);
	linked_dependants_text(d->name, users, sizeof(users));
	if (users[0])
		return err_set(-EBUSY, "linked clones depend on VM '%s' (%s)", d->name, users);
	return 0;
}

/* The destination's facts, against ours and the VM (checks.h). */
static int check_dest(struct outgoing *x)
{
	_cleanup_json_ struct json_object *reply = NULL;
	struct mig_precheck_in in = {
		.name = x->d.name, .d = &x->d, .accel = x->st.accel, .live = x->live, .copy_storage = x->o->copy_storage
	};
	struct mig_facts there;
	int r;

	if ((r = peer_send(&x->peer, "facts", NULL)) < 0 ||
	    (r = peer_expect(&x->peer, READY_TIMEOUT_MS, "facts", &reply)) < 0 ||
	    (r = mig_facts_from_json(reply, &there)) < 0)
		return r;
	return mig_prechecks(&in, &there, &x->same_host);
}

/* The networks the VM is on and what the destination needs to tell
 * whether a forward's port is the source's own (netmove.h). */
static int add_networks(struct outgoing *x, struct json_object *msg)
{
	struct json_object *nets = NULL;
	char boot[40];
	int r;

	if ((r = mig_networks_describe(x->d.name, &x->d, &nets)) < 0 || (r = proc_boot_id(boot)) < 0) {
		json_object_put(nets);
		return r;
	}
	json_object_object_add(msg, "networks", nets);
	json_object_object_add(msg, "source_boot_id", json_object_new_string(boot));
	if (x->live)
		json_object_object_add(msg, "source_qemu_pid", json_object_new_int64(x->st.qemu.pid));
	return 0;
}

static int prepare_dest(struct outgoing *x, char *host, size_t hn, int *port)
{
	_cleanup_json_ struct json_object *ready = NULL;
	struct json_object *msg = json_object_new_object(), *vm = NULL;
	int64_t p = 0;
	int r;

	if (!msg)
		return err_set(-ENOMEM, "out of memory");
	if ((r = json_read_object(x->h.dirfd, "vm.json", 1 << 20, &vm)) < 0) {
		json_object_put(msg);
		return r;
	}
	json_object_object_add(msg, "vm", vm);
	json_object_object_add(msg, "source_dir", json_object_new_string(x->h.dir));
	json_object_object_add(msg, "live", json_object_new_boolean(x->live));
	json_object_object_add(msg, "postcopy", json_object_new_boolean(x->o->postcopy));
	if ((r = add_networks(x, msg)) < 0) {
		json_object_put(msg);
		return r;
	}
	if (x->o->copy_storage) {
		struct json_object *sizes = NULL;
		if ((r = storage_disk_sizes(x->h.dirfd, &x->d, &sizes)) < 0) {
			json_object_put(msg);
			return r;
		}
		json_object_object_add(msg, "copy_storage", json_object_new_boolean(true));
		json_object_object_add(msg, "disk_sizes", sizes);
	}
	/* another host: the folder's files travel in the message */
	json_object_object_add(msg, "remote", json_object_new_boolean(x->url.host != NULL));
	if (x->url.host && (r = migrate_files_pack(x->h.dirfd, msg)) < 0) {
		json_object_put(msg);
		return r;
	}
	if ((r = peer_send(&x->peer, "prepare", msg)) < 0 ||
	    (r = peer_expect(&x->peer, READY_TIMEOUT_MS, "ready", &ready)) < 0)
		return r;
	if ((r = json_get_int64(ready, "port", "ready", &p)) < 0 || p < 0 || p > 65535)
		return r < 0 ? r : err_set(-EPROTO, "ready: bad port");
	*port = (int)p;
	if (x->o->copy_storage && x->live) {
		if ((r = json_get_int64(ready, "nbd_port", "ready", &p)) < 0 || p <= 0 || p > 65535)
			return r < 0 && r != -ENOENT ? r : err_set(-EPROTO, "ready: no NBD port for --copy-storage");
		x->nbd_port = (int)p;
	}
	{
		const char *h = "127.0.0.1";
		if ((r = json_get_str(ready, "host", "ready", &h)) < 0 && r != -ENOENT)
			return r;
		snprintf(host, hn, "%s", h);
		snprintf(x->dest_host, sizeof(x->dest_host), "%s", h);
	}
	return 0;
}

static void report_progress(struct outgoing *x, const struct qmp_migration *m, const char *phase)
{
	uint64_t now = proc_now_ms();

	if (now >= x->rate_ms + 100 && m->transferred >= x->rate_bytes) {
		if (x->rate_ms)
			x->rate = (double)(m->transferred - x->rate_bytes) * 1000.0 / (double)(now - x->rate_ms);
		x->rate_bytes = m->transferred;
		x->rate_ms = now;
	}
	struct migrate_progress p = {
		.phase = phase,
		.transferred = m->transferred,
		.remaining = m->remaining,
		.total = m->total,
		.rate = x->rate ? x->rate : m->mbps * 1e6 / 8,
		.dirty_rate = m->dirty_rate,
		.pass = m->passes,
		/* a paused copy's downtime is the copy itself */
		.expected_downtime_ms = x->rep->paused_copy ? -1 : m->expected_downtime_ms,
		.elapsed_ms = now - x->t0,
	};

	if (x->o->progress)
		x->o->progress(&p, x->o->ctx);
}

static const char *state_phase(enum qmp_migration_state s)
{
	return s == QMP_MIG_SETUP ? "setup" : s == QMP_MIG_ACTIVE ? "active" : "postcopy";
}

/* The stall detector: a link cut without a reset (packets dropped) leaves
 * QEMU's socket waiting for TCP's retransmissions for many minutes; no
 * byte sent for limit_ms ends the migration instead. */
struct stall {
	uint64_t limit_ms, last_bytes, since;
};

static int stall_check(struct stall *s, uint64_t transferred)
{
	uint64_t now = proc_now_ms();

	if (!s->since || transferred != s->last_bytes) {
		s->last_bytes = transferred;
		s->since = now;
		return 0;
	}
	if (now - s->since < s->limit_ms)
		return 0;
	return err_set(-ETIMEDOUT,
		       "the migration sent nothing for %llu s: the link to the destination is cut or stalled (the "
		       "VM runs on at the source)",
		       (unsigned long long)(s->limit_ms / 1000));
}

/* Follow QEMU's migration to its end: MIGRATION events say when the state
 * changes, query-migrate gives the figures for progress; the user may
 * cancel, the destination may go away, the timeout may come. */
static int follow(struct outgoing *x, struct qmp_migration *m)
{
	uint64_t deadline = x->o->timeout_s ? proc_now_ms() + (uint64_t)x->o->timeout_s * 1000 : 0;
	enum qmp_migration_state state = QMP_MIG_SETUP;
	uint64_t next_query = 0;
	struct stall stall = { .limit_ms = (uint64_t)(x->o->stall_s ? x->o->stall_s : MIGRATE_STALL_S) * 1000 };
	int r;

	for (;;) {
		struct qmp_event ev;
		struct pollfd pf[3] = { { qmp_fd(x->q), POLLIN, 0 },
					{ x->peer.in, POLLIN, 0 },
					{ x->o->cancel_fd, POLLIN, 0 } };
		while ((r = qmp_event_next(x->q, 0, &ev)) == 0 || r == -EBADMSG)
			if (r == 0 && ev.kind == QMP_EVENT_MIGRATION)
				state = ev.migration;
		if (r != -ETIMEDOUT)
			return err_prefix(r, "the source QEMU");
		if (!qmp_migration_busy(state) || state == QMP_MIG_PRE_SWITCHOVER || proc_now_ms() >= next_query) {
			if ((r = qmp_query_migrate(x->q, m)) < 0)
				return r;
			state = m->state;
			next_query = proc_now_ms() + PROGRESS_MS;
			if (state == QMP_MIG_COMPLETED || state == QMP_MIG_PRE_SWITCHOVER)
				return 0;
			if (state == QMP_MIG_FAILED || state == QMP_MIG_CANCELLED)
				return err_set(-EIO, "QEMU's migration %s%s%s",
					       state == QMP_MIG_FAILED ? "failed" : "was cancelled",
					       m->error[0] ? ": " : "", m->error);
			if (qmp_migration_busy(state))
				report_progress(x, m, state_phase(state));
			if ((r = stall_check(&stall, m->transferred)) < 0)
				return r;
		}
		if (deadline && proc_now_ms() >= deadline) {
			if (!x->o->postcopy || x->rep->postcopy)
				return err_set(-ETIMEDOUT,
					       "the migration did not converge within %u s (the guest dirties memory "
					       "faster than the link sends it: try --auto-converge, --postcopy, "
					       "--max-downtime or a longer --timeout)",
					       x->o->timeout_s);
			if ((r = qmp_migrate_start_postcopy(x->q)) < 0)
				return r;
			x->rep->postcopy = true;
		}
		if (poll(pf, 3, qmp_queued(x->q) ? 0 : PROGRESS_MS) < 0 && errno != EINTR)
			return err_errno(-errno, "poll");
		if (pf[1].revents || peer_has_line(&x->peer)) {
			_cleanup_json_ struct json_object *o = NULL;
			const char *op;
			if ((r = peer_recv(&x->peer, 1000, &o, &op)) < 0)
				return r;
			return err_set(-EPROTO, "the destination sent '%s' during the migration", op);
		}
		if (pf[2].revents)
			return err_set(-ECANCELED, "cancelled; the VM runs on at the source");
	}
}

/* After a failure before switchover: no migration left running, and the
 * VM runs at the source as before. */
static void give_back(struct outgoing *x)
{
	struct qmp_migration m;
	struct qmp_status qs;

	if (!x->q || !x->migrating)
		return;
	if (x->mirroring)
		storage_mirror_abort(&x->mirror);
	if (qmp_query_migrate(x->q, &m) == 0 && qmp_migration_busy(m.state))
		qmp_migrate_cancel(x->q);
	for (int i = 0; i < 500 && qmp_query_migrate(x->q, &m) == 0 && qmp_migration_busy(m.state); i++)
		proc_sleep_ms(10);
	if (qmp_query_status(x->q, &qs) == 0 && !qs.running && x->was_running)
		qmp_cont(x->q);
	err_clear();
}

static int record(struct outgoing *x, enum migrec_phase phase)
{
	struct migrec rec = { .was_running = x->was_running, .phase = phase };
	int r;

	snprintf(rec.dest, sizeof(rec.dest), "%.255s", x->rep->dest);
	if ((r = proc_identify(getpid(), &rec.hv)) < 0)
		return r;
	return migrec_save(x->h.dirfd, &rec);
}

static bool has_forwards(const struct vmdef *d)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].nfwd)
			return true;
	return false;
}

/* --copy-storage: every disk mirrored to the destination's NBD server,
 * one connection each, until every job is READY. */
static int copy_disks(struct outgoing *x)
{
	int fds[VMDEF_MAX_DISKS], r = 0;
	unsigned n = x->d.ndisks, i;

	for (i = 0; i < n && r == 0; i++)
		r = migrate_connect(x->dest_host, x->nbd_port, &fds[i]);
	if (r < 0) {
		while (i-- > 0)
			if (fds[i] >= 0)
				close(fds[i]);
		return err_prefix(r, "NBD");
	}
	x->mirroring = true;
	r = storage_mirror(&x->mirror, x->q, n, fds, x->o, &x->peer, x->t0);
	x->rep->disk_bytes = x->mirror.bytes;
	x->rep->disk_ms = x->mirror.ms;
	return r;
}

/* The destination's answer to the commit: "ok" (the VM is there), or
 * "retracted": its QEMU did not resume, the guest never ran there and
 * nothing is left, so the VM is the source's again (give_back runs it). */
static int commit_reply(struct outgoing *x, struct json_object **ok)
{
	const char *op, *why = NULL;
	int r;

	if ((r = peer_recv(&x->peer, COMMIT_TIMEOUT_MS, ok, &op)) < 0)
		return r;
	if (!strcmp(op, "ok"))
		return 0;
	if (strcmp(op, "retracted"))
		return err_set(-EPROTO, "the destination answered '%s' to the commit", op);
	x->switchover = false;
	(void)json_get_str(*ok, "message", "retracted", &why);
	return err_set(-EIO, "the VM did not resume at the destination (%s); it runs on at the source",
		       why && *why ? why : "no reason given");
}

/* The commit: the destination runs the VM ("ok") or retracts. */
static int send_commit(struct outgoing *x)
{
	_cleanup_json_ struct json_object *ok = NULL;
	struct json_object *commit = json_object_new_object();
	int r;

	if (!commit)
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(commit, "run", json_object_new_boolean(x->was_running));
	if ((r = peer_send(&x->peer, "commit", commit)) < 0)
		return r;
	return commit_reply(x, &ok);
}

/* After the commit: the source's QEMU ends, recorded as migrated, and the
 * port forwards (whose ports it held) move. */
static int hand_over(struct outgoing *x)
{
	_cleanup_json_ struct json_object *ok = NULL;
	struct vm_status final;
	char why[512];
	int r;

	qmp_close(x->q);
	x->q = NULL;
	snprintf(why, sizeof(why), "migrated to %.400s", x->rep->dest);
	r = vm_hard_stop_locked(&x->h, why, &final);
	migrec_remove(x->h.dirfd);
	if (r < 0)
		return err_prefix(r, "the VM runs at the destination, but its source QEMU did not stop");
	if (has_forwards(&x->d) && ((r = peer_send(&x->peer, "forwards", NULL)) < 0 ||
				    (r = peer_expect(&x->peer, COMMIT_TIMEOUT_MS, "ok", &ok)) < 0))
		return err_prefix(r, "the VM runs at the destination, but its port forwards did not move");
	return 0;
}

static int live(struct outgoing *x, const char *host, int port)
{
	struct qmp_migrate_caps caps = { .events = true,
					 .auto_converge = x->o->auto_converge,
					 .postcopy = x->o->postcopy,
					 .pause_before_switchover = x->o->copy_storage };
	struct qmp_migrate_params params = {
		.max_bandwidth = x->o->bandwidth ? x->o->bandwidth : QMP_BANDWIDTH_UNLIMITED,
		.downtime_limit_ms = x->o->max_downtime_ms,
	};
	struct qmp_migration m;
	_cleanup_close_ int fd = -1;
	uint64_t done_at, stopped_at;
	int r;

	if ((r = record(x, MIGREC_COPYING)) < 0 || (r = vm_qmp_open(&x->h, &x->q)) < 0 ||
	    (r = qmp_migrate_set_caps(x->q, &caps)) < 0 || (r = qmp_migrate_set_params(x->q, &params)) < 0 ||
	    (r = migrate_connect(host, port, &fd)) < 0)
		return r;
	x->migrating = true;
	if (x->o->copy_storage && (r = copy_disks(x)) < 0)
		return r;
	/* QEMU 7.2's TCG loses guest writes made after a dirty-bitmap sync
	 * (docs/migration.md, "TCG"): under TCG the source stands still while
	 * RAM moves; a failure below runs it again (give_back, or the
	 * source's monitor if hv dies). */
	x->rep->paused_copy = !strcmp(x->st.accel, "tcg");
	if (x->rep->paused_copy && x->was_running && (r = qmp_stop(x->q)) < 0)
		return err_prefix(r, "cannot pause the source for the copy");
	stopped_at = proc_now_ms();
	if ((r = qmp_migrate_fd(x->q, fd)) < 0)
		return r;
	x->rep->setup_ms = proc_now_ms() - x->t0;
	if ((r = follow(x, &m)) < 0)
		return r;
	/* --copy-storage: the source stands in "pre-switchover"; the copies
	 * end in sync before the destination may take the disks */
	if (m.state == QMP_MIG_PRE_SWITCHOVER) {
		if ((r = storage_mirror_finish(&x->mirror)) < 0 || (r = qmp_migrate_continue(x->q)) < 0 ||
		    (r = follow(x, &m)) < 0)
			return r;
		x->mirroring = false;
	}
	done_at = proc_now_ms();
	report_progress(x, &m, "switchover");
	/* from here the destination may run the VM: never again the source */
	if ((r = record(x, MIGREC_SWITCHOVER)) < 0)
		return r;
	x->switchover = true;
	if ((r = send_commit(x)) < 0)
		return err_prefix(r, "switchover");
	x->rep->qemu_downtime_ms = m.downtime_ms;
	x->rep->downtime_ms = (m.downtime_ms >= 0 ? m.downtime_ms : 0) + (int64_t)(proc_now_ms() - done_at);
	if (x->rep->paused_copy)
		x->rep->downtime_ms = (int64_t)(proc_now_ms() - stopped_at);
	x->rep->bytes = m.transferred;
	x->rep->passes = m.passes;
	return hand_over(x);
}

static int offline(struct outgoing *x)
{
	_cleanup_json_ struct json_object *ok = NULL;
	int r;

	if ((r = peer_send(&x->peer, "commit", NULL)) < 0 ||
	    (r = peer_expect(&x->peer, COMMIT_TIMEOUT_MS, "ok", &ok)) < 0)
		return r;
	return 0;
}

/* Does the VM folder hold any snapshot? */
static bool has_snapshots(int dirfd)
{
	int fd = openat(dirfd, "snapshots", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;
	bool any = false;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!any && (e = readdir(d)))
		any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return any;
}

static int run(struct outgoing *x)
{
	const struct migrate_opts *o = x->o;
	char host[64] = "";
	int r, port = 0;

	if ((r = resolve_dest(x, o->dest, x->rep->dest, sizeof(x->rep->dest))) < 0)
		return r;
	if ((r = vm_lock_and_load(o->name, &x->h, &x->d, &x->st)) < 0)
		return r;
	x->live = vm_state_active(x->st.state);
	x->was_running = x->st.state == VM_RUNNING;
	if (x->live && o->offline)
		return err_set(-EBUSY, "VM '%s' is %s: stop it for an offline migration, or migrate it live", o->name,
			       vm_state_name(x->st.state));
	x->rep->live = x->live;
	if ((r = prechecks(x)) < 0)
		return r;
	if (x->url.host && !o->copy_storage && (r = migrate_disks_shared(&x->d, x->url.host)) < 0)
		return r;
	if (x->url.host && has_snapshots(x->h.dirfd))
		return err_set(-ENOTSUP,
			       "VM '%s' has snapshots, which do not travel to another host yet: delete them "
			       "first (hv snapshot delete)",
			       o->name);
	r = x->url.host ? peer_spawn_ssh(&x->url, o->name, &x->peer)
			: peer_spawn_local(x->rep->dest, o->name, &x->peer);
	if (r < 0 || (r = check_dest(x)) < 0 || (r = prepare_dest(x, host, sizeof(host), &port)) < 0)
		return r;
	if ((r = x->live ? live(x, host, port) : offline(x)) < 0)
		return r;
	x->rep->total_ms = proc_now_ms() - x->t0;
	return 0;
}

static bool has_networks(const struct vmdef *d)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].mode == NIC_NETWORK)
			return true;
	return false;
}

/* The VM runs at the destination: its source definition goes, and (one
 * host) the networks it leaves get the destination store's state again
 * (netmove.h). */
static int delete_source(struct outgoing *x)
{
	_cleanup_json_ struct json_object *ok = NULL;
	int r = vm_delete(x->o->name, false, false, false, NULL);

	if (r < 0)
		return err_prefix(r, "the VM is at the destination, but its source definition stayed");
	if (has_networks(&x->d) && x->same_host &&
	    ((r = peer_send(&x->peer, "networks", NULL)) < 0 ||
	     (r = peer_expect(&x->peer, COMMIT_TIMEOUT_MS, "ok", &ok)) < 0))
		return err_prefix(r, "the VM runs at the destination, but its networks there were not refreshed");
	return 0;
}

int migrate_vm(const struct migrate_opts *o, struct migrate_report *out)
{
	struct outgoing x = { .o = o, .rep = out, .t0 = proc_now_ms() };
	int r;

	memset(out, 0, sizeof(*out));
	out->qemu_downtime_ms = out->downtime_ms = -1;
	x.h.dirfd = x.h.lockfd = -1;
	x.peer.in = x.peer.out = -1;
	vmdef_init(&x.d);
	r = run(&x);
	if (r < 0 && !x.switchover) {
		struct err_saved e;
		err_save(&e);
		give_back(&x);
		if (x.h.dirfd >= 0)
			migrec_remove(x.h.dirfd);
		err_restore(&e);
	}
	qmp_close(x.q);
	vm_close(&x.h);
	if (r == 0 && !o->keep_source)
		r = delete_source(&x);
	/* the destination undoes what it did when its input ends */
	peer_close(&x.peer, 20000);
	if (r < 0 && !x.switchover && has_networks(&x.d)) {
		/* on one host the destination store applied its networks' state
		 * to the shared bridge and table: ours apply again */
		struct err_saved e;
		err_save(&e);
		mig_networks_refresh(&x.d);
		err_restore(&e);
	}
	out->source_kept = o->keep_source;
	vmdef_free(&x.d);
	remote_url_free(&x.url);
	return r;
}

int migrate_cancel(const char *name)
{
	struct vm_handle h;
	struct migrec rec;
	int r = vm_open(name, &h);

	if (r < 0)
		return r;
	r = migrec_load(h.dirfd, &rec);
	vm_close(&h);
	if (r == -ENOENT || (r == 0 && !proc_id_alive(&rec.hv)))
		return err_set(-ESRCH, "no migration of VM '%s' is under way", name);
	if (r < 0)
		return r;
	if (rec.phase == MIGREC_SWITCHOVER)
		return err_set(-EBUSY, "the migration of VM '%s' is already switching over", name);
	if (kill(rec.hv.pid, SIGTERM) < 0)
		return err_errno(-errno, "cannot signal hv migrate (pid %d)", (int)rec.hv.pid);
	for (int i = 0; i < 3000 && proc_id_alive(&rec.hv); i++)
		proc_sleep_ms(10);
	return proc_id_alive(&rec.hv) ? err_set(-ETIMEDOUT, "hv migrate (pid %d) did not end", (int)rec.hv.pid) : 0;
}
