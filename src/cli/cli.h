/* SPDX-License-Identifier: MIT */
#pragma once
/* The command line: one function per command; they parse, call the
 * library, and are the only code that prints. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "manager/nics.h"

/* Exit codes: 0 success, 1 the operation failed, 2 bad usage. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

int cmd_run(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_set(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_ip(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_disk(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_ctr(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_save(int argc, char **argv);
int cmd_attach_disk(int argc, char **argv);
int cmd_detach_disk(int argc, char **argv);
int cmd_ssh(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_ui(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_vnc(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_completion(int argc, char **argv);
int cmd_monitor(int argc, char **argv);	 /* internal: the per-VM monitor process */
int cmd_complete(int argc, char **argv); /* internal: hv __complete, the completion scripts' callback */
int cmd_man(int argc, char **argv);	 /* internal: hv __man PAGE, a man page in roff */
int cmd_migrate(int argc, char **argv);
int cmd_migrate_in(int argc, char **argv); /* internal: the destination's side of hv migrate */
/* hv -c URI COMMAND ARGS... (argv[0] is COMMAND): run it on another host
 * over ssh; returns the remote hv's exit code. */
int cli_connect(const char *uri, int argc, char **argv);
/* Does the remote command want a terminal (ssh -t)? */
bool cli_connect_wants_tty(int argc, char **argv, bool terminal);

/* "hv CMD: <reason>" on stderr for a call that returned r (a negative
 * errno): the reason recorded with r, else strerror(-r), so a bare
 * `return -errno` never prints "unknown error" or an older message.
 * Returns EXIT_FAIL. */
int cli_fail_code(const char *cmd, int r);
/* "hv: warning: ..." on stderr for each warning the library left
 * (err_warn: a damaged record it rebuilt); cli_fail* and main call it. */
void cli_warnings(void);
/* The same with whatever was recorded last (prefer cli_fail_code). */
int cli_fail(const char *cmd);
/* getopt_long wrapper with hv's messages for unknown options and missing
 * values.  Returns the option, -1 at the end, or '?' after printing.
 * Options may follow operands unless shortopts starts with '+'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *cmd);
/* After a command printed its --help text: its options, from the command
 * table (main calls it, so no option is ever missing from --help). */
void cli_help_options(void);
/* Tests only (test_cmdtable): called with each cli_getopt's option arrays. */
extern void (*cli_getopt_hook)(const char *shortopts, const struct option *longopts);
/* "hv CMD: <msg>" + usage hint; returns EXIT_USAGE. */
/* "hv", or "hv-runc" when hv runs under that name: usage errors say it. */
extern const char *cli_prog;
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Require exactly one positional NAME after the options. */
int cli_one_name(int argc, char **argv, const char *cmd, const char **name);
/* The VM options that hv run and hv create share. */
struct cli_vm_opts {
	unsigned cpus;
	uint64_t memory_mib;
	const char *disks[ENGINE_MAX_DISKS];
	unsigned ndisks;
	const char *kernel, *initrd, *cmdline;
	enum machine machine;
	bool machine_set; /* --machine was given */
	enum accel accel;
	struct nic_request nics;
	const char *shares[ENGINE_MAX_SHARES]; /* --share HOSTDIR[:TAG][,ro] */
	unsigned nshares;
};
#define CLI_VM_SHORTOPTS "c:m:"
/* clang-format off */
#define CLI_VM_LONGOPTS                                                     \
	{ "cpus", required_argument, NULL, 'c' },                           \
	{ "memory", required_argument, NULL, 'm' },                         \
	{ "disk", required_argument, NULL, 'd' },                           \
	{ "kernel", required_argument, NULL, 'k' },                         \
	{ "initrd", required_argument, NULL, 'i' },                         \
	{ "cmdline", required_argument, NULL, 'a' },                        \
	{ "machine", required_argument, NULL, 'M' },                        \
	{ "accel", required_argument, NULL, 'A' },                          \
	{ "nic", required_argument, NULL, 'N' },                            \
	{ "forward", required_argument, NULL, 'F' },                        \
	{ "share", required_argument, NULL, 'S' }
/* clang-format on */
void cli_vm_opts_init(struct cli_vm_opts *o);
/* Apply option c: 1 when it was a VM option, 0 when it is not one, a
 * negative errno when its value is invalid (the reason is recorded). */
int cli_vm_option(int c, const char *arg, struct cli_vm_opts *o);
/* --nic and --forward alone (hv set). */
int cli_nic_option(int c, const char *arg, struct nic_request *n);
/* Print the TCG notice once per store. */
void cli_accel_notice(const char *why);
