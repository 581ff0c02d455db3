/* SPDX-License-Identifier: MIT */
/* Base64 encoding and strict decoding (see base64.h). */
#include "util/base64.h"

#include <errno.h>
#include <stdlib.h>

#include "util/cleanup.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(const char *s, size_t len, uint8_t **out, size_t *out_len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t o = 0;

	*out = NULL;
	*out_len = 0;
	if (len % 4)
		return -EINVAL;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == len && j >= 2 && (j == 3 || s[i + 3] == '=')) {
				v[j] = 0;
				pad++;
			} else if ((v[j] = b64_value(s[i + j])) < 0) {
				return -EINVAL;
			}
		}
		uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
		buf[o++] = (uint8_t)(w >> 16);
		if (pad < 2)
			buf[o++] = (uint8_t)(w >> 8);
		if (pad < 1)
			buf[o++] = (uint8_t)w;
	}
	*out = TAKE_PTR(buf);
	*out_len = o;
	return 0;
}

char *base64_encode(const void *data, size_t len)
{
	const uint8_t *s = data;
	char *out = malloc((len + 2) / 3 * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t w =
		    (uint32_t)s[i] << 16 | (i + 1 < len ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < len ? s[i + 2] : 0);
		*p++ = alphabet[w >> 18 & 63];
		*p++ = alphabet[w >> 12 & 63];
		*p++ = i + 1 < len ? alphabet[w >> 6 & 63] : '=';
		*p++ = i + 2 < len ? alphabet[w & 63] : '=';
	}
	*p = '\0';
	return out;
}
