/* SPDX-License-Identifier: MIT */
#pragma once
/* Bringing an hv network onto the host and off again (see netup.c). */
#include "network/netdef.h"

/* Bring the network up (idempotent): bridge, address, namespace,
 * nftables table, dnsmasq.  Fills the bridge name. */
int net_up(const char *name, char *bridge, size_t n);
/* Take it off the host (bridge, table, namespace, dnsmasq). */
int net_down(const char *name);
struct net_state {
	bool bridge, table, dhcp;
	pid_t dhcp_pid;
};
int net_state(const char *name, struct net_state *st);
