/* SPDX-License-Identifier: MIT */
#pragma once
/* The host end of the hv guest channel (framing in guest/proto.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/proto.h"

struct chan_host {
	int fd;
	struct hvp_decoder dec;
	uint32_t credit; /* stdin bytes the guest can still take */
	bool broken;	 /* the guest violated the protocol: ignore it from now on */
};

void chan_init(struct chan_host *c, int fd);
int chan_send(struct chan_host *c, int type, const void *payload, size_t len);
/* Fails with -E2BIG (reason recorded, naming the limit) when argv and
 * envp do not fit in one EXEC frame: checked before a VM boots. */
int chan_exec_check(char *const argv[], char *const envp[]);
/* EXEC: the command, extra environment ("NAME=value"), and the terminal
 * size when the command gets the console as its terminal (rows 0: none). */
int chan_send_exec(struct chan_host *c, char *const argv[], char *const envp[], int rows, int cols);
/* Read what the guest sent and call on_frame for each valid frame (only
 * the types the guest may send: see hvp_sender).  Returns 0, -ECONNRESET
 * at end of stream, or -EPROTO with the violation recorded (then the
 * channel is marked broken and further input is discarded). */
int chan_read(struct chan_host *c, void (*on_frame)(void *ctx, int type, const uint8_t *p, size_t n), void *ctx);
