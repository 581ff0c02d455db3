/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The host's side of one command in the default guest: what hv exec and
 * hv run share.  It turns an exec_request into an EXEC frame, relays the
 * host's stdin with the guest's credit, writes STDOUT/STDERR out and
 * acknowledges them, forwards signals and terminal sizes, and keeps the
 * exit status.  It only queues frames on a chan; the caller's loop polls.
 */
#include <stdbool.h>
#include <stdint.h>

#include "guest/channel.h"
#include "guest/exec.h"

struct gsess {
	struct chan *ch;
	unsigned id;
	const struct exec_request *req;
	uint32_t credit; /* stdin bytes the guest can still take */
	bool started, stdin_open, out_broken, err_broken;
	bool ended;		  /* EXIT arrived: st is valid */
	unsigned long long moved; /* stdin sent plus output written */
	struct exec_status st;
	char error[256]; /* the guest's ERROR text, raw (sanitize before showing) */
};

void gsess_init(struct gsess *s, struct chan *ch, unsigned id, const struct exec_request *req);
/* Queue the EXEC (terminal: 0, 'T' the guest's console, 'P' a new
 * pseudo-terminal of rows x cols). */
int gsess_start(struct gsess *s, char terminal, int rows, int cols);
/* Whether the caller should poll req->in for reading. */
bool gsess_wants_stdin(const struct gsess *s);
/* req->in is readable: move what the credit allows (EOF: STDIN_EOF). */
int gsess_pump_stdin(struct gsess *s);
/* A frame of this session (session 0 and others' frames are ignored). */
void gsess_on_frame(struct gsess *s, const struct hvp_frame *f);
int gsess_signal(struct gsess *s, int sig);
int gsess_winch(struct gsess *s, int rows, int cols);

/* Run a command to its end over fd (a connection to the VM's monitor):
 * the whole loop, for hv exec.  sigfd: a signalfd the caller set up for
 * SIGINT/SIGTERM/SIGHUP/SIGQUIT (forwarded to the command) and SIGWINCH
 * (terminal size), or -1.  Returns 0 with *st filled, or a negative errno
 * with the reason recorded. */
int gsess_run(int fd, const struct exec_request *req, int sigfd, struct exec_status *st);
