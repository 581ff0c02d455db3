/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A client of the QEMU Machine Protocol (docs/interop/qmp-spec): JSON
 * objects over a stream socket.  The server greets with {"QMP": ...}; the
 * client must send qmp_capabilities before any other command; replies
 * ({"return": ...} or {"error": ...}) carry the "id" of their command;
 * asynchronous events ({"event": ...}) may arrive at any time, also
 * between a command and its reply, and are queued for the caller.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

/* Splits a byte stream into JSON objects; no I/O (unit-tested alone). */
struct qmp_parser {
	json_tokener *tok;
	size_t pending; /* bytes fed since the last complete object */
	bool broken;
};

#define QMP_MESSAGE_MAX (1 << 20) /* QEMU is semi-trusted: bound what we hold */

int qmp_parser_init(struct qmp_parser *p);
void qmp_parser_free(struct qmp_parser *p);
/* Feed bytes; each complete object is passed to cb (which takes
 * ownership).  Returns -EPROTO on malformed input or an oversized message. */
int qmp_parser_feed(struct qmp_parser *p, const char *data, size_t n, void (*cb)(struct json_object *obj, void *ctx),
		    void *ctx);

/* The connection itself (qmp_open_at, qmp_open_fd, qmp_attach_fd,
 * qmp_close): engine/qmp-conn.h; every command hv uses, typed:
 * engine/qmp-ops.h.  What follows is the JSON level, for src/engine only. */
#include "engine/qmp-conn.h"

/* Connect to a listening QMP socket by path (reached through its folder,
 * so it may be long) and finish the handshake. */
int qmp_open_path(const char *path, int timeout_ms, struct qmp **out);

/* Run a command; *ret (optional) receives the "return" value.  An
 * {"error"} reply becomes -EIO with QEMU's description as the reason; a
 * reply with neither is -EPROTO. */
int qmp_execute(struct qmp *q, const char *command, struct json_object *args, struct json_object **ret, int timeout_ms);
/* The same in two steps, so that several commands can be in flight
 * (QEMU answers them in order): qmp_send sends one and gives its id;
 * qmp_await waits for that reply (timeout_ms 0: only what has arrived). */
int qmp_send(struct qmp *q, const char *command, struct json_object *args, unsigned *id);
int qmp_await(struct qmp *q, unsigned id, const char *command, struct json_object **ret, int timeout_ms);
/* Has the reply to id arrived (read by qmp_pump or a wait)? */
bool qmp_has_reply(const struct qmp *q, unsigned id);
/* Hand an fd to QEMU under a name (getfd, with SCM_RIGHTS), e.g. for
 * "migrate" to "fd:NAME". */
int qmp_send_fd(struct qmp *q, int fd, const char *name, int timeout_ms);
/* Next queued or arriving event; -ETIMEDOUT after timeout_ms (-1: wait
 * forever; 0: only what is queued or readable now, and then nothing is
 * recorded as an error), -ECONNRESET when QEMU closed the connection. */
int qmp_next_event(struct qmp *q, int timeout_ms, struct json_object **event);
