/* SPDX-License-Identifier: MIT */
/* hv run [options] [-- COMMAND [ARGS...]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "manager/oneshot.h"
#include "manager/vmdef.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "util/text.h"

/* hv's own failures in hv run exit with 125, so that they cannot be
 * mistaken for the command's status (the convention of docker run). */
#define RUN_FAILED 125

static const char run_usage[] =
    "usage: hv run [--cpus N] [--memory SIZE] [--disk FILE[,format=F]]... [--kernel F] [--initrd F]\n"
    "              [--cmdline S] [--machine microvm|q35] [--accel auto|kvm|tcg]\n"
    "              [--share HOSTDIR[:TAG][,ro]]... [-- COMMAND [ARGS...]]\n"
    "Boots a throwaway VM with the default guest, runs COMMAND with stdin, stdout and stderr\n"
    "relayed, powers off and exits with COMMAND's exit status.  Without COMMAND: a shell on\n"
    "the serial console.  Ctrl-] ends the VM.  hv's own errors exit with 125.\n"
    "--share mounts a host directory at /mnt/TAG in the guest (virtio-fs; TAG: the directory's\n"
    "name unless given; ,ro: read-only), e.g. hv run --share .:src -- make -C /mnt/src\n";

/* The guest's console messages kept for a failed run: written by the
 * guest, so shown without anything a terminal would act on. */
static void print_console_tail(const struct oneshot_result *res)
{
	_cleanup_free_ char *clean = malloc(res->console_len + 1);

	if (!clean)
		return;
	text_sanitize(clean, res->console_len + 1, res->console_tail, res->console_len, TEXT_KEEP_NEWLINES);
	fputs(clean, stderr);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = { CLI_VM_LONGOPTS,
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct cli_vm_opts v;
	struct oneshot_opts o;
	struct oneshot_result res;
	struct oneshot_plan *plan;
	const char *why;
	int c, k;

	cli_vm_opts_init(&v);
	while ((c = cli_getopt(argc, argv, "+" CLI_VM_SHORTOPTS "h", opts, "run")) != -1) {
		if ((k = cli_vm_option(c, optarg, &v)) < 0)
			return cli_fail("run"), RUN_FAILED;
		if (k)
			continue;
		if (c == 'h') {
			fputs(run_usage, stdout);
			return 0;
		}
		return RUN_FAILED;
	}
	o = (struct oneshot_opts){ .cpus = v.cpus,
				   .memory_mib = v.memory_mib,
				   .kernel = v.kernel,
				   .initrd = v.initrd,
				   .cmdline = v.cmdline,
				   .ndisks = v.ndisks,
				   .machine = v.machine };
	memcpy(o.disks, v.disks, sizeof(o.disks));
	o.nics = v.nics;
	o.shares = v.shares;
	o.nshares = v.nshares;
	if (optind < argc) {
		/* getopt stops at "--" or at the first operand; both start COMMAND */
		o.command = argv + optind;
	}
	if (accel_resolve(v.accel, &o.accel, &why) < 0 || oneshot_prepare(&o, &plan) < 0)
		return cli_fail("run"), RUN_FAILED;
	cli_accel_notice(why);
	if (oneshot_run(plan, &res) < 0) {
		print_console_tail(&res);
		return cli_fail("run"), RUN_FAILED;
	}
	if (res.end != ONESHOT_EXITED)
		print_console_tail(&res);
	if (res.guest_error[0])
		fprintf(stderr, "hv run: in the guest: %s\n", res.guest_error);
	switch (res.end) {
	case ONESHOT_EXITED:
		return res.status;
	case ONESHOT_PANIC:
		fprintf(stderr, "hv run: the guest kernel panicked (its messages are above)\n");
		return RUN_FAILED;
	case ONESHOT_VM_ENDED:
		if (o.command) {
			fprintf(stderr, "hv run: the VM stopped before the command reported its exit status (%s)\n",
				res.vm_end[0] ? res.vm_end : "no reason recorded");
			return RUN_FAILED;
		}
		return 0;
	case ONESHOT_ESCAPED:
		fprintf(stderr, "\r\nhv run: VM stopped\n");
		return res.status;
	}
	return RUN_FAILED;
}
