/* SPDX-License-Identifier: MIT */
/*
 * The per-VM monitor (hv __monitor VMDIR FD ACCEL), started by hv start.
 * It is QEMU's parent and holds a private QMP connection, so it learns
 * both how the guest ended (SHUTDOWN reason, GUEST_PANICKED) and how the
 * QEMU process ended (exit status, signal), and records the truth in
 * status.json at every transition.  It is small, sleeps in poll(), and
 * exits with QEMU; nothing else of hv stays resident.
 */
#include "manager/power.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "engine/qmp-block.h"
#include "engine/qmp-ops.h"
#include "guest/channel.h"
#include "guest/netinfo.h"
#include "manager/execmux.h"
#include "manager/migrec.h"
#include "manager/virtiofs.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/jsonfile.h"
#include "network/netlink.h"
#include "network/nic.h"
#include "jail/jail.h"
#include "util/home.h"
#include "util/proc.h"
#include "util/sock.h"

struct monitor {
	int dirfd;
	struct vm_status st;
	char shutdown_reason[64];
	bool panicked;
	struct chan chan;    /* hv's init: reports (NETINFO) and hv exec's sessions */
	struct execmux *mux; /* hv exec clients */
	char netinfo[1024];
	bool netinfo_dirty;
	bool status_dirty;
	uint64_t netinfo_written;
	struct virtiofs fs; /* the shared folders' virtiofsds, started before QEMU, stopped after it */
	pid_t qemu;
	int owner;	 /* a transient VM's owner (hv run), or -1 */
	bool owner_lost; /* it went away: the VM is stopped and deleted */
	/* a live migration's destination: transient (owner) until released;
	 * once it runs, hv exec may go in (the guest said HELLO at the source) */
	bool incoming;
	/* an outgoing migration: the hv migrate process (migrate.json),
	 * watched to settle the VM if it dies */
	int migrator;
	/* the incoming disks' locks, taken once the source's QEMU is gone */
	struct jail_locks locks;
	uint64_t locks_deadline;
	int vnc;	 /* VNC's listening socket (its clients are handed to QEMU), or -1 */
	/* loading a saved state (hv save, a snapshot with VM state): the guest
	 * said HELLO before the state was taken and will not again */
	bool restored;
};

/* A restored guest is hv exec's as soon as it runs. */
static void restored_runs(struct monitor *m)
{
	if (!m->restored || !m->mux)
		return;
	m->restored = false;
	execmux_guest_hello(m->mux);
}

