/* SPDX-License-Identifier: MIT */
/* The guest channel framing: what an untrusted guest can send. */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/channel.h"
#include "guest/proto.h"
#include "util/err.h"
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

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

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
		static struct hvp_decoder d;
		int types[3], n = 0;
		hvp_decoder_init(&d, HVP_GUEST);
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
	static struct hvp_decoder d;
	uint8_t bad[8];
	int type;
	const uint8_t *p;
	size_t len;

	hvp_decoder_init(&d, HVP_GUEST);
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
	CHECK(chan_exec_check(argv, NULL) == -E2BIG && strstr(err_msg(), "65535"),
	      "the check before boot refuses it too, naming the limit (%s)", err_msg());
	huge[HVP_EXEC_MAX - 100] = '\0';
	CHECK(chan_exec_check(argv, NULL) == 0, "a command just under the limit passes");
	{
		/* what chan_exec_check lets through is sent whole, with the largest terminal size */
		uint8_t hdr[HVP_HDR];
		CHECK(chan_send_exec(&c, argv, NULL, 65535, 65535) == 0 && read(sp[1], hdr, HVP_HDR) == HVP_HDR &&
			  hdr[0] == HVP_EXEC,
		      "and it is sent as one EXEC frame");
	}
	close(sp[0]);
	close(sp[1]);
}

/* The types each side sends: every other type is refused from it. */
static const int host_types[] = { HVP_EXEC, HVP_STDIN, HVP_STDIN_EOF, HVP_WINCH, HVP_SIGNAL };
static const int guest_types[] = { HVP_HELLO, HVP_STDOUT, HVP_STDERR, HVP_EXIT, HVP_ACK, HVP_ERROR, HVP_NETINFO };

static bool in(const int *v, size_t n, int t)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == t)
			return true;
	return false;
}

/* A well-formed payload for type (the fixed-size ones need their size). */
static size_t payload_len(int type)
{
	size_t max = hvp_max_payload(type);
	return max < 4 ? max : 4;
}

/* Decoder level, both ends: a decoder reading the host takes exactly the
 * host's types, one reading the guest exactly the guest's. */
static void direction_table(void)
{
	static struct hvp_decoder d;
	bool table_ok = true;

	for (int t = 0; t < 256; t++) {
		enum hvp_side want = in(host_types, ARRAY_LEN(host_types), t)	  ? HVP_HOST
				     : in(guest_types, ARRAY_LEN(guest_types), t) ? HVP_GUEST
										  : HVP_NOBODY;
		if (hvp_sender(t) != want)
			table_ok = false;
	}
	CHECK(table_ok, "hvp_sender names the host for EXEC/STDIN/STDIN_EOF/WINCH/SIGNAL, the guest for the rest");
	for (int t = HVP_HELLO; t <= HVP_NETINFO; t++) {
		for (int side = HVP_HOST; side <= HVP_GUEST; side++) {
			uint8_t frame[HVP_HDR + 4] = { 0 };
			int type = 0, got;
			const uint8_t *p;
			size_t len, plen = payload_len(t);
			bool allowed = (int)hvp_sender(t) == side;
			char why[160];
			hvp_decoder_init(&d, (enum hvp_side)side);
			hvp_put_header(frame, t, plen);
			hvp_feed(&d, frame, HVP_HDR + plen);
			got = hvp_next(&d, &type, &p, &len);
			hvp_describe_fault(&d, why, sizeof(why));
			if (allowed)
				CHECK(got == 1 && type == t && len == plen, "%s from the %s is accepted (%d)",
				      hvp_type_name(t), side == HVP_HOST ? "host" : "guest", got);
			else
				CHECK(got == -1 && d.fault == HVP_FAULT_DIRECTION && strstr(why, hvp_type_name(t)),
				      "%s from the %s is refused (%d: %s)", hvp_type_name(t),
				      side == HVP_HOST ? "host" : "guest", got, why);
		}
	}
	/* a decoder nobody initialised accepts nothing */
	memset(&d, 0, sizeof(d));
	{
		uint8_t frame[HVP_HDR];
		int type;
		const uint8_t *p;
		size_t len;
		hvp_put_header(frame, HVP_STDIN_EOF, 0);
		hvp_feed(&d, frame, sizeof(frame));
		CHECK(hvp_next(&d, &type, &p, &len) == -1, "a zeroed decoder refuses every frame");
	}
}

/* The host end: every host-only type arriving from the guest closes the
 * channel with a clear error; every guest type is delivered. */
static void host_refuses_host_types(void)
{
	for (int t = HVP_HELLO; t <= HVP_NETINFO; t++) {
		int sp[2];
		static struct chan_host c;
		uint8_t frame[HVP_HDR + 4] = { 0 };
		size_t plen = payload_len(t);
		int r;
		socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
		chan_init(&c, sp[0]);
		hvp_put_header(frame, t, plen);
		/* the same frame twice: the second must not be delivered after a violation */
		(void)!write(sp[1], frame, HVP_HDR + plen);
		(void)!write(sp[1], frame, HVP_HDR + plen);
		frames_seen = 0;
		last_type = 0;
		err_clear();
		r = chan_read(&c, on_frame, NULL);
		if (in(host_types, ARRAY_LEN(host_types), t)) {
			CHECK(r == -EPROTO && c.broken && frames_seen == 0 && strstr(err_msg(), hvp_type_name(t)) &&
				  strstr(err_msg(), "only the host may send"),
			      "the host end refuses %s from the guest (%d, %d frames, '%s')", hvp_type_name(t), r,
			      frames_seen, err_msg());
		} else {
			CHECK(r == 0 && !c.broken && frames_seen == 2 && last_type == t,
			      "the host end accepts %s from the guest (%d, %d frames)", hvp_type_name(t), r,
			      frames_seen);
		}
		close(sp[0]);
		close(sp[1]);
	}
	{
		int sp[2];
		static struct chan_host c;
		socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
		chan_init(&c, sp[0]);
		CHECK(chan_send(&c, HVP_STDOUT, "x", 1) == -EINVAL, "the host does not send a guest's frame type");
		close(sp[0]);
		close(sp[1]);
	}
}

int main(void)
{
	decoder_splits();
	hostile();
	host_channel();
	direction_table();
	host_refuses_host_types();
	T_DONE();
}
