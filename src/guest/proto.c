/* SPDX-License-Identifier: MIT */
#include "guest/proto.h"

#include <stdio.h>
#include <string.h>

/* The protocol in one table: who sends each type, its payload limit, and
 * whether it is a report (session 0) or belongs to a command's session. */
static const struct {
	const char *name;
	enum hvp_side sender;
	size_t max;
	int report;
} hvp_types[] = {
	[HVP_HELLO] = { "HELLO", HVP_GUEST, 256, 1 },
	[HVP_EXEC] = { "EXEC", HVP_HOST, HVP_EXEC_MAX, 0 },
	[HVP_STDIN] = { "STDIN", HVP_HOST, HVP_DATA_MAX, 0 },
	[HVP_STDIN_EOF] = { "STDIN_EOF", HVP_HOST, 0, 0 },
	[HVP_STDOUT] = { "STDOUT", HVP_GUEST, HVP_DATA_MAX, 0 },
	[HVP_STDERR] = { "STDERR", HVP_GUEST, HVP_DATA_MAX, 0 },
	[HVP_EXIT] = { "EXIT", HVP_GUEST, 2, 0 },
	[HVP_WINCH] = { "WINCH", HVP_HOST, 4, 0 },
	[HVP_SIGNAL] = { "SIGNAL", HVP_HOST, 1, 0 },
	[HVP_ACK] = { "ACK", HVP_GUEST, 4, 0 },
	[HVP_ERROR] = { "ERROR", HVP_GUEST, 256, 0 },
	[HVP_NETINFO] = { "NETINFO", HVP_GUEST, 1024, 1 },
	[HVP_OUTACK] = { "OUTACK", HVP_HOST, 4, 0 },
	[HVP_HANGUP] = { "HANGUP", HVP_HOST, 0, 0 },
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

int hvp_is_report(int type)
{
	return hvp_known(type) && hvp_types[type].report;
}

void hvp_put_header(uint8_t *out, int type, unsigned session, size_t len)
{
	out[0] = (uint8_t)type;
	out[1] = 0;
	hvp_put16(out + 2, (uint16_t)session);
	hvp_put32(out + 4, (uint32_t)len);
}

void hvp_decoder_init(struct hvp_decoder *d, enum hvp_side peer)
{
	d->peer = peer;
	d->fault = HVP_FAULT_NONE;
	d->fault_type = 0;
	d->start = 0;
	d->used = 0;
}

size_t hvp_feed(struct hvp_decoder *d, const uint8_t *data, size_t n)
{
	size_t room;

	if (d->start) {
		/* frames already handed out are dropped only now: one move per
		 * read, not one per frame */
		memmove(d->buf, d->buf + d->start, d->used - d->start);
		d->used -= d->start;
		d->start = 0;
	}
	room = sizeof(d->buf) - d->used;
	if (n > room)
		n = room;
	memcpy(d->buf + d->used, data, n);
	d->used += n;
	return n;
}

static int hvp_refuse(struct hvp_decoder *d, enum hvp_fault f, const uint8_t *h)
{
	d->fault = f;
	d->fault_type = h[0];
	d->fault_session = hvp_get16(h + 2);
	return -1;
}

int hvp_next(struct hvp_decoder *d, struct hvp_frame *f)
{
	const uint8_t *h = d->buf + d->start;
	size_t have = d->used - d->start, plen;
	unsigned session;

	if (have < HVP_HDR)
		return 0;
	if (!hvp_known(h[0]))
		return hvp_refuse(d, HVP_FAULT_TYPE, h);
	if (h[1] != 0)
		return hvp_refuse(d, HVP_FAULT_RESERVED, h);
	if (hvp_sender(h[0]) != d->peer)
		return hvp_refuse(d, HVP_FAULT_DIRECTION, h);
	session = hvp_get16(h + 2);
	if ((session == 0) != (hvp_is_report(h[0]) != 0))
		return hvp_refuse(d, HVP_FAULT_SESSION, h);
	plen = hvp_get32(h + 4);
	if (plen > hvp_max_payload(h[0]))
		return hvp_refuse(d, HVP_FAULT_LENGTH, h);
	if (have < HVP_HDR + plen)
		return 0;
	f->type = h[0];
	f->session = session;
	f->payload = h + HVP_HDR;
	f->len = plen;
	return 1;
}

void hvp_consume(struct hvp_decoder *d)
{
	size_t have = d->used - d->start, flen;

	if (have < HVP_HDR)
		return;
	flen = HVP_HDR + (size_t)hvp_get32(d->buf + d->start + 4);
	d->start += flen > have ? have : flen;
	if (d->start == d->used)
		d->start = d->used = 0;
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
	case HVP_FAULT_SESSION:
		snprintf(buf, n, "the %s sent a %s frame on session %u", peer, name, d->fault_session);
		break;
	case HVP_FAULT_LENGTH:
		snprintf(buf, n, "the %s sent a %s frame longer than its limit of %zu bytes", peer, name,
			 hvp_max_payload(d->fault_type));
		break;
	}
}
