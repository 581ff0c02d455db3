/* SPDX-License-Identifier: MIT */
/* The host's side of one command in the default guest (session.h). */
#include "guest/session.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/text.h"
#include "util/tty.h"

void gsess_init(struct gsess *s, struct chan *ch, unsigned id, const struct exec_request *req)
{
	memset(s, 0, sizeof(*s));
	s->ch = ch;
	s->id = id;
	s->req = req;
	s->credit = HVP_WINDOW;
	s->stdin_open = req->in >= 0;
}

int gsess_start(struct gsess *s, char terminal, int rows, int cols)
{
	_cleanup_free_ uint8_t *p = NULL;
	size_t len;
	int r;

	if ((r = chan_exec_encode(s->req->argv, s->req->env, s->req->workdir, s->req->user, terminal, rows, cols, &p,
				  &len)) < 0 ||
	    (r = chan_queue(s->ch, HVP_EXEC, s->id, p, len)) < 0)
		return r;
	s->started = true;
	if (!s->stdin_open)
		return chan_queue(s->ch, HVP_STDIN_EOF, s->id, NULL, 0);
	return 0;
}

bool gsess_wants_stdin(const struct gsess *s)
{
	return s->started && s->stdin_open && !s->ended && s->credit > 0;
}

static void moved(struct gsess *s, size_t n)
{
	s->moved += n;
	if (s->req->progress)
		s->req->progress(s->req->progress_ctx, s->moved);
}

int gsess_pump_stdin(struct gsess *s)
{
	uint8_t buf[HVP_DATA_MAX];
	size_t want = s->credit < sizeof(buf) ? s->credit : sizeof(buf);
	ssize_t n;

	/* without credit a read of 0 bytes would look like the end of input */
	if (!gsess_wants_stdin(s))
		return 0;
	n = read(s->req->in, buf, want);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n <= 0) {
		/* end of input (or an unreadable one): the command sees EOF */
		s->stdin_open = false;
		return chan_queue(s->ch, HVP_STDIN_EOF, s->id, NULL, 0);
	}
	s->credit -= (uint32_t)n;
	moved(s, (size_t)n);
	return chan_queue(s->ch, HVP_STDIN, s->id, buf, (size_t)n);
}

/* Write the command's output out, then tell the guest it may send more.
 * A reader that went away (EPIPE) gets no more; the command gets SIGPIPE
 * as it would in a local pipeline. */
static void output(struct gsess *s, int fd, bool *broken, const uint8_t *p, size_t n)
{
	uint8_t ack[4];

	if (!*broken && write_all(fd, p, n) < 0) {
		*broken = true;
		chan_queue(s->ch, HVP_SIGNAL, s->id, (uint8_t[]){ SIGPIPE }, 1);
	}
	moved(s, n);
	hvp_put32(ack, (uint32_t)n);
	chan_queue(s->ch, HVP_OUTACK, s->id, ack, sizeof(ack));
}

void gsess_on_frame(struct gsess *s, const struct hvp_frame *f)
{
	if (f->session != s->id || s->ended)
		return;
	switch (f->type) {
	case HVP_STDOUT:
		output(s, s->req->out, &s->out_broken, f->payload, f->len);
		break;
	case HVP_STDERR:
		output(s, s->req->err, &s->err_broken, f->payload, f->len);
		break;
	case HVP_ACK:
		if (f->len == 4) {
			/* the guest may not ack more than was sent */
			uint32_t k = hvp_get32(f->payload), out = HVP_WINDOW - s->credit;
			s->credit += k < out ? k : out;
		}
		break;
	case HVP_ERROR:
		snprintf(s->error, sizeof(s->error), "%.*s", (int)f->len, (const char *)f->payload);
		break;
	case HVP_EXIT:
		if (f->len == 2) {
			s->st.signaled = f->payload[0] == 1;
			s->st.code = f->payload[1];
			s->ended = true;
		}
		break;
	}
}

int gsess_signal(struct gsess *s, int sig)
{
	uint8_t b = (uint8_t)sig;

	if (!s->started || s->ended)
		return 0;
	return chan_queue(s->ch, HVP_SIGNAL, s->id, &b, 1);
}

int gsess_winch(struct gsess *s, int rows, int cols)
{
	uint8_t p[4];

	if (!s->started || s->ended)
		return 0;
	hvp_put16(p, (uint16_t)rows);
	hvp_put16(p + 2, (uint16_t)cols);
	return chan_queue(s->ch, HVP_WINCH, s->id, p, sizeof(p));
}

static void on_frame(void *ctx, const struct hvp_frame *f)
{
	gsess_on_frame(ctx, f);
}

static void on_signal(struct gsess *s, int sigfd)
{
	struct signalfd_siginfo si;

	while (read(sigfd, &si, sizeof(si)) == sizeof(si)) {
		int rows, cols;
		if (si.ssi_signo == SIGWINCH) {
			if (s->req->tty && tty_size(s->req->in, &rows, &cols))
				gsess_winch(s, rows, cols);
		} else {
			gsess_signal(s, (int)si.ssi_signo);
		}
	}
}

int gsess_run(int fd, const struct exec_request *req, int sigfd, struct exec_status *st)
{
	struct chan ch;
	struct gsess s;
	int rows = 0, cols = 0, r;
	bool write_closed = false;

	chan_init(&ch, fd, HVP_GUEST);
	gsess_init(&s, &ch, 1, req);
	if (req->tty && !tty_size(req->in, &rows, &cols)) {
		rows = 24;
		cols = 80;
	}
	if ((r = gsess_start(&s, req->tty ? 'P' : 0, rows, cols)) < 0)
		goto out;
	while (!s.ended) {
		struct pollfd pf[3] = {
			{ fd, POLLIN | (chan_pending(&ch) && !write_closed ? POLLOUT : 0), 0 },
			{ gsess_wants_stdin(&s) ? req->in : -1, POLLIN, 0 },
			{ sigfd, POLLIN, 0 },
		};
		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = err_errno(-errno, "poll");
			break;
		}
		if (pf[2].revents)
			on_signal(&s, sigfd);
		if (pf[1].revents && (r = gsess_pump_stdin(&s)) < 0)
			break;
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			r = chan_read(&ch, on_frame, &s);
			if (r == -EPROTO)
				break;
			if (r < 0 && !s.ended) {
				r = err_set(-ECONNRESET,
					    "the VM's monitor closed the connection before the command ended "
					    "(the VM stopped?)");
				break;
			}
		}
		if (!write_closed && chan_flush(&ch) < 0) {
			/* the other end stopped reading: what it sent last (the
			 * EXIT of a command that ended early) is still to be read */
			write_closed = true;
			ch.out_off = ch.out_len = 0;
			s.stdin_open = false;
		}
		r = 0;
	}
	if (s.ended) {
		*st = s.st;
		text_sanitize(st->message, sizeof(st->message), s.error, strlen(s.error), 0);
	}
out:
	chan_free(&ch);
	return r;
}
