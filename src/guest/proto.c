/* SPDX-License-Identifier: MIT */
#include "guest/proto.h"

#include <stdio.h>
#include <string.h>

/* The protocol in one table: who sends each type, and its payload limit. */
static const struct {
	const char *name;
	enum hvp_side sender;
	size_t max;
} hvp_types[] = {
	[HVP_HELLO] = { "HELLO", HVP_GUEST, 256 },
	[HVP_EXEC] = { "EXEC", HVP_HOST, HVP_EXEC_MAX },
	[HVP_STDIN] = { "STDIN", HVP_HOST, HVP_DATA_MAX },
	[HVP_STDIN_EOF] = { "STDIN_EOF", HVP_HOST, 0 },
	[HVP_STDOUT] = { "STDOUT", HVP_GUEST, HVP_DATA_MAX },
	[HVP_STDERR] = { "STDERR", HVP_GUEST, HVP_DATA_MAX },
	[HVP_EXIT] = { "EXIT", HVP_GUEST, 2 },
	[HVP_WINCH] = { "WINCH", HVP_HOST, 4 },
	[HVP_SIGNAL] = { "SIGNAL", HVP_HOST, 1 },
	[HVP_ACK] = { "ACK", HVP_GUEST, 4 },
	[HVP_ERROR] = { "ERROR", HVP_GUEST, 256 },
	[HVP_NETINFO] = { "NETINFO", HVP_GUEST, 1024 },
};

static int hvp_known(int type)
{
	return type > 0 && (size_t)type < sizeof(hvp_types) / sizeof(hvp_types[0]) && hvp_types[type].name;
}

enum hvp_side hvp_sender(int type)
{
	return hvp_known(type) ? hvp_types[type].sender : HVP_NOBODY;
}

const char *hvp_type_name(int type)
{
	return hvp_known(type) ? hvp_types[type].name : NULL;
}

size_t hvp_max_payload(int type)
{
	return hvp_known(type) ? hvp_types[type].max : 0;
}

void hvp_put_header(uint8_t *out, int type, size_t len)
{
	out[0] = (uint8_t)type;
	out[1] = 0;
	hvp_put16(out + 2, (uint16_t)len);
}

void hvp_decoder_init(struct hvp_decoder *d, enum hvp_side peer)
{
	d->peer = peer;
	d->fault = HVP_FAULT_NONE;
	d->fault_type = 0;
	d->used = 0;
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

static int hvp_refuse(struct hvp_decoder *d, enum hvp_fault f)
{
	d->fault = f;
	d->fault_type = d->buf[0];
	return -1;
}

int hvp_next(struct hvp_decoder *d, int *type, const uint8_t **payload, size_t *len)
{
	size_t plen;

	if (d->used < HVP_HDR)
		return 0;
	if (!hvp_known(d->buf[0]))
		return hvp_refuse(d, HVP_FAULT_TYPE);
	if (d->buf[1] != 0)
		return hvp_refuse(d, HVP_FAULT_RESERVED);
	if (hvp_sender(d->buf[0]) != d->peer)
		return hvp_refuse(d, HVP_FAULT_DIRECTION);
	plen = hvp_get16(d->buf + 2);
	if (plen > hvp_max_payload(d->buf[0]))
		return hvp_refuse(d, HVP_FAULT_LENGTH);
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

static const char *side_name(enum hvp_side s)
{
	return s == HVP_HOST ? "host" : s == HVP_GUEST ? "guest" : "nobody";
}

void hvp_describe_fault(const struct hvp_decoder *d, char *buf, size_t n)
{
	const char *peer = side_name(d->peer), *name = hvp_type_name(d->fault_type);

	switch (d->fault) {
	case HVP_FAULT_NONE:
		snprintf(buf, n, "no fault");
		break;
	case HVP_FAULT_TYPE:
		snprintf(buf, n, "the %s sent a frame of unknown type %d", peer, d->fault_type);
		break;
	case HVP_FAULT_RESERVED:
		snprintf(buf, n, "the %s sent a %s frame with a non-zero reserved byte", peer, name);
		break;
	case HVP_FAULT_DIRECTION:
		snprintf(buf, n, "the %s sent %s, a frame only the %s may send", peer, name,
			 side_name(hvp_sender(d->fault_type)));
		break;
	case HVP_FAULT_LENGTH:
		snprintf(buf, n, "the %s sent a %s frame longer than its limit of %zu bytes", peer, name,
			 hvp_max_payload(d->fault_type));
		break;
	}
}
