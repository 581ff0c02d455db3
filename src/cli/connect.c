/* SPDX-License-Identifier: MIT */
/* hv -c ssh://HOST COMMAND ... (and HV_CONNECT): the command runs on another host, over ssh */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/cli.h"
#include "remote/ssh.h"
#include "util/err.h"

/* A terminal on the remote side: hv console and hv ssh, and hv exec -t,
 * when ours is one. */
bool cli_connect_wants_tty(int argc, char **argv, bool terminal)
{
	if (!terminal || argc < 1)
		return false;
	if (!strcmp(argv[0], "console") || !strcmp(argv[0], "ssh"))
		return true;
	if (strcmp(argv[0], "exec"))
		return false;
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--tty"))
			return true;
		if (argv[i][0] == '-' && argv[i][1] != '-' && strchr(argv[i], 't'))
			return true;
	}
	return false;
}

int cli_connect(const char *uri, int argc, char **argv)
{
	struct remote_url u;
	struct remote_proc rp;
	struct remote_spawn_opts so = { .batch = !isatty(0) };
	struct spawn_fd map[] = { { 0, 0 }, { 1, 1 }, { 2, 2 } };
	struct sigaction ign = { .sa_handler = SIG_IGN }, oint, oquit;
	int r, st;

	if ((r = remote_url_parse(uri, &u)) < 0) {
		fprintf(stderr, "hv: %s\n", err_msg());
		return EXIT_USAGE;
	}
	so.tty = cli_connect_wants_tty(argc, argv, isatty(0) && isatty(1));
	r = remote_spawn(&u, &so, argv, map, 3, &rp);
	remote_url_free(&u);
	if (r < 0) {
		fprintf(stderr, "hv: %s\n", err_msg());
		return EXIT_FAIL;
	}
	/* the terminal's signals are for ssh (and the remote hv): ours waits */
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	r = remote_reap(&rp, -1, &st);
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	if (r < 0) {
		fprintf(stderr, "hv: %s\n", err_msg());
		return EXIT_FAIL;
	}
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WIFEXITED(st) ? WEXITSTATUS(st) : EXIT_FAIL;
}
