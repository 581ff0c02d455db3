/* SPDX-License-Identifier: MIT */
#include "manager/status.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/qmp-ops.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/json.h"
#include "util/jsonfile.h"

static const char *const state_names[] = { "stopped", "running", "paused", "crashed" };

const char *vm_state_name(enum vm_state s)
{
	return (unsigned)s < 4 ? state_names[s] : "unknown";
}

static struct json_object *proc_json(const struct proc_id *p)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "pid", json_object_new_int64(p->pid));
	json_object_object_add(o, "start", json_object_new_int64((int64_t)p->start));
	json_object_object_add(o, "boot_id", json_object_new_string(p->boot_id));
	return o;
}

static int parse_state(struct json_object *v, void *dst, const char *path)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;

	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, state_names[i])) {
			*(enum vm_state *)dst = (enum vm_state)i;
			return 0;
		}
	if (!s)
		return err_set(-EINVAL, "%s: expected a string, got %s", path, json_kind_name(v));
	return err_set(-EINVAL, "%s: unknown state '%.32s'", path, s);
}

static int parse_proc(struct json_object *v, void *dst, const char *path)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("pid", JSON_INT, JSON_REQUIRED, struct proc_id, pid, 0, INT32_MAX),
		JSON_FIELD("start", JSON_UINT64, JSON_REQUIRED, struct proc_id, start),
		JSON_FIELD_BUF("boot_id", JSON_REQUIRED, struct proc_id, boot_id),
		JSON_FIELD_END,
	};

	return json_dispatch(v, fields, dst, path, 0);
}

int status_parse(const char *text, size_t len, struct vm_status *st)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("state", JSON_REQUIRED, struct vm_status, state, parse_state),
		JSON_FIELD_BUF("reason", 0, struct vm_status, reason),
		JSON_FIELD_BUF("accel", 0, struct vm_status, accel),
		JSON_FIELD("since", JSON_INT64, 0, struct vm_status, since),
		JSON_FIELD_CUSTOM("qemu", JSON_REQUIRED, struct vm_status, qemu, parse_proc),
		JSON_FIELD_CUSTOM("monitor", JSON_REQUIRED, struct vm_status, monitor, parse_proc),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	st->state = VM_STOPPED;
	if ((r = json_parse_object(text, len, "status.json", &o)) < 0 ||
	    (r = json_dispatch(o, fields, st, "status.json", 0)) < 0) {
		char why[512];
		memset(st, 0, sizeof(*st));
		if (r == -ENOMEM)
			return r;
		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(-EBADMSG, "%s", why);
	}
	return 0;
}

int status_load(int dirfd, struct vm_status *st)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r;

	memset(st, 0, sizeof(*st));
	st->state = VM_STOPPED;
	err_clear(); /* fs_read_all records a reason for some failures only */
	r = fs_read_all(dirfd, "status.json", 65536, &text, &len);
	if (r == -ENOENT)
		return 0;
	if (r == -EFBIG)
		return err_set(-EBADMSG, "status.json: larger than 64 KiB");
	if (r < 0)
		return err_code() ? r : err_errno(r, "cannot read status.json");
	return status_parse(text, len, st);
}

int status_save(int dirfd, const struct vm_status *st)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "state", json_object_new_string(vm_state_name(st->state)));
	json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "accel", json_object_new_string(st->accel));
	json_object_object_add(o, "since", json_object_new_int64((int64_t)st->since));
	json_object_object_add(o, "qemu", proc_json(&st->qemu));
	json_object_object_add(o, "monitor", proc_json(&st->monitor));
	return json_write_atomic(dirfd, "status.json",
				 json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED));
}

/* The monitor is gone but QEMU lives: ask QEMU itself. */
static void ask_qemu(int dirfd, struct vm_status *st)
{
	struct qmp_status qs;
	struct qmp *q = NULL;

	/* on failure keep the record: QEMU is alive, which is what matters */
	if (qmp_open_at(dirfd, "qmp.sock", 1000, &q) == 0 && qmp_query_status(q, &qs) == 0)
		st->state = qs.running ? VM_RUNNING : VM_PAUSED;
	qmp_close(q);
	err_clear();
}

enum status_proc status_proc_kind(const char *argv, size_t len, char *accel, size_t accel_size)
{
	const char *end = argv + len, *a0 = argv, *base;

	if (!len || memchr(argv, '\0', len) == NULL)
		return STATUS_PROC_OTHER;
	base = strrchr(a0, '/') ? strrchr(a0, '/') + 1 : a0;
	if (!strncmp(base, "qemu-system-", 12)) {
		/* "-accel kvm|tcg", as engine/qemu.c writes it */
		for (const char *p = a0; p < end; p += strlen(p) + 1)
			if (!strcmp(p, "-accel") && p + strlen(p) + 1 < end && accel)
				snprintf(accel, accel_size, "%.4s", p + strlen(p) + 1);
		return STATUS_PROC_QEMU;
	}
	if (a0 + strlen(a0) + 1 < end && !strcmp(a0 + strlen(a0) + 1, "__monitor"))
		return STATUS_PROC_MONITOR;
	return STATUS_PROC_OTHER;
}

