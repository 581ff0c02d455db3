/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * What must hold at both ends before a VM moves: the hosts' facts (QEMU
 * version and machine types, CPU, memory, the store), exchanged as the
 * first message of a migration ("facts"), and the VM's hv networks and
 * port forwards at the destination.  The compare functions are pure (no
 * I/O; tests/unit/test_migcheck.c); each refusal is one line naming the
 * difference and the fix.
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "engine/engine.h"
#include "manager/vmdef.h"
#include "network/netdef.h"

struct mig_facts {
	char boot_id[40];	/* the host (and its boot): one page cache, one set of ports */
	char qemu_version[32];	/* "7.2.22" */
	char q35[32];		/* what the q35 alias names there ("pc-q35-7.2"), or "" */
	bool microvm;		/* the microvm machine type exists */
	bool kvm;		/* hv would run VMs with KVM there */
	char cpu_model[128];	/* /proc/cpuinfo "model name" */
	char cpu_flags[17];	/* a hash of /proc/cpuinfo "flags", hex */
	uint64_t mem_available; /* bytes, /proc/meminfo MemAvailable */
	bool store_writable;	/* the store's vms/ folder takes a new VM */
};

/* Where the disks are at the destination. */
enum mig_storage {
	MIG_STORAGE_SAME_HOST, /* one host: the same files and one page cache */
	MIG_STORAGE_SHARED,    /* another host that reaches the same images */
	MIG_STORAGE_COPIED,    /* --copy-storage */
};

/* This host's facts (the store: HV_HOME's). */
int mig_facts_gather(struct mig_facts *f);
struct json_object *mig_facts_to_json(const struct mig_facts *f);
int mig_facts_from_json(struct json_object *o, struct mig_facts *f);

/* "7.2.22" → 7, 2 (-EINVAL for anything else). */
int migcheck_qemu_version(const char *v, unsigned *major, unsigned *minor);
/* The same QEMU major.minor (hv starts the unversioned "q35" and
 * "microvm", which are that version's own machines) and the machine type. */
int migcheck_qemu(const struct mig_facts *src, const struct mig_facts *dst, enum machine m);
/* TCG: the same -cpu model (hv's default, both ends), so the destination
 * must run TCG too for the definition's accelerator (requested: auto,
 * kvm, tcg); KVM runs -cpu host: only between hosts with the same CPU
 * model and flags. */
int migcheck_cpu(const struct mig_facts *src, const struct mig_facts *dst, enum accel running, enum accel requested);
/* MemAvailable there holds the VM's memory; the store takes it. */
int migcheck_room(const struct mig_facts *dst, uint64_t memory_mib);
/* Is a disk's cache mode ("none", "writeback", ...) safe for where the
 * disks are at the destination? */
int migcheck_cache(const char *disk, const char *cache, enum mig_storage s);
/* A network the VM uses (want, as the source defines it) against the
 * destination's of the same name (have, NULL: none). */
int migcheck_network(const struct netdef *want, const struct netdef *have);
/* Snapshots: names of those with VM state (n of them, comma separated in
 * names); a live move refuses them. */
int migcheck_snapshots(const char *vm, const char *names, size_t n, bool live);

/* Everything the source checks once the destination's facts are in:
 * QEMU, CPU and memory (live), the disks' cache mode, snapshots with VM
 * state (live), the store.  *same_host: both ends on this host (boot). */
struct mig_precheck_in {
	const char *name;
	const struct vmdef *d;
	const char *accel; /* the running VM's ("kvm", "tcg"), or "" */
	bool live, copy_storage;
};
int mig_prechecks(const struct mig_precheck_in *in, const struct mig_facts *dst, bool *same_host);

/* Is the socket listening on (or bound to) proto port of this network
 * namespace held by process pid?  1: yes, 0: no (or nobody's). */
int mig_port_held_by(const char *proto, uint16_t port, pid_t pid);
