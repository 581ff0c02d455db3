/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv migrate: move a VM to another hv store, live (QEMU's migration over
 * a socket between the two QEMUs, driven by events) or offline (the
 * definition and disks).  The destination's side is hv __migrate-in,
 * run by the source's hv as a child (a local store) and spoken to in
 * JSON lines (peer.h).  docs/migration.md tells the whole protocol.
 */
#include <stdbool.h>
#include <stdint.h>

struct migrate_progress {
	const char *phase;			/* "setup", "active", "postcopy", "switchover", ... */
	uint64_t transferred, remaining, total; /* RAM bytes */
	double rate;				/* bytes per second on the link */
	uint64_t dirty_rate;			/* bytes per second the guest dirties */
	uint64_t pass;				/* rounds over RAM */
	int64_t expected_downtime_ms;		/* -1: not known yet */
	uint64_t elapsed_ms;
};

/* A migration that sends nothing for this long has lost its link. */
#define MIGRATE_STALL_S 30

struct migrate_opts {
	const char *name;
	const char *dest;  /* another store: a path, or ssh://[USER@]HOST[:PORT][?home=PATH] */
	bool offline;	   /* move the definition and disks of a stopped VM (implied when it is stopped) */
	bool keep_source;  /* leave the source defined (stopped) */
	bool copy_storage; /* mirror the disks over NBD (migration/storage.h) */
	bool auto_converge;
	bool postcopy;		  /* switch to postcopy at --timeout instead of cancelling */
	uint64_t bandwidth;	  /* bytes per second, 0: no limit */
	unsigned max_downtime_ms; /* 0: QEMU's (300 ms) */
	unsigned timeout_s;	  /* 0: none; then postcopy if asked, else cancel */
	unsigned stall_s;	  /* no bytes sent for this long: the link is gone, cancel (0: MIGRATE_STALL_S) */
	int cancel_fd;		  /* readable: cancel (the CLI's signalfd for SIGINT/SIGTERM), or -1 */
	void (*progress)(const struct migrate_progress *p, void *ctx);
	void *ctx;
};

struct migrate_report {
	bool live;
	char dest[4096];	  /* the destination store */
	uint64_t total_ms;	  /* from the start of hv migrate's work to the VM running there */
	uint64_t setup_ms;	  /* destination QEMU up and connected */
	int64_t downtime_ms;	  /* the guest stood still: QEMU's downtime plus the handover */
	int64_t qemu_downtime_ms; /* QEMU's own figure (stop at the source to the last byte) */
	uint64_t bytes;		  /* RAM bytes sent */
	uint64_t passes;
	bool paused_copy; /* TCG: the source stood still while RAM moved (docs/migration.md) */
	bool postcopy;	  /* it switched to postcopy */
	bool source_kept; /* --keep-source */
	int dest_pid;	  /* QEMU's pid at the destination */
	/* --copy-storage: disk bytes sent until every copy was in sync, and the time that took */
	uint64_t disk_bytes, disk_ms;
};

int migrate_vm(const struct migrate_opts *o, struct migrate_report *out);
/* hv migrate NAME --cancel: ask the hv migrating NAME to cancel (it
 * leaves the VM running at the source). */
int migrate_cancel(const char *name);
/* hv __migrate-in NAME: the destination's side, on in and out; HV_HOME
 * is the destination store. */
int migrate_in_main(const char *name, int in, int out);
