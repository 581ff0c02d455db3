/* SPDX-License-Identifier: MIT */
/*
 * linux.resources (OCI runtime spec, config-linux.md "linux.resources")
 * validated whole and turned into a plan: the list of cgroup file writes
 * for v1 or v2, and on v2 the device rules for the eBPF program.  Pure:
 * no file is touched, so a bad config changes nothing and the v2 mapping
 * can be checked on v1 hosts; cgroups.c executes the plan.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/cgroups-internal.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/json.h"

uint64_t cg_shares_to_weight(uint64_t shares)
{
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

void cg_plan_free(struct cg_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->w[i].value);
		free(plan->w[i].alt_value);
	}
	free(plan->w);
	free(plan->dev);
	memset(plan, 0, sizeof(*plan));
}

static struct cg_write *plan_add(struct cg_plan *p, const char *field, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static struct cg_write *plan_add(struct cg_plan *p, const char *field, const char *file, const char *fmt, ...)
{
	struct cg_write *w;
	va_list ap;
	int k;

	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct cg_write *nw = realloc(p->w, cap * sizeof(*nw));
		if (!nw)
			return NULL;
		p->w = nw;
		p->cap = cap;
	}
	w = &p->w[p->n];
	memset(w, 0, sizeof(*w));
	va_start(ap, fmt);
	k = vasprintf(&w->value, fmt, ap);
	va_end(ap);
	if (k < 0)
		return NULL;
	w->field = field;
	w->file = file;
	p->n++;
	return w;
}

#define PLAN_ADD(p, ...)                                                                                               \
	({                                                                                                             \
		struct cg_write *w_ = plan_add(p, __VA_ARGS__);                                                        \
		if (!w_)                                                                                               \
			return err_set(-ENOMEM, "out of memory");                                                      \
		w_;                                                                                                    \
	})

/* A number that was given (limits written by Go are whole numbers, and
 * 1e9 is a JSON number too). */
struct num {
	int64_t v;
	bool set;
};

static int parse_num(struct json_object *v, void *dst, const char *path)
{
	struct num *n = dst;

	if (json_object_is_type(v, json_type_int)) {
		n->v = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		if (!(d > -9.2e18 && d < 9.2e18) || (double)(int64_t)d != d)
			return err_set(-EINVAL, "%s must be a whole number, not %g", path, d);
		n->v = (int64_t)d;
	} else {
		return err_set(-EINVAL, "%s must be a number (got %s)", path, json_kind_name(v));
	}
	n->set = true;
	return 0;
}

struct flag {
	bool v, set;
};

static int parse_flag(struct json_object *v, void *dst, const char *path)
{
	struct flag *f = dst;

	if (!json_object_is_type(v, json_type_boolean))
		return err_set(-EINVAL, "%s must be true or false (got %s)", path, json_kind_name(v));
	f->v = json_object_get_boolean(v);
	f->set = true;
	return 0;
}

/* A byte count: -1 is "no limit"; 0 is "not set" (Go-generated configs
 * write zero values). */
static int check_bytes(struct num *n, const char *field)
{
	if (n->set && n->v == 0)
		n->set = false;
	else if (n->set && n->v < -1)
		return err_set(-EINVAL, "%s must be -1 (no limit) or a number of bytes, not %lld", field,
			       (long long)n->v);
	return 0;
}

struct mem_json {
	struct num limit, resv, swap, swappiness;
	struct flag no_oom;
};

/* The values' rules, before either version's files are planned. */
static int check_memory(const struct mem_json *j)
{
	/* OCI's swap is memory plus swap, so it bounds the limit from above */
	if (j->swap.set && j->swap.v != -1) {
		if (!j->limit.set || j->limit.v == -1)
			return err_set(-EINVAL, "linux.resources.memory.swap (memory plus swap) needs a "
						"linux.resources.memory.limit that is not -1");
		if (j->swap.v < j->limit.v)
			return err_set(-EINVAL,
				       "linux.resources.memory.swap (%lld) must be at least "
				       "linux.resources.memory.limit (%lld): it counts memory plus swap",
				       (long long)j->swap.v, (long long)j->limit.v);
	}
	/* 0 is a value here (never swap), not "unset"; -1 is runc's "unset" */
	if (j->swappiness.set && (j->swappiness.v < -1 || j->swappiness.v > 100))
		return err_set(-EINVAL, "linux.resources.memory.swappiness must be between 0 and 100, not %lld",
			       (long long)j->swappiness.v);
	return 0;
}

