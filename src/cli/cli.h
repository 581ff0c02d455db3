/* SPDX-License-Identifier: MIT */
#pragma once
/* The command line: one function per command; they parse, call the
 * library, and are the only code that prints. */
#include <getopt.h>
#include <stdbool.h>

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
int cmd_monitor(int argc, char **argv); /* internal: the per-VM monitor process */

/* "hv CMD: <recorded error>" on stderr; returns EXIT_FAIL. */
int cli_fail(const char *cmd);
/* getopt_long wrapper with hv's messages for unknown options and missing
 * values.  Returns the option, -1 at the end, or '?' after printing.
 * Options may follow operands unless shortopts starts with '+'. */
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts, const char *cmd);
/* "hv CMD: <msg>" + usage hint; returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Require exactly one positional NAME after the options. */
int cli_one_name(int argc, char **argv, const char *cmd, const char **name);
/* Print the TCG notice once per store. */
void cli_accel_notice(const char *why);
