/* SPDX-License-Identifier: MIT */
/* hv create | list | info | set | delete */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "guest/boot.h"
#include "manager/agentvm.h"
#include "manager/store.h"
#include "manager/readywait.h"
#include "manager/vm.h"
#include "network/netlink.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/jsonfile.h"
#include "util/size.h"

/* --image and its company (codes 1000..1009 in cmd_create's table). */
static int os_option(int c, const char *arg, struct vm_os_opts *os)
{
	switch (c) {
	case 1000:
		os->image = arg;
		break;
	case 1001:
		os->user = arg;
		break;
	case 1002:
		if (os->nkeys == VMOS_MAX_KEYS)
			return cli_usage_error("create", "at most %d --ssh-key files", VMOS_MAX_KEYS);
		os->keys[os->nkeys++] = arg;
		break;
	case 1003:
		os->password_file = arg;
		break;
	case 1004:
		os->cloud_init = arg;
		break;
	case 1005:
		if (size_parse(arg, SIZE_MIB, &os->disk_size) < 0)
			return cli_fail_code("create", -EINVAL);
		break;
	case 1006:
		os->firmware = arg;
		break;
	case 1007:
		os->boot = arg;
		break;
	case 1008:
		os->cdrom = arg;
		break;
	case 1009:
		os->graphics = arg;
		break;
	}
	return 0;
}

static const char create_usage[] =
    "usage: hv create NAME [--cpus N] [--memory SIZE] [--disk SIZE|PATH[,format=F]]...\n"
    "                 [--kernel F] [--initrd F] [--cmdline S] [--machine microvm|q35]\n"
    "                 [--accel auto|kvm|tcg] [--nic "
    "nat|network=NET|bridge=BR|none[,mac=M]]...\n"
    "                 [--forward [tcp|udp:][HOSTADDR:]HOSTPORT:GUESTPORT]...\n"
    "                 [--disk-from IMAGE[,format=F]]... [--share HOSTDIR[:TAG][,ro]]...\n"
    "--disk 10G creates a qcow2 disk in the VM's folder; --disk PATH uses an existing image;\n"
    "--disk-from IMAGE creates a qcow2 overlay of IMAGE (which must then stay unchanged).\n"
    "--share shares a host directory over virtio-fs; the guest finds it at /mnt/TAG (TAG: the\n"
    "directory's name unless given; ,ro: the guest cannot write).\n"
    "An image's format (raw or qcow2) is recorded now and never guessed again; state it with\n"
    ",format=F, or hv reads the header once (a guessed qcow2 may not name other files).\n"
    "\n"
    "Distribution VMs (q35, booted by firmware or by the image's own kernel):\n"
    "  --image IMAGE        an overlay on a catalogue image (hv image list), with cloud-init:\n"
    "    [--user U]         the account cloud-init creates (default: yours)\n"
    "    [--ssh-key F]...   its public keys (default: ~/.ssh/ *.pub)\n"
    "    [--password-file F] a password (or crypt hash) for it; locked otherwise\n"
    "    [--cloud-init F]   your own user-data, merged after hv's\n"
    "    [--disk-size 20G]  grow the VM's disk beyond the image's size\n"
    "    [--boot kernel|firmware]  kernel (default for built images): no firmware, no GRUB\n"
    "  --cdrom F.iso        an installer in the CD drive (booted after the disk)\n"
    "  --firmware bios|uefi SeaBIOS (default) or UEFI (OVMF, with the VM's own variables)\n"
    "  --graphics vnc[=ADDR:PORT]  a display (VNC on vnc.sock in the VM folder; see hv vnc)";

/* --disk-from IMAGE: a copy-on-write overlay of IMAGE (the manager sees
 * "from:IMAGE"); 0, or an exit status. */
static int disk_from_option(const char *image, struct cli_vm_opts *v)
{
	char *spec = NULL;

	if (v->ndisks == ENGINE_MAX_DISKS || asprintf(&spec, "from:%s", image) < 0)
		return cli_usage_error("create", "at most %d disks", ENGINE_MAX_DISKS);
	v->disks[v->ndisks++] = spec;
	return 0;
}

