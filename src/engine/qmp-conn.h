/* SPDX-License-Identifier: MIT */
#pragma once
/* A QMP connection to one QEMU: open (with the capabilities handshake),
 * attach, close.  Implemented by engine/qmp.c; the commands are in
 * engine/qmp-ops.h, which includes this. */
#include <stdbool.h>

struct qmp;

/* Connect to the listening QMP socket NAME in the folder dirfd (reached
 * as /proc/self/fd/DIRFD/NAME, so sun_path's limit never depends on
 * where the folder is) and finish the capabilities handshake. */
int qmp_open_at(int dirfd, const char *name, int timeout_ms, struct qmp **out);
/* Take over a connected socket (e.g. one end of a socketpair) and finish
 * the handshake.  The fd is the connection's from the call on: on
 * failure it has been closed (exactly once). */
int qmp_open_fd(int fd, int timeout_ms, struct qmp **out);
/* Take over fd for a caller's own poll loop: nothing is awaited now; the
 * greeting is answered with qmp_capabilities when reading finds it, and
 * events queue up for qmp_event_next(q, 0, ...).  Owns fd as above. */
int qmp_attach_fd(int fd, struct qmp **out);
/* Connect without waiting for anything: qmp_capabilities is sent at once
 * (QEMU reads it after its greeting), so commands may follow it in the
 * same breath; the greeting and that reply are dropped as they arrive.
 * For a caller's poll loop over many QEMUs: poll qmp_fd for POLLIN and
 * call qmp_pump. */
int qmp_connect_at(int dirfd, const char *name, struct qmp **out);
/* Read and parse everything readable now, without waiting; -ECONNRESET
 * when QEMU closed the connection. */
int qmp_pump(struct qmp *q);
/* Has QEMU greeted an attached connection (it got as far as building the
 * machine)? */
bool qmp_greeted(const struct qmp *q);
void qmp_close(struct qmp *q);
int qmp_fd(const struct qmp *q);
/* Are events already read off the socket, waiting to be taken?
 * (poll on qmp_fd does not wake for them: poll with no timeout then) */
bool qmp_queued(const struct qmp *q);
