/* SPDX-License-Identifier: MIT */
/* hv stats: figures of running VMs and containers (a table, --json,
 * --prometheus); the table rows are shared with hv top. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/statsview.h"
#include "stats/stats.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/proc.h"

/* 1023, 1.5K, 12M, 3.2G: four characters or so. */
static void human(double v, char *buf, size_t n)
{
	static const char units[] = "KMGTP";
	int u = -1;

	while (v >= 1000 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, n, "%.0f", v);
	else
		snprintf(buf, n, v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

int statsview_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0.1 && v <= 3600))
		return err_set(-EINVAL, "'%s' is not a number of seconds from 0.1 to 3600", s);
	*out = v;
	return 0;
}

bool statsview_option(int c, const char *arg, struct stats_options *o)
{
	if (c == 'a')
		o->all = true;
	else if (c == 'V')
		o->containers = false;
	else if (c == 'r')
		o->ctr_root = arg;
	return c == 'a' || c == 'V' || c == 'r';
}

void statsview_names(int argc, char **argv, struct stats_options *o)
{
	if (optind < argc) {
		o->names = (const char *const *)argv + optind;
		o->nnames = (size_t)(argc - optind);
	}
}

void statsview_totals(const struct stats_entry *e, struct statsview_totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < e->ndisks; i++) {
		t->rd_bytes += e->disks[i].rd_bytes;
		t->wr_bytes += e->disks[i].wr_bytes;
		t->rd_bps += e->disks[i].rd_bps;
		t->wr_bps += e->disks[i].wr_bps;
	}
	for (unsigned i = 0; i < e->nnics; i++) {
		t->counted |= e->nics[i].counted;
		t->rx_bytes += e->nics[i].rx_bytes;
		t->tx_bytes += e->nics[i].tx_bytes;
		t->rx_bps += e->nics[i].rx_bps;
		t->tx_bps += e->nics[i].tx_bps;
	}
}

int statsview_header(char *buf, size_t n, bool rates)
{
	if (rates)
		return snprintf(buf, n, "%-20s %-4s %-8s %6s %6s %6s %7s %7s %8s %8s %8s %8s", "NAME", "KIND", "STATE",
				"CPU%", "GUEST%", "HOST%", "RSS", "G-USED", "DISK-R/s", "DISK-W/s", "NET-RX/s",
				"NET-TX/s");
	return snprintf(buf, n, "%-20s %-4s %-8s %5s %10s %7s %7s %8s %8s %8s %8s", "NAME", "KIND", "STATE", "VCPUS",
			"CPU-SEC", "RSS", "G-USED", "DISK-RD", "DISK-WR", "NET-RX", "NET-TX");
}

int statsview_row(char *buf, size_t n, const struct stats_entry *e, bool rates)
{
	const char *kind = e->kind == STATS_VM ? "vm" : "ctr";
	struct statsview_totals t;
	char rss[16], gu[16] = "-", a[16], b[16], c[16], d[16], g[16] = "-";

	if (!e->active)
		return snprintf(buf, n, "%-20s %-4s %-8s", e->name, kind, e->state);
	statsview_totals(e, &t);
	human((double)e->rss_bytes, rss, sizeof(rss));
	if (e->guest_mem)
		human((double)e->guest_used_bytes, gu, sizeof(gu));
	if (rates && e->has_rates) {
		human(t.rd_bps, a, sizeof(a));
		human(t.wr_bps, b, sizeof(b));
		if (t.counted) {
			human(t.rx_bps, c, sizeof(c));
			human(t.tx_bps, d, sizeof(d));
		} else
			snprintf(c, sizeof(c), "-"), snprintf(d, sizeof(d), "-");
		if (e->kind == STATS_VM)
			snprintf(g, sizeof(g), "%.1f", e->guest_pct);
		return snprintf(buf, n, "%-20s %-4s %-8s %6.1f %6s %6.1f %7s %7s %8s %8s %8s %8s", e->name, kind,
				e->state, e->cpu_pct, g, e->host_pct, rss, gu, a, b, c, d);
	}
	if (rates)
		return snprintf(buf, n, "%-20s %-4s %-8s %6s %6s %6s %7s %7s", e->name, kind, e->state, "-", "-", "-",
				rss, gu);
	human((double)t.rd_bytes, a, sizeof(a));
	human((double)t.wr_bytes, b, sizeof(b));
	if (t.counted) {
		human((double)t.rx_bytes, c, sizeof(c));
		human((double)t.tx_bytes, d, sizeof(d));
	} else
		snprintf(c, sizeof(c), "-"), snprintf(d, sizeof(d), "-");
	return snprintf(buf, n, "%-20s %-4s %-8s %5u %10.2f %7s %7s %8s %8s %8s %8s", e->name, kind, e->state, e->vcpus,
			(double)e->cpu_ns / 1e9, rss, gu, a, b, c, d);
}