int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = { CLI_VM_LONGOPTS,
					      { "disk-from", required_argument, NULL, 'B' },
					      { "image", required_argument, NULL, 1000 },
					      { "user", required_argument, NULL, 1001 },
					      { "ssh-key", required_argument, NULL, 1002 },
					      { "password-file", required_argument, NULL, 1003 },
					      { "cloud-init", required_argument, NULL, 1004 },
					      { "disk-size", required_argument, NULL, 1005 },
					      { "firmware", required_argument, NULL, 1006 },
					      { "boot", required_argument, NULL, 1007 },
					      { "cdrom", required_argument, NULL, 1008 },
					      { "graphics", required_argument, NULL, 1009 },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct cli_vm_opts v;
	struct vm_create_opts o;
	struct vm_os_opts os = { 0 };
	bool distro = false;
	int c, k, r;

	cli_vm_opts_init(&v);
	while ((c = cli_getopt(argc, argv, CLI_VM_SHORTOPTS "h", opts, "create")) != -1) {
		if ((k = cli_vm_option(c, optarg, &v)) < 0)
			return cli_fail_code("create", k);
		if (k)
			continue;
		if (c >= 1000 && c <= 1009) {
			distro = true;
			if ((k = os_option(c, optarg, &os)) != 0)
				return k;
			continue;
		}
		if (c == 'B') {
			if ((k = disk_from_option(optarg, &v)) != 0)
				return k;
			continue;
		}
		if (c == 'h') {
			puts(create_usage);
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
				     .nics = v.nics,
				     .os = distro ? &os : NULL };
	memcpy(o.disks, v.disks, sizeof(o.disks));
	memcpy(o.shares, v.shares, sizeof(o.shares));
	o.nshares = v.nshares;
	if ((r = cli_one_name(argc, argv, "create", &o.name)) != 0)
		return r;
	if (distro && v.machine == MACHINE_MICROVM && v.machine_set)
		return cli_usage_error("create", "distribution VMs need --machine q35 (microvm cannot boot a disk "
						 "through firmware)");
	if ((r = vm_create(&o)) < 0)
		return cli_fail_code("create", r);
	printf("created VM %s\n", o.name);
	return 0;
}

/* What a distribution VM adds: how it boots, its image, CD, display,
 * cloud-init user, and how far the running boot has come. */
static void add_os_json(struct json_object *o, const char *name, const struct vmdef *d, const struct vm_status *st)
{
	char disp[96], failure[160];
	enum ready_phase phase;

	json_object_object_add(o, "firmware", json_object_new_string(firmware_name(d->firmware)));
	json_object_object_add(o, "boot",
			       json_object_new_string(d->boot_kernel		     ? "kernel"
						      : d->firmware != FIRMWARE_NONE ? "firmware"
										     : "kernel"));
	json_object_object_add(o, "image", d->image[0] ? json_object_new_string(d->image) : NULL);
	json_object_object_add(o, "cdrom", d->cdrom ? json_object_new_string(d->cdrom) : NULL);
	vmdef_display_format(&d->display, disp, sizeof(disp));
	json_object_object_add(o, "display", json_object_new_string(disp));
	json_object_object_add(o, "user", d->ci.enabled ? json_object_new_string(d->ci.user) : NULL);
	if (vm_state_active(st->state) && vm_boot_phase(name, &phase, failure, sizeof(failure)) == 0) {
		json_object_object_add(o, "phase", json_object_new_string(ready_phase_name(phase)));
		if (phase == PHASE_FAILED)
			json_object_object_add(o, "phase_failure", json_object_new_string(failure));
	}
}

static struct json_object *vm_json(const char *name, const struct vmdef *d, const struct vm_status *st)
{
	struct json_object *o = json_object_new_object(), *disks = json_object_new_array();
	_cleanup_free_ char *vms = NULL;

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
	if (store_vms_dir_alloc(&vms) == 0) {
		_cleanup_free_ char *log = NULL;
		if (asprintf(&log, "%s/%s/console.log", vms, name) > 0)
			json_object_object_add(o, "console_log", json_object_new_string(log));
		for (unsigned i = 0; i < d->ndisks; i++) {
			struct json_object *dk = json_object_new_object();
			_cleanup_free_ char *p = NULL;
			if (d->disks[i].owned && asprintf(&p, "%s/%s/%s", vms, name, d->disks[i].path) < 0)
				p = NULL;
			json_object_object_add(dk, "path", json_object_new_string(p ? p : d->disks[i].path));
			json_object_object_add(dk, "format", json_object_new_string(d->disks[i].format));
			json_object_object_add(dk, "owned", json_object_new_boolean(d->disks[i].owned));
			json_object_array_add(disks, dk);
		}
	}
	err_clear();
	json_object_object_add(o, "disks", disks);
	struct json_object *nics = json_object_new_array();
	for (unsigned i = 0; i < d->nnics; i++)
		json_object_array_add(nics, vmdef_nic_json(&d->nics[i]));
	json_object_object_add(o, "nics", nics);
	json_object_object_add(o, "created", json_object_new_int64((int64_t)d->created));
	json_object_object_add(o, "shares", share_set_json(&d->shares));
	json_object_object_add(o, "transient", json_object_new_boolean(d->transient));
	add_os_json(o, name, d, st);
	return o;
}

/* A VM whose vm.json cannot be read: a row that says so, and why on stderr. */
static void list_damaged(const char *name, const char *why, struct json_object *arr)
{
	fprintf(stderr, "hv list: %s\n", why);
	if (!arr) {
		printf("%-24s %-8s %4s %8s %8s\n", name, "damaged", "-", "-", "-");
		return;
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "state", json_object_new_string("damaged"));
	json_object_object_add(o, "error", json_object_new_string(why));
	json_object_array_add(arr, o);
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	bool all = false, json = false;
	struct vmdef_iter it;
	int c, r;

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
	if ((r = vmdef_iter_open(&it, true)) < 0)
		return cli_fail_code("list", r);
	_cleanup_json_ struct json_object *arr = json_object_new_array();
	if (!json)
		printf("%-24s %-8s %4s %8s %8s\n", "NAME", "STATE", "CPUS", "MEMORY", "PID");
	while ((r = vmdef_iter_next(&it)) > 0) {
		const struct vmdef *d = &it.def;
		struct vm_status st;
		char mem[32], pid[16] = "-";
		if (it.load_error < 0) {
			/* shown even without --all: it needs the user */
			list_damaged(it.vm.name, err_msg_for(it.load_error), json ? arr : NULL);
			continue;
		}
		if ((r = status_derive(it.vm.dirfd, it.vm.dir, &st)) < 0) {
			fprintf(stderr, "hv list: skipping VM '%s': %s\n", it.vm.name, err_msg_for(r));
			continue;
		}
		if (!all && !vm_state_active(st.state))
			continue;
		if (json) {
			vm_nic_addresses(it.vm.name, &it.def);
			json_object_array_add(arr, vm_json(it.vm.name, d, &st));
			continue;
		}
		size_format(d->memory_mib * SIZE_MIB, mem, sizeof(mem));
		if (vm_state_active(st.state))
			snprintf(pid, sizeof(pid), "%d", (int)st.qemu.pid);
		printf("%-24s %-8s %4u %8s %8s\n", it.vm.name, vm_state_name(st.state), d->cpus, mem, pid);
	}
	vmdef_iter_close(&it);
	if (r < 0)
		return cli_fail_code("list", r);
	if (json)
		json_print(arr);
	return 0;
}

/* How a VM boots and what a distribution VM adds, for hv info. */
static void print_boot_info(const char *name, const struct vmdef *d, struct json_object *o)
{
	struct json_object *ph = json_object_object_get(o, "phase"), *pf = json_object_object_get(o, "phase_failure");

	if (d->image[0])
		printf("image:    %s\n", d->image);
	if (d->firmware != FIRMWARE_NONE && !d->boot_kernel)
		printf("boot:     %s firmware%s\n", d->firmware == FIRMWARE_UEFI ? "UEFI" : "BIOS",
		       d->cdrom ? ", then the CD-ROM" : "");
	else if (d->boot_kernel)
		printf("boot:     the image's own kernel (no firmware)\n");
	else
		printf("kernel:   %s\n", d->kernel ? d->kernel : "the default guest");
	if (d->cdrom)
		printf("cdrom:    %s\n", d->cdrom);
	if (d->display.vnc)
		printf("display:  VNC (hv vnc %s)\n", name);
	if (d->ci.enabled)
		printf("user:     %s (cloud-init; hv ssh %s)\n", d->ci.user, name);
	if (ph)
		printf("phase:    %s%s%s\n", json_object_get_string(ph), pf ? ": " : "",
		       pf ? json_object_get_string(pf) : "");
}

/* What the guest agent says the guest runs, when one answers. */
/* The guest's OS as its agent reports it (null without an answer). */
static struct json_object *guest_os_json(const struct agent_osinfo *os)
{
	struct json_object *o = json_object_new_object();
	const char *keys[] = { "id", "name", "pretty_name", "version", "version_id", "kernel_release", "machine" };
	const char *vals[] = { os->id,	       os->name,	   os->pretty_name, os->version,
			       os->version_id, os->kernel_release, os->machine };

	for (size_t i = 0; o && i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(o, keys[i], vals[i][0] ? json_object_new_string(vals[i]) : NULL);
	return o;
}

static void print_guest_os(const char *name, const struct vm_status *st, struct json_object *json)
{
	struct agent_osinfo os;

	if (st->state != VM_RUNNING || vm_guest_os(name, &os) < 0) {
		err_clear();
		if (json)
			json_object_object_add(json, "guest_os", NULL);
		return;
	}
	if (json) {
		json_object_object_add(json, "guest_os", guest_os_json(&os));
		return;
	}
	printf("os:       %s", os.pretty_name[0] ? os.pretty_name : os.name[0] ? os.name : os.id);
	if (os.kernel_release[0])
		printf(" (kernel %s%s%s)", os.kernel_release, os.machine[0] ? ", " : "", os.machine);
	printf("  [guest agent]\n");
}

/* hv info's disk, nic and share lines. */
static void print_devices(const struct vmdef *d, struct json_object *o)
{
	struct json_object *disks = json_object_object_get(o, "disks");
	for (size_t i = 0; i < json_object_array_length(disks); i++) {
		struct json_object *dk = json_object_array_get_idx(disks, i);
		printf("disk:     %s (%s)\n", json_object_get_string(json_object_object_get(dk, "path")),
		       json_object_get_string(json_object_object_get(dk, "format")));
	}
	for (unsigned i = 0; i < d->nnics; i++) {
		char mac[32];
		mac_format(d->nics[i].mac, mac, sizeof(mac));
		printf("nic:      %s%s%s %s", nic_mode_name(d->nics[i].mode), d->nics[i].target[0] ? "=" : "",
		       d->nics[i].target, mac);
		if (d->nics[i].ip) {
			char ip[32];
			ip4_format(d->nics[i].ip, ip, sizeof(ip));
			printf(" %s", ip);
		}
		for (unsigned f = 0; f < d->nics[i].nfwd; f++) {
			char t[48];
			forward_format(&d->nics[i].fwd[f], t, sizeof(t));
			printf("%s%s", f ? "," : " forwards ", t);
		}
		printf("\n");
	}
	for (unsigned i = 0; i < d->shares.n; i++) {
		char line[4200];
		share_format(&d->shares.v[i], line, sizeof(line));
		printf("share:    %s\n", line);
	}
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
	if ((r = vm_inspect(name, &d, &st)) < 0)
		return cli_fail_code("info", r);
	_cleanup_json_ struct json_object *o = vm_json(name, &d, &st);
	if (json) {
		print_guest_os(name, &st, o);
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
	if (d.transient)
		printf("transient: yes (made by hv run, deleted when its command ends)\n");
	printf("cpus:     %u\nmemory:   %s\nmachine:  %s\n", d.cpus, mem, machine_name(d.machine));
	printf("accel:    %s\n", json_object_get_string(json_object_object_get(o, "accel")));
	print_boot_info(name, &d, o);
	print_guest_os(name, &st, NULL);
	if (d.initrd)
		printf("initrd:   %s\n", d.initrd);
	if (d.cmdline)
		printf("cmdline:  %s\n", d.cmdline);
	print_devices(&d, o);
	printf("console:  %s\n", json_object_get_string(json_object_object_get(o, "console_log")));
	vmdef_free(&d);
	return 0;
}

/* What hv set was asked to change. */
struct set_args {
	const char *cdrom, *boot, *graphics;
	const char *share_add[SHARE_MAX], *share_rm[SHARE_MAX];
	unsigned nshare_add, nshare_rm;
	struct nic_request nics;
	unsigned cpus;
	uint64_t mem;
	bool have_cpus, have_mem;
};

static const char set_usage[] =
    "usage: hv set NAME [--cpus N] [--memory SIZE] [--nic MODE[,mac=M]]... [--forward SPEC]...\n"
    "              [--cdrom FILE.iso|none] [--boot kernel|firmware] [--graphics none|vnc[=A:P]]\n"
    "              [--share HOSTDIR[:TAG][,ro]]... [--no-share TAG]...\n"
    "Applies at the next start; refused while the VM runs.  --nic replaces the VM's NICs (a NIC\n"
    "that keeps its place and kind keeps its MAC); --nic none removes them.";

/* One option of hv set (not --nic/--forward): 0, or an exit status. */
static int set_option(int c, const char *arg, struct set_args *a)
{
	int r;

	switch (c) {
	case 'c':
		if ((r = vmdef_parse_cpus(arg, &a->cpus)) < 0)
			return cli_fail_code("set", r);
		a->have_cpus = true;
		return 0;
	case 'm':
		if ((r = vmdef_parse_memory(arg, &a->mem)) < 0)
			return cli_fail_code("set", r);
		a->have_mem = true;
		return 0;
	case 1000:
		a->cdrom = arg;
		return 0;
	case 1001:
		a->boot = arg;
		return 0;
	case 1002:
		a->graphics = arg;
		return 0;
	case 1003:
	case 1004:
		if ((c == 1003 ? a->nshare_add : a->nshare_rm) == SHARE_MAX)
			return cli_usage_error("set", "at most %d --share and --no-share options", SHARE_MAX);
		if (c == 1003)
			a->share_add[a->nshare_add++] = arg;
		else
			a->share_rm[a->nshare_rm++] = arg;
		return 0;
	default:
		return EXIT_USAGE;
	}
}

int cmd_set(int argc, char **argv)
{
	static const struct option opts[] = { { "cpus", required_argument, NULL, 'c' },
					      { "memory", required_argument, NULL, 'm' },
					      { "nic", required_argument, NULL, 'N' },
					      { "forward", required_argument, NULL, 'F' },
					      { "cdrom", required_argument, NULL, 1000 },
					      { "boot", required_argument, NULL, 1001 },
					      { "graphics", required_argument, NULL, 1002 },
					      { "share", required_argument, NULL, 1003 },
					      { "no-share", required_argument, NULL, 1004 },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct set_args a = { 0 };
	const char *name;
	int c, r, k;

	while ((c = cli_getopt(argc, argv, "c:m:h", opts, "set")) != -1) {
		if ((k = cli_nic_option(c, optarg, &a.nics)) < 0)
			return cli_fail_code("set", k);
		if (k)
			continue;
		if (c == 'h') {
			puts(set_usage);
			return 0;
		}
		if ((r = set_option(c, optarg, &a)) != 0)
			return r;
	}
	if ((r = cli_one_name(argc, argv, "set", &name)) != 0)
		return r;
	bool have_nics = a.nics.nspecs || a.nics.none;
	if (a.nics.nforwards && !have_nics)
		return cli_usage_error("set", "--forward goes with --nic here; to change the forwards of a VM use "
					      "hv forward NAME add|remove");
	bool have_os = a.cdrom || a.boot || a.graphics, have_shares = a.nshare_add || a.nshare_rm;
	if (!a.have_cpus && !a.have_mem && !have_nics && !have_os && !have_shares)
		return cli_usage_error("set", "nothing to change: give --cpus, --memory, --nic, --cdrom, --boot, "
					      "--graphics, --share or --no-share");
	/* the shares first: their checks (a missing directory) change nothing */
	if (have_shares && (r = vm_set_shares(name, a.share_add, a.nshare_add, a.share_rm, a.nshare_rm)) < 0)
		return cli_fail_code("set", r);
	if ((a.have_cpus || a.have_mem || have_nics) &&
	    (r = vm_set(name, a.have_cpus ? &a.cpus : NULL, a.have_mem ? &a.mem : NULL, have_nics ? &a.nics : NULL)) <
		0)
		return cli_fail_code("set", r);
	if (have_os && (r = vm_set_os(name, a.cdrom, a.boot, a.graphics)) < 0)
		return cli_fail_code("set", r);
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
	_cleanup_free_ char *kept = NULL;
	int c, r;

	while ((c = cli_getopt(argc, argv, "fh", opts, "delete")) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'k')
			keep = true;
		else if (c == 'F')
			flatten = true;
		else if (c == 'h') {
			puts(
			    "usage: hv delete NAME [--force] [--keep-disks] [--flatten-clones]\n--force kills a "
			    "running VM "
			    "first; --keep-disks moves the disks hv created to $HV_HOME/disks/NAME/;\n--flatten-clones "
			    "copies the base data into linked clones of this VM so that it can go.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "delete", &name)) != 0)
		return r;
	if ((r = vm_delete(name, force, keep, flatten, &kept)) < 0)
		return cli_fail_code("delete", r);
	if (kept)
		printf("deleted VM %s; its disks are in %s\n", name, kept);
	else
		printf("deleted VM %s\n", name);
	return 0;
}
