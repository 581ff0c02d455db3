/* SPDX-License-Identifier: MIT */
/* hv run [options] [-- COMMAND [ARGS...]] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "manager/oneshot.h"
#include "manager/vmdef.h"
#include "util/err.h"

/* hv's own failures in hv run exit with 125, so that they cannot be
 * mistaken for the command's status (the convention of docker run). */
#define RUN_FAILED 125

static const char run_usage[] =
	"usage: hv run [--cpus N] [--memory SIZE] [--disk FILE]... [--kernel F] [--initrd F]\n"
	"              [--cmdline S] [--machine microvm|q35] [--accel auto|kvm|tcg] [-- COMMAND [ARGS...]]\n"
	"Boots a throwaway VM with the default guest, runs COMMAND with stdin, stdout and stderr\n"
	"relayed, powers off and exits with COMMAND's exit status.  Without COMMAND: a shell on\n"
	"the serial console.  Ctrl-] ends the VM.  hv's own errors exit with 125.\n";

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpus", required_argument, NULL, 'c' },    { "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },    { "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },  { "cmdline", required_argument, NULL, 'a' },
		{ "machine", required_argument, NULL, 'M' }, { "accel", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 },
	};
	struct oneshot_opts o = { .cpus = 1, .memory_mib = 256, .machine = MACHINE_MICROVM };
	struct oneshot_result res;
	struct oneshot_plan *plan;
	enum accel requested = ACCEL_AUTO;
	const char *why;
	unsigned cpus;
	uint64_t mem;
	int c;

	while ((c = cli_getopt(argc, argv, "+c:m:h", opts, "run")) != -1) {
		switch (c) {
		case 'c':
			if (vmdef_parse_cpus(optarg, &cpus) < 0)
				return cli_fail("run"), RUN_FAILED;
			o.cpus = cpus;
			break;
		case 'm':
			if (vmdef_parse_memory(optarg, &mem) < 0)
				return cli_fail("run"), RUN_FAILED;
			o.memory_mib = mem;
			break;
		case 'd':
			if (o.ndisks == ENGINE_MAX_DISKS) {
				fprintf(stderr, "hv run: at most %d disks\n", ENGINE_MAX_DISKS);
				return RUN_FAILED;
			}
			o.disks[o.ndisks++] = optarg;
			break;
		case 'k':
			o.kernel = optarg;
			break;
		case 'i':
			o.initrd = optarg;
			break;
		case 'a':
			o.cmdline = optarg;
			break;
		case 'M':
			if (machine_parse(optarg, &o.machine) < 0)
				return cli_fail("run"), RUN_FAILED;
			break;
		case 'A':
			if (accel_parse(optarg, &requested) < 0)
				return cli_fail("run"), RUN_FAILED;
			break;
		case 'h':
			fputs(run_usage, stdout);
			return 0;
		default:
			return RUN_FAILED;
		}
	}
	if (optind < argc) {
		/* getopt stops at "--" or at the first operand; both start COMMAND */
		o.command = argv + optind;
	}
	if (accel_resolve(requested, &o.accel, &why) < 0 || oneshot_prepare(&o, &plan) < 0)
		return cli_fail("run"), RUN_FAILED;
	cli_accel_notice(why);
	if (oneshot_run(plan, &res) < 0) {
		fwrite(res.console_tail, 1, res.console_len, stderr);
		return cli_fail("run"), RUN_FAILED;
	}
	if (res.end != ONESHOT_EXITED)
		fwrite(res.console_tail, 1, res.console_len, stderr);
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
			fprintf(stderr, "hv run: the VM stopped before the command reported its exit status\n");
			return RUN_FAILED;
		}
		return 0;
	case ONESHOT_ESCAPED:
		fprintf(stderr, "\r\nhv run: VM stopped\n");
		return res.status;
	}
	return RUN_FAILED;
}
