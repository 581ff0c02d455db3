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

/* A member that is absent or null counts as not given. */
static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	if (!o || !json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return NULL;
	return v;
}

static int get_section(struct json_object *res, const char *key, const char *field, struct json_object **out)
{
	*out = member(res, key);
	if (*out && !json_object_is_type(*out, json_type_object))
		return err_set(-EINVAL, "%s must be an object", field);
	return 0;
}

static int get_int(struct json_object *o, const char *key, const char *field, int64_t *out, bool *set)
{
	struct json_object *v = member(o, key);

	*set = false;
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_int)) {
		*out = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_double)) {
		/* 1e9 is a JSON number too */
		double d = json_object_get_double(v);
		if (!(d > -9.2e18 && d < 9.2e18) || (double)(int64_t)d != d)
			return err_set(-EINVAL, "%s must be a whole number, not %g", field, d);
		*out = (int64_t)d;
	} else {
		return err_set(-EINVAL, "%s must be a number", field);
	}
	*set = true;
	return 0;
}

static int get_str(struct json_object *o, const char *key, const char *field, const char **out)
{
	struct json_object *v = member(o, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return err_set(-EINVAL, "%s must be a string", field);
	*out = json_object_get_string(v);
	return 0;
}

static int get_bool(struct json_object *o, const char *key, const char *field, bool *out, bool *set)
{
	struct json_object *v = member(o, key);

	*set = false;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean))
		return err_set(-EINVAL, "%s must be true or false", field);
	*out = json_object_get_boolean(v);
	*set = true;
	return 0;
}

/* A byte count: -1 is "no limit"; 0 is "not set" (Go-generated configs
 * write zero values). */
static int get_bytes(struct json_object *o, const char *key, const char *field, int64_t *out, bool *set)
{
	int r = get_int(o, key, field, out, set);

	if (r < 0 || !*set)
		return r;
	if (*out == 0)
		*set = false;
	else if (*out < -1)
		return err_set(-EINVAL, "%s must be -1 (no limit) or a number of bytes, not %lld", field,
			       (long long)*out);
	return 0;
}

static int plan_memory(enum cg_version v, struct json_object *mem, struct cg_plan *p)
{
	int64_t limit = 0, resv = 0, swap = 0;
	bool has_limit, has_resv, has_swap, no_oom, has_oom;
	int r;

	if ((r = get_bytes(mem, "limit", "linux.resources.memory.limit", &limit, &has_limit)) < 0 ||
	    (r = get_bytes(mem, "reservation", "linux.resources.memory.reservation", &resv, &has_resv)) < 0 ||
	    (r = get_bytes(mem, "swap", "linux.resources.memory.swap", &swap, &has_swap)) < 0 ||
	    (r = get_bool(mem, "disableOOMKiller", "linux.resources.memory.disableOOMKiller", &no_oom, &has_oom)) < 0)
		return r;
	/* OCI's swap is memory plus swap, so it bounds the limit from above */
	if (has_swap && swap != -1) {
		if (!has_limit || limit == -1)
			return err_set(-EINVAL, "linux.resources.memory.swap (memory plus swap) needs a "
						"linux.resources.memory.limit that is not -1");
		if (swap < limit)
			return err_set(-EINVAL,
				       "linux.resources.memory.swap (%lld) must be at least "
				       "linux.resources.memory.limit (%lld): it counts memory plus swap",
				       (long long)swap, (long long)limit);
	}
	bool swap_is_noop = swap == -1 || (has_limit && swap == limit);
	if (v == CG_V1) {
		if (has_limit)
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.limit_in_bytes", "%lld", (long long)limit)
			    ->swap_pair = has_swap;
		if (has_swap) {
			struct cg_write *w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.memsw.limit_in_bytes",
						      "%lld", (long long)swap);
			w->skip_if_missing = swap_is_noop;
			w->missing_hint = "this host does not account swap (no memory.memsw.limit_in_bytes; the "
					  "kernel needs swapaccount=1)";
		}
		if (has_resv)
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.soft_limit_in_bytes", "%lld",
				 (long long)resv);
		if (has_oom)
			PLAN_ADD(p, "linux.resources.memory.disableOOMKiller", "memory.oom_control", "%d", no_oom);
		return 0;
	}
	if (has_limit) {
		if (limit == -1)
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.limit", "memory.max", "%lld", (long long)limit);
	}
	if (has_swap) {
		struct cg_write *w;
		/* v2 limits swap alone */
		if (swap == -1)
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "max");
		else
			w = PLAN_ADD(p, "linux.resources.memory.swap", "memory.swap.max", "%lld",
				     (long long)(swap - limit));
		w->skip_if_missing = swap_is_noop;
		w->missing_hint = "this host does not account swap (no memory.swap.max)";
	}
	if (has_resv) {
		if (resv == -1)
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "max");
		else
			PLAN_ADD(p, "linux.resources.memory.reservation", "memory.low", "%lld", (long long)resv);
	}
	/* v2 has no switch for the OOM killer of one cgroup (memory.oom.group
	 * is something else), so disableOOMKiller has nothing to set. */
	return 0;
}

/* "0-3,8" style lists, as cpuset.cpus/mems take them. */
static int check_cpu_list(const char *s, const char *field)
{
	if (strspn(s, "0123456789,-") != strlen(s))
		return err_set(-EINVAL, "%s must be a list like \"0-3,8\", not \"%s\"", field, s);
	return 0;
}

