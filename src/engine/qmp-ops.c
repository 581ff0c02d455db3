/* SPDX-License-Identifier: MIT */
/* The typed QMP commands and events (see qmp-ops.h). */
#include "engine/qmp-ops.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine/qmp.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define CMD_TIMEOUT_MS	    5000
#define SNAPSHOT_TIMEOUT_MS 60000
#define STATE_FD_NAME	    "hvstate"
#define MIGRATE_FD_NAME	    "hvmigrate"

struct enum_name {
	const char *name;
	int value;
};

/* A string from an enum of QEMU's schema; one hv does not know reads as
 * other (QEMU may add values), a wrong type is an error. */
static int enum_lookup(const struct enum_name *t, int other, struct json_object *v, int *out, const char *path)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	s = json_object_get_string(v);
	*out = other;
	for (; t->name; t++)
		if (!strcmp(t->name, s))
			*out = t->value;
	return 0;
}

static const struct enum_name run_states[] = {
	{ "running", QMP_RUN_RUNNING },
	{ "paused", QMP_RUN_PAUSED },
	{ "prelaunch", QMP_RUN_PRELAUNCH },
	{ "inmigrate", QMP_RUN_INMIGRATE },
	{ "postmigrate", QMP_RUN_POSTMIGRATE },
	{ "finish-migrate", QMP_RUN_FINISH_MIGRATE },
	{ "save-vm", QMP_RUN_SAVE_VM },
	{ "restore-vm", QMP_RUN_RESTORE_VM },
	{ "shutdown", QMP_RUN_SHUTDOWN },
	{ "guest-panicked", QMP_RUN_GUEST_PANICKED },
	{ "internal-error", QMP_RUN_INTERNAL_ERROR },
	{ "io-error", QMP_RUN_IO_ERROR },
	{ "suspended", QMP_RUN_SUSPENDED },
	{ NULL, 0 },
};

static int parse_run_state(struct json_object *v, void *dst, const char *path)
{
	int s, r = enum_lookup(run_states, QMP_RUN_OTHER, v, &s, path);

	if (r == 0)
		*(enum qmp_run_state *)dst = (enum qmp_run_state)s;
	return r;
}

/* Run a command and check that its reply is an object. */
static int exec_object(struct qmp *q, const char *command, struct json_object *args, int timeout_ms,
		       struct json_object **ret)
{
	int r = qmp_execute(q, command, args, ret, timeout_ms);

	if (r < 0)
		return r;
	if (!json_object_is_type(*ret, json_type_object)) {
		r = err_set(-EPROTO, "QMP %s reply: expected an object, got %s", command, json_kind_name(*ret));
		json_object_put(*ret);
		*ret = NULL;
	}
	return r;
}

/* A command whose reply is {} and which takes no arguments. */
static int exec_simple(struct qmp *q, const char *command)
{
	return qmp_execute(q, command, NULL, NULL, CMD_TIMEOUT_MS);
}

int qmp_query_status(struct qmp *q, struct qmp_status *out)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("status", JSON_REQUIRED, struct qmp_status, state, parse_run_state),
		JSON_FIELD("running", JSON_BOOL, JSON_REQUIRED, struct qmp_status, running),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *ret = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = exec_object(q, "query-status", NULL, CMD_TIMEOUT_MS, &ret)) < 0)
		return r;
	return json_dispatch(ret, fields, out, "QMP query-status reply", 0);
}

int qmp_cont(struct qmp *q)
{
	return exec_simple(q, "cont");
}

int qmp_stop(struct qmp *q)
{
	return exec_simple(q, "stop");
}

int qmp_quit(struct qmp *q)
{
	return qmp_execute(q, "quit", NULL, NULL, 2000);
}

int qmp_system_powerdown(struct qmp *q)
{
	return exec_simple(q, "system_powerdown");
}

/* send-key (QMP reference, "send-key"): press the keys together, then
 * release them; each a QKeyCode name ("ctrl", "alt", "delete"). */
