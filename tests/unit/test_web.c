/* SPDX-License-Identifier: MIT */
/* hv ui's pure parts: WebSocket framing and handshake key (RFC 6455's
 * own examples), SHA-1 (FIPS 180 vectors), the token, the listen address,
 * Host and Origin rules. */
#include <errno.h>
#include <stdint.h>

#include "t.h"
#include "util/err.h"
#include "web/auth.h"
#include "web/ws.h"

static void hex(const uint8_t *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void sha1(void)
{
	static const struct {
		const char *in, *want;
	} v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	uint8_t d[20];
	char h[41];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ws_sha1(v[i].in, strlen(v[i].in), d);
		hex(d, 20, h);
		CHECK_STR(h, v[i].want, v[i].in);
	}
	/* a million 'a's crosses every block boundary case */
	char *m = malloc(1000000);
	memset(m, 'a', 1000000);
	ws_sha1(m, 1000000, d);
	hex(d, 20, h);
	CHECK_STR(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "a million a");
	free(m);
	/* 55 and 56 bytes: the length just fits / needs a second block */
	ws_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55, d);
	hex(d, 20, h);
	CHECK_STR(h, "c1c8bbdc22796e28c0e15163d20899b65621d65a", "55 bytes");
	ws_sha1("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56, d);
	hex(d, 20, h);
	CHECK_STR(h, "c2db330f6083854c99d4b5bfb6e8f29f201be699", "56 bytes");
}

static void accept_key(void)
{
	char out[29];

	/* RFC 6455 section 1.3 */
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out) == 0, "accept key");
	CHECK_STR(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "accept key");
	CHECK(ws_accept_key("short", out) == -EINVAL, "a short key is refused");
	CHECK(ws_accept_key(NULL, out) == -EINVAL, "a missing key is refused");
	CHECK(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ!!", out) == -EINVAL, "a key that is not base64 is refused");
}

static void parse(void)
{
	/* RFC 6455 section 5.7: a masked "Hello" */
	uint8_t hello[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };
	struct ws_frame f;
	long n;

	for (size_t i = 0; i < sizeof(hello); i++)
		CHECK(ws_parse(hello, i, &f) == 0, "a frame cut at %zu bytes needs more", i);
	n = ws_parse(hello, sizeof(hello), &f);
	CHECK(n == (long)sizeof(hello) && f.fin && f.opcode == WS_TEXT && f.len == 5 && !memcmp(f.payload, "Hello", 5),
	      "masked Hello: %ld", n);

	uint8_t unmasked[] = { 0x81, 0x05, 'H', 'e', 'l', 'l', 'o' };
	CHECK(ws_parse(unmasked, sizeof(unmasked), &f) == -EPROTO, "an unmasked client frame is refused");
	uint8_t rsv[] = { 0xC1, 0x80, 0, 0, 0, 0 };
	CHECK(ws_parse(rsv, sizeof(rsv), &f) == -EPROTO, "reserved bits are refused");
	uint8_t op[] = { 0x83, 0x80, 0, 0, 0, 0 };
	CHECK(ws_parse(op, sizeof(op), &f) == -EPROTO, "a reserved opcode is refused");
	uint8_t ping_frag[] = { 0x09, 0x80, 0, 0, 0, 0 };
	CHECK(ws_parse(ping_frag, sizeof(ping_frag), &f) == -EPROTO, "a fragmented ping is refused");
	uint8_t ping_big[] = { 0x89, 0xFE, 0x00, 0x80 };
	CHECK(ws_parse(ping_big, sizeof(ping_big), &f) == -EPROTO, "a ping over 125 bytes is refused");
	/* 64-bit length beyond the limit: refused before the payload comes */
	uint8_t huge[] = { 0x82, 0xFF, 0, 0, 0, 1, 0, 0, 0, 0 };
	CHECK(ws_parse(huge, sizeof(huge), &f) == -EMSGSIZE, "a 4 GiB frame is refused at its header");
	uint8_t max1[] = { 0x82, 0xFF, 0, 0, 0, 0, 0, 1, 0, 1 };
	CHECK(ws_parse(max1, sizeof(max1), &f) == -EMSGSIZE, "one byte over the limit is refused");
	CHECK(strstr(err_msg(), "65537"), "the message names the size: %s", err_msg());

	/* 16-bit length, and two frames back to back */
	uint8_t buf[4 + 4 + 300 + 6];
	buf[0] = 0x02, buf[1] = 0x80 | 126, buf[2] = 300 >> 8, buf[3] = 300 & 0xFF;
	memset(buf + 4, 0, 4);
	for (int i = 0; i < 300; i++)
		buf[8 + i] = (uint8_t)i;
	buf[308] = 0x80, buf[309] = 0x80, memset(buf + 310, 0, 4);
	n = ws_parse(buf, sizeof(buf), &f);
	CHECK(n == 308 && !f.fin && f.opcode == WS_BINARY && f.len == 300 && f.payload[299] == (uint8_t)299,
	      "a 300-byte fragment: %ld", n);
	n = ws_parse(buf + 308, 6, &f);
	CHECK(n == 6 && f.fin && f.opcode == WS_CONT && f.len == 0, "an empty continuation: %ld", n);
}

