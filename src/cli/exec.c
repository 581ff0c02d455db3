/* SPDX-License-Identifier: MIT */
/* hv exec NAME [options] [-- COMMAND...]: run a command in a running VM. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "cli/cli.h"
#include "manager/guestexec.h"
#include "util/err.h"
#include "util/strv.h"
#include "util/tty.h"

#define EXEC_FAILED 125 /* hv could not run the command (as docker exec) */

static const char exec_usage[] =
    "usage: hv exec NAME [-t|--tty] [-e|--env K=V]... [-w|--workdir DIR] [-u|--user USER] [-- COMMAND...]\n"
    "Runs COMMAND in the running VM NAME (a login shell without one) with stdin, stdout and stderr relayed\n"
    "and exits with its status (128+N when signal N ended it; 125 when hv could not run it; 255 when the\n"
    "VM stopped or restarted while it ran).  --tty gives\n"
    "it a terminal (the default without a COMMAND when stdin is one).  Ctrl-C and other signals sent to\n"
    "hv exec go to the command.";

/* SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH are read from a signalfd
 * while the command runs, so they reach it instead of ending hv. */
static int block_signals(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGWINCH);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_BLOCK, &set, old);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int cmd_exec(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tty", no_argument, NULL, 't' },	     { "env", required_argument, NULL, 'e' },
		{ "workdir", required_argument, NULL, 'w' }, { "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },	     { NULL, 0, NULL, 0 }
	};
	static char *const shell[] = { "/bin/sh", "-l", NULL };
	_cleanup_strv_ struct strv env = { 0 };
	struct exec_request req = { .in = 0, .out = 1, .err = 2 };
	struct exec_status st = { 0 };
	struct tty_saved saved = { 0 };
	bool tty = false;
	sigset_t old;
	const char *name;
	int c, r, sigfd;

	while ((c = cli_getopt(argc, argv, "+te:w:u:h", opts, "exec")) != -1) {
		switch (c) {
		case 't':
			tty = true;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error("exec", "--env takes NAME=VALUE, not '%s'", optarg);
			if (strv_add(&env, optarg) < 0)
				return cli_fail("exec");
			break;
		case 'w':
			req.workdir = optarg;
			break;
		case 'u':
			req.user = optarg;
			break;
		case 'h':
			puts(exec_usage);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("exec", "which VM? %s", exec_usage);
	name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	req.argv = optind < argc ? argv + optind : shell;
	if (optind >= argc && isatty(0) && isatty(1))
		tty = true;
	if (tty && !isatty(0))
		return cli_usage_error("exec", "--tty needs a terminal on stdin");
	req.tty = tty;
	req.env = env.n ? env.v : NULL;

	sigfd = block_signals(&old);
	if (tty && (r = tty_raw_enter(0, &saved)) < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		cli_fail_code("exec", r);
		return EXEC_FAILED;
	}
	r = vm_exec(name, &req, sigfd, &st);
	tty_restore(&saved);
	close(sigfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		cli_fail_code("exec", r);
		return EXEC_FAILED;
	}
	if (st.message[0])
		fprintf(stderr, "hv exec: %s\n", st.message);
	return st.signaled ? 128 + st.code : st.code;
}