/* hv's monitor of this VM is the process working in its folder (it is
 * started there); QEMU is its child (a jailed QEMU works in "/" of its own
 * mount namespace), or, unjailed, works in the folder too. */
static void find_processes(int dirfd, struct vm_status *st)
{
	pid_t pids[64];
	size_t n = 0, more = 0;

	if (proc_find_by_cwd(dirfd, pids, 32, &n) < 0)
		n = 0;
	for (size_t i = 0, m = n; i < m; i++) {
		_cleanup_free_ char *argv = NULL;
		size_t len;
		if (proc_cmdline(pids[i], &argv, &len) == 0 &&
		    status_proc_kind(argv, len, NULL, 0) == STATUS_PROC_MONITOR &&
		    proc_children(pids[i], pids + n, 64 - n, &more) == 0)
			n += more;
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *argv = NULL;
		size_t len;
		char accel[8] = "";
		if (proc_cmdline(pids[i], &argv, &len) < 0)
			continue;
		switch (status_proc_kind(argv, len, accel, sizeof(accel))) {
		case STATUS_PROC_QEMU:
			if (!st->qemu.pid && proc_identify(pids[i], &st->qemu) == 0)
				snprintf(st->accel, sizeof(st->accel), "%s", accel);
			break;
		case STATUS_PROC_MONITOR:
			if (!st->monitor.pid)
				proc_identify(pids[i], &st->monitor);
			break;
		case STATUS_PROC_OTHER:
			break;
		}
	}
	err_clear();
}

/* status.json is damaged (not JSON, wrong types): what runs in the VM's
 * folder says what the VM is doing, and the record is written afresh,
 * unless the monitor wrote a good one meanwhile. */
static int rederive(int dirfd, const char *vmdir, struct vm_status *st)
{
	_cleanup_free_ char *damaged = NULL, *now = NULL;
	char why[512];
	int r;

	/* "status.json: invalid JSON" -> "invalid JSON": the message names the file */
	snprintf(why, sizeof(why), "%s", err_msg() + (strncmp(err_msg(), "status.json", 11) ? 0 : 11));
	if (why[0] == ':' || why[0] == ' ')
		memmove(why, why + 1 + (why[0] == ':'), strlen(why) - (why[0] == ':'));
	if (fs_read_all(dirfd, "status.json", 65536, &damaged, NULL) < 0)
		damaged = NULL;
	memset(st, 0, sizeof(*st));
	find_processes(dirfd, st);
	/* a monitor without QEMU is about to record how QEMU ended */
	for (int i = 0; i < 100 && !st->qemu.pid && proc_id_alive(&st->monitor); i++) {
		proc_sleep_ms(20);
		if (status_load(dirfd, st) == 0)
			return status_derive(dirfd, vmdir, st);
		memset(st, 0, sizeof(*st));
		find_processes(dirfd, st);
	}
	err_clear();
	st->since = time(NULL);
	if (st->qemu.pid) {
		st->state = VM_RUNNING;
		ask_qemu(dirfd, st);
	} else {
		st->state = VM_STOPPED;
		snprintf(st->reason, sizeof(st->reason), "unknown: its record was damaged and no QEMU runs for it");
		memset(&st->monitor, 0, sizeof(st->monitor));
	}
	/* the monitor writes at transitions: never overwrite a record it just wrote */
	if (fs_read_all(dirfd, "status.json", 65536, &now, NULL) == 0 && damaged && strcmp(now, damaged) &&
	    status_load(dirfd, st) == 0)
		return status_derive(dirfd, vmdir, st);
	if ((r = status_save(dirfd, st)) < 0)
		return err_prefix(r, "%s/status.json was damaged (%s) and cannot be rewritten", vmdir, why);
	if (st->qemu.pid)
		err_warn("%s/status.json was damaged (%s): rewritten from the processes: %s, QEMU pid %d", vmdir, why,
			 vm_state_name(st->state), (int)st->qemu.pid);
	else
		err_warn("%s/status.json was damaged (%s): rewritten from the processes: stopped, no QEMU runs", vmdir,
			 why);
	return 0;
}

int status_derive(int dirfd, const char *vmdir, struct vm_status *st)
{
	char boot[40] = "";
	int r = status_load(dirfd, st);

	if (r == -EBADMSG)
		return rederive(dirfd, vmdir, st);
	if (r < 0 || !vm_state_active(st->state))
		return r;
	if (proc_id_alive(&st->qemu)) {
		if (!proc_id_alive(&st->monitor))
			ask_qemu(dirfd, st);
		return 0;
	}
	/* QEMU is gone.  A live monitor is about to record how it ended. */
	for (int i = 0; i < 100 && proc_id_alive(&st->monitor); i++) {
		proc_sleep_ms(20);
		if ((r = status_load(dirfd, st)) < 0 || !vm_state_active(st->state))
			return r;
	}
	proc_boot_id(boot);
	st->state = VM_CRASHED;
	if (strcmp(boot, st->qemu.boot_id))
		snprintf(st->reason, sizeof(st->reason), "the host rebooted while the VM was running");
	else
		snprintf(st->reason, sizeof(st->reason),
			 "QEMU (pid %d) and hv's monitor ended without recording a shutdown", (int)st->qemu.pid);
	return 0;
}
