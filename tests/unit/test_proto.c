/* SPDX-License-Identifier: MIT */
/* The guest channel v2 (guest/proto.h, guest/channel.h): the framing an
 * untrusted guest can send, and one end's queue, flush and EXEC encoding. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "guest/channel.h"
#include "guest/proto.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "t.h"
#include "t_chan.h"

/* The types each side sends: every other type is refused from it. */
static const int host_types[] = { HVP_EXEC, HVP_STDIN, HVP_STDIN_EOF, HVP_WINCH, HVP_SIGNAL, HVP_OUTACK, HVP_HANGUP };
static const int guest_types[] = { HVP_HELLO, HVP_STDOUT, HVP_STDERR, HVP_EXIT, HVP_ACK, HVP_ERROR, HVP_NETINFO };

static bool in(const int *v, size_t n, int t)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == t)
			return true;
	return false;
}

/* A session a type may travel on. */
static unsigned good_session(int type)
{
	return hvp_is_report(type) ? 0 : 1;
}

/* A well-formed payload length for a type. */
static size_t small_len(int type)
{
	size_t max = hvp_max_payload(type);
	return max < 4 ? max : 4;
}

static struct hvp_decoder *new_decoder(enum hvp_side peer)
{
	struct hvp_decoder *d = malloc(sizeof(*d));

	if (!d)
		abort();
	hvp_decoder_init(d, peer);
	return d;
}

/* Feed a bare header (no payload) and return hvp_next's answer. */
static int next_after_header(struct hvp_decoder *d, int type, unsigned session, uint32_t len)
{
	uint8_t h[HVP_HDR];
	struct hvp_frame f;

	hvp_put_header(h, type, session, 0);
	hvp_put32(h + 4, len);
	hvp_feed(d, h, sizeof(h));
	return hvp_next(d, &f);
}

static void header_and_table(void)
{
	uint8_t h[HVP_HDR];
	bool table_ok = true, names_ok = true;

	hvp_put_header(h, HVP_STDOUT, 0x1234, 0x01020304);
	CHECK(h[0] == HVP_STDOUT && h[1] == 0 && h[2] == 0x34 && h[3] == 0x12 && h[4] == 4 && h[5] == 3 && h[6] == 2 &&
		  h[7] == 1,
	      "the header is type, reserved 0, session LE16, length LE32");
	for (int t = -1; t < 300; t++) {
		enum hvp_side want = in(host_types, ARRAY_SIZE(host_types), t)	   ? HVP_HOST
				     : in(guest_types, ARRAY_SIZE(guest_types), t) ? HVP_GUEST
										   : HVP_NOBODY;
		if (hvp_sender(t) != want)
			table_ok = false;
		if ((want == HVP_NOBODY) != (hvp_type_name(t) == NULL) ||
		    (want == HVP_NOBODY && hvp_max_payload(t) != 0))
			names_ok = false;
		if (hvp_is_report(t) != (t == HVP_HELLO || t == HVP_NETINFO))
			table_ok = false;
	}
	CHECK(table_ok, "hvp_sender: the host sends EXEC/STDIN/STDIN_EOF/WINCH/SIGNAL/OUTACK/HANGUP, the guest the "
			"rest; only HELLO and NETINFO are reports");
	CHECK(names_ok, "unknown types have no name and no payload");
	CHECK(hvp_max_payload(HVP_STDIN) == 65536 && hvp_max_payload(HVP_STDOUT) == 65536 &&
		  hvp_max_payload(HVP_STDERR) == 65536 && hvp_max_payload(HVP_EXEC) == 65536 &&
		  hvp_max_payload(HVP_EXIT) == 2 && hvp_max_payload(HVP_WINCH) == 4 &&
		  hvp_max_payload(HVP_SIGNAL) == 1 && hvp_max_payload(HVP_ACK) == 4 &&
		  hvp_max_payload(HVP_OUTACK) == 4 && hvp_max_payload(HVP_STDIN_EOF) == 0 &&
		  hvp_max_payload(HVP_HANGUP) == 0,
	      "payload limits: 64 KiB data and EXEC, fixed sizes for control frames");
	CHECK_STR(hvp_type_name(HVP_OUTACK), "OUTACK", "type name");
}