/* A swap figure equal to the limit (or -1) asks for nothing: a host
 * without swap accounting may skip it. */
static bool swap_is_noop(const struct mem_json *j)
{
	return j->swap.v == -1 || (j->limit.set && j->swap.v == j->limit.v);
}

static int plan_memory_v1(const struct mem_json *j, struct cg_plan *p)
{
	if (j->swappiness.set && j->swappiness.v != -1)
		PLAN_ADD(p, "linux.resources.memory.swappiness", "memory.swappiness", "%lld",
			 (long long)j->swappiness.v);
	if (j->limit.set)
		PLAN_ADD(p, "linux.resources.memory.limit", "memory.limit_in_bytes", "%lld", (long long)j->limit.v)
		    ->swap_pair = j->swap.set;
	if (j->swap.set) {
		struct cg_write *w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.memsw.limit_in_bytes", "%lld",
					      (long long)j->swap.v);
		w->skip_if_missing = swap_is_noop(j);
		w->missing_hint = "this host does not account swap (no memory.memsw.limit_in_bytes; the "
				  "kernel needs swapaccount=1)";
	}
	if (j->resv.set)
		PLAN_ADD(p, "linux.resources.memory.reservation", "memory.soft_limit_in_bytes", "%lld",
			 (long long)j->resv.v);
	if (j->no_oom.set)
		PLAN_ADD(p, "linux.resources.memory.disableOOMKiller", "memory.oom_control", "%d", (int)j->no_oom.v);
	return 0;
}

/* v2 has no switch for the OOM killer of one cgroup (memory.oom.group is
 * something else), so disableOOMKiller has nothing to set; nor a
 * per-cgroup swappiness, which runc's v2 manager ignores too
 * (libcontainer/cgroups/fs2/memory.go sets max, swap.max and low). */
static int plan_memory_v2(const struct mem_json *j, struct cg_plan *p)
{
	if (j->limit.set) {
		if (j->limit.v == -1)
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "%lld", (long long)j->limit.v);
	}
	if (j->swap.set) {
		struct cg_write *w;
		/* v2 limits swap alone */
		if (j->swap.v == -1)
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "max");
		else
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "%lld",
				     (long long)(j->swap.v - j->limit.v));
		w->skip_if_missing = swap_is_noop(j);
		w->missing_hint = "this host does not account swap (no memory.swap.max)";
	}
	if (j->resv.set) {
		if (j->resv.v == -1)
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "%lld", (long long)j->resv.v);
	}
	return 0;
}

static int plan_memory(enum cg_version v, struct json_object *mem, struct cg_plan *p)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("limit", JSON_NULLABLE, struct mem_json, limit, parse_num),
		JSON_FIELD_CUSTOM("reservation", JSON_NULLABLE, struct mem_json, resv, parse_num),
		JSON_FIELD_CUSTOM("swap", JSON_NULLABLE, struct mem_json, swap, parse_num),
		JSON_FIELD_CUSTOM("disableOOMKiller", JSON_NULLABLE, struct mem_json, no_oom, parse_flag),
		JSON_FIELD_CUSTOM("swappiness", JSON_NULLABLE, struct mem_json, swappiness, parse_num),
		JSON_FIELD_END,
	};
	struct mem_json j = { 0 };
	int r;

	if ((r = json_dispatch(mem, fields, &j, "linux.resources.memory", 0)) < 0 ||
	    (r = check_bytes(&j.limit, "linux.resources.memory.limit")) < 0 ||
	    (r = check_bytes(&j.resv, "linux.resources.memory.reservation")) < 0 ||
	    (r = check_bytes(&j.swap, "linux.resources.memory.swap")) < 0 || (r = check_memory(&j)) < 0)
		return r;
	return v == CG_V1 ? plan_memory_v1(&j, p) : plan_memory_v2(&j, p);
}

/* "0-3,8" style lists, as cpuset.cpus/mems take them. */
static int check_cpu_list(const char *s, const char *field)
{
	if (strspn(s, "0123456789,-") != strlen(s))
		return err_set(-EINVAL, "%s must be a list like \"0-3,8\", not \"%s\"", field, s);
	return 0;
}

struct cpu_json {
	struct num shares, quota, period;
	const char *cpus, *mems;
};

