/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A fresh guest identity for a clone of a real operating system, written
 * offline into the clone's disks through the appliance (docs/clone.md):
 * /etc/machine-id emptied (systemd makes a new one at first boot),
 * /var/lib/dbus/machine-id, the SSH host keys, DHCP client leases and
 * systemd's random seed removed.  The new cloud-init instance-id is the
 * clone's new UUID (manager/clone.c).
 */
#include <stddef.h>

/* What the appliance reported. */
struct identity_report {
	char root[16];	  /* the device the root file system was found on ("vda3") */
	unsigned emptied; /* files emptied */
	unsigned removed; /* files removed */
	unsigned skipped; /* places skipped: a folder on the way was a symlink */
};

/* The script's part that resets the identity of the root file system in
 * the current directory (malloc'ed). */
int identity_script_reset(char **out);
/* The whole script: find the root file system on /dev/vd*, mount it,
 * reset, unmount (malloc'ed). */
int identity_script(char **out);
/* Read the script's stdout (guest output: only known lines count). */
int identity_report_parse(const char *out, struct identity_report *rep);
/* Reset the identity of the system on disks ("PATH,format=F"). */
int identity_reset(const char *const *disks, size_t ndisks, struct identity_report *rep);
