/* SPDX-License-Identifier: MIT */
/* hv start | stop | kill | pause | resume (and the internal __monitor) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "manager/power.h"
#include "util/err.h"

/* Commands that take only NAME and --help. */
static int name_only(int argc, char **argv, const char *cmd, const char *usage, const char **name)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'h') {
			puts(usage);
			exit(0);
		}
		return EXIT_USAGE;
	}
	return cli_one_name(argc, argv, cmd, name);
}

int cmd_start(int argc, char **argv)
{
	struct vm_started s;
	const char *name;
	int r = name_only(argc, argv, "start",
			  "usage: hv start NAME\nStarts the VM in the background; "
			  "returns once QEMU runs it.",
			  &name);

	if (r)
		return r;
	if ((r = vm_start(name, &s)) < 0)
		return cli_fail_code("start", r);
	cli_accel_notice(s.tcg_reason);
	printf("%s VM %s (pid %d, %s)\n", s.resumed ? "resumed saved" : "started", name, s.pid, accel_name(s.accel));
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
					      { "force", no_argument, NULL, 'f' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct vm_status final;
	const char *name;
	bool force = false;
	int timeout = 30, c, r;
	char *end;

	while ((c = cli_getopt(argc, argv, "t:fh", opts, "stop")) != -1) {
		switch (c) {
		case 't':
			timeout = (int)strtol(optarg, &end, 10);
			if (!*optarg || *end || timeout < 0 || timeout > 86400)
				return cli_usage_error("stop", "--timeout needs seconds between 0 and 86400 (got '%s')",
						       optarg);
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			puts("usage: hv stop NAME [--timeout S] [--force]\nPresses the ACPI power button and waits "
			     "(30 s by default) for the guest to power off, then cuts the power.\n--force cuts it at "
			     "once.");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if ((r = cli_one_name(argc, argv, "stop", &name)) != 0)
		return r;
	if ((r = vm_stop(name, timeout, force, &final)) < 0)
		return cli_fail_code("stop", r);
	printf("VM %s is %s: %s\n", name, vm_state_name(final.state), final.reason);
	return 0;
}

int cmd_kill(int argc, char **argv)
{
	struct vm_status final;
	const char *name;
	int r =
	    name_only(argc, argv, "kill", "usage: hv kill NAME\nStops the VM at once, like pulling the plug.", &name);

	if (r)
		return r;
	if ((r = vm_kill(name, &final)) < 0)
		return cli_fail_code("kill", r);
	printf("VM %s is %s: %s\n", name, vm_state_name(final.state), final.reason);
	return 0;
}

int cmd_pause(int argc, char **argv)
{
	const char *name;
	int r = name_only(argc, argv, "pause", "usage: hv pause NAME\nFreezes the VM's CPUs and clock.", &name);

	if (r)
		return r;
	return (r = vm_pause(name)) < 0 ? cli_fail_code("pause", r) : 0;
}

int cmd_resume(int argc, char **argv)
{
	const char *name;
	int r = name_only(argc, argv, "resume", "usage: hv resume NAME", &name);

	if (r)
		return r;
	return (r = vm_resume(name)) < 0 ? cli_fail_code("resume", r) : 0;
}

int cmd_monitor(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "hv __monitor is internal to hv start\n");
		return EXIT_USAGE;
	}
	return monitor_main(argv[1], atoi(argv[2]), argv[3], atoi(argv[4]), atoi(argv[5]) != 0);
}
