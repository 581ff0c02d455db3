/* SPDX-License-Identifier: MIT */
#pragma once
/* The guest end of the hv guest channel on ttyS1 (framing in src/guest/proto.h). */
#include <stddef.h>

int gchan_open(void); /* -1 when the VM has no channel */
int gchan_fd(void);
void gchan_send(int type, const void *data, size_t len);
