/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Device access control on cgroup v2, which has no devices.allow: an eBPF
 * program of type BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup,
 * decides every open and mknod of a device node (kernel
 * Documentation/admin-guide/cgroup-v2.rst, "Device controller").  Part of
 * cgroups.c; not for other modules.
 */
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One linux.resources.devices entry, validated. */
struct cg_dev_rule {
	bool allow;
	char type;	      /* 'a' (any), 'c' or 'b' */
	int64_t major, minor; /* -1: any */
	char access[4];	      /* a non-empty subset of "rwm" */
};

/* The program for rules (malloc'ed).  *allows_all tells that it lets
 * everything through, so that no program is needed at all. */
int cg_bpf_devices_build(const struct cg_dev_rule *rules, size_t n, struct bpf_insn **insns, size_t *n_insns,
			 bool *allows_all);
/* Load a device program (tests feed it broken ones); a file descriptor. */
int cg_bpf_devices_load(const struct bpf_insn *insns, size_t n);
/* Enforce rules on the cgroup v2 directory dir: attach their program and
 * detach the one an earlier call attached (rules that allow everything
 * only detach).  The program goes away with the cgroup. */
int cg_bpf_devices_apply(const char *dir, const struct cg_dev_rule *rules, size_t n);
/* How many of hv's device programs are attached to dir itself. */
int cg_bpf_devices_count(const char *dir, size_t *count);
