/* SPDX-License-Identifier: MIT */
/* hv snapshot | hv clone | hv save | hv attach-disk | hv detach-disk */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "cli/cli.h"
#include "manager/clone.h"
#include "manager/snapshot.h"
#include "manager/vm.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

static const char snap_usage[] =
    "usage: hv snapshot create NAME SNAP [--disk-only] [--description TEXT]\n"
    "       hv snapshot list NAME [--json]\n"
    "       hv snapshot revert NAME SNAP\n"
    "       hv snapshot delete NAME SNAP\n"
    "A running or paused VM's snapshot holds its memory and device state too (unless --disk-only):\n"
    "reverting to it resumes the VM exactly where it was.  Disks must be qcow2.";

static void print_tree(const struct snap_info *s, size_t n, const char *parent, int depth, const char *current)
{
	for (size_t i = 0; i < n; i++) {
		char when[32], size[32] = "";
		struct tm tm;
		if (strcmp(s[i].parent, parent))
			continue;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&s[i].created, &tm));
		if (s[i].vmstate)
			size_format(s[i].state_bytes, size, sizeof(size));
		printf("%*s%s%s  %s  %s%s%s%s\n", depth * 2, "", s[i].name, !strcmp(s[i].name, current) ? " *" : "",
		       when, s[i].vmstate ? "vm-state " : "disk-only", size, s[i].description[0] ? "  " : "",
		       s[i].description);
		print_tree(s, n, s[i].name, depth + 1, current);
	}
}

static int snapshot_list(const char *vm, bool json)
{
	static struct snap_info s[SNAP_MAX];
	char current[64];
	size_t n;
	int r;

	if ((r = snap_list(vm, s, SNAP_MAX, &n, current)) < 0)
		return cli_fail_code("snapshot list", r);
	if (!json) {
		if (!n)
			printf("VM %s has no snapshots\n", vm);
		print_tree(s, n, "", 0, current);
		return 0;
	}
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(s[i].name));
		json_object_object_add(o, "parent", s[i].parent[0] ? json_object_new_string(s[i].parent) : NULL);
		json_object_object_add(o, "created", json_object_new_int64((int64_t)s[i].created));
		json_object_object_add(o, "vmstate", json_object_new_boolean(s[i].vmstate));
		json_object_object_add(o, "vmstate_bytes", json_object_new_int64((int64_t)s[i].state_bytes));
		json_object_object_add(o, "description", json_object_new_string(s[i].description));
		json_object_object_add(o, "current", json_object_new_boolean(!strcmp(s[i].name, current)));
		json_object_array_add(arr, o);
	}
	json_print(arr);
	return 0;
}