/* Every type from both sides: accepted exactly from its sender. */
static void directions(void)
{
	struct hvp_decoder *d = new_decoder(HVP_HOST);

	for (int t = 1; t <= HVP_HANGUP; t++) {
		for (int side = HVP_HOST; side <= HVP_GUEST; side++) {
			uint8_t frame[HVP_HDR + 4] = { 0 };
			struct hvp_frame f = { 0 };
			size_t plen = small_len(t);
			bool allowed = (int)hvp_sender(t) == side;
			const char *sname = side == HVP_HOST ? "host" : "guest";
			char why[160], only[64];
			int got;
			hvp_decoder_init(d, (enum hvp_side)side);
			t_frame(frame, t, good_session(t), "\1\2\3\4", plen);
			hvp_feed(d, frame, HVP_HDR + plen);
			got = hvp_next(d, &f);
			hvp_describe_fault(d, why, sizeof(why));
			snprintf(only, sizeof(only), "only the %s may send", side == HVP_HOST ? "guest" : "host");
			if (allowed)
				CHECK(got == 1 && f.type == t && f.len == plen && f.session == good_session(t),
				      "%s from the %s is accepted (%d)", hvp_type_name(t), sname, got);
			else
				CHECK(got == -1 && d->fault == HVP_FAULT_DIRECTION && strstr(why, hvp_type_name(t)) &&
					  strstr(why, only) && strstr(why, sname) == why + 4,
				      "%s from the %s is refused (%d: %s)", hvp_type_name(t), sname, got, why);
		}
	}
	/* a decoder nobody initialised accepts nothing */
	memset(d, 0, sizeof(*d));
	CHECK(next_after_header(d, HVP_STDOUT, 1, 0) == -1 && next_after_header(d, HVP_EXEC, 1, 0) == -1,
	      "a zeroed decoder refuses every frame");
	free(d);
}

/* Reports only on session 0, command frames only on 1..65535. */
static void sessions(void)
{
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	bool ok = true;
	char why[160];

	for (int t = 1; t <= HVP_HANGUP; t++) {
		enum hvp_side peer = hvp_sender(t);
		unsigned bad[] = { 1, 2, 65535 };
		hvp_decoder_init(d, peer);
		if (!hvp_is_report(t)) {
			for (unsigned s = 1; s <= 65535; s += 65534) {
				hvp_decoder_init(d, peer);
				if (next_after_header(d, t, s, 0) != 1)
					ok = false;
			}
			hvp_decoder_init(d, peer);
			if (next_after_header(d, t, 0, 0) != -1 || d->fault != HVP_FAULT_SESSION)
				ok = false;
			continue;
		}
		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			hvp_decoder_init(d, peer);
			if (next_after_header(d, t, bad[i], 0) != -1 || d->fault != HVP_FAULT_SESSION ||
			    d->fault_session != bad[i])
				ok = false;
		}
	}
	CHECK(ok, "command types are refused on session 0 and reports on sessions >= 1 (HVP_FAULT_SESSION)");
	hvp_decoder_init(d, HVP_GUEST);
	next_after_header(d, HVP_HELLO, 7, 0);
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the guest sent a HELLO frame on session 7", "session fault");
	hvp_decoder_init(d, HVP_HOST);
	next_after_header(d, HVP_EXEC, 0, 0);
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the host sent a EXEC frame on session 0", "session fault, host side");
	free(d);
}

/* Each type's limit: the limit passes, one more byte does not, decided on
 * the header alone (a peer cannot make the decoder wait for 4 GiB). */
