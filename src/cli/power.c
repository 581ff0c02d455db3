/* SPDX-License-Identifier: MIT */
/* hv start | stop | kill | pause | resume (and the internal __monitor) */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "manager/power.h"
#include "manager/readywait.h"
#include "util/jsonfile.h"
#include "util/err.h"

/* Commands that take only NAME and --help: 0 with *name, -1 after
 * printing the usage (the command then exits 0), or an exit code. */
static int name_only(int argc, char **argv, const char *cmd, const char *usage, const char **name)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 } };
	int c;

	while ((c = cli_getopt(argc, argv, "h", opts, cmd)) != -1) {
		if (c == 'h') {
			puts(usage);
			return -1;
		}
		return EXIT_USAGE;
	}
	return cli_one_name(argc, argv, cmd, name);
}

struct wait_print {
	bool json;
	struct json_object *phases;
};

static void print_phase(enum ready_phase phase, double secs, void *ctx)
{
	struct wait_print *w = ctx;

	if (w->json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "phase", json_object_new_string(ready_phase_name(phase)));
		json_object_object_add(o, "seconds", json_object_new_double(secs));
		json_object_array_add(w->phases, o);
		return;
	}
	printf("  %-16s %7.1f s\n", ready_phase_name(phase), secs);
	fflush(stdout);
}

int cmd_start(int argc, char **argv)
{
	static const struct option opts[] = { { "wait", no_argument, NULL, 'w' },
					      { "timeout", required_argument, NULL, 't' },
					      { "json", no_argument, NULL, 'j' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct wait_print w = { 0 };
	struct vm_started s;
	struct ready_scan scan;
	const char *name;
	bool wait = false;
	int timeout = 300, c, r;
	uint64_t mark = 0;
	char *end;

	while ((c = cli_getopt(argc, argv, "wt:h", opts, "start")) != -1) {
		if (c == 'w') {
			wait = true;
		} else if (c == 't') {
			timeout = (int)strtol(optarg, &end, 10);
			if (*end || timeout < 1 || timeout > 86400)
				return cli_usage_error(
				    "start", "--timeout needs seconds between 1 and 86400 (got '%s')", optarg);
		} else if (c == 'j') {
			w.json = true;
		} else if (c == 'h') {
			puts(
			    "usage: hv start NAME [--wait [--timeout S] [--json]]\n"
			    "Starts the VM in the background; returns once QEMU runs it.  With --wait, returns once "
			    "the\n"
			    "guest is usable (cloud-init finished and SSH answering; hv's own guest: its init is up),\n"
			    "printing each boot phase with its time.  It fails when the console shows a dead end\n"
			    "(nothing to boot, a panic, emergency mode), when the VM stops, or when the guest prints\n"
			    "nothing for S seconds (default 300): a slow guest that makes progress is never failed.");
			return 0;
		} else
			return EXIT_USAGE;
	}
	if ((r = cli_one_name(argc, argv, "start", &name)) != 0)
		return r;
	if (wait && (r = vm_console_mark(name, &mark)) < 0)
		return cli_fail_code("start", r);
	if ((r = vm_start(name, &s)) < 0)
		return cli_fail_code("start", r);
	cli_accel_notice(s.tcg_reason);
	if (!w.json)
		printf("%s VM %s (pid %d, %s)\n", s.resumed ? "resumed saved" : "started", name, s.pid,
		       accel_name(s.accel));
	if (!wait || s.resumed) /* a resumed VM continues where it was: booted already */
		return 0;
	if (w.json && !(w.phases = json_object_new_array()))
		return cli_fail_code("start", -ENOMEM);
	r = vm_wait_ready(name, mark, timeout, print_phase, &w, &scan);
	if (w.json) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "pid", json_object_new_int(s.pid));
		json_object_object_add(o, "ready", json_object_new_boolean(r == 0));
		json_object_object_add(o, "phases", w.phases);
		if (r < 0)
			json_object_object_add(o, "error", json_object_new_string(err_msg_for(r)));
		json_print(o);
		json_object_put(o);
	}
	return r < 0 ? cli_fail_code("start", r) : 0;
}

int cmd_stop(int argc, char **argv)
{
	static const struct option opts[] = { { "timeout", required_argument, NULL, 't' },
					      { "force", no_argument, NULL, 'f' },
					      { "mode", required_argument, NULL, 'm' },
					      { "help", no_argument, NULL, 'h' },
					      { NULL, 0, NULL, 0 } };
	struct vm_status final;
	const char *name;
	enum vm_stop_mode mode = VM_STOP_AUTO;
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
		case 'm':
			if (vm_stop_mode_parse(optarg, &mode) < 0)
				return cli_usage_error("stop", "%s", err_msg());
			break;
		case 'h':
			puts("usage: hv stop NAME [--timeout S] [--mode acpi|agent] [--force]\nPresses the ACPI power "
			     "button and waits (30 s by default) for the guest to power off, then cuts the power.\nA "
			     "guest that ignores the button for 10 s (or half the timeout) is asked through its QEMU\n"
			     "guest agent (guest-shutdown) too, when it runs one.\n--mode acpi: only the button; "
			     "--mode agent: only the guest agent.\n--force cuts the power at once.");
			return 0;
		default:
			return EXIT_USAGE;
		}
	}
	if ((r = cli_one_name(argc, argv, "stop", &name)) != 0)
		return r;
	if ((r = vm_stop(name, timeout, force ? VM_STOP_FORCE : mode, &final)) < 0)
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
		return r < 0 ? EXIT_OK : r;
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
		return r < 0 ? EXIT_OK : r;
	return (r = vm_pause(name)) < 0 ? cli_fail_code("pause", r) : 0;
}

int cmd_resume(int argc, char **argv)
{
	const char *name;
	int r = name_only(argc, argv, "resume", "usage: hv resume NAME", &name);

	if (r)
		return r < 0 ? EXIT_OK : r;
	return (r = vm_resume(name)) < 0 ? cli_fail_code("resume", r) : 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor_args a;

	/* hv __monitor VMDIR REPORT_FD ACCEL NTAPS STATE FLAGS */
	if (argc != 7) {
		fprintf(stderr, "hv __monitor is internal to hv start\n");
		return EXIT_USAGE;
	}
	a = (struct monitor_args){ .vmdir = argv[1],
				   .report_fd = atoi(argv[2]),
				   .accel = argv[3],
				   .ntaps = atoi(argv[4]),
				   .state = atoi(argv[5]) != 0,
				   .owner = strchr(argv[6], 'o') != NULL,
				   .channel = strchr(argv[6], 'c') != NULL };
	return monitor_main(&a);
}