int cmd_snapshot(int argc, char **argv)
{
	static const struct option opts[] = { { "disk-only", no_argument, NULL, 'd' },
					      { "description", required_argument, NULL, 'D' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	const char *desc = NULL, *verb;
	bool disk_only = false, json = false, started;
	int c, args, r;

	while ((c = cli_getopt(argc, argv, "h", opts, "snapshot")) != -1) {
		if (c == 'd')
			disk_only = true;
		else if (c == 'D')
			desc = optarg;
		else if (c == 'j')
			json = true;
		else if (c == 'h') {
			puts(snap_usage);
			return 0;
		} else
			return EXIT_USAGE;
	}
	args = argc - optind;
	if (args < 2)
		return cli_usage_error("snapshot", "use: hv snapshot create|list|revert|delete NAME [SNAP]");
	verb = argv[optind];
	const char *vm = argv[optind + 1], *snap = args > 2 ? argv[optind + 2] : NULL;
	if (!strcmp(verb, "list")) {
		if (args != 2)
			return cli_usage_error("snapshot", "list takes only the VM name");
		return snapshot_list(vm, json);
	}
	if (args != 3)
		return cli_usage_error("snapshot", "%s needs NAME and SNAP", verb);
	if (!strcmp(verb, "create")) {
		if ((r = snap_create(vm, snap, disk_only, desc)) < 0)
			return cli_fail_code("snapshot create", r);
		printf("took snapshot %s of VM %s\n", snap, vm);
	} else if (!strcmp(verb, "revert")) {
		if ((r = snap_revert(vm, snap, &started)) < 0)
			return cli_fail_code("snapshot revert", r);
		printf("VM %s reverted to snapshot %s%s\n", vm, snap, started ? " (its state resumed)" : "");
	} else if (!strcmp(verb, "delete")) {
		if ((r = snap_delete(vm, snap)) < 0)
			return cli_fail_code("snapshot delete", r);
	} else {
		return cli_usage_error("snapshot", "unknown action '%s' (use create, list, revert or delete)", verb);
	}
	return 0;
}

/* A step of hv clone that takes seconds, told on a terminal. */
static void clone_progress(void *ctx, const char *step)
{
	(void)ctx;
	if (isatty(2))
		fprintf(stderr, "hv clone: %s...\n", step);
}

int cmd_clone(int argc, char **argv)
{
	static const struct option opts[] = { { "linked", no_argument, NULL, 'l' },
					      { "snapshot", required_argument, NULL, 's' },
					      { "keep-identity", no_argument, NULL, 'k' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct clone_opts o = { .progress = clone_progress };
	int c, r;

	while ((c = cli_getopt(argc, argv, "ls:kh", opts, "clone")) != -1) {
		if (c == 'l')
			o.linked = true;
		else if (c == 's')
			o.snapshot = optarg;
		else if (c == 'k')
			o.keep_identity = true;
		else if (c == 'h') {
			puts(
			    "usage: hv clone SRC DST [--linked] [--snapshot SNAP] [--keep-identity]\n"
			    "A full clone copies the disks; a linked clone is an overlay on a read-only base in SRC's\n"
			    "folder.  The clone gets a new UUID, new MACs and network addresses; port forwards stay "
			    "with\n"
			    "SRC.  A running SRC can be fully cloned (a point-in-time copy) or cloned from a "
			    "snapshot.\n"
			    "A clone of a real operating system also gets a fresh guest identity, written into its\n"
			    "disk by a helper VM: empty /etc/machine-id, no SSH host keys, DHCP leases or random seed\n"
			    "(docs/clone.md); --keep-identity clones the guest as it is.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cli_usage_error("clone", "use: hv clone SRC DST");
	if ((r = vm_clone(argv[optind], argv[optind + 1], &o)) < 0)
		return cli_fail_code("clone", r);
	printf("cloned VM %s to %s (%s)\n", argv[optind], argv[optind + 1], o.linked ? "linked" : "full");
	return 0;
}

int cmd_save(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *name;
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, "save")) != -1) {
		if (c == 'h') {
			puts("usage: hv save NAME\nSuspends the VM to disk: its memory and device state are kept and "
			     "QEMU "
			     "stops;\nthe next hv start continues exactly where it was.");
			return 0;
		}
		return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "save", &name)) != 0)
		return r;
	if ((r = vm_save(name)) < 0)
		return cli_fail_code("save", r);
	printf("saved VM %s: hv start %s resumes it\n", name, name);
	return 0;
}

static int disk_attach(int argc, char **argv, bool attach)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	const char *cmd = attach ? "attach-disk" : "detach-disk";
	_cleanup_free_ char *moved = NULL;
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'h') {
			printf("usage: hv %s NAME PATH\n%s\n", cmd,
			       attach ? "Adds an existing raw or qcow2 image to a stopped VM."
				      : "Removes a disk from a stopped VM (PATH as hv info shows it); a disk hv "
					"created is kept in $HV_HOME/disks/NAME/.");
			return 0;
		}
		return EXIT_USAGE;
	}
	if (argc - optind != 2)
		return cli_usage_error(cmd, "use: hv %s NAME PATH", cmd);
	r = attach ? vm_attach_disk(argv[optind], argv[optind + 1])
		   : vm_detach_disk(argv[optind], argv[optind + 1], &moved);
	if (r < 0)
		return cli_fail_code(cmd, r);
	if (moved)
		printf("the disk is now %s\n", moved);
	return 0;
}

int cmd_attach_disk(int argc, char **argv)
{
	return disk_attach(argc, argv, true);
}

int cmd_detach_disk(int argc, char **argv)
{
	return disk_attach(argc, argv, false);
}
