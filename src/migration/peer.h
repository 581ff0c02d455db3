/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The two ends of a migration talk in JSON lines, one object each with
 * an "op": the source's hv runs the destination's (hv __migrate-in) as a
 * child, over a pipe pair, or over ssh on another host.  The end of the
 * stream is the end of the other side.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PEER_LINE_MAX (1 << 20)

struct remote_proc;
struct remote_url;

struct peer {
	int in, out;		 /* read from in, write to out */
	pid_t pid;		 /* the child at the other end (the source's view), or 0 */
	struct remote_proc *ssh; /* or the ssh running it on another host */
	char *buf;
	size_t used;
	const char *what; /* "the destination" / "the source", for messages */
};

/* Start the destination side: hv __migrate-in --home HOME NAME, locally
 * (this binary) . */
int peer_spawn_local(const char *home, const char *name, struct peer *p);
/* The same on u's host over ssh: hv __migrate-in [--home PATH] NAME
 * (remote/ssh.h); when ssh itself fails, the peer's "went away" says why. */
int peer_spawn_ssh(const struct remote_url *u, const char *name, struct peer *p);
/* The destination's view: stdin and stdout. */
void peer_init_fds(struct peer *p, int in, int out, const char *what);
/* Send {"op": op, ...obj's other members} (obj may be NULL); takes obj. */
int peer_send(struct peer *p, const char *op, struct json_object *obj);
/* Send {"op": "error", "message": the recorded error}. */
void peer_send_error(struct peer *p);
/* Is a whole line waiting already (no need to poll)? */
bool peer_has_line(const struct peer *p);
/* Read the next object (timeout_ms < 0: no limit); *op points into it.
 * An {"op": "error"} from the other side becomes -EIO with its message;
 * the end of the stream -ECONNRESET. */
int peer_recv(struct peer *p, int timeout_ms, struct json_object **obj, const char **op);
/* The same, requiring op want. */
int peer_expect(struct peer *p, int timeout_ms, const char *want, struct json_object **obj);
/* Close both directions and reap the child (SIGKILL after wait_ms). */
void peer_close(struct peer *p, int wait_ms);
