/* SPDX-License-Identifier: MIT */
#pragma once
/* The network side of VMs: addresses (hv ip), live port forwards of nat
 * NICs (hv forward), and network removal checked against the VMs. */
#include <stdbool.h>
#include <stdint.h>

#include "network/nic.h"

struct vm_nic_addr {
	struct nic nic;
	char mode_text[32]; /* "nat", "network=lab", "bridge=br0" */
	uint32_t ip;	    /* 0: unknown */
	int prefix;	    /* 0: unknown */
	const char *source; /* "dhcp-lease", "neighbour", "guest", "agent", "cloud-init" */
	uint32_t guest_ip;  /* what the guest itself reports (0: nothing) */
	int guest_prefix;
};

/* Each NIC of a VM with its address and where it comes from. */
int vm_addresses(const char *name, struct vm_nic_addr *out, unsigned *n, bool *running);
/* add: a forward to the VM's (first) nat NIC, live when it runs. */
int vm_forward_change(const char *name, bool add, const char *spec);
int vm_forward_list(const char *name, struct nic_forward *out, unsigned *n);
/* Names of the VMs with a NIC on network net (a malloc'ed list). */
int vms_on_network(const char *net, char ***names, size_t *n);
/* Delete a network no VM uses. */
/* force: also when its net.json is damaged (everything of it is removed). */
int vm_net_delete(const char *net, bool force);
