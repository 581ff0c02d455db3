/* SPDX-License-Identifier: MIT */
/* One end of a framed hv channel stream: queued output, checked input (channel.h). */
#include "guest/channel.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/trace.h"

/* Room kept in an EXEC for the terminal size: "T65535x65535" and its NUL. */
#define EXEC_TTY_ROOM 14

int chan_init(struct chan *c, int fd, enum hvp_side peer)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	hvp_decoder_init(&c->dec, peer);
	return 0;
}

void chan_free(struct chan *c)
{
	free(c->out);
	c->out = NULL;
	c->out_off = c->out_len = c->out_cap = 0;
}

static int reserve(struct chan *c, size_t more)
{
	size_t need;
	uint8_t *p;

	if (c->out_off && c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	need = c->out_len + more;
	if (need <= c->out_cap)
		return 0;
	if (c->out_off) {
		/* drop what was written before growing */
		memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
		c->out_len -= c->out_off;
		c->out_off = 0;
		need = c->out_len + more;
		if (need <= c->out_cap)
			return 0;
	}
	if (!(p = realloc(c->out, need + need / 2)))
		return err_set(-ENOMEM, "out of memory");
	c->out = p;
	c->out_cap = need + need / 2;
	return 0;
}

int chan_queue(struct chan *c, int type, unsigned session, const void *payload, size_t len)
{
	int r;

	if (hvp_sender(type) == HVP_NOBODY || hvp_sender(type) == c->dec.peer)
		return err_set(-EINVAL, "frame type %d is not one this end sends", type);
	if (len > hvp_max_payload(type))
		return err_set(-EMSGSIZE, "channel frame too large");
	/* a number over 16 bits would go out truncated, 65536 as session 0 */
	if (session > 0xffff || (session == 0) != (hvp_is_report(type) != 0))
		return err_set(-EINVAL, "frame %s on the wrong session (%u)", hvp_type_name(type), session);
	if ((r = reserve(c, HVP_HDR + len)) < 0)
		return r;
	trace_printf("chan", "send %s session %u (%zu bytes)", hvp_type_name(type), session, len);
	hvp_put_header(c->out + c->out_len, type, session, len);
	if (len)
		memcpy(c->out + c->out_len + HVP_HDR, payload, len);
	c->out_len += HVP_HDR + len;
	return 0;
}

int chan_flush(struct chan *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == ENOTSOCK)
			n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return -ECONNRESET;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return 0;
}

int chan_send(struct chan *c, int type, unsigned session, const void *payload, size_t len)
{
	int r = chan_queue(c, type, session, payload, len);

	while (r == 0 && (r = chan_flush(c)) == 1) {
		struct pollfd pf = { c->fd, POLLOUT, 0 };
		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			r = -errno;
		else
			r = 0;
	}
	if (r < 0)
		return err_errno(r, "cannot write to the hv channel");
	return 0;
}

/* Append "<tag><s>\0" at *off when buf is not NULL; count it either way. */
static void put_tagged(uint8_t *buf, size_t *off, char tag, const char *s)
{
	size_t n = strlen(s);

	if (buf && *off + n + 2 <= HVP_EXEC_MAX) {
		buf[*off] = (uint8_t)tag;
		memcpy(buf + *off + 1, s, n + 1);
	}
	*off += n + 2;
}

/* The EXEC payload of argv and envp: its length, written to buf when
 * buf is not NULL and it fits. */
static size_t exec_encode(uint8_t *buf, char *const argv[], char *const envp[])
{
	size_t off = 0;

	for (char *const *a = argv; *a; a++)
		put_tagged(buf, &off, 'A', *a);
	for (char *const *e = envp; e && *e; e++)
		put_tagged(buf, &off, 'E', *e);
	return off;
}

int chan_exec_check(char *const argv[], char *const envp[])
{
	size_t need = exec_encode(NULL, argv, envp) + EXEC_TTY_ROOM, argc = 0;

	while (argv[argc])
		argc++;
	if (argc > HVP_EXEC_ARGS)
		return err_set(-E2BIG, "the command has %zu arguments, over the %d hv's init in the guest takes", argc,
			       HVP_EXEC_ARGS);

	if (need > HVP_EXEC_MAX - 2 * 4096)
		return err_set(-E2BIG,
			       "the command and its environment take %zu bytes, over the guest channel's limit of %d "
			       "bytes (56 KiB)",
			       need, HVP_EXEC_MAX - 2 * 4096);
	return 0;
}

int chan_exec_encode(char *const argv[], char *const envp[], const char *workdir, const char *user, char terminal,
		     int rows, int cols, uint8_t **out, size_t *len)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t off;
	int r;

	if ((r = chan_exec_check(argv, envp)) < 0)
		return r;
	if ((workdir && strlen(workdir) >= 4096) || (user && strlen(user) >= 4096))
		return err_set(-ENAMETOOLONG, "the working directory or user name is too long");
	if (!argv[0])
		return err_set(-EINVAL, "no command to run");
	if (!(buf = malloc(HVP_EXEC_MAX)))
		return err_set(-ENOMEM, "out of memory");
	off = exec_encode(buf, argv, envp);
	if (workdir)
		put_tagged(buf, &off, 'W', workdir);
	if (user)
		put_tagged(buf, &off, 'U', user);
	if (terminal) {
		char t[EXEC_TTY_ROOM + 8];
		snprintf(t, sizeof(t), "%ux%u", (unsigned)rows & 0xffff, (unsigned)cols & 0xffff);
		put_tagged(buf, &off, terminal, t);
	}
	/* chan_exec_check keeps 2 x 4096 bytes for W and U, but each may take
	 * 4097 with its tag and NUL: put_tagged then skipped what did not fit
	 * while off still counted it */
	if (off > HVP_EXEC_MAX)
		return err_set(-E2BIG,
			       "the command with its working directory and user takes %zu bytes, over the guest "
			       "channel's limit of %d bytes",
			       off, HVP_EXEC_MAX);
	*out = TAKE_PTR(buf);
	*len = off;
	return 0;
}

/* The peer broke the protocol: the channel is closed for good. */
static int chan_violation(struct chan *c)
{
	char why[160];

	hvp_describe_fault(&c->dec, why, sizeof(why));
	c->broken = true;
	trace_printf("chan", "protocol violation: %s", why);
	return err_set(-EPROTO, "hv channel closed: %s", why);
}

int chan_read(struct chan *c, void (*on_frame)(void *ctx, const struct hvp_frame *f), void *ctx)
{
	uint8_t buf[65536];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	size_t off = 0;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -ECONNRESET;
	if (n == 0)
		return -ECONNRESET;
	if (c->broken)
		return 0;
	while (off < (size_t)n) {
		struct hvp_frame f;
		int got;
		off += hvp_feed(&c->dec, buf + off, (size_t)n - off);
		while ((got = hvp_next(&c->dec, &f)) == 1) {
			trace_printf("chan", "recv %s session %u (%zu bytes)", hvp_type_name(f.type), f.session, f.len);
			on_frame(ctx, &f);
			hvp_consume(&c->dec);
		}
		if (got < 0)
			return chan_violation(c);
	}
	return 0;
}