static void lengths(void)
{
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	uint8_t *frame = calloc(1, HVP_HDR + HVP_DATA_MAX);
	static const uint32_t huge_lens[] = { 0x7fffffffu, 0x80000000u, 0xffffffffu };
	bool at_limit = true, over = true, huge = true;
	char why[160];

	for (int t = 1; t <= HVP_HANGUP; t++) {
		size_t max = hvp_max_payload(t);
		struct hvp_frame f;
		enum hvp_side peer = hvp_sender(t);
		hvp_decoder_init(d, peer);
		hvp_put_header(frame, t, good_session(t), max);
		hvp_feed(d, frame, HVP_HDR + max);
		if (hvp_next(d, &f) != 1 || f.len != max)
			at_limit = false;
		hvp_decoder_init(d, peer);
		if (next_after_header(d, t, good_session(t), (uint32_t)max + 1) != -1 || d->fault != HVP_FAULT_LENGTH)
			over = false;
		for (size_t i = 0; i < ARRAY_SIZE(huge_lens); i++) {
			hvp_decoder_init(d, peer);
			if (next_after_header(d, t, good_session(t), huge_lens[i]) != -1 ||
			    d->fault != HVP_FAULT_LENGTH)
				huge = false;
		}
	}
	CHECK(at_limit, "every type's payload limit is accepted, incl. 64 KiB data and EXEC frames");
	CHECK(over, "one byte over a type's limit is HVP_FAULT_LENGTH, on the header alone");
	CHECK(huge, "length fields of 2^31-1, 2^31 and 2^32-1 are refused");
	hvp_decoder_init(d, HVP_GUEST);
	next_after_header(d, HVP_STDOUT, 3, 0x80000001u);
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the guest sent a STDOUT frame longer than its limit of 65536 bytes", "length fault");
	hvp_decoder_init(d, HVP_HOST);
	next_after_header(d, HVP_SIGNAL, 3, 2);
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the host sent a SIGNAL frame longer than its limit of 1 bytes", "length fault, host side");
	free(frame);
	free(d);
}

static void reserved_and_unknown(void)
{
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	uint8_t h[HVP_HDR];
	struct hvp_frame f;
	char why[160], tiny[12];

	hvp_put_header(h, HVP_STDOUT, 1, 0);
	h[1] = 0x80;
	hvp_feed(d, h, sizeof(h));
	CHECK(hvp_next(d, &f) == -1 && d->fault == HVP_FAULT_RESERVED, "a non-zero reserved byte is refused");
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the guest sent a STDOUT frame with a non-zero reserved byte", "reserved fault");
	CHECK(hvp_next(d, &f) == -1 && d->fault == HVP_FAULT_RESERVED, "a fault is sticky");
	hvp_decoder_init(d, HVP_GUEST);
	CHECK(d->fault == HVP_FAULT_NONE, "hvp_decoder_init clears the fault");
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "no fault", "no fault");
	for (int t = 0; t < 256; t += 15) {
		hvp_decoder_init(d, HVP_GUEST);
		CHECK(next_after_header(d, t, 1, 0) == -1 && d->fault == HVP_FAULT_TYPE && d->fault_type == t,
		      "type %d is not a frame type", t);
	}
	hvp_describe_fault(d, why, sizeof(why));
	CHECK_STR(why, "the guest sent a frame of unknown type 255", "type fault");
	/* a type byte that is unknown and a bad reserved byte: the type is named first */
	hvp_decoder_init(d, HVP_GUEST);
	hvp_put_header(h, 200, 1, 0);
	h[1] = 1;
	hvp_feed(d, h, sizeof(h));
	CHECK(hvp_next(d, &f) == -1 && d->fault == HVP_FAULT_TYPE, "an unknown type is reported before the rest");
	memset(tiny, 'x', sizeof(tiny));
	hvp_describe_fault(d, tiny, 8);
	CHECK(strlen(tiny) == 7 && tiny[8] == 'x', "a short buffer gets a terminated prefix and nothing beyond");
	free(d);
}

/* A stream of several frames. */
static size_t sample_stream(uint8_t *s)
{
	size_t len = 0;

	len += t_frame(s + len, HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION));
	len += t_frame(s + len, HVP_STDOUT, 1, "hello\n", 6);
	len += t_frame(s + len, HVP_ACK, 65535, "\x10\0\0\0", 4);
	len += t_frame(s + len, HVP_STDERR, 2, "", 0);
	len += t_frame(s + len, HVP_ERROR, 1, "not found", 9);
	len += t_frame(s + len, HVP_NETINFO, 0, "eth0 - -", 8);
	len += t_frame(s + len, HVP_EXIT, 1, "\0\x2a", 2);
	return len;
}

/* Decode a stream fed in the given pieces; true when exactly the sample's
 * frames come out, intact. */
