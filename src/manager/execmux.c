/* SPDX-License-Identifier: MIT */
/* The monitor's exec multiplexer: many hv exec clients on one guest channel (execmux.h). */
#include "manager/execmux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"
#include "util/proc.h"
#include "util/sock.h"
#include "util/trace.h"

#define READY_WAIT_MS	60000	  /* a client waits this long for hv's init */
#define GUEST_QUEUE_MAX (4 << 20) /* stop reading clients while this much waits for the guest */

struct client {
	int fd;
	struct chan c;	    /* frames from the client are host frames */
	unsigned gid;	    /* its guest session, 0 before EXEC went out */
	bool closing;	    /* ended: write what is queued, then close */
	bool exited;	    /* the guest's EXIT went to the client: nothing runs */
	uint64_t unacked;   /* output forwarded, not yet acknowledged by the client */
	uint64_t stdin_out; /* stdin forwarded, not yet acknowledged by the guest */
	bool errored;	    /* an ERROR was forwarded */
	uint64_t since_ms;  /* connected at */
};

struct execmux {
	int dirfd, lfd;
	struct chan *guest;
	bool ready;
	unsigned next_id;
	struct client *cl[EXECMUX_MAX_CLIENTS];
	/* what each polled fd is: -1 the listener, else a client index */
	int owner[EXECMUX_MAX_POLL];
};

int execmux_open(int dirfd, struct chan *guest, struct execmux **out)
{
	struct execmux *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return err_set(-ENOMEM, "out of memory");
	x->dirfd = dirfd;
	x->guest = guest;
	x->next_id = 1;
	if ((r = sock_listen_at(dirfd, "exec.sock", true, &x->lfd)) < 0) {
		free(x);
		return r;
	}
	*out = x;
	return 0;
}

static void drop(struct execmux *x, int i)
{
	struct client *c = x->cl[i];

	if (!c)
		return;
	/* a command still running in the guest loses its reader */
	if (c->gid && !c->exited && x->guest->fd >= 0)
		chan_queue(x->guest, HVP_HANGUP, c->gid, NULL, 0);
	close(c->fd);
	chan_free(&c->c);
	free(c);
	x->cl[i] = NULL;
}

void execmux_close(struct execmux *x)
{
	if (!x)
		return;
	for (int i = 0; i < EXECMUX_MAX_CLIENTS; i++)
		drop(x, i);
	close(x->lfd);
	unlinkat(x->dirfd, "exec.sock", 0);
	free(x);
}

/* End a client with a reason of the monitor's own, as the guest would. */
static void refuse(struct client *c, const char *why, int code)
{
	chan_queue(&c->c, HVP_ERROR, 1, why, strlen(why));
	chan_queue(&c->c, HVP_EXIT, 1, (uint8_t[]){ 0, (uint8_t)code }, 2);
	c->closing = true;
}

static void accept_client(struct execmux *x)
{
	int fd = accept4(x->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), i;
	struct client *c;

	if (fd < 0)
		return;
	for (i = 0; i < EXECMUX_MAX_CLIENTS && x->cl[i]; i++)
		;
	if (i == EXECMUX_MAX_CLIENTS || !(c = calloc(1, sizeof(*c)))) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->since_ms = proc_now_ms();
	chan_init(&c->c, fd, HVP_HOST);
	x->cl[i] = c;
}

/* The next session number no client holds.  The numbers wrap after
 * 65535 commands, and the guest ignores an EXEC on a session that still
 * runs: its client would wait for ever. */
static unsigned new_session(struct execmux *x)
{
	for (;;) {
		unsigned id = x->next_id;
		bool used = false;
		x->next_id = id == 65535 ? 1 : id + 1;
		for (int i = 0; i < EXECMUX_MAX_CLIENTS; i++)
			if (x->cl[i] && x->cl[i]->gid == id)
				used = true;
		if (!used)
			return id;
	}
}

/* The client's frames go to the guest on its session. */
static void on_client_frame(void *ctx, const struct hvp_frame *f)
{
	struct execmux *x = ((void **)ctx)[0];
	struct client *c = ((void **)ctx)[1];

	if (c->closing)
		return;
	if (f->session != 1) {
		refuse(c, "hv exec: frames on a session other than 1", 125);
		return;
	}
	if (f->type == HVP_EXEC) {
		if (c->gid)
			return;
		c->gid = new_session(x);
	} else if (!c->gid) {
		return; /* nothing runs yet */
	}
	if (f->type == HVP_STDIN)
		c->stdin_out += f->len;
	if (f->type == HVP_OUTACK && f->len == 4) {
		uint32_t k = hvp_get32(f->payload);
		c->unacked -= k < c->unacked ? k : c->unacked;
	}
	chan_queue(x->guest, f->type, c->gid, f->payload, f->len);
	if (x->guest->fd >= 0)
		chan_flush(x->guest); /* a failure shows on the monitor's next read */
}