static void report(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(int fd, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!write(fd, buf, (size_t)n);
}

static int load_args(int dirfd, struct strv *argv)
{
	_cleanup_free_ char *text = NULL;
	struct json_object *arr;
	int r = fs_read_all(dirfd, "qemu.args", 1 << 20, &text, NULL);

	if (r < 0)
		return err_errno(r, "cannot read qemu.args");
	arr = json_tokener_parse(text);
	if (!arr || !json_object_is_type(arr, json_type_array) || json_object_array_length(arr) < 1) {
		json_object_put(arr);
		return err_set(-EINVAL, "qemu.args is not a JSON array of strings");
	}
	for (size_t i = 0; i < json_object_array_length(arr) && r == 0; i++)
		r = strv_add(argv, json_object_get_string(json_object_array_get_idx(arr, i)));
	json_object_put(arr);
	return r;
}

/* The last non-empty line of qemu.log: QEMU's explanation of a failure. */
static void qemu_last_words(int dirfd, char *out, size_t n)
{
	_cleanup_free_ char *log = NULL;
	size_t len = 0;
	char *line;

	snprintf(out, n, "no message in qemu.log");
	if (fs_read_all(dirfd, "qemu.log", 4 << 20, &log, &len) < 0)
		return;
	while (len && (log[len - 1] == '\n' || log[len - 1] == '\r'))
		log[--len] = '\0';
	line = strrchr(log, '\n');
	line = line ? line + 1 : log;
	/* drop the "-msg timestamp=on" prefix */
	if (line[0] >= '0' && line[0] <= '9' && strchr(line, ' '))
		line = strchr(line, ' ') + 1;
	if (*line)
		snprintf(out, n, "%s", line);
}

static void save(struct monitor *m, enum vm_state s, const char *reason)
{
	m->st.state = s;
	m->st.since = time(NULL);
	snprintf(m->st.reason, sizeof(m->st.reason), "%s", reason ? reason : "");
	/* a full disk must not leave a stale record: retry until it sticks */
	m->status_dirty = status_save(m->dirfd, &m->st) < 0;
}

/* The record follows QEMU's own word, asked for rather than inferred
 * from the order of events. */
static void record_run_state(struct monitor *m, struct qmp *q)
{
	struct qmp_status qs;

	if (qmp_query_status(q, &qs) < 0) {
		err_clear();
		return;
	}
	if (qs.state == QMP_RUN_RUNNING)
		save(m, VM_RUNNING, NULL);
	else if (qs.state == QMP_RUN_PAUSED)
		save(m, VM_PAUSED, NULL);
}

/* A migration out of this VM began: watch the hv driving it, so that the
 * VM is settled at the source if that hv dies (migrate.json). */
static void watch_migrator(struct monitor *m)
{
	struct migrec rec;

	if (m->migrator >= 0 || migrec_load(m->dirfd, &rec) < 0 || !proc_id_alive(&rec.hv)) {
		err_clear();
		return;
	}
	m->migrator = pidfd_open(rec.hv.pid, 0);
	/* the pid may have been reused between the check and the open */
	if (m->migrator >= 0 && !proc_id_alive(&rec.hv)) {
		close(m->migrator);
		m->migrator = -1;
	}
}

/* The hv migrating this VM away ended.  A record left behind means it
 * died mid-way: before switchover the VM goes on at the source (QEMU
 * restarts the vCPUs of a failed migration itself; a completed one
 * leaves "postmigrate", which only cont ends); after it, the destination
 * may run the VM, so it stays paused here. */
static void migrator_gone(struct monitor *m, struct qmp *q)
{
	struct qmp_migration mig;
	struct qmp_status qs;
	struct migrec rec;
	char why[512];

	close(m->migrator);
	m->migrator = -1;
	if (migrec_load(m->dirfd, &rec) < 0) {
		err_clear();
		return;
	}
	if (rec.phase == MIGREC_SWITCHOVER) {
		snprintf(why, sizeof(why),
			 "hv migrate died during switchover to %.200s: the VM may run there; resume it here only if "
			 "it does not",
			 rec.dest);
		save(m, VM_PAUSED, why);
		return;
	}
	if (qmp_query_migrate(q, &mig) == 0 && qmp_migration_busy(mig.state))
		qmp_migrate_cancel(q);
	for (int i = 0; i < 250 && qmp_query_migrate(q, &mig) == 0 && qmp_migration_busy(mig.state); i++)
		proc_sleep_ms(20);
	/* --copy-storage: no mirror job or NBD connection stays */
	qmp_block_mirror_drop(q, ENGINE_MAX_DISKS);
	if (qmp_query_status(q, &qs) == 0 && !qs.running && rec.was_running)
		qmp_cont(q);
	migrec_remove(m->dirfd);
	err_clear();
}

/* After an abandoned incoming migration: the folder (the monitor's
 * working directory, a hidden staging name or the VM's own) goes, out
 * of sight first. */
static void remove_own_folder(void)
{
	_cleanup_free_ char *dir = realpath("/proc/self/cwd", NULL), *trash = NULL;
	_cleanup_free_ char *copy = dir ? strdup(dir) : NULL;
	_cleanup_close_ int parent = -1;

	if (!dir || !copy || asprintf(&trash, ".deleted-%s-%d", basename(dir), (int)getpid()) < 0)
		return;
	parent = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (parent >= 0 && renameat(parent, basename(dir), parent, trash) == 0)
		fs_rm_rf_at(parent, trash);
}

static void on_event(struct monitor *m, struct qmp *q, const struct qmp_event *ev)
{
	if (((ev->kind == QMP_EVENT_MIGRATION && qmp_migration_busy(ev->migration)) ||
	     (ev->kind == QMP_EVENT_JOB_STATUS_CHANGE &&
	      !strncmp(ev->job, QMP_MIRROR_PREFIX, strlen(QMP_MIRROR_PREFIX)))) &&
	    !m->incoming)
		watch_migrator(m); /* hv migrate's RAM, or its disks' mirror (--copy-storage) */
	if (ev->kind == QMP_EVENT_RESUME && m->incoming && m->owner < 0 && !m->owner_lost) {
		m->incoming = false;
		if (m->mux)
			execmux_guest_hello(m->mux);
	}
	if (ev->kind == QMP_EVENT_SHUTDOWN)
		snprintf(m->shutdown_reason, sizeof(m->shutdown_reason), "%s", ev->reason);
	else if (ev->kind == QMP_EVENT_GUEST_PANICKED)
		m->panicked = true;
	else if (ev->kind == QMP_EVENT_STOP || ev->kind == QMP_EVENT_RESUME)
		record_run_state(m, q);
	if (ev->kind == QMP_EVENT_RESUME)
		restored_runs(m);
}

/* Take every event that has arrived, without blocking.  Returns false
 * once the connection is gone (QEMU is going away). */
static bool take_events(struct monitor *m, struct qmp *q)
{
	struct qmp_event ev;
	int r;

	/* a malformed event is dropped (it is in the debug trace), not fatal */
	while ((r = qmp_event_next(q, 0, &ev)) == 0 || r == -EBADMSG)
		if (r == 0)
			on_event(m, q, &ev);
	err_clear();
	return r == -ETIMEDOUT;
}

/* How did it end?  Prefer what hv asked for, then QEMU's own account. */
static void record_end(struct monitor *m, int status)
{
	_cleanup_free_ char *intent = NULL;
	char why[512];

	if (fs_read_all(m->dirfd, "stop-intent", 512, &intent, NULL) == 0) {
		unlinkat(m->dirfd, "stop-intent", 0);
		intent[strcspn(intent, "\n")] = '\0';
	}
	if (m->panicked) {
		save(m, VM_CRASHED, VM_REASON_PANIC);
	} else if (intent) {
		save(m, VM_STOPPED, intent);
	} else if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "QEMU was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
		save(m, VM_CRASHED, why);
	} else if (WEXITSTATUS(status) != 0) {
		char last[400];
		qemu_last_words(m->dirfd, last, sizeof(last));
		snprintf(why, sizeof(why), "QEMU exited with status %d: %s", WEXITSTATUS(status), last);
		save(m, VM_CRASHED, why);
	} else if (!strcmp(m->shutdown_reason, "guest-shutdown")) {
		save(m, VM_STOPPED, "the guest powered off");
	} else if (!strcmp(m->shutdown_reason, "host-signal")) {
		save(m, VM_STOPPED, "QEMU was terminated by a signal on the host");
	} else {
		snprintf(why, sizeof(why), "QEMU exited (%s)",
			 m->shutdown_reason[0] ? m->shutdown_reason : "no reason given");
		save(m, VM_STOPPED, why);
	}
}

