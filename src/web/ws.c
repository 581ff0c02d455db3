/* SPDX-License-Identifier: MIT */
/* WebSocket framing (RFC 6455 section 5) and the handshake's accept key. */
#include <errno.h>
#include <string.h>

#include "util/base64.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "web/ws.h"

static uint32_t rol(uint32_t x, int n)
{
	return (x << n) | (x >> (32 - n));
}

static void sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 |
		       p[4 * i + 3];
	for (int i = 16; i < 80; i++)
		w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (int i = 0; i < 80; i++) {
		uint32_t f, k;
		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = b ^ c ^ d, k = 0xCA62C1D6;
		uint32_t t = rol(a, 5) + f + e + k + w[i];
		e = d, d = c, c = rol(b, 30), b = a, a = t;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
}

void ws_sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0 };
	const uint8_t *p = data;
	uint8_t last[128] = { 0 };
	size_t full = len / 64 * 64, rest = len - full, tail;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i < full; i += 64)
		sha1_block(h, p + i);
	memcpy(last, p + full, rest);
	last[rest] = 0x80;
	tail = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (size_t i = 0; i < tail; i += 64)
		sha1_block(h, last + i);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

int ws_accept_key(const char *key, char out[29])
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	_cleanup_free_ uint8_t *raw = NULL;
	_cleanup_free_ char *enc = NULL;
	char buf[24 + sizeof(guid)];
	uint8_t digest[20];
	size_t n;

	if (!key || strlen(key) != 24 || base64_decode(key, 24, &raw, &n) < 0 || n != 16)
		return err_set(-EINVAL, "Sec-WebSocket-Key is not the base64 of 16 bytes");
	memcpy(buf, key, 24);
	memcpy(buf + 24, guid, sizeof(guid) - 1);
	ws_sha1(buf, 24 + sizeof(guid) - 1, digest);
	if (!(enc = base64_encode(digest, sizeof(digest))))
		return err_set(-ENOMEM, "out of memory");
	memcpy(out, enc, 29); /* 28 characters and the NUL */
	return 0;
}

long ws_parse(uint8_t *buf, size_t len, struct ws_frame *f)
{
	size_t hdr = 2;
	uint64_t plen;
	uint8_t *mask;

	if (len < 2)
		return 0;
	f->fin = buf[0] & 0x80;
	f->opcode = buf[0] & 0x0F;
	if (buf[0] & 0x70)
		return err_set(-EPROTO, "WebSocket frame with reserved bits set");
	if (!(buf[1] & 0x80))
		return err_set(-EPROTO, "unmasked WebSocket frame from a client");
	switch (f->opcode) {
	case WS_CONT:
	case WS_TEXT:
	case WS_BINARY:
		break;
	case WS_CLOSE:
	case WS_PING:
	case WS_PONG:
		if (!f->fin || (buf[1] & 0x7F) > 125)
			return err_set(-EPROTO, "WebSocket control frame fragmented or over 125 bytes");
		break;
	default:
		return err_set(-EPROTO, "WebSocket frame with reserved opcode %d", f->opcode);
	}
	plen = buf[1] & 0x7F;
	if (plen == 126) {
		if (len < 4)
			return 0;
		plen = (uint64_t)buf[2] << 8 | buf[3];
		hdr = 4;
	} else if (plen == 127) {
		if (len < 10)
			return 0;
		plen = 0;
		for (int i = 0; i < 8; i++)
			plen = plen << 8 | buf[2 + i];
		hdr = 10;
	}
	if (plen > WS_MAX_PAYLOAD)
		return err_set(-EMSGSIZE, "WebSocket frame of %llu bytes (at most %d)", (unsigned long long)plen,
			       WS_MAX_PAYLOAD);
	if (len < hdr + 4 + plen)
		return 0;
	mask = buf + hdr;
	f->payload = buf + hdr + 4;
	f->len = (size_t)plen;
	for (size_t i = 0; i < f->len; i++)
		f->payload[i] ^= mask[i & 3];
	return (long)(hdr + 4 + plen);
}

size_t ws_header(uint8_t *out, enum ws_opcode op, size_t len)
{
	out[0] = 0x80 | op;
	if (len < 126) {
		out[1] = (uint8_t)len;
		return 2;
	}
	if (len <= 0xFFFF) {
		out[1] = 126;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		return 4;
	}
	out[1] = 127;
	for (int i = 0; i < 8; i++)
		out[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
	return 10;
}

size_t ws_close_payload(uint8_t *out, uint16_t code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (n > 123) {
		n = 123;
		while (n > 0 && (reason[n] & 0xC0) == 0x80) /* not inside a UTF-8 sequence */
			n--;
	}
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (n)
		memcpy(out + 2, reason, n);
	return 2 + n;
}
