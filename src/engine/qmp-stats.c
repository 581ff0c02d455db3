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

/* The reply to a query whose reply is an array (timeout_ms 0: it has
 * arrived); id 0: send the query now. */
static int await_array(struct qmp *q, unsigned id, const char *command, int timeout_ms, struct json_object **ret)
{
	int r;

	*ret = NULL;
	if (id == 0 && (r = qmp_send(q, command, NULL, &id)) < 0)
		return r;
	if ((r = qmp_await(q, id, command, ret, timeout_ms)) < 0)
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

static int cpus_reply(struct qmp *q, unsigned id, int timeout_ms, struct qmp_vcpu *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *ret = NULL;
	struct vcpu_list l = { out, max, 0 };
	int r;

	*n = 0;
	if ((r = await_array(q, id, "query-cpus-fast", timeout_ms, &ret)) < 0)
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

static int blocks_reply(struct qmp *q, unsigned id, int timeout_ms, struct qmp_blockstats *out, size_t max, size_t *n)
{
	_cleanup_json_ struct json_object *ret = NULL;
	struct block_list l = { out, max, 0 };
	int r;

	*n = 0;
	if ((r = await_array(q, id, "query-blockstats", timeout_ms, &ret)) < 0)
		return r;
	if ((r = json_array_each(ret, "QMP query-blockstats reply", QUERY_MAX_ITEMS, block_one, &l)) < 0)
		return r;
	*n = l.n < max ? l.n : max;
	return 0;
}

int qmp_query_cpus_fast(struct qmp *q, int timeout_ms, struct qmp_vcpu *out, size_t max, size_t *n)
{
	return cpus_reply(q, 0, timeout_ms, out, max, n);
}

int qmp_query_blockstats(struct qmp *q, int timeout_ms, struct qmp_blockstats *out, size_t max, size_t *n)
{
	return blocks_reply(q, 0, timeout_ms, out, max, n);
}

int qmp_stats_send(struct qmp *q, struct qmp_stats_req *req)
{
	_cleanup_json_ struct json_object *args = json_object_new_object();
	int r;

	if (!args || json_object_object_add(args, "path", json_object_new_string(QMP_BALLOON_PATH)) < 0 ||
	    json_object_object_add(args, "property", json_object_new_string("guest-stats")) < 0)
		return err_set(-ENOMEM, "out of memory");
	if ((r = qmp_send(q, "query-cpus-fast", NULL, &req->cpus)) < 0 ||
	    (r = qmp_send(q, "query-blockstats", NULL, &req->blocks)) < 0 ||
	    (r = qmp_send(q, "qom-get", args, &req->guest)) < 0)
		return r;
	return 0;
}

bool qmp_stats_ready(const struct qmp *q, const struct qmp_stats_req *req)
{
	/* QEMU answers in order: the last reply means all have come */
	return qmp_has_reply(q, req->guest);
}

int qmp_stats_cpus(struct qmp *q, const struct qmp_stats_req *req, struct qmp_vcpu *out, size_t max, size_t *n)
{
	return cpus_reply(q, req->cpus, 0, out, max, n);
}

int qmp_stats_blocks(struct qmp *q, const struct qmp_stats_req *req, struct qmp_blockstats *out, size_t max, size_t *n)
{
	return blocks_reply(q, req->blocks, 0, out, max, n);
}

/* One figure of GuestStats: QEMU says "not reported" with -1, which it
 * prints as 2^64-1 (unsigned) or -1. */
static int guest_stat(struct json_object *stats, const char *name, uint64_t *v, bool *known)
{
	struct json_object *o;

	*known = false;
	if (!json_object_object_get_ex(stats, name, &o))
		return 0;
	if (!json_object_is_type(o, json_type_int))
		return err_set(-EPROTO, "QMP guest-stats: %s is %s, not a number", name, json_kind_name(o));
	if (json_object_get_int64(o) < 0)
		return 0;
	*v = json_object_get_uint64(o);
	*known = *v != UINT64_MAX;
	return 0;
}

int qmp_guest_mem_parse(struct json_object *ret, struct qmp_guest_mem *out)
{
	struct json_object *stats = NULL;
	bool kt, kf, ka, kc;
	int64_t last = 0;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = json_get_object(ret, "stats", "QMP guest-stats", &stats)) < 0)
		return r;
	if ((r = json_get_int64(ret, "last-update", "QMP guest-stats", &last)) < 0)
		return r;
	if ((r = guest_stat(stats, "stat-total-memory", &out->total, &kt)) < 0 ||
	    (r = guest_stat(stats, "stat-free-memory", &out->free, &kf)) < 0 ||
	    (r = guest_stat(stats, "stat-available-memory", &out->available, &ka)) < 0 ||
	    (r = guest_stat(stats, "stat-disk-caches", &out->caches, &kc)) < 0)
		return r;
	if (last <= 0 || !kt || !kf || out->free > out->total)
		return 0; /* the guest has not reported (yet): no figures */
	if (!ka)
		out->available = out->free;
	if (!kc || out->caches > out->total - out->free)
		out->caches = 0;
	/* as free(1): neither free nor the page cache the guest can drop */
	out->used = out->total - out->free - out->caches;
	out->last_update = (uint64_t)last;
	out->known = true;
	return 0;
}

int qmp_stats_guest_mem(struct qmp *q, const struct qmp_stats_req *req, struct qmp_guest_mem *out)
{
	_cleanup_json_ struct json_object *ret = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = qmp_await(q, req->guest, "qom-get", &ret, 0)) < 0) {
		/* a VM started without a balloon device: no figures, no error */
		err_clear();
		return 0;
	}
	return qmp_guest_mem_parse(ret, out);
}
