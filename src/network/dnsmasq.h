/* SPDX-License-Identifier: MIT */
#pragma once
/* DHCP and DNS of an hv network (one dnsmasq each, see dnsmasq.c). */
#include "network/netdef.h"

/* /run/hv/networks/NAME, made when create; *out is malloc'ed. */
int dhcp_dir(const char *name, bool create, char **out);
int dhcp_start(const struct netdef *d);
int dhcp_stop(const char *name);
int dhcp_reload(const char *name);
bool dhcp_running(const char *name, pid_t *pid);
int dhcp_write_hosts(const struct netdef *d, const struct net_reservation *res, size_t nres);