static void print_table(const struct stats_sample *s, bool rates)
{
	char line[256];

	statsview_header(line, sizeof(line), rates);
	puts(line);
	for (size_t i = 0; i < s->n; i++) {
		statsview_row(line, sizeof(line), &s->e[i], rates);
		puts(line);
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].error[0])
			fprintf(stderr, "hv stats: %s: %s\n", s->e[i].name, s->e[i].error);
}

static int print_json(const struct stats_sample *s)
{
	_cleanup_json_ struct json_object *arr = json_object_new_array();

	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < s->n; i++) {
		struct json_object *o = stats_entry_json(&s->e[i]);
		if (!o || json_object_array_add(arr, o) < 0) {
			json_object_put(o);
			return err_set(-ENOMEM, "out of memory");
		}
	}
	json_print(arr);
	return 0;
}

static int stats_usage(void)
{
	puts("usage: hv stats [NAME...] [--json | --prometheus] [--counters] [--interval SECONDS] [--all]\n"
	     "                [--no-containers] [--root DIR]\n"
	     "Figures of running VMs and containers: CPU % (of one host CPU), GUEST % (of the VM's vCPUs),\n"
	     "HOST % (of all host CPUs), QEMU's RSS, G-USED (the memory the guest says it uses, from its\n"
	     "virtio-balloon driver), disk and network bytes per second, from two samples\n"
	     "--interval apart (default 1).  --counters: one sample, cumulative counters only.\n"
	     "--prometheus: one sample in Prometheus text format (node-exporter's textfile collector).\n"
	     "--all: stopped VMs and containers too.  --root: the containers' root (hv ctr --root).");
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "prometheus", no_argument, NULL, 'p' },
		{ "counters", no_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		STATSVIEW_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stats_options o = { .vms = true, .containers = true };
	struct stats_sample prev = { 0 }, cur = { 0 };
	bool json = false, prom = false, counters = false;
	double interval = 1;
	int c, r;

	while ((c = cli_getopt(argc, argv, "ah", opts, "stats")) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'p':
			prom = counters = true;
			break;
		case 'c':
			counters = true;
			break;
		case 'i':
			if ((r = statsview_parse_seconds(optarg, &interval)) < 0)
				return cli_usage_error("stats", "--interval: %s", err_msg());
			break;
		case 'h':
			return stats_usage();
		default:
			if (!statsview_option(c, optarg, &o))
				return EXIT_USAGE;
		}
	}
	if (json && prom)
		return cli_usage_error("stats", "--json and --prometheus exclude each other");
	statsview_names(argc, argv, &o);
	if (!counters) {
		if ((r = stats_collect(&o, &prev)) < 0)
			return cli_fail_code("stats", r);
		proc_sleep_ms((unsigned)(interval * 1000));
	}
	if ((r = stats_collect(&o, &cur)) < 0) {
		stats_sample_free(&prev);
		return cli_fail_code("stats", r);
	}
	if (!counters)
		stats_rates(&prev, &cur);
	if (prom)
		r = stats_prometheus_write(&cur, stdout);
	else if (json)
		r = print_json(&cur);
	else
		print_table(&cur, !counters);
	stats_sample_free(&prev);
	stats_sample_free(&cur);
	return r < 0 ? cli_fail_code("stats", r) : 0;
}
