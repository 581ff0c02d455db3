/* SPDX-License-Identifier: MIT */
#pragma once
/* Running the external tools an image build or import needs (mmdebstrap,
 * sgdisk, mke2fs, mkfs.vfat, mtools, grub-mkimage, qemu-img) with argv
 * arrays, their output reported line by line to the caller (never
 * printed here) and kept for the error message when they fail. */
#include <stdbool.h>
#include <stdint.h>

/* What a long operation reports; every callback may be NULL. */
struct image_progress {
	/* a phase ended after ms milliseconds ("debootstrap", "filesystem", ...) */
	void (*phase)(void *ctx, const char *phase, uint64_t ms);
	/* a line of a tool's output (for a status line on a terminal) */
	void (*line)(void *ctx, const char *line);
	/* qemu-img convert's progress, 0..100 */
	void (*percent)(void *ctx, double pct);
	void *ctx;
};

/* Output kept of a tool's run (its tail), for error messages. */
#define TOOL_TAIL 8192
struct tool_output {
	char tail[TOOL_TAIL];
	int status; /* wait status */
};

/* Run argv (argv[0] looked up on $PATH) with stdin from /dev/null and
 * stdout+stderr read line by line ('\r' ends a line too).
 * 0 on exit status 0; else -EIO with "NAME failed: <last line>". */
int tool_run(const char *const argv[], const struct image_progress *p, struct tool_output *out);
/* Is the program on $PATH?  Else the error names the Debian package. */
int tool_need(const char *prog, const char *package);