static int plan_cpu(enum cg_version v, struct json_object *cpu, struct cg_plan *p)
{
	int64_t shares = 0, quota = 0, period = 0;
	bool has_shares, has_quota, has_period;
	const char *cpus, *mems;
	int r;

	if ((r = get_int(cpu, "shares", "linux.resources.cpu.shares", &shares, &has_shares)) < 0 ||
	    (r = get_int(cpu, "quota", "linux.resources.cpu.quota", &quota, &has_quota)) < 0 ||
	    (r = get_int(cpu, "period", "linux.resources.cpu.period", &period, &has_period)) < 0 ||
	    (r = get_str(cpu, "cpus", "linux.resources.cpu.cpus", &cpus)) < 0 ||
	    (r = get_str(cpu, "mems", "linux.resources.cpu.mems", &mems)) < 0)
		return r;
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
	int64_t limit;
	bool set;
	int r;

	if ((r = get_int(pids, "limit", "linux.resources.pids.limit", &limit, &set)) < 0 || !set)
		return r;
	if (limit <= 0)
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "max");
	else
		PLAN_ADD(p, "linux.resources.pids.limit", "pids.max", "%lld", (long long)limit);
	return 0;
}

static int plan_blockio(enum cg_version v, struct json_object *bio, struct cg_plan *p)
{
	struct cg_write *w;
	int64_t weight;
	bool set;
	int r;

	if ((r = get_int(bio, "weight", "linux.resources.blockIO.weight", &weight, &set)) < 0 || !set || weight == 0)
		return r;
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

static int parse_dev_rule(struct json_object *o, size_t i, struct cg_dev_rule *d)
{
	struct json_object *v;
	const char *type = NULL, *access = NULL;
	const char *keys[] = { "major", "minor" };
	int64_t *nums[] = { &d->major, &d->minor };
	bool set;

	if (!json_object_is_type(o, json_type_object))
		return err_set(-EINVAL, "linux.resources.devices[%zu] must be an object", i);
	v = member(o, "allow");
	if (!v || !json_object_is_type(v, json_type_boolean))
		return err_set(-EINVAL, "linux.resources.devices[%zu].allow must be true or false", i);
	d->allow = json_object_get_boolean(v);
	v = member(o, "type");
	if (v && json_object_is_type(v, json_type_string))
		type = json_object_get_string(v);
	if (v && (!type || strlen(type) != 1 || !strchr("acb", type[0])))
		return err_set(-EINVAL, "linux.resources.devices[%zu].type must be \"a\", \"c\" or \"b\"", i);
	d->type = type ? type[0] : 'a';
	for (size_t k = 0; k < 2; k++) {
		char field[64];
		snprintf(field, sizeof(field), "linux.resources.devices[%zu].%s", i, keys[k]);
		if (get_int(o, keys[k], field, nums[k], &set) < 0)
			return -EINVAL;
		if (!set)
			*nums[k] = -1;
		else if (*nums[k] < -1 || *nums[k] > UINT32_MAX)
			return err_set(-EINVAL, "%s must be -1 (any) or a device number, not %lld", field,
				       (long long)*nums[k]);
		else if (d->type == 'a' && *nums[k] != -1)
			return err_set(-EINVAL, "%s must be absent for type \"a\", which means every device", field);
	}
	v = member(o, "access");
	if (v && json_object_is_type(v, json_type_string))
		access = json_object_get_string(v);
	if (v && !access)
		return err_set(-EINVAL, "linux.resources.devices[%zu].access must be a string", i);
	if (!access)
		access = "rwm";
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

	if (!json_object_is_type(devs, json_type_array))
		return err_set(-EINVAL, "linux.resources.devices must be an array");
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
		{ "memory", "swappiness" },
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
		struct json_object *o = sec ? member(res, sec) : res;
		if (o && json_object_is_type(o, json_type_object) && given(member(o, key)))
			return err_set(-ENOTSUP, "linux.resources.%s%s%s is not supported by hv", sec ? sec : "",
				       sec ? "." : "", key);
	}
	return 0;
}

int cg_plan_resources(enum cg_version v, struct json_object *res, struct cg_plan *plan)
{
	struct json_object *mem, *cpu, *pids, *bio, *devs;
	int r;

	memset(plan, 0, sizeof(*plan));
	if (!res)
		return 0;
	if (!json_object_is_type(res, json_type_object))
		return err_set(-EINVAL, "linux.resources must be an object");
	if ((r = get_section(res, "memory", "linux.resources.memory", &mem)) < 0 ||
	    (r = get_section(res, "cpu", "linux.resources.cpu", &cpu)) < 0 ||
	    (r = get_section(res, "pids", "linux.resources.pids", &pids)) < 0 ||
	    (r = get_section(res, "blockIO", "linux.resources.blockIO", &bio)) < 0 || (r = refuse_unsupported(res)) < 0)
		return r;
	devs = member(res, "devices");
	/* cpuset first: the other settings do not depend on it, but a
	 * process placed early should land on the right CPUs */
	if ((cpu && (r = plan_cpu(v, cpu, plan)) < 0) || (mem && (r = plan_memory(v, mem, plan)) < 0) ||
	    (pids && (r = plan_pids(pids, plan)) < 0) || (bio && (r = plan_blockio(v, bio, plan)) < 0) ||
	    (devs && (r = plan_devices(v, devs, plan)) < 0)) {
		cg_plan_free(plan);
		return r;
	}
	return 0;
}
