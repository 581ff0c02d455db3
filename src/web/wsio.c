/* SPDX-License-Identifier: MIT */
/* Upgraded WebSocket connections: buffered reading of client frames and
 * sending of server frames with a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/err.h"
#include "util/proc.h"
#include "web/wsio.h"

struct wsio *wsio_new(int fd, struct MHD_UpgradeResponseHandle *urh, const char *extra, size_t extra_len)
{
	struct wsio *w = calloc(1, sizeof(*w));
	int fl = fcntl(fd, F_GETFL);

	if (!w)
		return NULL;
	w->fd = fd;
	w->urh = urh;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	/* a client that sends frames before it sees the reply */
	if (extra_len > sizeof(w->in))
		extra_len = sizeof(w->in);
	memcpy(w->in, extra, extra_len);
	w->inlen = extra_len;
	return w;
}

void wsio_free(struct wsio *w)
{
	if (!w)
		return;
	MHD_upgrade_action(w->urh, MHD_UPGRADE_ACTION_CLOSE);
	free(w);
}

int wsio_send_until(int fd, const void *data, size_t n, uint64_t deadline)
{
	const uint8_t *p = data;

	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0 && errno != EAGAIN)
			return -EPIPE;
		uint64_t now = proc_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		struct pollfd pf = { fd, POLLOUT, 0 };
		poll(&pf, 1, (int)(deadline - now));
	}
	return 0;
}

int wsio_send(struct wsio *w, enum ws_opcode op, const void *data, size_t len, int timeout_ms)
{
	uint8_t hdr[WS_HEADER_MAX];
	size_t h = ws_header(hdr, op, len);
	uint64_t deadline = proc_now_ms() + (uint64_t)timeout_ms;
	int r;

	if (w->closing)
		return -EPIPE;
	if ((r = wsio_send_until(w->fd, hdr, h, deadline)) < 0 || (r = wsio_send_until(w->fd, data, len, deadline)) < 0)
		return r;
	return 0;
}

void wsio_close(struct wsio *w, uint16_t code, const char *reason)
{
	uint8_t p[125];
	size_t n = ws_close_payload(p, code, reason);

	if (w->closing)
		return;
	wsio_send(w, WS_CLOSE, p, n, 1000);
	w->closing = true;
}

int wsio_fill(struct wsio *w)
{
	if (w->inlen == sizeof(w->in))
		return 1; /* a full frame is waiting to be parsed */
	ssize_t k = recv(w->fd, w->in + w->inlen, sizeof(w->in) - w->inlen, MSG_DONTWAIT);
	if (k > 0) {
		w->inlen += (size_t)k;
		return 1;
	}
	if (k < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return -EPIPE;
}

static void consume(struct wsio *w, size_t n)
{
	memmove(w->in, w->in + n, w->inlen - n);
	w->inlen -= n;
}

int wsio_next(struct wsio *w, const uint8_t **data, size_t *len)
{
	struct ws_frame f;
	long n;

	for (;;) {
		n = ws_parse(w->in, w->inlen, &f);
		if (n < 0) {
			wsio_close(w, n == -EMSGSIZE ? WS_CLOSE_TOO_BIG : WS_CLOSE_PROTOCOL, err_msg());
			return (int)n;
		}
		if (n == 0)
			return 0;
		switch (f.opcode) {
		case WS_PING: {
			uint8_t p[125];
			memcpy(p, f.payload, f.len);
			size_t pl = f.len;
			consume(w, (size_t)n);
			wsio_send(w, WS_PONG, p, pl, 1000);
			continue;
		}
		case WS_PONG:
			consume(w, (size_t)n);
			continue;
		case WS_CLOSE:
			consume(w, (size_t)n);
			wsio_close(w, WS_CLOSE_NORMAL, "");
			return -ECONNRESET;
		default:
			/* data, text or binary, and continuations alike: console
			 * input and VNC client messages are byte streams */
			memcpy(w->out, f.payload, f.len);
			*data = w->out;
			*len = f.len;
			consume(w, (size_t)n);
			return 1;
		}
	}
}
