/* SPDX-License-Identifier: MIT */
/* Untrusted text made safe for a terminal (see text.h; the sequences are
 * those of ECMA-48, 5th edition, sections 5.3-5.6 and 8.3.89). */
#include "util/text.h"

#include <stdbool.h>
#include <stdint.h>

#define ESC 0x1b
#define BEL 0x07

/* Length of the valid UTF-8 sequence at p (at most n bytes) and its code
 * point, 0 when p does not start one. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) {
		len = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		len = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		len = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	/* overlong forms, UTF-16 surrogates and values past Unicode are not UTF-8 */
	if (c < min || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* The next "character" at in[i]: a code point and its length in bytes
 * (an invalid byte is itself, length 1, flagged by *bad). */
static size_t next_char(const uint8_t *in, size_t len, size_t i, uint32_t *cp, bool *bad)
{
	size_t k = utf8_decode(in + i, len - i, cp);

	*bad = k == 0;
	if (k == 0) {
		*cp = in[i];
		k = 1;
	}
	return k;
}

/* A C1 control, as a raw byte or as its UTF-8 form (ESC + Fe is its 7-bit form). */
static bool is_c1(uint32_t cp)
{
	return cp >= 0x80 && cp <= 0x9f;
}

/* Skip a control string (OSC, DCS, SOS, PM, APC) from i: up to and
 * including its terminator (BEL, ESC \, ST), or to the end. */
static size_t skip_string(const uint8_t *in, size_t len, size_t i)
{
	while (i < len) {
		uint32_t cp;
		bool bad;
		size_t k = next_char(in, len, i, &cp, &bad);
		if (cp == BEL || cp == 0x9c)
			return i + k;
		if (cp == ESC)
			return i + 1 < len && in[i + 1] == '\\' ? i + 2 : i + 1;
		i += k;
	}
	return len;
}

/* Skip a CSI's parameters, intermediates and final byte from i. */
static size_t skip_csi(const uint8_t *in, size_t len, size_t i)
{
	while (i < len && in[i] >= 0x20 && in[i] <= 0x3f)
		i++;
	while (i < len && in[i] >= 0x20 && in[i] <= 0x2f)
		i++;
	if (i < len && in[i] >= 0x40 && in[i] <= 0x7e)
		i++;
	return i;
}

/* Skip what a C1 control (in its 8-bit or 7-bit form) introduces. */
static size_t skip_c1(const uint8_t *in, size_t len, size_t i, uint32_t c1)
{
	switch (c1) {
	case 0x9b: /* CSI */
		return skip_csi(in, len, i);
	case 0x90: /* DCS */
	case 0x98: /* SOS */
	case 0x9d: /* OSC */
	case 0x9e: /* PM */
	case 0x9f: /* APC */
		return skip_string(in, len, i);
	default:
		return i;
	}
}

/* Skip an escape sequence whose ESC is at in[i - 1]. */
static size_t skip_escape(const uint8_t *in, size_t len, size_t i)
{
	if (i >= len)
		return i;
	if (in[i] >= 0x40 && in[i] <= 0x5f) /* ESC Fe: the 7-bit form of a C1 control */
		return skip_c1(in, len, i + 1, (uint32_t)in[i] + 0x40);
	while (i < len && in[i] >= 0x20 && in[i] <= 0x2f) /* intermediates */
		i++;
	if (i < len && in[i] >= 0x30 && in[i] <= 0x7e) /* final */
		i++;
	return i;
}

size_t text_sanitize(char *out, size_t outsz, const void *data, size_t len, int flags)
{
	const uint8_t *in = data;
	size_t o = 0, i = 0;

	if (outsz == 0)
		return 0;
	while (i < len) {
		uint32_t cp;
		bool bad;
		size_t k = next_char(in, len, i, &cp, &bad);
		const uint8_t *src = in + i;
		i += k;
		if (cp == ESC) {
			i = skip_escape(in, len, i);
			continue;
		}
		if (is_c1(cp)) {
			/* a raw byte 0x80-0x9f (bad) or U+0080-U+009F: both are C1 */
			i = skip_c1(in, len, i, cp);
			continue;
		}
		if (cp == '\n' || cp == '\t') {
			src = (const uint8_t *)((flags & TEXT_KEEP_NEWLINES) ? (cp == '\n' ? "\n" : "\t") : " ");
			k = 1;
		} else if (cp < 0x20 || cp == 0x7f) {
			continue;
		} else if (bad) {
			src = (const uint8_t *)"?";
			k = 1;
		}
		if (o + k >= outsz)
			break;
		for (size_t j = 0; j < k; j++)
			out[o++] = (char)src[j];
	}
	out[o] = '\0';
	return o;
}
