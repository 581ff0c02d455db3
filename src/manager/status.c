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

static void proc_from_json(struct json_object *o, struct proc_id *p)
{
	struct json_object *v;

	memset(p, 0, sizeof(*p));
	if (!o || !json_object_is_type(o, json_type_object))
		return;
	if (json_object_object_get_ex(o, "pid", &v))
		p->pid = (pid_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "start", &v))
		p->start = (uint64_t)json_object_get_int64(v);
	if (json_object_object_get_ex(o, "boot_id", &v) && json_object_is_type(v, json_type_string))
		snprintf(p->boot_id, sizeof(p->boot_id), "%s", json_object_get_string(v));
}

int status_load(int dirfd, struct vm_status *st)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct json_object *v;
	int r;

	memset(st, 0, sizeof(*st));
	st->state = VM_STOPPED;
	r = json_read_object(dirfd, "status.json", 65536, &o);
	if (r == -ENOENT) {
		err_clear();
		return 0;
	}
	if (r < 0)
		return r;
	if (json_object_object_get_ex(o, "state", &v)) {
		const char *s = json_object_get_string(v);
		for (int i = 0; i < 4; i++)
			if (s && !strcmp(s, state_names[i]))
				st->state = (enum vm_state)i;
	}
	if (json_object_object_get_ex(o, "reason", &v) && json_object_is_type(v, json_type_string))
		snprintf(st->reason, sizeof(st->reason), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "accel", &v) && json_object_is_type(v, json_type_string))
		snprintf(st->accel, sizeof(st->accel), "%s", json_object_get_string(v));
	if (json_object_object_get_ex(o, "since", &v))
		st->since = (time_t)json_object_get_int64(v);
	proc_from_json(json_object_object_get_ex(o, "qemu", &v) ? v : NULL, &st->qemu);
	proc_from_json(json_object_object_get_ex(o, "monitor", &v) ? v : NULL, &st->monitor);
	return 0;
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

int status_derive(int dirfd, const char *vmdir, struct vm_status *st)
{
	char boot[40] = "";
	int r = status_load(dirfd, st);

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
