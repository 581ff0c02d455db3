/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The foreground terminal of `hv-runc run` and `exec --tty` without a
 * --console-socket: hv holds the pseudo-terminal's master and relays it
 * to its own stdin and stdout (raw when stdin is a terminal, with the
 * window size kept in step), as runc does for interactive use.
 */

/* Relay until the container's side of the terminal closes (every
 * process holding it ended) or, when stdin is not a terminal, stdin's
 * end has been sent and the output drained.  Restores the terminal. */
int pty_relay(int master);
