/* SPDX-License-Identifier: MIT */
#pragma once
/* The NETINFO report of hv's init (guest/proto.h): "IFACE MAC ADDR/PREFIX"
 * lines, ADDR "-" without a lease.  The guest is untrusted: only
 * well-formed lines are kept. */
#include <stddef.h>
#include <stdint.h>

#define NETINFO_MAX 1024 /* a longer report is ignored */

/* The well-formed lines of the payload p (n bytes), each "IFACE MAC ADDR\n"
 * with IFACE reduced to [a-z0-9_], into out (always terminated, whole
 * lines only).  -EMSGSIZE (nothing written) when n is over NETINFO_MAX. */
int netinfo_clean(const uint8_t *p, size_t n, char *out, size_t outsz);
