/* SPDX-License-Identifier: MIT */
#pragma once
/*
 * A small rtnetlink client: links, addresses, routes and neighbours of the
 * caller's current network namespace, plus TAP devices and the address
 * parsing hv needs around them.  Every fallible call returns 0 (or a
 * non-negative result) or a negative errno with the reason in err_msg().
 * Interface names longer than IFNAMSIZ-1 are refused before any request.
 *
 * IPv4 addresses are in network byte order (struct in_addr s_addr style).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network/addr.h"

/* > 0, or -ENODEV (with reason). */
int nl_link_index(const char *name);
bool nl_link_exists(const char *name);
/* True if NAME is a Linux bridge (asked over netlink, so it holds in any
 * netns, whatever /sys shows). */
bool nl_link_is_bridge(const char *name);
/* Fails with -EEXIST if a link of that name exists. */
int nl_bridge_create(const char *name);
/* Both ends in the caller's current netns. */
int nl_veth_create(const char *name, const char *peer);
/* -ENODEV if missing. */
int nl_link_delete(const char *name);
int nl_link_set_up(const char *name, bool up);
/* master NULL: detach from its bridge. */
int nl_link_set_master(const char *name, const char *master);
/* Move the link into the network namespace netns_fd refers to. */
int nl_link_set_netns_fd(const char *name, int netns_fd);
int nl_link_set_mac(const char *name, const uint8_t mac[6]);

/* IFA_LOCAL and IFA_ADDRESS, and IFA_BROADCAST for prefix < 31. */
int nl_addr_add(const char *ifname, uint32_t ip, int prefix);
int nl_addr_del(const char *ifname, uint32_t ip, int prefix);
/* The IPv4 addresses of an interface: stores up to max, returns how many. */
int nl_addr_list(const char *ifname, uint32_t *ips, int *prefixes, int max);

/* Does any IPv4 route of the main table other than a default route overlap
 * net/prefix (either contains the other)?  Returns 1 and fills dev (the
 * route's output interface, "" if none; may be NULL) and the route's
 * destination via *rnet and *rprefix (may be NULL), or 0 when none does. */
int nl_route_overlap(uint32_t net, int prefix, char *dev, size_t devlen, uint32_t *rnet, int *rprefix);
/* Main table; scope link if gw == 0.  dev may be NULL when gw is set. */
int nl_route_add(uint32_t net, int prefix, uint32_t gw, const char *dev);
int nl_route_del(uint32_t net, int prefix, uint32_t gw, const char *dev);

/* A permanent IPv4 neighbour (ARP) entry; replaces an existing one. */
int nl_neigh_add(const char *ifname, uint32_t ip, const uint8_t mac[6]);
/* Find the IPv4 address a MAC has on any interface, among entries in the
 * reachable, stale, delay, probe or permanent states.  Returns 1 and fills
 * *ip and ifname (may be NULL) when found, 0 if not. */
int nl_neigh_find_mac(const uint8_t mac[6], uint32_t *ip, char *ifname, size_t n);

/* Open a TAP device (IFF_TAP | IFF_NO_PI) from a name template such as
 * "hvt%d", the kernel picking the number.  Returns the fd (O_CLOEXEC) and
 * the chosen name.  The device is not persistent: it disappears when the
 * last fd closes. */
int nl_tap_open(const char *name_template, char *name, size_t namelen);
