/* SPDX-License-Identifier: MIT */
#pragma once
/* hv cp: files and folders into and out of a running VM, as tar streams
 * over an exec (hv's channel) -- modes, links and folders kept. */

/* A copy's operand: "NAME:PATH" (a colon before any '/') is in a VM. */
struct cp_operand {
	char vm[64]; /* "" on the host */
	const char *path;
};
int cp_operand_parse(const char *s, struct cp_operand *o);

/* Copy src to dst, exactly one of them in a VM.  As cp -r: a folder dst
 * that exists receives src inside it; otherwise src is copied as dst.
 * progress (may be NULL) is told the bytes moved so far and the total
 * when known (0 when not). */
typedef void (*cp_progress_fn)(void *ctx, unsigned long long done, unsigned long long total);
int vm_copy(const struct cp_operand *src, const struct cp_operand *dst, cp_progress_fn progress, void *ctx);
