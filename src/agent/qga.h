/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A client of the QEMU guest agent (QGA, qemu-ga): JSON commands over the
 * host end of the guest's virtio-serial port "org.qemu.guest_agent.0"
 * (QEMU's docs/interop/qemu-ga-ref, the "guest-sync-delimited" command).
 * The agent is untrusted: every reply is bounded (QGA_REPLY_MAX), must be
 * one JSON object on one line with no NUL byte, and is read with a
 * deadline.  Replies carry no id, so on connect and after every timeout
 * or malformed reply the client resynchronizes: it sends a 0xFF byte (to
 * reset the agent's parser) and guest-sync-delimited with a fresh id,
 * then skips everything up to the 0xFF the agent puts before that reply,
 * and accepts only the reply with the same id.
 */
#include <json-c/json.h>
#include <stdbool.h>

struct qga;

/* Replies longer than this are an error: the largest expected reply is
 * guest-exec-status with the agent's 16 MiB output buffer in base64. */
#define QGA_REPLY_MAX (24u << 20)

#define QGA_TIMEOUT_MS	     10000 /* a command's default deadline */
#define QGA_SYNC_TIMEOUT_MS  5000  /* answering guest-sync-delimited: is there an agent at all? (TCG, busy host) */
#define QGA_PROBE_TIMEOUT_MS 1500  /* hv info / hv ip: a short look */

/* Connect to the VM folder's agent.sock, holding agent.lock (waiting at
 * most lock_ms for another hv command to finish), and resync within
 * sync_ms.  -ENOENT / -ECONNREFUSED: no agent port (VM not running or
 * made without one); -ETIMEDOUT: no agent answers in the guest. */
int qga_open_at(int vmdir, int lock_ms, int sync_ms, struct qga **out);
/* The same on a connected stream socket (taken over; tests use a
 * socketpair); no lock. */
int qga_open_fd(int fd, int sync_ms, struct qga **out);
void qga_close(struct qga *g);
static inline void qga_closep(struct qga **g)
{
	qga_close(*g);
}
#define _cleanup_qga_ __attribute__((cleanup(qga_closep)))

/* guest-sync-delimited: skip whatever is pending, until the agent echoes
 * a fresh id.  -ETIMEDOUT, -EPROTO, -ECONNRESET with the reason recorded. */
int qga_sync(struct qga *g, int timeout_ms);
/* Run command with args (an object, or NULL; not consumed).  *ret
 * (optional) receives the "return" value (the caller puts it).  An
 * {"error"} reply is -EIO (-EOPNOTSUPP for CommandNotFound /
 * CommandDisabled) with the agent's description, sanitized. */
int qga_execute(struct qga *g, const char *command, struct json_object *args, int timeout_ms, struct json_object **ret);
/* For commands that answer only on failure (guest-shutdown): send, and
 * wait up to wait_ms for an error reply.  0 when none came. */
int qga_execute_noreply(struct qga *g, const char *command, struct json_object *args, int wait_ms);
/* A reply's shape was wrong: -EINVAL from util/json becomes -EPROTO,
 * keeping its message; other codes pass. */
int qga_proto_error(int r);