static void header(void)
{
	uint8_t h[WS_HEADER_MAX], p[125];

	CHECK(ws_header(h, WS_TEXT, 5) == 2 && h[0] == 0x81 && h[1] == 5, "small frame");
	CHECK(ws_header(h, WS_BINARY, 126) == 4 && h[1] == 126 && h[2] == 0 && h[3] == 126, "16-bit length");
	CHECK(ws_header(h, WS_BINARY, 70000) == 10 && h[1] == 127 && h[7] == 1 && h[8] == 0x11 && h[9] == 0x70,
	      "64-bit length");
	size_t n = ws_close_payload(p, 4000, "VM 'x' is not running");
	CHECK(n == 2 + 21 && p[0] == 0x0F && p[1] == 0xA0 && !memcmp(p + 2, "VM 'x'", 6), "close payload");
	/* a long reason is cut to fit a control frame, never inside a UTF-8 character */
	char reason[200];
	memset(reason, 'a', 122);
	strcpy(reason + 122, "\xc3\xa9tail"); /* é spans bytes 122-123 */
	n = ws_close_payload(p, 1000, reason);
	CHECK(n == 2 + 122, "a long reason is cut before the split character: %zu", n);
}

static void token(void)
{
	char a[UI_TOKEN_LEN + 1], b[UI_TOKEN_LEN + 1];

	CHECK(ui_token_new(a) == 0 && ui_token_new(b) == 0 && strlen(a) == UI_TOKEN_LEN, "tokens are made");
	CHECK(strcmp(a, b) != 0, "two tokens differ");
	CHECK(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == UI_TOKEN_LEN,
	      "a token is URL-safe: %s", a);
	CHECK(ui_token_equal(a, a), "a token equals itself");
	strcpy(b, a);
	b[UI_TOKEN_LEN - 1] ^= 1;
	CHECK(!ui_token_equal(a, b), "the last character counts");
	b[UI_TOKEN_LEN - 1] = 0;
	CHECK(!ui_token_equal(a, b), "a prefix is not the token");
	CHECK(!ui_token_equal(a, ""), "empty is not the token");
	CHECK(!ui_token_equal(a, NULL), "absent is not the token");
	char longer[UI_TOKEN_LEN + 3];
	snprintf(longer, sizeof(longer), "%sxx", a);
	CHECK(!ui_token_equal(a, longer), "the token plus more is not the token");
}

