/* SPDX-License-Identifier: MIT */
/* hv migrate (and the internal __migrate-in, the destination's side) */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "migration/migration.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

static const char usage[] =
    "usage: hv migrate NAME DEST [--offline] [--keep-source] [--copy-storage] [--auto-converge] [--postcopy]\n"
    "                  [--bandwidth MiB/s] [--max-downtime MS] [--timeout S] [--stall S] [--json]\n"
    "       hv migrate NAME --cancel\n"
    "Move VM NAME to DEST, the path of another hv store on this host, or another host's store as\n"
    "ssh://[USER@]HOST[:PORT][?home=PATH] (ssh runs hv __migrate-in there: hv on its PATH, or\n"
    "$HV_REMOTE_HV): live when it runs (the destination's QEMU takes its memory and devices while it\n"
    "keeps running), else its definition and disks.  The disks are shared storage (a store on the\n"
    "same filesystem; over ssh the same path outside the store on both hosts), or --copy-storage\n"
    "copies them (over NBD while it runs; a backing chain arrives flattened).  The source is stopped\n"
    "and undefined unless --keep-source.\n"
    "Under TCG the guest is paused while its RAM moves (QEMU 7.2's TCG loses writes during a\n"
    "live copy: docs/migration.md).";

static double mib(uint64_t b)
{
	return (double)b / (1024.0 * 1024.0);
}

/* One line on the terminal, rewritten in place. */
static void show_progress(const struct migrate_progress *p, void *ctx)
{
	(void)ctx;
	fprintf(stderr,
		"\r\033[K%-10s %7.1f s  sent %7.1f MiB  left %7.1f MiB  %7.1f MiB/s  dirty %6.1f MiB/s  pass %llu",
		p->phase, (double)p->elapsed_ms / 1000, mib(p->transferred), mib(p->remaining), mib((uint64_t)p->rate),
		mib(p->dirty_rate), (unsigned long long)p->pass);
	if (p->expected_downtime_ms >= 0)
		fprintf(stderr, "  downtime ~%lld ms", (long long)p->expected_downtime_ms);
	fflush(stderr);
}

static void print_report(const char *name, const struct migrate_report *r, bool json)
{
	if (json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "destination", json_object_new_string(r->dest));
		json_object_object_add(o, "live", json_object_new_boolean(r->live));
		json_object_object_add(o, "total_ms", json_object_new_int64((int64_t)r->total_ms));
		if (r->live) {
			json_object_object_add(o, "setup_ms", json_object_new_int64((int64_t)r->setup_ms));
			json_object_object_add(o, "downtime_ms", json_object_new_int64(r->downtime_ms));
			json_object_object_add(o, "qemu_downtime_ms", json_object_new_int64(r->qemu_downtime_ms));
			json_object_object_add(o, "bytes", json_object_new_int64((int64_t)r->bytes));
			json_object_object_add(o, "passes", json_object_new_int64((int64_t)r->passes));
			json_object_object_add(o, "postcopy", json_object_new_boolean(r->postcopy));
			json_object_object_add(o, "paused_copy", json_object_new_boolean(r->paused_copy));
		}
		if (r->disk_bytes || r->disk_ms) {
			json_object_object_add(o, "disk_bytes", json_object_new_int64((int64_t)r->disk_bytes));
			json_object_object_add(o, "disk_ms", json_object_new_int64((int64_t)r->disk_ms));
		}
		json_object_object_add(o, "source_kept", json_object_new_boolean(r->source_kept));
		json_print(o);
		json_object_put(o);
		return;
	}
	printf("%s: migrated %s to %s in %.2f s\n", name, r->live ? "live" : "offline", r->dest,
	       (double)r->total_ms / 1000);
	if (r->live)
		printf("  setup %.2f s, downtime %lld ms (QEMU's %lld ms), %.1f MiB in %llu passes%s\n",
		       (double)r->setup_ms / 1000, (long long)r->downtime_ms, (long long)r->qemu_downtime_ms,
		       mib(r->bytes), (unsigned long long)r->passes,
		       r->postcopy	? ", finished in postcopy"
		       : r->paused_copy ? ", the guest paused while RAM moved (TCG)"
					: "");
	if (r->disk_bytes || r->disk_ms)
		printf("  disks copied: %.1f MiB in %.2f s\n", mib(r->disk_bytes), (double)r->disk_ms / 1000);
	if (r->source_kept)
		printf("  the source stays defined, stopped\n");
}

