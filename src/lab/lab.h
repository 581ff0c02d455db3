/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * Lab files (hv up / hv down / hv status): one JSON file names networks
 * and VMs; hv makes the store match it.  Four steps, each its own file:
 *   parse.c     the text into a typed model (struct lab): syntax errors
 *               with line:column, unknown keys with the nearest known one,
 *               types and local values (names, CPUs, memory);
 *   validate.c  the model against the host and the store, before anything
 *               changes: references, duplicates, images, disks, shares,
 *               key files, forward ports, names another lab or a user owns;
 *   plan.c      the store's state against the model: a list of changes;
 *   apply.c     the changes, in dependency order (networks before the VMs
 *               on them), through the manager's functions; and hv down.
 * Every object is named LAB-NAME and labelled "lab": LAB in its vm.json
 * or net.json, so two labs never collide and hv down --delete removes
 * only what carries the label.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manager/share.h"
#include "manager/store.h"
#include "manager/vmdef.h"
#include "manager/vmos.h"
#include "network/netdef.h"
#include "network/nic.h"

#define LAB_MAX_NETS	 8
#define LAB_MAX_VMS	 32
#define LAB_NAME_MAX	 24
#define LAB_DEFAULT_FILE "hv-lab.json"

struct lab_net {
	char name[NET_NAME_MAX + 1]; /* as in the file */
	char full[NET_NAME_MAX + 1]; /* LAB-NAME in the store */
	enum net_mode mode;
	char *subnet; /* CIDR, or NULL: a free 10.77.N.0/24 */
};

struct lab_vm {
	char name[VM_NAME_MAX + 1]; /* as in the file */
	char full[VM_NAME_MAX + 1]; /* LAB-NAME in the store */
	unsigned cpus;		    /* 0: hv create's default (1) */
	uint64_t memory_mib;	    /* 0: hv create's default (256 MiB) */
	/* as hv create takes them; paths made absolute (relative to the file) */
	char *disks[VMDEF_MAX_DISKS];
	unsigned ndisks;
	char *nics[NIC_MAX]; /* network=NET names the lab's NET by its full name */
	unsigned nnics;
	bool no_nics; /* "nics": [] (absent: one nat NIC) */
	char *forwards[NIC_MAX_FORWARDS];
	unsigned nforwards;
	char *shares[SHARE_MAX];
	unsigned nshares;
	/* a distribution VM (image set) */
	char *image, *user, *cloud_init;
	char *ssh_keys[VMOS_MAX_KEYS];
	unsigned nkeys;
	uint64_t disk_size; /* bytes, 0: the image's */
};

struct lab {
	char name[LAB_NAME_MAX + 1];
	char *dir; /* the file's folder (absolute): relative paths start there */
	struct lab_net nets[LAB_MAX_NETS];
	unsigned nnets;
	struct lab_vm vms[LAB_MAX_VMS];
	unsigned nvms;
};

void lab_free(struct lab *l);
/* Lab names: 1-24 characters from [a-z0-9-], starting with a letter or digit. */
int lab_name_validate(const char *name);
/* Parse a lab file's text (path names it in messages and gives the
 * default lab name and the folder relative paths start from).  A syntax
 * error says "PATH:LINE:COL: ...", other errors name the key
 * ("PATH: vms[1].memroy: unknown key (did you mean memory?)"). */
int lab_parse(const char *text, size_t len, const char *path, struct lab *l);
/* Read and parse the file. */
int lab_load(const char *path, struct lab *l);

/* Check the lab against the host and the store; nothing changes. */
int lab_validate(const struct lab *l);

/* The changes that make the store match the lab. */
enum lab_change_kind {
	LAB_NET_CREATE,
	LAB_VM_CREATE,
	LAB_VM_RECREATE, /* needs --recreate: delete and create again */
	LAB_VM_SET,	 /* cpus, memory, NICs, forwards, shares of an existing VM */
	LAB_VM_START,
};
struct lab_change {
	enum lab_change_kind kind;
	unsigned index; /* into nets[] or vms[] */
	bool restart;	/* LAB_VM_SET on a running VM: stop, change, start (--recreate) */
	char text[512]; /* "set web memory 256M -> 512M" */
};
#define LAB_MAX_CHANGES (LAB_MAX_NETS + 3 * LAB_MAX_VMS)
struct lab_plan {
	struct lab_change v[LAB_MAX_CHANGES];
	unsigned n;
};
/* Compare the store with the lab.  A change that needs a restart of a
 * running VM, or that re-creates a VM, is refused unless recreate. */
int lab_plan(const struct lab *l, bool recreate, struct lab_plan *p);
/* Apply the plan; done(text, ctx) is told each step once it is done.  On
 * a failure the steps done so far stay (each leaves the store
 * consistent) and the reason says which step failed. */
int lab_apply(const struct lab *l, const struct lab_plan *p, void (*done)(const char *text, void *ctx), void *ctx);

/* What the store holds for a lab (by label). */
struct lab_vm_state {
	char name[VM_NAME_MAX + 1];
	char state[16];
	struct vmdef def; /* its NICs with their addresses */
};
struct lab_net_state {
	struct netdef def;
	bool up;
};
struct lab_state {
	struct lab_vm_state vms[LAB_MAX_VMS * 2];
	unsigned nvms;
	struct lab_net_state nets[LAB_MAX_NETS * 2];
	unsigned nnets;
};
int lab_state(const char *lab, struct lab_state *s);
void lab_state_free(struct lab_state *s);
/* Stop the lab's VMs; with del, delete them and the lab's networks.  Each
 * step is told to done() as for lab_apply. */
int lab_down(const char *lab, bool del, int timeout_s, void (*done)(const char *text, void *ctx), void *ctx);
/* Levenshtein distance, for "did you mean" (bounded inputs). */
size_t lab_edit_distance(const char *a, const char *b);