int qmp_send_keys(struct qmp *q, const char *const *keys, size_t n)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	struct json_object *arr = json_object_new_array();

	if (!args || !arr || json_object_object_add(args, "keys", arr) < 0) {
		json_object_put(arr);
		return err_set(-ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_new_object();
		if (!k || json_object_object_add(k, "type", json_object_new_string("qcode")) < 0 ||
		    json_object_object_add(k, "data", json_object_new_string(keys[i])) < 0 ||
		    json_object_array_add(arr, k) < 0) {
			json_object_put(k);
			return err_set(-ENOMEM, "out of memory");
		}
	}
	return qmp_execute(q, "send-key", args, NULL, 2000);
}

static int snapshot_cmd(struct qmp *q, const char *command, const char *device, const char *name)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (!args || json_object_object_add(args, "device", json_object_new_string(device)) < 0 ||
	    json_object_object_add(args, "name", json_object_new_string(name)) < 0)
		return err_set(-ENOMEM, "out of memory");
	return qmp_execute(q, command, args, NULL, SNAPSHOT_TIMEOUT_MS);
}

int qmp_snapshot_internal(struct qmp *q, const char *device, const char *name)
{
	return snapshot_cmd(q, "blockdev-snapshot-internal-sync", device, name);
}

int qmp_snapshot_delete_internal(struct qmp *q, const char *device, const char *name)
{
	/* the reply is the deleted SnapshotInfo: nothing hv needs */
	return snapshot_cmd(q, "blockdev-snapshot-delete-internal-sync", device, name);
}

static const struct enum_name migration_states[] = {
	{ "none", QMP_MIG_NONE },
	{ "setup", QMP_MIG_SETUP },
	{ "active", QMP_MIG_ACTIVE },
	{ "completed", QMP_MIG_COMPLETED },
	{ "failed", QMP_MIG_FAILED },
	{ "cancelling", QMP_MIG_CANCELLING },
	{ "cancelled", QMP_MIG_CANCELLED },
	{ "pre-switchover", QMP_MIG_PRE_SWITCHOVER },
	{ NULL, 0 },
};

static int parse_migration_state(struct json_object *v, void *dst, const char *path)
{
	int s, r = enum_lookup(migration_states, QMP_MIG_OTHER, v, &s, path);

	if (r == 0)
		*(enum qmp_migration_state *)dst = (enum qmp_migration_state)s;
	return r;
}

struct migrate_ram {
	uint64_t transferred, total, remaining, dirty_pages_rate, page_size, dirty_sync_count;
	double mbps;
};

int qmp_query_migrate(struct qmp *q, struct qmp_migration *out)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("status", 0, struct qmp_migration, state, parse_migration_state),
		JSON_FIELD("expected-downtime", JSON_INT64, 0, struct qmp_migration, expected_downtime_ms),
		JSON_FIELD("downtime", JSON_INT64, 0, struct qmp_migration, downtime_ms),
		JSON_FIELD("total-time", JSON_INT64, 0, struct qmp_migration, total_time_ms),
		JSON_FIELD("setup-time", JSON_INT64, 0, struct qmp_migration, setup_time_ms),
		JSON_FIELD_END,
	};
	static const struct json_field ram_fields[] = {
		JSON_FIELD("transferred", JSON_UINT64, 0, struct migrate_ram, transferred),
		JSON_FIELD("total", JSON_UINT64, 0, struct migrate_ram, total),
		JSON_FIELD("remaining", JSON_UINT64, 0, struct migrate_ram, remaining),
		JSON_FIELD("dirty-pages-rate", JSON_UINT64, 0, struct migrate_ram, dirty_pages_rate),
		JSON_FIELD("page-size", JSON_UINT64, 0, struct migrate_ram, page_size),
		JSON_FIELD("dirty-sync-count", JSON_UINT64, 0, struct migrate_ram, dirty_sync_count),
		JSON_FIELD("mbps", JSON_DOUBLE, 0, struct migrate_ram, mbps),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *ret = NULL;
	struct json_object *ram = NULL;
	struct migrate_ram m = { 0 };
	const char *desc = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	out->state = QMP_MIG_NONE;
	out->expected_downtime_ms = out->downtime_ms = out->total_time_ms = out->setup_time_ms = -1;
	if ((r = exec_object(q, "query-migrate", NULL, CMD_TIMEOUT_MS, &ret)) < 0)
		return r;
	if ((r = json_dispatch(ret, fields, out, "QMP query-migrate reply", 0)) < 0)
		return r;
	/* QEMU's error text may be longer than the buffer: keep its start */
	if ((r = json_get_str(ret, "error-desc", "QMP query-migrate reply", &desc)) < 0 && r != -ENOENT)
		return r;
	snprintf(out->error, sizeof(out->error), "%.*s", (int)sizeof(out->error) - 1, desc ? desc : "");
	if ((r = json_get_object(ret, "ram", "QMP query-migrate reply", &ram)) == 0)
		r = json_dispatch(ram, ram_fields, &m, "QMP query-migrate reply: ram", 0);
	if (r < 0 && r != -ENOENT)
		return r;
	out->transferred = m.transferred;
	out->total = m.total;
	out->remaining = m.remaining;
	out->dirty_rate = m.dirty_pages_rate * (m.page_size ? m.page_size : 4096);
	out->passes = m.dirty_sync_count;
	out->mbps = m.mbps;
	return 0;
}