static bool decodes_sample(const uint8_t *s, size_t len, const size_t *cuts, size_t ncuts)
{
	static const struct {
		int type;
		unsigned session;
		const char *p;
		size_t len;
	} want[] = {
		{ HVP_HELLO, 0, HVP_VERSION, sizeof(HVP_VERSION) - 1 },
		{ HVP_STDOUT, 1, "hello\n", 6 },
		{ HVP_ACK, 65535, "\x10\0\0\0", 4 },
		{ HVP_STDERR, 2, "", 0 },
		{ HVP_ERROR, 1, "not found", 9 },
		{ HVP_NETINFO, 0, "eth0 - -", 8 },
		{ HVP_EXIT, 1, "\0\x2a", 2 },
	};
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	size_t n = 0, prev = 0;
	bool ok = true;

	for (size_t c = 0; c <= ncuts && ok; c++) {
		size_t end = c < ncuts ? cuts[c] : len;
		struct hvp_frame f;
		int got;
		if (hvp_feed(d, s + prev, end - prev) != end - prev)
			ok = false;
		prev = end;
		while ((got = hvp_next(d, &f)) == 1) {
			if (n >= ARRAY_SIZE(want) || f.type != want[n].type || f.session != want[n].session ||
			    f.len != want[n].len || memcmp(f.payload, want[n].p, f.len))
				ok = false;
			n++;
			hvp_consume(d);
		}
		if (got < 0)
			ok = false;
	}
	free(d);
	return ok && n == ARRAY_SIZE(want);
}

static void splits(void)
{
	uint8_t s[256];
	size_t len = sample_stream(s);
	bool two = true, three = true, chunks = true;

	for (size_t a = 0; a <= len; a++) {
		if (!decodes_sample(s, len, &a, 1))
			two = false;
		for (size_t b = a; b <= len; b += 7) {
			size_t cuts[2] = { a, b };
			if (!decodes_sample(s, len, cuts, 2))
				three = false;
		}
	}
	for (size_t chunk = 1; chunk <= len; chunk++) {
		size_t cuts[256], k = 0;
		for (size_t off = chunk; off < len; off += chunk)
			cuts[k++] = off;
		if (!decodes_sample(s, len, cuts, k))
			chunks = false;
	}
	CHECK(two, "frames split at every byte boundary decode the same");
	CHECK(three, "frames cut in three pieces decode the same");
	CHECK(chunks, "frames fed in chunks of every size decode the same");
}

/* A 64 KiB frame trickled in, and many small frames in one feed. */
static void big_and_many(void)
{
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	size_t flen = HVP_HDR + HVP_DATA_MAX, n = 0, off = 0, taken;
	uint8_t *s = malloc(3 * flen);
	struct hvp_frame f;
	bool ok = true;
	int got = 0;

	for (int k = 0; k < 3; k++) {
		hvp_put_header(s + k * flen, HVP_STDOUT, (unsigned)k + 1, HVP_DATA_MAX);
		memset(s + k * flen + HVP_HDR, 'a' + k, HVP_DATA_MAX);
	}
	/* the decoder holds one largest frame: a feed of three takes one */
	taken = hvp_feed(d, s, 3 * flen);
	CHECK(taken == flen, "a full decoder takes only what fits (%zu of %zu)", taken, 3 * flen);
	off = taken;
	for (;;) {
		got = hvp_next(d, &f);
		if (got == 1) {
			if (f.len != HVP_DATA_MAX || f.session != n + 1 || f.payload[0] != 'a' + n ||
			    f.payload[HVP_DATA_MAX - 1] != 'a' + n)
				ok = false;
			n++;
			hvp_consume(d);
			continue;
		}
		if (got < 0 || off == 3 * flen)
			break;
		/* the rest arrives in odd pieces */
		off += hvp_feed(d, s + off, off + 4099 > 3 * flen ? 3 * flen - off : 4099);
	}
	CHECK(ok && n == 3 && got == 0, "three 64 KiB frames pass through a decoder of one frame (%zu)", n);
	free(s);

	/* 5000 small frames in one buffer, fed as much as fits each time */
	s = malloc(5000 * (HVP_HDR + 4));
	for (unsigned k = 0; k < 5000; k++) {
		uint8_t p[4];
		hvp_put32(p, k);
		t_frame(s + k * (HVP_HDR + 4), HVP_ACK, 1 + k % 65535, p, 4);
	}
	hvp_decoder_init(d, HVP_GUEST);
	n = 0;
	ok = true;
	for (off = 0; off < 5000 * (HVP_HDR + 4);) {
		off += hvp_feed(d, s + off, 5000 * (HVP_HDR + 4) - off);
		while ((got = hvp_next(d, &f)) == 1) {
			if (f.type != HVP_ACK || hvp_get32(f.payload) != n)
				ok = false;
			n++;
			hvp_consume(d);
		}
		if (got < 0)
			ok = false;
	}
	CHECK(ok && n == 5000, "5000 frames in one feed come out in order (%zu)", n);
	free(s);
	free(d);
}

