/* SPDX-License-Identifier: MIT */
#pragma once
/* Text from an untrusted source (a guest) made safe to show on a terminal. */
#include <stddef.h>

enum text_flags {
	TEXT_KEEP_NEWLINES = 1, /* keep '\n' and '\t' (else both become a space) */
};

/*
 * Copy len bytes of untrusted text into out (outsz bytes, always
 * NUL-terminated, outsz > 0) without anything a terminal would act on:
 * whole escape sequences (ESC [ ... final, ESC ] / P / X / ^ / _ ... BEL
 * or ST, ESC + intermediates + final, and their C1 forms), every other C0
 * control, DEL and C1 control (as a byte 0x80-0x9f or as UTF-8 U+0080-
 * U+009F) are dropped; '\t' and '\n' become a space unless
 * TEXT_KEEP_NEWLINES.  Valid UTF-8 is kept; a byte that is not part of a
 * valid UTF-8 sequence becomes '?'.  A multi-byte character is never cut
 * by the end of out.  Returns the length written.
 */
size_t text_sanitize(char *out, size_t outsz, const void *in, size_t len, int flags);
