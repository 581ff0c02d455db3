/* SPDX-License-Identifier: MIT */
#pragma once
/* WebSocket (RFC 6455) framing and the opening handshake's accept key:
 * pure functions over buffers, no I/O, so every case is unit-tested. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ws_opcode {
	WS_CONT = 0x0,
	WS_TEXT = 0x1,
	WS_BINARY = 0x2,
	WS_CLOSE = 0x8,
	WS_PING = 0x9,
	WS_PONG = 0xA,
};

/* The largest frame payload hv ui accepts from a browser (console input,
 * VNC client messages are small); a larger one closes with 1009. */
#define WS_MAX_PAYLOAD 65536
/* A server frame header is at most 10 bytes (unmasked). */
#define WS_HEADER_MAX 10

/* Close codes (RFC 6455 section 7.4.1) and hv's own (4000-4999). */
enum {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_ERROR = 1011,
	WS_CLOSE_VM_NOT_RUNNING = 4000, /* the reason says the VM's state */
	WS_CLOSE_VM_STOPPED = 4001,
	WS_CLOSE_BUSY = 4002,
};

struct ws_frame {
	bool fin;
	enum ws_opcode opcode;
	uint8_t *payload; /* points into the buffer given to ws_parse, unmasked in place */
	size_t len;
};

/* Parse one client frame at the start of buf.  Returns the bytes it takes
 * (the payload is unmasked in place), 0 when more bytes are needed, or
 * -EPROTO (unmasked, reserved bits or opcode, a control frame over 125
 * bytes or fragmented) / -EMSGSIZE (payload over WS_MAX_PAYLOAD); the
 * reason is recorded. */
long ws_parse(uint8_t *buf, size_t len, struct ws_frame *f);
/* Write a final, unmasked frame header for a payload of len bytes into
 * out (WS_HEADER_MAX bytes); returns its length. */
size_t ws_header(uint8_t *out, enum ws_opcode op, size_t len);
/* The close payload: code, then reason cut to fit a control frame (123
 * bytes) at a UTF-8 character boundary; returns its length (out: 125). */
size_t ws_close_payload(uint8_t *out, uint16_t code, const char *reason);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 section 4.2.2):
 * base64(SHA-1(key + GUID)); out holds 29 bytes.  -EINVAL when the key
 * is not 24 characters of base64 of 16 bytes. */
int ws_accept_key(const char *key, char out[29]);
/* SHA-1 (FIPS 180-4), for the handshake only. */
void ws_sha1(const void *data, size_t len, uint8_t out[20]);
