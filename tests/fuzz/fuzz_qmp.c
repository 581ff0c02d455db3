/* SPDX-License-Identifier: MIT */
/* Fuzz target: QEMU's side of a QMP connection (engine/qmp.c, qmp-ops.c).
 * The input's first byte picks a mode, the rest is everything QEMU says:
 *   0  qmp_open_fd's handshake, then every typed command hv sends in a
 *      fixed order (ids 2, 3, ...), then the queued events, typed;
 *   1  an attached connection (qmp_attach_fd: the greeting is answered as
 *      it arrives), its events read as the monitor reads them;
 *   2  the stream parser alone, fed in small pieces, each object taken as
 *      an event. */
#include <errno.h>
#include <fcntl.h>

#include "engine/qmp-block.h"
#include "engine/qmp-ops.h"
#include "engine/qmp.h"
#include "util/err.h"
#include "fuzz.h"

static void commands(struct qmp *q)
{
	struct qmp_status st;
	struct qmp_migration mig;
	struct qmp_hostfwd f = { .udp = false, .host_addr = 0x0100007f, .host_port = 2222, .guest_port = 22 };
	int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);

	qmp_query_status(q, &st);
	qmp_query_migrate(q, &mig);
	qmp_stop(q);
	qmp_cont(q);
	qmp_snapshot_internal(q, "disk0", "snap");
	qmp_hostfwd_add(q, "net0", &f);
	qmp_hostfwd_remove(q, "net0", &f);
	qmp_migrate_to_fd(q, devnull, QMP_BANDWIDTH_UNLIMITED);
	close(devnull);
	/* --copy-storage's replies (qmp-block.c) */
	{
		struct qmp_block_node b;
		struct qmp_block_job j;
		qmp_block_node(q, "disk0", &b);
		qmp_block_job(q, "hvmig-disk0", &j);
	}
}

static void events(struct qmp *q)
{
	struct qmp_event ev;
	int r;

	for (int i = 0; i < 1000; i++) {
		r = qmp_event_next(q, 0, &ev);
		if (r < 0 && r != -EBADMSG)
			break;
	}
}

static void on_object(struct json_object *o, void *ctx)
{
	struct qmp_event ev;

	(void)ctx;
	qmp_event_parse(o, &ev);
	json_object_put(o);
}

static void parser_alone(const uint8_t *data, size_t size)
{
	struct qmp_parser p;

	if (qmp_parser_init(&p) < 0)
		abort();
	for (size_t off = 0; off < size;) {
		size_t n = size - off < 7 ? size - off : 7;
		if (qmp_parser_feed(&p, (const char *)data + off, n, on_object, NULL) < 0)
			break;
		off += n;
	}
	qmp_parser_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp *q = NULL;
	unsigned mode;
	int sp[2];

	if (size < 1)
		return 0;
	mode = data[0] % 3;
	data++;
	size--;
	if (mode == 2) {
		parser_alone(data, size);
	} else {
		fz_peer(data, size, sp);
		if (mode == 0) {
			if (qmp_open_fd(sp[0], 1000, &q) == 0) {
				commands(q);
				events(q);
				qmp_close(q);
			}
		} else if (qmp_attach_fd(sp[0], &q) == 0) {
			events(q);
			qmp_close(q);
		}
		close(sp[1]);
	}
	err_clear();
	return 0;
}
