/* SPDX-License-Identifier: MIT */
/* Typed QMP for block nodes, NBD exports and block jobs (see qmp-block.h). */
#include "engine/qmp-block.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/qmp.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"
#include "util/proc.h"

#define CMD_TIMEOUT_MS 5000

/* A command with an argument object built by the caller; the reply is
 * not needed. */
static int exec_args(struct qmp *q, const char *command, struct json_object *args)
{
	_cleanup_json_ struct json_object *a = args;

	if (!a)
		return err_set(-ENOMEM, "out of memory");
	return qmp_execute(q, command, a, NULL, CMD_TIMEOUT_MS);
}

/* {"k1": "v1", ...} of string members; NULL when out of memory. */
static struct json_object *str_args(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct json_object *o = json_object_new_object();

	if (!o || json_object_object_add(o, k1, json_object_new_string(v1)) < 0 ||
	    (k2 && json_object_object_add(o, k2, json_object_new_string(v2)) < 0)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* Run a query whose reply is an array, each element through each(). */
static int query_each(struct qmp *q, const char *command,
		      int (*each)(struct json_object *e, size_t i, const char *path, void *ctx), void *ctx)
{
	_cleanup_json_ struct json_object *ret = NULL;
	char path[64];
	int r = qmp_execute(q, command, NULL, &ret, CMD_TIMEOUT_MS);

	if (r < 0)
		return r;
	if (!json_object_is_type(ret, json_type_array))
		return err_set(-EPROTO, "QMP %s reply: expected an array, got %s", command, json_kind_name(ret));
	snprintf(path, sizeof(path), "QMP %s reply", command);
	return json_array_each(ret, path, 0, each, ctx);
}

/* One element of query-block's reply (BlockInfo). */
struct block_entry {
	char device[128];
	struct json_object *inserted;
};

struct node_find {
	const char *device;
	struct qmp_block_node *out;
	bool found;
};

static int node_each(struct json_object *e, size_t i, const char *path, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("device", JSON_REQUIRED, struct block_entry, device),
		JSON_FIELD("inserted", JSON_OBJECT, 0, struct block_entry, inserted),
		JSON_FIELD_END,
	};
	static const struct json_field inserted[] = {
		JSON_FIELD_BUF("node-name", JSON_REQUIRED, struct qmp_block_node, node),
		JSON_FIELD_END,
	};
	struct node_find *f = ctx;
	struct block_entry b = { .inserted = NULL };
	struct json_object *image = NULL;
	int r;

	(void)i;
	if ((r = json_dispatch(e, fields, &b, path, 0)) < 0 || strcmp(b.device, f->device))
		return r;
	if (!b.inserted)
		return err_set(-ENOMEDIUM, "drive %s has no image", f->device);
	if ((r = json_dispatch(b.inserted, inserted, f->out, path, 0)) < 0 ||
	    (r = json_get_object(b.inserted, "image", path, &image)) < 0 ||
	    (r = json_get_uint64(image, "virtual-size", path, &f->out->size)) < 0)
		return r == -ENOENT ? err_set(-EPROTO, "%s: the image or its virtual-size is missing", path) : r;
	f->found = true;
	return 0;
}

int qmp_block_node(struct qmp *q, const char *device, struct qmp_block_node *out)
{
	struct node_find f = { .device = device, .out = out };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = query_each(q, "query-block", node_each, &f)) < 0)
		return r;
	return f.found ? 0 : err_set(-ENOENT, "QEMU has no drive %s", device);
}

#define NBD_LISTEN_FD_NAME "hvnbd"

/* Add child under key; parent takes it, or it is freed. */
static int add_child(struct json_object *parent, const char *key, struct json_object *child)
{
	if (!parent || !child || json_object_object_add(parent, key, child) < 0) {
		json_object_put(child);
		return err_set(-ENOMEM, "out of memory");
	}
	return 0;
}

