/* SPDX-License-Identifier: MIT */
/* migrate.json: the record of a live migration leaving a VM (see migrec.h). */
#include "manager/migrec.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"

#define MIGREC_FILE "migrate.json"

int migrec_save(int dirfd, const struct migrec *m)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o)
		return err_set(-ENOMEM, "out of memory");
	json_object_object_add(o, "pid", json_object_new_int64(m->hv.pid));
	json_object_object_add(o, "start", json_object_new_int64((int64_t)m->hv.start));
	json_object_object_add(o, "boot_id", json_object_new_string(m->hv.boot_id));
	json_object_object_add(o, "was_running", json_object_new_boolean(m->was_running));
	json_object_object_add(o, "phase",
			       json_object_new_string(m->phase == MIGREC_SWITCHOVER ? "switchover" : "copying"));
	json_object_object_add(o, "dest", json_object_new_string(m->dest));
	return json_write_atomic(dirfd, MIGREC_FILE, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
}

struct migrec_json {
	int64_t pid, start;
	char boot_id[40];
	bool was_running;
	char phase[16];
	char dest[256];
};

int migrec_load(int dirfd, struct migrec *m)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("pid", JSON_INT64, JSON_REQUIRED, struct migrec_json, pid, 1, INT32_MAX),
		JSON_FIELD_RANGE("start", JSON_INT64, JSON_REQUIRED, struct migrec_json, start, 0, INT64_MAX),
		JSON_FIELD_BUF("boot_id", JSON_REQUIRED, struct migrec_json, boot_id),
		JSON_FIELD("was_running", JSON_BOOL, JSON_REQUIRED, struct migrec_json, was_running),
		JSON_FIELD_BUF("phase", JSON_REQUIRED, struct migrec_json, phase),
		JSON_FIELD_BUF("dest", 0, struct migrec_json, dest),
		JSON_FIELD_END,
	};
	_cleanup_json_ struct json_object *o = NULL;
	struct migrec_json j = { 0 };
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = json_read_object(dirfd, MIGREC_FILE, 65536, &o)) < 0) {
		if (r == -ENOENT)
			err_clear();
		return r;
	}
	if ((r = json_dispatch(o, fields, &j, MIGREC_FILE, 0)) < 0)
		return r;
	if (strcmp(j.phase, "copying") && strcmp(j.phase, "switchover"))
		return err_set(-EINVAL, MIGREC_FILE ": phase: unknown value '%s'", j.phase);
	m->hv.pid = (pid_t)j.pid;
	m->hv.start = (uint64_t)j.start;
	snprintf(m->hv.boot_id, sizeof(m->hv.boot_id), "%s", j.boot_id);
	m->was_running = j.was_running;
	m->phase = strcmp(j.phase, "switchover") ? MIGREC_COPYING : MIGREC_SWITCHOVER;
	snprintf(m->dest, sizeof(m->dest), "%s", j.dest);
	return 0;
}

void migrec_remove(int dirfd)
{
	unlinkat(dirfd, MIGREC_FILE, 0);
}
