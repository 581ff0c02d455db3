/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Part of the per-VM monitor: it lets many `hv exec` processes share the
 * one guest channel.  Each connects to exec.sock in the VM folder and
 * speaks the channel's frames on its own session 1; the multiplexer gives
 * it a guest session, forwards its frames both ways with the number
 * rewritten, holds its EXEC until hv's init has said HELLO, and hangs the
 * command up when the client goes away.  Nothing a guest sends can make
 * it buffer without bound: a session's output beyond the window is
 * dropped.
 */
#include <poll.h>
#include <stdbool.h>

#include "guest/channel.h"

#define EXECMUX_MAX_CLIENTS 32
#define EXECMUX_MAX_POLL    (1 + EXECMUX_MAX_CLIENTS)

struct execmux;

/* Listen on exec.sock in dirfd; guest is the monitor's end of the channel. */
int execmux_open(int dirfd, struct chan *guest, struct execmux **out);
void execmux_close(struct execmux *x);
/* Fill pf (at most EXECMUX_MAX_POLL); lowers *timeout_ms for deadlines. */
int execmux_poll_fds(struct execmux *x, struct pollfd *pf, int *timeout_ms);
void execmux_handle(struct execmux *x, const struct pollfd *pf, int n);
/* The guest's init said HELLO (a boot, or a reboot: running sessions are lost). */
void execmux_guest_hello(struct execmux *x);
/* A frame of a command's session from the guest. */
void execmux_guest_frame(struct execmux *x, const struct hvp_frame *f);
/* The guest channel is gone (QEMU exiting): end every client. */
void execmux_guest_gone(struct execmux *x);
