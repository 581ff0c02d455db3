/* SPDX-License-Identifier: MIT */
/* The guest channel framing: what an untrusted guest can send. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/channel.h"
#include "guest/proto.h"
#include "t.h"

static int frames_seen;
static int last_type;

static void on_frame(void *ctx, int type, const uint8_t *p, size_t n)
{
	(void)ctx;
	(void)p;
	(void)n;
	frames_seen++;
	last_type = type;
}

static size_t put(uint8_t *buf, int type, const char *payload, size_t len)
{
	hvp_put_header(buf, type, len);
	memcpy(buf + HVP_HDR, payload, len);
	return HVP_HDR + len;
}

static void decoder_splits(void)
{
	uint8_t stream[256];
	size_t len = 0;
	bool all = true;

	len += put(stream + len, HVP_HELLO, HVP_VERSION, strlen(HVP_VERSION));
	len += put(stream + len, HVP_STDOUT, "hello\n", 6);
	len += put(stream + len, HVP_EXIT, "\0\x2a", 2);
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct hvp_decoder d = { 0 };
		int types[3], n = 0;
		for (size_t off = 0; off < len; off += chunk) {
			int type, got;
			const uint8_t *p;
			size_t plen;
			hvp_feed(&d, stream + off, off + chunk > len ? len - off : chunk);
			while ((got = hvp_next(&d, &type, &p, &plen)) == 1) {
				if (n < 3)
					types[n] = type;
				n++;
				if (type == HVP_EXIT && (plen != 2 || p[1] != 42))
					all = false;
				hvp_consume(&d);
			}
			if (got < 0)
				all = false;
		}
		if (n != 3 || types[0] != HVP_HELLO || types[1] != HVP_STDOUT || types[2] != HVP_EXIT)
			all = false;
	}
	CHECK(all, "three frames decode identically at every chunk size");
}

static void hostile(void)
{
	struct hvp_decoder d = { 0 };
	uint8_t bad[8];
	int type;
	const uint8_t *p;
	size_t len;

	hvp_put_header(bad, 99, 0);
	hvp_feed(&d, bad, HVP_HDR);
	CHECK(hvp_next(&d, &type, &p, &len) == -1, "an unknown frame type is malformed");
	d.used = 0;
	hvp_put_header(bad, HVP_STDOUT, HVP_DATA_MAX + 1);
	hvp_feed(&d, bad, HVP_HDR);
	CHECK(hvp_next(&d, &type, &p, &len) == -1, "an oversized data frame is malformed");
	d.used = 0;
	hvp_put_header(bad, HVP_EXIT, 3);
	hvp_feed(&d, bad, HVP_HDR);
	CHECK(hvp_next(&d, &type, &p, &len) == -1, "an EXIT frame of the wrong size is malformed");
	d.used = 0;
	bad[0] = HVP_STDOUT;
	bad[1] = 7; /* reserved byte must be zero */
	hvp_put16(bad + 2, 1);
	hvp_feed(&d, bad, HVP_HDR);
	CHECK(hvp_next(&d, &type, &p, &len) == -1, "a non-zero reserved byte is malformed");
}

static void host_channel(void)
{
	int sp[2];
	struct chan_host c;
	uint8_t buf[64];
	size_t n;
	int r;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	chan_init(&c, sp[0]);
	CHECK(chan_send(&c, HVP_STDIN, "abcd", 4) == 0 && c.credit == HVP_STDIN_WINDOW - 4,
	      "sending stdin uses credit");
	/* the guest acknowledges far more than it was sent: clamp */
	hvp_put_header(buf, HVP_ACK, 4);
	hvp_put32(buf + HVP_HDR, 0xffffffffu);
	(void)!write(sp[1], buf, 8);
	r = chan_read(&c, on_frame, NULL);
	CHECK(r == 0 && c.credit == HVP_STDIN_WINDOW, "an inflated ACK cannot raise credit above the window (%u)",
	      c.credit);
	/* a garbage stream breaks the channel without crashing, and is then ignored */
	memset(buf, 0xff, sizeof(buf));
	(void)!write(sp[1], buf, sizeof(buf));
	frames_seen = 0;
	r = chan_read(&c, on_frame, NULL);
	CHECK(r == -EPROTO && c.broken && frames_seen == 0, "garbage breaks the channel (%d)", r);
	n = put(buf, HVP_EXIT, "\0\0", 2);
	(void)!write(sp[1], buf, n);
	r = chan_read(&c, on_frame, NULL);
	CHECK(r == 0 && frames_seen == 0, "a broken channel ignores what follows");
	close(sp[1]);
	CHECK(chan_read(&c, on_frame, NULL) == -ECONNRESET, "end of stream is reported");
	close(sp[0]);

	/* EXEC payload limits */
	static char huge[HVP_EXEC_MAX];
	memset(huge, 'x', sizeof(huge) - 1);
	char *argv[] = { huge, NULL };
	socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
	chan_init(&c, sp[0]);
	CHECK(chan_send_exec(&c, argv, NULL, 0, 0) == -E2BIG, "a command over the EXEC limit is refused");
	close(sp[0]);
	close(sp[1]);
}

int main(void)
{
	decoder_splits();
	hostile();
	host_channel();
	T_DONE();
}
