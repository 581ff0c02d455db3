/* SPDX-License-Identifier: MIT */
#pragma once
/* hv run: a transient VM (made, started through the same path as hv
 * start, deleted at the end) runs one command with its stdio relayed and
 * hands back the command's exit status. */
#include <stddef.h>

#include "engine/engine.h"
#include "manager/nics.h"

struct oneshot_opts {
	unsigned cpus;
	unsigned long long memory_mib;
	const char *kernel, *initrd, *cmdline; /* NULL: the default guest */
	const char *disks[ENGINE_MAX_DISKS];
	size_t ndisks;
	enum accel accel; /* resolved */
	enum machine machine;
	char **command;		   /* NULL: an interactive shell (or the plain console without hv's init) */
	struct nic_request nics;   /* none given: one nat NIC */
	const char *const *shares; /* shared folders: HOSTDIR[:TAG][,ro] */
	unsigned nshares;
	const char *name_prefix; /* the VM is PREFIX-XXXXXX in the store (NULL: "run") */
	/* The command's stdin, stdout and stderr, and where a terminal is
	 * looked for: NULL for the process's 0, 1, 2 (hv run); a library
	 * caller (the appliance) passes its own. */
	const int *stdio;
};

enum oneshot_end {
	ONESHOT_EXITED,	  /* the command finished: status is its exit status */
	ONESHOT_PANIC,	  /* the guest kernel panicked */
	ONESHOT_VM_ENDED, /* the VM stopped without reporting a status */
	ONESHOT_ESCAPED,  /* the user left with the escape key or a signal */
};

struct oneshot_result {
	enum oneshot_end end;
	int status;
	char guest_error[256]; /* what the guest's init reported, if anything */
	char vm_end[512];      /* ONESHOT_VM_ENDED: why the VM stopped, as its monitor recorded it */
	/* Without a terminal the console carries only kernel messages: they
	 * are kept here (the last bytes) and shown only when the run fails. */
	char console_tail[8192];
	size_t console_len;
};

/* Everything checked and prepared before anything runs. */
struct oneshot_plan;
int oneshot_prepare(const struct oneshot_opts *o, struct oneshot_plan **plan);
/* Create the VM, start it, relay, wait for its end and delete it.
 * Returns a negative errno (reason recorded) when the VM could not run;
 * frees the plan. */
int oneshot_run(struct oneshot_plan *plan, struct oneshot_result *res);
