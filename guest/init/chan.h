/* SPDX-License-Identifier: MIT */
#pragma once
/* The guest end of the hv guest channel: the virtio-serial port named
 * org.hv.channel.0 (framing in src/guest/proto.h). */
#include <stddef.h>

/* Find and open the port, waiting up to wait_ms for the driver to
 * announce it; -1 when the VM has none (plain QEMU, an old hv). */
int gchan_open(int wait_ms);
int gchan_fd(void);
/* Send one frame (blocking: hv on the host always reads). */
void gchan_send(int type, unsigned session, const void *data, size_t len);