/* One virtiofsd per shared folder (virtiofs.json, written by hv start),
 * their connections at QEMU_FS_FD + i; their messages in virtiofsd.log. */
static int start_shares(struct monitor *m, struct spawn_fd *map, size_t *nmap)
{
	struct share_set set;
	_cleanup_close_ int log = -1;
	int r;

	if ((r = virtiofs_load_plan(m->dirfd, &set)) < 0 || !set.n)
		return r;
	log = openat(m->dirfd, "virtiofsd.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	r = virtiofs_start(&set, m->dirfd, log, &m->fs);
	for (unsigned i = 0; r == 0 && i < m->fs.n; i++)
		map[(*nmap)++] = (struct spawn_fd){ m->fs.qemu_fd[i], QEMU_FS_FD + (int)i };
	share_set_free(&set);
	return r;
}

/* The guest channel: QEMU's end at ch[1], the monitor's at ch[0] (-1
 * when the caller of hv start kept the other end: hv run). */
static int channel_ends(bool handed, int ch[2])
{
	if (handed) {
		ch[0] = -1;
		ch[1] = MONITOR_CHANNEL_FD;
		return 0;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ch) < 0)
		return err_errno(-errno, "socketpair");
	return 0;
}

/* QEMU without root: the files and sockets of qemu.fds opened here, the
 * child confined (src/jail) before it becomes QEMU. */
