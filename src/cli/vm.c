/* SPDX-License-Identifier: MIT */
/* hv create | list | info | set | delete */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "guest/boot.h"
#include "manager/store.h"
#include "manager/vm.h"
#include "network/netlink.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = { CLI_VM_LONGOPTS,
					      { "disk-from", required_argument, NULL, 'B' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct cli_vm_opts v;
	struct vm_create_opts o;
	int c, k, r;

	cli_vm_opts_init(&v);
	while ((c = cli_getopt(argc, argv, CLI_VM_SHORTOPTS "h", opts, "create")) != -1) {
		if ((k = cli_vm_option(c, optarg, &v)) < 0)
			return cli_fail("create");
		if (k)
			continue;
		if (c == 'B') {
			/* a copy-on-write overlay of IMAGE (the manager sees "from:IMAGE") */
			char *spec = NULL;
			if (v.ndisks == ENGINE_MAX_DISKS || asprintf(&spec, "from:%s", optarg) < 0)
				return cli_usage_error("create", "at most %d disks", ENGINE_MAX_DISKS);
			v.disks[v.ndisks++] = spec;
			continue;
		}
		if (c == 'h') {
			puts("usage: hv create NAME [--cpus N] [--memory SIZE] [--disk SIZE|PATH[,format=F]]...\n"
			     "                 [--kernel F] [--initrd F] [--cmdline S] [--machine microvm|q35]\n"
			     "                 [--accel auto|kvm|tcg] [--nic nat|network=NET|bridge=BR|none[,mac=M]]...\n"
			     "                 [--forward [tcp|udp:][HOSTADDR:]HOSTPORT:GUESTPORT]...\n"
			     "                 [--disk-from IMAGE[,format=F]]...\n"
			     "--disk 10G creates a qcow2 disk in the VM's folder; --disk PATH uses an existing image;\n"
			     "--disk-from IMAGE creates a qcow2 overlay of IMAGE (which must then stay unchanged).\n"
			     "An image's format (raw or qcow2) is recorded now and never guessed again; state it with\n"
			     ",format=F, or hv reads the header once (a guessed qcow2 may not name other files).");
			return 0;
		}
		return EXIT_USAGE;
	}
	o = (struct vm_create_opts){ .cpus = v.cpus,
				     .memory_mib = v.memory_mib,
				     .machine = v.machine,
				     .accel = v.accel,
				     .kernel = v.kernel,
				     .initrd = v.initrd,
				     .cmdline = v.cmdline,
				     .ndisks = v.ndisks,
				     .nics = v.nics };
	memcpy(o.disks, v.disks, sizeof(o.disks));
	if ((r = cli_one_name(argc, argv, "create", &o.name)) != 0)
		return r;
	if (vm_create(&o) < 0)
		return cli_fail("create");
	printf("created VM %s\n", o.name);
	return 0;
}

static struct json_object *vm_json(const char *name, const struct vmdef *d, const struct vm_status *st)
{
	struct json_object *o = json_object_new_object(), *disks = json_object_new_array();
	char dir[4096];

	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string(vm_state_name(st->state)));
	if (vm_state_active(st->state))
		json_object_object_add(o, "pid", json_object_new_int(st->qemu.pid));
	else
		json_object_object_add(o, "reason", json_object_new_string(st->reason));
	json_object_object_add(o, "cpus", json_object_new_int((int)d->cpus));
	json_object_object_add(o, "memory", json_object_new_int64((int64_t)d->memory_mib));
	json_object_object_add(o, "uuid", json_object_new_string(d->uuid));
	json_object_object_add(o, "machine", json_object_new_string(machine_name(d->machine)));
	json_object_object_add(
	    o, "accel",
	    json_object_new_string(vm_state_active(st->state) && st->accel[0] ? st->accel : accel_name(d->accel)));
	json_object_object_add(o, "kernel", d->kernel ? json_object_new_string(d->kernel) : NULL);
	json_object_object_add(o, "initrd", d->initrd ? json_object_new_string(d->initrd) : NULL);
	json_object_object_add(o, "cmdline", d->cmdline ? json_object_new_string(d->cmdline) : NULL);
	if (store_vms_dir(dir, sizeof(dir)) == 0) {
		char p[4200];
		snprintf(p, sizeof(p), "%s/%s/console.log", dir, name);
		json_object_object_add(o, "console_log", json_object_new_string(p));
		for (unsigned i = 0; i < d->ndisks; i++) {
			struct json_object *dk = json_object_new_object();
			if (d->disks[i].owned)
				snprintf(p, sizeof(p), "%s/%s/%s", dir, name, d->disks[i].path);
			else
				snprintf(p, sizeof(p), "%s", d->disks[i].path);
			json_object_object_add(dk, "path", json_object_new_string(p));
			json_object_object_add(dk, "format", json_object_new_string(d->disks[i].format));
			json_object_object_add(dk, "owned", json_object_new_boolean(d->disks[i].owned));
			json_object_array_add(disks, dk);
		}
	}
	json_object_object_add(o, "disks", disks);
	struct json_object *nics = json_object_new_array();
	for (unsigned i = 0; i < d->nnics; i++)
		json_object_array_add(nics, vmdef_nic_json(&d->nics[i]));
	json_object_object_add(o, "nics", nics);
	json_object_object_add(o, "created", json_object_new_int64((int64_t)d->created));
	return o;
}

