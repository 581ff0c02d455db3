/* SPDX-License-Identifier: MIT */
#pragma once
/* Persistent VMs: define, inspect, change and remove them (their
 * lifecycle: manager/power.h).  Every operation locks the VM's folder. */
#include <stdbool.h>
#include <stdint.h>

#include "manager/vmops.h"
#include "manager/vmos.h"

struct vm_create_opts {
	const char *name;
	unsigned cpus;
	uint64_t memory_mib;
	enum machine machine;
	enum accel accel;
	const char *kernel, *initrd, *cmdline;
	const char *disks[VMDEF_MAX_DISKS]; /* each a SIZE (new qcow2) or an existing image PATH */
	unsigned ndisks;
	struct nic_request nics;
	const struct vm_os_opts *os;   /* a distribution VM (image, installer ISO, firmware), or NULL */
	const char *shares[SHARE_MAX]; /* --share HOSTDIR[:TAG][,ro] */
	unsigned nshares;
	bool transient;	 /* hv run's VM (vmdef.transient) */
	const char *lab; /* the lab (hv up) it belongs to, or NULL (vmdef.lab) */
};

int vm_create(const struct vm_create_opts *o);
/* A --disk value as vm_create takes it: a SIZE of at least 1M (*size: its
 * bytes, a new qcow2) or an image PATH[,format=F] that exists (*size 0). */
int vm_disk_spec_check(const char *spec, uint64_t *size);
/* The CD-ROM (an ISO, or "none" to eject), the boot path (kernel |
 * firmware) and the display (none | vnc | vnc=ADDR:PORT) of a stopped VM;
 * NULL leaves a setting unchanged. */
int vm_set_os(const char *name, const char *cdrom, const char *boot, const char *graphics);
/* Shared folders of a stopped VM: remove by tag, then add
 * (HOSTDIR[:TAG][,ro]); nothing changes unless all of it is valid. */
int vm_set_shares(const char *name, const char *const *add, unsigned nadd, const char *const *remove, unsigned nremove);
/* Definition and true state of one VM. */
int vm_inspect(const char *name, struct vmdef *def, struct vm_status *st);
/* NULL leaves a setting unchanged.  Refused while the VM runs. */
int vm_set(const char *name, const unsigned *cpus, const uint64_t *memory_mib, const struct nic_request *nics);
/* Disks of a stopped VM: attach an existing image; detach by path (an
 * owned disk is moved to $HV_HOME/disks/NAME/: *moved_to, malloc'ed,
 * says where; NULL for a disk that stays where it is). */
/* The format of an image named on hv disk's command line
 * (PATH[,format=F]): the stated one, else the one recorded for the VM
 * whose disk it is, else adopted (image_adopt).  *path: absolute. */
int vm_disk_format(const char *spec, char **path, char *fmt, size_t n);
int vm_attach_disk(const char *name, const char *spec); /* PATH[,format=raw|qcow2] */
int vm_detach_disk(const char *name, const char *path, char **moved_to);
/* The address of each network NIC is its network's reservation for the
 * VM (reservations.json is the one record; vm.json keeps none): fill
 * d->nics[].ip from it (0 where there is none). */
void vm_nic_addresses(const char *name, struct vmdef *d);
/* *kept_dir (malloc'ed) receives where --keep-disks put the disks, NULL
 * when nothing was kept; kept_dir may be NULL. */
int vm_delete(const char *name, bool force, bool keep_disks, bool flatten, char **kept_dir);