void execmux_guest_frame(struct execmux *x, const struct hvp_frame *f)
{
	struct client *c = NULL;
	const uint8_t *p = f->payload;
	uint8_t ack[4];

	for (int i = 0; i < EXECMUX_MAX_CLIENTS && !c; i++)
		if (x->cl[i] && x->cl[i]->gid == f->session && !x->cl[i]->closing)
			c = x->cl[i];
	if (!c)
		return; /* its client left; the guest was told */
	/* Every frame queued for a client stands for something bounded:
	 * output within the window, an ACK for at least one stdin byte in
	 * flight, one ERROR.  Empty output, ACKs of nothing and further
	 * ERRORs would let a guest grow a slow client's queue without end. */
	if (f->type == HVP_STDOUT || f->type == HVP_STDERR) {
		if (!f->len)
			return;
		if (c->unacked + f->len > HVP_WINDOW) {
			trace_printf("chan", "session %u: the guest sent beyond the window; output dropped",
				     f->session);
			return;
		}
		c->unacked += f->len;
	} else if (f->type == HVP_ACK) {
		uint32_t k = f->len == 4 ? hvp_get32(f->payload) : 0;
		if (k > c->stdin_out)
			k = (uint32_t)c->stdin_out;
		if (!k)
			return;
		c->stdin_out -= k;
		hvp_put32(ack, k);
		p = ack;
	} else if (f->type == HVP_ERROR) {
		if (c->errored)
			return;
		c->errored = true;
	}
	chan_queue(&c->c, f->type, 1, p, f->len);
	if (f->type == HVP_EXIT)
		c->closing = c->exited = true;
	/* out at once, rather than after another trip through poll */
	if (chan_flush(&c->c) < 0) {
		c->closing = true;
		c->c.out_off = c->c.out_len = 0;
	}
}

void execmux_guest_hello(struct execmux *x)
{
	if (x->ready)
		for (int i = 0; i < EXECMUX_MAX_CLIENTS; i++)
			if (x->cl[i] && x->cl[i]->gid && !x->cl[i]->closing)
				refuse(x->cl[i], "the guest restarted while the command ran", 255);
	x->ready = true;
}

void execmux_guest_gone(struct execmux *x)
{
	for (int i = 0; i < EXECMUX_MAX_CLIENTS; i++)
		if (x->cl[i] && !x->cl[i]->closing)
			refuse(x->cl[i], "the VM stopped while the command ran", 255);
	x->ready = false;
}

int execmux_poll_fds(struct execmux *x, struct pollfd *pf, int *timeout_ms)
{
	uint64_t now = proc_now_ms();
	bool guest_full = x->guest->out_len - x->guest->out_off > GUEST_QUEUE_MAX;
	int n = 0;

	pf[n] = (struct pollfd){ x->lfd, POLLIN, 0 };
	x->owner[n++] = -1;
	for (int i = 0; i < EXECMUX_MAX_CLIENTS; i++) {
		struct client *c = x->cl[i];
		short ev = 0;
		if (!c)
			continue;
		if (!x->ready && !c->closing) {
			uint64_t waited = now - c->since_ms;
			if (waited >= READY_WAIT_MS) {
				refuse(c,
				       "hv's init in the guest did not answer within 60 s (is the VM still booting, or "
				       "not "
				       "running hv's default guest?)",
				       255);
			} else if (*timeout_ms < 0 || (int)(READY_WAIT_MS - waited) < *timeout_ms) {
				*timeout_ms = (int)(READY_WAIT_MS - waited);
			}
		}
		if (c->closing && !chan_pending(&c->c)) {
			drop(x, i);
			continue;
		}
		/* a client's frames wait in its socket until the guest can take them */
		if (c->closing || (x->ready && !guest_full))
			ev |= POLLIN;
		if (chan_pending(&c->c))
			ev |= POLLOUT;
		pf[n] = (struct pollfd){ c->fd, ev, 0 };
		x->owner[n++] = i;
	}
	return n;
}

void execmux_handle(struct execmux *x, const struct pollfd *pf, int n)
{
	for (int k = 0; k < n; k++) {
		int i = x->owner[k];
		struct client *c;
		if (!pf[k].revents)
			continue;
		if (i < 0) {
			accept_client(x);
			continue;
		}
		if (!(c = x->cl[i]))
			continue;
		/* poll reports a hangup even of a client not read from yet (hv's
		 * init not up): it gave up, and what it sent must not start */
		if (!(pf[k].events & POLLIN) && (pf[k].revents & (POLLHUP | POLLERR))) {
			drop(x, i);
			continue;
		}
		if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
			void *ctx[2] = { x, c };
			int r = chan_read(&c->c, on_client_frame, ctx);
			if (r == -ECONNRESET || (r == -EPROTO && !c->closing)) {
				err_clear();
				drop(x, i);
				continue;
			}
		}
		if (chan_pending(&c->c) && chan_flush(&c->c) < 0)
			drop(x, i);
	}
}
