/* SPDX-License-Identifier: MIT */
/*
 * "run" mode: ask hv for a command over the guest channel (ttyS1, framed
 * as in src/guest/proto.h), run it, relay its stdio, report its exit
 * status and power off.  With a terminal, the command gets the console
 * (ttyS0) as its controlling tty and only control frames use the channel.
 */
#include "run.h"

#include "../../src/guest/proto.h"
#include "chan.h"
#include "net.h"
#include "sys.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define CHANNEL	 "/dev/ttyS1"
#define MAX_ARGS 1024

struct cmd {
	char *argv[MAX_ARGS + 1];
	char *envp[MAX_ARGS + 8];
	int rows, cols; /* > 0: run on the console as a terminal */
};

/* Frames from the host: this decoder accepts only the types the host may send. */
static struct hvp_decoder dec;

static void send_error(const char *msg)
{
	gchan_send(HVP_ERROR, msg, strnlen(msg, 255));
}

/* The host broke the protocol (a type it may not send, a bad length):
 * say so on the console and to hv.  The channel is not read again. */
static void protocol_violation(void)
{
	char why[160];

	hvp_describe_fault(&dec, why, sizeof(why));
	init_log("guest channel closed: %s", why);
	send_error(why);
}

/* Block until a whole frame is available. */
static int read_frame(int *type, const uint8_t **p, size_t *len)
{
	for (;;) {
		int r = hvp_next(&dec, type, p, len);
		if (r != 0)
			return r;
		uint8_t buf[4096];
		size_t room = sizeof(dec.buf) - dec.used;
		ssize_t n = read(gchan_fd(), buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		hvp_feed(&dec, buf, (size_t)n);
	}
}

/* The strings of c point into the returned copy of the payload. */
static char *parse_exec(const uint8_t *p, size_t len, struct cmd *c)
{
	char *copy = malloc(len + 1);
	size_t na = 0, ne = 0;

	if (!copy)
		return NULL;
	memcpy(copy, p, len);
	copy[len] = '\0';
	for (char *const *e = init_environ; *e; e++)
		c->envp[ne++] = *e;
	for (size_t off = 0; off < len;) {
		char *s = copy + off;
		size_t sl = strnlen(s, len - off);
		off += sl + 1;
		if (sl == 0)
			continue;
		if (s[0] == 'A' && na < MAX_ARGS)
			c->argv[na++] = s + 1;
		else if (s[0] == 'E' && strchr(s, '=') && ne < MAX_ARGS + 4) {
			/* a later value replaces a default with the same name */
			size_t kl = (size_t)(strchr(s, '=') - s);
			size_t j;
			for (j = 0; j < ne; j++)
				if (!strncmp(c->envp[j], s + 1, kl) && c->envp[j][kl - 1] == '=')
					break;
			c->envp[j == ne ? ne++ : j] = s + 1;
		} else if (s[0] == 'T')
			sscanf(s + 1, "%dx%d", &c->rows, &c->cols);
	}
	c->argv[na] = NULL;
	c->envp[ne] = NULL;
	if (na == 0) {
		free(copy);
		return NULL;
	}
	return copy;
}

static void open_channel(void)
{
	if (gchan_open() < 0) {
		init_log("no guest channel on /dev/ttyS1 (%s): was this VM started by hv run?", strerror(errno));
		init_poweroff_now();
	}
}

/* Fork and exec the command; report exec failures through a CLOEXEC pipe. */
static pid_t spawn(struct cmd *c, int in, int out, int err)
{
	int ep[2];
	pid_t pid;
	int e = 0;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setsid();
		if (c->rows > 0) {
			if (init_take_tty("/dev/ttyS0", c->rows, c->cols) < 0)
				_exit(126);
		} else {
			dup2(in, 0);
			dup2(out, 1);
			dup2(err, 2);
		}
		if (chdir("/root") < 0)
			chdir("/");
		execvpe(c->argv[0], c->argv, c->envp);
		e = errno;
		(void)!write(ep[1], &e, sizeof(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	close(ep[1]);
	if (pid > 0 && read(ep[0], &e, sizeof(e)) == sizeof(e)) {
		char msg[256];
		snprintf(msg, sizeof(msg), "%s: %s", c->argv[0],
			 e == ENOENT ? "command not found in the guest" : strerror(e));
		send_error(msg);
	}
	close(ep[0]);
	return pid;
}

struct relay {
	int in_w, out_r, err_r; /* pipe ends held by init (-1 once closed) */
	bool chan_closed;	/* the host broke the protocol: its frames are no longer read */
	uint8_t inbuf[HVP_STDIN_WINDOW];
	size_t inlen;
	bool in_eof;
	pid_t pid;
};

static void relay_output(int *fd, int type)
{
	uint8_t buf[HVP_DATA_MAX];
	ssize_t n = read(*fd, buf, sizeof(buf));

	if (n > 0) {
		gchan_send(type, buf, (size_t)n);
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
}

/* Move buffered stdin into the command; acknowledge what was consumed. */
static void relay_stdin(struct relay *r)
{
	uint8_t ack[4];
	size_t done = 0;

	while (r->in_w >= 0 && done < r->inlen) {
		ssize_t n = write(r->in_w, r->inbuf + done, r->inlen - done);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* the command closed its stdin: drop the rest, keep acking */
			close(r->in_w);
			r->in_w = -1;
			done = r->inlen;
			break;
		}
		done += (size_t)n;
	}
	if (r->in_w < 0)
		done = r->inlen;
	if (done) {
		memmove(r->inbuf, r->inbuf + done, r->inlen - done);
		r->inlen -= done;
		hvp_put32(ack, (uint32_t)done);
		gchan_send(HVP_ACK, ack, sizeof(ack));
	}
	if (r->in_eof && r->inlen == 0 && r->in_w >= 0) {
		close(r->in_w);
		r->in_w = -1;
	}
}

static void handle_frame(struct relay *r, int type, const uint8_t *p, size_t len)
{
	if (type == HVP_STDIN && !r->in_eof) {
		if (len > sizeof(r->inbuf) - r->inlen)
			len = sizeof(r->inbuf) - r->inlen; /* host broke the window */
		memcpy(r->inbuf + r->inlen, p, len);
		r->inlen += len;
	} else if (type == HVP_STDIN_EOF) {
		r->in_eof = true;
	} else if (type == HVP_SIGNAL && len == 1 && p[0] > 0 && p[0] < 65) {
		kill(-r->pid, p[0]);
	} else if (type == HVP_WINCH && len == 4) {
		struct winsize ws = { .ws_row = hvp_get16(p), .ws_col = hvp_get16(p + 2) };
		int fd = open("/dev/ttyS0", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (fd >= 0) {
			ioctl(fd, TIOCSWINSZ, &ws);
			close(fd);
		}
	}
}

/* Handle every complete frame in the decoder (some may have arrived
 * together with EXEC). */
static void handle_buffered(struct relay *r)
{
	int type, got;
	const uint8_t *p;
	size_t len;

	if (r->chan_closed)
		return;
	while ((got = hvp_next(&dec, &type, &p, &len)) == 1) {
		handle_frame(r, type, p, len);
		hvp_consume(&dec);
	}
	if (got < 0) {
		/* the command keeps running with its stdin ended; its output and status still go out */
		protocol_violation();
		r->chan_closed = true;
		r->in_eof = true;
		dec.used = 0;
	}
}

static void report_exit(int status)
{
	uint8_t ex[2] = { 0, 0 };

	if (WIFSIGNALED(status)) {
		ex[0] = 1;
		ex[1] = (uint8_t)WTERMSIG(status);
	} else {
		ex[1] = (uint8_t)WEXITSTATUS(status);
	}
	tcdrain(1); /* the console output comes before the status */
	gchan_send(HVP_EXIT, ex, sizeof(ex));
	tcdrain(gchan_fd());
}

static int relay_loop(struct relay *r, int sfd)
{
	int status = 0;
	bool exited = false;

	handle_buffered(r);
	for (;;) {
		struct pollfd pf[5];
		int n = 0, ichan, iout = -1, ierr = -1, iin = -1;

		/* move stdin along (and close it at EOF) before sleeping */
		if (r->inlen || (r->in_eof && r->in_w >= 0))
			relay_stdin(r);

		pf[n] = (struct pollfd){ sfd, POLLIN, 0 };
		n++;
		ichan = n;
		/* read the channel only while there is room for a full window */
		pf[n++] = (struct pollfd){ r->chan_closed ? -1 : gchan_fd(), r->inlen == 0 ? POLLIN : 0, 0 };
		if (r->out_r >= 0) {
			iout = n;
			pf[n++] = (struct pollfd){ r->out_r, POLLIN, 0 };
		}
		if (r->err_r >= 0) {
			ierr = n;
			pf[n++] = (struct pollfd){ r->err_r, POLLIN, 0 };
		}
		if (r->in_w >= 0 && r->inlen) {
			iin = n;
			pf[n++] = (struct pollfd){ r->in_w, POLLOUT, 0 };
		}
		if (exited && iout < 0 && ierr < 0)
			break;
		if (poll(pf, (nfds_t)n, exited ? 200 : -1) == 0 && exited)
			break; /* output held open by background processes: stop */
		if (pf[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			(void)!read(sfd, &si, sizeof(si));
			pid_t w;
			int st;
			while ((w = waitpid(-1, &st, WNOHANG)) > 0)
				if (w == r->pid) {
					status = st;
					exited = true;
				}
		}
		if (pf[ichan].revents & POLLIN) {
			uint8_t buf[HVP_STDIN_WINDOW];
			ssize_t k = read(gchan_fd(), buf, sizeof(buf));
			if (k > 0) {
				size_t off = 0;
				while (off < (size_t)k) {
					off += hvp_feed(&dec, buf + off, (size_t)k - off);
					handle_buffered(r);
				}
			}
		}
		if (iout >= 0 && pf[iout].revents)
			relay_output(&r->out_r, HVP_STDOUT);
		if (ierr >= 0 && pf[ierr].revents)
			relay_output(&r->err_r, HVP_STDERR);
		if (iin >= 0 && pf[iin].revents)
			relay_stdin(r);
	}
	return status;
}

int run_main(void)
{
	struct cmd c = { 0 };
	struct relay r = { .in_w = -1, .out_r = -1, .err_r = -1 };
	int type, sfd, status;
	const uint8_t *p;
	size_t len;
	sigset_t set;

	open_channel();
	hvp_decoder_init(&dec, HVP_HOST);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);

	gchan_send(HVP_HELLO, HVP_VERSION, strlen(HVP_VERSION));
	for (;;) {
		int got = read_frame(&type, &p, &len);
		if (got < 0 && dec.fault != HVP_FAULT_NONE) {
			protocol_violation();
			init_poweroff_now();
		}
		if (got < 0) {
			init_log("guest channel closed before a command arrived");
			init_poweroff_now();
		}
		if (type == HVP_EXEC)
			break;
		hvp_consume(&dec);
	}
	if (!parse_exec(p, len, &c)) {
		send_error("empty command");
		report_exit(127 << 8);
		init_poweroff_now();
	}
	hvp_consume(&dec);

	net_wait(); /* the command may need the network at once */
	if (c.rows > 0) {
		r.pid = spawn(&c, -1, -1, -1);
	} else {
		int in[2], out[2], err[2];
		if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
			send_error("cannot create pipes");
			init_poweroff_now();
		}
		r.pid = spawn(&c, in[0], out[1], err[1]);
		close(in[0]);
		close(out[1]);
		close(err[1]);
		r.in_w = in[1];
		r.out_r = out[0];
		r.err_r = err[0];
		fcntl(r.in_w, F_SETFL, O_NONBLOCK);
		fcntl(r.out_r, F_SETFL, O_NONBLOCK);
		fcntl(r.err_r, F_SETFL, O_NONBLOCK);
		signal(SIGPIPE, SIG_IGN);
	}
	if (r.pid < 0) {
		send_error("cannot fork");
		report_exit(126 << 8);
		init_poweroff_now();
	}
	status = relay_loop(&r, sfd);
	report_exit(status);
	init_poweroff_now();
}