/* A VM deleted while we listed it is no news. */
static bool access_err_is_gone(void)
{
	return strstr(err_msg(), "no VM named") != NULL;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool all = false, json = false;
	char **names;
	size_t n;
	int c;

	while ((c = cli_getopt(argc, argv, "ah", opts, "list")) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'j')
			json = true;
		else if (c == 'h') {
			puts("usage: hv list [--all] [--json]\nRunning and paused VMs; --all adds stopped and crashed "
			     "ones.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cli_usage_error("list", "unexpected argument '%s'", argv[optind]);
	if (store_list(&names, &n) < 0)
		return cli_fail("list");
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	if (!json)
		printf("%-24s %-8s %4s %8s %8s\n", "NAME", "STATE", "CPUS", "MEMORY", "PID");
	for (size_t i = 0; i < n; i++) {
		struct vmdef d;
		struct vm_status st;
		char mem[32], pid[16] = "-";
		if (vm_inspect(names[i], &d, &st) < 0) {
			if (access_err_is_gone())
				continue; /* deleted meanwhile */
			fprintf(stderr, "hv list: skipping VM '%s': %s\n", names[i], err_msg());
			continue;
		}
		if (all || vm_state_active(st.state)) {
			if (json) {
				json_object_array_add(arr, vm_json(names[i], &d, &st));
			} else {
				size_format(d.memory_mib * SIZE_MIB, mem, sizeof(mem));
				if (vm_state_active(st.state))
					snprintf(pid, sizeof(pid), "%d", (int)st.qemu.pid);
				printf("%-24s %-8s %4u %8s %8s\n", names[i], vm_state_name(st.state), d.cpus, mem, pid);
			}
		}
		vmdef_free(&d);
	}
	store_list_free(names, n);
	if (json)
		json_print(arr);
	return 0;
}

int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool json = false;
	const char *name;
	struct vmdef d;
	struct vm_status st;
	char mem[32], when[64] = "";
	int c, r;

	while ((c = cli_getopt(argc, argv, "h", opts, "info")) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'h') {
			puts("usage: hv info NAME [--json]");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "info", &name)) != 0)
		return r;
	if (vm_inspect(name, &d, &st) < 0)
		return cli_fail("info");
	_cleanup_json_ struct json_object *o = vm_json(name, &d, &st);
	if (json) {
		json_print(o);
		vmdef_free(&d);
		return 0;
	}
	size_format(d.memory_mib * SIZE_MIB, mem, sizeof(mem));
	if (st.since) {
		struct tm tm;
		strftime(when, sizeof(when), " since %Y-%m-%d %H:%M:%S", localtime_r(&st.since, &tm));
	}
	printf("name:     %s\nuuid:     %s\nstate:    %s%s\n", name, d.uuid, vm_state_name(st.state), when);
	if (vm_state_active(st.state))
		printf("pid:      %d\n", (int)st.qemu.pid);
	else if (st.reason[0])
		printf("reason:   %s\n", st.reason);
	printf("cpus:     %u\nmemory:   %s\nmachine:  %s\n", d.cpus, mem, machine_name(d.machine));
	printf("accel:    %s\n", json_object_get_string(json_object_object_get(o, "accel")));
	printf("kernel:   %s\n", d.kernel ? d.kernel : "the default guest");
	if (d.initrd)
		printf("initrd:   %s\n", d.initrd);
	if (d.cmdline)
		printf("cmdline:  %s\n", d.cmdline);
	struct json_object *disks = json_object_object_get(o, "disks");
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		struct json_object *dk = json_object_array_get_idx(disks, i);
		printf("disk:     %s (%s)\n", json_object_get_string(json_object_object_get(dk, "path")),
		       json_object_get_string(json_object_object_get(dk, "format")));
	}
	for (unsigned i = 0; i < d.nnics; i++) {
		char mac[32];
		mac_format(d.nics[i].mac, mac, sizeof(mac));
		printf("nic:      %s%s%s %s", nic_mode_name(d.nics[i].mode), d.nics[i].target[0] ? "=" : "", d.nics[i].target,
		       mac);
		for (unsigned f = 0; f < d.nics[i].nfwd; f++) {
			char t[48];
			forward_format(&d.nics[i].fwd[f], t, sizeof(t));
			printf("%s%s", f ? "," : " forwards ", t);
		}
		printf("\n");
	}
	printf("console:  %s\n", json_object_get_string(json_object_object_get(o, "console_log")));
	vmdef_free(&d);
	return 0;
}

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = { { "cpus", required_argument, NULL, 'c' },
					      { "memory", required_argument, NULL, 'm' },
					      { "nic", required_argument, NULL, 'N' },
					      { "forward", required_argument, NULL, 'F' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct nic_request nics = { 0 };
	unsigned cpus;
	uint64_t mem;
	bool have_cpus = false, have_mem = false;
	const char *name;
	int c, r, k;

	while ((c = cli_getopt(argc, argv, "c:m:h", opts, "set")) != -1) {
		if ((k = cli_nic_option(c, optarg, &nics)) < 0)
			return cli_fail("set");
		if (k)
			continue;
		switch (c) {
		case 'c':
			if (vmdef_parse_cpus(optarg, &cpus) < 0)
				return cli_fail("set");
			have_cpus = true;
			break;
		case 'm':
			if (vmdef_parse_memory(optarg, &mem) < 0)
				return cli_fail("set");
			have_mem = true;
			break;
		case 'h':
			puts("usage: hv set NAME [--cpus N] [--memory SIZE] [--nic MODE[,mac=M]]... [--forward SPEC]...\n"
			     "Applies at the next start; refused while the VM runs.  --nic replaces the VM's NICs (a NIC\n"
			     "that keeps its place and kind keeps its MAC); --nic none removes them.");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if ((r = cli_one_name(argc, argv, "set", &name)) != 0)
		return r;
	bool have_nics = nics.nspecs || nics.none;
	if (nics.nforwards && !have_nics)
		return cli_usage_error("set", "--forward goes with --nic here; to change the forwards of a VM use "
					      "hv forward NAME add|remove");
	if (!have_cpus && !have_mem && !have_nics)
		return cli_usage_error("set", "nothing to change: give --cpus, --memory or --nic");
	if (vm_set(name, have_cpus ? &cpus : NULL, have_mem ? &mem : NULL, have_nics ? &nics : NULL) < 0)
		return cli_fail("set");
	return 0;
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
					      { "keep-disks", no_argument, NULL, 'k' },
					      { "flatten-clones", no_argument, NULL, 'F' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool force = false, keep = false, flatten = false;
	const char *name;
	char kept[4096];
	int c, r;

	while ((c = cli_getopt(argc, argv, "fh", opts, "delete")) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'k')
			keep = true;
		else if (c == 'F')
			flatten = true;
		else if (c == 'h') {
			puts("usage: hv delete NAME [--force] [--keep-disks] [--flatten-clones]\n--force kills a running VM "
			     "first; --keep-disks moves the disks hv created to $HV_HOME/disks/NAME/;\n--flatten-clones "
			     "copies the base data into linked clones of this VM so that it can go.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "delete", &name)) != 0)
		return r;
	if (vm_delete(name, force, keep, flatten, kept, sizeof(kept)) < 0)
		return cli_fail("delete");
	if (kept[0])
		printf("deleted VM %s; its disks are in %s\n", name, kept);
	else
		printf("deleted VM %s\n", name);
	return 0;
}
