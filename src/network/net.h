/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * hv networks: named, persistent, and brought up on first use.
 *   natnet     a bridge with the host as gateway, DHCP + DNS (dnsmasq),
 *              masquerade to the outside, port forwards (nftables DNAT)
 *   host-only  a bridge with a host address and DHCP; no route out
 *   internal   VM to VM only: the host has no address on the bridge; DHCP
 *              is served from a private network namespace on it
 * Store: $HV_HOME/networks/NAME/ (net.json, reservations.json, lock, and
 * dnsmasq's files).  Everything on the host is named after the network:
 * bridge hv-NAME, nftables table "ip hv-NAME", netns hv-NAME (internal),
 * veth hvd-NAME/hvn-NAME, so hv never touches what it did not create.
 */
#include "network/netdef.h"
#include "network/netup.h"

/* Validate (name, overlaps with other hv networks and host routes) and
 * store; cidr NULL picks a free 10.77.N.0/24; lab (or NULL) labels it as
 * part of a lab (hv up).  Nothing on the host yet. */
int net_create(const char *name, enum net_mode mode, const char *cidr, const char *lab, struct netdef *out);
/* Would net_create take this subnet for network name?  (A valid CIDR that
 * overlaps no other hv network and nothing the host routes.) */
int net_subnet_check(const char *name, const char *cidr);
/* Remove everything of the network from the host and the store (the
 * caller has checked that no VM uses it). */
int net_destroy(const char *name);

/* Fixed addresses of VM NICs (dnsmasq dhcp-host entries). */
int net_reserve(const char *net, const char *vm, const uint8_t mac[6], uint32_t *ip);
/* The same with the address want (0: any free one); a VM that keeps its
 * address (hv migrate) asks for the one it has. */
int net_reserve_at(const char *net, const char *vm, const uint8_t mac[6], uint32_t want, uint32_t *ip);
int net_unreserve(const char *net, const char *vm);
/* Apply the network's definition and reservations of this store to what
 * runs on the host again (firewall table, dnsmasq's hosts): two stores on
 * one host share a network of one name (bridge hv-NAME, table hv-NAME). */
int net_refresh(const char *net);
/* The same on every network (a VM whose definition is lost); best effort. */
void net_unreserve_all(const char *vm);
/* The address dnsmasq leased to mac (0: none). */
int net_lease_ip(const char *net, const uint8_t mac[6], uint32_t *ip);
/* The same from the text of a lease file (modified: cut into lines). */
int net_lease_find(char *text, const uint8_t mac[6], uint32_t *ip);

/* Port forwards of a natnet network: "tcp:HOSTPORT:VM:PORT". */
int net_forward_add(const char *name, const char *spec);
int net_forward_remove(const char *name, const char *spec);
