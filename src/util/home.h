/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

/* hv's state folder: $HV_HOME, else /var/lib/hv for root and
 * ~/.local/share/hv otherwise.  Must be absolute. */
int hv_home(char *buf, size_t n);
