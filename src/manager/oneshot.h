/* SPDX-License-Identifier: MIT */
#pragma once
/* hv run: boot a throwaway VM, run one command in it, relay its stdio,
 * power off and hand back the command's exit status. */
#include <stddef.h>

#include "engine/engine.h"
#include "manager/nics.h"
#include "manager/share.h"

struct oneshot_opts {
	unsigned cpus;
	unsigned long long memory_mib;
	const char *kernel, *initrd, *cmdline; /* NULL: the default guest */
	const char *disks[ENGINE_MAX_DISKS];
	size_t ndisks;
	enum accel accel; /* resolved */
	enum machine machine;
	char **command;			/* NULL: an interactive shell (or the plain console without hv's init) */
	struct nic_request nics;	/* none given: one nat NIC */
	const struct share_set *shares; /* shared folders, or NULL */
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
	/* Without a terminal the console carries only kernel messages: they
	 * are kept here (the last bytes) and shown only when the run fails. */
	char console_tail[8192];
	size_t console_len;
};

/* Everything checked and prepared before anything runs. */
struct oneshot_plan;
int oneshot_prepare(const struct oneshot_opts *o, struct oneshot_plan **plan);
/* Boot, relay, power off.  Returns a negative errno (reason recorded)
 * when the VM could not run; frees the plan. */
int oneshot_run(struct oneshot_plan *plan, struct oneshot_result *res);
