/* SPDX-License-Identifier: MIT */
/* A sample as Prometheus text (exposition format 0.0.4) and as JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "stats/stats.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fputc('\\', out), fputc(*v, out);
		else if (*v == '\n')
			fputs("\\n", out);
		else
			fputc(*v, out);
	}
}

enum fam_source {
	SRC_STATE,
	SRC_VCPUS,
	SRC_CPU,
	SRC_VCPU_TIME,
	SRC_RSS,
	SRC_MEMORY,
	SRC_GUEST_USED,
	SRC_GUEST_AVAILABLE,
	SRC_DISK_RD_BYTES,
	SRC_DISK_WR_BYTES,
	SRC_DISK_RD_OPS,
	SRC_DISK_WR_OPS,
	SRC_NET_RX_BYTES,
	SRC_NET_TX_BYTES,
	SRC_NET_RX_PACKETS,
	SRC_NET_TX_PACKETS,
};

struct family {
	const char *name; /* after "hv_vm_" / "hv_container_" */
	const char *type;
	const char *help;
	enum fam_source src;
	bool vm, ctr; /* which kinds have it */
};

static const struct family families[] = {
	{ "state", "gauge", "1 for the state the %s is in", SRC_STATE, true, true },
	{ "vcpus", "gauge", "virtual CPUs of the %s", SRC_VCPUS, true, false },
	{ "cpu_seconds_total", "counter", "CPU time of the %s (all QEMU threads / the cgroup)", SRC_CPU, true, true },
	{ "vcpu_seconds_total", "counter", "CPU time of the %s's vCPU threads", SRC_VCPU_TIME, true, false },
	{ "memory_rss_bytes", "gauge", "resident memory of the %s (QEMU's RSS / the cgroup's usage)", SRC_RSS, true,
	  true },
	{ "memory_bytes", "gauge", "memory given to the %s (guest RAM / the cgroup's limit)", SRC_MEMORY, true, true },
	{ "memory_guest_used_bytes", "gauge", "memory the %s's guest uses (its balloon driver's report)",
	  SRC_GUEST_USED, true, false },
	{ "memory_guest_available_bytes", "gauge", "memory the %s's guest has available (its balloon driver's report)",
	  SRC_GUEST_AVAILABLE, true, false },
	{ "disk_read_bytes_total", "counter", "bytes read from the %s's disks", SRC_DISK_RD_BYTES, true, true },
	{ "disk_write_bytes_total", "counter", "bytes written to the %s's disks", SRC_DISK_WR_BYTES, true, true },
	{ "disk_reads_total", "counter", "read operations of the %s's disks", SRC_DISK_RD_OPS, true, true },
	{ "disk_writes_total", "counter", "write operations of the %s's disks", SRC_DISK_WR_OPS, true, true },
	{ "net_rx_bytes_total", "counter", "bytes the %s received (TAP NICs)", SRC_NET_RX_BYTES, true, false },
	{ "net_tx_bytes_total", "counter", "bytes the %s sent (TAP NICs)", SRC_NET_TX_BYTES, true, false },
	{ "net_rx_packets_total", "counter", "packets the %s received (TAP NICs)", SRC_NET_RX_PACKETS, true, false },
	{ "net_tx_packets_total", "counter", "packets the %s sent (TAP NICs)", SRC_NET_TX_PACKETS, true, false },
};

static const char *const vm_states[] = { "running", "paused", "stopped", "crashed" };
static const char *const ctr_states[] = { "creating", "created", "running", "paused", "stopped" };

static void series_start(FILE *out, const char *prefix, const struct family *f, const struct stats_entry *e)
{
	fprintf(out, "%s%s{%s=\"", prefix, f->name, e->kind == STATS_VM ? "vm" : "container");
	label(out, e->name);
	fputc('"', out);
}

static void sub_series(FILE *out, const char *prefix, const struct family *f, const struct stats_entry *e,
		       const char *key, const char *sub, uint64_t v)
{
	series_start(out, prefix, f, e);
	fprintf(out, ",%s=\"", key);
	label(out, sub);
	fprintf(out, "\"} %" PRIu64 "\n", v);
}

static uint64_t disk_value(enum fam_source src, const struct stats_disk *d)
{
	return src == SRC_DISK_RD_BYTES	  ? d->rd_bytes
	       : src == SRC_DISK_WR_BYTES ? d->wr_bytes
	       : src == SRC_DISK_RD_OPS	  ? d->rd_ops
					  : d->wr_ops;
}

static uint64_t nic_value(enum fam_source src, const struct stats_nic *n)
{
	return src == SRC_NET_RX_BYTES	   ? n->rx_bytes
	       : src == SRC_NET_TX_BYTES   ? n->tx_bytes
	       : src == SRC_NET_RX_PACKETS ? n->rx_packets
					   : n->tx_packets;
}