static int plan_cpu(enum cg_version v, struct json_object *cpu, struct cg_plan *p)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("shares", JSON_NULLABLE, struct cpu_json, shares, parse_num),
		JSON_FIELD_CUSTOM("quota", JSON_NULLABLE, struct cpu_json, quota, parse_num),
		JSON_FIELD_CUSTOM("period", JSON_NULLABLE, struct cpu_json, period, parse_num),
		JSON_FIELD("cpus", JSON_STR, JSON_NULLABLE, struct cpu_json, cpus),
		JSON_FIELD("mems", JSON_STR, JSON_NULLABLE, struct cpu_json, mems),
		JSON_FIELD_END,
	};
	struct cpu_json j = { 0 };
	int r;

	if ((r = json_dispatch(cpu, fields, &j, "linux.resources.cpu", 0)) < 0)
		return r;
	int64_t shares = j.shares.v, quota = j.quota.v, period = j.period.v;
	bool has_shares = j.shares.set, has_quota = j.quota.set, has_period = j.period.set;
	const char *cpus = j.cpus, *mems = j.mems;
	/* zero is "not set", as for the byte counts */
	has_shares = has_shares && shares != 0;
	has_quota = has_quota && quota != 0;
	has_period = has_period && period != 0;
	if (has_shares && (shares < 2 || shares > 262144))
		return err_set(-EINVAL, "linux.resources.cpu.shares must be between 2 and 262144, not %lld",
			       (long long)shares);
	if (has_quota && quota != -1 && quota < 1000)
		return err_set(
		    -EINVAL, "linux.resources.cpu.quota must be -1 (no limit) or at least 1000 microseconds, not %lld",
		    (long long)quota);
	if (has_period && (period < 1000 || period > 1000000))
		return err_set(-EINVAL,
			       "linux.resources.cpu.period must be between 1000 and 1000000 microseconds, not %lld",
			       (long long)period);
	if (cpus && *cpus) {
		if ((r = check_cpu_list(cpus, "linux.resources.cpu.cpus")) < 0)
			return r;
		PLAN_ADD(p, "linux.resources.cpu.cpus", "cpuset.cpus", "%s", cpus);
	}
	if (mems && *mems) {
		if ((r = check_cpu_list(mems, "linux.resources.cpu.mems")) < 0)
			return r;
		PLAN_ADD(p, "linux.resources.cpu.mems", "cpuset.mems", "%s", mems);
	}
	if (v == CG_V1) {
		if (has_shares)
			PLAN_ADD(p, "linux.resources.cpu.shares", "cpu.shares", "%lld", (long long)shares);
		if (has_period)
			PLAN_ADD(p, "linux.resources.cpu.period", "cpu.cfs_period_us", "%lld", (long long)period);
		if (has_quota)
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.cfs_quota_us", "%lld", (long long)quota);
		return 0;
	}
	if (has_shares)
		PLAN_ADD(p, "linux.resources.cpu.shares", "cpu.weight", "%llu",
			 (unsigned long long)cg_shares_to_weight((uint64_t)shares));
	if (has_quota || has_period) {
		char q[32] = "max";
		if (has_quota && quota != -1)
			snprintf(q, sizeof(q), "%lld", (long long)quota);
		/* without a period, cpu.max keeps the one it has */
		if (has_period)
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.max", "%s %lld", q, (long long)period);
		else
			PLAN_ADD(p, "linux.resources.cpu.quota", "cpu.max", "%s", q);
	}
	return 0;
}

static int plan_pids(struct json_object *pids, struct cg_plan *p)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("limit", JSON_NULLABLE, struct num, v, parse_num),
		JSON_FIELD_END,
	};
	struct num n = { 0 };
	int r;

	if ((r = json_dispatch(pids, fields, &n, "linux.resources.pids", 0)) < 0 || !n.set)
		return r;
	int64_t limit = n.v;
	if (limit <= 0)
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "max");
	else
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "%lld", (long long)limit);
	return 0;
}

