/* SPDX-License-Identifier: MIT */
/* Fuzz target: the monitor's exec multiplexer (manager/execmux.c) between
 * hv exec clients on exec.sock and the guest.  The input is a script:
 *   op 0  a client connects (at most 4)
 *   op 1  client K sends N raw bytes
 *   op 2  the guest sends a frame (type, session, N bytes of payload);
 *         one the monitor's decoder refuses is not delivered
 *   op 3  the guest says HELLO
 *   op 4  client K hangs up
 *   op 5  the guest's channel goes away
 * with a round of the monitor's loop after each step.  What reaches the
 * guest must be valid host frames; what reaches a client, guest frames. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "guest/channel.h"
#include "manager/execmux.h"
#include "util/err.h"
#include "util/sock.h"
#include "fuzz.h"

#define CLIENTS 4

static char dir[64];
static int dirfd = -1;

struct peer {
	int fd;
	struct hvp_decoder *dec; /* checks what it receives */
	bool broken;
};

static void cleanup(void)
{
	unlinkat(dirfd, "exec.sock", 0);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "/tmp/fuzz_execmux.XXXXXX");
	if (!mkdtemp(dir) || (dirfd = open(dir, O_DIRECTORY | O_CLOEXEC)) < 0)
		abort();
	atexit(cleanup);
	return 0;
}

/* Read what the peer has and check it frame by frame. */
static void collect(struct peer *p)
{
	uint8_t buf[16384];
	struct hvp_frame f;
	ssize_t n;

	while (p->fd >= 0 && (n = recv(p->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (size_t off = 0; off < (size_t)n;) {
			int got;
			off += hvp_feed(p->dec, buf + off, (size_t)n - off);
			while ((got = hvp_next(p->dec, &f)) == 1)
				hvp_consume(p->dec);
			if (got < 0) {
				char why[160];
				hvp_describe_fault(p->dec, why, sizeof(why));
				fprintf(stderr, "execmux sent an invalid frame: %s\n", why);
				abort();
			}
		}
	}
}

static void peer_open(struct peer *p, int fd, enum hvp_side sender)
{
	p->fd = fd;
	if (!(p->dec = malloc(sizeof(*p->dec))))
		abort();
	hvp_decoder_init(p->dec, sender);
}

static void peer_close(struct peer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->dec);
	p->dec = NULL;
}

struct mon {
	struct chan guest;	/* the monitor's end */
	struct peer g;		/* the guest's end */
	struct hvp_decoder *in; /* as the monitor reads the guest */
	struct execmux *x;
	struct peer cl[CLIENTS];
};

static void step(struct mon *m)
{
	struct pollfd pf[EXECMUX_MAX_POLL];
	int timeout = 0, n = execmux_poll_fds(m->x, pf, &timeout);

	poll(pf, (nfds_t)n, 0);
	execmux_handle(m->x, pf, n);
	if (m->guest.fd >= 0 && chan_pending(&m->guest))
		chan_flush(&m->guest);
	err_clear();
	collect(&m->g);
	for (int i = 0; i < CLIENTS; i++)
		collect(&m->cl[i]);
}

static void guest_frame(struct mon *m, struct fz *in)
{
	uint8_t hdr[HVP_HDR];
	unsigned type = fz_byte(in), session = fz_u16(in);
	size_t len, got;
	const uint8_t *p = fz_take(in, fz_byte(in) | (fz_byte(in) << 8), &len);
	struct hvp_frame f;

	hvp_decoder_init(m->in, HVP_GUEST);
	hvp_put_header(hdr, (int)type, session, len);
	hvp_feed(m->in, hdr, sizeof(hdr));
	got = hvp_feed(m->in, p, len);
	if (got != len || hvp_next(m->in, &f) != 1)
		return;
	/* routed as the monitor routes */
	if (f.type == HVP_HELLO)
		execmux_guest_hello(m->x);
	else if (f.session)
		execmux_guest_frame(m->x, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	struct mon m = { 0 };
	int gp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, gp) < 0)
		abort();
	fcntl(gp[0], F_SETFL, O_NONBLOCK);
	chan_init(&m.guest, gp[0], HVP_GUEST);
	peer_open(&m.g, gp[1], HVP_HOST);
	if (!(m.in = malloc(sizeof(*m.in))))
		abort();
	for (int i = 0; i < CLIENTS; i++)
		m.cl[i].fd = -1;
	unlinkat(dirfd, "exec.sock", 0);
	if (execmux_open(dirfd, &m.guest, &m.x) < 0)
		abort();
	while (in.n > 0) {
		unsigned op = fz_byte(&in) % 6, k = fz_byte(&in) % CLIENTS;
		size_t len;
		const uint8_t *p;
		int fd;
		switch (op) {
		case 0:
			if (m.cl[k].fd < 0 && sock_connect_at(dirfd, "exec.sock", &fd) == 0)
				peer_open(&m.cl[k], fd, HVP_GUEST);
			break;
		case 1:
			p = fz_take(&in, fz_byte(&in), &len);
			if (m.cl[k].fd >= 0)
				(void)!send(m.cl[k].fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
			break;
		case 2:
			guest_frame(&m, &in);
			break;
		case 3:
			execmux_guest_hello(m.x);
			break;
		case 4:
			peer_close(&m.cl[k]);
			break;
		case 5:
			execmux_guest_gone(m.x);
			break;
		}
		step(&m);
	}
	step(&m);
	execmux_close(m.x);
	for (int i = 0; i < CLIENTS; i++)
		peer_close(&m.cl[i]);
	chan_free(&m.guest);
	close(gp[0]);
	peer_close(&m.g);
	free(m.in);
	err_clear();
	return 0;
}