int qmp_nbd_server_start_fd(struct qmp *q, int listen_fd)
{
	/* SocketAddressLegacy: {"type": "fd", "data": {"str": NAME}} */
	_cleanup_json_ struct json_object *args = json_object_new_object();
	struct json_object *addr = str_args("type", "fd", NULL, NULL);
	int r;

	if ((r = add_child(addr, "data", str_args("str", NBD_LISTEN_FD_NAME, NULL, NULL))) < 0) {
		json_object_put(addr);
		return r;
	}
	if ((r = add_child(args, "addr", addr)) < 0)
		return r;
	if ((r = qmp_send_fd(q, listen_fd, NBD_LISTEN_FD_NAME, CMD_TIMEOUT_MS)) < 0)
		return r;
	return qmp_execute(q, "nbd-server-start", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_nbd_server_stop(struct qmp *q)
{
	return qmp_execute(q, "nbd-server-stop", NULL, NULL, CMD_TIMEOUT_MS);
}

int qmp_nbd_export_add(struct qmp *q, const char *name, const char *node, bool writable)
{
	struct json_object *args = json_object_new_object();

	if (!args || json_object_object_add(args, "type", json_object_new_string("nbd")) < 0 ||
	    json_object_object_add(args, "id", json_object_new_string(name)) < 0 ||
	    json_object_object_add(args, "node-name", json_object_new_string(node)) < 0 ||
	    json_object_object_add(args, "name", json_object_new_string(name)) < 0 ||
	    json_object_object_add(args, "writable", json_object_new_boolean(writable)) < 0) {
		json_object_put(args);
		return err_set(-ENOMEM, "out of memory");
	}
	return exec_args(q, "block-export-add", args);
}

int qmp_block_export_del(struct qmp *q, const char *name)
{
	return exec_args(q, "block-export-del", str_args("id", name, NULL, NULL));
}

int qmp_blockdev_add_nbd_fd(struct qmp *q, const char *node, int fd, const char *export)
{
	/* BlockdevOptionsNbd; server is a (flat) SocketAddress */
	_cleanup_json_ struct json_object *args = str_args("driver", "nbd", "node-name", node);
	int r;

	if ((r = add_child(args, "server", str_args("type", "fd", "str", node))) < 0 ||
	    (r = add_child(args, "export", json_object_new_string(export))) < 0)
		return r;
	if ((r = qmp_send_fd(q, fd, node, CMD_TIMEOUT_MS)) < 0)
		return r;
	return qmp_execute(q, "blockdev-add", args, NULL, CMD_TIMEOUT_MS);
}

int qmp_blockdev_del(struct qmp *q, const char *node)
{
	return exec_args(q, "blockdev-del", str_args("node-name", node, NULL, NULL));
}

int qmp_blockdev_mirror(struct qmp *q, const char *job, const char *device, const char *target, uint64_t speed)
{
	struct json_object *args = str_args("job-id", job, "device", device);

	if (speed > (uint64_t)INT64_MAX)
		speed = 0;
	if (args && (json_object_object_add(args, "target", json_object_new_string(target)) < 0 ||
		     json_object_object_add(args, "sync", json_object_new_string("full")) < 0 ||
		     (speed && json_object_object_add(args, "speed", json_object_new_int64((int64_t)speed)) < 0))) {
		json_object_put(args);
		args = NULL;
	}
	return exec_args(q, "blockdev-mirror", args);
}

int qmp_block_job_cancel(struct qmp *q, const char *job, bool force)
{
	struct json_object *args = str_args("device", job, NULL, NULL);

	if (args && force && json_object_object_add(args, "force", json_object_new_boolean(true)) < 0) {
		json_object_put(args);
		args = NULL;
	}
	return exec_args(q, "block-job-cancel", args);
}

struct job_find {
	const char *job;
	struct qmp_block_job *out;
	bool found;
};

struct job_entry {
	char device[128];
	struct qmp_block_job j;
};

static int job_each(struct json_object *e, size_t i, const char *path, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD_BUF("device", JSON_REQUIRED, struct job_entry, device),
		JSON_FIELD("offset", JSON_UINT64, JSON_REQUIRED, struct job_entry, j.offset),
		JSON_FIELD("len", JSON_UINT64, JSON_REQUIRED, struct job_entry, j.len),
		JSON_FIELD("ready", JSON_BOOL, JSON_REQUIRED, struct job_entry, j.ready),
		JSON_FIELD_BUF("status", JSON_REQUIRED, struct job_entry, j.status),
		JSON_FIELD_END,
	};
	struct job_find *f = ctx;
	struct job_entry b;
	const char *error = NULL;
	int r;

	(void)i;
	memset(&b, 0, sizeof(b));
	if ((r = json_dispatch(e, fields, &b, path, 0)) < 0 || strcmp(b.device, f->job))
		return r;
	if ((r = json_get_str(e, "error", path, &error)) < 0 && r != -ENOENT)
		return r;
	/* QEMU's error text may be longer than the buffer: keep its start */
	snprintf(b.j.error, sizeof(b.j.error), "%.*s", (int)sizeof(b.j.error) - 1, error ? error : "");
	*f->out = b.j;
	f->found = true;
	return 0;
}

int qmp_block_job(struct qmp *q, const char *job, struct qmp_block_job *out)
{
	struct job_find f = { .job = job, .out = out };
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = query_each(q, "query-block-jobs", job_each, &f)) < 0)
		return r;
	return f.found ? 0 : -ENOENT;
}

static int count_mirror_jobs(struct json_object *e, size_t i, const char *path, void *ctx)
{
	const char *id = NULL;
	int r = json_need_str(e, "device", path, &id);

	(void)i;
	if (r == 0 && !strncmp(id, QMP_MIRROR_PREFIX, strlen(QMP_MIRROR_PREFIX)))
		(*(unsigned *)ctx)++;
	return r;
}

void qmp_block_mirror_drop(struct qmp *q, unsigned n)
{
	char node[32];

	for (unsigned i = 0; i < n; i++) {
		snprintf(node, sizeof(node), QMP_MIRROR_NODE_FMT, i);
		qmp_block_job_cancel(q, node, true);
	}
	for (int t = 0; t < 500; t++) {
		unsigned left = 0;
		if (query_each(q, "query-block-jobs", count_mirror_jobs, &left) < 0 || !left)
			break;
		proc_sleep_ms(10);
	}
	for (unsigned i = 0; i < n; i++) {
		snprintf(node, sizeof(node), QMP_MIRROR_NODE_FMT, i);
		qmp_blockdev_del(q, node);
	}
	err_clear();
}