static void listen_addr(void)
{
	struct ui_listen l;

	CHECK(ui_listen_parse("127.0.0.1:8006", &l) == 0 && l.loopback && l.port == 8006, "IPv4 loopback");
	CHECK(ui_listen_parse("[::1]:0", &l) == 0 && l.loopback && !strcmp(l.host, "::1"), "IPv6 loopback");
	CHECK(ui_listen_parse("localhost:80", &l) == 0 && l.loopback, "localhost");
	CHECK(ui_listen_parse("127.1.2.3:80", &l) == 0 && l.loopback, "all of 127/8");
	CHECK(ui_listen_parse("0.0.0.0:8006", &l) == 0 && !l.loopback, "the wildcard is not loopback");
	CHECK(ui_listen_check(&l, false, false) == -EPERM, "a non-loopback listen without TLS is refused");
	CHECK(strstr(err_msg(), "--insecure"), "and the message says how: %s", err_msg());
	CHECK(ui_listen_check(&l, true, false) == 0 && ui_listen_check(&l, false, true) == 0, "TLS or --insecure");
	CHECK(ui_listen_parse("192.168.1.5:8006", &l) == 0 && !l.loopback, "a LAN address");
	static const char *const bad[] = { "8006",	     ":8006",	"127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
					   "example.com:80", "[::1:80", "::1:80",     "127.0.0.1:80x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(ui_listen_parse(bad[i], &l) == -EINVAL, "'%s' is refused", bad[i]);
}

static void host_origin(void)
{
	struct ui_listen lo, any, lan;

	ui_listen_parse("127.0.0.1:0", &lo);
	ui_listen_parse("0.0.0.0:0", &any);
	ui_listen_parse("192.168.1.5:0", &lan);
	CHECK(ui_host_allowed("127.0.0.1:8006", &lo, 8006), "its own address");
	CHECK(ui_host_allowed("localhost:8006", &lo, 8006), "localhost");
	CHECK(ui_host_allowed("[::1]:8006", &lo, 8006), "[::1]");
	CHECK(!ui_host_allowed("127.0.0.1:8007", &lo, 8006), "another port");
	CHECK(!ui_host_allowed("127.0.0.1", &lo, 8006), "no port");
	CHECK(!ui_host_allowed("evil.example:8006", &lo, 8006), "a DNS name (rebinding)");
	CHECK(!ui_host_allowed(NULL, &lo, 8006), "no Host");
	CHECK(!ui_host_allowed("", &lo, 8006), "an empty Host");
	CHECK(!ui_host_allowed("127.0.0.1:8006:1", &lo, 8006), "garbage");
	CHECK(ui_host_allowed("10.0.0.2:8006", &any, 8006), "a wildcard listen takes any numeric address");
	CHECK(!ui_host_allowed("evil.example:8006", &any, 8006), "but no name");
	CHECK(ui_host_allowed("192.168.1.5:8006", &lan, 8006), "a LAN listen: its own address");
	CHECK(!ui_host_allowed("192.168.1.6:8006", &lan, 8006), "not another one");

	CHECK(ui_origin_allowed(NULL, "127.0.0.1:8006", false), "no Origin (not a browser's cross-site request)");
	CHECK(ui_origin_allowed("http://127.0.0.1:8006", "127.0.0.1:8006", false), "the same origin");
	CHECK(!ui_origin_allowed("http://evil.example", "127.0.0.1:8006", false), "another origin");
	CHECK(!ui_origin_allowed("https://127.0.0.1:8006", "127.0.0.1:8006", false), "another scheme");
	CHECK(ui_origin_allowed("https://127.0.0.1:8006", "127.0.0.1:8006", true), "https with TLS");
	CHECK(!ui_origin_allowed("null", "127.0.0.1:8006", false), "the null origin (sandboxed frames)");
	CHECK(!ui_origin_allowed("http://127.0.0.1:8006", NULL, false), "an Origin without a Host");
}

int main(void)
{
	sha1();
	accept_key();
	parse();
	header();
	token();
	listen_addr();
	host_origin();
	T_DONE();
}
