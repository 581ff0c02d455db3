/* SPDX-License-Identifier: MIT */
/* hv: VMs on QEMU, managed like virsh, without a daemon. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "util/err.h"
#include "util/trace.h"

#ifndef HV_VERSION
#define HV_VERSION "0.1"
#endif

static void usage(FILE *f)
{
	fprintf(f, "usage: hv [--debug] [-c ssh://[USER@]HOST[:PORT][?home=PATH]] COMMAND [ARGS...]\n"
		   "       (hv COMMAND --help for details; -c or HV_CONNECT: run it on that host over ssh)\n\n"
		   "commands:\n");
	for (size_t i = 0; i < cli_ncommands; i++)
		if (cli_commands[i].fn && cli_commands[i].summary)
			fprintf(f, "  %-11s %s\n", cli_commands[i].path, cli_commands[i].summary);
}

int main(int argc, char **argv)
{
	/* installed as hv-runc, hv speaks runc's command line */
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	if (!strcmp(base, "hv-runc")) {
		cli_prog = "hv-runc";
		int rc = cmd_ctr(argc, argv);
		cli_help_options();
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
	/* hv -c URI COMMAND ...: on another host (also HV_CONNECT=URI) */
	if (argc >= 2 && (!strcmp(argv[1], "-c") || !strcmp(argv[1], "--connect"))) {
		if (argc < 4) {
			fprintf(stderr, "hv: %s wants a URL and a COMMAND (hv -c ssh://HOST COMMAND ...)\n", argv[1]);
			return EXIT_USAGE;
		}
		return cli_connect(argv[2], argc - 3, argv + 3);
	}
	/* internal commands (hv's own children) always run here */
	if (argc >= 2 && strncmp(argv[1], "__", 2) && getenv("HV_CONNECT") && *getenv("HV_CONNECT"))
		return cli_connect(getenv("HV_CONNECT"), argc - 1, argv + 1);
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
	for (size_t i = 0; i < cli_ncommands; i++)
		if (cli_commands[i].fn && !strcmp(argv[1], cli_commands[i].path)) {
			err_clear(); /* a command's failure reports only its own reason */
			int rc = cli_commands[i].fn(argc - 1, argv + 1);
			cli_help_options(); /* after --help: the options, from the table */
			cli_warnings();	    /* what the library repaired on its way */
			return rc;
		}
	fprintf(stderr, "hv: unknown command '%s' (see: hv --help)\n", argv[1]);
	return EXIT_USAGE;
}
