/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * The record of a live migration leaving a VM (migrate.json in its
 * folder): which hv drives it and how far it got.  hv migrate writes it;
 * the VM's monitor reads it when that hv dies mid-way, to give the VM
 * back to its source (or, after switchover began, to leave it paused).
 */
#include <stdbool.h>

#include "util/proc.h"

enum migrec_phase {
	MIGREC_COPYING,	   /* the state is being sent: the source owns the VM */
	MIGREC_SWITCHOVER, /* the destination was told to take over: the source must not run it again */
};

struct migrec {
	struct proc_id hv; /* the hv migrate process */
	bool was_running;  /* run the VM again at the source if the migration fails */
	enum migrec_phase phase;
	char dest[256]; /* for messages */
};

int migrec_save(int dirfd, const struct migrec *m);
/* -ENOENT (nothing recorded) when there is no record. */
int migrec_load(int dirfd, struct migrec *m);
void migrec_remove(int dirfd);