static void entry_series(FILE *out, const char *prefix, const struct family *f, const struct stats_entry *e)
{
	uint64_t v;

	if (f->src == SRC_STATE) {
		const char *const *st = e->kind == STATS_VM ? vm_states : ctr_states;
		size_t n = e->kind == STATS_VM ? ARRAY_SIZE(vm_states) : ARRAY_SIZE(ctr_states);
		for (size_t i = 0; i < n; i++) {
			series_start(out, prefix, f, e);
			fprintf(out, ",state=\"%s\"} %d\n", st[i], !strcmp(st[i], e->state));
		}
		return;
	}
	if (!e->active)
		return;
	if (f->src >= SRC_DISK_RD_BYTES && f->src <= SRC_DISK_WR_OPS) {
		for (unsigned i = 0; i < e->ndisks; i++)
			sub_series(out, prefix, f, e, "disk", e->disks[i].name, disk_value(f->src, &e->disks[i]));
		return;
	}
	if (f->src >= SRC_NET_RX_BYTES) {
		for (unsigned i = 0; i < e->nnics; i++)
			if (e->nics[i].counted)
				sub_series(out, prefix, f, e, "nic", e->nics[i].name, nic_value(f->src, &e->nics[i]));
		return;
	}
	switch (f->src) {
	case SRC_CPU:
	case SRC_VCPU_TIME:
		series_start(out, prefix, f, e);
		v = f->src == SRC_CPU ? e->cpu_ns : e->vcpu_ns;
		fprintf(out, "} %" PRIu64 ".%09" PRIu64 "\n", v / 1000000000u, v % 1000000000u);
		return;
	case SRC_VCPUS:
		v = e->vcpus;
		break;
	case SRC_RSS:
		v = e->rss_bytes;
		break;
	case SRC_GUEST_USED:
	case SRC_GUEST_AVAILABLE:
		if (!e->guest_mem)
			return; /* the guest has not reported */
		v = f->src == SRC_GUEST_USED ? e->guest_used_bytes : e->guest_available_bytes;
		break;
	default:
		if (!e->memory_bytes)
			return; /* a container without a limit */
		v = e->memory_bytes;
		break;
	}
	series_start(out, prefix, f, e);
	fprintf(out, "} %" PRIu64 "\n", v);
}

/* The HELP text with its "%s" standing for the kind. */
static void help(FILE *out, const char *text, const char *kind)
{
	const char *p = strstr(text, "%s");

	if (!p) {
		fputs(text, out);
		return;
	}
	fprintf(out, "%.*s%s%s", (int)(p - text), text, kind, p + 2);
}

static void kind_families(const struct stats_sample *s, FILE *out, enum stats_kind kind)
{
	const char *prefix = kind == STATS_VM ? "hv_vm_" : "hv_container_";
	bool any = false;

	for (size_t i = 0; i < s->n; i++)
		any |= s->e[i].kind == kind;
	if (!any)
		return;
	for (size_t k = 0; k < ARRAY_SIZE(families); k++) {
		const struct family *f = &families[k];
		if (!(kind == STATS_VM ? f->vm : f->ctr))
			continue;
		fprintf(out, "# HELP %s%s ", prefix, f->name);
		help(out, f->help, kind == STATS_VM ? "VM" : "container");
		fprintf(out, "\n# TYPE %s%s %s\n", prefix, f->name, f->type);
		for (size_t i = 0; i < s->n; i++)
			if (s->e[i].kind == kind)
				entry_series(out, prefix, f, &s->e[i]);
	}
}

int stats_prometheus_write(const struct stats_sample *s, FILE *out)
{
	kind_families(s, out, STATS_VM);
	kind_families(s, out, STATS_CONTAINER);
	if (fflush(out) != 0 || ferror(out))
		return err_errno(-(errno ? errno : EIO), "cannot write the metrics");
	return 0;
}

int stats_prometheus(FILE *out)
{
	struct stats_options o = { .vms = true, .containers = true, .all = true };
	struct stats_sample s;
	int r = stats_collect(&o, &s);

	if (r < 0)
		return r;
	r = stats_prometheus_write(&s, out);
	stats_sample_free(&s);
	return r;
}

static int add(struct json_object *o, const char *key, struct json_object *v)
{
	if (!v || json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		return -ENOMEM;
	}
	return 0;
}

#define ADD_U64(o, k, v) add(o, k, json_object_new_uint64(v))

/* A string, or JSON null (json-c's NULL) for "". */
static int add_str_or_null(struct json_object *o, const char *key, const char *v)
{
	if (!*v)
		return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
	return add(o, key, json_object_new_string(v));
}

