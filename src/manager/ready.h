/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * How far a booting guest has come, read from its console: firmware,
 * kernel, userspace, cloud-init, ready.  The scanner is pure (fed chunks
 * of console output, unit-tested on recorded boots); hv start --wait and
 * hv info use it.  The console is the guest's: lines are bounded, and
 * nothing it prints can do more than move the phase forward or report
 * one of the known dead ends.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ready_phase {
	PHASE_FIRMWARE,
	PHASE_KERNEL,
	PHASE_USERSPACE,
	PHASE_CLOUD_INIT,
	PHASE_CLOUD_INIT_DONE,
	PHASE_READY,
	PHASE_FAILED,
};
#define READY_LINE_MAX 512

struct ready_scan {
	enum ready_phase phase;
	char failure[160]; /* PHASE_FAILED: what the console said */
	char line[READY_LINE_MAX];
	size_t len;
	uint64_t bytes; /* console bytes seen: progress */
};

const char *ready_phase_name(enum ready_phase p);
void ready_scan_init(struct ready_scan *s);
/* Feed console output; returns true when the phase changed.  hv's own
 * init saying it is up is ready; a distribution is ready only once the
 * caller has seen its SSH server answer after cloud-init finished. */
bool ready_scan_feed(struct ready_scan *s, const char *data, size_t n);
