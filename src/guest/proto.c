/* SPDX-License-Identifier: MIT */
#include "guest/proto.h"

#include <string.h>

size_t hvp_max_payload(int type)
{
	switch (type) {
	case HVP_HELLO:
	case HVP_ERROR:
		return 256;
	case HVP_NETINFO:
		return 1024;
	case HVP_EXEC:
		return HVP_EXEC_MAX;
	case HVP_STDIN:
	case HVP_STDOUT:
	case HVP_STDERR:
		return HVP_DATA_MAX;
	case HVP_STDIN_EOF:
		return 0;
	case HVP_EXIT:
		return 2;
	case HVP_WINCH:
		return 4;
	case HVP_SIGNAL:
		return 1;
	case HVP_ACK:
		return 4;
	default:
		return 0;
	}
}

static int hvp_known(int type)
{
	return type >= HVP_HELLO && type <= HVP_NETINFO;
}

void hvp_put_header(uint8_t *out, int type, size_t len)
{
	out[0] = (uint8_t)type;
	out[1] = 0;
	hvp_put16(out + 2, (uint16_t)len);
}

size_t hvp_feed(struct hvp_decoder *d, const uint8_t *data, size_t n)
{
	size_t room = sizeof(d->buf) - d->used;

	if (n > room)
		n = room;
	memcpy(d->buf + d->used, data, n);
	d->used += n;
	return n;
}

int hvp_next(struct hvp_decoder *d, int *type, const uint8_t **payload, size_t *len)
{
	size_t plen;

	if (d->used < HVP_HDR)
		return 0;
	if (!hvp_known(d->buf[0]) || d->buf[1] != 0)
		return -1;
	plen = hvp_get16(d->buf + 2);
	if (plen > hvp_max_payload(d->buf[0]))
		return -1;
	if (d->used < HVP_HDR + plen)
		return 0;
	*type = d->buf[0];
	*payload = d->buf + HVP_HDR;
	*len = plen;
	return 1;
}

void hvp_consume(struct hvp_decoder *d)
{
	size_t flen = HVP_HDR + hvp_get16(d->buf + 2);

	if (flen > d->used)
		flen = d->used;
	memmove(d->buf, d->buf + flen, d->used - flen);
	d->used -= flen;
}