/* hvp_consume leaves the rest in place; the next feed moves it down. */
static void compaction(void)
{
	struct hvp_decoder *d = new_decoder(HVP_GUEST);
	uint8_t s[64];
	struct hvp_frame f;
	size_t a = t_frame(s, HVP_STDOUT, 1, "first", 5);
	size_t b = t_frame(s + a, HVP_STDERR, 2, "second!", 7);

	hvp_feed(d, s, a + 3); /* all of the first, 3 bytes of the second */
	CHECK(hvp_next(d, &f) == 1 && f.len == 5 && !memcmp(f.payload, "first", 5), "the first frame");
	hvp_consume(d);
	CHECK(d->start == a && d->used == a + 3, "consume only moves the start (%zu %zu)", d->start, d->used);
	CHECK(hvp_next(d, &f) == 0, "the partial second frame waits");
	CHECK(hvp_feed(d, s + a + 3, b - 3) == b - 3 && d->start == 0 && d->used == b, "the next feed compacts");
	CHECK(hvp_next(d, &f) == 1 && f.type == HVP_STDERR && f.session == 2 && f.len == 7 &&
		  !memcmp(f.payload, "second!", 7),
	      "and the second frame is whole");
	hvp_consume(d);
	CHECK(d->start == 0 && d->used == 0, "consuming the last frame empties the decoder");
	hvp_consume(d);
	CHECK(d->start == 0 && d->used == 0, "consuming nothing is harmless");
	free(d);
}

static void on_frame(void *ctx, const struct hvp_frame *f)
{
	struct t_frames *fs = ctx;

	if (fs->n == fs->cap && !(fs->v = realloc(fs->v, (fs->cap = fs->cap * 2 + 16) * sizeof(*fs->v))))
		abort();
	fs->v[fs->n] = (struct t_rframe){ f->type, f->session, f->len, malloc(f->len + 1) };
	memcpy(fs->v[fs->n].data, f->payload, f->len);
	fs->n++;
}

static void pair(int sp[2])
{
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
}

static void queue_refusals(void)
{
	struct chan c;
	int sp[2];
	uint8_t big[HVP_DATA_MAX + 1] = { 0 };

	pair(sp);
	chan_init(&c, sp[0], HVP_GUEST);
	CHECK(chan_queue(&c, HVP_STDOUT, 1, "x", 1) == -EINVAL && strstr(err_msg(), "not one this end sends"),
	      "the host end does not queue a guest's type (%s)", err_msg());
	CHECK(chan_queue(&c, HVP_HELLO, 0, "x", 1) == -EINVAL, "nor HELLO");
	CHECK(chan_queue(&c, 0, 1, NULL, 0) == -EINVAL && chan_queue(&c, 99, 1, NULL, 0) == -EINVAL,
	      "nor an unknown type");
	CHECK(chan_queue(&c, HVP_EXEC, 0, "Atrue", 6) == -EINVAL && strstr(err_msg(), "wrong session"),
	      "nor a command's frame on session 0 (%s)", err_msg());
	CHECK(chan_queue(&c, HVP_STDIN, 65536, "x", 1) == -EINVAL,
	      "nor a session number that does not fit in 16 bits (it would be sent as session 0)");
	CHECK(chan_queue(&c, HVP_STDIN, 1, big, sizeof(big)) == -EMSGSIZE, "nor 64 KiB + 1 of stdin");
	CHECK(chan_queue(&c, HVP_SIGNAL, 1, "\2\2", 2) == -EMSGSIZE, "nor a 2-byte SIGNAL");
	CHECK(chan_queue(&c, HVP_HANGUP, 1, "x", 1) == -EMSGSIZE, "nor a HANGUP with a payload");
	CHECK(!chan_pending(&c) && c.out_len == 0, "nothing refused was queued");
	CHECK(chan_queue(&c, HVP_STDIN, 65535, big, HVP_DATA_MAX) == 0 && chan_pending(&c),
	      "64 KiB of stdin on session 65535 is queued");
	chan_free(&c);
	/* the guest's end (used by hv exec's client side of the monitor) the other way round */
	chan_init(&c, sp[0], HVP_HOST);
	CHECK(chan_queue(&c, HVP_EXEC, 1, "Atrue", 6) == -EINVAL, "the guest end does not queue EXEC");
	CHECK(chan_queue(&c, HVP_NETINFO, 1, "x", 1) == -EINVAL, "nor a report on a command's session");
	CHECK(chan_queue(&c, HVP_STDOUT, 0, "x", 1) == -EINVAL, "nor output on session 0");
	CHECK(chan_queue(&c, HVP_EXIT, 1, "\0\0\0", 3) == -EMSGSIZE, "nor a 3-byte EXIT");
	CHECK(chan_queue(&c, HVP_HELLO, 0, HVP_VERSION, strlen(HVP_VERSION)) == 0 &&
		  chan_queue(&c, HVP_EXIT, 9, "\0\0", 2) == 0 && chan_flush(&c) == 0,
	      "but HELLO on 0 and EXIT on 9");
	chan_free(&c);
	close(sp[0]);
	close(sp[1]);
}

