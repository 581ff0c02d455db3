/* SPDX-License-Identifier: MIT */
#pragma once
/* Base64 (RFC 4648 section 4, with padding), for data that travels inside
 * JSON (the QEMU guest agent's file and exec data) or key files. */
#include <stddef.h>
#include <stdint.h>

/* Strict decoding: the standard alphabet, padding only at the end, no
 * white space.  "" decodes to 0 bytes (*out is then a 1-byte buffer).
 * Returns 0, -EINVAL on anything else (nothing recorded), -ENOMEM. */
int base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len);
/* A malloc'ed NUL-terminated encoding of len bytes, or NULL (no memory). */
char *base64_encode(const void *data, size_t len);