static int plan_blockio(enum cg_version v, struct json_object *bio, struct cg_plan *p)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("weight", JSON_NULLABLE, struct num, v, parse_num),
		JSON_FIELD_END,
	};
	struct cg_write *w;
	struct num n = { 0 };
	int r;

	if ((r = json_dispatch(bio, fields, &n, "linux.resources.blockIO", 0)) < 0 || !n.set || n.v == 0)
		return r;
	int64_t weight = n.v;
	if (weight < 10 || weight > 1000)
		return err_set(-EINVAL, "linux.resources.blockIO.weight must be between 10 and 1000, not %lld",
			       (long long)weight);
	/* The weight file belongs to the I/O scheduler: CFQ's blkio.weight
	 * (v1) or iocost's io.weight (v2), else BFQ's; hosts with neither
	 * cannot weigh I/O, which is not worth refusing a container for. */
	if (v == CG_V1) {
		w = PLAN_ADD(p, "linux.resources.blockIO.weight", "blkio.weight", "%lld", (long long)weight);
		w->alt_file = "blkio.bfq.weight";
	} else {
		w = PLAN_ADD(p, "linux.resources.blockIO.weight", "io.weight", "default %lld", (long long)weight);
		w->alt_file = "io.bfq.weight";
	}
	if (asprintf(&w->alt_value, "%lld", (long long)weight) < 0) {
		w->alt_value = NULL;
		return err_set(-ENOMEM, "out of memory");
	}
	w->skip_if_missing = true;
	return 0;
}

struct dev_json {
	struct flag allow;
	const char *type, *access;
	struct num major, minor;
};

static int parse_dev_rule(struct json_object *o, size_t i, struct cg_dev_rule *d)
{
	static const struct json_field fields[] = {
		JSON_FIELD_CUSTOM("allow", JSON_REQUIRED | JSON_NULLABLE, struct dev_json, allow, parse_flag),
		JSON_FIELD("type", JSON_STR, JSON_NULLABLE, struct dev_json, type),
		JSON_FIELD("access", JSON_STR, JSON_NULLABLE, struct dev_json, access),
		JSON_FIELD_CUSTOM("major", JSON_NULLABLE, struct dev_json, major, parse_num),
		JSON_FIELD_CUSTOM("minor", JSON_NULLABLE, struct dev_json, minor, parse_num),
		JSON_FIELD_END,
	};
	struct dev_json j = { 0 };
	struct num *nums[] = { &j.major, &j.minor };
	const char *keys[] = { "major", "minor" };
	const char *access;
	char where[64];
	int r;

	snprintf(where, sizeof(where), "linux.resources.devices[%zu]", i);
	if ((r = json_dispatch(o, fields, &j, where, 0)) < 0)
		return r;
	d->allow = j.allow.v;
	if (j.type && (strlen(j.type) != 1 || !strchr("acb", j.type[0])))
		return err_set(-EINVAL, "linux.resources.devices[%zu].type must be \"a\", \"c\" or \"b\"", i);
	d->type = j.type ? j.type[0] : 'a';
	for (size_t k = 0; k < 2; k++) {
		int64_t *out = k ? &d->minor : &d->major;
		*out = nums[k]->set ? nums[k]->v : -1;
		if (*out < -1 || *out > UINT32_MAX)
			return err_set(-EINVAL, "%s.%s must be -1 (any) or a device number, not %lld", where, keys[k],
				       (long long)*out);
		if (d->type == 'a' && *out != -1)
			return err_set(-EINVAL, "%s.%s must be absent for type \"a\", which means every device", where,
				       keys[k]);
	}
	access = j.access ? j.access : "rwm";
	static const char rwm[] = "rwm";
	bool seen[3] = { false, false, false };
	size_t n = 0;
	for (const char *c = access; *c; c++) {
		const char *at = strchr(rwm, *c);
		if (!at || seen[at - rwm])
			return err_set(-EINVAL,
				       "linux.resources.devices[%zu].access must combine r, w and m, not \"%s\"", i,
				       access);
		seen[at - rwm] = true;
		d->access[n++] = *c;
	}
	d->access[n] = '\0';
	if (n == 0)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access is empty", i);
	/* the kernel applies an "a" rule to every access type */
	if (d->type == 'a' && n != 3)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access must be \"rwm\" for type \"a\"", i);
	return 0;
}

static void dev_num(int64_t v, char *buf, size_t n)
{
	if (v < 0)
		snprintf(buf, n, "*");
	else
		snprintf(buf, n, "%lld", (long long)v);
}

/* The rules are an allowlist (see cgroups-bpf.c): on v1, where a new
 * cgroup starts with its parent's list, a list that does not start by
 * resetting (an "a" rule) gets a deny-all first. */