/* Frames queued while the peer reads slowly come out whole and in order. */
static void flush_partial(void)
{
	struct chan c;
	struct t_frames got;
	int sp[2], small = 4096, partial = 0, r = 0;
	size_t sent = 0;
	uint8_t *p = malloc(HVP_DATA_MAX);
	bool ok = true;

	pair(sp);
	setsockopt(sp[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	setsockopt(sp[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	chan_init(&c, sp[0], HVP_GUEST);
	t_frames_init(&got, HVP_HOST);
	for (unsigned k = 0; k < 60; k++) {
		/* sizes 0..64 KiB; the payload says which frame it is */
		size_t len = (size_t)(k * 7919) % (HVP_DATA_MAX + 1);
		memset(p, (int)k, len);
		if (chan_queue(&c, HVP_STDIN, k + 1, p, len) < 0)
			ok = false;
		sent += len;
		/* flush between queues: the queue grows while part of it is written */
		r = chan_flush(&c);
		if (r == 1)
			partial++;
		if (r < 0)
			ok = false;
		if (k % 3 == 0)
			t_collect(sp[1], &got, 0);
	}
	while ((r = chan_flush(&c)) == 1) {
		partial++;
		t_collect(sp[1], &got, 10);
	}
	t_collect(sp[1], &got, 50);
	CHECK(ok && r == 0 && !chan_pending(&c), "everything is written in the end (%d)", r);
	CHECK(partial > 0, "a small socket buffer made chan_flush return 1 (%d times)", partial);
	for (unsigned k = 0; k < 60 && ok; k++) {
		size_t len = (size_t)(k * 7919) % (HVP_DATA_MAX + 1);
		if (k >= got.n || got.v[k].type != HVP_STDIN || got.v[k].session != k + 1 || got.v[k].len != len)
			ok = false;
		for (size_t i = 0; ok && i < len; i++)
			if (got.v[k].data[i] != (uint8_t)k)
				ok = false;
	}
	CHECK(ok && got.n == 60 && !got.fault, "60 frames of %zu bytes arrive whole and in order (%zu)", sent, got.n);
	t_frames_free(&got);
	/* the peer gone: an error, not SIGPIPE */
	chan_queue(&c, HVP_STDIN_EOF, 1, NULL, 0);
	close(sp[1]);
	CHECK(chan_flush(&c) == -ECONNRESET, "a flush to a closed peer is -ECONNRESET");
	chan_free(&c);
	close(sp[0]);
	free(p);

	/* not a socket: plain write */
	{
		int pp[2];
		uint8_t buf[64];
		if (pipe(pp) < 0)
			abort();
		chan_init(&c, pp[1], HVP_GUEST);
		chan_queue(&c, HVP_SIGNAL, 4, "\x0f", 1);
		CHECK(chan_flush(&c) == 0 && read(pp[0], buf, sizeof(buf)) == HVP_HDR + 1 && buf[0] == HVP_SIGNAL &&
			  buf[8] == 15,
		      "chan_flush writes to a pipe too");
		chan_free(&c);
		close(pp[0]);
		close(pp[1]);
	}
}

static void reading(void)
{
	struct chan c;
	struct t_frames fs = { 0 };
	uint8_t buf[256];
	size_t n = 0;
	int sp[2], r;

	pair(sp);
	chan_init(&c, sp[0], HVP_GUEST);
	n += t_frame(buf + n, HVP_STDOUT, 1, "ok", 2);
	n += t_frame(buf + n, HVP_EXEC, 1, "Ax", 3); /* the guest may not send it */
	n += t_frame(buf + n, HVP_STDOUT, 1, "late", 4);
	(void)!write(sp[1], buf, n);
	err_clear();
	r = chan_read(&c, on_frame, &fs);
	CHECK(r == -EPROTO && c.broken && fs.n == 1 && fs.v[0].len == 2,
	      "frames before a violation are delivered, the violation breaks the channel (%d, %zu)", r, fs.n);
	CHECK_STR(err_msg(), "hv channel closed: the guest sent EXEC, a frame only the host may send",
		  "the violation's reason");
	n = t_frame(buf, HVP_EXIT, 1, "\0\0", 2);
	(void)!write(sp[1], buf, n);
	CHECK(chan_read(&c, on_frame, &fs) == 0 && fs.n == 1, "a broken channel ignores what follows");
	close(sp[1]);
	CHECK(chan_read(&c, on_frame, &fs) == -ECONNRESET, "end of stream is -ECONNRESET");
	close(sp[0]);
	chan_free(&c);
	t_frames_clear(&fs);

	/* the host end refuses each host-only type, accepts each guest type */
	for (int t = 1; t <= HVP_HANGUP; t++) {
		pair(sp);
		chan_init(&c, sp[0], HVP_GUEST);
		n = t_frame(buf, t, good_session(t), "\0\0\0\0", small_len(t));
		(void)!write(sp[1], buf, n);
		(void)!write(sp[1], buf, n);
		t_frames_clear(&fs);
		err_clear();
		r = chan_read(&c, on_frame, &fs);
		if (hvp_sender(t) == HVP_HOST)
			CHECK(r == -EPROTO && fs.n == 0 && strstr(err_msg(), hvp_type_name(t)),
			      "the host end refuses %s from the guest (%d, '%s')", hvp_type_name(t), r, err_msg());
		else
			CHECK(r == 0 && !c.broken && fs.n == 2 && fs.v[1].type == t,
			      "the host end takes %s from the guest (%d, %zu)", hvp_type_name(t), r, fs.n);
		close(sp[0]);
		close(sp[1]);
		chan_free(&c);
	}
	t_frames_clear(&fs);
	free(fs.v);
}

/* Whether an EXEC payload is exactly these NUL-terminated strings. */
static bool payload_is(const uint8_t *p, size_t len, const char *const *want)
{
	size_t off = 0;

	for (; *want; want++) {
		size_t n = strlen(*want) + 1;
		if (off + n > len || memcmp(p + off, *want, n))
			return false;
		off += n;
	}
	return off == len;
}

static void exec_encoding(void)
{
	char *argv[] = { "ls", "-l", "a b", NULL }, *env[] = { "A=1", "EMPTY=", NULL }, *none[] = { NULL };
	uint8_t *p = NULL;
	size_t len = 0;
	int r;

	r = chan_exec_encode(argv, env, "/tmp", "nobody", 'P', 24, 80, &p, &len);
	CHECK(r == 0 && payload_is(p, len,
				   (const char *const[]){ "Als", "A-l", "Aa b", "EA=1", "EEMPTY=", "W/tmp", "Unobody",
							  "P24x80", NULL }),
	      "EXEC: A args, E environment, W workdir, U user, P terminal size");
	free(p);
	r = chan_exec_encode(argv, NULL, NULL, NULL, 0, 24, 80, &p, &len);
	CHECK(r == 0 && payload_is(p, len, (const char *const[]){ "Als", "A-l", "Aa b", NULL }),
	      "no environment, workdir, user or terminal: only A tags");
	free(p);
	r = chan_exec_encode(argv, NULL, NULL, "0", 'T', 65535, 65535, &p, &len);
	CHECK(r == 0 && payload_is(p, len, (const char *const[]){ "Als", "A-l", "Aa b", "U0", "T65535x65535", NULL }),
	      "T: the console as terminal, the largest size");
	free(p);
	r = chan_exec_encode(argv, NULL, NULL, NULL, 'P', 70000, -1, &p, &len);
	CHECK(r == 0 && payload_is(p, len, (const char *const[]){ "Als", "A-l", "Aa b", "P4464x65535", NULL }),
	      "sizes are cut to 16 bits");
	free(p);
	p = NULL;
	CHECK(chan_exec_encode(none, env, NULL, NULL, 0, 0, 0, &p, &len) == -EINVAL && !p, "no command is refused");
	{
		char *wd = malloc(4097);
		memset(wd, '/', 4096);
		wd[4096] = 0;
		CHECK(chan_exec_encode(argv, NULL, wd, NULL, 0, 0, 0, &p, &len) == -ENAMETOOLONG &&
			  chan_exec_encode(argv, NULL, NULL, wd, 0, 0, 0, &p, &len) == -ENAMETOOLONG,
		      "a workdir or user of 4096 bytes is refused");
		free(wd);
	}
}

static void exec_limits(void)
{
	/* the check before boot allows 57344 bytes incl. 14 for the terminal */
	size_t fit = 57344 - 14 - 2;
	char *big = malloc(HVP_EXEC_MAX + 1), *argv[] = { big, NULL }, *env[] = { "X=1", NULL };
	char *wd = malloc(4096), *user = malloc(4096);
	uint8_t *p = NULL;
	size_t len = 0;
	struct chan c;
	int sp[2], r;

	memset(big, 'x', HVP_EXEC_MAX);
	big[HVP_EXEC_MAX] = 0;
	err_clear();
	CHECK(chan_exec_check(argv, NULL) == -E2BIG && strstr(err_msg(), "57344") && strstr(err_msg(), "65552"),
	      "a command over the limit is refused before boot, naming the limit and its size (%s)", err_msg());
	CHECK(chan_exec_encode(argv, NULL, NULL, NULL, 0, 0, 0, &p, &len) == -E2BIG && !p, "and by encode");
	big[fit] = 0;
	CHECK(chan_exec_check(argv, NULL) == 0, "a command of exactly the limit passes");
	big[fit] = 'x';
	big[fit + 1] = 0;
	CHECK(chan_exec_check(argv, NULL) == -E2BIG, "one byte more does not");
	big[fit - 4] = 0;
	CHECK(chan_exec_check(argv, env) == -E2BIG, "the environment counts (E tags)");
	big[fit - 4] = 'x';
	big[fit] = 0;

	/* hv's init takes 1024 arguments: more is refused before boot */
	{
		char **many = calloc(HVP_EXEC_ARGS + 2, sizeof(char *));
		for (int i = 0; i <= HVP_EXEC_ARGS; i++)
			many[i] = "x";
		err_clear();
		CHECK(chan_exec_check(many, NULL) == -E2BIG && strstr(err_msg(), "1025 arguments") &&
			  strstr(err_msg(), "1024"),
		      "1025 arguments are refused before boot (%s)", err_msg());
		many[HVP_EXEC_ARGS] = NULL;
		CHECK(chan_exec_check(many, NULL) == 0, "1024 pass");
		free(many);
	}

	/* what passes the check is sent whole, even with the longest workdir,
	 * user and terminal size */
	memset(wd, 'w', 4095);
	wd[4095] = 0;
	memset(user, 'u', 4095);
	user[4095] = 0;
	pair(sp);
	chan_init(&c, sp[0], HVP_GUEST);
	r = chan_exec_encode(argv, NULL, wd, user, 'T', 65535, 65535, &p, &len);
	CHECK((r == 0 && len <= HVP_EXEC_MAX && chan_queue(&c, HVP_EXEC, 1, p, len) == 0) || r == -E2BIG,
	      "the longest command, workdir, user and size make a frame or a named E2BIG (%d, %zu bytes)", r, len);
	free(p);
	p = NULL;
	/* the full tail is there */
	wd[4094] = 0;
	user[4094] = 0;
	r = chan_exec_encode(argv, NULL, wd, user, 'T', 65535, 65535, &p, &len);
	CHECK(r == 0 && len <= HVP_EXEC_MAX && p[len - 1] == 0 && !memcmp(p + len - 13, "T65535x65535", 12) &&
		  chan_queue(&c, HVP_EXEC, 1, p, len) == 0,
	      "a 4094-byte workdir and user fit with the largest command (%zu bytes)", len);
	free(p);
	chan_free(&c);
	close(sp[0]);
	close(sp[1]);
	free(big);
	free(wd);
	free(user);
}

int main(void)
{
	alarm(60);
	header_and_table();
	directions();
	sessions();
	lengths();
	reserved_and_unknown();
	splits();
	big_and_many();
	compaction();
	queue_refusals();
	flush_partial();
	reading();
	exec_encoding();
	exec_limits();
	T_DONE();
}
