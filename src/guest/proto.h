/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The hv guest channel: a byte stream between hv on the host and hv's init
 * in the default guest, carried by a virtio-serial port (named
 * org.hv.channel.0).  It is framed so that one stream carries many command
 * sessions at once: each command, its stdio and its exit status.  Both
 * ends are compiled from this file; it depends on libc only, since the
 * guest's init is a static binary.
 *
 * A frame is an 8-byte header -- type (u8), reserved (u8, 0), session
 * (u16 LE), payload length (u32 LE) -- followed by the payload.  Session 0
 * carries the guest's reports (HELLO, NETINFO); sessions 1..65535 carry
 * commands, the host choosing the number in EXEC.  The guest is
 * untrusted: the host checks every frame (known type, sent by the guest,
 * on the right kind of session, length within the type's limit) and
 * treats a violation as a closed channel.  The guest's init checks the
 * host's frames the same way: each side accepts only the types the other
 * side may send (hvp_sender).
 *
 * Conversation:
 *   guest: HELLO "hv-init <version>"            (session 0, at every boot)
 *   host:  EXEC  tagged NUL-terminated strings: "A<arg>" (repeated),
 *                "E<NAME=value>" (repeated), "W<workdir>", "U<user>",
 *                "T<rows>x<cols>" (the console is the command's terminal:
 *                hv run) or "P<rows>x<cols>" (a new pseudo-terminal)
 *   then   host STDIN / STDIN_EOF / WINCH / SIGNAL / OUTACK / HANGUP;
 *          guest STDOUT / STDERR / ACK / ERROR and finally EXIT.
 *   guest: NETINFO whenever a DHCP lease changes (session 0).
 * Flow control, per session and each way: at most HVP_WINDOW bytes of
 * data unacknowledged (ACK: stdin consumed by the command; OUTACK: output
 * written out by the host), so neither side's buffers grow without bound
 * and one slow reader does not stall the other sessions.
 */
#include <stddef.h>
#include <stdint.h>

enum hvp_type {
	HVP_HELLO = 1,	   /* g->h: version text */
	HVP_EXEC = 2,	   /* h->g: command, environment, terminal */
	HVP_STDIN = 3,	   /* h->g: data */
	HVP_STDIN_EOF = 4, /* h->g: empty */
	HVP_STDOUT = 5,	   /* g->h: data */
	HVP_STDERR = 6,	   /* g->h: data */
	HVP_EXIT = 7,	   /* g->h: u8 kind (0 exited, 1 killed by signal), u8 value */
	HVP_WINCH = 8,	   /* h->g: u16 rows, u16 cols */
	HVP_SIGNAL = 9,	   /* h->g: u8 signal number */
	HVP_ACK = 10,	   /* g->h: u32 stdin bytes consumed */
	HVP_ERROR = 11,	   /* g->h: text, e.g. the command was not found */
	HVP_NETINFO = 12,  /* g->h: "IFACE MAC ADDR/PREFIX" lines ("-" without a lease) */
	HVP_OUTACK = 13,   /* h->g: u32 output bytes written out */
	HVP_HANGUP = 14,   /* h->g: empty; the host end went away, end the command */
};

#define HVP_HDR	      8
#define HVP_DATA_MAX  65536  /* payload limit of data frames */
#define HVP_EXEC_MAX  65536  /* payload limit of EXEC */
#define HVP_EXEC_ARGS 1024   /* arguments hv's init takes in one EXEC */
#define HVP_WINDOW    524288 /* unacknowledged data bytes in flight, per session and direction */
#define HVP_SESSIONS  64     /* sessions a guest runs at once */
#define HVP_VERSION   "hv-init 2"

/* The side that may send a frame type. */
enum hvp_side {
	HVP_NOBODY = 0, /* not a frame type */
	HVP_HOST = 1,
	HVP_GUEST = 2,
};

/* Who may send a type (HVP_NOBODY for an unknown type): the one table
 * of the protocol's direction, used by both ends. */
enum hvp_side hvp_sender(int type);
/* "EXEC", "STDOUT", ...; NULL for an unknown type. */
const char *hvp_type_name(int type);
/* Largest payload allowed for a type, 0 for an unknown type. */
size_t hvp_max_payload(int type);

/* Whether a type travels on session 0 (reports) rather than a command's. */
int hvp_is_report(int type);

/* Encode a header into out[HVP_HDR]. */
void hvp_put_header(uint8_t *out, int type, unsigned session, size_t len);

/* Why a decoder refused the stream. */
enum hvp_fault {
	HVP_FAULT_NONE = 0,
	HVP_FAULT_TYPE,	     /* not a frame type */
	HVP_FAULT_RESERVED,  /* the reserved header byte is not 0 */
	HVP_FAULT_DIRECTION, /* a type the peer may not send */
	HVP_FAULT_LENGTH,    /* a payload over the type's limit */
	HVP_FAULT_SESSION,   /* a report on a command's session, or the reverse */
};

/* Incremental decoder: feed bytes, get whole frames.  A decoder accepts
 * only the frames its peer may send. */
struct hvp_decoder {
	enum hvp_side peer; /* the side whose frames this decoder reads */
	enum hvp_fault fault;
	int fault_type;		/* the type byte of the refused frame */
	unsigned fault_session; /* and its session */
	size_t start;		/* where the next frame begins */
	size_t used;
	uint8_t buf[HVP_HDR + HVP_DATA_MAX];
};

/* Start reading the frames sent by peer. */
void hvp_decoder_init(struct hvp_decoder *d, enum hvp_side peer);
/* One decoded frame; payload is valid until hvp_consume. */
struct hvp_frame {
	int type;
	unsigned session;
	const uint8_t *payload;
	size_t len;
};
/* Look for one complete frame in the decoder.  Returns 1 and fills f
 * when one is ready, 0 when more bytes are needed, -1 when the stream is
 * malformed (d->fault says why; hvp_describe_fault words it). */
int hvp_next(struct hvp_decoder *d, struct hvp_frame *f);
/* One line naming the fault, e.g. "the guest sent EXEC, a frame only the
 * host may send", into buf (always terminated). */
void hvp_describe_fault(const struct hvp_decoder *d, char *buf, size_t n);
/* Append bytes; returns how many were taken (less than n when the
 * decoder is full: call hvp_next and hvp_consume first).  Invalidates
 * the payload of the last frame returned. */
size_t hvp_feed(struct hvp_decoder *d, const uint8_t *data, size_t n);
/* Drop the frame returned by the last hvp_next. */
void hvp_consume(struct hvp_decoder *d);

static inline uint16_t hvp_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t hvp_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline void hvp_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void hvp_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
