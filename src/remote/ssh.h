/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv on another host over ssh: ssh://[USER@]HOST[:PORT][?home=PATH] URLs,
 * and ssh run as a child with `hv ARGS...` as the remote command (hv
 * migrate's destination, hv -c).  No daemon: the remote side is hv, found
 * on the remote PATH (or $HV_REMOTE_HV, a path on the remote host), with
 * HV_HOME=PATH in its environment for ?home=.  $HV_SSH_CONFIG names an
 * ssh_config file given to ssh with -F.  ssh's own messages go to a
 * memfd (ssh -E), so that its failure (exit 255) becomes one line:
 * "cannot reach HOST over ssh: <ssh's reason>".
 */
#include <stdbool.h>
#include <sys/types.h>

#include "util/proc.h"

#define REMOTE_URL_FORM "ssh://[USER@]HOST[:PORT][?home=PATH]"

struct remote_url {
	char *user;    /* NULL: ssh's default */
	char *host;    /* a name, an IPv4 address or an IPv6 one (without brackets) */
	unsigned port; /* 0: ssh's default */
	char *home;    /* NULL: the remote's default store */
};

/* Does s name a remote (it has a scheme: "xyz://")? */
bool remote_is_url(const char *s);
/* Parse strictly; a bad URL is -EINVAL with a one-line reason that shows
 * the accepted form.  Free with remote_url_free. */
int remote_url_parse(const char *s, struct remote_url *u);
void remote_url_free(struct remote_url *u);

/* One argument quoted for a POSIX shell ('...', with ' as '\''); NULL:
 * no memory. */
char *remote_shell_quote(const char *s);

struct remote_spawn_opts {
	bool batch;    /* -o BatchMode=yes: never ask for a password */
	bool tty;      /* -t (else -T) */
	bool new_pgrp; /* ssh in its own process group (the terminal's signals are hv's) */
};

/* A running ssh. */
struct remote_proc {
	pid_t pid;
	int log;    /* memfd with ssh's own messages */
	char *host; /* for messages */
};

/* The ssh command line running `hv ARGS...` on u's host (ARGS ends with
 * NULL), into *argv (a NULL-terminated malloc'ed vector, free with
 * remote_argv_free).  log_path: ssh -E's file, or NULL. */
int remote_ssh_argv(const struct remote_url *u, const struct remote_spawn_opts *o, const char *log_path,
		    char *const args[], char ***argv);
void remote_argv_free(char **argv);
/* Start ssh for `hv ARGS...` with map's fds (stdin/stdout/stderr). */
int remote_spawn(const struct remote_url *u, const struct remote_spawn_opts *o, char *const args[],
		 const struct spawn_fd *map, size_t nmap, struct remote_proc *rp);
/* ssh ended with wait status st: when it failed itself (exit 255),
 * record "cannot reach HOST over ssh: <its last message>" and return
 * -EHOSTUNREACH; else 0. */
int remote_check_exit(const struct remote_proc *rp, int st);
/* Wait for ssh (at most wait_ms, then SIGKILL it; < 0: no limit), check
 * its exit as remote_check_exit does, and free rp's resources.  *status
 * (may be NULL): its wait status, -1 when it had to be killed. */
int remote_reap(struct remote_proc *rp, int wait_ms, int *status);
