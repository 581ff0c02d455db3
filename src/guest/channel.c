/* SPDX-License-Identifier: MIT */
#include "guest/channel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"
#include "util/tty.h"

void chan_init(struct chan_host *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->credit = HVP_STDIN_WINDOW;
}

int chan_send(struct chan_host *c, int type, const void *payload, size_t len)
{
	uint8_t hdr[HVP_HDR];
	int r;

	if (len > hvp_max_payload(type))
		return err_set(-EMSGSIZE, "guest channel frame too large");
	hvp_put_header(hdr, type, len);
	if ((r = write_all(c->fd, hdr, sizeof(hdr))) < 0 || (len && (r = write_all(c->fd, payload, len)) < 0))
		return err_errno(r, "cannot write to the guest channel");
	if (type == HVP_STDIN)
		c->credit -= (uint32_t)len;
	return 0;
}

static int put_tagged(uint8_t *buf, size_t *off, char tag, const char *s)
{
	size_t n = strlen(s);

	if (*off + n + 2 > HVP_EXEC_MAX)
		return err_set(-E2BIG, "the command and its environment exceed %d bytes", HVP_EXEC_MAX);
	buf[(*off)++] = (uint8_t)tag;
	memcpy(buf + *off, s, n + 1);
	*off += n + 1;
	return 0;
}

int chan_send_exec(struct chan_host *c, char *const argv[], char *const envp[], int rows, int cols)
{
	static uint8_t buf[HVP_EXEC_MAX];
	size_t off = 0;
	int r;

	for (char *const *a = argv; *a; a++)
		if ((r = put_tagged(buf, &off, 'A', *a)) < 0)
			return r;
	for (char *const *e = envp; e && *e; e++)
		if ((r = put_tagged(buf, &off, 'E', *e)) < 0)
			return r;
	if (rows > 0) {
		char t[32];
		snprintf(t, sizeof(t), "%dx%d", rows, cols);
		if ((r = put_tagged(buf, &off, 'T', t)) < 0)
			return r;
	}
	return chan_send(c, HVP_EXEC, buf, off);
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
		if (got < 0) {
			c->broken = true;
			return err_set(-EPROTO, "the guest sent a malformed frame on the guest channel");
		}
	}
	return 0;
}