static int parse_uint(const char *cmd, const char *opt, const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || !*s || *out > max || s[0] == '-')
		return cli_usage_error(cmd, "%s wants a number up to %lu, not '%s'", opt, max, s);
	return 0;
}

static const char cmd[] = "migrate";

/* hv migrate's options into o: -1 to go on, else the exit status. */
static int parse_opts(int argc, char **argv, struct migrate_opts *o, bool *json, bool *cancel)
{
	static const struct option opts[] = { { "offline", no_argument, NULL, 'o' },
					      { "keep-source", no_argument, NULL, 'k' },
					      { "auto-converge", no_argument, NULL, 'a' },
					      { "postcopy", no_argument, NULL, 'p' },
					      { "copy-storage", no_argument, NULL, 's' },
					      { "bandwidth", required_argument, NULL, 'b' },
					      { "max-downtime", required_argument, NULL, 'd' },
					      { "timeout", required_argument, NULL, 't' },
					      { "stall", required_argument, NULL, 'S' },
					      { "cancel", no_argument, NULL, 'c' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	unsigned long v;
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		switch (c) {
		case 'o':
			o->offline = true;
			break;
		case 'k':
			o->keep_source = true;
			break;
		case 'a':
			o->auto_converge = true;
			break;
		case 'p':
			o->postcopy = true;
			break;
		case 's':
			o->copy_storage = true;
			break;
		case 'c':
			*cancel = true;
			break;
		case 'j':
			*json = true;
			break;
		case 'b':
			if (parse_uint(cmd, "--bandwidth", optarg, 1 << 20, &v))
				return EXIT_USAGE;
			o->bandwidth = (uint64_t)v << 20;
			break;
		case 'd':
			if (parse_uint(cmd, "--max-downtime", optarg, 600000, &v))
				return EXIT_USAGE;
			o->max_downtime_ms = (unsigned)v;
			break;
		case 't':
			if (parse_uint(cmd, "--timeout", optarg, 86400, &v))
				return EXIT_USAGE;
			o->timeout_s = (unsigned)v;
			break;
		case 'S':
			if (parse_uint(cmd, "--stall", optarg, 86400, &v))
				return EXIT_USAGE;
			if (!v)
				return cli_usage_error(cmd, "--stall must be at least 1 s");
			o->stall_s = (unsigned)v;
			break;
		case 'h':
			puts(usage);
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* Ctrl-C and hv migrate --cancel (SIGTERM) cancel: the migration code
 * sees them on a signalfd. */
static int run_migration(struct migrate_opts *o, bool json)
{
	struct migrate_report rep;
	sigset_t set;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	o->cancel_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (isatty(2) && !json)
		o->progress = show_progress;
	r = migrate_vm(o, &rep);
	if (o->progress)
		fprintf(stderr, "\r\033[K");
	if (r < 0)
		return cli_fail_code(cmd, r);
	print_report(o->name, &rep, json);
	return 0;
}

int cmd_migrate(int argc, char **argv)
{
	struct migrate_opts o = { .cancel_fd = -1 };
	bool json = false, cancel = false;
	int r;

	if ((r = parse_opts(argc, argv, &o, &json, &cancel)) >= 0)
		return r;
	if (cancel) {
		if (argc - optind != 1)
			return cli_usage_error(cmd, "--cancel takes just the VM's NAME");
		if ((r = migrate_cancel(argv[optind])) < 0)
			return cli_fail_code(cmd, r);
		printf("%s: migration cancelled; the VM runs on at the source\n", argv[optind]);
		return 0;
	}
	if (argc - optind != 2)
		return cli_usage_error(cmd, "NAME and DEST are needed");
	o.name = argv[optind];
	o.dest = argv[optind + 1];
	return run_migration(&o, json);
}

/* hv __migrate-in [--home STORE] NAME (without --home: HV_HOME or the
 * default store, as over ssh) */
int cmd_migrate_in(int argc, char **argv)
{
	if (!(argc == 2 || (argc == 4 && !strcmp(argv[1], "--home")))) {
		fprintf(stderr, "hv __migrate-in is internal to hv migrate\n");
		return EXIT_USAGE;
	}
	if (argc == 4 && setenv("HV_HOME", argv[2], 1) < 0)
		return EXIT_FAIL;
	return migrate_in_main(argv[argc - 1], 0, 1) < 0 ? EXIT_FAIL : 0;
}
