/* SPDX-License-Identifier: MIT */
#pragma once
/* One upgraded WebSocket connection: its socket (non-blocking), the
 * bytes received but not yet parsed, and sending frames with a deadline
 * (a client that does not read in time is dropped, never waited for). */
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "web/ws.h"

struct wsio {
	int fd;
	struct MHD_UpgradeResponseHandle *urh;
	uint8_t in[WS_MAX_PAYLOAD + 14];
	size_t inlen;
	uint8_t out[WS_MAX_PAYLOAD]; /* the payload wsio_next hands out */
	bool closing;		     /* a close frame was sent */
};

/* A connection from libmicrohttpd's upgrade (extra: bytes it read past
 * the request); NULL when out of memory. */
struct wsio *wsio_new(int fd, struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t extra_len);
/* Give the connection back to libmicrohttpd, which closes it. */
void wsio_free(struct wsio *w);
/* Send one frame, waiting at most timeout_ms for the client to take it. */
int wsio_send(struct wsio *w, enum ws_opcode op, const void *data, size_t len, int timeout_ms);
/* Send n bytes on a socket without blocking past deadline (proc_now_ms
 * time): 0, -ETIMEDOUT, or -EPIPE (the peer is gone). */
int wsio_send_until(int fd, const void *data, size_t n, uint64_t deadline);
/* Send a close frame (code, reason) once. */
void wsio_close(struct wsio *w, uint16_t code, const char *reason);
/* Read what the socket has (non-blocking): 1 read something, 0 nothing
 * now, -EPIPE the client went away. */
int wsio_fill(struct wsio *w);
/* The next complete data frame's payload, answering pings and closes:
 * 1 with *data and *len (valid until the next call), 0 none yet, negative
 * when the connection should end (close sent). */
int wsio_next(struct wsio *w, const uint8_t **data, size_t *len);
