/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The QMP queries behind hv stats, typed as qmp-ops.h's are (replies
 * checked against QEMU 7.2's qapi/machine.json and block-core.json):
 * which host threads run the vCPUs, each drive's I/O counters, and the
 * guest's memory as its virtio-balloon driver reports it.
 * QEMU's own query-stats is KVM-only, so hv reads CPU time from /proc.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qmp;

/* query-cpus-fast: the vCPUs and their host threads. */
struct qmp_vcpu {
	unsigned index; /* cpu-index */
	pid_t thread;	/* thread-id */
};
/* Fill out[max]; *n is the number of vCPUs QEMU named (may exceed max:
 * only max are filled). */
int qmp_query_cpus_fast(struct qmp *q, int timeout_ms, struct qmp_vcpu *out, size_t max, size_t *n);

/* query-blockstats: the counters of each drive with a device name
 * (BlockStats.device, hv's "disk0", "cd0", ...). */
struct qmp_blockstats {
	char device[32];
	uint64_t rd_bytes, wr_bytes, rd_ops, wr_ops;
};
int qmp_query_blockstats(struct qmp *q, int timeout_ms, struct qmp_blockstats *out, size_t max, size_t *n);

/* The memory figures the guest's balloon driver reports (QOM property
 * guest-stats of hv's balloon device, polled every
 * guest-stats-polling-interval seconds; QEMU's docs/interop/
 * virtio-balloon-stats).  known is false until the guest has reported
 * (no driver, not booted yet, or a VM without the device). */
#define QMP_BALLOON_PATH "/machine/peripheral/balloon0"
struct qmp_guest_mem {
	bool known;
	uint64_t total, free, available, caches; /* bytes, as the guest says */
	uint64_t used;				 /* total - free - caches */
	uint64_t last_update;			 /* the guest's last report (host seconds) */
};
struct json_object;
/* qom-get's reply (GuestStats) into out; the engine's parser, exposed
 * for unit tests. */
int qmp_guest_mem_parse(struct json_object *ret, struct qmp_guest_mem *out);

/* Every query of one stats sample at once, on a connection from
 * qmp_connect_at: query-cpus-fast, query-blockstats and the balloon's
 * guest-stats are sent in one go; once qmp_stats_ready (after qmp_pump),
 * each reply is read without waiting by the functions below. */
struct qmp_stats_req {
	unsigned cpus, blocks, guest; /* the commands' ids */
};
int qmp_stats_send(struct qmp *q, struct qmp_stats_req *req);
bool qmp_stats_ready(const struct qmp *q, const struct qmp_stats_req *req);
int qmp_stats_cpus(struct qmp *q, const struct qmp_stats_req *req, struct qmp_vcpu *out, size_t max, size_t *n);
int qmp_stats_blocks(struct qmp *q, const struct qmp_stats_req *req, struct qmp_blockstats *out, size_t max, size_t *n);
/* A VM without a balloon device gives known = false, not an error. */
int qmp_stats_guest_mem(struct qmp *q, const struct qmp_stats_req *req, struct qmp_guest_mem *out);