static int disk_json(struct json_object *arr, const struct stats_disk *d, bool has)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || add(o, "name", json_object_new_string(d->name)) < 0 || ADD_U64(o, "read_bytes", d->rd_bytes) < 0 ||
	    ADD_U64(o, "write_bytes", d->wr_bytes) < 0 || ADD_U64(o, "read_ops", d->rd_ops) < 0 ||
	    ADD_U64(o, "write_ops", d->wr_ops) < 0)
		return -ENOMEM;
	if (has && (add(o, "read_bytes_per_s", json_object_new_double(d->rd_bps)) < 0 ||
		    add(o, "write_bytes_per_s", json_object_new_double(d->wr_bps)) < 0 ||
		    add(o, "read_ops_per_s", json_object_new_double(d->rd_iops)) < 0 ||
		    add(o, "write_ops_per_s", json_object_new_double(d->wr_iops)) < 0))
		return -ENOMEM;
	return json_object_array_add(arr, TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

static int nic_json(struct json_object *arr, const struct stats_nic *n, bool has)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();

	if (!o || add(o, "name", json_object_new_string(n->name)) < 0 || add_str_or_null(o, "tap", n->tap) < 0 ||
	    add(o, "counted", json_object_new_boolean(n->counted)) < 0)
		return -ENOMEM;
	if (n->counted && (ADD_U64(o, "rx_bytes", n->rx_bytes) < 0 || ADD_U64(o, "tx_bytes", n->tx_bytes) < 0 ||
			   ADD_U64(o, "rx_packets", n->rx_packets) < 0 || ADD_U64(o, "tx_packets", n->tx_packets) < 0))
		return -ENOMEM;
	if (n->counted && has &&
	    (add(o, "rx_bytes_per_s", json_object_new_double(n->rx_bps)) < 0 ||
	     add(o, "tx_bytes_per_s", json_object_new_double(n->tx_bps)) < 0 ||
	     add(o, "rx_packets_per_s", json_object_new_double(n->rx_pps)) < 0 ||
	     add(o, "tx_packets_per_s", json_object_new_double(n->tx_pps)) < 0))
		return -ENOMEM;
	return json_object_array_add(arr, TAKE_PTR(o)) < 0 ? -ENOMEM : 0;
}

/* The guest's own memory figures, or nulls until it reports. */
static int guest_mem_json(struct json_object *o, const struct stats_entry *e)
{
	static const char *const keys[] = { "guest_total_bytes", "guest_used_bytes", "guest_available_bytes" };
	const uint64_t v[] = { e->guest_total_bytes, e->guest_used_bytes, e->guest_available_bytes };

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!e->guest_mem) {
			if (json_object_object_add(o, keys[i], NULL) < 0)
				return -ENOMEM;
		} else if (ADD_U64(o, keys[i], v[i]) < 0)
			return -ENOMEM;
	}
	return 0;
}

struct json_object *stats_entry_json(const struct stats_entry *e)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *disks, *nics;
	bool has = e->has_rates;

	if (!o || add(o, "kind", json_object_new_string(e->kind == STATS_VM ? "vm" : "container")) < 0 ||
	    add(o, "name", json_object_new_string(e->name)) < 0 ||
	    add(o, "state", json_object_new_string(e->state)) < 0 || add_str_or_null(o, "error", e->error) < 0)
		return NULL;
	if (!e->active)
		return TAKE_PTR(o);
	if ((e->kind == STATS_VM && ADD_U64(o, "vcpus", e->vcpus) < 0) || ADD_U64(o, "cpu_ns", e->cpu_ns) < 0 ||
	    (e->kind == STATS_VM && ADD_U64(o, "vcpu_ns", e->vcpu_ns) < 0) ||
	    ADD_U64(o, "rss_bytes", e->rss_bytes) < 0 || ADD_U64(o, "memory_bytes", e->memory_bytes) < 0)
		return NULL;
	if (e->kind == STATS_VM && guest_mem_json(o, e) < 0)
		return NULL;
	if (has && (add(o, "cpu_percent", json_object_new_double(e->cpu_pct)) < 0 ||
		    add(o, "host_percent", json_object_new_double(e->host_pct)) < 0 ||
		    (e->kind == STATS_VM && add(o, "guest_percent", json_object_new_double(e->guest_pct)) < 0)))
		return NULL;
	if (add(o, "disks", disks = json_object_new_array()) < 0 || add(o, "nics", nics = json_object_new_array()) < 0)
		return NULL;
	for (unsigned i = 0; i < e->ndisks; i++)
		if (disk_json(disks, &e->disks[i], has) < 0)
			return NULL;
	for (unsigned i = 0; i < e->nnics; i++)
		if (nic_json(nics, &e->nics[i], has) < 0)
			return NULL;
	return TAKE_PTR(o);
}