static int plan_devices(enum cg_version v, struct json_object *devs, struct cg_plan *p)
{
	size_t n;

	n = json_object_array_length(devs);
	if (v == CG_V2 && n > 0 && !(p->dev = calloc(n, sizeof(*p->dev))))
		return err_set(-ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct cg_dev_rule d = { 0 };
		char maj[24], min[24];
		int r = parse_dev_rule(json_object_array_get_idx(devs, i), i, &d);
		if (r < 0)
			return r;
		if (v == CG_V2) {
			p->dev[p->n_dev++] = d;
			continue;
		}
		if (i == 0 && d.type != 'a')
			PLAN_ADD(p, "linux.resources.devices", "devices.deny", "a *:* rwm");
		dev_num(d.major, maj, sizeof(maj));
		dev_num(d.minor, min, sizeof(min));
		PLAN_ADD(p, "linux.resources.devices", d.allow ? "devices.allow" : "devices.deny", "%c %s:%s %s",
			 d.type, maj, min, d.access);
	}
	return 0;
}

/* Set to anything but an empty value. */
static bool given(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return false;
	case json_type_boolean:
		return json_object_get_boolean(v);
	case json_type_int:
		return json_object_get_int64(v) != 0;
	case json_type_double:
		return json_object_get_double(v) != 0;
	case json_type_string:
		return json_object_get_string_len(v) != 0;
	case json_type_array:
		return json_object_array_length(v) != 0;
	case json_type_object:
		return json_object_object_length(v) != 0;
	}
	return true;
}

/* Limits hv cannot apply are refused rather than silently dropped
 * (memory.kernel/kernelTCP, deprecated by the spec, are ignored). */
static int refuse_unsupported(struct json_object *res)
{
	static const char *const unsupported[][2] = {
		{ "cpu", "realtimeRuntime" },
		{ "cpu", "realtimePeriod" },
		{ "cpu", "burst" },
		{ "cpu", "idle" },
		{ "blockIO", "leafWeight" },
		{ "blockIO", "weightDevice" },
		{ "blockIO", "throttleReadBpsDevice" },
		{ "blockIO", "throttleWriteBpsDevice" },
		{ "blockIO", "throttleReadIOPSDevice" },
		{ "blockIO", "throttleWriteIOPSDevice" },
		{ NULL, "hugepageLimits" },
		{ NULL, "network" },
		{ NULL, "rdma" },
		{ NULL, "unified" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++) {
		const char *sec = unsupported[i][0], *key = unsupported[i][1];
		struct json_object *o = res, *v = NULL;
		if (sec && json_get_object(res, sec, "linux.resources", &o) < 0)
			continue; /* absent, or the type error comes later */
		if (json_object_object_get_ex(o, key, &v) && given(v))
			return err_set(-ENOTSUP, "linux.resources.%s%s%s is not supported by hv", sec ? sec : "",
				       sec ? "." : "", key);
	}
	return 0;
}

struct res_json {
	struct json_object *memory, *cpu, *pids, *bio, *devices;
};

int cg_plan_resources(enum cg_version v, struct json_object *res, struct cg_plan *plan)
{
	static const struct json_field fields[] = {
		JSON_FIELD("memory", JSON_OBJECT, JSON_NULLABLE, struct res_json, memory),
		JSON_FIELD("cpu", JSON_OBJECT, JSON_NULLABLE, struct res_json, cpu),
		JSON_FIELD("pids", JSON_OBJECT, JSON_NULLABLE, struct res_json, pids),
		JSON_FIELD("blockIO", JSON_OBJECT, JSON_NULLABLE, struct res_json, bio),
		JSON_FIELD("devices", JSON_ARRAY, JSON_NULLABLE, struct res_json, devices),
		JSON_FIELD_END,
	};
	struct res_json j = { 0 };
	int r;

	memset(plan, 0, sizeof(*plan));
	if (!res)
		return 0;
	if ((r = json_dispatch(res, fields, &j, "linux.resources", 0)) < 0 || (r = refuse_unsupported(res)) < 0)
		return r;
	/* cpuset first: the other settings do not depend on it, but a
	 * process placed early should land on the right CPUs */
	if ((j.cpu && (r = plan_cpu(v, j.cpu, plan)) < 0) || (j.memory && (r = plan_memory(v, j.memory, plan)) < 0) ||
	    (j.pids && (r = plan_pids(j.pids, plan)) < 0) || (j.bio && (r = plan_blockio(v, j.bio, plan)) < 0) ||
	    (j.devices && (r = plan_devices(v, j.devices, plan)) < 0)) {
		cg_plan_free(plan);
		return r;
	}
	return 0;
}