bool qmp_migration_busy(enum qmp_migration_state s)
{
	return s != QMP_MIG_NONE && s != QMP_MIG_COMPLETED && s != QMP_MIG_FAILED && s != QMP_MIG_CANCELLED;
}

int qmp_migrate_cancel(struct qmp *q)
{
	return exec_simple(q, "migrate_cancel");
}

int qmp_migrate_set_max_bandwidth(struct qmp *q, uint64_t bytes_per_s)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (bytes_per_s > (uint64_t)INT64_MAX)
		bytes_per_s = (uint64_t)INT64_MAX;
	if (!args || json_object_object_add(args, "max-bandwidth", json_object_new_int64((int64_t)bytes_per_s)) < 0)
		return err_set(-ENOMEM, "out of memory");
	return qmp_execute(q, "migrate-set-parameters", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_migrate_to_fd(struct qmp *q, int fd, uint64_t max_bandwidth)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	int r;

	if (!args || json_object_object_add(args, "uri", json_object_new_string("fd:" STATE_FD_NAME)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qmp_migrate_set_max_bandwidth(q, max_bandwidth)) < 0 ||
	    (r = qmp_send_fd(q, fd, STATE_FD_NAME, CMD_TIMEOUT_MS)) < 0)
		return r;
	return qmp_execute(q, "migrate", args, NULL, CMD_TIMEOUT_MS);
}

