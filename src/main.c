/* SPDX-License-Identifier: MIT */
/* hv: VMs on QEMU, managed like virsh, without a daemon. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "util/err.h"
#include "util/trace.h"

#ifndef HV_VERSION
#define HV_VERSION "0.1"
#endif

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "boot a throwaway VM, run a command in it, exit with its status" },
	{ "create", cmd_create, "define a VM" },
	{ "list", cmd_list, "list VMs (running ones; --all for every VM)" },
	{ "info", cmd_info, "show a VM's definition and state" },
	{ "start", cmd_start, "start a VM in the background" },
	{ "console", cmd_console, "attach to a VM's serial console (Ctrl-] detaches)" },
	{ "stop", cmd_stop, "shut a VM down with the ACPI power button" },
	{ "kill", cmd_kill, "stop a VM at once (power cut)" },
	{ "pause", cmd_pause, "freeze a running VM" },
	{ "resume", cmd_resume, "continue a paused VM" },
	{ "set", cmd_set, "change a stopped VM's CPUs or memory" },
	{ "delete", cmd_delete, "remove a VM and its disks" },
	{ "ip", cmd_ip, "show a VM's NICs and their addresses" },
	{ "forward", cmd_forward, "add, remove or list port forwards of a VM's nat NIC" },
	{ "net", cmd_net, "create, list, inspect and delete networks (natnet, host-only, internal)" },
	{ "disk", cmd_disk, "create, inspect, resize, convert and check disk images" },
	{ "exec", cmd_exec, "run a command in a running VM (hv exec NAME [-t] [-- COMMAND])" },
	{ "ui", cmd_ui, "serve the web console: VMs, consoles and displays in a browser" },
	{ "cp", cmd_cp, "copy files into or out of a running VM (hv cp [NAME:]SRC [NAME:]DST)" },
	{ "ssh", cmd_ssh, "ssh into a VM as the user cloud-init made (hv ssh NAME [-- COMMAND])" },
	{ "vnc", cmd_vnc, "where to connect a VNC viewer to a VM's display" },
	{ "stats", cmd_stats, "CPU, memory, disk and network figures of VMs and containers (--json, --prometheus)" },
	{ "top", cmd_top, "a live table of VMs and containers, sorted, refreshed every second" },
	{ "image", cmd_image, "build, import, list, inspect and remove OS images (hv image build debian-12)" },
	{ "attach-disk", cmd_attach_disk, "add a disk image to a stopped VM" },
	{ "detach-disk", cmd_detach_disk, "remove a disk from a stopped VM" },
	{ "snapshot", cmd_snapshot, "create, list, revert and delete snapshots (with VM state when running)" },
	{ "save", cmd_save, "suspend a VM to disk; hv start resumes it" },
	{ "clone", cmd_clone, "full or linked clone of a VM, or of one of its snapshots" },
	{ "ctr", cmd_ctr, "the OCI container runtime (runc's commands; also as hv-runc)" },
	{ "__monitor", cmd_monitor, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hv [--debug] COMMAND [ARGS...]    (hv COMMAND --help for details)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (commands[i].summary)
			fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
}

int main(int argc, char **argv)
{
	/* installed as hv-runc, hv speaks runc's command line */
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strcmp(base, "hv-runc")) {
		cli_prog = "hv-runc";
		int rc = cmd_ctr(argc, argv);
		cli_warnings();
		return rc;
	}
	/* hv --debug COMMAND ...: trace QMP, channel and agent traffic (also HV_DEBUG=1 or =/file) */
	if (argc >= 2 && !strcmp(argv[1], "--debug")) {
		trace_enable();
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("hv %s\n", HV_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name)) {
			err_clear(); /* a command's failure reports only its own reason */
			int rc = commands[i].fn(argc - 1, argv + 1);
			cli_warnings(); /* what the library repaired on its way */
			return rc;
		}
	fprintf(stderr, "hv: unknown command '%s' (see: hv --help)\n", argv[1]);
	return EXIT_USAGE;
}
