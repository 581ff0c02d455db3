/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Commands hv sends over the guest channel, many at once: each EXEC opens
 * a session (a process with pipes or a pseudo-terminal, or the console
 * for hv run's terminal mode), whose stdio and exit status travel in the
 * session's frames.  The main loops of both modes (run.c, service.c) poll
 * the fds this module hands out and pass events back.
 */
#include <poll.h>
#include <stdbool.h>
#include <sys/types.h>

#define SESS_MAX_POLL (1 + 3 * 64)

void sess_init(void);
/* Fill pf with what to wait for; returns the count.  *timeout_ms is
 * lowered when a session needs a wake-up (an exited command's output
 * draining). */
int sess_poll_fds(struct pollfd *pf, int *timeout_ms);
/* Handle what poll reported for the fds sess_poll_fds gave.  Returns -1
 * when the channel is gone (closed by the host or broken), else 0. */
int sess_handle(const struct pollfd *pf, int n);
/* A child was reaped: true when it was a session's command. */
bool sess_reaped(pid_t pid, int status);
/* Sessions started and not yet finished (their EXIT sent). */
int sess_active(void);
/* Sessions finished since boot. */
int sess_finished(void);