/* {"capabilities": [{"capability": NAME, "state": BOOL}, ...]} */
static int add_cap(struct json_object *arr, const char *name, bool on)
{
	struct json_object *c = json_object_new_object();

	if (!c || json_object_object_add(c, "capability", json_object_new_string(name)) < 0 ||
	    json_object_object_add(c, "state", json_object_new_boolean(on)) < 0 || json_object_array_add(arr, c) < 0) {
		json_object_put(c);
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

int qmp_migrate_set_caps(struct qmp *q, const struct qmp_migrate_caps *c)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	int r;

	if (!args || !arr || json_object_object_add(args, "capabilities", arr) < 0) {
		json_object_put(arr);
		return err_set(-ENOMEM, "out of memory");
	}
	if ((r = add_cap(arr, "events", c->events)) < 0 || (r = add_cap(arr, "auto-converge", c->auto_converge)) < 0 ||
	    (r = add_cap(arr, "postcopy-ram", c->postcopy)) < 0 ||
	    (r = add_cap(arr, "pause-before-switchover", c->pause_before_switchover)) < 0)
		return r;
	return qmp_execute(q, "migrate-set-capabilities", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_migrate_set_params(struct qmp *q, const struct qmp_migrate_params *p)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (!args)
		return err_set(-ENOMEM, "out of memory");
	if (p->max_bandwidth)
		json_object_object_add(args, "max-bandwidth",
				       json_object_new_int64(p->max_bandwidth > (uint64_t)INT64_MAX
								 ? INT64_MAX
								 : (int64_t)p->max_bandwidth));
	if (p->downtime_limit_ms)
		json_object_object_add(args, "downtime-limit", json_object_new_int64((int64_t)p->downtime_limit_ms));
	if (!json_object_object_length(args))
		return 0;
	return qmp_execute(q, "migrate-set-parameters", args, NULL, CMD_TIMEOUT_MS);
}

/* getfd NAME, then COMMAND {"uri": "fd:NAME"}. */
static int uri_fd_cmd(struct qmp *q, const char *command, int fd)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	int r;

	if (!args || json_object_object_add(args, "uri", json_object_new_string("fd:" MIGRATE_FD_NAME)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qmp_send_fd(q, fd, MIGRATE_FD_NAME, CMD_TIMEOUT_MS)) < 0)
		return r;
	return qmp_execute(q, command, args, NULL, CMD_TIMEOUT_MS);
}

int qmp_migrate_fd(struct qmp *q, int fd)
{
	return uri_fd_cmd(q, "migrate", fd);
}

int qmp_migrate_incoming_fd(struct qmp *q, int fd)
{
	return uri_fd_cmd(q, "migrate-incoming", fd);
}

int qmp_migrate_continue(struct qmp *q)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();

	if (!args || json_object_object_add(args, "state", json_object_new_string("pre-switchover")) < 0)
		return err_set(-ENOMEM, "out of memory");
	return qmp_execute(q, "migrate-continue", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_migrate_start_postcopy(struct qmp *q)
{
	return exec_simple(q, "migrate-start-postcopy");
}

/* A VNC client connected by hv, handed to QEMU's VNC server (started
 * with -vnc none); hv's socket already decided who may connect. */
int qmp_vnc_add_client(struct qmp *q, int fd)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	int r;

	if (!args || json_object_object_add(args, "protocol", json_object_new_string("vnc")) < 0 ||
	    json_object_object_add(args, "fdname", json_object_new_string("hv-vnc-client")) < 0 ||
	    json_object_object_add(args, "skipauth", json_object_new_boolean(true)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qmp_send_fd(q, fd, "hv-vnc-client", CMD_TIMEOUT_MS)) < 0)
		return r;
	return qmp_execute(q, "add_client", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_save_state(struct qmp *q, int fd, uint64_t max_bandwidth, int timeout_ms)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)timeout_ms;
	struct qmp_migration m;
	int r;

	if ((r = qmp_migrate_to_fd(q, fd, max_bandwidth)) < 0)
		return r;
	for (unsigned wait_ms = 1;; wait_ms = wait_ms < 16 ? wait_ms * 2 : 20) {
		if ((r = qmp_query_migrate(q, &m)) < 0)
			return r;
		if (m.state == QMP_MIG_COMPLETED)
			break;
		if (m.state == QMP_MIG_FAILED || m.state == QMP_MIG_CANCELLED) {
			const char *why = m.error[0] ? m.error : m.state == QMP_MIG_FAILED ? "failed" : "cancelled";
			return err_set(strstr(why, "space") ? -ENOSPC : -EIO, "saving the VM state failed: %s", why);
		}
		if (proc_now_ms() > deadline)
			return err_set(-ETIMEDOUT, "saving the VM state did not finish in time");
		proc_sleep_ms(wait_ms);
	}
	if (fsync(fd) < 0)
		return err_errno(-errno, "cannot write the VM state");
	return 0;
}

int qmp_settle(struct qmp *q)
{
	struct qmp_migration m;
	struct qmp_status s;
	int r;

	/* a state save whose hv was killed may still be running: cancel it */
	for (int i = 0; i < 500; i++) {
		if ((r = qmp_query_migrate(q, &m)) < 0)
			return r;
		if (!qmp_migration_busy(m.state))
			break;
		if (i == 0 && (r = qmp_migrate_cancel(q)) < 0)
			return r;
		proc_sleep_ms(10);
	}
	if ((r = qmp_query_status(q, &s)) < 0)
		return r;
	/* a completed one left the disks inactive: only cont takes them back */
	if (s.state == QMP_RUN_POSTMIGRATE && ((r = qmp_cont(q)) < 0 || (r = qmp_stop(q)) < 0))
		return r;
	return 0;
}

int qmp_wait_incoming(struct qmp *q, bool paused, int timeout_ms)
{
	uint64_t deadline = proc_now_ms() + (uint64_t)timeout_ms;
	struct qmp_status s;
	int r;

	for (;;) {
		if ((r = qmp_query_status(q, &s)) < 0)
			return r;
		if (s.state != QMP_RUN_INMIGRATE)
			return paused ? 0 : qmp_cont(q);
		if (proc_now_ms() > deadline)
			return err_set(-ETIMEDOUT, "QEMU did not finish loading the saved state");
		proc_sleep_ms(20);
	}
}

/* hostfwd: QEMU 7.2 has no QMP command for slirp's port forwards
 * (qapi/net.json offers netdev_add/netdev_del, whose "hostfwd" applies
 * only when a netdev is created; hostfwd_add/hostfwd_remove exist only
 * in the human monitor, net/slirp.c).  So this is hv's one use of HMP,
 * through QMP's human-monitor-command, and it is built here from checked
 * values alone: a netdev id of [A-Za-z0-9_-], numbers and "tcp"/"udp". */
static int hostfwd_hmp(struct qmp *q, const char *netdev, const struct qmp_hostfwd *f, bool add)
{
	_cleanup_json_ struct json_object *args = json_object_new_object(), *ret = NULL;
	char cmd[160], addr[INET_ADDRSTRLEN] = "";
	const char *out;
	int r;

	if (!netdev[0] || strlen(netdev) > 32 ||
	    strspn(netdev, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_-") != strlen(netdev))
		return err_set(-EINVAL, "bad netdev id '%s'", netdev);
	if (f->host_port == 0 || (add && f->guest_port == 0))
		return err_set(-EINVAL, "a port forward needs ports from 1 to 65535");
	if (f->host_addr) {
		struct in_addr a = { f->host_addr };
		inet_ntop(AF_INET, &a, addr, sizeof(addr));
	}
	if (add)
		snprintf(cmd, sizeof(cmd), "hostfwd_add %s %s:%s:%u-:%u", netdev, f->udp ? "udp" : "tcp", addr,
			 f->host_port, f->guest_port);
	else
		snprintf(cmd, sizeof(cmd), "hostfwd_remove %s %s:%s:%u", netdev, f->udp ? "udp" : "tcp", addr,
			 f->host_port);
	if (!args || json_object_object_add(args, "command-line", json_object_new_string(cmd)) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qmp_execute(q, "human-monitor-command", args, &ret, CMD_TIMEOUT_MS)) < 0)
		return r;
	if (!json_object_is_type(ret, json_type_string))
		return err_set(-EPROTO, "QMP human-monitor-command reply: expected a string, got %s",
			       json_kind_name(ret));
	out = json_object_get_string(ret);
	/* the human monitor reports failure as text, not as a QMP error;
	 * success is silent for add and "... removed" for remove */
	if (*out && !(!add && strstr(out, "removed")))
		return err_set(-EIO, "QEMU could not %s the forward: %.*s", add ? "add" : "remove",
			       (int)strcspn(out, "\r\n"), out);
	return 0;
}

int qmp_hostfwd_add(struct qmp *q, const char *netdev, const struct qmp_hostfwd *f)
{
	return hostfwd_hmp(q, netdev, f, true);
}

int qmp_hostfwd_remove(struct qmp *q, const char *netdev, const struct qmp_hostfwd *f)
{
	return hostfwd_hmp(q, netdev, f, false);
}

static const struct enum_name event_names[] = {
	{ "SHUTDOWN", QMP_EVENT_SHUTDOWN },
	{ "POWERDOWN", QMP_EVENT_POWERDOWN },
	{ "RESET", QMP_EVENT_RESET },
	{ "STOP", QMP_EVENT_STOP },
	{ "RESUME", QMP_EVENT_RESUME },
	{ "GUEST_PANICKED", QMP_EVENT_GUEST_PANICKED },
	{ "MIGRATION", QMP_EVENT_MIGRATION },
	{ "MIGRATION_PASS", QMP_EVENT_MIGRATION_PASS },
	{ "BLOCK_JOB_READY", QMP_EVENT_BLOCK_JOB_READY },
	{ "BLOCK_JOB_COMPLETED", QMP_EVENT_BLOCK_JOB_COMPLETED },
	{ "BLOCK_JOB_CANCELLED", QMP_EVENT_BLOCK_JOB_CANCELLED },
	{ "BLOCK_JOB_ERROR", QMP_EVENT_BLOCK_JOB_ERROR },
	{ "JOB_STATUS_CHANGE", QMP_EVENT_JOB_STATUS_CHANGE },
	{ NULL, 0 },
};

int qmp_event_parse(struct json_object *o, struct qmp_event *ev)
{
	static const struct json_field top[] = {
		JSON_FIELD_BUF("event", JSON_REQUIRED, struct qmp_event, name),
		JSON_FIELD_END,
	};
	/* SHUTDOWN and RESET: {"guest": bool, "reason": ShutdownCause} */
	static const struct json_field cause[] = {
		JSON_FIELD("guest", JSON_BOOL, JSON_REQUIRED, struct qmp_event, guest),
		JSON_FIELD_BUF("reason", JSON_REQUIRED, struct qmp_event, reason),
		JSON_FIELD_END,
	};
	/* GUEST_PANICKED: {"action": GuestPanicAction, "info"?: ...} */
	static const struct json_field panic[] = {
		JSON_FIELD_BUF("action", JSON_REQUIRED, struct qmp_event, action),
		JSON_FIELD_END,
	};
	/* MIGRATION: {"status": MigrationStatus}; MIGRATION_PASS: {"pass": int} */
	static const struct json_field migration[] = {
		JSON_FIELD_CUSTOM("status", JSON_REQUIRED, struct qmp_event, migration, parse_migration_state),
		JSON_FIELD_END,
	};
	static const struct json_field pass[] = {
		JSON_FIELD("pass", JSON_UINT64, JSON_REQUIRED, struct qmp_event, pass),
		JSON_FIELD_END,
	};
	/* BLOCK_JOB_*: {"device": job id, ..., "error"?: text} */
	static const struct json_field job[] = {
		JSON_FIELD_BUF("device", JSON_REQUIRED, struct qmp_event, job),
		JSON_FIELD_END,
	};
	static const struct json_field job_status[] = {
		JSON_FIELD_BUF("id", JSON_REQUIRED, struct qmp_event, job),
		JSON_FIELD_END,
	};
	const struct json_field *want;
	struct json_object *data = NULL;
	int r;

	memset(ev, 0, sizeof(*ev));
	if ((r = json_dispatch(o, top, ev, "QMP event", 0)) < 0)
		return err_prefix(-EBADMSG, "malformed QMP event");
	for (const struct enum_name *t = event_names; t->name; t++)
		if (!strcmp(t->name, ev->name))
			ev->kind = (enum qmp_event_kind)t->value;
	switch (ev->kind) {
	case QMP_EVENT_SHUTDOWN:
	case QMP_EVENT_RESET:
		want = cause;
		break;
	case QMP_EVENT_GUEST_PANICKED:
		want = panic;
		break;
	case QMP_EVENT_MIGRATION:
		want = migration;
		break;
	case QMP_EVENT_MIGRATION_PASS:
		want = pass;
		break;
	case QMP_EVENT_BLOCK_JOB_READY:
	case QMP_EVENT_BLOCK_JOB_COMPLETED:
	case QMP_EVENT_BLOCK_JOB_CANCELLED:
	case QMP_EVENT_BLOCK_JOB_ERROR:
		want = job;
		break;
	case QMP_EVENT_JOB_STATUS_CHANGE:
		want = job_status;
		break;
	default:
		return 0;
	}
	if ((r = json_get_object(o, "data", "QMP event", &data)) == -ENOENT)
		r = err_set(-EINVAL, "QMP event %s: data is missing", ev->name);
	if (r == 0)
		r = json_dispatch(data, want, ev, "QMP event data", 0);
	if (r == 0 && ev->kind == QMP_EVENT_BLOCK_JOB_COMPLETED) {
		const char *why = NULL;
		if ((r = json_get_str(data, "error", "QMP event data", &why)) == -ENOENT)
			r = 0;
		snprintf(ev->error, sizeof(ev->error), "%.*s", (int)sizeof(ev->error) - 1, why ? why : "");
	}
	return r < 0 ? err_prefix(-EBADMSG, "malformed QMP event") : 0;
}

int qmp_event_next(struct qmp *q, int timeout_ms, struct qmp_event *ev)
{
	_cleanup_json_ struct json_object *o = NULL;
	int r = qmp_next_event(q, timeout_ms, &o);

	return r < 0 ? r : qmp_event_parse(o, ev);
}
