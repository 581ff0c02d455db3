/* SPDX-License-Identifier: MIT */
#include "guest/channel.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/trace.h"
#include "util/tty.h"

/* Room kept in an EXEC for the terminal size: "T65535x65535" and its NUL. */
#define EXEC_TTY_ROOM 14

void chan_init(struct chan_host *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->credit = HVP_STDIN_WINDOW;
	hvp_decoder_init(&c->dec, HVP_GUEST);
}

int chan_send(struct chan_host *c, int type, const void *payload, size_t len)
{
	uint8_t hdr[HVP_HDR];
	int r;

	if (hvp_sender(type) != HVP_HOST)
		return err_set(-EINVAL, "frame type %d is not one the host sends", type);
	if (len > hvp_max_payload(type))
		return err_set(-EMSGSIZE, "guest channel frame too large");
	trace_printf("chan", "send %s (%zu bytes)", hvp_type_name(type), len);
	hvp_put_header(hdr, type, len);
	if ((r = write_all(c->fd, hdr, sizeof(hdr))) < 0 || (len && (r = write_all(c->fd, payload, len)) < 0))
		return err_errno(r, "cannot write to the guest channel");
	if (type == HVP_STDIN)
		c->credit -= (uint32_t)len;
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

/* The EXEC payload of argv and envp (without the terminal size): its
 * length, written to buf when buf is not NULL and it fits. */
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
	size_t need = exec_encode(NULL, argv, envp) + EXEC_TTY_ROOM;

	if (need > HVP_EXEC_MAX)
		return err_set(-E2BIG,
			       "the command and its environment take %zu bytes, over the guest channel's limit of %d "
			       "bytes (64 KiB)",
			       need, HVP_EXEC_MAX);
	return 0;
}

int chan_send_exec(struct chan_host *c, char *const argv[], char *const envp[], int rows, int cols)
{
	_cleanup_free_ uint8_t *buf = NULL;
	size_t off;
	int r;

	if ((r = chan_exec_check(argv, envp)) < 0)
		return r;
	if (!(buf = malloc(HVP_EXEC_MAX)))
		return err_set(-ENOMEM, "out of memory");
	off = exec_encode(buf, argv, envp);
	if (rows > 0) {
		char t[EXEC_TTY_ROOM + 8];
		snprintf(t, sizeof(t), "%ux%u", (unsigned)rows & 0xffff, (unsigned)cols & 0xffff);
		put_tagged(buf, &off, 'T', t);
	}
	return chan_send(c, HVP_EXEC, buf, off);
}

/* The guest broke the protocol: the channel is closed for good. */
static int chan_violation(struct chan_host *c)
{
	char why[160];

	hvp_describe_fault(&c->dec, why, sizeof(why));
	c->broken = true;
	trace_printf("chan", "protocol violation: %s", why);
	return err_set(-EPROTO, "guest channel closed: %s", why);
}

int chan_read(struct chan_host *c, void (*on_frame)(void *ctx, int type, const uint8_t *p, size_t n), void *ctx)
{
	uint8_t buf[16384];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	size_t off = 0;

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -ECONNRESET;
	if (n == 0)
		return -ECONNRESET;
	if (c->broken)
		return 0;
	while (off < (size_t)n) {
		int type, got;
		const uint8_t *p;
		size_t len;
		off += hvp_feed(&c->dec, buf + off, (size_t)n - off);
		while ((got = hvp_next(&c->dec, &type, &p, &len)) == 1) {
			trace_printf("chan", "recv %s (%zu bytes)", hvp_type_name(type), len);
			if (type == HVP_ACK && len == 4) {
				uint32_t k = hvp_get32(p);
				/* the guest may not ack more than was sent */
				if (k > HVP_STDIN_WINDOW - c->credit)
					k = HVP_STDIN_WINDOW - c->credit;
				c->credit += k;
			}
			on_frame(ctx, type, p, len);
			hvp_consume(&c->dec);
		}
		if (got < 0)
			return chan_violation(c);
	}
	return 0;
}
