/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The QMP queries behind hv stats, typed as qmp-ops.h's are (replies
 * checked against QEMU 7.2's qapi/machine.json and block-core.json):
 * which host threads run the vCPUs, and each drive's I/O counters.
 * QEMU's own query-stats is KVM-only, so hv reads CPU time from /proc.
 */
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
