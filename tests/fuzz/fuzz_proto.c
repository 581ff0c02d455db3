/* SPDX-License-Identifier: MIT */
/* Fuzz target: the guest channel's frame decoder (guest/proto.c), as the
 * host reads the guest and as hv's init reads the host.  The first byte
 * picks the peer and the size of the pieces the stream arrives in; every
 * frame the decoder hands out must obey the protocol's table. */
#include <stdio.h>

#include "guest/proto.h"
#include "fuzz.h"

static struct hvp_decoder dec; /* 64 KiB: not on the stack */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hvp_frame f;
	enum hvp_side peer;
	size_t piece;
	int got = 0;

	if (size < 1)
		return 0;
	peer = data[0] & 1 ? HVP_HOST : HVP_GUEST;
	piece = (size_t)(data[0] >> 1) + 1;
	data++;
	size--;
	hvp_decoder_init(&dec, peer);
	for (size_t off = 0; off < size && got >= 0;) {
		size_t n = size - off < piece ? size - off : piece;
		off += hvp_feed(&dec, data + off, n);
		while ((got = hvp_next(&dec, &f)) == 1) {
			/* what the decoder hands out is what the protocol allows */
			if (hvp_sender(f.type) != peer || f.len > hvp_max_payload(f.type) ||
			    (f.session == 0) != (hvp_is_report(f.type) != 0) || !hvp_type_name(f.type))
				abort();
			hvp_consume(&dec);
		}
	}
	if (got < 0) {
		char why[160];
		hvp_describe_fault(&dec, why, sizeof(why));
		if (dec.fault == HVP_FAULT_NONE)
			abort();
	}
	return 0;
}
