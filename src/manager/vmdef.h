/* SPDX-License-Identifier: MIT */
#pragma once
/* A VM's definition (vm.json): what the user asked for, validated. */
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "engine/engine.h"
#include "manager/share.h"
#include "manager/store.h"
#include "network/nic.h"

#define VMDEF_MAX_DISKS	  ENGINE_MAX_DISKS
#define VM_MIN_MEMORY_MIB 64
/* 16 TiB: beyond what x86-64 QEMU can give a guest, and what vm.json may say */
#define VM_MAX_MEMORY_MIB (16ULL << 20)
#define VM_MAX_CPUS	  255

struct vmdef_disk {
	char path[4096];    /* relative to the VM folder when hv owns it */
	char format[8];	    /* "raw" | "qcow2" */
	bool owned;	    /* created by hv in the VM folder: deleted with the VM */
	char backing[4096]; /* a qcow2 overlay's read-only base ("" for none) */
};

/* cloud-init for a distribution VM: what hv writes into its NoCloud seed. */
#define VMDEF_MAX_SSH_KEYS 16
struct vmdef_cloud_init {
	bool enabled;
	char user[33];
	char *ssh_keys[VMDEF_MAX_SSH_KEYS]; /* public key lines */
	unsigned n_ssh_keys;
	char *password_hash; /* crypt(3), or NULL: password locked */
	bool user_data;	     /* the user's user-data is kept as user-data.in in the VM folder */
	char *identity;	     /* the private key beside a --ssh-key FILE.pub, for hv ssh (or NULL) */
};

/* A graphical console (VNC): on vnc.sock in the VM folder, or host:port. */
struct vmdef_display {
	bool vnc;
	char host[64]; /* "" : the unix socket */
	unsigned port;
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
	/* distribution VMs (issue 8) */
	enum firmware firmware;	      /* FIRMWARE_NONE: QEMU loads the kernel itself */
	char image[64];		      /* the catalogue image it was made from, or "" */
	bool boot_kernel;	      /* boot the image's own kernel directly (skip firmware and GRUB) */
	char *cdrom;		      /* an installer ISO in the CD drive, or NULL */
	struct vmdef_display display; /* graphical console */
	struct vmdef_cloud_init ci;
	struct share_set shares; /* shared folders (virtio-fs) */
	/* made by hv run: its guest runs one command, and the VM is deleted
	 * when it ends (or when the hv run that owns it goes away) */
	bool transient;
	/* the lab (hv up) this VM belongs to, or "": hv down --delete removes
	 * only what carries its lab's label */
	char lab[64];
};

void vmdef_init(struct vmdef *d);
void vmdef_free(struct vmdef *d);
/* A deep copy (both are freed with vmdef_free). */
int vmdef_dup(const struct vmdef *src, struct vmdef *dst);
int vmdef_load(int dirfd, struct vmdef *d);
int vmdef_save(int dirfd, const struct vmdef *d);
/* vmdef_load for an opened VM: a damaged vm.json is a one-line error
 * naming the file and the way out ("VM 'a': /.../vm.json: cpus: expected
 * an integer, got null (repair or restore the file, or remove the VM
 * with: hv delete --force a)"). */
int vmdef_load_vm(const struct vm_handle *h, struct vmdef *d);
/* The same message for a failure r of vmdef_load (returns r). */
int vmdef_damaged(const char *name, const char *vmdir, int r);
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
/* --graphics none|vnc|vnc=ADDR:PORT, and back. */
int vmdef_display_parse(const char *s, struct vmdef_display *out);
void vmdef_display_format(const struct vmdef_display *d, char *buf, size_t n);
/* A fresh random (version 4) UUID. */
int uuid_generate(char out[37]);
