/* SPDX-License-Identifier: MIT */
#pragma once
/* A VM's definition (vm.json): what the user asked for, validated. */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "manager/store.h"
#include "network/nic.h"

#define VMDEF_MAX_DISKS	  ENGINE_MAX_DISKS
#define VM_MIN_MEMORY_MIB 64
#define VM_MAX_CPUS	  255

struct vmdef_disk {
	char path[4096];    /* relative to the VM folder when hv owns it */
	char format[8];	    /* "raw" | "qcow2" */
	bool owned;	    /* created by hv in the VM folder: deleted with the VM */
	char backing[4096]; /* a qcow2 overlay's read-only base ("" for none) */
};

struct vmdef {
	char name[64];
	char uuid[37];
	unsigned cpus;
	uint64_t memory_mib;
	enum machine machine;
	enum accel accel; /* as requested: auto, kvm or tcg */
	char *kernel;	  /* NULL: the default guest */
	char *initrd;	  /* NULL: the default guest's initramfs when kernel is NULL */
	char *cmdline;	  /* NULL: hv's default */
	struct vmdef_disk disks[VMDEF_MAX_DISKS];
	unsigned ndisks;
	struct nic nics[NIC_MAX];
	unsigned nnics;
	time_t created;
};

void vmdef_init(struct vmdef *d);
void vmdef_free(struct vmdef *d);
int vmdef_load(int dirfd, struct vmdef *d);
int vmdef_save(int dirfd, const struct vmdef *d);
/* The same for a copy kept in a subfolder (snapshots/NAME/vm.json). */
int vmdef_load_at(int dirfd, const char *sub, struct vmdef *d);
int vmdef_save_at(int dirfd, const char *sub, const struct vmdef *d);
/* Each VM of the store with its definition loaded (a store_iter, see
 * store.h):
 *	struct vmdef_iter it;
 *	for (r = vmdef_iter_open(&it); r >= 0 && (r = vmdef_iter_next(&it)) > 0;)
 *		... it.vm.name, it.vm.dirfd, it.def ...
 *	vmdef_iter_close(&it);
 * A VM whose vm.json cannot be read is skipped unless keep_broken: then
 * next returns it with it.load_error (negative, reason recorded) and
 * it.def empty. */
struct vmdef_iter {
	struct store_iter vm;
	struct vmdef def;
	bool keep_broken;
	int load_error;
};
int vmdef_iter_open(struct vmdef_iter *it, bool keep_broken);
int vmdef_iter_next(struct vmdef_iter *it);
void vmdef_iter_close(struct vmdef_iter *it);
/* Range check shared by --cpus parsing and vm.json loading. */
int vmdef_check_cpus(unsigned long cpus);
/* Parse "--memory" (MiB by default) and "--cpus" option values. */
int vmdef_parse_memory(const char *s, uint64_t *mib);
int vmdef_parse_cpus(const char *s, unsigned *cpus);
/* One NIC for hv info --json: as in vm.json, plus its "ip" when set
 * (vm.json itself keeps no address: see vm_nic_addresses). */
struct json_object;
struct json_object *vmdef_nic_json(const struct nic *n);
/* A fresh random (version 4) UUID. */
int uuid_generate(char out[37]);
