/* SPDX-License-Identifier: MIT */
/* hv top: a live table of VMs and containers, sorted, refreshed every
 * second (as virt-top: P cpu, M memory, B disk, F network, N name, q quit). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/statsview.h"
#include "stats/stats.h"
#include "util/err.h"
#include "util/proc.h"
#include "util/tty.h"

enum sort_key { SORT_CPU, SORT_MEM, SORT_DISK, SORT_NET, SORT_NAME };
static const char *const sort_names[] = { "cpu", "memory", "disk", "net", "name" };

static double sort_value(const struct stats_entry *e, enum sort_key k)
{
	struct statsview_totals t;

	statsview_totals(e, &t);
	switch (k) {
	case SORT_CPU:
		return e->cpu_pct;
	case SORT_MEM:
		return (double)e->rss_bytes;
	case SORT_DISK:
		return t.rd_bps + t.wr_bps;
	case SORT_NET:
		return t.rx_bps + t.tx_bps;
	default:
		return 0;
	}
}

static void sort_entries(struct stats_sample *s, enum sort_key k)
{
	/* insertion sort: tens of entries; biggest first, names break ties */
	for (size_t i = 1; i < s->n; i++) {
		struct stats_entry tmp = s->e[i];
		double v = sort_value(&tmp, k);
		size_t j = i;
		while (j > 0) {
			const struct stats_entry *p = &s->e[j - 1];
			double pv = sort_value(p, k);
			bool after = k == SORT_NAME ? strcmp(p->name, tmp.name) > 0
						    : pv < v || (pv == v && strcmp(p->name, tmp.name) > 0);
			if (!after)
				break;
			s->e[j] = s->e[j - 1];
			j--;
		}
		s->e[j] = tmp;
	}
}

static void draw(const struct stats_sample *s, enum sort_key k, bool screen)
{
	int rows = 24, cols = 200;
	char line[512], when[16];
	time_t now = time(NULL);
	size_t vms = 0;
	/* a raw terminal does not turn \n into \r\n */
	const char *nl = screen ? "\r\n" : "\n";

	if (screen) {
		tty_size(STDOUT_FILENO, &rows, &cols);
		fputs("\033[H\033[2J", stdout);
	}
	for (size_t i = 0; i < s->n; i++)
		vms += s->e[i].kind == STATS_VM;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	snprintf(line, sizeof(line), "hv top - %s  %zu VMs, %zu containers, %u host CPUs  sort: %s%s", when, vms,
		 s->n - vms, s->host_cpus, sort_names[k], screen ? "  (P M B F N sort, q quit)" : "");
	printf("%.*s%s%s", cols, line, nl, nl);
	statsview_header(line, sizeof(line), true);
	printf("%.*s%s", cols, line, nl);
	for (size_t i = 0; i < s->n && (!screen || (int)i < rows - 4); i++) {
		statsview_row(line, sizeof(line), &s->e[i], true);
		printf("%.*s%s", cols, line, nl);
	}
	if (!screen)
		fputs(nl, stdout);
	fflush(stdout);
}

/* Wait up to ms for keys; returns false when the user quits. */
static bool wait_keys(bool keys, unsigned ms, enum sort_key *k)
{
	uint64_t end = proc_now_ms() + ms;

	for (;;) {
		uint64_t now = proc_now_ms();
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		char c;
		if (now >= end)
			return true;
		if (!keys) {
			proc_sleep_ms((unsigned)(end - now));
			return true;
		}
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		if (read(STDIN_FILENO, &c, 1) != 1)
			return false; /* the terminal went away */
		switch (c) {
		case 'q':
		case 'Q':
		case 3: /* Ctrl-C: the raw terminal sends no signal */
			return false;
		case 'P':
		case 'c':
			*k = SORT_CPU;
			return true;
		case 'M':
		case 'm':
			*k = SORT_MEM;
			return true;
		case 'B':
		case 'd':
			*k = SORT_DISK;
			return true;
		case 'F':
		case 'n':
			*k = SORT_NET;
			return true;
		case 'N':
		case 'a':
			*k = SORT_NAME;
			return true;
		}
	}
}

static int parse_sort(const char *s, enum sort_key *k)
{
	for (size_t i = 0; i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcmp(s, sort_names[i]) || (!strcmp(s, "mem") && i == SORT_MEM)) {
			*k = (enum sort_key)i;
			return 0;
		}
	return err_set(-EINVAL, "unknown sort key '%s' (cpu, memory, disk, net, name)", s);
}

/* Sample, wait, sample again, draw; until q or the iterations are done. */
static int top_loop(const struct stats_options *o, double delay, long iterations, enum sort_key k, bool screen,
		    bool keys)
{
	struct stats_sample prev = { 0 }, cur = { 0 };
	int r = stats_collect(o, &prev);

	while (r == 0 && iterations != 0 && wait_keys(keys, (unsigned)(delay * 1000), &k)) {
		if ((r = stats_collect(o, &cur)) < 0)
			break;
		stats_rates(&prev, &cur);
		sort_entries(&cur, k);
		draw(&cur, k, screen);
		stats_sample_free(&prev);
		prev = cur;
		memset(&cur, 0, sizeof(cur));
		if (iterations > 0)
			iterations--;
	}
	stats_sample_free(&prev);
	stats_sample_free(&cur);
	return r;
}

static int top_usage(void)
{
	puts("usage: hv top [--delay SECONDS] [-n N | --once] [--sort cpu|memory|disk|net|name] [--all]\n"
	     "              [--no-containers] [--root DIR]\n"
	     "A live table of running VMs and containers, refreshed every --delay seconds (default 1).\n"
	     "Keys: P cpu, M memory, B disk, F network, N name (sort), q quit.  -n N: stop after N\n"
	     "tables; --once: one table (-n 1).  Without a terminal it prints the tables one after another.");
	return 0;
}

int cmd_top(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "once", no_argument, NULL, '1' },
		{ "sort", required_argument, NULL, 's' },
		STATSVIEW_LONGOPTS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct stats_options o = { .vms = true, .containers = true };
	enum sort_key k = SORT_CPU;
	struct tty_saved saved = { .active = false };
	double delay = 1;
	long iterations = -1;
	bool screen = isatty(STDOUT_FILENO), keys;
	int c, r;

	while ((c = cli_getopt(argc, argv, "d:n:s:ah", opts, "top")) != -1) {
		switch (c) {
		case 'd':
			if (statsview_parse_seconds(optarg, &delay) < 0)
				return cli_usage_error("top", "--delay: %s", err_msg());
			break;
		case 'n':
			iterations = strtol(optarg, NULL, 10);
			if (iterations < 1)
				return cli_usage_error("top", "-n: '%s' is not a positive number", optarg);
			break;
		case '1':
			iterations = 1;
			break;
		case 's':
			if (parse_sort(optarg, &k) < 0)
				return cli_usage_error("top", "%s", err_msg());
			break;
		case 'h':
			return top_usage();
		default:
			if (!statsview_option(c, optarg, &o))
				return EXIT_USAGE;
		}
	}
	statsview_names(argc, argv, &o);
	keys = screen && isatty(STDIN_FILENO) && tty_raw_enter(STDIN_FILENO, &saved) == 0;
	err_clear();
	r = top_loop(&o, delay, iterations, k, screen, keys);
	if (keys)
		tty_restore(&saved);
	return r < 0 ? cli_fail_code("top", r) : 0;
}
