/* SPDX-License-Identifier: MIT */
#pragma once
/* Helpers for the guest channel's tests (test_proto, test_gsess,
 * test_execmux): build raw frames as a peer would, and collect the frames
 * a side under test wrote to a socket, decoded by the real decoder. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/proto.h"
#include "util/fs.h"

/* Header and payload of one frame at buf; returns its length. */
static size_t t_frame(uint8_t *buf, int type, unsigned session, const void *p, size_t len) __attribute__((unused));
static size_t t_frame(uint8_t *buf, int type, unsigned session, const void *p, size_t len)
{
	hvp_put_header(buf, type, session, len);
	if (len)
		memcpy(buf + HVP_HDR, p, len);
	return HVP_HDR + len;
}

/* Write one frame to fd as a peer would (blocking); false on failure. */
static bool t_send(int fd, int type, unsigned session, const void *p, size_t len) __attribute__((unused));
static bool t_send(int fd, int type, unsigned session, const void *p, size_t len)
{
	uint8_t *buf = malloc(HVP_HDR + len);
	bool ok = buf && write_all(fd, buf, t_frame(buf, type, session, p, len)) == 0;

	free(buf);
	return ok;
}

/* A frame as received: a copy of its payload. */
struct t_rframe {
	int type;
	unsigned session;
	size_t len;
	uint8_t *data;
};

struct t_frames {
	struct t_rframe *v;
	size_t n, cap;
	bool eof;	      /* the stream ended */
	enum hvp_fault fault; /* the stream broke the protocol */
	struct hvp_decoder *dec;
};

static void t_frames_init(struct t_frames *fs, enum hvp_side peer) __attribute__((unused));
static void t_frames_init(struct t_frames *fs, enum hvp_side peer)
{
	memset(fs, 0, sizeof(*fs));
	if (!(fs->dec = malloc(sizeof(*fs->dec))))
		abort();
	hvp_decoder_init(fs->dec, peer);
}

static void t_frames_clear(struct t_frames *fs) __attribute__((unused));
static void t_frames_clear(struct t_frames *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		free(fs->v[i].data);
	fs->n = 0;
}

static void t_frames_free(struct t_frames *fs) __attribute__((unused));
static void t_frames_free(struct t_frames *fs)
{
	t_frames_clear(fs);
	free(fs->v);
	free(fs->dec);
	memset(fs, 0, sizeof(*fs));
}

/* Read what fd has (waiting up to wait_ms for each next piece) and
 * decode it into fs.  Returns the number of frames added. */
static size_t t_collect(int fd, struct t_frames *fs, int wait_ms) __attribute__((unused));
static size_t t_collect(int fd, struct t_frames *fs, int wait_ms)
{
	static const size_t chunk = 65536;
	uint8_t *buf = malloc(chunk);
	size_t before = fs->n;

	if (!buf)
		abort();
	while (!fs->eof && !fs->fault) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t k;
		if (poll(&pf, 1, wait_ms) <= 0)
			break;
		k = read(fd, buf, chunk);
		if (k < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (k <= 0) {
			fs->eof = true;
			break;
		}
		for (size_t off = 0; off < (size_t)k && !fs->fault;) {
			struct hvp_frame f;
			int got;
			off += hvp_feed(fs->dec, buf + off, (size_t)k - off);
			while ((got = hvp_next(fs->dec, &f)) == 1) {
				if (fs->n == fs->cap &&
				    !(fs->v = realloc(fs->v, (fs->cap = fs->cap * 2 + 16) * sizeof(*fs->v))))
					abort();
				fs->v[fs->n] = (struct t_rframe){ f.type, f.session, f.len, malloc(f.len + 1) };
				memcpy(fs->v[fs->n].data, f.payload, f.len);
				fs->v[fs->n].data[f.len] = 0;
				fs->n++;
				hvp_consume(fs->dec);
			}
			if (got < 0)
				fs->fault = fs->dec->fault;
		}
	}
	free(buf);
	return fs->n - before;
}

/* The first frame of a type (on a session, or any session when session
 * is -1), or NULL. */
static const struct t_rframe *t_find(const struct t_frames *fs, int type, long session) __attribute__((unused));
static const struct t_rframe *t_find(const struct t_frames *fs, int type, long session)
{
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].type == type && (session < 0 || fs->v[i].session == (unsigned)session))
			return &fs->v[i];
	return NULL;
}

/* How many frames of a type, and the sum of their payload lengths. */
static size_t t_count(const struct t_frames *fs, int type, size_t *bytes) __attribute__((unused));
static size_t t_count(const struct t_frames *fs, int type, size_t *bytes)
{
	size_t k = 0, b = 0;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].type == type) {
			k++;
			b += fs->v[i].len;
		}
	if (bytes)
		*bytes = b;
	return k;
}
