/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * One end of a framed hv channel stream (framing in guest/proto.h): the
 * host's end of the guest's port, or either end of a connection between
 * `hv exec` and the VM's monitor, which speak the same frames.  Frames
 * out are queued and written without blocking (chan_flush); frames in are
 * checked against the peer's side of the protocol.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/proto.h"

struct chan {
	int fd;
	struct hvp_decoder dec; /* frames the peer may send */
	uint8_t *out;		/* queued bytes, out[out_off..out_len) still to write */
	size_t out_off, out_len, out_cap;
	bool broken; /* the peer violated the protocol: ignore it from now on */
};

/* peer: the side whose frames arrive on fd (HVP_GUEST on the host). */
int chan_init(struct chan *c, int fd, enum hvp_side peer);
void chan_free(struct chan *c); /* does not close fd */
/* Queue a frame this end may send (the type's sender is not the peer). */
int chan_queue(struct chan *c, int type, unsigned session, const void *payload, size_t len);
/* Write what is queued without blocking: 0 when all is out, 1 when some
 * is left (wait for POLLOUT), -ECONNRESET when the peer is gone. */
int chan_flush(struct chan *c);
/* Queue and write everything, waiting as long as it takes. */
int chan_send(struct chan *c, int type, unsigned session, const void *payload, size_t len);
static inline bool chan_pending(const struct chan *c)
{
	return c->out_len > c->out_off;
}
/* Fails with -E2BIG (reason recorded, naming the limit) when argv and
 * envp do not fit in one EXEC frame: checked before a VM boots. */
int chan_exec_check(char *const argv[], char *const envp[]);
/* The EXEC payload for a command (terminal: 0, 'T' the console, 'P' a
 * pseudo-terminal, with rows x cols); malloc'ed into *out. */
int chan_exec_encode(char *const argv[], char *const envp[], const char *workdir, const char *user, char terminal,
		     int rows, int cols, uint8_t **out, size_t *len);
/* Read what arrived and call on_frame for each valid frame.  Returns 0,
 * -ECONNRESET at end of stream, or -EPROTO with the violation recorded
 * (then the channel is marked broken and further input is discarded). */
int chan_read(struct chan *c, void (*on_frame)(void *ctx, const struct hvp_frame *f), void *ctx);
