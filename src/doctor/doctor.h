/* SPDX-License-Identifier: MIT */
#pragma once
/* hv doctor: what this host can do for hv and what to fix.  Each check
 * fills a struct; nothing is printed here (src/cli/doctor.c prints). */
#include <stdbool.h>
#include <stddef.h>

#include "engine/engine.h"

enum doctor_level {
	DOCTOR_OK,
	DOCTOR_INFO,  /* worth knowing, nothing to fix */
	DOCTOR_WARN,  /* a feature will not work, or runs slowly */
	DOCTOR_FATAL, /* hv cannot run VMs at all */
};

#define DOCTOR_MAX_CHECKS 32
struct doctor_check {
	char name[32]; /* "kvm", "qemu", "cgroup", ... */
	enum doctor_level level;
	char value[320]; /* what was found, one line */
	char fix[200];	 /* one line, "" when nothing to do */
};

struct doctor_report {
	struct doctor_check checks[DOCTOR_MAX_CHECKS];
	size_t n;
	enum accel accel;    /* what hv run / hv start choose with --accel auto */
	char accel_why[200]; /* why TCG, "" with KVM */
	bool can_run_vms;    /* false: a FATAL check */
};

/* Run every check (reads /proc, /sys, the store; runs QEMU twice for its
 * version and machines).  Never fails: an unreadable fact is a check. */
void doctor_run(struct doctor_report *r);
const char *doctor_level_name(enum doctor_level l);
