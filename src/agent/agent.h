/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv exec and hv cp through a VM's QEMU guest agent (distribution images
 * with qemu-guest-agent; the default guest has hv's own channel).
 * vmdir is the VM's folder (its agent.sock and agent.lock).
 *
 * Limits of the agent (QEMU 7.2's qemu-ga): no terminal; stdin is sent
 * whole with the command (at most AGENT_STDIN_MAX bytes, read before the
 * command starts); stdout and stderr come back only when the command has
 * ended, each at most 16 MiB (more is dropped by the agent, and said in
 * st->message); no signal reaches the command.
 */
#include <stdint.h>

#include "guest/exec.h"

#define AGENT_STDIN_MAX (8u << 20)

/* Run req in the guest; 0 with *st filled when the command ran (or was
 * not found: code 127, or not executable: 126); an error when it could
 * not be asked.  req->tty is an error (-ENOTSUP).  sigfd (-1: none): a
 * signalfd of the caller; SIGINT, SIGTERM, SIGHUP and SIGQUIT read from
 * it are sent to the command with kill(1) in the guest. */
int agent_exec(int vmdir, const struct exec_request *req, int sigfd, struct exec_status *st);

/* Progress of a copy: done of total bytes (total 0: unknown); the same
 * shape as manager/guestcp.h's cp_progress_fn. */
typedef void (*agent_progress_fn)(void *ctx, unsigned long long done, unsigned long long total);

/* Copy a host file or directory into the guest, as cp -r would: into
 * guest_dst when that is a directory, else to that name (its parent must
 * exist).  Modes are kept. */
int agent_copy_in(int vmdir, const char *host_src, const char *guest_dst, agent_progress_fn cb, void *ctx);
/* The reverse. */
int agent_copy_out(int vmdir, const char *guest_src, const char *host_dst, agent_progress_fn cb, void *ctx);

/* Run argv as it is (root, in "/", PATH only) and wait: *code its exit
 * status (128 + N: killed by signal N), *out its stdout (malloc'ed,
 * NUL-terminated).  For hv's own small commands in the guest. */
int agent_run(int vmdir, char *const *argv, int *code, char **out);
