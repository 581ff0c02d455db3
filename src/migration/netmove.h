/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A migrating VM's hv networks and port forwards.  The source describes
 * each network a NIC is on (mode, subnet, the network's forwards to the
 * VM); the destination must have a network of that name with the same
 * mode and subnet (it never creates one: the refusal names the hv net
 * create command), reserves the VM's own address there (the guest keeps
 * its DHCP lease and MAC) and takes the forwards.  The host ports of the
 * VM's nat forwards must be free at the destination, or held by the
 * source's QEMU on the same host (they move at the switchover).
 *
 * On one host an hv network is realised by name (bridge hv-NAME, nft
 * table hv-NAME, dnsmasq in /run/hv/networks/NAME), so two stores with a
 * network of the same name share it: whichever store last changed it has
 * its reservations and forwards applied.  Each side re-applies its own
 * after the other touched it (mig_networks_refresh).
 */
#include <json-c/json.h>
#include <stdbool.h>
#include <sys/types.h>

#include "manager/vmdef.h"

/* The source: [{name, mode, subnet, forwards: ["tcp:P:VM:P", ...]}] of the
 * networks vm's NICs are on (an empty array for none). */
int mig_networks_describe(const char *vm, const struct vmdef *d, struct json_object **out);
/* The destination: check every network of arr against this store's, then
 * reserve d's addresses and add the forwards; *taken counts the networks
 * reserved (for mig_networks_undo, also after a failure). */
int mig_networks_take(const char *vm, const struct vmdef *d, struct json_object *arr, unsigned *taken);
void mig_networks_undo(const char *vm, const struct vmdef *d, unsigned taken);
/* Apply this store's definitions of d's networks to the host again. */
void mig_networks_refresh(const struct vmdef *d);
/* The destination: the host ports of d's nat forwards are free, or (same
 * host) held by the source's QEMU (pid source_qemu). */
int mig_forwards_check(const struct vmdef *d, bool same_host, pid_t source_qemu);
