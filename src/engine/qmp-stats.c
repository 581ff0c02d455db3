/* SPDX-License-Identifier: MIT */
/* The typed QMP queries of hv stats (see qmp-stats.h). */
#include "engine/qmp-stats.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "engine/qmp.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"
#include "util/jsonfile.h"

#define QUERY_MAX_ITEMS 1024 /* QEMU is semi-trusted: bound what we walk */

/* Run a query whose reply is an array. */
static int exec_array(struct qmp *q, const char *command, int timeout_ms, struct json_object **ret)
{
	int r = qmp_execute(q, command, NULL, ret, timeout_ms);

	if (r < 0)
		return r;
	if (!json_object_is_type(*ret, json_type_array)) {
		r = err_set(-EPROTO, "QMP %s reply: expected an array, got %s", command, json_kind_name(*ret));
		json_object_put(*ret);
		*ret = NULL;
	}
	return r;
}

struct vcpu_list {
	struct qmp_vcpu *out;
	size_t max, n;
};

static int vcpu_one(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD_RANGE("cpu-index", JSON_UINT, JSON_REQUIRED, struct qmp_vcpu, index, 0, 65535),
		JSON_FIELD_RANGE("thread-id", JSON_INT, JSON_REQUIRED, struct qmp_vcpu, thread, 1, 1 << 30),
		JSON_FIELD_END,
	};
	struct vcpu_list *l = ctx;
	struct qmp_vcpu v;
	int r = json_dispatch(e, fields, &v, epath, 0);

	if (r < 0)
		return r;
	if (i < l->max)
		l->out[i] = v;
	l->n = i + 1;
	return 0;
}

int qmp_query_cpus_fast(struct qmp *q, int timeout_ms, struct qmp_vcpu *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *ret = NULL;
	struct vcpu_list l = { out, max, 0 };
	int r;

	*n = 0;
	if ((r = exec_array(q, "query-cpus-fast", timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_array_each(ret, "QMP query-cpus-fast reply", QUERY_MAX_ITEMS, vcpu_one, &l)) < 0)
		return r;
	*n = l.n;
	return 0;
}

struct block_list {
	struct qmp_blockstats *out;
	size_t max, n;
};

struct block_counters {
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;
};

static int block_one(struct json_object *e, size_t i, const char *epath, void *ctx)
{
	static const struct json_field fields[] = {
		JSON_FIELD("rd_bytes", JSON_UINT64, JSON_REQUIRED, struct block_counters, rd_bytes),
		JSON_FIELD("wr_bytes", JSON_UINT64, JSON_REQUIRED, struct block_counters, wr_bytes),
		JSON_FIELD("rd_operations", JSON_UINT64, JSON_REQUIRED, struct block_counters, rd_ops),
		JSON_FIELD("wr_operations", JSON_UINT64, JSON_REQUIRED, struct block_counters, wr_ops),
		JSON_FIELD_END,
	};
	struct block_list *l = ctx;
	struct block_counters c;
	struct json_object *stats = NULL;
	const char *device = NULL;
	_cleanup_free_ char *spath = NULL;
	int r;

	(void)i;
	if (!json_object_is_type(e, json_type_object))
		return err_set(-EINVAL, "%s: expected an object, got %s", epath, json_kind_name(e));
	/* a node without a drive (a backing file, -blockdev) has no device or "" */
	if ((r = json_get_str(e, "device", epath, &device)) < 0 && r != -ENOENT)
		return r;
	if (!device || !*device)
		return 0;
	if (strlen(device) >= sizeof(l->out[0].device))
		return err_set(-EINVAL, "%s.device: longer than %zu bytes", epath, sizeof(l->out[0].device) - 1);
	if (asprintf(&spath, "%s.stats", epath) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = json_get_object(e, "stats", epath, &stats)) < 0)
		return r == -ENOENT ? err_set(-EINVAL, "%s is missing", spath) : r;
	if ((r = json_dispatch(stats, fields, &c, spath, 0)) < 0)
		return r;
	if (l->n < l->max) {
		struct qmp_blockstats *b = &l->out[l->n];
		snprintf(b->device, sizeof(b->device), "%s", device);
		b->rd_bytes = c.rd_bytes;
		b->wr_bytes = c.wr_bytes;
		b->rd_ops = c.rd_ops;
		b->wr_ops = c.wr_ops;
	}
	l->n++;
	return 0;
}

int qmp_query_blockstats(struct qmp *q, int timeout_ms, struct qmp_blockstats *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *ret = NULL;
	struct block_list l = { out, max, 0 };
	int r;

	*n = 0;
	if ((r = exec_array(q, "query-blockstats", timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_array_each(ret, "QMP query-blockstats reply", QUERY_MAX_ITEMS, block_one, &l)) < 0)
		return r;
	*n = l.n < max ? l.n : max;
	return 0;
}