static int spawn_jailed(struct monitor *m, char **argv, struct spawn_fd *map, size_t nmap, pid_t *qemu)
{
	struct jail_plan plan;
	struct qemu_jail jail;
	struct spawn_opts o = { .new_pgrp = true };
	int fds[ENGINE_MAX_PASS_FDS], r;
	char buf[4096];

	if ((r = jail_plan_load(m->dirfd, &plan)) < 0)
		return r;
	if ((r = hv_home(buf, sizeof(buf))) < 0 || (r = qemu_jail_prepare(&jail, buf, argv[0])) < 0 ||
	    (r = jail_open(m->dirfd, &plan.fds, fds, m->incoming ? &m->locks : NULL)) < 0)
		goto out;
	for (size_t i = 0; i < plan.fds.n; i++)
		map[nmap++] = (struct spawn_fd){ fds[i], plan.fds.v[i].fd };
	if (plan.fds.vnc_path && (r = sock_listen_at(m->dirfd, plan.fds.vnc_path, true, &m->vnc)) < 0) {
		jail_close(&plan.fds, fds);
		goto out;
	}
	qemu_jail_spawn_opts(&jail, &o);
	/* QEMU gets its own process group: signals aimed at hv's never reach it */
	r = proc_spawn_opts(argv, map, nmap, &o, qemu);
	jail_close(&plan.fds, fds);
out:
	jail_plan_free(&plan);
	return r;
}

