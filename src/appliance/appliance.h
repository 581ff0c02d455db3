/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv's appliance: the default guest (the microVM hv run boots) with some
 * disks attached, running one fixed shell script, the way libguestfs
 * boots its appliance to read and change a guest's disks from the
 * outside.  The disks appear in order as /dev/vda, /dev/vdb, ...; the
 * guest kernel reads ext2/3/4 itself (built into Debian's cloud kernel)
 * and GPT and MBR partition tables.  The VM has no network.
 */
#include <stddef.h>

#define APPLIANCE_OUTPUT_MAX (1 << 20) /* what is kept of each of stdout and stderr */

struct appliance_output {
	int status; /* the script's exit status */
	char *out;  /* its stdout and stderr, NUL-terminated (free them) */
	size_t out_len;
	char *err;
	size_t err_len;
};

/* Run script under /bin/sh in the appliance with disks ("PATH,format=F",
 * as hv run --disk takes them) attached.  Returns 0 with the script's
 * status and output in *res, or a negative errno (reason recorded) when
 * the appliance could not run the script to its end. */
int appliance_run(const char *const *disks, size_t ndisks, const char *script, struct appliance_output *res);
void appliance_output_free(struct appliance_output *res);