static int run_qemu(struct monitor *m, const struct monitor_args *a, struct qmp **q)
{
	_cleanup_strv_ struct strv argv = { 0 };
	struct spawn_fd map[6 + ENGINE_MAX_NICS + SHARE_MAX + ENGINE_MAX_PASS_FDS];
	int sp[2], ch[2], devnull, log, r, ntaps = a->ntaps;
	pid_t *qemu = &m->qemu;
	size_t nmap = 0;

	if ((r = load_args(m->dirfd, &argv)) < 0)
		return r;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return err_errno(-errno, "socketpair");
	if ((r = channel_ends(a->channel, ch)) < 0)
		return r;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	log = openat(m->dirfd, "qemu.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (devnull < 0 || log < 0)
		return err_errno(-errno, "cannot open qemu.log");
	map[nmap++] = (struct spawn_fd){ devnull, 0 };
	map[nmap++] = (struct spawn_fd){ log, 1 };
	map[nmap++] = (struct spawn_fd){ log, 2 };
	map[nmap++] = (struct spawn_fd){ sp[1], QEMU_QMP_FD };
	map[nmap++] = (struct spawn_fd){ ch[1], QEMU_CHANNEL_FD };
	for (int i = 0; i < ntaps && i < ENGINE_MAX_NICS; i++)
		map[nmap++] = (struct spawn_fd){ MONITOR_TAP_FD + i, QEMU_TAP_FD + i };
	if (a->state)
		map[nmap++] = (struct spawn_fd){ MONITOR_STATE_FD, QEMU_STATE_FD };
	if ((r = start_shares(m, map, &nmap)) < 0)
		return r;
	r = spawn_jailed(m, argv.v, map, nmap, qemu);
	virtiofs_close_qemu_ends(&m->fs);
	close(sp[1]);
	close(ch[1]);
	close(devnull);
	close(log);
	/* QEMU holds the TAPs now: when it exits, they vanish */
	for (int i = 0; i < ntaps && i < ENGINE_MAX_NICS; i++)
		close(MONITOR_TAP_FD + i);
	if (a->state)
		close(MONITOR_STATE_FD);
	chan_init(&m->chan, ch[0], HVP_GUEST);
	if (r < 0) {
		close(sp[0]);
		virtiofs_stop(&m->fs);
		return r;
	}
	/* the greeting arrives once QEMU has built the machine */
	r = qmp_open_fd(sp[0], 60000, q);
	if (r < 0) {
		char last[400];
		int st;
		kill(*qemu, SIGKILL);
		waitpid(*qemu, &st, 0);
		qemu_last_words(m->dirfd, last, sizeof(last));
		virtiofs_stop(&m->fs);
		return err_set(-EIO, "QEMU failed to start: %s", last);
	}
	return 0;
}

/* NETINFO from the guest (checked in guest/netinfo.c); guest.json is
 * written at most once a second however often it talks. */
static void on_netinfo(struct monitor *m, const uint8_t *p, size_t n)
{
	if (netinfo_clean(p, n, m->netinfo, sizeof(m->netinfo)) == 0)
		m->netinfo_dirty = true;
}

static void on_frame(void *ctx, const struct hvp_frame *f)
{
	struct monitor *m = ctx;

	if (f->type == HVP_NETINFO)
		on_netinfo(m, f->payload, f->len);
	else if (f->type == HVP_HELLO && m->mux)
		execmux_guest_hello(m->mux);
	else if (f->session && m->mux)
		execmux_guest_frame(m->mux, f);
}

/* The guest channel ended (QEMU is going away) or the guest broke it. */
static void channel_gone(struct monitor *m)
{
	if (m->mux)
		execmux_guest_gone(m->mux);
	close(m->chan.fd);
	m->chan.fd = -1;
}

static void flush_netinfo(struct monitor *m, bool force)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *arr;
	char copy[1024];

	if (!m->netinfo_dirty || (!force && proc_now_ms() - m->netinfo_written < 1000))
		return;
	o = json_object_new_object();
	arr = json_object_new_array();
	snprintf(copy, sizeof(copy), "%s", m->netinfo);
	for (char *save = NULL, *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char ifc[16], mac[18], addr[19];
		struct json_object *e = json_object_new_object();
		if (sscanf(line, "%15s %17s %18s", ifc, mac, addr) != 3) {
			json_object_put(e);
			continue;
		}
		json_object_object_add(e, "interface", json_object_new_string(ifc));
		json_object_object_add(e, "mac", json_object_new_string(mac));
		json_object_object_add(e, "ipv4", strcmp(addr, "-") ? json_object_new_string(addr) : NULL);
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "nics", arr);
	json_object_object_add(o, "time", json_object_new_int64((int64_t)time(NULL)));
	json_write_atomic(m->dirfd, "guest.json", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	m->netinfo_dirty = false;
	m->netinfo_written = proc_now_ms();
}

/* A VNC client on the VM's vnc.sock, handed to QEMU, which cannot make
 * the socket itself (it has no path to the VM's folder). */
static void vnc_accept(struct monitor *m, struct qmp *q)
{
	int fd = accept4(m->vnc, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (qmp_vnc_add_client(q, fd) < 0)
		err_clear();
	close(fd);
}

/* The owner of a transient VM (hv run) asks for a stop with a byte 'k';
 * its end closing means it is gone: the VM stops and is deleted. */
static void on_owner(struct monitor *m)
{
	char c;
	ssize_t n = read(m->owner, &c, 1);
	const char *why = n == 1 ? "stopped by hv run\n" : "hv run ended without stopping its VM\n";

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == 1 && c == MONITOR_OWNER_RELEASE) {
		/* a migrated VM committed at its destination: no longer transient */
		close(m->owner);
		m->owner = -1;
		return;
	}
	if (n == 1 && c != 'k')
		return;
	fs_write_atomic(m->dirfd, "stop-intent", why, strlen(why), 0600);
	if (n != 1) {
		m->owner_lost = true;
		close(m->owner);
		m->owner = -1;
	}
	err_clear();
	kill(m->qemu, SIGTERM); /* QEMU flushes its disks and exits */
}

/* A migrated VM's disks are locked for it (jail_locks_take) once it is
 * released here and the source's QEMU has let go of them: retried every
 * 200 ms for a minute (the source stops its QEMU right after the commit). */
static void take_incoming_locks(struct monitor *m, int *timeout)
{
	uint64_t now = proc_now_ms();

	if (!m->locks.n || m->owner >= 0 || m->owner_lost)
		return;
	if (!m->locks_deadline)
		m->locks_deadline = now + 60000;
	if (jail_locks_take(&m->locks) == 0) {
		jail_locks_drop(&m->locks);
		return;
	}
	if (now > m->locks_deadline) {
		fprintf(stderr, "hv monitor: the migrated VM's disks stayed locked by another process; running unlocked\n");
		jail_locks_drop(&m->locks);
		return;
	}
	if (*timeout < 0 || *timeout > 200)
		*timeout = 200;
}

/* The monitor's life: QMP events, the guest channel and hv exec clients,
 * until QEMU exits (then its end is recorded). */
static void watch(struct monitor *m, int sfd, struct qmp *q)
{
	for (;;) {
		struct pollfd pf[6 + EXECMUX_MAX_POLL];
		struct signalfd_siginfo si;
		int status, timeout = m->netinfo_dirty || m->status_dirty ? 1000 : -1, nx = 0;

		pf[0] = (struct pollfd){ sfd, POLLIN, 0 };
		pf[1] = (struct pollfd){ q ? qmp_fd(q) : -1, POLLIN, 0 };
		pf[2] = (struct pollfd){ m->chan.fd, POLLIN | (chan_pending(&m->chan) ? POLLOUT : 0), 0 };
		pf[3] = (struct pollfd){ m->owner, POLLIN, 0 };
		pf[4] = (struct pollfd){ q ? m->migrator : -1, POLLIN, 0 };
		pf[5] = (struct pollfd){ q ? m->vnc : -1, POLLIN, 0 };
		take_incoming_locks(m, &timeout);
		if (m->mux)
			nx = execmux_poll_fds(m->mux, pf + 6, &timeout);
		if (poll(pf, 6 + (nfds_t)nx, timeout) < 0 && errno != EINTR)
			break;
		if (m->status_dirty)
			m->status_dirty = status_save(m->dirfd, &m->st) < 0;
		if (m->owner >= 0 && pf[3].revents)
			on_owner(m);
		/* a guest that breaks the protocol loses the channel: its
		 * clients end with a reason instead of waiting forever */
		if (m->chan.fd >= 0 && (pf[2].revents & ~POLLOUT) && chan_read(&m->chan, on_frame, m) < 0)
			channel_gone(m);
		err_clear();
		if (m->mux)
			execmux_handle(m->mux, pf + 6, nx);
		if (pf[5].revents) {
			vnc_accept(m, q);
			pf[1].revents |= POLLIN; /* events that came with the reply are queued */
		}
		if (m->chan.fd >= 0 && chan_pending(&m->chan) && chan_flush(&m->chan) < 0)
			channel_gone(m);
		flush_netinfo(m, false);
		if (q && pf[1].revents && !take_events(m, q)) {
			qmp_close(q); /* QEMU is going away: wait for its exit status */
			q = NULL;
		}
		/* its cont's RESUME came with the replies: already read, poll
		 * would not wake for it */
		if (q && m->migrator >= 0 && pf[4].revents) {
			migrator_gone(m, q);
			if (!take_events(m, q)) {
				qmp_close(q);
				q = NULL;
			}
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			;
		if (waitpid(m->qemu, &status, WNOHANG) == m->qemu) {
			/* events sent just before exiting may still be buffered */
			if (q)
				take_events(m, q);
			record_end(m, status);
			unlinkat(m->dirfd, "guest.json", 0);
			virtiofs_stop(&m->fs);
			break;
		}
	}
	qmp_close(q);
}

/* A transient VM whose owner went away is deleted once QEMU has ended. */
static void delete_orphan(const char *vmdir)
{
	const char *name = strrchr(vmdir, '/');

	name = name ? name + 1 : vmdir;
	if (vm_delete(name, false, false, false, NULL) < 0)
		err_clear(); /* left as a stopped VM: hv delete removes it */
}

static int monitor_setup(struct monitor *m, const struct monitor_args *a, int *sfd)
{
	sigset_t set;

	setsid();
	prctl(PR_SET_NAME, "hv-monitor");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	m->dirfd = open(a->vmdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->dirfd < 0 || *sfd < 0) {
		report(a->report_fd, "error cannot open %s: %s", a->vmdir, strerror(errno));
		return -1;
	}
	if (a->owner) {
		m->owner = MONITOR_OWNER_FD;
		fcntl(m->owner, F_SETFD, FD_CLOEXEC);
		fcntl(m->owner, F_SETFL, O_NONBLOCK);
	}
	/* what the guest said during its previous boot is no longer true */
	unlinkat(m->dirfd, "guest.json", 0);
	return 0;
}

int monitor_main(const struct monitor_args *a)
{
	struct monitor m = {
		.dirfd = -1, .owner = -1, .vnc = -1, .restored = a->state, .incoming = a->incoming, .migrator = -1
	};
	struct qmp_status qs = { QMP_RUN_RUNNING, true };
	struct qmp *q = NULL;
	int sfd;

	if (monitor_setup(&m, a, &sfd) < 0)
		return 1;
	if (run_qemu(&m, a, &q) < 0) {
		report(a->report_fd, "error %s", err_msg());
		return 1;
	}
	if (proc_identify(m.qemu, &m.st.qemu) < 0 || proc_identify(getpid(), &m.st.monitor) < 0) {
		report(a->report_fd, "error %s", err_msg());
		kill(m.qemu, SIGKILL);
		return 1;
	}
	snprintf(m.st.accel, sizeof(m.st.accel), "%s", a->accel);
	/* a VM loading a saved state, or started with -S, is not running yet */
	if (qmp_query_status(q, &qs) < 0)
		qs.state = QMP_RUN_RUNNING;
	save(&m, qs.state == QMP_RUN_RUNNING || qs.state == QMP_RUN_PRELAUNCH ? VM_RUNNING : VM_PAUSED, NULL);
	err_clear();
	report(a->report_fd, "ok %d", (int)m.qemu);
	close(a->report_fd);

	/* hv exec's way in; without it the VM still runs, only exec fails */
	if (m.chan.fd >= 0 && execmux_open(m.dirfd, &m.chan, &m.mux) < 0)
		err_clear();
	if (qs.state == QMP_RUN_RUNNING)
		restored_runs(&m); /* else at its RESUME */
	watch(&m, sfd, q);
	execmux_close(m.mux);
	chan_free(&m.chan);
	if (m.migrator >= 0)
		close(m.migrator);
	jail_locks_drop(&m.locks);
	if (m.vnc >= 0)
		close(m.vnc);
	/* an incoming VM never released is not defined here (its owner went,
	 * or QEMU failed to load the state): its folder may be a hidden one */
	if (a->incoming && (m.owner_lost || m.owner >= 0))
		remove_own_folder();
	else if (m.owner_lost)
		delete_orphan(a->vmdir);
	return 0;
}
